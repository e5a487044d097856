//! The testkit's own tests: the fakes themselves (one binary). The product's black-box tests
//! that run against these fakes are in `system-tests/`.
#![cfg(not(target_arch = "wasm32"))]

mod fakes;
