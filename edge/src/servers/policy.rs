//! Which tool policy applies to a server: keyed by the server's URL, failing closed.
//!
//! `mcp_policies` is a JSON object from key to [`ServerPolicy`]. A key is the server's MCP URL
//! as Pomerium lists it (`https://northwind.corp.example/mcp`; a trailing `/` is ignored): it
//! does not change when a route is renamed. The older key, the server id the edge derives from
//! the display name (`northwind`), is still read when it is unambiguous, that is when no URL key
//! names the same server; a server named by both refuses the chat. Servers no key names get
//! `mcp_default_policy` (itself a [`ServerPolicy`], default: `{}`).
//!
//! A setting that does not parse is never dropped: every chat that selects a server is refused
//! (503 `invalid_configuration`, naming the setting), and `/api/health` says why.

use std::collections::BTreeMap;

use protocol::ServerInfo;

use crate::config::ServerPolicy;
use crate::error::EdgeError;
use crate::mcp::client::ToolDef;

/// The parsed policy settings.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Policies {
    by_key: BTreeMap<String, ServerPolicy>,
    default: ServerPolicy,
    /// The first setting that did not parse.
    invalid: Option<&'static str>,
}

impl Policies {
    /// Reads `mcp_policies` and `mcp_default_policy` (unset: none and `{}`); problems go to
    /// `problems`.
    pub fn read(policies: Option<&str>, default: Option<&str>, problems: &mut Vec<String>) -> Self {
        let mut invalid = None;
        let by_key: BTreeMap<String, ServerPolicy> = policies
            .and_then(|json| parse("mcp_policies", json, problems, &mut invalid))
            .unwrap_or_default();
        let default = default
            .and_then(|json| parse("mcp_default_policy", json, problems, &mut invalid))
            .unwrap_or_default();
        Self {
            by_key: by_key
                .into_iter()
                .map(|(k, v)| (k.trim_end_matches('/').to_owned(), v))
                .collect(),
            default,
            invalid,
        }
    }

    /// Whether the settings parsed; checked before any server is listed, so a chat that selects
    /// a server under a broken setting reaches nothing.
    pub fn valid(&self) -> Result<(), EdgeError> {
        match self.invalid {
            Some(setting) => Err(EdgeError::InvalidConfiguration(setting)),
            None => Ok(()),
        }
    }

    /// The policy of `server`, or why the chat must be refused.
    pub fn for_server(&self, server: &ServerInfo) -> Result<ServerPolicy, EdgeError> {
        if let Some(setting) = self.invalid {
            return Err(EdgeError::InvalidConfiguration(setting));
        }
        let by_url = self.by_key.get(server.url.trim_end_matches('/'));
        let by_id = self.by_key.get(&server.id);
        match (by_url, by_id) {
            (Some(_), Some(_)) => Err(EdgeError::InvalidConfiguration("mcp_policies")),
            (Some(policy), None) | (None, Some(policy)) => Ok(policy.clone()),
            (None, None) => Ok(self.default.clone()),
        }
    }

    /// Checks that every server of a chat has a policy.
    pub fn check(&self, servers: &[&ServerInfo]) -> Result<(), EdgeError> {
        servers
            .iter()
            .try_for_each(|s| self.for_server(s).map(drop))
    }

    /// The policy of `server`; when it has none ([`Policies::check`] refused the chat), the
    /// strictest one: no tools, and approval for any call.
    pub fn get(&self, server: &ServerInfo) -> ServerPolicy {
        self.for_server(server).unwrap_or(ServerPolicy {
            require_approval: crate::config::Approval::Always,
            allowed_tools: Some(Vec::new()),
        })
    }
}

impl ServerPolicy {
    /// Whether the policy lets the model use the tool named `tool` (all tools without an
    /// `allowed_tools` list).
    pub fn allows(&self, tool: &str) -> bool {
        self.allowed_tools
            .as_ref()
            .is_none_or(|allowed| allowed.iter().any(|name| name == tool))
    }

    /// The tools of a server's listing that the policy lets the model use, in listed order.
    pub fn filter_tools(&self, tools: Vec<ToolDef>) -> Vec<ToolDef> {
        tools.into_iter().filter(|t| self.allows(&t.name)).collect()
    }
}

/// The setting `name`'s JSON; when it does not parse, a problem and `invalid` set.
fn parse<T: serde::de::DeserializeOwned>(
    name: &'static str,
    json: &str,
    problems: &mut Vec<String>,
    invalid: &mut Option<&'static str>,
) -> Option<T> {
    serde_json::from_str(json)
        .map_err(|e| {
            problems.push(format!(
                "{name} is not valid ({e}); chats that select a server are refused"
            ));
            invalid.get_or_insert(name);
        })
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server(id: &str, url: &str) -> ServerInfo {
        ServerInfo {
            id: id.into(),
            name: id.into(),
            description: None,
            logo_url: None,
            url: url.into(),
            connected: true,
            needs_oauth: false,
            connect_url: None,
        }
    }

    fn read(policies: Option<&str>, default: Option<&str>) -> (Policies, Vec<String>) {
        let mut problems = Vec::new();
        (Policies::read(policies, default, &mut problems), problems)
    }

    const NW: &str = "https://northwind.corp.example/mcp";

    #[test]
    fn allowed_tools_filter_a_listing_and_no_list_allows_all() {
        let tool = |name: &str| ToolDef {
            name: name.into(),
            description: String::new(),
            input_schema: serde_json::json!({"type": "object"}),
            hints: Default::default(),
        };
        let listing = || vec![tool("read_query"), tool("write_query"), tool("list_tables")];
        let names = |tools: Vec<ToolDef>| tools.into_iter().map(|t| t.name).collect::<Vec<_>>();
        let (policies, _) = read(
            Some(r#"{"northwind": {"allowed_tools": ["list_tables", "read_query", "nope"]}}"#),
            None,
        );
        let policy = policies.get(&server("northwind", NW));
        assert_eq!(
            names(policy.filter_tools(listing())),
            ["read_query", "list_tables"]
        );
        assert!(!policy.allows("write_query") && !policy.allows(""));
        let open = policies.get(&server("other", "https://other.example/mcp"));
        assert_eq!(names(open.filter_tools(listing())).len(), 3);
        // A broken setting lets no tool through.
        let (broken, _) = read(Some("{not json"), None);
        assert!(
            broken
                .get(&server("northwind", NW))
                .filter_tools(listing())
                .is_empty()
        );
    }

    #[test]
    fn url_keys_survive_a_rename() {
        let (p, problems) = read(
            Some(r#"{"https://northwind.corp.example/mcp/":{"require_approval":"always"}}"#),
            None,
        );
        assert!(problems.is_empty());
        for id in ["northwind", "northwind-db-renamed"] {
            assert!(p.get(&server(id, NW)).require_approval.always(), "{id}");
        }
        assert_eq!(
            p.get(&server("github", "https://gh.corp.example/mcp")),
            ServerPolicy::default()
        );
    }

    #[test]
    fn id_keys_count_only_when_unambiguous() {
        let (p, _) = read(
            Some(r#"{"northwind":{"allowed_tools":["read_query"]}}"#),
            None,
        );
        assert_eq!(
            p.get(&server("northwind", NW)).allowed_tools,
            Some(vec!["read_query".to_owned()])
        );
        let both = format!(r#"{{"northwind":{{}},"{NW}":{{"require_approval":true}}}}"#);
        let (p, _) = read(Some(&both), None);
        assert!(matches!(
            p.for_server(&server("northwind", NW)),
            Err(EdgeError::InvalidConfiguration("mcp_policies"))
        ));
        assert!(p.check(&[&server("northwind", NW)]).is_err());
        assert!(
            p.check(&[&server("other", "https://o.example/mcp")])
                .is_ok()
        );
    }

    #[test]
    fn unlisted_servers_get_the_default_policy() {
        let (p, _) = read(None, Some(r#"{"require_approval":"always"}"#));
        assert!(p.get(&server("x", NW)).require_approval.always());
    }

    #[test]
    fn invalid_settings_refuse_every_server_and_say_why() {
        for (policies, default, setting) in [
            (
                Some(r#"{"x":{"require_approval":"Always"}}"#),
                None,
                "mcp_policies",
            ),
            (
                Some(r#"{"x":{"allowed_tool":["a"]}}"#),
                None,
                "mcp_policies",
            ),
            (Some("[]"), None, "mcp_policies"),
            (
                None,
                Some(r#"{"require_approval":"sometimes"}"#),
                "mcp_default_policy",
            ),
        ] {
            let (p, problems) = read(policies, default);
            assert!(p.valid().is_err());
            assert_eq!(problems.len(), 1, "{problems:?}");
            assert!(problems[0].starts_with(setting), "{problems:?}");
            let err = p.for_server(&server("x", NW)).unwrap_err();
            assert!(
                matches!(err, EdgeError::InvalidConfiguration(s) if s == setting),
                "{err:?}"
            );
            let strictest = p.get(&server("x", NW));
            assert!(strictest.require_approval.always());
            assert_eq!(strictest.allowed_tools, Some(vec![]));
        }
    }
}
