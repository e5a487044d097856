//! The product's black-box tests, one module per area (one binary, linked once): the edge under
//! `wasmtime serve` behind testkit's fake provider and fake Pomerium, and the whole chain with
//! the widget in headless Chromium. `cargo xtask test` runs the edge suites once more against
//! the composed Spin artifact and the precompiled edge (see `xtask/src/test.rs`).
#![cfg(not(target_arch = "wasm32"))]

mod app_views;
mod approvals;
mod attachments;
mod chaos;
mod demo_model;
mod e2e;
mod e2e_edge_mode;
mod edge;
mod edge_api;
mod edge_approvals;
mod edge_elicitation;
mod edge_input;
mod hostile_answers;
mod mcp_sessions;
mod northwind_app;
mod precompiled;
mod prompts;
mod resume;
mod rich_results;
mod support;
mod third_party_mcp;
mod tool_bounds;
mod tool_mode;
mod tool_progress;
mod usage;
mod widget;
mod zero_trust;
