//! Which side runs the MCP tools for one answer: the provider (hosted) or the edge.
//!
//! OpenAI's hosted `mcp` tool calls the servers from OpenAI's network, so it works only for
//! servers the internet can reach and only with the Responses API. [`decide`] picks edge mode
//! whenever that cannot work; [`is_publicly_reachable`] is the rule for one server URL. In edge
//! mode the edge itself calls the servers, with [`mcp_authorization`]: the caller's TE to the MCP
//! route Pomerium listed (Pomerium swaps it for the server's TI), or in local mode the server's
//! own configured token. A TE never goes to a server of the local list.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::config::{Config, ProviderKind, ToolMode};
use crate::incoming::auth::BearerToken;
use crate::incoming::urls;
use crate::servers::pomerium::McpServer;

/// Who runs the tools of one answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Runner {
    /// The provider calls the MCP servers (`mcp` tools).
    Provider,
    /// The edge is the MCP client and runs the tool loop.
    Edge,
}

/// The runner for an answer using `servers` under `config`.
///
/// `auto` means: the edge when the provider is not the Responses API, in local mode with servers, or when
/// any selected server URL is not publicly reachable; the provider otherwise.
pub fn decide(config: &Config, servers: &[&McpServer]) -> Runner {
    match config.tools.mode {
        ToolMode::Hosted if config.tools.provider == ProviderKind::Responses => Runner::Provider,
        // Chat Completions has no hosted tools: the edge is the only possible runner.
        ToolMode::Hosted | ToolMode::Edge => Runner::Edge,
        ToolMode::Auto => {
            let edge = config.tools.provider != ProviderKind::Responses
                || (config.is_local() && !servers.is_empty())
                || servers.iter().any(|s| !is_publicly_reachable(&s.info.url));
            if edge { Runner::Edge } else { Runner::Provider }
        }
    }
}

/// The `Authorization` value for the edge's requests to `server` in edge mode.
pub fn mcp_authorization(
    config: &Config,
    server: &McpServer,
    token: Option<&BearerToken>,
) -> Option<String> {
    if config.is_local() {
        return config
            .tools
            .local_servers
            .iter()
            .find(|s| s.url == server.info.url)
            .and_then(|s| s.token.as_deref())
            .map(|t| format!("Bearer {t}"));
    }
    token.map(BearerToken::header_value)
}

/// False for URLs on loopback, private or link-local addresses (10/8, 172.16/12, 192.168/16,
/// 169.254/16, fc00::/7, fe80::/10), unspecified addresses, single-label host names and the
/// `.local`, `.internal`, `.localhost` and `.lan` domains; true for every other `http(s)` URL.
pub fn is_publicly_reachable(url: &str) -> bool {
    let Some(host) = urls::host(url) else {
        return false;
    };
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    if let Ok(ip) = host.parse::<IpAddr>() {
        return match ip {
            IpAddr::V4(v4) => public_v4(v4),
            IpAddr::V6(v6) => public_v6(v6),
        };
    }
    let private_suffix = [".local", ".internal", ".localhost", ".lan", ".home.arpa"]
        .iter()
        .any(|suffix| host.ends_with(suffix));
    host.contains('.') && !private_suffix && !urls::is_loopback_host(&host)
}

fn public_v4(ip: Ipv4Addr) -> bool {
    !(ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast())
}

fn public_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return public_v4(v4);
    }
    let first = ip.segments()[0];
    let unique_local = first & 0xfe00 == 0xfc00;
    let link_local = first & 0xffc0 == 0xfe80;
    !(ip.is_loopback() || ip.is_unspecified() || unique_local || link_local)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::servers::local::local_servers;
    use crate::servers::pomerium::parse_routes;

    #[test]
    fn reachability_rule() {
        for url in [
            "https://db-mcp.example.com/mcp",
            "https://8.8.8.8/mcp",
            "http://172.32.0.1/mcp",
            "https://[2001:db8::1]:443/mcp",
        ] {
            assert!(is_publicly_reachable(url), "{url}");
        }
        for url in [
            "http://127.0.0.1:8931/mcp",
            "http://localhost:3000/mcp",
            "http://10.1.2.3/mcp",
            "http://172.16.0.1/mcp",
            "http://172.31.255.255/mcp",
            "http://192.168.1.10/mcp",
            "http://169.254.169.254/mcp",
            "http://0.0.0.0/mcp",
            "http://[::1]:8931/mcp",
            "http://[fd12::1]/mcp",
            "http://[fe80::1]/mcp",
            "http://[::ffff:10.0.0.1]/mcp",
            "http://northwind:8931/mcp",
            "http://db.local/mcp",
            "https://db.corp.internal/mcp",
            "https://DB.Corp.Internal./mcp",
            "not a url",
        ] {
            assert!(!is_publicly_reachable(url), "{url}");
        }
    }

    fn servers(url: &str) -> Vec<McpServer> {
        parse_routes(format!(r#"{{"servers":[{{"name":"Northwind","url":"{url}"}}]}}"#).as_bytes())
            .unwrap()
    }

    use crate::config::of as config;

    #[test]
    fn local_servers_and_their_tokens() {
        let local = config(&[(
            "mcp_servers",
            r#"[{"name":"Northwind","url":"http://127.0.0.1:8931/mcp","token":"ti_local"},{"name":"Docs","url":"http://127.0.0.1:9/mcp"}]"#,
        )]);
        let servers = local_servers(&local);
        let ids: Vec<&str> = servers.iter().map(|s| s.info.id.as_str()).collect();
        assert_eq!(ids, ["northwind", "docs"]);
        let te = BearerToken::from_header_values(&["Bearer pom_mat_te"]).unwrap();
        assert_eq!(
            mcp_authorization(&local, &servers[0], Some(&te)).as_deref(),
            Some("Bearer ti_local")
        );
        assert_eq!(mcp_authorization(&local, &servers[1], Some(&te)), None);
        let deployed = config(&[
            ("pomerium_url", "https://p.example.com"),
            (
                "mcp_servers",
                r#"[{"name":"N","url":"http://127.0.0.1:8931/mcp"}]"#,
            ),
        ]);
        assert!(local_servers(&deployed).is_empty(), "pomerium_url wins");
        assert_eq!(
            mcp_authorization(&deployed, &servers[0], Some(&te)).as_deref(),
            Some("Bearer pom_mat_te")
        );
    }

    #[test]
    fn auto_picks_the_edge_when_hosted_cannot_work() {
        let public = servers("https://db.example.com/mcp");
        let private = servers("http://127.0.0.1:3001/mcp");
        fn refs(s: &[McpServer]) -> Vec<&McpServer> {
            s.iter().collect()
        }
        let auto = config(&[("pomerium_url", "https://p.example.com")]);
        assert_eq!(decide(&auto, &refs(&public)), Runner::Provider);
        assert_eq!(decide(&auto, &refs(&private)), Runner::Edge);
        assert_eq!(decide(&auto, &[]), Runner::Provider);
        let chat = config(&[("provider", "chat_completions")]);
        assert_eq!(decide(&chat, &refs(&public)), Runner::Edge);
        let hosted = config(&[("tool_mode", "hosted")]);
        assert_eq!(decide(&hosted, &refs(&private)), Runner::Provider);
        let hosted_chat = config(&[("tool_mode", "hosted"), ("provider", "chat_completions")]);
        assert_eq!(decide(&hosted_chat, &refs(&public)), Runner::Edge);
        let edge = config(&[("tool_mode", "edge")]);
        assert_eq!(decide(&edge, &refs(&public)), Runner::Edge);
        let local = config(&[(
            "mcp_servers",
            r#"[{"name":"N","url":"https://db.example.com/mcp"}]"#,
        )]);
        assert_eq!(decide(&local, &refs(&public)), Runner::Edge);
    }
}
