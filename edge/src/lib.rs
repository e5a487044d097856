//! The Pomerium Chat edge: a Spin HTTP component that sits behind Pomerium's client-mode MCP
//! route, between the widget, Pomerium and the model provider.
//!
//! Pomerium injects `Authorization: Bearer <TE>` into every request. The edge lists the user's
//! MCP servers from Pomerium with that token, calls the provider's Responses API with one `mcp`
//! tool per selected server, and relays the provider's stream to the widget as protocol events,
//! chunk by chunk. The token goes only to Pomerium and, inside the tools of servers Pomerium
//! listed, to the provider; never to the browser or a log line.
//!
//! Everything but the runtime glue builds and tests natively:
//!
//! | module | owns |
//! |---|---|
//! | [`config`] | configuration read from the environment |
//! | [`auth`] | the bearer token from the request, in a type that never prints it |
//! | [`continuation`] | the ids a stream hands out and a request hands back, sealed to their user |
//! | [`cors`] | which page origins may call the edge, and the CORS headers |
//! | [`error`] | the edge's errors, each with its status, code and safe message |
//! | [`headers`] | the security headers of every answer (nosniff, frame-ancestors, referrer) |
//! | [`jwt`] | verifying Pomerium's identity assertion (ES256 JWT) |
//! | [`routes`] | which handler a method and path go to |
//! | [`seal`] | ids handed to the browser, sealed to one user, purpose and expiry (HMAC) |
//! | [`identity`] | who is calling, and how the edge proves it in each mode |
//! | [`policy`] | which tool policy applies to a server (keyed by URL, failing closed) |
//! | [`pomerium`] | Pomerium's server list: parsing, ids, resolving the widget's ids |
//! | [`provider`] | the Responses API request and the mapping of provider failures |
//! | [`translate`] | provider stream events to protocol events |
//! | [`redact`] | scrubbing secrets over joined fragments, and safe log lines |
//! | [`relay`] | the chat stream: provider bytes in, widget SSE bytes out, always ending on purpose |
//! | [`static_files`] | the widget bundle and the demo site |
//! | [`urls`] | origins, query parameters, percent-encoding |
//! | [`tool_mode`] | who runs the MCP tools of an answer: the provider (hosted) or the edge |
//! | [`mcp`] | edge mode's MCP client messages and answers (Streamable HTTP) |
//! | [`toolbox`] | MCP tools as uniquely named function tools, and back |
//! | [`tool_loop`] | edge mode's tool loop as a state machine |
//! | [`pending`] | edge mode's paused tool loop, as the bytes sealed while a call waits for approval |
//! | [`tool_provider`] | edge mode's provider requests and stream decoding (Responses, Chat Completions) |
//! | `component` | (wasm32 only) the Spin entry point and the HTTP I/O |

pub mod answer;
pub mod auth;
pub mod config;
pub mod continuation;
pub mod cors;
pub mod error;
pub mod headers;
pub mod identity;
pub mod incoming;
pub mod jwt;
pub mod mcp;
pub mod pending;
pub mod policy;
pub mod pomerium;
pub mod provider;
pub mod redact;
pub mod relay;
pub mod routes;
pub mod seal;
pub mod static_files;
pub mod tool_loop;
pub mod tool_mode;
pub mod tool_provider;
pub mod toolbox;
pub mod translate;
pub mod urls;

// `#[http_component]` expands to the component's `unsafe` export glue; no hand-written unsafe.
#[cfg(target_arch = "wasm32")]
#[allow(unsafe_code)]
mod component;
