//! Browser tests of `<pomerium-chat>` through its DOM contract.
//!
//! Each test puts a real element in the page and replaces `fetch` with a scripted fake
//! (`support::FakeFetch`) whose streamed bodies the test feeds chunk by chunk, so the whole
//! path runs: the element's lifecycle, the requests it makes, the SSE decoding of a real
//! `Response` body, the state and the DOM. Run with
//! `CHROMEDRIVER=/usr/bin/chromedriver cargo test --target wasm32-unknown-unknown -p widget`.
#![cfg(target_arch = "wasm32")]

mod approvals;
mod chat;
mod edit;
mod host;
mod identity;
mod lifecycle;
mod markdown;
mod models;
mod persistence;
mod servers;
mod support;
mod threads;
mod tools;
mod window;

wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);
