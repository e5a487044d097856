//! The testkit's integration tests, one module per area (one binary, linked once).
#![cfg(not(target_arch = "wasm32"))]

mod approvals;
mod chaos;
mod demo_model;
mod e2e;
mod e2e_edge_mode;
mod edge;
mod edge_api;
mod edge_approvals;
mod edge_input;
mod fakes;
mod hostile_answers;
mod northwind_app;
mod precompiled;
mod support;
mod third_party_mcp;
mod tool_bounds;
mod tool_mode;
mod widget;
mod zero_trust;
