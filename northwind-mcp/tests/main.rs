//! Integration tests: the real server in-process on `127.0.0.1:0`, spoken to over HTTP.
//!
//! | module | area |
//! |---|---|
//! | `support` | the in-process server and a raw Streamable HTTP client |
//! | `mcp` | initialize, tools/list, tools/call, tool errors, /health |
//! | `auth` | the bearer token check |
//! | `hosts` | the Host header allow-list |
//! | `limit` | the request body cap |
//! | `binary` | the `northwind-mcp` executable: listening line, SIGTERM |
//! | `beyond_tools` | the MCP App chart view, progress of `slow_query`, elicitation of a year |

mod auth;
mod beyond_tools;
mod binary;
mod hosts;
mod limit;
mod mcp;
mod support;
