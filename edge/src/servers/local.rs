//! Local mode's servers (no Pomerium): the configured list, listed as Pomerium's would be, so
//! ids, policies and the widget work the same.

use serde_json::json;

use crate::config::Config;
use crate::servers::pomerium::{self, McpServer};

/// The servers of local mode, listed as Pomerium's would be (same ids); empty otherwise.
pub fn local_servers(config: &Config) -> Vec<McpServer> {
    if !config.is_local() {
        return Vec::new();
    }
    let entries: Vec<serde_json::Value> = config
        .tools
        .local_servers
        .iter()
        .map(|s| json!({"name": s.name, "url": s.url, "description": s.description, "connected": true}))
        .collect();
    pomerium::parse_routes(json!({ "servers": entries }).to_string().as_bytes()).unwrap_or_default()
}
