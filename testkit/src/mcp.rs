//! The one MCP client for tests, the fake provider and the bench: the edge's I/O-free core
//! ([`edge::mcp::client`]: messages, session headers, [`ReplyReader`]) over reqwest
//! (`shared/protocols.md` §4).
//!
//! [`McpClient::connect`] sends `initialize` ([`PROTOCOL_VERSION`], the edge's) and
//! `notifications/initialized`; later requests echo `Mcp-Session-Id` and carry
//! `MCP-Protocol-Version`. Extra headers (a tool's `headers`, a bearer) go on every POST
//! verbatim. For tests of a server's edges, [`McpClient::send`] posts any message and hands back
//! the whole HTTP answer, with the messages the server sent before its response
//! ([`Answer::interleaved`]); server requests among them (elicitation) are answered with the
//! function given to [`McpClient::with_answers`].

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, bail};
use edge::mcp::client::{self as core, ReplyReader, Session};
use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use serde_json::{Value, json};

pub use edge::mcp::client::{McpError, PROTOCOL_VERSION, call_output};

/// The most of one reply the client reads (test servers answer far less).
const MAX_REPLY: usize = 16 * 1024 * 1024;
/// How long one exchange may take.
const DEADLINE: Duration = Duration::from_secs(30);

/// One Streamable HTTP session.
#[derive(Clone)]
pub struct McpClient {
    http: reqwest::Client,
    url: String,
    headers: HeaderMap,
    session: Session,
    /// The `capabilities` sent in `initialize` (`{}` unless [`McpClient::with_capabilities`]).
    capabilities: Value,
    /// Answers server requests (e.g. `elicitation/create`) arriving on a request's stream:
    /// given the request, the `result` to send back.
    answer: Option<Answerer>,
}

/// Gives the `result` for a server request.
type Answerer = Arc<dyn Fn(&Value) -> Value + Send + Sync>;

impl std::fmt::Debug for McpClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Headers may carry a bearer: never printed.
        f.debug_struct("McpClient")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

/// One whole HTTP answer to a POST ([`McpClient::send`]).
#[derive(Debug)]
pub struct Answer {
    /// The HTTP status.
    pub status: StatusCode,
    /// The response headers.
    pub headers: HeaderMap,
    /// The JSON-RPC message answering the request's id, when the answer carried one.
    pub message: Option<Value>,
    /// The body as text when it was not read as a JSON-RPC answer (errors, 202, JSON bodies).
    pub text: String,
    /// Messages the server sent on the stream before the response (notifications, requests).
    pub interleaved: Vec<Value>,
}

impl McpClient {
    /// A client for `url`, not yet initialized.
    pub fn new(http: &reqwest::Client, url: &str) -> Self {
        Self {
            http: http.clone(),
            url: url.to_owned(),
            headers: HeaderMap::new(),
            session: Session::default(),
            capabilities: json!({}),
            answer: None,
        }
    }

    /// Declares `capabilities` in `initialize`.
    #[must_use]
    pub fn with_capabilities(mut self, capabilities: Value) -> Self {
        self.capabilities = capabilities;
        self
    }

    /// Answers server requests on a request's stream with `answer(request)` as the result.
    #[must_use]
    pub fn with_answers(
        mut self,
        answer: impl Fn(&Value) -> Value + Send + Sync + 'static,
    ) -> Self {
        self.answer = Some(Arc::new(answer));
        self
    }

    /// Sends these headers on every POST (a name or value that is not valid HTTP is skipped).
    #[must_use]
    pub fn with_headers(mut self, headers: &[(String, String)]) -> Self {
        for (name, value) in headers {
            if let (Ok(name), Ok(value)) = (
                HeaderName::from_bytes(name.as_bytes()),
                HeaderValue::from_str(value),
            ) {
                self.headers.insert(name, value);
            }
        }
        self
    }

    /// [`McpClient::new`] with `headers`, then [`McpClient::initialize`].
    pub async fn connect(
        http: &reqwest::Client,
        url: &str,
        headers: &[(String, String)],
    ) -> Result<Self, McpError> {
        let mut client = Self::new(http, url).with_headers(headers);
        client.initialize().await?;
        Ok(client)
    }

    /// `initialize` with the edge's [`PROTOCOL_VERSION`], then `notifications/initialized`;
    /// the `initialize` result.
    pub async fn initialize(&mut self) -> Result<Value, McpError> {
        self.initialize_version(PROTOCOL_VERSION).await
    }

    /// As [`McpClient::initialize`], asking for `version` instead (a server's negotiation).
    pub async fn initialize_version(&mut self, version: &str) -> Result<Value, McpError> {
        let id = self.session.next_id();
        let mut message: Value = serde_json::from_str(&core::initialize(id))
            .map_err(|e| McpError::Protocol(e.to_string()))?;
        message["params"]["protocolVersion"] = json!(version);
        message["params"]["capabilities"] = self.capabilities.clone();
        self.initialize_message(id, message.to_string()).await
    }

    async fn initialize_message(&mut self, id: u64, message: String) -> Result<Value, McpError> {
        let res = self.post(message).await?;
        let session_id = res
            .headers()
            .get("mcp-session-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let result = read_reply(res, id).await?;
        self.session.initialized(session_id, &result);
        self.post(core::initialized()).await?;
        Ok(result)
    }

    /// Every tool the server lists (following `nextCursor`), as the server sends them.
    pub async fn list_tools(&mut self) -> Result<Vec<Value>, McpError> {
        let mut tools = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let id = self.session.next_id();
            let result = self
                .request(id, core::list_tools(id, cursor.as_deref()))
                .await?;
            // The core checks the page's shape and reads the cursor.
            let (_, next) = core::parse_tools(&result)?;
            tools.extend(result["tools"].as_array().into_iter().flatten().cloned());
            match next {
                Some(next) => cursor = Some(next),
                None => return Ok(tools),
            }
        }
    }

    /// `tools/call`: the `CallToolResult` as the server sent it (see [`call_output`]).
    pub async fn call_tool(&mut self, name: &str, arguments: &Value) -> Result<Value, McpError> {
        let id = self.session.next_id();
        let message = core::call_tool(id, name, &arguments.to_string())?;
        self.request(id, message).await
    }

    /// Sends a request built by the core and returns its `result`.
    async fn request(&mut self, id: u64, message: String) -> Result<Value, McpError> {
        let res = self.post(message).await?;
        read_reply(res, id).await
    }

    /// POSTs one message with the session's headers; a non-2xx status is an error.
    async fn post(&self, message: String) -> Result<reqwest::Response, McpError> {
        let res = self
            .request_builder(message)
            .send()
            .await
            .map_err(|_| McpError::Transport)?;
        match res.status() {
            status if status.is_success() => Ok(res),
            status => Err(core::status_error(status.as_u16())),
        }
    }

    fn request_builder(&self, message: String) -> reqwest::RequestBuilder {
        let mut req = self.http.post(&self.url).timeout(DEADLINE);
        for (name, value) in self.session.headers(None) {
            req = req.header(name, value);
        }
        req.headers(self.headers.clone()).body(message)
    }

    /// Posts request `method` (a new id, and `params` when given) with the session's headers,
    /// and returns the whole answer, whatever its status: for tests of how a server treats odd
    /// requests.
    pub async fn send(&mut self, method: &str, params: Option<Value>) -> anyhow::Result<Answer> {
        let id = self.session.next_id();
        let mut body = json!({"jsonrpc": "2.0", "id": id, "method": method});
        if let Some(params) = params {
            body["params"] = params;
        }
        self.send_message(&body, Some(id)).await
    }

    /// Posts a notification; the HTTP status (202 when accepted).
    pub async fn notify(&mut self, method: &str) -> anyhow::Result<StatusCode> {
        let body = json!({"jsonrpc": "2.0", "method": method});
        Ok(self.send_message(&body, None).await?.status)
    }

    async fn send_message(&self, body: &Value, id: Option<u64>) -> anyhow::Result<Answer> {
        let res = self.request_builder(body.to_string()).send().await?;
        let status = res.status();
        let headers = res.headers().clone();
        let Some(id) = id.filter(|_| status.is_success()) else {
            let text = res.text().await?;
            return Ok(Answer {
                status,
                headers,
                message: None,
                text,
                interleaved: Vec::new(),
            });
        };
        let content_type = headers
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        if !content_type.starts_with("text/event-stream")
            && !content_type.starts_with("application/json")
        {
            bail!("unexpected content type {content_type:?}");
        }
        let (message, interleaved) = self.read_message(res, id, &content_type).await?;
        Ok(Answer {
            status,
            headers,
            message: Some(message),
            text: String::new(),
            interleaved,
        })
    }

    /// The whole JSON-RPC message answering `id` (its `result` or its `error`), for [`Answer`],
    /// and the messages before it; server requests among them are answered (see
    /// [`McpClient::with_answers`]).
    async fn read_message(
        &self,
        res: reqwest::Response,
        id: u64,
        content_type: &str,
    ) -> anyhow::Result<(Value, Vec<Value>)> {
        if content_type.starts_with("application/json") {
            return Ok((res.json().await.context("a JSON-RPC body")?, Vec::new()));
        }
        let mut interleaved = Vec::new();
        let mut decoder = protocol::sse::Decoder::default();
        let mut res = res;
        while let Some(chunk) = res.chunk().await? {
            for frame in decoder.push(&chunk) {
                let Ok(message) = serde_json::from_str::<Value>(&frame.data) else {
                    continue;
                };
                if message["id"] == json!(id) && message.get("method").is_none() {
                    return Ok((message, interleaved));
                }
                if message.get("method").is_none() {
                    continue;
                }
                if let (Some(request_id), Some(respond)) = (message.get("id"), &self.answer) {
                    let reply =
                        json!({"jsonrpc": "2.0", "id": request_id, "result": respond(&message)});
                    let status = self
                        .request_builder(reply.to_string())
                        .send()
                        .await?
                        .status();
                    if status != StatusCode::ACCEPTED {
                        bail!("the answer to {} got HTTP {status}", message["method"]);
                    }
                }
                interleaved.push(message);
            }
        }
        bail!("the event stream ended without a response to request {id}")
    }
}

/// The `result` of the answer to `id` ([`ReplyReader`]: a JSON body or an SSE stream).
async fn read_reply(res: reqwest::Response, id: u64) -> Result<Value, McpError> {
    let content_type = res
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let mut reader = ReplyReader::new(id, &content_type, MAX_REPLY);
    let mut res = res;
    while let Some(chunk) = res.chunk().await.map_err(|_| McpError::Transport)? {
        if let Some(answer) = reader.push(&chunk) {
            return answer;
        }
    }
    reader.finish()
}
