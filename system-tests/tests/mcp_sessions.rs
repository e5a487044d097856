//! MCP sessions over the real edge in edge tool mode, with the real northwind-mcp behind
//! Pomerium's route: a session the server forgets mid-answer (`404` "Session not found") is
//! initialized again once and the call sent again, so the answer still ends with the tool's
//! result; and every session the answer opened ends with `DELETE` once the answer is over.

use protocol::StreamEvent;
use serde_json::json;
use testkit::pomerium::Fault;
use testkit::provider::{FakeProvider, Script};

use crate::support::{client, northwind_chain, read_events};
use crate::widget::chain::eventually;

#[tokio::test]
async fn a_forgotten_session_is_renewed_once_and_every_session_ends() -> anyhow::Result<()> {
    let provider = FakeProvider::start(Script::default()).await?;
    let chain = northwind_chain(&provider, "mcp_sessions", &[("TOOL_MODE", "edge")]).await?;
    chain.pomerium.set_fault(Some(Fault::McpSessionLost));
    let body = json!({
        "messages": [{"role": "user", "content": "Which tables are in the database?"}],
        "servers": ["northwind"],
    });
    let res = client()
        .post(format!("{}/api/chat", chain.pomerium.base_url()))
        .json(&body)
        .send()
        .await?;
    anyhow::ensure!(res.status() == 200, "status {}", res.status());
    let events: Vec<StreamEvent> = read_events(res)
        .await?
        .into_iter()
        .map(|(_, e)| e)
        .collect();
    let result = events.iter().find_map(|e| match e {
        StreamEvent::ToolCallResult { output, .. } => Some(output.clone()),
        _ => None,
    });
    anyhow::ensure!(
        result.as_deref().is_some_and(|r| r.contains("Customers")),
        "the call was sent again in a new session: {events:?}"
    );
    anyhow::ensure!(
        matches!(events.last(), Some(StreamEvent::Done { .. })),
        "{events:?}"
    );
    // The route really forgot a session (the fault cleared itself on the call it refused).
    anyhow::ensure!(
        chain.pomerium.fault().is_none(),
        "no tools/call reached the route"
    );

    // After the answer: the renewed session ends with DELETE (the forgotten one is gone).
    eventually("the session's DELETE", 10, || {
        let hits = chain.pomerium.mcp_hits(0);
        hits.iter()
            .filter(|h| h.method == "DELETE" && h.accepted)
            .count()
            == 1
    })
    .await?;
    let posts = chain.pomerium.mcp_hits(0);
    anyhow::ensure!(
        posts.iter().all(|h| h.accepted),
        "every request carried the user's TE: {posts:?}"
    );
    Ok(())
}
