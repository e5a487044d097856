//! MCP in edge tool mode: the I/O-free client core ([`client`]) and the toolbox that offers
//! MCP tools to the model ([`toolbox`]). The transport is `component/mcp_http.rs`.

pub mod client;
pub mod toolbox;
