//! The tool-mode part of the configuration: who runs the MCP tools (the provider or the edge),
//! which provider API the edge speaks, the loop's bounds, and the servers of local mode.
//!
//! Local mode (`mcp_servers` set, `pomerium_url` unset) has no Pomerium in front: the edge lists
//! the configured servers itself and needs no bearer token, so anyone who reaches the edge may
//! use those servers. It is meant for an edge bound to a loopback address only.

use serde::Deserialize;

/// Default number of tool rounds before the answer fails.
pub const DEFAULT_MAX_TOOL_ROUNDS: u64 = 8;
/// Default limit on one tool call, in milliseconds.
pub const DEFAULT_TOOL_TIMEOUT_MS: u64 = 30_000;
/// Default cap on one tool result, in bytes.
pub const DEFAULT_MAX_TOOL_RESULT_BYTES: u64 = 16 * 1024;

/// Who runs the MCP tools.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToolMode {
    /// The provider calls the MCP servers itself (OpenAI's hosted `mcp` tool).
    Hosted,
    /// The edge is the MCP client and runs the tool loop.
    Edge,
    /// Edge when a selected server is not publicly reachable or the provider is not the
    /// Responses API; hosted otherwise.
    Auto,
}

/// The API the provider speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProviderKind {
    /// OpenAI's Responses API (`POST {base}/responses`).
    Responses,
    /// Chat Completions (`POST {base}/chat/completions`): Ollama, vLLM, llama.cpp, LM Studio.
    ChatCompletions,
}

/// One MCP server of local mode.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LocalServer {
    /// Display name (its slug is the server id).
    pub name: String,
    /// The server's MCP endpoint.
    pub url: String,
    /// What the server offers.
    #[serde(default)]
    pub description: Option<String>,
    /// Sent as `Authorization: Bearer <token>` to this server only.
    #[serde(default)]
    pub token: Option<String>,
}

impl std::fmt::Debug for LocalServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalServer")
            .field("name", &self.name)
            .field("url", &self.url)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .finish_non_exhaustive()
    }
}

/// The tool-mode settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolConfig {
    /// Who runs the tools.
    pub mode: ToolMode,
    /// The provider's API.
    pub provider: ProviderKind,
    /// Tool rounds allowed before the answer fails.
    pub max_rounds: usize,
    /// Limit on one tool call, in milliseconds.
    pub timeout_ms: u64,
    /// Cap on one tool result, in bytes; longer results are cut with a note.
    pub max_result_bytes: usize,
    /// The servers of local mode (empty otherwise).
    pub local_servers: Vec<LocalServer>,
}

impl ToolMode {
    /// The setting's value, as `tool_mode` spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Hosted => "hosted",
            Self::Edge => "edge",
            Self::Auto => "auto",
        }
    }
}

impl ProviderKind {
    /// The setting's value, as `provider` spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Responses => "responses",
            Self::ChatCompletions => "chat_completions",
        }
    }
}

impl ToolConfig {
    /// Reads the tool keys (listed in `config::KEYS`) through `get` (trimmed, empty counts as unset); bad
    /// values fall back to their defaults and are noted in `problems`.
    pub(crate) fn read(get: &dyn Fn(&str) -> Option<String>, problems: &mut Vec<String>) -> Self {
        let mode = match get("tool_mode").as_deref() {
            None | Some("auto") => ToolMode::Auto,
            Some("hosted") => ToolMode::Hosted,
            Some("edge") => ToolMode::Edge,
            Some(_) => {
                problems.push("tool_mode must be hosted, edge or auto".to_owned());
                ToolMode::Auto
            }
        };
        let provider = match get("provider").as_deref() {
            None | Some("responses") => ProviderKind::Responses,
            Some("chat_completions") => ProviderKind::ChatCompletions,
            Some(_) => {
                problems.push("provider must be responses or chat_completions".to_owned());
                ProviderKind::Responses
            }
        };
        let mut number = |name: &str, default: u64| match get(name) {
            Some(text) => text.parse().unwrap_or_else(|_| {
                problems.push(format!("{name} is not a whole number"));
                default
            }),
            None => default,
        };
        let max_rounds = number("max_tool_rounds", DEFAULT_MAX_TOOL_ROUNDS);
        let timeout_ms = number("tool_timeout_ms", DEFAULT_TOOL_TIMEOUT_MS).max(10);
        let max_result_bytes = number("max_tool_result_bytes", DEFAULT_MAX_TOOL_RESULT_BYTES);
        let local_servers = match get("mcp_servers") {
            Some(json) => serde_json::from_str(&json).unwrap_or_else(|e| {
                problems.push(format!("mcp_servers is not valid: {e}"));
                Vec::new()
            }),
            None => Vec::new(),
        };
        Self {
            mode,
            provider,
            max_rounds: usize::try_from(max_rounds).unwrap_or(usize::MAX),
            timeout_ms,
            max_result_bytes: usize::try_from(max_result_bytes.max(256)).unwrap_or(usize::MAX),
            local_servers,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(vars: &[(&str, &str)]) -> (ToolConfig, Vec<String>) {
        let get = |name: &str| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        };
        let mut problems = Vec::new();
        (ToolConfig::read(&get, &mut problems), problems)
    }

    #[test]
    fn settings_spell_as_they_are_read() {
        for word in ["hosted", "edge", "auto"] {
            let (c, _) = read(&[("tool_mode", word)]);
            assert_eq!(c.mode.as_str(), word);
        }
        for word in ["responses", "chat_completions"] {
            let (c, _) = read(&[("provider", word)]);
            assert_eq!(c.provider.as_str(), word);
        }
    }

    #[test]
    fn defaults() {
        let (c, problems) = read(&[]);
        assert_eq!(c.mode, ToolMode::Auto);
        assert_eq!(c.provider, ProviderKind::Responses);
        assert_eq!(
            (c.max_rounds, c.timeout_ms, c.max_result_bytes),
            (8, 30_000, 16_384)
        );
        assert!(c.local_servers.is_empty());
        assert!(problems.is_empty());
    }

    #[test]
    fn reads_every_key_and_hides_server_tokens() {
        let (c, problems) = read(&[
            ("tool_mode", "edge"),
            ("provider", "chat_completions"),
            ("max_tool_rounds", "2"),
            ("tool_timeout_ms", "500"),
            ("max_tool_result_bytes", "1000"),
            (
                "mcp_servers",
                r#"[{"name":"Northwind","url":"http://127.0.0.1:8931/mcp","token":"ti_local"}]"#,
            ),
        ]);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(
            (c.mode, c.provider, c.max_rounds, c.timeout_ms),
            (ToolMode::Edge, ProviderKind::ChatCompletions, 2, 500)
        );
        assert_eq!(c.max_result_bytes, 1000);
        assert_eq!(c.local_servers[0].token.as_deref(), Some("ti_local"));
        assert!(!format!("{c:?}").contains("ti_local"));
    }

    #[test]
    fn bad_values_are_problems() {
        let (c, problems) = read(&[
            ("tool_mode", "sometimes"),
            ("provider", "claude"),
            ("max_tool_rounds", "many"),
            ("mcp_servers", r#"[{"url":"x"}]"#),
        ]);
        assert_eq!(problems.len(), 4, "{problems:?}");
        assert_eq!((c.mode, c.max_rounds), (ToolMode::Auto, 8));
    }
}
