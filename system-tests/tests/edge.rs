//! The edge component under a real runtime (`wasmtime serve`), against the fake provider and
//! the fake Pomerium: authentication, server resolution, streaming without buffering, and
//! provider failures as `error` events.

use std::time::{Duration, Instant};

use protocol::{ErrorCode, ErrorResponse, StreamEvent};
use testkit::provider::{FakeProvider, Script};

use crate::support::{
    CHAT, Chain, assert_no_secrets, chain, client, edge, events, frame, opened, post_chat,
    read_events,
};

#[tokio::test]
async fn missing_token_is_401_and_nothing_is_sent() -> anyhow::Result<()> {
    let provider = FakeProvider::start(Script::default()).await?;
    let edge = edge(&provider, "http://127.0.0.1:9")?;
    for (method, path) in [("POST", "/api/chat"), ("GET", "/api/servers")] {
        let request = client()
            .request(method.parse()?, format!("{}{path}", edge.base_url))
            .header("content-type", "application/json")
            .body(CHAT);
        let response = request.send().await?;
        assert_eq!(response.status(), 401, "{method} {path}");
        let body: ErrorResponse = response.json().await?;
        assert_eq!(body.error.code, ErrorCode::Unauthorized);
    }
    assert_eq!(provider.request_count(), 0);
    Ok(())
}

#[tokio::test]
async fn unknown_server_ids_are_refused_before_any_provider_request() -> anyhow::Result<()> {
    let provider = FakeProvider::start(Script::default()).await?;
    let Chain { edge, pomerium, .. } = chain(&provider, &[]).await?;
    let listed_url = pomerium.mcp_url(0);
    let ids = [
        "not-listed",
        "https://evil.example/mcp",
        listed_url.as_str(),
        "Northwind",
        "northwind.evil.example",
        "",
    ];
    for id in ids {
        let body = serde_json::json!({"messages":[{"role":"user","content":"hi"}],"servers":["northwind", id]});
        let response = client()
            .post(format!("{}/api/chat", pomerium.base_url()))
            .json(&body)
            .send()
            .await?;
        assert_eq!(response.status(), 400, "{id}");
        let body: ErrorResponse = response.json().await?;
        assert_eq!(body.error.code, ErrorCode::UnknownServer, "{id}");
    }
    assert_eq!(
        provider.request_count(),
        0,
        "no request may reach the provider"
    );
    assert_eq!(
        pomerium.routes_calls().len(),
        ids.len(),
        "each chat resolved its ids against a fresh list"
    );
    let tokens: Vec<String> = pomerium.issued().into_iter().map(|t| t.te).collect();
    assert_no_secrets(
        &edge,
        &tokens.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    Ok(())
}

#[tokio::test]
async fn servers_come_from_pomerium_with_the_request_token() -> anyhow::Result<()> {
    let provider = FakeProvider::start(Script::default()).await?;
    let Chain {
        edge: _edge,
        pomerium,
        ..
    } = chain(&provider, &[]).await?;
    let list: protocol::ServerList = client()
        .get(format!("{}/api/servers", pomerium.base_url()))
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(list.servers.len(), 1);
    assert_eq!(list.servers[0].id, "northwind");
    assert_eq!(list.servers[0].url, pomerium.mcp_url(0));
    let issued = pomerium.issued();
    assert_eq!(issued.len(), 1);
    assert_eq!(pomerium.routes_calls(), vec![Some(issued[0].te.clone())]);
    Ok(())
}

#[tokio::test]
async fn events_spaced_upstream_arrive_spaced() -> anyhow::Result<()> {
    // Wide enough that only a relay that holds events back can deliver two together: at 200 ms
    // a runtime descheduled for 150 ms on a loaded 2-core machine read two upstream chunks at
    // once (seen twice in the composed-Spin re-run while other builds ran).
    let gap = Duration::from_millis(400);
    let mut transcript = vec![(
        Duration::ZERO,
        frame(&serde_json::json!({"type":"response.created","response":{"id":"resp_t"}})),
    )];
    for i in 0..5 {
        transcript.push((gap, frame(&serde_json::json!({"type":"response.output_text.delta","delta":format!("part{i} ")}))));
    }
    transcript.push((
        gap,
        frame(&serde_json::json!({"type":"response.completed","response":{"id":"resp_t"}})),
    ));
    let provider = FakeProvider::start(Script::Transcript(transcript)).await?;
    let chain = chain(&provider, &[]).await?;
    let response = post_chat(&chain, "pom_mat_spacing").await?;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let events = read_events(response).await?;
    let deltas: Vec<Instant> = events
        .iter()
        .filter(|(_, e)| matches!(e, StreamEvent::TextDelta { .. }))
        .map(|(t, _)| *t)
        .collect();
    assert_eq!(deltas.len(), 5);
    // Upstream cannot send faster than its schedule, so a relay that forwards each event as it
    // comes keeps the whole span and never delivers two deltas together.
    let span = deltas[4] - deltas[0];
    assert!(
        span >= gap * 4 * 9 / 10,
        "the deltas arrived within {span:?}; upstream spread them over {:?}",
        gap * 4
    );
    for pair in deltas.windows(2) {
        let spacing = pair[1] - pair[0];
        assert!(
            spacing >= gap / 4,
            "two deltas arrived {spacing:?} apart; upstream sent them {gap:?} apart"
        );
    }
    assert!(matches!(
        events.first(),
        Some((_, StreamEvent::Started { .. }))
    ));
    match events.last() {
        Some((
            _,
            StreamEvent::Done {
                response_id: Some(sealed),
                ..
            },
        )) => assert_eq!(
            opened(edge::seal::Purpose::ResponseId, sealed).as_deref(),
            Some("resp_t"),
            "the response id goes out sealed to the user: {sealed}"
        ),
        other => panic!("unexpected last event {other:?}"),
    }
    assert_no_secrets(&chain.edge, &["pom_mat_spacing", "sk-test-edge-key"]);
    Ok(())
}

#[tokio::test]
async fn provider_429_becomes_an_error_event() -> anyhow::Result<()> {
    let body = r#"{"error":{"message":"Rate limit reached","type":"requests","param":null,"code":"rate_limit_exceeded"}}"#;
    let provider = FakeProvider::start(Script::Status {
        status: 429,
        body: body.into(),
        retry_after: Some(3),
    })
    .await?;
    let chain = chain(&provider, &[]).await?;
    let response = post_chat(&chain, "pom_mat_429").await?;
    let events: Vec<StreamEvent> = events(response).await?;
    match events.as_slice() {
        [StreamEvent::Started { .. }, StreamEvent::Error(err)] => {
            assert_eq!(
                (err.code, err.retryable),
                (ErrorCode::ProviderRateLimited, true)
            );
        }
        other => panic!("unexpected events {other:?}"),
    }
    assert_eq!(
        provider.requests()[0].authorization.as_deref(),
        Some("sk-test-edge-key")
    );
    Ok(())
}

#[tokio::test]
async fn stream_without_a_final_event_ends_with_an_interruption_error() -> anyhow::Result<()> {
    let transcript = vec![(
        Duration::ZERO,
        frame(&serde_json::json!({"type":"response.output_text.delta","delta":"partial"})),
    )];
    let provider = FakeProvider::start(Script::Transcript(transcript)).await?;
    let chain = chain(&provider, &[]).await?;
    let response = post_chat(&chain, "pom_mat_cut").await?;
    let events: Vec<StreamEvent> = events(response).await?;
    assert_eq!(
        events[1],
        StreamEvent::TextDelta {
            delta: "partial".into()
        }
    );
    match events.last() {
        Some(StreamEvent::Error(err)) => assert_eq!(err.code, ErrorCode::StreamInterrupted),
        other => panic!("unexpected last event {other:?}"),
    }
    Ok(())
}
