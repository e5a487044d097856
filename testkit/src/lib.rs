//! Test doubles and harness for what cannot run on a developer machine: the model provider and
//! Pomerium.
//!
//! Each fake binds `127.0.0.1:0` (or a fixed address), serves on the tokio runtime in the
//! background, hands back its base URL, records what it received, and stops accepting
//! connections when its handle is dropped. The fakes speak the wire formats of
//! `shared/protocols.md` exactly (§1 Pomerium, §2 OpenAI Responses with `mcp` tools, §4 MCP
//! Streamable HTTP). Records are kept in memory only and never printed: their `Debug` output
//! redacts tokens.
//!
//! | module | owns |
//! |---|---|
//! | [`chain`] | [`chain::Chain`]: northwind-mcp, the edge and the fake Pomerium assembled once for every end-to-end test and the bench |
//! | [`provider`] | [`provider::FakeProvider`]: `POST /v1/responses`, a scripted stand-in for OpenAI that really calls the MCP servers it is given, or fails on purpose ([`provider::chaos`]) |
//! | [`pomerium`] | [`pomerium::FakePomerium`]: the client route (TE injection, streaming proxy, `/.pomerium/mcp/routes`) and the MCP server routes (TE check, TI swap) |
//! | [`frames`] | the one writer of provider stream frames (Responses events, Chat Completions chunks) |
//! | [`mcp`] | [`mcp::McpClient`]: the one MCP client of tests and fakes, the edge's I/O-free core over reqwest |
//! | [`process`] | child-process helpers (wasmtime, northwind-mcp) |
//! | [`browser`] | the browser harness |
//! | [`site`] | [`site::StaticSite`]: an intranet web server for host pages that embed the widget |
//! | [`npm`] | npm packages for host pages, installed once into the tools cache |
//! | [`serve`] | serving a fake in the background; the binaries' shutdown signal |
//!
//! The crate is host-only: on `wasm32` it is empty, so a mixed-target workspace build passes.
#![cfg(not(target_arch = "wasm32"))]

pub mod browser;
pub mod chain;
pub mod frames;
pub mod mcp;
pub mod npm;
pub mod pomerium;
pub mod process;
pub mod provider;
pub mod site;

pub mod serve;

mod record;
