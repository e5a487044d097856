//! The fake provider's MCP client: one Streamable HTTP session per `mcp` tool
//! (`shared/protocols.md` §4).
//!
//! [`McpSession::connect`] sends `initialize` (protocol version 2025-06-18, as OpenAI's hosted
//! client does) and `notifications/initialized`; later requests echo `Mcp-Session-Id` and carry
//! `MCP-Protocol-Version`. Every POST carries the tool's `headers` verbatim, so the TE the edge
//! put there is what reaches Pomerium. Answers may be one JSON object or an SSE stream, which is
//! read only until the matching response arrives.

use futures_util::StreamExt;
use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use serde_json::{Value, json};

use protocol::sse::Decoder;

/// The protocol revision the client asks for.
pub(crate) const PROTOCOL_VERSION: &str = "2025-06-18";

/// Why talking to an MCP server failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum McpError {
    /// The server answered with a non-2xx status.
    #[error("Http status code: {0}")]
    Status(u16),
    /// A JSON-RPC error, or a body that is not the expected JSON-RPC response.
    #[error("{0}")]
    Protocol(String),
    /// The connection failed.
    #[error("connection to the mcp server failed")]
    Transport,
}

/// What `tools/call` returned: the concatenated text content and `isError`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ToolResult {
    pub(crate) text: String,
    pub(crate) is_error: bool,
}

/// An initialized session with one MCP server.
pub(crate) struct McpSession {
    http: reqwest::Client,
    url: String,
    headers: HeaderMap,
    session_id: Option<String>,
    /// The negotiated revision; `None` until `initialize` has been answered.
    protocol_version: Option<String>,
    next_id: u64,
}

impl McpSession {
    /// Opens a session: `initialize`, then `notifications/initialized`.
    pub(crate) async fn connect(
        http: &reqwest::Client,
        url: &str,
        headers: &[(String, String)],
    ) -> Result<Self, McpError> {
        let mut session = Self {
            http: http.clone(),
            url: url.to_owned(),
            headers: header_map(headers),
            session_id: None,
            protocol_version: None,
            next_id: 0,
        };
        let params = json!({
            "protocolVersion": PROTOCOL_VERSION,
            "capabilities": {},
            "clientInfo": {"name": "fake-provider", "version": env!("CARGO_PKG_VERSION")},
        });
        let result = session.request("initialize", params).await?;
        let version = result["protocolVersion"]
            .as_str()
            .unwrap_or(PROTOCOL_VERSION);
        session.protocol_version = Some(version.to_owned());
        session.notify("notifications/initialized").await?;
        Ok(session)
    }

    /// Every tool the server lists (following `nextCursor`), as MCP sends them.
    pub(crate) async fn list_tools(&mut self) -> Result<Vec<Value>, McpError> {
        let mut tools = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let params = cursor.map_or_else(|| json!({}), |c| json!({ "cursor": c }));
            let result = self.request("tools/list", params).await?;
            let page = result["tools"]
                .as_array()
                .ok_or_else(|| McpError::Protocol("tools/list result has no tools".to_owned()))?;
            tools.extend(page.iter().cloned());
            match result["nextCursor"].as_str() {
                Some(next) if !next.is_empty() => cursor = Some(next.to_owned()),
                _ => return Ok(tools),
            }
        }
    }

    /// Calls a tool.
    pub(crate) async fn call_tool(
        &mut self,
        name: &str,
        arguments: Value,
    ) -> Result<ToolResult, McpError> {
        let params = json!({ "name": name, "arguments": arguments });
        let result = self.request("tools/call", params).await?;
        let text = result["content"]
            .as_array()
            .map(|parts| {
                parts
                    .iter()
                    .filter(|part| part["type"] == "text")
                    .filter_map(|part| part["text"].as_str())
                    .collect::<Vec<_>>()
                    .join("")
            })
            .unwrap_or_default();
        let is_error = result["isError"].as_bool().unwrap_or(false);
        Ok(ToolResult { text, is_error })
    }

    /// Sends a request and returns its `result`.
    async fn request(&mut self, method: &str, params: Value) -> Result<Value, McpError> {
        self.next_id += 1;
        let id = self.next_id;
        let message = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
        let res = self.post(&message).await?;
        if method == "initialize"
            && let Some(session_id) = res
                .headers()
                .get("mcp-session-id")
                .and_then(|v| v.to_str().ok())
        {
            self.session_id = Some(session_id.to_owned());
        }
        let answer = read_response(res, id).await?;
        if let Some(error) = answer.get("error") {
            let message = error["message"].as_str().unwrap_or("unknown error");
            return Err(McpError::Protocol(format!(
                "JSON-RPC error {}: {message}",
                error["code"]
            )));
        }
        answer
            .get("result")
            .cloned()
            .ok_or_else(|| McpError::Protocol("JSON-RPC response has no result".to_owned()))
    }

    /// Sends a notification (no answer expected beyond a 2xx status).
    async fn notify(&mut self, method: &str) -> Result<(), McpError> {
        self.post(&json!({"jsonrpc": "2.0", "method": method}))
            .await
            .map(drop)
    }

    /// POSTs one message with the session's headers; a non-2xx status is an error.
    async fn post(&self, message: &Value) -> Result<reqwest::Response, McpError> {
        let mut req = self
            .http
            .post(&self.url)
            .header(CONTENT_TYPE, "application/json")
            .header(ACCEPT, "application/json, text/event-stream");
        if let Some(session_id) = &self.session_id {
            req = req.header("mcp-session-id", session_id);
        }
        if let Some(version) = &self.protocol_version {
            req = req.header("mcp-protocol-version", version);
        }
        let res = req
            .headers(self.headers.clone())
            .body(message.to_string())
            .send()
            .await
            .map_err(|_| McpError::Transport)?;
        if !res.status().is_success() {
            return Err(McpError::Status(res.status().as_u16()));
        }
        Ok(res)
    }
}

/// The JSON-RPC response with id `id`, from a JSON body or from an SSE stream (read until that
/// response arrives, skipping notifications and requests the server interleaves).
async fn read_response(res: reqwest::Response, id: u64) -> Result<Value, McpError> {
    let is_sse = res
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/event-stream"));
    if !is_sse {
        let bytes = res.bytes().await.map_err(|_| McpError::Transport)?;
        return serde_json::from_slice(&bytes)
            .map_err(|e| McpError::Protocol(format!("invalid JSON-RPC body: {e}")));
    }
    let mut decoder = Decoder::default();
    let mut body = res.bytes_stream();
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|_| McpError::Transport)?;
        for frame in decoder.push(&chunk) {
            let Ok(message) = serde_json::from_str::<Value>(&frame.data) else {
                continue;
            };
            let answers_us = message["id"] == id
                && (message.get("result").is_some() || message.get("error").is_some());
            if answers_us {
                return Ok(message);
            }
        }
    }
    Err(McpError::Protocol(
        "SSE stream ended without a response".to_owned(),
    ))
}

/// The tool's `headers` as a header map; a name or value that is not valid HTTP is skipped.
fn header_map(headers: &[(String, String)]) -> HeaderMap {
    headers
        .iter()
        .filter_map(|(name, value)| {
            let name = HeaderName::from_bytes(name.as_bytes()).ok()?;
            let value = HeaderValue::from_str(value).ok()?;
            Some((name, value))
        })
        .collect()
}
