//! The edge's API beyond the chat stream, under `wasmtime serve`: CORS, the model allow-list,
//! connect and disconnect through Pomerium, keep-alive comments and the idle limit, assertions
//! required behind Pomerium, and the health (readiness) of a configured and a misconfigured edge.

use std::time::Duration;

use futures_util::StreamExt;
use protocol::{ErrorCode, ErrorResponse, ModelList, ServerList, StreamEvent};
use testkit::process::{Artifacts, EdgeProcess};
use testkit::provider::{FakeProvider, Script};

use crate::support::{
    CHAT, Chain, ROUTE_HOST, chain, client, edge, edge_with, events, frame, post_chat, read_events,
};

/// Percent-encodes a query value.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

const INTRANET: &str = "https://intranet.example.com";

fn completed_transcript() -> Script {
    Script::Transcript(vec![
        (
            Duration::ZERO,
            frame(&serde_json::json!({"type":"response.output_text.delta","delta":"ok"})),
        ),
        (
            Duration::ZERO,
            frame(&serde_json::json!({"type":"response.completed","response":{"id":"resp_c"}})),
        ),
    ])
}

#[tokio::test]
async fn cors_allows_listed_origins_and_refuses_the_rest_before_any_upstream_call()
-> anyhow::Result<()> {
    let provider = FakeProvider::start(completed_transcript()).await?;
    let chain = chain(&provider, &[("ALLOWED_ORIGINS", INTRANET)]).await?;
    let url = |path: &str| format!("{}{path}", chain.edge.base_url);

    let preflight = client()
        .request(reqwest::Method::OPTIONS, url("/api/chat"))
        .header("origin", INTRANET)
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type")
        .send()
        .await?;
    assert_eq!(preflight.status(), 204);
    let h = preflight.headers();
    assert_eq!(h["access-control-allow-origin"], INTRANET);
    assert_eq!(h["access-control-allow-credentials"], "true");
    assert!(h["access-control-allow-methods"].to_str()?.contains("POST"));
    assert!(
        h["access-control-allow-headers"]
            .to_str()?
            .contains("content-type")
    );
    assert_eq!(h["vary"], "Origin");

    for evil in [
        "https://evil.example",
        "https://intranet.example.com.evil.example",
        "null",
    ] {
        let preflight = client()
            .request(reqwest::Method::OPTIONS, url("/api/chat"))
            .header("origin", evil)
            .header("access-control-request-method", "POST")
            .send()
            .await?;
        assert_eq!(preflight.status(), 403, "{evil}");
        assert!(
            preflight
                .headers()
                .get("access-control-allow-origin")
                .is_none()
        );
        let post = client()
            .post(url("/api/chat"))
            .header("origin", evil)
            .bearer_auth("pom_mat_cors")
            .header("content-type", "application/json")
            .body(CHAT)
            .send()
            .await?;
        assert_eq!(post.status(), 403, "{evil}");
        assert_eq!(
            post.json::<ErrorResponse>().await?.error.code,
            ErrorCode::Forbidden
        );
        let servers = client()
            .get(url("/api/servers"))
            .header("origin", evil)
            .bearer_auth("pom_mat_cors")
            .send()
            .await?;
        assert_eq!(
            servers.status(),
            403,
            "a refused origin must not reach Pomerium (which would answer 502 here)"
        );
    }
    assert_eq!(provider.request_count(), 0);

    let allowed = chain
        .direct(client().post(url("/api/chat")), "pom_mat_cors")
        .header("origin", INTRANET)
        .header("content-type", "application/json")
        .body(CHAT)
        .send()
        .await?;
    assert_eq!(allowed.status(), 200);
    assert_eq!(allowed.headers()["access-control-allow-origin"], INTRANET);
    let events = read_events(allowed).await?;
    assert!(matches!(events.last(), Some((_, StreamEvent::Done { .. }))));
    Ok(())
}

#[tokio::test]
async fn models_come_from_the_allow_list_and_others_are_refused() -> anyhow::Result<()> {
    let provider = FakeProvider::start(completed_transcript()).await?;
    let chain = chain(
        &provider,
        &[("MODELS", "small,large"), ("OPENAI_MODEL", "large")],
    )
    .await?;
    let list: ModelList = chain
        .direct(
            client().get(format!("{}/api/models", chain.edge.base_url)),
            "pom_mat_m",
        )
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(
        list,
        ModelList {
            models: vec!["small".into(), "large".into()],
            default: "large".into(),
            notice: None,
            hosted_tools: Vec::new(),
        }
    );
    let body =
        serde_json::json!({"messages":[{"role":"user","content":"hi"}],"model":"gpt-unlisted"});
    let res = chain
        .direct(
            client().post(format!("{}/api/chat", chain.edge.base_url)),
            "pom_mat_m",
        )
        .json(&body)
        .send()
        .await?;
    assert_eq!(res.status(), 400);
    assert_eq!(
        res.json::<ErrorResponse>().await?.error.code,
        ErrorCode::ModelNotAllowed
    );
    assert_eq!(provider.request_count(), 0);
    let body = serde_json::json!({"messages":[{"role":"user","content":"hi"}],"model":"small"});
    let res = chain
        .direct(
            client().post(format!("{}/api/chat", chain.edge.base_url)),
            "pom_mat_m",
        )
        .json(&body)
        .send()
        .await?;
    read_events(res).await?;
    assert_eq!(provider.requests()[0].body["model"], "small");
    Ok(())
}

#[tokio::test]
async fn servers_can_be_connected_and_disconnected_through_pomerium() -> anyhow::Result<()> {
    let provider = FakeProvider::start(Script::default()).await?;
    let Chain {
        edge: _edge,
        pomerium,
        ..
    } = chain(&provider, &[]).await?;
    let base = pomerium.base_url();
    let mcp_origin = pomerium.mcp_url(0).trim_end_matches("/mcp").to_owned();

    let back = "https://intranet.example.com/page?tab=2";
    let list: ServerList = client()
        .get(format!("{base}/api/servers?redirect_url={}", encode(back)))
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(
        list.servers[0].connect_url.as_deref(),
        Some(format!("{mcp_origin}/.pomerium/mcp/connect?redirect_url=https%3A%2F%2Fintranet.example.com%2Fpage%3Ftab%3D2").as_str())
    );
    for bad in [
        "http://intranet.example.com/",
        "javascript:alert(1)",
        "//evil.example",
    ] {
        let res = client()
            .get(format!("{base}/api/servers?redirect_url={}", encode(bad)))
            .send()
            .await?;
        assert_eq!(res.status(), 400, "{bad}");
    }

    let res = client()
        .post(format!("{base}/api/servers/disconnect"))
        .json(&serde_json::json!({"servers":["nope"]}))
        .send()
        .await?;
    assert_eq!(res.status(), 400);
    assert!(
        pomerium.disconnects().is_empty(),
        "an unknown id must not reach Pomerium's disconnect"
    );
    let list: ServerList = client()
        .post(format!("{base}/api/servers/disconnect"))
        .json(&serde_json::json!({"servers":["northwind"]}))
        .send()
        .await?
        .json()
        .await?;
    assert!(!list.servers[0].connected);
    assert_eq!(pomerium.disconnects(), vec![vec![pomerium.mcp_url(0)]]);
    Ok(())
}

#[tokio::test]
async fn keep_alive_comments_flow_while_the_provider_is_silent() -> anyhow::Result<()> {
    let provider = FakeProvider::start(Script::Transcript(vec![
        (
            Duration::ZERO,
            frame(&serde_json::json!({"type":"response.created","response":{"id":"r"}})),
        ),
        (
            Duration::from_millis(900),
            frame(&serde_json::json!({"type":"response.completed","response":{"id":"r"}})),
        ),
    ]))
    .await?;
    let chain = chain(&provider, &[("KEEPALIVE_MS", "100")]).await?;
    let res = post_chat(&chain, "pom_mat_k").await?;
    let mut text = String::new();
    let mut body = res.bytes_stream();
    while let Some(chunk) = body.next().await {
        text.push_str(&String::from_utf8_lossy(&chunk?));
    }
    let n_keep_alive = text.matches(": keep-alive\n\n").count();
    assert!(
        n_keep_alive >= 3,
        "{n_keep_alive} keep-alive comments in {text:?}"
    );
    assert!(
        text.trim_end()
            .rsplit('\n')
            .next()
            .is_some_and(|l| l.starts_with(r#"data: {"type":"done","response_id":"v1."#)),
        "{text}"
    );
    Ok(())
}

#[tokio::test]
async fn a_provider_silent_past_the_idle_limit_ends_the_answer_with_a_timeout() -> anyhow::Result<()>
{
    let provider = FakeProvider::start(Script::Transcript(vec![
        (
            Duration::ZERO,
            frame(&serde_json::json!({"type":"response.output_text.delta","delta":"partial"})),
        ),
        (
            Duration::from_secs(20),
            frame(&serde_json::json!({"type":"response.completed","response":{"id":"r"}})),
        ),
    ]))
    .await?;
    let chain = chain(
        &provider,
        &[("KEEPALIVE_MS", "100"), ("IDLE_TIMEOUT_MS", "500")],
    )
    .await?;
    let res = post_chat(&chain, "pom_mat_i").await?;
    let events: Vec<StreamEvent> = events(res).await?;
    assert_eq!(
        events[1],
        StreamEvent::TextDelta {
            delta: "partial".into()
        }
    );
    match events.last() {
        Some(StreamEvent::Error(err)) => assert_eq!(
            (err.code, err.retryable),
            (ErrorCode::ProviderTimeout, true)
        ),
        other => panic!("unexpected last event {other:?}"),
    }
    Ok(())
}

#[tokio::test]
async fn in_edge_tool_mode_a_provider_silent_past_the_idle_limit_ends_the_answer_with_a_timeout()
-> anyhow::Result<()> {
    // A Chat Completions stream (edge tool mode: the edge runs the loop and reads the provider
    // itself) that says one word, then stays silent far past the idle limit.
    use testkit::frames::{DONE, chunk};
    let provider = FakeProvider::start(Script::Transcript(vec![
        (
            Duration::ZERO,
            chunk(&serde_json::json!({"choices":[{"index":0,"delta":{"content":"partial"}}]})),
        ),
        (
            Duration::from_secs(20),
            chunk(&serde_json::json!({"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]})),
        ),
        (Duration::ZERO, DONE.to_owned()),
    ]))
    .await?;
    let chain = chain(
        &provider,
        &[
            ("PROVIDER", "chat_completions"),
            ("TOOL_MODE", "edge"),
            ("KEEPALIVE_MS", "100"),
            ("IDLE_TIMEOUT_MS", "500"),
        ],
    )
    .await?;
    let res = post_chat(&chain, "pom_mat_i").await?;
    let events: Vec<StreamEvent> = events(res).await?;
    assert!(
        events.contains(&StreamEvent::TextDelta {
            delta: "partial".into()
        }),
        "{events:?}"
    );
    match events.last() {
        Some(StreamEvent::Error(err)) => assert_eq!(
            (err.code, err.retryable),
            (ErrorCode::ProviderTimeout, true)
        ),
        other => panic!("unexpected last event {other:?}"),
    }
    Ok(())
}

/// `GET /api/health`: its status code and JSON body.
async fn health_of(edge: &EdgeProcess) -> anyhow::Result<(u16, serde_json::Value)> {
    let response = client()
        .get(format!("{}/api/health", edge.base_url))
        .send()
        .await?;
    Ok((response.status().as_u16(), response.json().await?))
}

#[tokio::test]
async fn health_is_ready_only_with_a_provider_and_good_settings() -> anyhow::Result<()> {
    let provider = FakeProvider::start(Script::default()).await?;
    let ready = edge(&provider, "http://127.0.0.1:9")?;
    let (status, body) = health_of(&ready).await?;
    assert_eq!((status, &body["status"]), (200, &serde_json::json!("ok")));
    // No key and OpenAI's URL: nothing could answer a chat, so health checks see 503.
    let artifacts = Artifacts::from_env()?;
    let unconfigured = EdgeProcess::start(&artifacts, &[("POMERIUM_URL", "http://127.0.0.1:9")])?;
    let (status, body) = health_of(&unconfigured).await?;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["status"], "degraded");
    assert_eq!(body["provider_configured"], false);
    Ok(())
}

#[tokio::test]
async fn health_reports_configuration_problems() -> anyhow::Result<()> {
    let provider = FakeProvider::start(Script::default()).await?;
    let edge = edge_with(
        &provider,
        "http://127.0.0.1:9",
        &[
            ("MCP_POLICIES", "{not json"),
            ("PROVIDER", "chat_completions"),
        ],
    )?;
    let (status, health) = health_of(&edge).await?;
    assert_eq!(status, 503, "a setting that does not parse: not ready");
    assert_eq!(health["status"], "degraded");
    // The tool mode as configured (the helper pins `hosted`), and the provider's API.
    assert_eq!(health["tool_mode"], "hosted", "{health}");
    assert_eq!(health["provider_api"], "chat_completions", "{health}");
    assert!(
        health["problems"][0]
            .as_str()
            .unwrap_or_default()
            .contains("mcp_policies")
    );
    Ok(())
}

#[tokio::test]
async fn a_client_that_goes_away_cancels_the_provider_stream() -> anyhow::Result<()> {
    let provider = FakeProvider::start(Script::Transcript(vec![
        (
            Duration::ZERO,
            frame(&serde_json::json!({"type":"response.output_text.delta","delta":"first"})),
        ),
        (
            Duration::from_secs(30),
            frame(&serde_json::json!({"type":"response.completed","response":{"id":"r"}})),
        ),
    ]))
    .await?;
    let chain = chain(&provider, &[("KEEPALIVE_MS", "100")]).await?;
    let res = post_chat(&chain, "pom_mat_gone").await?;
    let mut body = res.bytes_stream();
    let mut seen = String::new();
    while !seen.contains("first") {
        let chunk = body
            .next()
            .await
            .ok_or_else(|| anyhow::anyhow!("stream ended early"))??;
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert_eq!(provider.open_streams(), 1);
    drop(body);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while provider.open_streams() > 0 && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        provider.open_streams(),
        0,
        "the edge kept reading the provider after its client left"
    );
    assert_eq!(provider.abandoned_streams(), 1);
    Ok(())
}

#[tokio::test]
async fn with_assertions_required_only_requests_through_pomerium_pass() -> anyhow::Result<()> {
    let provider = FakeProvider::start(completed_transcript()).await?;
    let Chain { edge, pomerium, .. } = chain(&provider, &[("JWT_ASSERTION", "required")]).await?;

    let servers = client()
        .get(format!("{}/api/servers", pomerium.base_url()))
        .send()
        .await?;
    assert_eq!(servers.status(), 200);
    let chat = client()
        .post(format!("{}/api/chat", pomerium.base_url()))
        .header("content-type", "application/json")
        .body(CHAT)
        .send()
        .await?;
    assert!(matches!(
        read_events(chat).await?.last(),
        Some((_, StreamEvent::Done { .. }))
    ));

    let direct = |assertion: Option<String>| {
        let mut request = client()
            .post(format!("{}/api/chat", edge.base_url))
            .bearer_auth("pom_mat_direct")
            .header("content-type", "application/json")
            .body(CHAT);
        if let Some(assertion) = assertion {
            request = request.header("x-pomerium-jwt-assertion", assertion);
        }
        request.send()
    };
    let refused = [
        ("no assertion", None),
        (
            "another key",
            Some(testkit::pomerium::foreign_assertion(ROUTE_HOST)),
        ),
        ("expired", Some(pomerium.assertion(ROUTE_HOST, -600))),
        (
            "another audience",
            Some(pomerium.assertion("evil.example", 300)),
        ),
        ("garbage", Some("a.b.c".to_owned())),
    ];
    for (what, assertion) in refused {
        let res = direct(assertion).await?;
        assert_eq!(res.status(), 401, "{what}");
        assert_eq!(
            res.json::<ErrorResponse>().await?.error.code,
            ErrorCode::Unauthorized,
            "{what}"
        );
    }
    assert_eq!(
        provider.request_count(),
        1,
        "only the chat through Pomerium reached the provider"
    );
    let res = direct(Some(pomerium.assertion(ROUTE_HOST, 300))).await?;
    assert_eq!(res.status(), 200, "a valid assertion passes");
    Ok(())
}

#[tokio::test]
async fn an_unreachable_mcp_server_is_named_in_the_error() -> anyhow::Result<()> {
    // The fake Pomerium's MCP route forwards to a port nobody listens on, so the provider cannot
    // list the tools and answers 424, as OpenAI does.
    let provider = FakeProvider::start(Script::default()).await?;
    let Chain {
        edge: _edge,
        pomerium,
        ..
    } = chain(&provider, &[]).await?;
    let body = serde_json::json!({"messages":[{"role":"user","content":"sales by year?"}],"servers":["northwind"]});
    let res = client()
        .post(format!("{}/api/chat", pomerium.base_url()))
        .json(&body)
        .send()
        .await?;
    let events: Vec<StreamEvent> = events(res).await?;
    match events.last() {
        Some(StreamEvent::Error(err)) => {
            assert_eq!(
                (err.code, err.retryable),
                (ErrorCode::McpServerUnreachable, true)
            );
            assert!(err.message.contains("Northwind"), "{}", err.message);
        }
        other => panic!("unexpected last event {other:?}"),
    }
    Ok(())
}

#[tokio::test]
async fn the_widget_bundle_is_revalidated_and_an_unchanged_file_comes_back_without_a_body()
-> anyhow::Result<()> {
    let provider = FakeProvider::start(completed_transcript()).await?;
    let edge = edge(&provider, "http://127.0.0.1:9")?;
    let url = format!("{}/widget/widget_bg.wasm", edge.base_url);

    let first = client().get(&url).send().await?;
    assert_eq!(first.status(), 200);
    assert_eq!(first.headers()["content-type"], "application/wasm");
    // Asked again on every page (the names carry no hash), but answered cheaply.
    assert_eq!(first.headers()["cache-control"], "no-cache");
    let etag = first.headers()["etag"].to_str()?.to_owned();
    assert!(etag.starts_with("W/\""), "{etag}");
    let bytes = first.bytes().await?;
    assert!(bytes.starts_with(b"\0asm"));

    let again = client()
        .get(&url)
        .header("if-none-match", &etag)
        .send()
        .await?;
    assert_eq!(again.status(), 304);
    assert_eq!(again.headers()["etag"], etag.as_str());
    assert_eq!(again.headers()["x-content-type-options"], "nosniff");
    assert!(again.bytes().await?.is_empty());

    // Another tag (another build) gets the whole file; so does another file with this tag.
    let stale = client()
        .get(&url)
        .header("if-none-match", "W/\"1-0\", \"nope\"")
        .send()
        .await?;
    assert_eq!(stale.status(), 200);
    assert_eq!(stale.bytes().await?, bytes);
    let other = client()
        .get(format!("{}/widget/pomerium-chat.js", edge.base_url))
        .header("if-none-match", &etag)
        .send()
        .await?;
    assert_eq!(other.status(), 200);
    assert_ne!(other.headers()["etag"], etag.as_str());
    Ok(())
}
