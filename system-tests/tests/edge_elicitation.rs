//! Elicitation in edge tool mode (issue 14 item 4), through the real edge under `wasmtime
//! serve` and the real northwind-mcp behind the fake Pomerium: `sales_for_year` without a year
//! asks the user which one (`elicitation/create` on the call's SSE stream). The answer pauses
//! with an `elicitation_request` (the form's fields, its id sealed) and a sealed `done`; the
//! continuation with the user's values rejoins the MCP session (the stream reopened with
//! `Last-Event-ID`, the JSON-RPC response posted) and the call finishes with the year given.
//! Values that fail the form, and ids that are not the user's, are refused before anything
//! leaves the edge.

use protocol::{ErrorCode, FieldInput, StreamEvent};
use serde_json::{Value, json};
use testkit::chain::Chain;
use testkit::pomerium::User;
use testkit::provider::{FakeProvider, Script};

use crate::support::{assert_error, client, events, northwind_chain};
use crate::tool_mode::text_of;

const QUESTION: &str = "What were the sales? Ask me for which one.";

async fn post(chain: &Chain, body: &Value) -> anyhow::Result<reqwest::Response> {
    Ok(client()
        .post(format!("{}/api/chat", chain.pomerium.base_url()))
        .json(body)
        .send()
        .await?)
}

fn question() -> Value {
    json!({"messages": [{"role": "user", "content": QUESTION}], "servers": ["northwind"]})
}

fn continuing(state: &str, id: &str, action: &str, content: Value) -> Value {
    let mut body = question();
    body["previous_response_id"] = json!(state);
    body["elicitation"] = json!({"elicitation_id": id, "action": action, "content": content});
    body
}

/// The first answer pauses on the server's question: `(elicitation id, paused state)`.
async fn paused(chain: &Chain) -> anyhow::Result<(String, String)> {
    let res = post(chain, &question()).await?;
    anyhow::ensure!(res.status() == 200, "status {}", res.status());
    let first = events(res).await?;
    let [
        ..,
        StreamEvent::ElicitationRequest {
            elicitation_id,
            call_id,
            message,
            fields,
            url: None,
        },
        StreamEvent::Done {
            response_id: Some(state),
            ..
        },
    ] = first.as_slice()
    else {
        panic!("no elicitation request: {first:?}");
    };
    assert!(message.contains("Which year"), "{message}");
    let year = fields
        .iter()
        .find(|f| f.name == "year")
        .expect("a year field");
    assert!(year.required);
    assert_eq!(year.input, FieldInput::Integer);
    assert_eq!(year.min, Some(1996.into()));
    assert!(elicitation_id.starts_with("v1.") && elicitation_id != call_id);
    assert!(first.iter().any(|e| matches!(e,
        StreamEvent::ToolCallStarted { call_id: c, tool, .. } if c == call_id && tool == "sales_for_year")));
    assert!(
        !first
            .iter()
            .any(|e| matches!(e, StreamEvent::ToolCallResult { .. }))
    );
    Ok((elicitation_id.clone(), state.clone()))
}

/// Northwind behind the fake Pomerium in edge tool mode (scratch folder `name`), its first
/// answer paused on the question: `(provider, chain, elicitation id, paused state)`.
async fn asked(name: &str) -> anyhow::Result<(FakeProvider, Chain, String, String)> {
    let provider = FakeProvider::start(Script::default()).await?;
    let chain = northwind_chain(&provider, name, &[("TOOL_MODE", "edge")]).await?;
    let (id, state) = paused(&chain).await?;
    Ok((provider, chain, id, state))
}

/// The output of the answer's tool call.
fn result_of(events: &[StreamEvent]) -> String {
    events
        .iter()
        .find_map(|e| match e {
            StreamEvent::ToolCallResult { output, .. } => Some(output.clone()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no result: {events:?}"))
}

#[tokio::test]
async fn a_filled_form_finishes_the_call_with_the_year_given() -> anyhow::Result<()> {
    let (provider, chain, id, state) = asked("elicit_accept").await?;
    assert!(!state.contains("pom_mat_"), "no token in the paused state");
    let res = post(
        &chain,
        &continuing(&state, &id, "accept", json!({"year": 1997})),
    )
    .await?;
    assert_eq!(res.status(), 200);
    let events = events(res).await?;
    let output = result_of(&events);
    // 1997's orders and sales, from the real database.
    assert!(
        output.contains("1997") && output.contains("617085.2"),
        "{output}"
    );
    assert!(text_of(&events).contains("617085.2"), "{events:?}");
    assert!(matches!(
        events.last(),
        Some(StreamEvent::Done {
            response_id: None,
            ..
        })
    ));
    assert_eq!(
        provider.request_count(),
        2,
        "one more model round after the call"
    );
    Ok(())
}

#[tokio::test]
async fn declined_the_tool_says_so_and_the_answer_goes_on() -> anyhow::Result<()> {
    let (_provider, chain, id, state) = asked("elicit_decline").await?;
    let res = post(&chain, &continuing(&state, &id, "decline", json!({}))).await?;
    let events = events(res).await?;
    assert!(
        events.iter().any(|e| matches!(e,
            StreamEvent::ToolCallFailed { error, .. } | StreamEvent::ToolCallResult { output: error, .. }
                if error.contains("did not choose a year"))),
        "{events:?}"
    );
    assert!(
        matches!(events.last(), Some(StreamEvent::Done { .. })),
        "{events:?}"
    );
    Ok(())
}

#[tokio::test]
async fn wrong_values_and_foreign_ids_are_refused_before_anything_leaves() -> anyhow::Result<()> {
    let (provider, chain, id, state) = asked("elicit_hostile").await?;
    let (n_provider, n_mcp) = (provider.request_count(), chain.pomerium.mcp_requests(0));
    let unchanged = |what: &str| {
        assert_eq!(
            provider.request_count(),
            n_provider,
            "{what}: the provider was called"
        );
        assert_eq!(
            chain.pomerium.mcp_requests(0),
            n_mcp,
            "{what}: the MCP server was called"
        );
    };
    for (what, content) in [
        ("out of range", json!({"year": 2001})),
        ("not a number", json!({"year": "1997"})),
        ("missing", json!({})),
        ("an extra field", json!({"year": 1997, "password": "x"})),
    ] {
        let res = post(&chain, &continuing(&state, &id, "accept", content)).await?;
        assert_error(res, 400, ErrorCode::InvalidElicitation)
            .await
            .unwrap_or_else(|e| panic!("{what}: {e}"));
        unchanged(what);
    }
    let mut tampered = id.clone();
    let at = tampered.len() / 3;
    let flipped = if &tampered[at..=at] == "A" { "B" } else { "A" };
    tampered.replace_range(at..=at, flipped);
    let res = post(
        &chain,
        &continuing(&state, &tampered, "accept", json!({"year": 1997})),
    )
    .await?;
    assert_error(res, 403, ErrorCode::InvalidContinuation).await?;
    unchanged("a tampered id");
    chain.pomerium.set_user(User {
        subject: "someone-else".into(),
        ..User::default()
    });
    let res = post(
        &chain,
        &continuing(&state, &id, "accept", json!({"year": 1997})),
    )
    .await?;
    assert_error(res, 403, ErrorCode::InvalidContinuation).await?;
    unchanged("another user");
    Ok(())
}

/// The official reference server (`@modelcontextprotocol/server-everything`, the TypeScript
/// SDK with its in-memory event store) behind the fake Pomerium: its form elicitation
/// (`trigger-elicitation-request`: text, email, date, numbers, booleans, single and multiple
/// choices) pauses the answer, and the reply reaches it in the same session through a resumed
/// stream.
#[tokio::test]
async fn the_reference_servers_form_round_trips_through_the_edge() -> anyhow::Result<()> {
    let (_server, url) = crate::third_party_mcp::everything()?;
    let upstream = url.trim_end_matches("/mcp").to_owned();
    let provider = FakeProvider::start(Script::default()).await?;
    let chain = crate::support::chain_with(
        &provider,
        &[("TOOL_MODE", "edge")],
        testkit::pomerium::FakePomeriumConfig {
            mcp_routes: vec![testkit::pomerium::McpRoute {
                name: "Everything".into(),
                upstream,
                connected: true,
                ..testkit::pomerium::McpRoute::default()
            }],
            ..testkit::pomerium::FakePomeriumConfig::default()
        },
    )
    .await?;
    let question = json!({"messages": [{"role": "user", "content": "Show me the elicitation form"}],
                          "servers": ["everything"]});
    let res = post(&chain, &question).await?;
    anyhow::ensure!(res.status() == 200, "status {}", res.status());
    let first = events(res).await?;
    let [
        ..,
        StreamEvent::ElicitationRequest {
            elicitation_id,
            fields,
            ..
        },
        StreamEvent::Done {
            response_id: Some(state),
            ..
        },
    ] = first.as_slice()
    else {
        panic!("no elicitation request: {first:?}");
    };
    let input = |name: &str| {
        fields
            .iter()
            .find(|f| f.name == name)
            .map(|f| f.input)
            .unwrap_or_else(|| panic!("no field {name}: {fields:?}"))
    };
    assert_eq!(input("name"), FieldInput::Text);
    assert_eq!(input("email"), FieldInput::Email);
    assert_eq!(input("birthdate"), FieldInput::Date);
    assert_eq!(input("integer"), FieldInput::Integer);
    assert_eq!(input("check"), FieldInput::Boolean);
    assert_eq!(input("titledSingleSelectEnum"), FieldInput::Choice);
    assert_eq!(input("untitledMultipleSelectEnum"), FieldInput::Multi);
    let mut body = question.clone();
    body["previous_response_id"] = json!(state);
    body["elicitation"] = json!({"elicitation_id": elicitation_id, "action": "accept",
        "content": {"name": "Ada Lovelace", "integer": 7, "check": true,
                    "untitledMultipleSelectEnum": ["Piano"], "titledSingleSelectEnum": "hero-3"}});
    let res = post(&chain, &body).await?;
    anyhow::ensure!(res.status() == 200, "status {}", res.status());
    let events = events(res).await?;
    let output = result_of(&events);
    assert!(output.contains("Name: Ada Lovelace"), "{output}");
    assert!(output.contains("Favorite Integer: 7"), "{output}");
    assert!(output.contains("\"Piano\""), "{output}");
    assert!(
        matches!(events.last(), Some(StreamEvent::Done { .. })),
        "{events:?}"
    );
    Ok(())
}
