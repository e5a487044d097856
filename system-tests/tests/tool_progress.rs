//! Progress of a running tool in edge tool mode, through the real edge and the real
//! northwind-mcp: `slow_query` reports `notifications/progress` (0..3 of 4, 250 ms apart), and the
//! edge streams them as `tool_progress` events while the call runs, before its result; a client
//! that goes away mid-call gets the call cancelled.

use std::time::Duration;

use futures_util::StreamExt;
use protocol::StreamEvent;
use serde_json::json;
use testkit::chain::Chain;
use testkit::provider::{FakeProvider, Script};

use crate::support::{client, northwind_chain, read_events};
use crate::widget::chain::eventually;

/// Starts the chain `name` in edge tool mode and asks for the slow count; the answer's response.
async fn ask_slowly(name: &str) -> anyhow::Result<(FakeProvider, Chain, reqwest::Response)> {
    let provider = FakeProvider::start(Script::default()).await?;
    let chain = northwind_chain(&provider, name, &[("TOOL_MODE", "edge")]).await?;
    let body = json!({
        "messages": [{"role": "user", "content": "Count the orders slowly, please"}],
        "servers": ["northwind"],
    });
    let res = client()
        .post(format!("{}/api/chat", chain.pomerium.base_url()))
        .json(&body)
        .send()
        .await?;
    anyhow::ensure!(res.status() == 200, "status {}", res.status());
    Ok((provider, chain, res))
}

#[tokio::test]
async fn progress_of_a_slow_tool_streams_before_its_result() -> anyhow::Result<()> {
    let (_provider, _chain, res) = ask_slowly("tool_progress").await?;
    let events = read_events(res).await?;
    let all: Vec<&StreamEvent> = events.iter().map(|(_, e)| e).collect();

    let call_id = all
        .iter()
        .find_map(|e| match e {
            StreamEvent::ToolCallStarted { call_id, tool, .. } if tool == "slow_query" => {
                Some(call_id.clone())
            }
            _ => None,
        })
        .unwrap_or_else(|| panic!("no slow_query call: {all:?}"));
    let result_at = events
        .iter()
        .position(
            |(_, e)| matches!(e, StreamEvent::ToolCallResult { call_id: c, .. } if *c == call_id),
        )
        .unwrap_or_else(|| panic!("no result: {all:?}"));
    let progress: Vec<(usize, Option<u8>, Option<&str>)> = events
        .iter()
        .enumerate()
        .filter_map(|(i, (_, e))| match e {
            StreamEvent::ToolProgress {
                call_id: c,
                percent,
                message,
            } if *c == call_id => Some((i, *percent, message.as_deref())),
            _ => None,
        })
        .collect();
    // Four reports, 250 ms apart, pass the edge's 200 ms gate: each is sent as it comes.
    assert!(progress.len() >= 2, "{all:?}");
    assert!(progress.iter().all(|(i, ..)| *i < result_at), "{all:?}");
    let percents: Vec<u8> = progress.iter().filter_map(|(_, p, _)| *p).collect();
    assert!(percents.windows(2).all(|w| w[0] < w[1]), "{percents:?}");
    assert_eq!(percents.first(), Some(&0), "{all:?}");
    assert!(
        progress
            .iter()
            .any(|(_, _, m)| *m == Some("reading the tables")),
        "{all:?}"
    );
    // Written as they arrive, not after the call ended: the first report reached the client at
    // least one 250 ms step before the result.
    let first_at = events[progress[0].0].0;
    let result_seen = events[result_at].0;
    assert!(
        result_seen.duration_since(first_at) >= Duration::from_millis(250),
        "progress came {:?} before the result",
        result_seen.duration_since(first_at)
    );
    assert!(
        matches!(all.last(), Some(StreamEvent::Done { .. })),
        "{all:?}"
    );
    Ok(())
}

/// A client that goes away while `slow_query` runs: the edge tells northwind-mcp the call is off
/// (`notifications/cancelled`, one more POST through Pomerium's MCP route after the call's).
#[tokio::test]
async fn a_client_that_goes_away_cancels_the_running_tool() -> anyhow::Result<()> {
    let (_provider, chain, res) = ask_slowly("tool_cancel").await?;
    // Read until the first progress report: the call is running.
    let mut decoder = protocol::sse::Decoder::default();
    let mut body = res.bytes_stream();
    'running: while let Some(chunk) = body.next().await {
        for frame in decoder.push(&chunk?) {
            if matches!(
                StreamEvent::from_frame(&frame)?,
                StreamEvent::ToolProgress { .. }
            ) {
                break 'running;
            }
        }
    }
    let during_call = chain.pomerium.mcp_requests(0);
    drop(body);
    eventually("the cancel to reach the MCP route", 20, || {
        chain.pomerium.mcp_requests(0) > during_call
    })
    .await?;
    let hits = chain.pomerium.mcp_hits(0);
    assert!(hits.iter().all(|h| h.accepted), "{}", hits.len());
    Ok(())
}
