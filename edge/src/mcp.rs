//! Edge tool mode's MCP code: [`client`], the I/O-free MCP client core (messages and answers).

pub mod client;
