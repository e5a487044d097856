//! Test harness: [`TestServer`] runs the real app in-process on `127.0.0.1:0`, and
//! [`McpClient`] speaks raw MCP Streamable HTTP to it with reqwest.
//!
//! The client sends `Accept: application/json, text/event-stream` and reads either answer: a
//! JSON body, or an SSE stream decoded with `protocol::sse::Decoder` until the response with
//! the request's id arrives. Messages the server sends before that response are kept in
//! [`Answer::interleaved`]; server requests among them (elicitation) are answered with the
//! function given to [`McpClient::with_answers`]. Every wait has a deadline.

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use anyhow::{Context, bail};
use northwind_mcp::Config;
use protocol::sse::Decoder;
use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, HeaderMap};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// How long any one exchange may take.
pub(crate) const DEADLINE: Duration = Duration::from_secs(20);

/// The query the brief names, and its answer.
pub(crate) const SALES_BY_YEAR: &str = "SELECT strftime('%Y', o.OrderDate) AS year, \
    ROUND(SUM(od.UnitPrice*od.Quantity*(1-od.Discount)),2) AS sales \
    FROM Orders o JOIN \"Order Details\" od ON od.OrderID=o.OrderID \
    GROUP BY year ORDER BY year";

/// Awaits `future` or fails after [`DEADLINE`].
pub(crate) async fn within<T>(what: &str, future: impl Future<Output = T>) -> anyhow::Result<T> {
    tokio::time::timeout(DEADLINE, future)
        .await
        .with_context(|| format!("{what}: no answer within {DEADLINE:?}"))
}

/// A fresh folder under the test target's temp dir, removed on drop.
pub(crate) struct TempDir(PathBuf);

impl TempDir {
    pub(crate) fn new() -> anyhow::Result<Self> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("northwind-mcp-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&path)?;
        Ok(Self(path))
    }

    pub(crate) fn db_path(&self) -> PathBuf {
        self.0.join("northwind.db")
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The app serving on a free loopback port; stops when dropped.
pub(crate) struct TestServer {
    base: String,
    shutdown: CancellationToken,
    task: Option<JoinHandle<Result<(), northwind_mcp::Error>>>,
    _dir: TempDir,
}

impl TestServer {
    /// Starts with no token and no extra hosts.
    pub(crate) async fn start() -> anyhow::Result<Self> {
        Self::start_with(|_| {}).await
    }

    /// Starts with a config adjusted by `adjust` (its `addr` and `db` are set here).
    pub(crate) async fn start_with(adjust: impl FnOnce(&mut Config)) -> anyhow::Result<Self> {
        let dir = TempDir::new()?;
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let mut config = Config {
            addr: listener.local_addr()?,
            db: dir.db_path(),
            ..Config::default()
        };
        adjust(&mut config);
        let shutdown = CancellationToken::new();
        let app = northwind_mcp::app(&config, shutdown.clone())?;
        let task = tokio::spawn(northwind_mcp::serve(listener, app, shutdown.clone()));
        Ok(Self {
            base: format!("http://{}", config.addr),
            shutdown,
            task: Some(task),
            _dir: dir,
        })
    }

    /// `http://127.0.0.1:<port>`.
    pub(crate) fn base(&self) -> &str {
        &self.base
    }

    /// `http://127.0.0.1:<port>/mcp`.
    pub(crate) fn mcp_url(&self) -> String {
        format!("{}/mcp", self.base)
    }

    /// Stops the server and checks that it shut down cleanly.
    pub(crate) async fn stop(mut self) -> anyhow::Result<()> {
        self.shutdown.cancel();
        let task = self.task.take().context("server task present")?;
        within("graceful shutdown", task).await???;
        Ok(())
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// A raw Streamable HTTP client that remembers its session id.
pub(crate) struct McpClient {
    http: reqwest::Client,
    url: String,
    headers: HeaderMap,
    session: Option<String>,
    protocol_version: Option<String>,
    next_id: u64,
    /// The `capabilities` sent in `initialize` (`{}` unless [`McpClient::with_capabilities`]).
    capabilities: Value,
    /// Answers server requests (e.g. `elicitation/create`) that arrive on a request's stream:
    /// given the request, the `result` to send back.
    answer: Option<Answerer>,
}

/// Gives the `result` for a server request.
type Answerer = Arc<dyn Fn(&Value) -> Value + Send + Sync>;

/// One HTTP answer to a JSON-RPC POST.
pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    /// The JSON-RPC message with the request's id, if the answer carried one.
    pub(crate) message: Option<Value>,
    /// The body as text when it was not a JSON-RPC answer (errors, 202).
    pub(crate) text: String,
    /// Messages the server sent on the stream before the response (notifications, requests).
    pub(crate) interleaved: Vec<Value>,
}

impl McpClient {
    pub(crate) fn new(server: &TestServer) -> Self {
        Self {
            http: reqwest::Client::new(),
            url: server.mcp_url(),
            headers: HeaderMap::new(),
            session: None,
            protocol_version: None,
            next_id: 1,
            capabilities: json!({}),
            answer: None,
        }
    }

    /// Declares `capabilities` in `initialize`.
    pub(crate) fn with_capabilities(mut self, capabilities: Value) -> Self {
        self.capabilities = capabilities;
        self
    }

    /// Answers server requests on a request's stream with `answer(request)` as the result.
    pub(crate) fn with_answers(
        mut self,
        answer: impl Fn(&Value) -> Value + Send + Sync + 'static,
    ) -> Self {
        self.answer = Some(Arc::new(answer));
        self
    }

    /// Sends `header: value` on every request.
    pub(crate) fn with_header(mut self, name: &'static str, value: &str) -> Self {
        self.headers
            .insert(name, value.parse().expect("valid header value"));
        self
    }

    /// `initialize` with `version`, then `notifications/initialized`. Returns the result.
    pub(crate) async fn initialize(&mut self, version: &str) -> anyhow::Result<Value> {
        let params = json!({
            "protocolVersion": version,
            "capabilities": self.capabilities.clone(),
            "clientInfo": {"name": "northwind-mcp-tests", "version": "0"}
        });
        let answer = self.send("initialize", Some(params)).await?;
        if answer.status != StatusCode::OK {
            bail!("initialize: HTTP {}: {}", answer.status, answer.text);
        }
        self.session = answer
            .headers
            .get("mcp-session-id")
            .and_then(|id| id.to_str().ok())
            .map(str::to_owned);
        let result = result_of(answer)?;
        self.protocol_version = Some(version.to_owned());
        let status = self.notify("notifications/initialized").await?;
        if status != StatusCode::ACCEPTED {
            bail!("notifications/initialized: HTTP {status}");
        }
        Ok(result)
    }

    /// Sends a request and returns its `result`; a JSON-RPC error fails.
    pub(crate) async fn request(&mut self, method: &str, params: Value) -> anyhow::Result<Value> {
        result_of(self.send(method, Some(params)).await?)
    }

    /// Calls a tool and returns the `CallToolResult`.
    pub(crate) async fn call_tool(
        &mut self,
        name: &str,
        arguments: Value,
    ) -> anyhow::Result<Value> {
        self.request("tools/call", json!({"name": name, "arguments": arguments}))
            .await
    }

    /// Sends a request and returns the whole HTTP answer.
    pub(crate) async fn send(
        &mut self,
        method: &str,
        params: Option<Value>,
    ) -> anyhow::Result<Answer> {
        let id = self.next_id;
        self.next_id += 1;
        let mut body = json!({"jsonrpc": "2.0", "id": id, "method": method});
        if let Some(params) = params {
            body["params"] = params;
        }
        within(method, self.exchange(&body, Some(id))).await?
    }

    /// Sends a notification and returns the HTTP status (202 when accepted).
    pub(crate) async fn notify(&mut self, method: &str) -> anyhow::Result<StatusCode> {
        let body = json!({"jsonrpc": "2.0", "method": method});
        Ok(within(method, self.exchange(&body, None)).await??.status)
    }

    async fn exchange(&self, body: &Value, id: Option<u64>) -> anyhow::Result<Answer> {
        let mut request = self
            .http
            .post(&self.url)
            .headers(self.headers.clone())
            .header("accept", "application/json, text/event-stream")
            .header(CONTENT_TYPE, "application/json")
            .body(body.to_string());
        if let Some(session) = &self.session {
            request = request.header("mcp-session-id", session);
        }
        if let Some(version) = &self.protocol_version {
            request = request.header("mcp-protocol-version", version);
        }
        let mut response = request.send().await?;
        let status = response.status();
        let headers = response.headers().clone();
        let content_type = headers
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let mut answer = Answer {
            status,
            headers,
            message: None,
            text: String::new(),
            interleaved: Vec::new(),
        };
        let Some(id) = id.filter(|_| status.is_success()) else {
            answer.text = response.text().await?;
            return Ok(answer);
        };
        if content_type.starts_with("application/json") {
            answer.text = response.text().await?;
            answer.message = Some(serde_json::from_str(&answer.text)?);
            return Ok(answer);
        }
        if !content_type.starts_with("text/event-stream") {
            bail!("unexpected content type {content_type:?}");
        }
        // Read frames until the response to this id; the server may send a priming event
        // (empty data) or other messages first.
        let mut decoder = Decoder::default();
        while let Some(chunk) = response.chunk().await? {
            for frame in decoder.push(&chunk) {
                let Ok(message) = serde_json::from_str::<Value>(&frame.data) else {
                    continue;
                };
                if message["id"] == json!(id) {
                    answer.message = Some(message);
                    return Ok(answer);
                }
                if message.get("method").is_none() {
                    continue;
                }
                if let (Some(request_id), Some(respond)) = (message.get("id"), &self.answer) {
                    let reply =
                        json!({"jsonrpc": "2.0", "id": request_id, "result": respond(&message)});
                    let status = self.exchange_boxed(&reply).await?;
                    if status != StatusCode::ACCEPTED {
                        bail!("the answer to {} got HTTP {status}", message["method"]);
                    }
                }
                answer.interleaved.push(message);
            }
        }
        bail!("the event stream ended without a response to request {id}")
    }
}

impl McpClient {
    /// Posts a response to a server request (boxed: `exchange` calls it while reading).
    fn exchange_boxed<'a>(
        &'a self,
        body: &'a Value,
    ) -> std::pin::Pin<Box<dyn Future<Output = anyhow::Result<StatusCode>> + Send + 'a>> {
        Box::pin(async move { Ok(self.exchange(body, None).await?.status) })
    }
}

/// The `result` of a JSON-RPC answer, or an error naming the JSON-RPC error.
pub(crate) fn result_of(answer: Answer) -> anyhow::Result<Value> {
    let Some(message) = answer.message else {
        bail!(
            "HTTP {} without a JSON-RPC answer: {}",
            answer.status,
            answer.text
        );
    };
    match message.get("result") {
        Some(result) => Ok(result.clone()),
        None => bail!("JSON-RPC error: {message}"),
    }
}

/// The text of a tool result's single content item.
pub(crate) fn tool_text(result: &Value) -> anyhow::Result<&str> {
    let content = result["content"]
        .as_array()
        .context("content is an array")?;
    if content.len() != 1 || content[0]["type"] != "text" {
        bail!("expected one text item, got {result}");
    }
    content[0]["text"].as_str().context("text is a string")
}

/// Whether a tool result is marked as an error.
pub(crate) fn is_error(result: &Value) -> bool {
    result["isError"] == json!(true)
}
