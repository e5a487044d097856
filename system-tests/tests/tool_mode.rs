//! Edge tool mode under `wasmtime serve`: the edge is the MCP client and runs the tool loop,
//! with either provider API, in the deployed shape (through the fake Pomerium: its MCP route
//! gets the TE from the edge, northwind-mcp the TI) and in the local shape (no Pomerium: the
//! edge calls northwind-mcp directly with its configured token). Also: hosted and edge mode
//! give the same sequence of event kinds for the same question.

use protocol::{StreamEvent, ToolStatus};
use serde_json::{Value, json};
use testkit::chain::Chain;
use testkit::process::{Artifacts, EdgeProcess, NorthwindProcess, scratch_dir};
use testkit::provider::{FakeProvider, Script};

use crate::support::{client, northwind_chain, read_events};

pub(crate) const QUESTION: &str = "What were our sales by year?";

/// Posts a chat request and reads the whole event stream.
pub(crate) async fn ask(url: &str, body: Value) -> anyhow::Result<Vec<StreamEvent>> {
    let res = client().post(url).json(&body).send().await?;
    anyhow::ensure!(res.status() == 200, "status {}", res.status());
    Ok(read_events(res)
        .await?
        .into_iter()
        .map(|(_, e)| e)
        .collect())
}

pub(crate) fn text_of(events: &[StreamEvent]) -> String {
    events
        .iter()
        .filter_map(|e| match e {
            StreamEvent::TextDelta { delta } => Some(delta.as_str()),
            _ => None,
        })
        .collect()
}

/// Event kinds with runs of the same kind collapsed (delta counts differ between modes).
fn kinds(events: &[StreamEvent]) -> Vec<&'static str> {
    let mut res: Vec<&'static str> = events.iter().map(|e| e.kind().as_str()).collect();
    res.dedup();
    res
}

fn question() -> Value {
    json!({"messages":[{"role":"user","content":QUESTION}],"servers":["northwind"]})
}

/// Northwind behind the fake Pomerium, the edge (with `env`) behind its client route.
struct Deployed {
    provider: FakeProvider,
    chain: Chain,
}

async fn deployed(name: &str, env: &[(&str, &str)]) -> anyhow::Result<Deployed> {
    let provider = FakeProvider::start(Script::default()).await?;
    let chain = northwind_chain(&provider, name, env).await?;
    Ok(Deployed { provider, chain })
}

/// The answer streamed the tool list, the call with its arguments and result, and the totals.
fn assert_sales_answer(events: &[StreamEvent]) {
    assert!(
        matches!(events.first(), Some(StreamEvent::Started { .. })),
        "{events:?}"
    );
    assert!(
        events.iter().any(
            |e| matches!(e, StreamEvent::ToolList { server, status: ToolStatus::Completed, tools }
        if server == "northwind" && tools.iter().any(|t| t == "read_query"))
        ),
        "{events:?}"
    );
    assert!(
        events.iter().any(
            |e| matches!(e, StreamEvent::ToolCallStarted { server, tool, .. }
        if server == "northwind" && tool == "read_query")
        ),
        "{events:?}"
    );
    let n_argument_deltas = events
        .iter()
        .filter(|e| matches!(e, StreamEvent::ToolCallArgumentsDelta { .. }))
        .count();
    assert!(
        n_argument_deltas >= 3,
        "arguments arrive in fragments: {events:?}"
    );
    assert!(events.iter().any(|e| matches!(e, StreamEvent::ToolCallResult { output, .. } if output.contains("208083.97"))), "{events:?}");
    let text = text_of(events);
    for total in ["208083.97", "617085.2", "440623.87"] {
        assert!(text.contains(total), "{total} missing from {text}");
    }
    assert!(
        matches!(events.last(), Some(StreamEvent::Done { .. })),
        "{events:?}"
    );
}

/// The MCP route saw only TEs that Pomerium issued for chat requests, and accepted every one.
fn assert_te_reached_the_mcp_route(d: &Deployed) {
    let hits = d.chain.pomerium.mcp_hits(0);
    assert!(
        hits.len() >= 4,
        "initialize, initialized, list, call: {}",
        hits.len()
    );
    let issued: Vec<String> = d
        .chain
        .pomerium
        .issued()
        .into_iter()
        .filter(|t| t.path == "/api/chat")
        .map(|t| t.te)
        .collect();
    for hit in &hits {
        assert!(
            hit.accepted,
            "a request with a bad token reached the MCP route"
        );
        assert!(
            hit.te.as_ref().is_some_and(|te| issued.contains(te)),
            "the MCP route got a token Pomerium did not issue for the chat"
        );
    }
    // northwind-mcp accepts only the TI (its answers prove the swap happened); the edge never
    // held it.
    assert!(
        hits.iter()
            .all(|h| h.te.as_deref() != Some(d.chain.internal_token.as_str()))
    );
}

#[tokio::test]
async fn chat_completions_in_the_deployed_shape() -> anyhow::Result<()> {
    let d = deployed(
        "tm_chat",
        &[("PROVIDER", "chat_completions"), ("TOOL_MODE", "auto")],
    )
    .await?;
    let events = ask(
        &format!("{}/api/chat", d.chain.pomerium.base_url()),
        question(),
    )
    .await?;
    assert_sales_answer(&events);
    assert_te_reached_the_mcp_route(&d);
    let requests = d.provider.requests();
    assert_eq!(
        requests.len(),
        2,
        "one round with the call, one with the answer"
    );
    let offered: Vec<&str> = requests[0].body["tools"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t["function"]["name"].as_str())
        .collect();
    assert!(offered.contains(&"northwind__read_query"), "{offered:?}");
    let messages = requests[1].body["messages"].as_array().unwrap();
    let tool_message = messages.iter().find(|m| m["role"] == "tool").unwrap();
    assert!(
        tool_message["content"]
            .as_str()
            .unwrap()
            .contains("208083.97")
    );
    assert_eq!(
        requests[1].authorization.as_deref(),
        Some(crate::support::API_KEY)
    );
    Ok(())
}

#[tokio::test]
async fn responses_functions_in_the_deployed_shape() -> anyhow::Result<()> {
    // `auto` with the Responses API: the listed server is on loopback, so the edge runs tools.
    let d = deployed("tm_resp", &[("TOOL_MODE", "auto")]).await?;
    let events = ask(
        &format!("{}/api/chat", d.chain.pomerium.base_url()),
        question(),
    )
    .await?;
    assert_sales_answer(&events);
    assert_te_reached_the_mcp_route(&d);
    let requests = d.provider.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].body["tools"][0]["type"], "function");
    assert_eq!(requests[1].body["store"], false);
    let input = requests[1].body["input"].as_array().unwrap();
    assert!(input.iter().any(|i| i["type"] == "function_call"));
    assert!(input.iter().any(|i| {
        i["type"] == "function_call_output"
            && i["output"]
                .as_str()
                .unwrap_or_default()
                .contains("208083.97")
    }));
    for request in &requests {
        assert!(
            !request.body.to_string().contains("pom_mat_"),
            "no TE goes to the provider in edge mode"
        );
    }
    Ok(())
}

#[tokio::test]
async fn hosted_and_edge_mode_give_the_same_event_kinds() -> anyhow::Result<()> {
    let hosted = deployed("tm_hosted", &[("TOOL_MODE", "hosted")]).await?;
    let edge = deployed("tm_edge", &[("TOOL_MODE", "edge")]).await?;
    let hosted_events = ask(
        &format!("{}/api/chat", hosted.chain.pomerium.base_url()),
        question(),
    )
    .await?;
    let edge_events = ask(
        &format!("{}/api/chat", edge.chain.pomerium.base_url()),
        question(),
    )
    .await?;
    assert_eq!(
        hosted.provider.requests()[0].body["tools"][0]["type"],
        "mcp"
    );
    assert_eq!(
        edge.provider.requests()[0].body["tools"][0]["type"],
        "function"
    );
    assert_eq!(kinds(&hosted_events), kinds(&edge_events));
    assert_eq!(
        kinds(&edge_events),
        [
            "started",
            "tool_list",
            "tool_call_started",
            "tool_call_arguments_delta",
            "tool_call_result",
            "text_delta",
            "done"
        ]
    );
    assert_eq!(text_of(&hosted_events), text_of(&edge_events));
    Ok(())
}

#[tokio::test]
async fn local_shape_calls_the_server_directly() -> anyhow::Result<()> {
    let artifacts = Artifacts::from_env()?;
    let dir = scratch_dir("tm_local")?;
    let ti = format!("ti_local_{}", std::process::id());
    let northwind = NorthwindProcess::start(&artifacts, Some(&ti), &dir.join("northwind.db"))?;
    let provider = FakeProvider::start(Script::default()).await?;
    let servers = json!([{"name":"Northwind","url":format!("{}/mcp", northwind.base_url),
                          "description":"Sales data","token":ti}])
    .to_string();
    let base = provider.base_url();
    let edge = EdgeProcess::start(
        &artifacts,
        &[
            ("OPENAI_BASE_URL", base.as_str()),
            ("PROVIDER", "chat_completions"),
            ("MCP_SERVERS", servers.as_str()),
        ],
    )?;
    // No Pomerium, no token: the edge lists its configured servers itself.
    let list: protocol::ServerList = client()
        .get(format!("{}/api/servers", edge.base_url))
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(list.servers.len(), 1);
    assert_eq!(list.servers[0].id, "northwind");
    assert_eq!(list.servers[0].connect_url, None);
    let events = ask(&format!("{}/api/chat", edge.base_url), question()).await?;
    assert_sales_answer(&events);
    assert_eq!(provider.request_count(), 2);
    assert_eq!(
        provider.requests()[0].authorization,
        None,
        "no key configured, none sent"
    );
    Ok(())
}
