//! The testkit's integration tests, one module per area (one binary, linked once).
#![cfg(not(target_arch = "wasm32"))]

mod e2e;
mod edge;
mod fakes;
mod widget;
