//! The MCP servers the edge offers to the widget (`GET /api/servers`).
//!
//! The edge builds this list from Pomerium's `/.pomerium/mcp/routes`; the widget shows it and
//! sends the [`ServerInfo::id`]s back in a chat request.

use serde::{Deserialize, Serialize};

/// The body of `GET /api/servers`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ServerList {
    /// The servers this user may use, in Pomerium's order.
    pub servers: Vec<ServerInfo>,
}

/// One MCP server as the widget sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerInfo {
    /// Stable id to send back in [`crate::ChatRequest::servers`]: letters, digits, `-`, `_`,
    /// starting with a letter (also usable as the provider's `server_label`).
    pub id: String,
    /// Display name.
    pub name: String,
    /// What the server offers, when Pomerium knows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Logo to show beside the name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logo_url: Option<String>,
    /// The server's MCP endpoint (for display; the browser never sends it back).
    pub url: String,
    /// Pomerium holds an upstream token for this server.
    #[serde(default)]
    pub connected: bool,
    /// The server needs an upstream sign-in before it can be used.
    #[serde(default)]
    pub needs_oauth: bool,
    /// Where to send the user to connect (upstream sign-in), then back to the `redirect_url`
    /// the widget passed to `GET /api/servers`; absent without one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connect_url: Option<String>,
}

/// The body of `POST /api/servers/disconnect`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DisconnectRequest {
    /// Ids of the servers to disconnect.
    pub servers: Vec<String>,
}

/// The body of `GET /api/models`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ModelList {
    /// The models a chat request may name.
    pub models: Vec<String>,
    /// The one used when a request names none.
    pub default: String,
    /// A line the chat shows under its greeting (the edge's `model_notice`), such as "demo
    /// model: scripted answers; set OPENAI_API_KEY for a real one".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notice: Option<String>,
    /// The provider's own tools (`web_search`, `code_interpreter`) the edge enables, each for
    /// the models it names; a request may name one only with one of those models.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hosted_tools: Vec<HostedToolOffer>,
}

/// One provider-hosted tool the edge offers, and the models it is offered with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostedToolOffer {
    /// The tool's name, as a chat request names it (`web_search`, `code_interpreter`).
    pub name: String,
    /// The models it is enabled for.
    pub models: Vec<String>,
}
