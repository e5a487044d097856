//! Hostile upstreams against the edge under `wasmtime serve` (issue 11, items 5 and 6): a
//! provider that asks for endless tool calls, streams endless lines or leaks secrets in split
//! fragments, and an MCP server that floods its replies or echoes tokens. Each case asserts the
//! stable error code, that the stream ends with exactly one terminal event (and last), and that
//! no secret reached the widget or anything the component printed.
//!
//! The edge runs in local mode (no Pomerium) against [`hostile_server`], with a local token for
//! it and an API key, and for the hosted cases with a caller's token: three kinds of secret.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use protocol::{ErrorCode, StreamEvent};
use serde_json::{Value, json};
use testkit::frames;
use testkit::process::{Artifacts, EdgeProcess};
use testkit::provider::{FakeProvider, Script};

use crate::support::{assert_no_secrets, client, events};

/// The local MCP server's token (the edge sends it to that server only).
const LOCAL: &str = "ti_hostile_local_secret_0042";
/// The caller's token in the hosted cases (a Pomerium-shaped TE).
const TE: &str = "pom_mat_hostile_te_5bd1c0ffee";
/// The provider's key.
const KEY: &str = "test-hostile-provider-key-77aa";

/// `tools/call` requests the hostile server received: `(tool, arguments)`.
type Calls = Arc<Mutex<Vec<(String, Value)>>>;

/// An MCP server at `/<kind>/mcp`. Every kind lists `echo`, `big` (100 000 bytes), `wait`
/// (never answers), `flood` (an event stream of padding that never ends), `leak` (answers with
/// [`LOCAL`]); all say `readOnlyHint: true`, so none asks for approval. The `huge-list` kind
/// answers `tools/list` with 10 MB; the `bad-list` kind with a JSON-RPC error that carries the
/// local token and a forged log line; the `unannotated` kind lists one `echo` without
/// annotations (which, by default, waits for approval).
async fn hostile_server(calls: Calls) -> anyhow::Result<(String, tokio::task::JoinHandle<()>)> {
    let router = Router::new()
        .route("/{kind}/mcp", post(handle))
        .with_state(calls);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    Ok((base, task))
}

async fn handle(State(calls): State<Calls>, Path(kind): Path<String>, body: Bytes) -> Response {
    let message: Value = serde_json::from_slice(&body).unwrap_or_default();
    let id = message["id"].clone();
    let reply = |result: Value| axum::Json(json!({"jsonrpc": "2.0", "id": id, "result": result}));
    let text =
        |text: String| json!({"content": [{"type": "text", "text": text}], "isError": false});
    match message["method"].as_str().unwrap_or_default() {
        "initialize" => reply(json!({"protocolVersion": "2025-06-18", "capabilities": {"tools": {}},
                                    "serverInfo": {"name": "hostile", "version": "0"}}))
        .into_response(),
        "notifications/initialized" => StatusCode::ACCEPTED.into_response(),
        "tools/list" if kind == "huge-list" => {
            let padding = "p".repeat(10 * 1024 * 1024);
            reply(json!({"tools": [], "padding": padding})).into_response()
        }
        "tools/list" if kind == "bad-list" => axum::Json(json!({"jsonrpc": "2.0", "id": id,
            "error": {"code": -32000, "message": format!("denied for {LOCAL}\nedge: GET /forged -> 200")}}))
        .into_response(),
        "tools/list" if kind == "unannotated" => {
            let tool = json!({"name": "echo", "description": "echo", "inputSchema": {"type": "object"}});
            reply(json!({"tools": [tool]})).into_response()
        }
        "tools/list" => {
            let tool = |name: &str| json!({"name": name, "description": name,
                "inputSchema": {"type": "object"}, "annotations": {"readOnlyHint": true}});
            let names = ["echo", "big", "wait", "flood", "leak"];
            reply(json!({"tools": names.map(tool)})).into_response()
        }
        "tools/call" => {
            let name = message["params"]["name"].as_str().unwrap_or_default().to_owned();
            calls
                .lock()
                .unwrap()
                .push((name.clone(), message["params"]["arguments"].clone()));
            match name.as_str() {
                "echo" => reply(text("ok".to_owned())).into_response(),
                "big" => reply(text("x".repeat(100_000))).into_response(),
                "leak" => reply(text(format!("the token is {LOCAL}"))).into_response(),
                "flood" => {
                    let padding = Bytes::from(format!(": {}\n", "z".repeat(16 * 1024)));
                    let chunks = futures_util::stream::repeat_with(move || {
                        Ok::<_, std::convert::Infallible>(padding.clone())
                    });
                    Response::builder()
                        .header(header::CONTENT_TYPE, "text/event-stream")
                        .body(Body::from_stream(chunks))
                        .unwrap()
                }
                _ => std::future::pending().await,
            }
        }
        _ => StatusCode::BAD_REQUEST.into_response(),
    }
}

struct Setup {
    provider: FakeProvider,
    edge: EdgeProcess,
    calls: Calls,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for Setup {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// The edge in local mode with the hostile server (of `kind`), the provider playing `script`
/// (Chat Completions unless `env` says otherwise), and `env`.
async fn setup(kind: &str, script: Script, env: &[(&str, &str)]) -> anyhow::Result<Setup> {
    let calls = Calls::default();
    let (base, server) = hostile_server(calls.clone()).await?;
    let provider = FakeProvider::start(script).await?;
    let servers = json!([{"name": "Hostile", "url": format!("{base}/{kind}/mcp"), "token": LOCAL}])
        .to_string();
    let provider_base = provider.base_url();
    let mut vars = vec![
        ("OPENAI_BASE_URL", provider_base.as_str()),
        ("OPENAI_API_KEY", KEY),
        ("MCP_SERVERS", servers.as_str()),
        ("KEEPALIVE_MS", "200"),
        ("MAX_TOOL_RESULT_BYTES", "1000"),
    ];
    if !env.iter().any(|(k, _)| *k == "PROVIDER") {
        vars.push(("PROVIDER", "chat_completions"));
    }
    vars.extend_from_slice(env);
    let edge = EdgeProcess::start(&Artifacts::from_env()?, &vars)?;
    Ok(Setup {
        provider,
        edge,
        calls,
        server,
    })
}

/// Asks `question` with the hostile server selected (hosted cases: none, with the TE).
async fn ask(s: &Setup, question: &str, servers: &[&str]) -> anyhow::Result<Vec<StreamEvent>> {
    let body = json!({"messages": [{"role": "user", "content": question}], "servers": servers});
    let res = client()
        .post(format!("{}/api/chat", s.edge.base_url))
        .bearer_auth(TE)
        .json(&body)
        .send()
        .await?;
    anyhow::ensure!(res.status() == 200, "status {}", res.status());
    events(res).await
}

/// Exactly one terminal event, last; no secret in the stream or the edge's output.
fn assert_well_ended(s: &Setup, events: &[StreamEvent]) {
    let n_terminals = events.iter().filter(|e| e.is_terminal()).count();
    assert_eq!(n_terminals, 1, "{events:?}");
    assert!(
        events.last().is_some_and(StreamEvent::is_terminal),
        "{events:?}"
    );
    let shown = serde_json::to_string(events).unwrap();
    for secret in [LOCAL, TE, KEY] {
        assert!(
            !shown.contains(secret),
            "{secret} reached the widget: {shown}"
        );
    }
    assert_no_secrets(&s.edge, &[LOCAL, TE, KEY]);
}

/// The answer completed, with `n` secrets replaced in its text and reasoning.
fn assert_redacted_answer(s: &Setup, events: &[StreamEvent], n: usize) {
    assert!(
        matches!(events.last(), Some(StreamEvent::Done { .. })),
        "{events:?}"
    );
    assert_eq!(
        text_of(events).matches("[redacted]").count(),
        n,
        "{events:?}"
    );
    assert_well_ended(s, events);
}

fn error_code(events: &[StreamEvent]) -> ErrorCode {
    match events.last() {
        Some(StreamEvent::Error(e)) => e.code,
        other => panic!("the answer did not fail: {other:?}"),
    }
}

fn text_of(events: &[StreamEvent]) -> String {
    events
        .iter()
        .filter_map(|e| match e {
            StreamEvent::TextDelta { delta } | StreamEvent::ReasoningDelta { delta } => {
                Some(delta.as_str())
            }
            _ => None,
        })
        .collect()
}

/// A Chat Completions chunk.
fn chunk(delta: Value) -> String {
    frames::chunk(&json!({"choices": [{"index": 0, "delta": delta}]}))
}

/// A Chat Completions call fragment: call `index` of function `name` with `arguments`.
fn call(index: usize, name: &str, arguments: &str) -> String {
    chunk(
        json!({"tool_calls": [{"index": index, "id": format!("call_{index}"), "type": "function",
        "function": {"name": name, "arguments": arguments}}]}),
    )
}

/// A stream of `frames`, then `finish_reason` and `[DONE]`, all at once.
fn completions(frames: Vec<String>, finish: &str) -> Script {
    let mut frames = frames;
    frames.push(testkit::frames::chunk(
        &json!({"choices": [{"index": 0, "delta": {}, "finish_reason": finish}]}),
    ));
    frames.push(testkit::frames::DONE.to_owned());
    Script::Transcript(frames.into_iter().map(|f| (Duration::ZERO, f)).collect())
}

/// Responses stream frames (hosted mode), each `delay` after the previous.
fn responses(events: &[Value], delay: Duration) -> Script {
    Script::Transcript(events.iter().map(|f| (delay, frames::event(f))).collect())
}

fn n_calls(s: &Setup) -> usize {
    s.calls.lock().unwrap().len()
}

#[tokio::test]
async fn hundreds_of_calls_in_one_round_stop_at_the_round_limit() -> anyhow::Result<()> {
    let frames = (0..300).map(|i| call(i, "hostile__echo", "{}")).collect();
    let s = setup(
        "plain",
        completions(frames, "tool_calls"),
        &[("MAX_TOOL_CALLS_PER_ROUND", "4")],
    )
    .await?;
    let events = ask(&s, "go", &["hostile"]).await?;
    assert_eq!(error_code(&events), ErrorCode::ToolCallsPerRoundExceeded);
    assert_eq!(n_calls(&s), 0, "no call of the oversized round ran");
    assert_eq!(s.provider.request_count(), 1);
    assert_well_ended(&s, &events);
    Ok(())
}

#[tokio::test]
async fn a_model_that_keeps_calling_stops_at_the_answer_limit() -> anyhow::Result<()> {
    // Every round asks for two calls again.
    let frames = vec![
        call(0, "hostile__echo", "{}"),
        call(1, "hostile__echo", "{}"),
    ];
    let s = setup(
        "plain",
        completions(frames, "tool_calls"),
        &[("MAX_TOOL_CALLS", "3"), ("MAX_TOOL_ROUNDS", "50")],
    )
    .await?;
    let events = ask(&s, "go", &["hostile"]).await?;
    assert_eq!(error_code(&events), ErrorCode::ToolCallsExceeded);
    assert_eq!(n_calls(&s), 2, "the second round's calls did not run");
    assert_eq!(s.provider.request_count(), 2);
    assert_well_ended(&s, &events);
    Ok(())
}

#[tokio::test]
async fn too_much_tool_output_ends_the_answer() -> anyhow::Result<()> {
    let frames = vec![call(0, "hostile__big", "{}"), call(1, "hostile__big", "{}")];
    let s = setup(
        "plain",
        completions(frames, "tool_calls"),
        &[("MAX_TOOL_OUTPUT_BYTES", "2500"), ("MAX_TOOL_ROUNDS", "50")],
    )
    .await?;
    let events = ask(&s, "go", &["hostile"]).await?;
    assert_eq!(error_code(&events), ErrorCode::ToolOutputExceeded);
    assert_eq!(
        n_calls(&s),
        3,
        "each result is cut to 1000 bytes: the third passes 2500"
    );
    assert_well_ended(&s, &events);
    Ok(())
}

#[tokio::test]
async fn endless_tool_arguments_end_the_answer() -> anyhow::Result<()> {
    let mut frames = vec![call(0, "hostile__echo", "{\"q\":\"")];
    frames.extend((0..200).map(|_| {
        chunk(json!({"tool_calls": [{"index": 0, "function": {"arguments": "a".repeat(100)}}]}))
    }));
    let s = setup(
        "plain",
        completions(frames, "tool_calls"),
        &[("MAX_TOOL_ARGUMENT_BYTES", "1000")],
    )
    .await?;
    let events = ask(&s, "go", &["hostile"]).await?;
    assert_eq!(error_code(&events), ErrorCode::ToolArgumentsTooLarge);
    assert_eq!(n_calls(&s), 0);
    assert_well_ended(&s, &events);
    Ok(())
}

#[tokio::test]
async fn a_tool_that_never_answers_meets_the_answer_deadline() -> anyhow::Result<()> {
    let frames = vec![call(0, "hostile__wait", "{}")];
    let s = setup(
        "plain",
        completions(frames, "tool_calls"),
        &[("ANSWER_TIMEOUT_MS", "1500"), ("TOOL_TIMEOUT_MS", "600000")],
    )
    .await?;
    let started = Instant::now();
    let events = ask(&s, "go", &["hostile"]).await?;
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(error_code(&events), ErrorCode::AnswerTimeout);
    assert_well_ended(&s, &events);
    Ok(())
}

#[tokio::test]
async fn a_slow_hosted_answer_meets_the_deadline_and_keeps_its_text() -> anyhow::Result<()> {
    let frames: Vec<Value> = (0..100)
        .map(|i| json!({"type": "response.output_text.delta", "delta": format!("w{i} ")}))
        .collect();
    let s = setup(
        "plain",
        responses(&frames, Duration::from_millis(100)),
        &[
            ("PROVIDER", "responses"),
            ("TOOL_MODE", "hosted"),
            ("ANSWER_TIMEOUT_MS", "1500"),
        ],
    )
    .await?;
    let events = ask(&s, "go", &[]).await?;
    assert_eq!(error_code(&events), ErrorCode::AnswerTimeout);
    assert!(text_of(&events).starts_with("w0 w1 "), "{events:?}");
    assert_well_ended(&s, &events);
    Ok(())
}

#[tokio::test]
async fn an_endless_provider_line_is_cut_off_in_hosted_mode() -> anyhow::Result<()> {
    let mut frames = vec![(
        Duration::ZERO,
        "data: {\"type\":\"response.output_text.delta\",\"delta\":\"".to_owned(),
    )];
    frames.extend((0..64).map(|_| (Duration::ZERO, "y".repeat(64 * 1024))));
    let s = setup(
        "plain",
        Script::Transcript(frames),
        &[
            ("PROVIDER", "responses"),
            ("TOOL_MODE", "hosted"),
            ("MAX_UPSTREAM_EVENT_BYTES", "65536"),
        ],
    )
    .await?;
    let events = ask(&s, "go", &[]).await?;
    assert_eq!(error_code(&events), ErrorCode::UpstreamTooLarge);
    assert_well_ended(&s, &events);
    Ok(())
}

#[tokio::test]
async fn an_endless_provider_event_is_cut_off_in_edge_mode() -> anyhow::Result<()> {
    // Many short `data:` lines and never the blank line that ends the event.
    let frames = (0..2000)
        .map(|_| (Duration::ZERO, format!("data: {}\n", "d".repeat(100))))
        .collect();
    let s = setup(
        "plain",
        Script::Transcript(frames),
        &[("MAX_UPSTREAM_EVENT_BYTES", "65536")],
    )
    .await?;
    let events = ask(&s, "go", &["hostile"]).await?;
    assert_eq!(error_code(&events), ErrorCode::UpstreamTooLarge);
    assert_well_ended(&s, &events);
    Ok(())
}

#[tokio::test]
async fn a_flooding_tool_reply_is_cut_off_while_reading() -> anyhow::Result<()> {
    let frames = vec![call(0, "hostile__flood", "{}")];
    let s = setup(
        "plain",
        completions(frames, "tool_calls"),
        &[
            ("MAX_MCP_REPLY_BYTES", "200000"),
            ("TOOL_TIMEOUT_MS", "600000"),
        ],
    )
    .await?;
    let started = Instant::now();
    let events = ask(&s, "go", &["hostile"]).await?;
    assert_eq!(error_code(&events), ErrorCode::UpstreamTooLarge);
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "not trapped: {:?}",
        started.elapsed()
    );
    assert_well_ended(&s, &events);
    Ok(())
}

#[tokio::test]
async fn a_huge_tool_list_is_cut_off_while_reading() -> anyhow::Result<()> {
    let s = setup(
        "huge-list",
        completions(vec![], "stop"),
        &[("MAX_MCP_REPLY_BYTES", "100000")],
    )
    .await?;
    let events = ask(&s, "go", &["hostile"]).await?;
    assert_eq!(error_code(&events), ErrorCode::UpstreamTooLarge);
    assert_eq!(
        s.provider.request_count(),
        0,
        "nothing was asked of the model"
    );
    assert_well_ended(&s, &events);
    Ok(())
}

#[tokio::test]
async fn a_listing_error_with_a_token_and_a_forged_log_line_is_scrubbed() -> anyhow::Result<()> {
    let s = setup("bad-list", completions(vec![], "stop"), &[]).await?;
    let events = ask(&s, "go", &["hostile"]).await?;
    assert_eq!(error_code(&events), ErrorCode::McpServerUnreachable);
    let StreamEvent::Error(error) = events.last().unwrap() else {
        unreachable!()
    };
    assert!(error.message.contains("[redacted]"), "{}", error.message);
    assert_well_ended(&s, &events);
    let forged = s
        .edge
        .process
        .output()
        .iter()
        .any(|line| line.starts_with("edge: GET /forged"));
    assert!(!forged, "an upstream's text forged a log line");
    Ok(())
}

#[tokio::test]
async fn secrets_split_across_hosted_text_and_reasoning_never_pass() -> anyhow::Result<()> {
    // The TE and the key, each cut in three deltas, in text and in reasoning.
    let mut frames = Vec::new();
    for (kind, secret) in [
        ("response.output_text.delta", TE),
        ("response.reasoning_summary_text.delta", KEY),
        ("response.output_text.delta", KEY),
    ] {
        let (a, rest) = secret.split_at(5);
        let (b, c) = rest.split_at(7);
        for delta in ["see ", a, b, c, " here. "] {
            frames.push(json!({"type": kind, "delta": delta}));
        }
    }
    frames.push(json!({"type": "response.completed", "response": {"id": "resp_1"}}));
    let s = setup(
        "plain",
        responses(&frames, Duration::ZERO),
        &[("PROVIDER", "responses"), ("TOOL_MODE", "hosted")],
    )
    .await?;
    let events = ask(&s, "go", &[]).await?;
    assert_redacted_answer(&s, &events, 3);
    Ok(())
}

#[tokio::test]
async fn secrets_split_across_chat_completions_deltas_never_pass() -> anyhow::Result<()> {
    let mut frames = Vec::new();
    for (field, secret) in [
        ("content", LOCAL),
        ("reasoning_content", KEY),
        ("content", KEY),
    ] {
        for piece in secret.as_bytes().chunks(3) {
            frames.push(chunk(json!({ field: std::str::from_utf8(piece).unwrap() })));
        }
        frames.push(chunk(json!({ field: " and " })));
    }
    let s = setup("plain", completions(frames, "stop"), &[]).await?;
    let events = ask(&s, "go", &["hostile"]).await?;
    assert_redacted_answer(&s, &events, 3);
    Ok(())
}

#[tokio::test]
async fn a_secret_in_split_tool_arguments_never_reaches_the_widget_or_the_tool()
-> anyhow::Result<()> {
    let arguments = format!("{{\"q\":\"{LOCAL}\"}}");
    let mut frames = vec![call(0, "hostile__echo", "")];
    for piece in arguments.as_bytes().chunks(4) {
        frames.push(chunk(json!({"tool_calls": [{"index": 0, "function": {"arguments": std::str::from_utf8(piece).unwrap()}}]})));
    }
    // Round two (the same transcript) would call again: one round only.
    let s = setup(
        "plain",
        completions(frames, "tool_calls"),
        &[("MAX_TOOL_ROUNDS", "1")],
    )
    .await?;
    let events = ask(&s, "go", &["hostile"]).await?;
    assert_eq!(error_code(&events), ErrorCode::ToolRoundsExceeded);
    let sent = s.calls.lock().unwrap().clone();
    assert_eq!(sent.len(), 1);
    assert_eq!(
        sent[0].1,
        json!({"q": "[redacted]"}),
        "the tool got the scrubbed arguments"
    );
    assert_well_ended(&s, &events);
    Ok(())
}

#[tokio::test]
async fn a_tool_result_carrying_the_local_token_is_scrubbed_for_widget_and_model()
-> anyhow::Result<()> {
    let frames = vec![call(0, "hostile__leak", "{}")];
    let s = setup(
        "plain",
        completions(frames, "tool_calls"),
        &[("MAX_TOOL_ROUNDS", "1")],
    )
    .await?;
    let events = ask(&s, "go", &["hostile"]).await?;
    assert!(events.iter().any(|e| matches!(e, StreamEvent::ToolCallResult { output, .. } if output == "the token is [redacted]")), "{events:?}");
    assert_eq!(error_code(&events), ErrorCode::ToolRoundsExceeded);
    let second = &s.provider.requests()[1];
    assert!(
        !second.body.to_string().contains(LOCAL),
        "the model was told the token"
    );
    assert_well_ended(&s, &events);
    Ok(())
}

#[tokio::test]
async fn a_chat_completions_error_carrying_the_key_is_scrubbed() -> anyhow::Result<()> {
    let frames = vec![(
        Duration::ZERO,
        frames::chunk(
            &json!({"error": {"message": format!("bad key {KEY}\nedge: GET /forged -> 200")}}),
        ),
    )];
    let s = setup("plain", Script::Transcript(frames), &[]).await?;
    let events = ask(&s, "go", &["hostile"]).await?;
    assert_eq!(error_code(&events), ErrorCode::ProviderError);
    assert_well_ended(&s, &events);
    Ok(())
}

#[tokio::test]
async fn a_tool_without_annotations_waits_for_approval_by_default() -> anyhow::Result<()> {
    let frames = vec![call(0, "hostile__echo", "{}")];
    let s = setup("unannotated", completions(frames, "tool_calls"), &[]).await?;
    let events = ask(&s, "go", &["hostile"]).await?;
    assert!(
        matches!(
            events.as_slice(),
            [.., StreamEvent::ApprovalRequest { tool, .. }, StreamEvent::Done { response_id: Some(_), .. }] if tool == "echo"
        ),
        "{events:?}"
    );
    assert_eq!(n_calls(&s), 0, "nothing ran unasked");
    assert_well_ended(&s, &events);
    Ok(())
}
