//! MCP Apps through the real edge in edge tool mode, with the real northwind-mcp behind the
//! fake Pomerium: `chart_query` links `ui://northwind/chart`, so after its result the edge reads
//! the view through the call's authenticated session and announces it as `app_view` with a
//! sealed handle; `GET /api/app/view` serves the view under its own sandboxing policy, the
//! view's tool calls (`POST /api/app/tool-call`) reach northwind with the user's token for that
//! request, and the tool policy, the handle's seal and its user are enforced.

use protocol::{ErrorCode, StreamEvent};
use serde_json::{Value, json};
use testkit::chain::Chain;
use testkit::pomerium::User;
use testkit::provider::{FakeProvider, Script};

use crate::support::{assert_error, client, events, northwind_chain, opened};
use crate::widget::chain::eventually;

/// Asks for the chart in edge tool mode; the chain and the answer's events.
async fn chart(
    name: &str,
    extra: &[(&str, &str)],
) -> anyhow::Result<(FakeProvider, Chain, Vec<StreamEvent>)> {
    let provider = FakeProvider::start(Script::default()).await?;
    let mut env = vec![("TOOL_MODE", "edge")];
    env.extend_from_slice(extra);
    let chain = northwind_chain(&provider, name, &env).await?;
    let body = json!({
        "messages": [{"role": "user", "content": "Chart our sales by category"}],
        "servers": ["northwind"],
    });
    let res = client()
        .post(format!("{}/api/chat", chain.pomerium.base_url()))
        .json(&body)
        .send()
        .await?;
    anyhow::ensure!(res.status() == 200, "status {}", res.status());
    let events = events(res).await?;
    Ok((provider, chain, events))
}

/// The `app_view` of the answer: (call id, uri, handle).
fn app_view(events: &[StreamEvent]) -> (String, String, String) {
    events
        .iter()
        .find_map(|e| match e {
            StreamEvent::AppView {
                call_id,
                uri,
                handle,
            } => Some((call_id.clone(), uri.clone(), handle.clone())),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no app_view: {events:?}"))
}

/// Gets a view's document through Pomerium (as its frame does).
async fn view(chain: &Chain, handle: &str) -> anyhow::Result<reqwest::Response> {
    Ok(client()
        .get(format!(
            "{}/api/app/view?handle={handle}",
            chain.pomerium.base_url()
        ))
        .send()
        .await?)
}

/// Posts a view's tool call through Pomerium (as the browser does).
async fn app_call(chain: &Chain, body: Value) -> anyhow::Result<reqwest::Response> {
    Ok(client()
        .post(format!("{}/api/app/tool-call", chain.pomerium.base_url()))
        .json(&body)
        .send()
        .await?)
}

#[tokio::test]
async fn the_chart_view_comes_after_its_result_and_its_calls_reach_northwind_as_the_user()
-> anyhow::Result<()> {
    let (_provider, chain, events) = chart("app_views", &[]).await?;
    let (call_id, uri, handle) = app_view(&events);
    assert_eq!(uri, "ui://northwind/chart");
    let result_at = events
        .iter()
        .position(|e| matches!(e, StreamEvent::ToolCallResult { call_id: c, .. } if *c == call_id))
        .expect("the call's result");
    let view_at = events
        .iter()
        .position(|e| matches!(e, StreamEvent::AppView { .. }))
        .unwrap();
    assert!(result_at < view_at, "{events:?}");
    assert!(
        matches!(events.last(), Some(StreamEvent::Done { .. })),
        "{events:?}"
    );
    // The handle is sealed to the user and names the server and tool, not a token.
    let payload: Value =
        serde_json::from_str(&opened(edge::seal::Purpose::AppView, &handle).expect("sealed"))?;
    assert_eq!(payload["s"], "northwind");
    assert_eq!(payload["t"], "chart_query");
    assert_eq!(payload["v"], "ui://northwind/chart");
    // The frame's document: the view, read again as the user, under a policy of its own.
    let res = view(&chain, &handle).await?;
    assert_eq!(res.status(), 200);
    let header = |name: &str| {
        res.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let csp = header("content-security-policy");
    assert!(
        csp.starts_with("sandbox allow-scripts; default-src 'none';")
            && csp.contains("connect-src 'none'")
            && csp.ends_with("frame-ancestors 'self'"),
        "{csp}"
    );
    assert!(header("content-type").starts_with("text/html"));
    assert_eq!(header("cache-control"), "no-store");
    let html = res.text().await?;
    assert!(html.contains("<title>Northwind chart</title>"), "{html}");
    for issued in chain.pomerium.issued() {
        assert!(!handle.contains(&issued.te) && !html.contains(&issued.te));
    }

    // The view's own call, as the widget sends it: it reaches northwind through Pomerium's MCP
    // route with the TE Pomerium issued for this very request. (First the sessions of the
    // answer and of the view's read end: the answer's `DELETE` follows its stream.)
    eventually("the answer's and the view's sessions to end", 10, || {
        let hits = chain.pomerium.mcp_hits(0);
        hits.iter().filter(|h| h.method == "DELETE").count() >= 2
    })
    .await?;
    let hits_before = chain.pomerium.mcp_hits(0).len();
    let res = app_call(
        &chain,
        json!({"handle": handle, "name": "chart_query",
               "arguments": {"query": "SELECT 'x' AS label, 42 AS n"}}),
    )
    .await?;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await?;
    let text = body["result"]["content"][0]["text"]
        .as_str()
        .unwrap_or_default();
    assert!(text.contains("42"), "{body}");
    let te = chain
        .pomerium
        .issued()
        .into_iter()
        .rfind(|t| t.path == "/api/app/tool-call")
        .expect("Pomerium forwarded the app's call")
        .te;
    let hits = chain.pomerium.mcp_hits(0);
    let new_hits = &hits[hits_before..];
    assert!(!new_hits.is_empty());
    assert!(
        new_hits
            .iter()
            .all(|h| h.accepted && h.te.as_deref() == Some(te.as_str())),
        "every request of the app's call carries the user's TE of that request"
    );
    Ok(())
}

#[tokio::test]
async fn a_view_cannot_call_past_the_policy_or_with_a_handle_not_its_own() -> anyhow::Result<()> {
    let policy = (
        "MCP_POLICIES",
        r#"{"northwind":{"allowed_tools":["chart_query","read_query"]}}"#,
    );
    let (_provider, chain, events) = chart("app_views_policy", &[policy]).await?;
    let (_, _, handle) = app_view(&events);
    let hits_before = chain.pomerium.mcp_requests(0);

    // A tool the policy keeps from the model is kept from the view, before any MCP request.
    let res = app_call(&chain, json!({"handle": handle, "name": "list_tables"})).await?;
    assert_error(res, 403, ErrorCode::ToolNotAllowed).await?;
    assert_eq!(chain.pomerium.mcp_requests(0), hits_before);

    // An altered, foreign or missing handle opens nothing.
    let mut altered = handle.clone();
    altered.replace_range(3..4, if &handle[3..4] == "A" { "B" } else { "A" });
    for bad in [altered, "v1.e30.99999999999.AAAA".to_owned(), String::new()] {
        let res = app_call(&chain, json!({"handle": bad, "name": "read_query"})).await?;
        assert_error(res, 403, ErrorCode::InvalidContinuation).await?;
    }
    // Arguments must be an object.
    let res = app_call(
        &chain,
        json!({"handle": handle, "name": "read_query", "arguments": [1]}),
    )
    .await?;
    assert_error(res, 400, ErrorCode::BadRequest).await?;
    assert_eq!(chain.pomerium.mcp_requests(0), hits_before);

    // Another user cannot use this user's handle, for a call or for the view.
    chain.pomerium.set_user(User::named("mallory"));
    let res = view(&chain, &handle).await?;
    assert_error(res, 403, ErrorCode::InvalidContinuation).await?;
    let res = app_call(
        &chain,
        json!({"handle": handle, "name": "read_query", "arguments": {"query": "SELECT 1"}}),
    )
    .await?;
    assert_error(res, 403, ErrorCode::InvalidContinuation).await?;
    assert_eq!(chain.pomerium.mcp_requests(0), hits_before);
    Ok(())
}
