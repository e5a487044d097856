//! Pomerium Chat's system tests: the product as a black box. The tests are in `tests/` (one
//! binary, `tests/main.rs`); this library is empty. The test doubles they run against (fake
//! provider, fake Pomerium, the chain, the browser harness) are `testkit`'s, and the doubles'
//! own tests stay beside them in `testkit/tests`.
