//! MCP in edge tool mode: the I/O-free client core ([`client`]).

pub mod client;
