//! The Pomerium Chat edge: a Spin HTTP component that sits behind Pomerium's client-mode MCP
//! route, between the widget, Pomerium and the model provider.
//!
//! Pomerium injects `Authorization: Bearer <TE>` into every request. The edge lists the user's
//! MCP servers from Pomerium with that token, calls the provider's Responses API with one `mcp`
//! tool per selected server, and relays the provider's stream to the widget as protocol events,
//! chunk by chunk. The token goes only to Pomerium and, inside the tools of servers Pomerium
//! listed, to the provider; never to the browser or a log line.
//!
//! Everything but the runtime glue builds and tests natively. The folders read as a request's
//! path:
//!
//! | module | owns |
//! |---|---|
//! | [`incoming`] | the request up to spending anything: route, gate (host × origin × proof), identity, JWT, sealing, CORS, headers |
//! | [`servers`] | the user's MCP servers: Pomerium's list, local mode's list, tool policies |
//! | [`answer`] | one answer: who runs the tools, the driver's deadlines, what the driver feeds, the one tool loop (hosted mode: no tool jobs), edge mode's orchestration and paused state |
//! | [`providers`] | the provider's wire shapes: hosted and edge-mode requests, stream decoders, failure mapping |
//! | [`mcp`] | edge mode's MCP client core (I/O-free) and the toolbox of function tools |
//! | [`redact`] | scrubbing secrets over joined fragments, and safe log lines |
//! | [`config`] | configuration read from the environment |
//! | [`error`] | the edge's errors, each with its status, code and safe message |
//! | [`static_files`] | the widget bundle and the demo site |
//! | `component` | (wasm32 only) the Spin entry point and the HTTP I/O: glue only |

pub mod answer;
pub mod config;
pub mod error;
pub mod incoming;
pub mod mcp;
pub mod providers;
pub mod redact;
pub mod servers;
pub mod static_files;

// The paths testkit's hostile tests use to forge and replay sealed ids.
pub use incoming::{continuation, seal};

// `#[http_component]` expands to the component's `unsafe` export glue; no hand-written unsafe.
#[cfg(target_arch = "wasm32")]
#[allow(unsafe_code)]
mod component;
