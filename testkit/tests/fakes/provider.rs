//! The fake provider: the `Model` script through a fake Pomerium MCP route to a stand-in MCP
//! server, the `Transcript` script's timing, and the `Status` script.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use testkit::pomerium::{FakePomerium, FakePomeriumConfig, McpRoute};
use testkit::provider::{FakeProvider, ModelOptions, Script};

use crate::fakes::support::{Event, McpStandIn, StandInOptions, client, next_chunk, read_events};

const TI: &str = "internal-token-ti";
const API_KEY: &str = "sk-test-provider-key";

/// A stand-in MCP server behind one fake Pomerium MCP route, plus a TE issued by that Pomerium.
struct Stack {
    mcp: McpStandIn,
    pomerium: FakePomerium,
    te: String,
}

async fn stack(options: StandInOptions) -> anyhow::Result<Stack> {
    let mcp = McpStandIn::start(options).await?;
    let pomerium = FakePomerium::start(FakePomeriumConfig {
        // No edge runs here: a request through the client route only serves to mint a TE.
        edge_upstream: "http://127.0.0.1:9".to_owned(),
        mcp_routes: vec![McpRoute {
            name: "Northwind".to_owned(),
            upstream: mcp.base_url(),
            internal_token: TI.to_owned(),
            ..McpRoute::default()
        }],
        client_addr: None,
        sign_in: false,
        ..FakePomeriumConfig::default()
    })
    .await?;
    client().get(pomerium.base_url()).send().await?;
    let te = pomerium.issued()[0].te.clone();
    Ok(Stack { mcp, pomerium, te })
}

fn body(message: &str, stack: &Stack, te: &str) -> Value {
    json!({
        "model": "gpt-test",
        "instructions": "Be brief.",
        "input": [
            {"role": "user", "content": "earlier question"},
            {"role": "assistant", "content": "earlier answer"},
            {"role": "user", "content": message},
        ],
        "tools": [{
            "type": "mcp",
            "server_label": "northwind",
            "server_url": stack.pomerium.mcp_url(0),
            "headers": {"Authorization": format!("Bearer {te}"), "X-Test-Header": "from-the-edge"},
            "require_approval": "never",
        }],
        "stream": true,
    })
}

async fn post(provider: &FakeProvider, body: &Value) -> anyhow::Result<reqwest::Response> {
    Ok(client()
        .post(format!("{}/responses", provider.base_url()))
        .bearer_auth(API_KEY)
        .json(body)
        .send()
        .await?)
}

fn fast() -> Script {
    Script::Model(ModelOptions {
        delta_delay: Duration::from_millis(1),
        ..ModelOptions::default()
    })
}

/// The event kinds with runs of the same delta kind collapsed to one entry.
fn shape(events: &[Event]) -> Vec<&str> {
    let mut res: Vec<&str> = Vec::new();
    for event in events {
        let is_delta = event.kind.ends_with(".delta");
        if is_delta && res.last() == Some(&event.kind.as_str()) {
            continue;
        }
        res.push(&event.kind);
    }
    res
}

fn count(events: &[Event], kind: &str) -> usize {
    events.iter().filter(|e| e.kind == kind).count()
}

fn text_of(events: &[Event]) -> String {
    events
        .iter()
        .filter(|e| e.kind == "response.output_text.delta")
        .map(|e| e.data["delta"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn model_lists_calls_and_answers_in_documented_order() -> anyhow::Result<()> {
    let stack = stack(StandInOptions::default()).await?;
    let provider = FakeProvider::start(fast()).await?;
    let res = post(&provider, &body("Show me SALES by year", &stack, &stack.te)).await?;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "text/event-stream");
    let events = read_events(res).await?;

    assert_eq!(
        shape(&events),
        [
            "response.created",
            "response.in_progress",
            "response.output_item.added",
            "response.mcp_list_tools.in_progress",
            "response.mcp_list_tools.completed",
            "response.output_item.done",
            "response.output_item.added",
            "response.mcp_call.in_progress",
            "response.mcp_call_arguments.delta",
            "response.mcp_call_arguments.done",
            "response.mcp_call.completed",
            "response.output_item.done",
            "response.output_item.added",
            "response.content_part.added",
            "response.output_text.delta",
            "response.output_text.done",
            "response.content_part.done",
            "response.output_item.done",
            "response.completed",
        ]
    );
    for (i, event) in events.iter().enumerate() {
        assert_eq!(event.data["sequence_number"], i, "{}", event.kind);
        assert_eq!(event.data["type"], event.kind.as_str());
    }

    // The list item carries the tools in Responses form.
    let listed = &events[5].data;
    assert_eq!(listed["output_index"], 0);
    assert_eq!(listed["item"]["server_label"], "northwind");
    assert_eq!(listed["item"]["tools"][1]["name"], "read_query");
    assert_eq!(
        listed["item"]["tools"][1]["input_schema"]["required"],
        json!(["query"])
    );

    // The call streams its arguments in fragments that add up to the documented query.
    let added = &events[6].data;
    assert_eq!(added["output_index"], 1);
    assert_eq!(added["item"]["type"], "mcp_call");
    assert_eq!(added["item"]["name"], "read_query");
    assert_eq!(added["item"]["server_label"], "northwind");
    assert_eq!(added["item"]["arguments"], "");
    assert!(count(&events, "response.mcp_call_arguments.delta") >= 2);
    let arguments: String = events
        .iter()
        .filter(|e| e.kind == "response.mcp_call_arguments.delta")
        .map(|e| e.data["delta"].as_str().unwrap())
        .collect();
    let query: Value = serde_json::from_str(&arguments)?;
    assert!(
        query["query"]
            .as_str()
            .unwrap()
            .contains("JOIN \"Order Details\" od")
    );
    let call_done = events
        .iter()
        .find(|e| e.kind == "response.output_item.done" && e.data["item"]["type"] == "mcp_call")
        .unwrap();
    assert_eq!(
        call_done.data["item"]["output"],
        crate::fakes::support::SALES_TABLE
    );
    assert_eq!(call_done.data["item"]["error"], Value::Null);

    // The answer arrives in several deltas and quotes the table.
    let want = "Here are the sales by year from the Northwind database:\n\n| year | sales |\n|---|---|\n| 2016 | 208083.97 |\n| 2017 | 617085.2 |\n| 2018 | 440623.87 |";
    assert!(count(&events, "response.output_text.delta") > 5);
    assert_eq!(text_of(&events), want);
    let done = events
        .iter()
        .find(|e| e.kind == "response.output_text.done")
        .unwrap();
    assert_eq!(done.data["text"], want);
    let completed = &events.last().unwrap().data["response"];
    assert_eq!(completed["id"], "resp_1");
    assert_eq!(completed["status"], "completed");
    assert_eq!(completed["output"].as_array().unwrap().len(), 3);

    // The request was recorded with its key.
    let requests = provider.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].authorization.as_deref(), Some(API_KEY));
    assert_eq!(requests[0].body["model"], "gpt-test");
    Ok(())
}

#[tokio::test]
async fn mcp_server_sees_the_ti_and_the_session_headers_never_the_te() -> anyhow::Result<()> {
    let stack = stack(StandInOptions::default()).await?;
    let provider = FakeProvider::start(fast()).await?;
    read_events(post(&provider, &body("sales by year", &stack, &stack.te)).await?).await?;

    let seen = stack.mcp.seen();
    let methods: Vec<&str> = seen.iter().map(|s| s.method.as_str()).collect();
    assert_eq!(
        methods,
        [
            "initialize",
            "notifications/initialized",
            "tools/list",
            "tools/call"
        ]
    );
    for s in &seen {
        assert_eq!(
            s.authorization.as_deref(),
            Some(format!("Bearer {TI}").as_str())
        );
        assert_eq!(s.custom.as_deref(), Some("from-the-edge"));
    }
    assert_eq!(
        seen[0].params["protocolVersion"],
        testkit::mcp::PROTOCOL_VERSION
    );
    assert_eq!(seen[0].session_id, None);
    for s in &seen[1..] {
        assert_eq!(s.session_id.as_deref(), Some("stand-in-session-1"));
        assert_eq!(
            s.protocol_version.as_deref(),
            Some(testkit::mcp::PROTOCOL_VERSION)
        );
    }
    assert_eq!(seen[3].params["name"], "read_query");

    // Pomerium saw the TE on every hit and accepted it.
    let hits = stack.pomerium.mcp_hits(0);
    assert_eq!(hits.len(), 4);
    assert!(
        hits.iter()
            .all(|h| h.accepted && h.te.as_deref() == Some(stack.te.as_str()))
    );
    assert!(hits.iter().all(|h| h.path == "/mcp"));
    Ok(())
}

#[tokio::test]
async fn unknown_te_is_refused_and_the_provider_answers_424() -> anyhow::Result<()> {
    let stack = stack(StandInOptions::default()).await?;
    let provider = FakeProvider::start(fast()).await?;
    let forged = "pom_mat_1_0000000000000000";
    let res = post(&provider, &body("sales by year", &stack, forged)).await?;
    assert_eq!(res.status(), 424);
    let error: Value = res.json().await?;
    assert_eq!(
        error,
        json!({"error": {
            "message": "Error retrieving tool list from MCP server: 'northwind'. Http status code: 401",
            "type": "external_connector_error",
            "param": "tools",
            "code": "http_error",
        }})
    );
    assert!(
        stack.mcp.seen().is_empty(),
        "the MCP server must not be reached"
    );
    let hits = stack.pomerium.mcp_hits(0);
    assert_eq!(hits.len(), 1);
    assert!(!hits[0].accepted);
    assert_eq!(hits[0].te.as_deref(), Some(forged));

    // The route's own 401 carries the resource metadata challenge.
    let res = client()
        .post(stack.pomerium.mcp_url(0))
        .body("{}")
        .send()
        .await?;
    assert_eq!(res.status(), 401);
    let addr = stack
        .pomerium
        .mcp_url(0)
        .trim_start_matches("http://")
        .trim_end_matches("/mcp")
        .to_owned();
    assert_eq!(
        res.headers()["www-authenticate"],
        format!(
            "Bearer resource_metadata=\"http://{addr}/.well-known/oauth-protected-resource/mcp\""
        )
        .as_str()
    );
    Ok(())
}

#[tokio::test]
async fn sse_answers_and_failing_tools_are_handled() -> anyhow::Result<()> {
    let options = StandInOptions {
        sse: true,
        fail_calls: true,
    };
    let stack = stack(options).await?;
    let provider = FakeProvider::start(fast()).await?;
    let events =
        read_events(post(&provider, &body("which tables?", &stack, &stack.te)).await?).await?;
    assert_eq!(count(&events, "response.mcp_call.failed"), 1);
    assert_eq!(count(&events, "response.mcp_call.completed"), 0);
    let call_done = events
        .iter()
        .find(|e| e.kind == "response.output_item.done" && e.data["item"]["type"] == "mcp_call")
        .unwrap();
    assert_eq!(call_done.data["item"]["name"], "list_tables");
    assert_eq!(call_done.data["item"]["error"], "database is locked");
    assert_eq!(call_done.data["item"]["output"], Value::Null);
    assert_eq!(
        text_of(&events),
        "The tool `list_tables` failed: database is locked"
    );
    assert_eq!(events.last().unwrap().kind, "response.completed");
    Ok(())
}

#[tokio::test]
async fn without_a_matching_rule_the_model_echoes_and_names_servers() -> anyhow::Result<()> {
    let stack = stack(StandInOptions::default()).await?;
    let provider = FakeProvider::start(fast()).await?;
    let events =
        read_events(post(&provider, &body("Hello there", &stack, &stack.te)).await?).await?;
    assert_eq!(count(&events, "response.mcp_call.in_progress"), 0);
    assert_eq!(
        text_of(&events),
        "You said: Hello there\n\nTools available: northwind (2 tools)."
    );
    assert!(stack.mcp.seen().iter().all(|s| s.method != "tools/call"));

    // Without tools, a string input, and a second request numbered 2.
    let res = post(
        &provider,
        &json!({"model": "m", "input": "plain", "stream": true}),
    )
    .await?;
    let events = read_events(res).await?;
    assert_eq!(text_of(&events), "You said: plain");
    assert_eq!(events.last().unwrap().data["response"]["id"], "resp_2");
    assert_eq!(provider.request_count(), 2);
    Ok(())
}

#[tokio::test]
async fn text_deltas_are_spaced_by_the_delta_delay() -> anyhow::Result<()> {
    let delay = Duration::from_millis(40);
    let provider = FakeProvider::start(Script::Model(ModelOptions {
        delta_delay: delay,
        ..ModelOptions::default()
    }))
    .await?;
    let sent = Instant::now();
    let res = post(
        &provider,
        &json!({"input": "twelve chars and more", "stream": true}),
    )
    .await?;
    let mut body = res.bytes_stream();
    let mut decoder = protocol::sse::Decoder::default();
    let mut delta_times = Vec::new();
    let mut n_delta_chunks = 0;
    while let Some(chunk) = next_chunk(&mut body).await? {
        let n_before = delta_times.len();
        for frame in decoder.push(&chunk) {
            if frame.event == "response.output_text.delta" {
                delta_times.push(Instant::now());
            }
        }
        n_delta_chunks += usize::from(delta_times.len() > n_before);
    }
    // "You said: twelve chars and more" is 31 characters: 3 deltas, two pauses between them,
    // so they cannot all arrive together and the last comes no sooner than two delays in.
    assert_eq!(delta_times.len(), 3);
    assert!(
        n_delta_chunks >= 2,
        "deltas arrived in {n_delta_chunks} chunk(s)"
    );
    assert!(
        delta_times[2] - sent >= delay * 2,
        "{:?}",
        delta_times[2] - sent
    );
    Ok(())
}

#[tokio::test]
async fn a_required_api_key_is_checked() -> anyhow::Result<()> {
    let provider = FakeProvider::start(Script::Model(ModelOptions {
        api_key: Some("sk-other".to_owned()),
        ..ModelOptions::default()
    }))
    .await?;
    let res = post(&provider, &json!({"input": "hi"})).await?;
    assert_eq!(res.status(), 401);
    let error: Value = res.json().await?;
    assert_eq!(error["error"]["code"], "invalid_api_key");
    assert!(!error.to_string().contains(API_KEY));
    assert_eq!(
        provider.requests()[0].authorization.as_deref(),
        Some(API_KEY)
    );
    Ok(())
}

#[tokio::test]
async fn transcript_frames_arrive_separately_after_their_delays() -> anyhow::Result<()> {
    let gap = Duration::from_millis(250);
    let frames = vec![
        (Duration::ZERO, "event: a\ndata: {\"n\":1}\n\n".to_owned()),
        (gap, "event: b\ndata: {\"n\":2}\n\n".to_owned()),
        (gap, ": comment\r\ndata: tail\r\n\r\n".to_owned()),
    ];
    let provider = FakeProvider::start(Script::Transcript(frames.clone())).await?;
    let sent = Instant::now();
    let res = client()
        .post(format!("{}/responses", provider.base_url()))
        .body("{}")
        .send()
        .await?;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "text/event-stream");
    let mut body = res.bytes_stream();
    let mut received = Vec::new();
    while let Some(chunk) = next_chunk(&mut body).await? {
        received.push((Instant::now(), chunk));
    }
    // Each frame is its own chunk, byte-exact, and none comes before its delay.
    assert_eq!(received.len(), frames.len());
    let mut due = Duration::ZERO;
    for ((at, chunk), (delay, frame)) in received.iter().zip(&frames) {
        due += *delay;
        assert_eq!(chunk.as_ref(), frame.as_bytes());
        assert!(
            *at - sent >= due,
            "frame {frame:?} after {:?}, due {due:?}",
            *at - sent
        );
    }
    // The first frame did not wait for the later ones.
    assert!(
        received[0].0 - sent < gap,
        "first frame took {:?}",
        received[0].0 - sent
    );
    Ok(())
}

#[tokio::test]
async fn status_script_answers_its_status_body_and_retry_after() -> anyhow::Result<()> {
    let body = r#"{"error":{"message":"Rate limit reached","type":"requests","param":null,"code":"rate_limit_exceeded"}}"#;
    let provider = FakeProvider::start(Script::Status {
        status: 429,
        body: body.to_owned(),
        retry_after: Some(7),
    })
    .await?;
    // Also reachable without the /v1 prefix.
    let url = provider.base_url().trim_end_matches("/v1").to_owned() + "/responses";
    let res = client()
        .post(url)
        .bearer_auth(API_KEY)
        .body("{\"input\":\"hi\"}")
        .send()
        .await?;
    assert_eq!(res.status(), 429);
    assert_eq!(res.headers()["retry-after"], "7");
    assert_eq!(res.headers()["content-type"], "application/json");
    assert_eq!(res.text().await?, body);

    provider.set_script(Script::Status {
        status: 500,
        body: "{}".to_owned(),
        retry_after: None,
    });
    let res = post(&provider, &json!({})).await?;
    assert_eq!(res.status(), 500);
    assert!(res.headers().get("retry-after").is_none());
    let requests = provider.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].body, json!({"input": "hi"}));
    assert_eq!(requests[0].authorization.as_deref(), Some(API_KEY));
    Ok(())
}

#[tokio::test]
async fn chaos_script_cycles_through_every_fault_and_counts_its_streams() -> anyhow::Result<()> {
    use testkit::provider::chaos::{FAULTS, Fault, fault_of};
    let provider = FakeProvider::start(Script::Chaos {
        delta_gap: Duration::ZERO,
    })
    .await?;
    for (n, fault) in FAULTS.iter().enumerate() {
        assert_eq!(fault_of(n), *fault);
        let res = post(&provider, &json!({"input": "hi"})).await?;
        let status = res.status().as_u16();
        let expected = match fault {
            Fault::Status500 => 500,
            Fault::RateLimited => 429,
            Fault::McpUnreachable => 424,
            _ => 200,
        };
        assert_eq!(status, expected, "{fault:?}");
        if status != 200 {
            let error: Value = res.json().await?;
            assert!(error["error"]["code"].is_string(), "{fault:?}: {error}");
            continue;
        }
        if *fault == Fault::Silence {
            // Never ends: read the opening frames, then leave.
            let mut body = res.bytes_stream();
            let mut seen = String::new();
            while seen.matches("\n\n").count() < 5 {
                let chunk = next_chunk(&mut body).await?.expect("the stream stays open");
                seen.push_str(&String::from_utf8_lossy(&chunk));
            }
            assert!(!seen.contains("response.completed"));
            continue;
        }
        let text = res.text().await?;
        let completed = text.contains("event: response.completed");
        assert_eq!(
            completed,
            matches!(fault, Fault::None | Fault::MalformedEvent),
            "{fault:?}: {text}"
        );
        assert_eq!(
            text.contains("data: {\"type\":\"response.output_te\n"),
            *fault == Fault::MalformedEvent
        );
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while provider.open_streams() > 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(provider.open_streams(), 0);
    assert_eq!(provider.abandoned_streams(), 1, "the silent stream, left");
    Ok(())
}
