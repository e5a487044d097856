//! Approvals in edge tool mode under `wasmtime serve` (issue 11 item 4), in the deployed shape:
//! northwind-mcp behind the fake Pomerium, the edge running the tools with a Chat Completions
//! provider, and a policy that asks before every call. The edge pauses its own loop, hands the
//! browser the loop's state sealed to the user, and resumes with the decision: approved, the
//! real tool runs and the answer carries the real totals; denied, the model is told. A
//! continuation that was tampered with, belongs to another user or conversation, or answers
//! other calls is refused before anything leaves the edge.

use protocol::{ErrorCode, StreamEvent};
use serde_json::{Value, json};
use testkit::chain::Chain;
use testkit::pomerium::User;
use testkit::process::TEST_SEAL_SECRET;
use testkit::provider::{FakeProvider, Script};

use crate::support::{assert_error, client, events, northwind_chain, opened};
use crate::tool_mode::text_of;

const QUESTION: &str = "What were our sales by year?";

struct Deployed {
    provider: FakeProvider,
    chain: Chain,
}

async fn deployed(name: &str) -> anyhow::Result<Deployed> {
    let provider = FakeProvider::start(Script::default()).await?;
    let chain = northwind_chain(
        &provider,
        name,
        &[
            ("TOOL_MODE", "edge"),
            ("PROVIDER", "chat_completions"),
            (
                "MCP_POLICIES",
                r#"{"northwind":{"require_approval":"always"}}"#,
            ),
        ],
    )
    .await?;
    Ok(Deployed { provider, chain })
}

fn question(text: &str) -> Value {
    json!({"messages": [{"role": "user", "content": text}], "servers": ["northwind"]})
}

async fn post(d: &Deployed, body: &Value) -> anyhow::Result<reqwest::Response> {
    Ok(client()
        .post(format!("{}/api/chat", d.chain.pomerium.base_url()))
        .json(body)
        .send()
        .await?)
}

async fn ask(d: &Deployed, body: &Value) -> anyhow::Result<Vec<StreamEvent>> {
    let res = post(d, body).await?;
    anyhow::ensure!(res.status() == 200, "status {}", res.status());
    events(res).await
}

/// The first answer: it pauses on the call. Returns the sealed approval id and paused state.
async fn paused(d: &Deployed) -> anyhow::Result<(String, String)> {
    let first = ask(d, &question(QUESTION)).await?;
    let [
        ..,
        StreamEvent::ApprovalRequest {
            approval_request_id,
            server,
            tool,
            arguments,
        },
        StreamEvent::Done {
            response_id: Some(state),
            ..
        },
    ] = first.as_slice()
    else {
        panic!("no approval request: {first:?}");
    };
    assert_eq!(
        (server.as_str(), tool.as_str()),
        ("northwind", "read_query")
    );
    assert!(
        arguments.contains("SELECT"),
        "the full arguments: {arguments}"
    );
    assert!(
        !first
            .iter()
            .any(|e| matches!(e, StreamEvent::ToolCallStarted { .. })),
        "nothing ran, nor was announced, before approval: {first:?}"
    );
    assert_eq!(d.provider.request_count(), 1);
    Ok((approval_request_id.clone(), state.clone()))
}

fn continuing(state: &str, approval_id: &str, approve: bool) -> Value {
    let mut body = question(QUESTION);
    body["previous_response_id"] = json!(state);
    body["approvals"] = json!([{"approval_request_id": approval_id, "approve": approve}]);
    body
}

#[tokio::test]
async fn approved_the_paused_loop_resumes_with_the_real_totals() -> anyhow::Result<()> {
    let d = deployed("ea_allow").await?;
    let (approval_id, state) = paused(&d).await?;
    // The sealed state opens only as a pending call for this user, and holds no token.
    let payload = opened(edge::seal::Purpose::PendingToolCall, &state).expect("sealed to the user");
    assert!(
        payload.contains("read_query") && payload.contains("SELECT"),
        "{payload}"
    );
    for token in d
        .chain
        .pomerium
        .issued()
        .iter()
        .map(|t| t.te.as_str())
        .chain([d.chain.internal_token.as_str()])
    {
        assert!(!payload.contains(token), "a token in the sealed state");
    }
    assert!(!state.contains("pom_mat_"), "the state is not a token");
    println!("sealed paused state: {} bytes", state.len());
    let hits_before = d.chain.pomerium.mcp_requests(0);

    let events = ask(&d, &continuing(&state, &approval_id, true)).await?;
    assert!(
        events.iter().any(
            |e| matches!(e, StreamEvent::ToolCallStarted { tool, .. } if tool == "read_query")
        ),
        "{events:?}"
    );
    assert!(events.iter().any(|e| matches!(e, StreamEvent::ToolCallResult { output, .. } if output.contains("208083.97"))), "{events:?}");
    let text = text_of(&events);
    for total in ["208083.97", "617085.2", "440623.87"] {
        assert!(text.contains(total), "{total} missing from {text}");
    }
    assert!(
        matches!(
            events.last(),
            Some(StreamEvent::Done {
                response_id: None,
                ..
            })
        ),
        "{events:?}"
    );
    assert_eq!(events.iter().filter(|e| e.is_terminal()).count(), 1);
    // One more round: the history with the call and its real result, no TE for the provider.
    let requests = d.provider.requests();
    assert_eq!(requests.len(), 2);
    let replayed = requests[1].body.to_string();
    assert!(
        replayed.contains("208083.97") && replayed.contains("tool_calls"),
        "{replayed}"
    );
    assert!(!replayed.contains("pom_mat_"));
    assert!(
        d.chain.pomerium.mcp_requests(0) > hits_before,
        "the tool ran through Pomerium"
    );
    Ok(())
}

#[tokio::test]
async fn denied_the_model_is_told_and_nothing_runs() -> anyhow::Result<()> {
    let d = deployed("ea_deny").await?;
    let (approval_id, state) = paused(&d).await?;
    let events = ask(&d, &continuing(&state, &approval_id, false)).await?;
    assert!(
        !events.iter().any(|e| matches!(
            e,
            StreamEvent::ToolCallStarted { .. } | StreamEvent::ToolCallResult { .. }
        )),
        "a denied call ran: {events:?}"
    );
    assert!(
        matches!(events.last(), Some(StreamEvent::Done { .. })),
        "{events:?}"
    );
    let requests = d.provider.requests();
    assert_eq!(requests.len(), 2);
    let tool_message = requests[1].body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["role"] == "tool")
        .cloned()
        .unwrap_or_default();
    assert_eq!(tool_message["content"], "error: the user denied this call");
    Ok(())
}

#[tokio::test]
async fn hostile_continuations_are_refused_before_anything_leaves() -> anyhow::Result<()> {
    let d = deployed("ea_hostile").await?;
    let (approval_id, state) = paused(&d).await?;
    let later = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs()
        + 600;
    let subject = User::default().subject;
    let seal = |purpose, payload: &str| {
        edge::seal::seal(
            TEST_SEAL_SECRET.as_bytes(),
            purpose,
            &subject,
            later,
            payload.as_bytes(),
        )
    };
    let payload = opened(edge::seal::Purpose::PendingToolCall, &state).unwrap();
    // The same state with one more call to run, sealed by someone without the secret.
    let forged = edge::seal::seal(
        b"not-the-edge-secret-0123456789abcdef",
        edge::seal::Purpose::PendingToolCall,
        &subject,
        later,
        payload.as_bytes(),
    );
    let mut tampered = state.clone();
    let at = tampered.len() / 3;
    let flipped = if &tampered[at..=at] == "A" { "B" } else { "A" };
    tampered.replace_range(at..=at, flipped);
    let other_question = {
        let mut body = continuing(&state, &approval_id, true);
        body["messages"][0]["content"] = json!("Delete every order");
        body
    };
    let cases = [
        ("tampered state", continuing(&tampered, &approval_id, true)),
        (
            "state sealed with another secret",
            continuing(&forged, &approval_id, true),
        ),
        ("another conversation", other_question),
        (
            "a decision for another call",
            continuing(
                &state,
                &seal(edge::seal::Purpose::ApprovalRequest, "call_other"),
                true,
            ),
        ),
        (
            "a hosted response id",
            continuing(
                &seal(edge::seal::Purpose::ResponseId, "resp_1"),
                &approval_id,
                true,
            ),
        ),
        (
            "the state as an approval id",
            continuing(&state, &state, true),
        ),
    ];
    let (n_provider, n_mcp) = (d.provider.request_count(), d.chain.pomerium.mcp_requests(0));
    for (what, body) in cases {
        assert_error(post(&d, &body).await?, 403, ErrorCode::InvalidContinuation)
            .await
            .unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!(
            d.provider.request_count(),
            n_provider,
            "{what}: the provider was called"
        );
        assert_eq!(
            d.chain.pomerium.mcp_requests(0),
            n_mcp,
            "{what}: an MCP server was called"
        );
    }
    // Another user cannot resume it either.
    d.chain.pomerium.set_user(User {
        subject: "someone-else".into(),
        ..User::default()
    });
    assert_error(
        post(&d, &continuing(&state, &approval_id, true)).await?,
        403,
        ErrorCode::InvalidContinuation,
    )
    .await?;
    assert_eq!(d.provider.request_count(), n_provider);
    assert_eq!(d.chain.pomerium.mcp_requests(0), n_mcp);
    let _ = &d.chain.edge;
    Ok(())
}
