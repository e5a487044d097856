//! Edge tool mode's bounds, against a tiny MCP server written here: a tool that never answers
//! times out, a huge result is cut with a note (for the widget and the model alike), and a
//! model that keeps calling tools stops at the round limit with a coded error. The tiny server
//! also checks the session headers the edge sends.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use protocol::{ErrorCode, StreamEvent};
use serde_json::{Value, json};
use testkit::process::{Artifacts, EdgeProcess};
use testkit::provider::{FakeProvider, Script};

use crate::tool_mode::{ask, text_of};

/// Bytes in the `big` tool's result.
const BIG: usize = 100_000;

/// What the tiny server saw: `(method, mcp-session-id, mcp-protocol-version)` per request.
type Seen = Arc<Mutex<Vec<(String, Option<String>, Option<String>)>>>;

/// An MCP server with three tools: `echo` (answers "ok"), `big` ([`BIG`] bytes) and `wait`
/// (never answers). `tools/list` answers as an event stream, the rest as JSON.
async fn tiny_server(seen: Seen) -> anyhow::Result<(String, tokio::task::JoinHandle<()>)> {
    let router = Router::new().route("/mcp", post(handle)).with_state(seen);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/mcp", listener.local_addr()?);
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    Ok((url, task))
}

async fn handle(State(seen): State<Seen>, headers: HeaderMap, body: Bytes) -> Response {
    let message: Value = serde_json::from_slice(&body).unwrap_or_default();
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let method = message["method"].as_str().unwrap_or_default().to_owned();
    seen.lock().unwrap().push((
        method.clone(),
        header("mcp-session-id"),
        header("mcp-protocol-version"),
    ));
    let id = message["id"].clone();
    let reply = |result: Value| json!({"jsonrpc": "2.0", "id": id, "result": result});
    let text =
        |text: String| json!({"content": [{"type": "text", "text": text}], "isError": false});
    match method.as_str() {
        "initialize" => {
            let result = reply(
                json!({"protocolVersion": "2025-06-18", "capabilities": {"tools": {}},
                                      "serverInfo": {"name": "tiny", "version": "0"}}),
            );
            ([("mcp-session-id", "tiny-1")], axum::Json(result)).into_response()
        }
        "notifications/initialized" => StatusCode::ACCEPTED.into_response(),
        "tools/list" => {
            let tool = |name: &str| {
                json!({"name": name, "description": name, "inputSchema": {"type": "object"},
                                           "annotations": {"readOnlyHint": true}})
            };
            let frame = format!(
                "event: message\ndata: {}\n\n",
                reply(json!({"tools": [tool("echo"), tool("big"), tool("wait")]}))
            );
            ([(header::CONTENT_TYPE, "text/event-stream")], frame).into_response()
        }
        "tools/call" => match message["params"]["name"].as_str() {
            Some("echo") => axum::Json(reply(text("ok".to_owned()))).into_response(),
            Some("big") => axum::Json(reply(text("x".repeat(BIG)))).into_response(),
            _ => std::future::pending().await,
        },
        _ => StatusCode::BAD_REQUEST.into_response(),
    }
}

struct Setup {
    provider: FakeProvider,
    edge: EdgeProcess,
    seen: Seen,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for Setup {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// The edge in local mode with the tiny server, Chat Completions, and tight bounds.
async fn setup() -> anyhow::Result<Setup> {
    let seen = Seen::default();
    let (url, server) = tiny_server(seen.clone()).await?;
    let provider = FakeProvider::start(Script::default()).await?;
    let servers = json!([{"name": "Tiny", "url": url}]).to_string();
    let base = provider.base_url();
    let edge = EdgeProcess::start(
        &Artifacts::from_env()?,
        &[
            ("OPENAI_BASE_URL", base.as_str()),
            ("PROVIDER", "chat_completions"),
            ("MCP_SERVERS", servers.as_str()),
            ("TOOL_TIMEOUT_MS", "500"),
            ("MAX_TOOL_RESULT_BYTES", "1000"),
            ("MAX_TOOL_ROUNDS", "2"),
            ("KEEPALIVE_MS", "200"),
        ],
    )?;
    Ok(Setup {
        provider,
        edge,
        seen,
        server,
    })
}

fn question(text: &str) -> Value {
    json!({"messages": [{"role": "user", "content": text}], "servers": ["tiny"]})
}

#[tokio::test]
async fn a_hanging_tool_call_times_out() -> anyhow::Result<()> {
    let s = setup().await?;
    let started = Instant::now();
    let events = ask(
        &format!("{}/api/chat", s.edge.base_url),
        question("please call the tool tiny__wait"),
    )
    .await?;
    assert!(started.elapsed() < Duration::from_secs(20));
    let failed = events.iter().find_map(|e| match e {
        StreamEvent::ToolCallFailed { error, .. } => Some(error.clone()),
        _ => None,
    });
    let failed = failed.unwrap_or_else(|| panic!("no failed call: {events:?}"));
    assert!(failed.contains("within 500 ms"), "{failed}");
    assert!(text_of(&events).contains("failed"), "{events:?}");
    assert!(matches!(events.last(), Some(StreamEvent::Done { .. })));
    // The session: the id from `initialize` and the version came back on every later request.
    let seen = s.seen.lock().unwrap().clone();
    assert_eq!(seen[0], ("initialize".to_owned(), None, None));
    for (method, session, version) in &seen[1..] {
        assert_eq!(session.as_deref(), Some("tiny-1"), "{method}");
        assert_eq!(version.as_deref(), Some("2025-06-18"), "{method}");
    }
    Ok(())
}

#[tokio::test]
async fn a_huge_result_is_cut_with_a_note() -> anyhow::Result<()> {
    let s = setup().await?;
    let events = ask(
        &format!("{}/api/chat", s.edge.base_url),
        question("please call the tool tiny__big"),
    )
    .await?;
    let output = events
        .iter()
        .find_map(|e| match e {
            StreamEvent::ToolCallResult { output, .. } => Some(output.clone()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no result: {events:?}"));
    assert!(
        output.len() < 1200,
        "{} bytes reached the widget",
        output.len()
    );
    assert!(
        output.contains(&format!("of {BIG} bytes shown")),
        "{output}"
    );
    let requests = s.provider.requests();
    let tool_message = requests[1].body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["role"] == "tool")
        .cloned()
        .unwrap();
    let content = tool_message["content"].as_str().unwrap();
    assert!(content.len() < 1200 && content.contains("bytes shown"));
    assert!(matches!(events.last(), Some(StreamEvent::Done { .. })));
    Ok(())
}

#[tokio::test]
async fn a_model_that_keeps_calling_stops_at_the_round_limit() -> anyhow::Result<()> {
    let s = setup().await?;
    let events = ask(
        &format!("{}/api/chat", s.edge.base_url),
        question("call tools again and again"),
    )
    .await?;
    let n_calls = events
        .iter()
        .filter(|e| matches!(e, StreamEvent::ToolCallResult { .. }))
        .count();
    assert_eq!(n_calls, 2, "{events:?}");
    assert_eq!(s.provider.request_count(), 3);
    match events.last() {
        Some(StreamEvent::Error(error)) => {
            assert_eq!(error.code, ErrorCode::ToolRoundsExceeded);
            assert!(error.message.contains("2 rounds"), "{}", error.message);
        }
        other => panic!("{other:?}"),
    }
    Ok(())
}
