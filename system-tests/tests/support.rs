//! Shared helpers of the edge tests: starting the edge and a fake Pomerium, an HTTP client,
//! reading an event stream, building provider frames.

use std::time::Instant;

use futures_util::StreamExt;
use protocol::{StreamEvent, sse};
pub(crate) use testkit::chain::{ASSERTION, Chain, ROUTE_HOST};
use testkit::chain::{ChainConfig, Northwind};
use testkit::pomerium::FakePomeriumConfig;
use testkit::process::{Artifacts, EdgeProcess};
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
    let base = provider.base_url();
    let mut env = vec![
        ("OPENAI_BASE_URL", base.as_str()),
        ("POMERIUM_URL", pomerium_url),
    ];
    let rest = edge_env(extra);
    env.extend(rest.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    EdgeProcess::start(&Artifacts::from_env()?, &env)
}

/// The edge tests' configuration: [`API_KEY`], `TOOL_MODE=hosted` unless `extra` sets it, then
/// `extra`.
fn edge_env(extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut env = vec![("OPENAI_API_KEY", API_KEY)];
    if !extra.iter().any(|(k, _)| *k == "TOOL_MODE") {
        env.push(("TOOL_MODE", "hosted"));
    }
    env.extend_from_slice(extra);
    env.into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
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

/// An edge behind a fake Pomerium listing one MCP server that nobody serves, configured as
/// [`edge_with`] does. Requests go through Pomerium (`pomerium.base_url()`), or straight to the
/// edge carrying what Pomerium would add ([`Chain::direct`]).
pub(crate) async fn chain(
    provider: &FakeProvider,
    extra: &[(&str, &str)],
) -> anyhow::Result<Chain> {
    start_chain(
        provider,
        extra,
        Northwind::Unserved,
        FakePomeriumConfig::default(),
    )
    .await
}

/// The same, behind a fake Pomerium configured by `cfg` (its routes only those it lists).
pub(crate) async fn chain_with(
    provider: &FakeProvider,
    extra: &[(&str, &str)],
    cfg: FakePomeriumConfig,
) -> anyhow::Result<Chain> {
    start_chain(provider, extra, Northwind::None, cfg).await
}

/// The same with the real northwind-mcp behind Pomerium's MCP route (scratch folder `name`).
pub(crate) async fn northwind_chain(
    provider: &FakeProvider,
    name: &str,
    extra: &[(&str, &str)],
) -> anyhow::Result<Chain> {
    Chain::start(
        &provider.base_url(),
        ChainConfig {
            edge_env: edge_env(extra),
            ..ChainConfig::new(name, &[])
        },
    )
    .await
}

async fn start_chain(
    provider: &FakeProvider,
    extra: &[(&str, &str)],
    northwind: Northwind,
    pomerium: FakePomeriumConfig,
) -> anyhow::Result<Chain> {
    Chain::start(
        &provider.base_url(),
        ChainConfig {
            name: "edge".to_owned(),
            northwind,
            edge_env: edge_env(extra),
            pomerium,
            ..ChainConfig::default()
        },
    )
    .await
}

/// Posts the minimal chat request ([`CHAT`]) straight to the chain's edge with `token`.
pub(crate) async fn post_chat(chain: &Chain, token: &str) -> anyhow::Result<reqwest::Response> {
    let request = client()
        .post(format!("{}/api/chat", chain.edge.base_url))
        .header("content-type", "application/json")
        .body(CHAT);
    Ok(chain.direct(request, token).send().await?)
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
