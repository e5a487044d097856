//! Shared pieces of the fake tests: a minimal MCP server to stand behind Pomerium, a scripted
//! upstream, and stream readers with deadlines.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use futures_util::StreamExt;
use serde_json::{Value, json};

/// How long any single wait in these tests may take before the test fails.
pub(crate) const DEADLINE: Duration = Duration::from_secs(10);

/// The `read_query` result the stand-in returns: the shape northwind-mcp uses.
pub(crate) const SALES_TABLE: &str = r#"{"columns":["year","sales"],"rows":[["2016",208083.97],["2017",617085.2],["2018",440623.87]]}"#;

/// What the stand-in MCP server saw on one request.
#[derive(Clone, Debug)]
pub(crate) struct McpSeen {
    pub(crate) method: String,
    pub(crate) authorization: Option<String>,
    pub(crate) session_id: Option<String>,
    pub(crate) protocol_version: Option<String>,
    pub(crate) custom: Option<String>,
    pub(crate) params: Value,
}

/// How the stand-in answers.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct StandInOptions {
    /// Answer requests as SSE streams instead of JSON bodies.
    pub(crate) sse: bool,
    /// Answer every `tools/call` with `isError: true`.
    pub(crate) fail_calls: bool,
}

/// A minimal MCP server (`POST /mcp`, JSON-RPC) with `list_tables` and `read_query`.
pub(crate) struct McpStandIn {
    pub(crate) addr: SocketAddr,
    seen: Arc<Mutex<Vec<McpSeen>>>,
    task: tokio::task::JoinHandle<()>,
}

impl McpStandIn {
    pub(crate) async fn start(options: StandInOptions) -> anyhow::Result<Self> {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let state = (seen.clone(), options);
        let router = Router::new().route(
            "/mcp",
            post(move |headers: HeaderMap, body: String| {
                let (seen, options) = state.clone();
                async move { answer(&seen, options, &headers, &body) }
            }),
        );
        let (addr, task) = spawn(router).await?;
        Ok(Self { addr, seen, task })
    }

    /// The base URL (the MCP endpoint is `{base}/mcp`).
    pub(crate) fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub(crate) fn seen(&self) -> Vec<McpSeen> {
        self.seen.lock().unwrap().clone()
    }
}

impl Drop for McpStandIn {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn answer(
    seen: &Mutex<Vec<McpSeen>>,
    options: StandInOptions,
    headers: &HeaderMap,
    body: &str,
) -> Response {
    let text = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let Ok(message) = serde_json::from_str::<Value>(body) else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    let method = message["method"].as_str().unwrap_or_default().to_owned();
    seen.lock().unwrap().push(McpSeen {
        method: method.clone(),
        authorization: text("authorization"),
        session_id: text("mcp-session-id"),
        protocol_version: text("mcp-protocol-version"),
        custom: text("x-test-header"),
        params: message["params"].clone(),
    });
    let result = match method.as_str() {
        "initialize" => json!({
            "protocolVersion": message["params"]["protocolVersion"],
            "capabilities": {"tools": {}},
            "serverInfo": {"name": "stand-in", "version": "0"},
        }),
        "notifications/initialized" => return StatusCode::ACCEPTED.into_response(),
        "tools/list" => json!({"tools": [
            {"name": "list_tables", "description": "List the tables.",
             "inputSchema": {"type": "object", "properties": {}},
             "annotations": {"readOnlyHint": true}},
            {"name": "read_query", "description": "Run a read-only SQL query.",
             "inputSchema": {"type": "object", "properties": {"query": {"type": "string"}},
                             "required": ["query"]}},
        ]}),
        "tools/call" if options.fail_calls => {
            json!({"content": [{"type": "text", "text": "database is locked"}], "isError": true})
        }
        "tools/call" => {
            let output = match message["params"]["name"].as_str() {
                Some("read_query") => SALES_TABLE,
                _ => "Customers\nOrders",
            };
            json!({"content": [{"type": "text", "text": output}], "isError": false})
        }
        _ => {
            let error = json!({"jsonrpc": "2.0", "id": message["id"],
                               "error": {"code": -32601, "message": "method not found"}});
            return axum::Json(error).into_response();
        }
    };
    let reply = json!({"jsonrpc": "2.0", "id": message["id"], "result": result});
    let mut res = if options.sse {
        // A notification first, as servers may interleave them before the response.
        let note = json!({"jsonrpc": "2.0", "method": "notifications/message",
                          "params": {"level": "info", "data": "working"}});
        let body = format!("event: message\ndata: {note}\n\nevent: message\ndata: {reply}\n\n");
        ([(header::CONTENT_TYPE, "text/event-stream")], body).into_response()
    } else {
        axum::Json(reply).into_response()
    };
    if method == "initialize" {
        res.headers_mut()
            .insert("mcp-session-id", "stand-in-session-1".parse().unwrap());
    }
    res
}

/// Serves `router` on a free loopback port.
pub(crate) async fn spawn(
    router: Router,
) -> anyhow::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let task = tokio::spawn(async move {
        axum::serve(listener, router).await.unwrap();
    });
    Ok((addr, task))
}

/// A plain HTTP client (no proxy from the environment) whose every read fails after
/// [`DEADLINE`], so a response that never comes fails the test instead of hanging it.
pub(crate) fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .read_timeout(DEADLINE)
        .build()
        .unwrap()
}

/// One SSE event of a Responses stream: its `event:` name and its parsed `data`.
#[derive(Clone, Debug)]
pub(crate) struct Event {
    pub(crate) kind: String,
    pub(crate) data: Value,
}

/// Reads a whole SSE response into events, failing after [`DEADLINE`].
pub(crate) async fn read_events(res: reqwest::Response) -> anyhow::Result<Vec<Event>> {
    let mut decoder = protocol::sse::Decoder::default();
    let mut body = res.bytes_stream();
    let mut events = Vec::new();
    loop {
        let Some(chunk) = tokio::time::timeout(DEADLINE, body.next()).await? else {
            return Ok(events);
        };
        for frame in decoder.push(&chunk?) {
            events.push(Event {
                kind: frame.event,
                data: serde_json::from_str(&frame.data)?,
            });
        }
    }
}

/// The next body chunk, failing after [`DEADLINE`]; `None` at the end of the body.
pub(crate) async fn next_chunk(
    body: &mut (impl futures_util::Stream<Item = reqwest::Result<axum::body::Bytes>> + Unpin),
) -> anyhow::Result<Option<axum::body::Bytes>> {
    let chunk = tokio::time::timeout(DEADLINE, body.next())
        .await
        .map_err(|_| anyhow::anyhow!("no body chunk within {DEADLINE:?}"))?;
    Ok(chunk.transpose()?)
}
