//! Edge tool mode's MCP client: the I/O-free core ([`client`]) that builds the JSON-RPC messages
//! of a Streamable HTTP session and reads their answers. The wasi transport lives in the
//! component; tests drive the same core over a native transport.

pub mod client;
