//! The edge's MCP client, without I/O: the JSON-RPC messages of a Streamable HTTP session and
//! the reading of their answers (`shared/protocols.md` §4).
//!
//! A session is `initialize` (protocol version [`PROTOCOL_VERSION`]), then
//! `notifications/initialized`, then `tools/list` and `tools/call`. Every POST carries
//! `Accept: application/json, text/event-stream`; after `initialize` it also carries the
//! `Mcp-Session-Id` the server handed out (if any) and `MCP-Protocol-Version`. An answer is one
//! JSON object or an SSE stream; [`ReplyReader`] takes either, chunk by chunk, and stops at the
//! response with the request's id. The component does the I/O with `spin_sdk::http::send`.
//!
//! Why not the `rmcp` crate: its client transports are built on reqwest and tokio, which do not
//! target `wasm32-wasip2` with Spin's outgoing HTTP, so this small client stands in for it.
//!
//! Beyond tool calls (issue 14), each in its own submodule:
//! - [`versions`]: the revisions the edge implements, negotiation, the stateless 2026-07-28
//!   envelope, session expiry and the `DELETE` that ends a session;
//! - [`messages`]: what a server sends on a call's stream besides the response (progress,
//!   elicitation requests), and `notifications/cancelled`;
//! - [`results`]: a `tools/call` result as typed parts, and what the model receives of each;
//! - [`elicitation`]: form and URL requests, the user's answer, the "input required" retry;
//! - [`prompts`]: `prompts/list` and `prompts/get`;
//! - [`apps`]: MCP Apps (a tool's `ui://` view and its `resources/read`).

pub mod apps;
pub mod elicitation;
pub mod messages;
pub mod prompts;
pub mod results;
pub mod versions;

pub use messages::{Progress, ServerMessage};
pub use versions::{Capabilities, Recovery, SUPPORTED_VERSIONS};

use protocol::sse;
use serde_json::{Value, json};

/// The revision the edge proposes in `initialize`: the newest one reached by that handshake
/// (2026-07-28 has no `initialize`; see [`versions`]). Callers that need the whole list use
/// [`SUPPORTED_VERSIONS`].
pub const PROTOCOL_VERSION: &str = "2025-11-25";

/// Why talking to an MCP server failed; messages are safe to show (no token, no body).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum McpError {
    /// The server (or Pomerium in front of it) refused the credentials.
    #[error("the MCP server refused the credentials (401): connect or sign in again")]
    Unauthorized,
    /// Another non-2xx status.
    #[error("the MCP server answered with status {0}")]
    Status(u16),
    /// A JSON-RPC error, or an answer that is not the expected JSON-RPC response.
    #[error("the MCP server sent an unexpected answer: {0}")]
    Protocol(String),
    /// The connection failed.
    #[error("the MCP server could not be reached")]
    Transport,
    /// The server did not answer in time.
    #[error("the MCP server did not answer within {0} ms")]
    Timeout(u64),
    /// The reply is larger than the edge reads; reading stopped at the limit.
    #[error("the MCP server's reply is larger than {0} bytes")]
    TooLarge(usize),
    /// The server no longer knows the session (it expired or was ended): initialize again.
    #[error("the MCP server no longer knows the session")]
    SessionExpired,
    /// The server speaks only protocol revisions the edge does not implement.
    #[error("the MCP server speaks protocol version {0}, which the edge does not implement")]
    UnsupportedVersion(String),
}

/// One tool a server listed.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolDef {
    /// The tool's name on its server.
    pub name: String,
    /// What it does, for the model.
    pub description: String,
    /// The JSON Schema of its arguments.
    pub input_schema: Value,
    /// What the tool says about itself (untrusted).
    pub hints: ToolHints,
}

/// A tool's MCP annotations that bear on approval: `None` where the tool says nothing.
///
/// Annotations are untrusted hints (the MCP specification says so): the edge uses them only to
/// decide whether to ask the user, never to skip a policy or widen `allowed_tools`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ToolHints {
    /// `readOnlyHint` (spec default false).
    pub read_only: Option<bool>,
    /// `destructiveHint` (spec default true; meaningful only when not read-only).
    pub destructive: Option<bool>,
    /// `openWorldHint` (spec default true).
    pub open_world: Option<bool>,
}

impl ToolHints {
    /// Reads `annotations`; anything that is not a boolean counts as unsaid.
    pub fn from_annotations(annotations: &Value) -> Self {
        Self {
            read_only: annotations["readOnlyHint"].as_bool(),
            destructive: annotations["destructiveHint"].as_bool(),
            open_world: annotations["openWorldHint"].as_bool(),
        }
    }

    /// Whether a call waits for the user under `require_approval: "annotations"`.
    ///
    /// The edge asks when the tool may be destructive or reaches an open world. A missing hint
    /// counts as the specification's default: a tool that is not read-only is destructive and
    /// open-world unless it says otherwise, so a tool without annotations asks. A tool that
    /// says `readOnlyHint: true` runs, unless it also says `openWorldHint: true` (a read-only
    /// tool that reaches outside can still carry data out); for it, a missing `openWorldHint`
    /// is not held against it, and `destructiveHint` means nothing (spec).
    pub fn needs_approval(self) -> bool {
        let read_only = self.read_only == Some(true);
        let destructive = !read_only && self.destructive.unwrap_or(true);
        let open_world = self.open_world.unwrap_or(!read_only);
        destructive || open_world
    }
}

/// The state of one session: what later requests must carry.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Session {
    /// `Mcp-Session-Id` from the `initialize` answer.
    pub session_id: Option<String>,
    /// The negotiated revision; `None` until `initialize` was answered.
    pub protocol_version: Option<String>,
    next_id: u64,
    /// What the edge declares it can do (sent in `initialize` or in each 2026 request).
    capabilities: Capabilities,
    /// Whether the session was already renewed once after a `404` (see [`Session::recover`]).
    renewed: bool,
}

impl Session {
    /// A new request id.
    pub fn next_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// The headers of every POST in this session (`authorization` is the full header value).
    pub fn headers(&self, authorization: Option<&str>) -> Vec<(&'static str, String)> {
        let mut res = vec![
            ("content-type", "application/json".to_owned()),
            ("accept", "application/json, text/event-stream".to_owned()),
        ];
        if let Some(id) = &self.session_id {
            res.push(("mcp-session-id", id.clone()));
        }
        if let Some(version) = &self.protocol_version {
            res.push(("mcp-protocol-version", version.clone()));
        }
        if let Some(value) = authorization {
            res.push(("authorization", value.to_owned()));
        }
        res
    }

    /// The session of an earlier request, rejoined (no `initialize`): its id and revision;
    /// new request ids start above `last_id`.
    pub fn rejoin(session_id: Option<&str>, version: &str, last_id: u64) -> Self {
        Self {
            session_id: session_id.map(str::to_owned),
            protocol_version: Some(version.to_owned()),
            next_id: last_id,
            ..Self::default()
        }
    }

    /// The last request id used.
    pub fn last_id(&self) -> u64 {
        self.next_id
    }

    /// Takes in the `initialize` answer: its `Mcp-Session-Id` header and `result`.
    pub fn initialized(&mut self, session_id: Option<String>, result: &Value) {
        self.session_id = session_id.filter(|s| !s.is_empty());
        let version = result["protocolVersion"]
            .as_str()
            .unwrap_or(PROTOCOL_VERSION);
        self.protocol_version = Some(version.to_owned());
    }
}

/// The `initialize` request, declaring no client capabilities.
pub fn initialize(id: u64) -> String {
    versions::initialize_with(id, &Capabilities::default())
}

/// Who the edge is, in `initialize` and in each 2026-07-28 request.
fn client_info() -> Value {
    json!({"name": "pomerium-chat-edge", "version": env!("CARGO_PKG_VERSION")})
}

/// The `notifications/initialized` notification.
pub fn initialized() -> String {
    json!({"jsonrpc": "2.0", "method": "notifications/initialized"}).to_string()
}

/// A `tools/list` request, for the page after `cursor`.
pub fn list_tools(id: u64, cursor: Option<&str>) -> String {
    let params = cursor.map_or_else(|| json!({}), |c| json!({ "cursor": c }));
    request(id, "tools/list", params)
}

/// A `tools/call` request; `arguments` is the model's JSON text (empty means `{}`).
pub fn call_tool(id: u64, name: &str, arguments: &str) -> Result<String, McpError> {
    let arguments = call_arguments(arguments)?;
    Ok(request(
        id,
        "tools/call",
        json!({"name": name, "arguments": arguments}),
    ))
}

/// A `tools/call` request that asks for progress: `_meta.progressToken` is `token` (unique
/// among the edge's running calls to this server); the server then sends
/// `notifications/progress` on the call's SSE stream ([`ReplyReader::take_messages`]).
pub fn call_tool_with_progress(
    id: u64,
    name: &str,
    arguments: &str,
    token: &str,
) -> Result<String, McpError> {
    let arguments = call_arguments(arguments)?;
    Ok(request(
        id,
        "tools/call",
        json!({"name": name, "arguments": arguments, "_meta": {"progressToken": token}}),
    ))
}

/// The model's argument text as a JSON object.
fn call_arguments(arguments: &str) -> Result<Value, McpError> {
    let arguments: Value = match arguments.trim() {
        "" => json!({}),
        text => serde_json::from_str(text)
            .map_err(|e| McpError::Protocol(format!("the arguments are not JSON: {e}")))?,
    };
    if !arguments.is_object() {
        return Err(McpError::Protocol(
            "the arguments are not a JSON object".to_owned(),
        ));
    }
    Ok(arguments)
}

fn request(id: u64, method: &str, params: Value) -> String {
    json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}).to_string()
}

/// The error for a non-2xx status.
pub fn status_error(status: u16) -> McpError {
    match status {
        401 => McpError::Unauthorized,
        _ => McpError::Status(status),
    }
}

/// A `tools/list` result: the tools and the next page's cursor.
pub fn parse_tools(result: &Value) -> Result<(Vec<ToolDef>, Option<String>), McpError> {
    let tools = result["tools"]
        .as_array()
        .ok_or_else(|| McpError::Protocol("tools/list result has no tools".to_owned()))?;
    let tools = tools
        .iter()
        .filter_map(|tool| {
            let name = tool["name"].as_str().filter(|n| !n.is_empty())?;
            let input_schema = match &tool["inputSchema"] {
                Value::Object(_) => tool["inputSchema"].clone(),
                _ => json!({"type": "object", "properties": {}}),
            };
            Some(ToolDef {
                name: name.to_owned(),
                description: tool["description"].as_str().unwrap_or_default().to_owned(),
                input_schema,
                hints: ToolHints::from_annotations(&tool["annotations"]),
            })
        })
        .collect();
    Ok((tools, next_cursor(result)))
}

/// A list result's `nextCursor`, when there is another page.
fn next_cursor(result: &Value) -> Option<String> {
    result["nextCursor"]
        .as_str()
        .filter(|c| !c.is_empty())
        .map(str::to_owned)
}

/// A `tools/call` result: the text content joined (`Err` when `isError` is true, so the model
/// sees the failure).
pub fn call_output(result: &Value) -> Result<String, String> {
    let mut text = result["content"]
        .as_array()
        .map(|parts| {
            parts
                .iter()
                .filter(|part| part["type"] == "text")
                .filter_map(|part| part["text"].as_str())
                .collect::<Vec<_>>()
                .join("\n")
        })
        .unwrap_or_default();
    if text.is_empty()
        && let Some(structured) = result.get("structuredContent").filter(|v| !v.is_null())
    {
        text = structured.to_string();
    }
    match result["isError"].as_bool() {
        Some(true) => Err(text),
        _ => Ok(text),
    }
}

/// Reads the answer to request `id`, from a JSON body or an SSE stream, chunk by chunk, and at
/// most `max_bytes` of it: past that the reader answers [`McpError::TooLarge`] at once, so a
/// server cannot fill the edge's memory or keep it reading.
#[derive(Debug)]
pub struct ReplyReader {
    id: u64,
    sse: Option<sse::Decoder>,
    body: Vec<u8>,
    n_read: usize,
    max_bytes: usize,
    /// Messages the server interleaved before the response (bounded).
    messages: Vec<ServerMessage>,
    /// The SSE id of the last event read (where a resumed stream picks up).
    last_event_id: Option<String>,
}

impl ReplyReader {
    /// A reader for the answer to `id` whose `Content-Type` is `content_type`.
    pub fn new(id: u64, content_type: &str, max_bytes: usize) -> Self {
        let is_sse = content_type
            .trim_start()
            .to_ascii_lowercase()
            .starts_with("text/event-stream");
        Self {
            id,
            sse: is_sse.then(|| sse::Decoder::with_limit(max_bytes)),
            body: Vec::new(),
            n_read: 0,
            max_bytes,
            messages: Vec::new(),
            last_event_id: None,
        }
    }

    /// Feeds a chunk; `Some` once the response to `id` has arrived (its `result`, or the
    /// JSON-RPC error), or once the reply passed the size limit. Messages the server interleaves
    /// (progress, other notifications, requests such as `elicitation/create`) are kept for
    /// [`ReplyReader::take_messages`]; those after the response in the same chunk are dropped
    /// (progress stops when the request completes).
    pub fn push(&mut self, chunk: &[u8]) -> Option<Result<Value, McpError>> {
        self.n_read = self.n_read.saturating_add(chunk.len());
        if self.n_read > self.max_bytes {
            self.body = Vec::new();
            return Some(Err(McpError::TooLarge(self.max_bytes)));
        }
        let Some(decoder) = &mut self.sse else {
            self.body.extend_from_slice(chunk);
            return None;
        };
        for frame in decoder.push(chunk) {
            if frame.id.is_some() {
                self.last_event_id = frame.id;
            }
            let Ok(message) = serde_json::from_str::<Value>(&frame.data) else {
                continue;
            };
            if let Some(done) = answer(&message, self.id) {
                return Some(done);
            }
            if let Some(message) = messages::classify(message) {
                messages::keep(&mut self.messages, message);
            }
        }
        None
    }

    /// The SSE id of the last event read, if the server numbers its events (resumption).
    pub fn last_event_id(&self) -> Option<&str> {
        self.last_event_id.as_deref()
    }

    /// The messages the server interleaved since the last call, oldest first.
    pub fn take_messages(&mut self) -> Vec<ServerMessage> {
        std::mem::take(&mut self.messages)
    }

    /// The body ended: the answer of a JSON body, or an error when no response came.
    pub fn finish(self) -> Result<Value, McpError> {
        if self.sse.is_some() {
            return Err(McpError::Protocol(
                "the event stream ended without a response".to_owned(),
            ));
        }
        let message: Value = serde_json::from_slice(&self.body)
            .map_err(|_| McpError::Protocol("the body is not JSON".to_owned()))?;
        answer(&message, self.id).unwrap_or_else(|| {
            Err(McpError::Protocol(
                "the body is not the response to the request".to_owned(),
            ))
        })
    }
}

/// `Some` when `message` is the response to `id`.
fn answer(message: &Value, id: u64) -> Option<Result<Value, McpError>> {
    if message["id"] != id {
        return None;
    }
    if let Some(error) = message.get("error") {
        let text = error["message"].as_str().unwrap_or("unknown error");
        return Some(Err(McpError::Protocol(format!(
            "JSON-RPC error {}: {text}",
            error["code"]
        ))));
    }
    let result = message.get("result")?;
    Some(Ok(result.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_json_rpc() {
        let init: Value = serde_json::from_str(&initialize(1)).unwrap();
        assert_eq!(init["method"], "initialize");
        assert_eq!(init["id"], 1);
        assert_eq!(init["params"]["protocolVersion"], PROTOCOL_VERSION);
        let note: Value = serde_json::from_str(&initialized()).unwrap();
        assert_eq!(note["method"], "notifications/initialized");
        assert!(note.get("id").is_none());
        let list: Value = serde_json::from_str(&list_tools(2, Some("p2"))).unwrap();
        assert_eq!(
            (list["method"].as_str(), &list["params"]["cursor"]),
            (Some("tools/list"), &json!("p2"))
        );
        let call: Value =
            serde_json::from_str(&call_tool(3, "read_query", r#"{"query":"SELECT 1"}"#).unwrap())
                .unwrap();
        assert_eq!(
            call["params"],
            json!({"name":"read_query","arguments":{"query":"SELECT 1"}})
        );
        let empty: Value =
            serde_json::from_str(&call_tool(4, "list_tables", " ").unwrap()).unwrap();
        assert_eq!(empty["params"]["arguments"], json!({}));
        assert!(call_tool(5, "x", "{not json").is_err());
        assert!(call_tool(5, "x", "[1]").is_err());
    }

    #[test]
    fn session_headers_follow_initialize() {
        let mut session = Session::default();
        let names = |s: &Session| s.headers(None).iter().map(|(k, _)| *k).collect::<Vec<_>>();
        assert_eq!(names(&session), ["content-type", "accept"]);
        assert_eq!(session.next_id(), 1);
        session.initialized(
            Some("sess-1".into()),
            &json!({"protocolVersion":"2025-03-26"}),
        );
        let headers = session.headers(Some("Bearer te"));
        assert!(headers.contains(&("mcp-session-id", "sess-1".into())));
        assert!(headers.contains(&("mcp-protocol-version", "2025-03-26".into())));
        assert!(headers.contains(&("authorization", "Bearer te".into())));
        assert!(headers.contains(&("accept", "application/json, text/event-stream".into())));
        let mut stateless = Session::default();
        stateless.initialized(None, &json!({}));
        assert_eq!(
            names(&stateless),
            ["content-type", "accept", "mcp-protocol-version"]
        );
    }

    #[test]
    fn reads_json_and_sse_answers() {
        let mut json_reader = ReplyReader::new(7, "application/json", 1 << 20);
        assert!(json_reader.push(br#"{"jsonrpc":"2.0","id":7,"#).is_none());
        assert!(json_reader.push(br#""result":{"ok":true}}"#).is_none());
        assert_eq!(json_reader.finish().unwrap(), json!({"ok":true}));

        let stream = "event: message\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\"}\n\n\
data: {\"jsonrpc\":\"2.0\",\"id\":6,\"result\":{}}\n\n\
data: {\"jsonrpc\":\"2.0\",\"id\":7,\"result\":{\"tools\":[]}}\n\n";
        let mut sse_reader = ReplyReader::new(7, "text/event-stream; charset=utf-8", 1 << 20);
        let (a, b) = stream.as_bytes().split_at(60);
        assert!(sse_reader.push(a).is_none());
        assert_eq!(sse_reader.push(b).unwrap().unwrap(), json!({"tools":[]}));

        let mut failing = ReplyReader::new(1, "text/event-stream", 1 << 20);
        let err = failing
            .push(b"data: {\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":-32601,\"message\":\"no such method\"}}\n\n")
            .unwrap()
            .unwrap_err();
        assert!(err.to_string().contains("no such method"), "{err}");
        assert!(
            ReplyReader::new(1, "text/event-stream", 9)
                .finish()
                .is_err()
        );
        assert!(ReplyReader::new(1, "application/json", 9).finish().is_err());
        assert_eq!(status_error(401), McpError::Unauthorized);
        assert!(McpError::Unauthorized.to_string().contains("401"));
    }

    #[test]
    fn replies_past_the_limit_stop_the_read() {
        for content_type in ["application/json", "text/event-stream"] {
            let mut reader = ReplyReader::new(1, content_type, 1000);
            let mut answer = None;
            let mut n_chunks = 0;
            // A server that never ends its reply (and never sends the response).
            while answer.is_none() && n_chunks < 10_000 {
                answer = reader.push(b": padding padding padding padding padding\n");
                n_chunks += 1;
            }
            assert_eq!(
                answer,
                Some(Err(McpError::TooLarge(1000))),
                "{content_type}"
            );
            assert!(n_chunks <= 30, "{content_type}: read {n_chunks} chunks");
            assert!(reader.body.is_empty());
        }
    }

    #[test]
    fn annotations_decide_approval() {
        let check = |annotations: Value, asks: bool| {
            let hints = ToolHints::from_annotations(&annotations);
            assert_eq!(hints.needs_approval(), asks, "{annotations}");
        };
        check(json!(null), true);
        check(json!({}), true);
        check(json!({"readOnlyHint": true}), false);
        check(
            json!({"readOnlyHint": true, "destructiveHint": true}),
            false,
        );
        check(json!({"readOnlyHint": true, "openWorldHint": true}), true);
        check(json!({"readOnlyHint": true, "openWorldHint": false}), false);
        check(json!({"readOnlyHint": false}), true);
        check(json!({"destructiveHint": false}), true);
        check(
            json!({"destructiveHint": false, "openWorldHint": false}),
            false,
        );
        check(
            json!({"destructiveHint": true, "openWorldHint": false}),
            true,
        );
        check(json!({"readOnlyHint": "yes"}), true);
    }

    #[test]
    fn tools_and_results_are_read() {
        let (tools, cursor) = parse_tools(&json!({"tools":[
            {"name":"read_query","description":"Run SQL","inputSchema":{"type":"object","properties":{"query":{"type":"string"}}},"annotations":{"readOnlyHint":true}},
            {"name":"bare"},
            {"description":"nameless"}
        ],"nextCursor":"n2"}))
        .unwrap();
        assert_eq!(tools.len(), 2);
        assert_eq!(tools[0].description, "Run SQL");
        assert!(!tools[0].hints.needs_approval());
        assert!(tools[1].hints.needs_approval());
        assert_eq!(
            tools[1].input_schema,
            json!({"type":"object","properties":{}})
        );
        assert_eq!(cursor.as_deref(), Some("n2"));
        assert!(parse_tools(&json!({})).is_err());

        let ok = json!({"content":[{"type":"text","text":"a"},{"type":"image","data":"x"},{"type":"text","text":"b"}],"isError":false});
        assert_eq!(call_output(&ok), Ok("a\nb".to_owned()));
        assert_eq!(
            call_output(
                &json!({"content":[{"type":"text","text":"no such table"}],"isError":true})
            ),
            Err("no such table".to_owned())
        );
        assert_eq!(
            call_output(&json!({"content":[],"structuredContent":{"n":1}})),
            Ok(r#"{"n":1}"#.to_owned())
        );
    }
}
