//! Shared helpers of the edge tests: starting the edge and a fake Pomerium, an HTTP client,
//! reading an event stream, building provider frames.

use std::time::Instant;

use futures_util::StreamExt;
use protocol::{StreamEvent, sse};
use testkit::pomerium::{FakePomerium, FakePomeriumConfig, McpRoute};
use testkit::process::{Artifacts, EdgeProcess, free_local_addr};
use testkit::provider::FakeProvider;

pub(crate) const CHAT: &str = r#"{"messages":[{"role":"user","content":"hello"}],"servers":[]}"#;

/// The API key every edge test configures.
pub(crate) const API_KEY: &str = "sk-test-edge-key";

/// The edge with the provider at `provider`, Pomerium at `pomerium`.
pub(crate) fn edge(provider: &FakeProvider, pomerium_url: &str) -> anyhow::Result<EdgeProcess> {
    edge_with(provider, pomerium_url, &[])
}

/// The same, with more configuration. The fake Pomerium lists loopback URLs, which `auto` would
/// send to edge tool mode: these tests pin `TOOL_MODE=hosted` unless `extra` sets it.
pub(crate) fn edge_with(
    provider: &FakeProvider,
    pomerium_url: &str,
    extra: &[(&str, &str)],
) -> anyhow::Result<EdgeProcess> {
    let artifacts = Artifacts::from_env()?;
    let base = provider.base_url();
    let mut env = vec![
        ("OPENAI_BASE_URL", base.as_str()),
        ("OPENAI_API_KEY", API_KEY),
        ("POMERIUM_URL", pomerium_url),
    ];
    if !extra.iter().any(|(k, _)| *k == "TOOL_MODE") {
        env.push(("TOOL_MODE", "hosted"));
    }
    env.extend_from_slice(extra);
    EdgeProcess::start(&artifacts, &env)
}

/// A fake Pomerium at `addr` in front of `edge`, listing one MCP server that nobody serves.
pub(crate) async fn pomerium(
    edge: &EdgeProcess,
    addr: std::net::SocketAddr,
) -> anyhow::Result<FakePomerium> {
    FakePomerium::start(FakePomeriumConfig {
        edge_upstream: edge.base_url.clone(),
        client_addr: Some(addr),
        mcp_routes: vec![McpRoute {
            name: "Northwind".into(),
            description: Some("Sales data".into()),
            upstream: "http://127.0.0.1:9".into(),
            internal_token: "ti_unused".into(),
            ..McpRoute::default()
        }],
        sign_in: false,
        ..FakePomeriumConfig::default()
    })
    .await
}

pub(crate) fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("http client")
}

/// Reads an SSE body to its end, noting when each event arrived.
pub(crate) async fn read_events(
    response: reqwest::Response,
) -> anyhow::Result<Vec<(Instant, StreamEvent)>> {
    let mut decoder = sse::Decoder::default();
    let mut events = Vec::new();
    let mut body = response.bytes_stream();
    while let Some(chunk) = body.next().await {
        let now = Instant::now();
        for frame in decoder.push(&chunk?) {
            events.push((now, StreamEvent::from_frame(&frame)?));
        }
    }
    Ok(events)
}

pub(crate) fn assert_no_secrets(edge: &EdgeProcess, secrets: &[&str]) {
    for line in edge.process.output() {
        for secret in secrets {
            assert!(!line.contains(secret), "the edge logged a secret: {line}");
        }
    }
}

pub(crate) use testkit::frames::event as frame;

/// An edge behind a fake Pomerium ([`pomerium`]). Requests go through Pomerium
/// (`pomerium.base_url()`), or straight to the edge carrying what Pomerium would add
/// ([`Chain::direct`]).
pub(crate) struct Chain {
    pub(crate) edge: EdgeProcess,
    pub(crate) pomerium: FakePomerium,
}

/// The host the fake Pomerium's assertions name for a route on loopback (`aud`, `iss`).
pub(crate) const ROUTE_HOST: &str = "127.0.0.1";

/// Starts the edge (configured as [`edge_with`] does) behind a fake Pomerium ([`pomerium`]).
pub(crate) async fn chain(
    provider: &FakeProvider,
    extra: &[(&str, &str)],
) -> anyhow::Result<Chain> {
    let addr = free_local_addr()?;
    let edge = edge_with(provider, &format!("http://{addr}"), extra)?;
    let pomerium = pomerium(&edge, addr).await?;
    Ok(Chain { edge, pomerium })
}

/// The same, behind a fake Pomerium configured by `cfg` (its edge and address are set here).
pub(crate) async fn chain_with(
    provider: &FakeProvider,
    extra: &[(&str, &str)],
    cfg: FakePomeriumConfig,
) -> anyhow::Result<Chain> {
    let addr = free_local_addr()?;
    let edge = edge_with(provider, &format!("http://{addr}"), extra)?;
    let pomerium = FakePomerium::start(FakePomeriumConfig {
        edge_upstream: edge.base_url.clone(),
        client_addr: Some(addr),
        ..cfg
    })
    .await?;
    Ok(Chain { edge, pomerium })
}

impl Chain {
    /// `request` with what Pomerium adds: `Authorization: Bearer <token>` and a valid identity
    /// assertion for the current user.
    pub(crate) fn direct(
        &self,
        request: reqwest::RequestBuilder,
        token: &str,
    ) -> reqwest::RequestBuilder {
        request
            .bearer_auth(token)
            .header(ASSERTION, self.pomerium.assertion(ROUTE_HOST, 300))
    }

    /// Posts the minimal chat request ([`CHAT`]) straight to the edge with `token`.
    pub(crate) async fn post_chat(&self, token: &str) -> anyhow::Result<reqwest::Response> {
        let request = client()
            .post(format!("{}/api/chat", self.edge.base_url))
            .header("content-type", "application/json")
            .body(CHAT);
        Ok(self.direct(request, token).send().await?)
    }
}

/// Posts the minimal chat request ([`CHAT`]) to `base` (the fake Pomerium, which adds the
/// token and the assertion), without credentials of its own.
pub(crate) async fn post_chat_to(base: &str) -> anyhow::Result<reqwest::Response> {
    Ok(client()
        .post(format!("{base}/api/chat"))
        .header("content-type", "application/json")
        .body(CHAT)
        .send()
        .await?)
}

/// Checks that `res` is an error answer with `status` and `code`.
pub(crate) async fn assert_error(
    res: reqwest::Response,
    status: u16,
    code: protocol::ErrorCode,
) -> anyhow::Result<()> {
    assert_eq!(res.status(), status);
    let body: protocol::ErrorResponse = res.json().await?;
    assert_eq!(body.error.code, code);
    Ok(())
}

/// Pomerium's identity assertion header.
pub(crate) const ASSERTION: &str = "x-pomerium-jwt-assertion";

/// The sealed id `sealed` opened as the edge would for the fake Pomerium's default user.
pub(crate) fn opened(purpose: edge::seal::Purpose, sealed: &str) -> Option<String> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?
        .as_secs();
    let payload = edge::seal::open(
        testkit::process::TEST_SEAL_SECRET.as_bytes(),
        purpose,
        &testkit::pomerium::User::default().subject,
        now,
        sealed,
    )
    .ok()?;
    String::from_utf8(payload).ok()
}

/// The events of a stream, without their arrival times.
pub(crate) async fn events(response: reqwest::Response) -> anyhow::Result<Vec<StreamEvent>> {
    Ok(read_events(response)
        .await?
        .into_iter()
        .map(|(_, e)| e)
        .collect())
}
