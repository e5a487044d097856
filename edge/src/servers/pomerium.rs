//! Pomerium's MCP server list (`GET /.pomerium/mcp/routes`), as the edge uses it.
//!
//! The edge fetches the list with the caller's token, gives each server a stable id, and later
//! resolves the ids the widget sends back against a freshly fetched list. A server id is the
//! only way the browser can name a server: a URL from the browser is never called.

use protocol::{ServerInfo, ServerList};
use serde::Deserialize;

use crate::error::EdgeError;
use crate::incoming::urls;

/// Pomerium's path for the server list.
pub const ROUTES_PATH: &str = "/.pomerium/mcp/routes";
/// Pomerium's path for disconnecting servers (same answer as the list).
pub const DISCONNECT_PATH: &str = "/.pomerium/mcp/routes/disconnect";
/// Pomerium's path, on a server's origin, that connects it (upstream sign-in) and comes back.
pub const CONNECT_PATH: &str = "/.pomerium/mcp/connect";

/// One MCP server the user may use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct McpServer {
    /// What the widget sees (its `id` doubles as the provider's `server_label`).
    pub info: ServerInfo,
}

/// The routes endpoint's JSON, as documented (unknown fields ignored). Pomerium writes a user
/// without MCP routes as `{"servers": null}` (Go's nil slice): an empty list.
#[derive(Debug, Deserialize)]
struct RoutesBody {
    #[serde(default)]
    servers: Option<Vec<RouteEntry>>,
}

#[derive(Debug, Deserialize)]
struct RouteEntry {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    logo_url: Option<String>,
    url: String,
    #[serde(default)]
    connected: bool,
    #[serde(default)]
    needs_oauth: bool,
}

/// The URL of the server list on Pomerium at `pomerium_url`.
pub fn routes_url(pomerium_url: &str) -> String {
    format!("{}{ROUTES_PATH}", pomerium_url.trim_end_matches('/'))
}

/// The URL that disconnects servers on Pomerium at `pomerium_url`.
pub fn disconnect_url(pomerium_url: &str) -> String {
    format!("{}{DISCONNECT_PATH}", pomerium_url.trim_end_matches('/'))
}

/// The body of a disconnect call: `{"routes":["<server url>", ...]}`.
pub fn disconnect_body(servers: &[&McpServer]) -> String {
    serde_json::json!({ "routes": servers.iter().map(|s| s.info.url.as_str()).collect::<Vec<_>>() })
        .to_string()
}

/// Checks the page URL the widget wants to come back to after connecting: absolute `https`
/// (or `http` on a loopback host, for local demos), no user info.
pub fn redirect_url(url: &str) -> Result<&str, EdgeError> {
    let origin = urls::origin(url).ok_or(EdgeError::BadRedirectUrl)?;
    let secure =
        origin.starts_with("https://") || urls::host(url).is_some_and(urls::is_loopback_host);
    if !secure || url.len() > 2048 {
        return Err(EdgeError::BadRedirectUrl);
    }
    Ok(url)
}

/// Sets each server's `connect_url`: its origin's connect endpoint, back to `redirect`.
pub fn add_connect_urls(servers: &mut [McpServer], redirect: &str) {
    for server in servers {
        server.info.connect_url = urls::origin(&server.info.url).map(|origin| {
            format!(
                "{origin}{CONNECT_PATH}?redirect_url={}",
                urls::percent_encode(redirect)
            )
        });
    }
}

/// Parses the routes endpoint's body into servers with unique ids.
///
/// Entries whose URL is not plain `http(s)://host/...` (no user info) are dropped.
pub fn parse_routes(body: &[u8]) -> Result<Vec<McpServer>, EdgeError> {
    let routes: RoutesBody =
        serde_json::from_slice(body).map_err(|_| EdgeError::PomeriumMalformed)?;
    let entries = routes.servers.unwrap_or_default();
    let mut servers: Vec<McpServer> = Vec::with_capacity(entries.len());
    for entry in entries {
        let Some(host) = urls::host(&entry.url) else {
            continue;
        };
        let base = entry
            .name
            .as_deref()
            .filter(|n| !n.trim().is_empty())
            .unwrap_or_else(|| host.split('.').next().unwrap_or(host));
        let mut id = slug(base);
        let mut n = 2;
        while servers.iter().any(|s| s.info.id == id) {
            id = format!("{}-{n}", slug(base));
            n += 1;
        }
        let name = entry
            .name
            .filter(|n| !n.trim().is_empty())
            .unwrap_or_else(|| host.split('.').next().unwrap_or(host).to_owned());
        servers.push(McpServer {
            info: ServerInfo {
                id,
                name,
                description: entry.description,
                logo_url: entry.logo_url,
                url: entry.url,
                connected: entry.connected,
                needs_oauth: entry.needs_oauth,
                connect_url: None,
            },
        });
    }
    Ok(servers)
}

/// The list as the widget sees it.
pub fn server_list(servers: &[McpServer]) -> ServerList {
    ServerList {
        servers: servers.iter().map(|s| s.info.clone()).collect(),
    }
}

/// Resolves the widget's server ids; any id not in `servers` is an error, and no server is used.
pub fn resolve<'a>(
    servers: &'a [McpServer],
    ids: &[String],
) -> Result<Vec<&'a McpServer>, EdgeError> {
    let mut picked: Vec<&McpServer> = Vec::with_capacity(ids.len());
    for id in ids {
        let server = servers
            .iter()
            .find(|s| &s.info.id == id)
            .ok_or_else(|| EdgeError::UnknownServer(id.chars().take(80).collect()))?;
        if !picked.iter().any(|p| p.info.id == server.info.id) {
            picked.push(server);
        }
    }
    Ok(picked)
}

/// Letters, digits and `-`, starting with a letter: usable as a provider `server_label`.
fn slug(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    let mut out: String = out.trim_end_matches('-').chars().take(40).collect();
    if !out.starts_with(|c: char| c.is_ascii_alphabetic()) {
        out.insert_str(0, if out.is_empty() { "mcp" } else { "mcp-" });
    }
    out.trim_end_matches('-').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROUTES: &str = r#"{"servers":[
        {"name":"Northwind DB","description":"Sales data","logo_url":"https://x/logo.png","url":"https://northwind.corp.example/mcp","connected":true,"needs_oauth":false,"extra":1},
        {"url":"https://github-mcp.corp.example/mcp","connected":false},
        {"name":"Northwind DB","url":"http://127.0.0.1:3003/mcp"},
        {"name":"Evil","url":"https://user@evil.example/mcp"},
        {"name":"Files","url":"file:///etc/passwd"}
    ]}"#;

    #[test]
    fn parses_and_names_servers() {
        let servers = parse_routes(ROUTES.as_bytes()).unwrap();
        let ids: Vec<&str> = servers.iter().map(|s| s.info.id.as_str()).collect();
        assert_eq!(ids, ["northwind-db", "github-mcp", "northwind-db-2"]);
        assert_eq!(servers[1].info.name, "github-mcp");
        assert_eq!(servers[0].info.description.as_deref(), Some("Sales data"));
        assert!(servers[0].info.connected);
    }

    #[test]
    fn null_or_absent_servers_are_an_empty_list() {
        for body in [r#"{"servers":null}"#, "{}", r#"{"servers":[]}"#] {
            assert_eq!(parse_routes(body.as_bytes()).unwrap(), vec![], "{body}");
        }
    }

    #[test]
    fn malformed_body_is_an_error() {
        assert!(matches!(
            parse_routes(b"<html>"),
            Err(EdgeError::PomeriumMalformed)
        ));
        assert!(matches!(
            parse_routes(br#"{"servers":[{"name":"x"}]}"#),
            Err(EdgeError::PomeriumMalformed)
        ));
    }

    #[test]
    fn resolves_only_listed_ids() {
        let servers = parse_routes(ROUTES.as_bytes()).unwrap();
        let ids = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        let picked = resolve(&servers, &ids(&["github-mcp", "github-mcp"])).unwrap();
        assert_eq!(picked.len(), 1);
        for bad in [
            "https://evil.example/mcp",
            "evil",
            "northwind-db ",
            "NORTHWIND-DB",
            "",
        ] {
            assert!(
                matches!(
                    resolve(&servers, &ids(&["northwind-db", bad])),
                    Err(EdgeError::UnknownServer(_))
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn connect_and_disconnect() {
        let mut servers = parse_routes(ROUTES.as_bytes()).unwrap();
        add_connect_urls(
            &mut servers,
            redirect_url("https://intranet.corp.example/page?a=1").unwrap(),
        );
        assert_eq!(
            servers[0].info.connect_url.as_deref(),
            Some(
                "https://northwind.corp.example/.pomerium/mcp/connect?redirect_url=https%3A%2F%2Fintranet.corp.example%2Fpage%3Fa%3D1"
            )
        );
        for bad in [
            "http://intranet.corp.example/",
            "javascript:alert(1)",
            "https://u@x.example/",
            "/relative",
            "",
        ] {
            assert!(redirect_url(bad).is_err(), "{bad}");
        }
        assert!(redirect_url("http://127.0.0.1:3000/").is_ok());
        let body: serde_json::Value =
            serde_json::from_str(&disconnect_body(&[&servers[1]])).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"routes":["https://github-mcp.corp.example/mcp"]})
        );
    }

    #[test]
    fn slugs_start_with_a_letter() {
        assert_eq!(slug("127"), "mcp-127");
        assert_eq!(slug("  "), "mcp");
        assert_eq!(slug("Ünïcode Tools!"), "n-code-tools");
    }
}
