//! Approvals end to end without a browser: a server whose policy requires approval makes the
//! provider ask; the edge relays the request with the full arguments; the user's decision,
//! sent back with the response id, continues the answer (approved: the real tool runs through
//! Pomerium; denied: it never runs). The ids go out sealed to the user: another user cannot
//! continue the answer or approve its call.

use edge::seal::Purpose;
use protocol::{ErrorCode, StreamEvent};
use testkit::pomerium::User;
use testkit::provider::{FakeProvider, Script};

use crate::support::{assert_error, client, northwind_chain, opened, read_events};

async fn ask(base: &str, body: serde_json::Value) -> anyhow::Result<Vec<StreamEvent>> {
    let res = client()
        .post(format!("{base}/api/chat"))
        .json(&body)
        .send()
        .await?;
    anyhow::ensure!(res.status() == 200, "status {}", res.status());
    Ok(read_events(res)
        .await?
        .into_iter()
        .map(|(_, e)| e)
        .collect())
}

#[tokio::test]
async fn approval_round_trip() -> anyhow::Result<()> {
    let provider = FakeProvider::start(Script::default()).await?;
    let policies = r#"{"northwind":{"require_approval":"always","allowed_tools":["read_query","list_tables"]}}"#;
    let chain = northwind_chain(&provider, "approvals", &[("MCP_POLICIES", policies)]).await?;
    let pomerium = &chain.pomerium;
    let base = pomerium.base_url();
    let question = serde_json::json!({"messages":[{"role":"user","content":"What were our sales by year?"}],"servers":["northwind"]});

    let first = ask(&base, question.clone()).await?;
    let (approval_id, response_id) = match first.as_slice() {
        [
            ..,
            StreamEvent::ApprovalRequest {
                approval_request_id,
                server,
                tool,
                arguments,
            },
            StreamEvent::Done {
                response_id: Some(response_id),
                ..
            },
        ] => {
            assert_eq!(
                (server.as_str(), tool.as_str()),
                ("northwind", "read_query")
            );
            assert!(
                arguments.contains("SELECT"),
                "the full arguments: {arguments}"
            );
            (approval_request_id.clone(), response_id.clone())
        }
        other => panic!("no approval request: {other:?}"),
    };
    assert!(
        !first
            .iter()
            .any(|e| matches!(e, StreamEvent::ToolCallStarted { .. })),
        "nothing ran before approval"
    );
    let sent = &provider.requests()[0].body;
    assert_eq!(sent["tools"][0]["require_approval"], "always");
    // The token went only inside the one tool Pomerium listed, as the token of that request.
    let chat_te = &pomerium.issued()[0];
    assert_eq!(
        (chat_te.method.as_str(), chat_te.path.as_str()),
        ("POST", "/api/chat")
    );
    assert_eq!(sent["tools"].as_array().map(Vec::len), Some(1));
    assert_eq!(sent["tools"][0]["server_url"], pomerium.mcp_url(0).as_str());
    assert_eq!(
        sent["tools"][0]["headers"]["Authorization"],
        format!("Bearer {}", chat_te.te).as_str()
    );
    let body_text = sent.to_string();
    assert_eq!(
        body_text.matches(chat_te.te.as_str()).count(),
        1,
        "the token appears once, in the tool's headers"
    );
    assert_eq!(sent["store"], true);

    // The browser holds sealed ids only, and another user cannot use them.
    assert!(
        opened(Purpose::ResponseId, &response_id).is_some(),
        "{response_id}"
    );
    assert!(
        opened(Purpose::ApprovalRequest, &approval_id).is_some(),
        "{approval_id}"
    );
    assert!(
        !body_text.contains(&response_id),
        "the provider never sees a sealed id"
    );
    pomerium.set_user(User::named("user-b"));
    let mut stolen = question.clone();
    stolen["previous_response_id"] = serde_json::json!(response_id);
    stolen["approvals"] =
        serde_json::json!([{"approval_request_id": approval_id, "approve": true}]);
    let requests_before = provider.request_count();
    let refused = client()
        .post(format!("{base}/api/chat"))
        .json(&stolen)
        .send()
        .await?;
    assert_error(refused, 403, ErrorCode::InvalidContinuation).await?;
    assert_eq!(
        provider.request_count(),
        requests_before,
        "user B reached the provider"
    );
    pomerium.set_user(User::default());

    let mut denied = question.clone();
    denied["previous_response_id"] = serde_json::json!(response_id);
    denied["approvals"] =
        serde_json::json!([{"approval_request_id": approval_id, "approve": false}]);
    let events = ask(&base, denied).await?;
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, StreamEvent::ToolCallStarted { .. })),
        "a denied call ran"
    );

    let mut approved = question;
    approved["previous_response_id"] = serde_json::json!(response_id);
    approved["approvals"] =
        serde_json::json!([{"approval_request_id": approval_id, "approve": true}]);
    let events = ask(&base, approved).await?;
    assert!(
        events
            .iter()
            .any(|e| matches!(e, StreamEvent::ToolCallResult { .. })),
        "{events:?}"
    );
    let text: String = events
        .iter()
        .filter_map(|e| {
            if let StreamEvent::TextDelta { delta } = e {
                Some(delta.as_str())
            } else {
                None
            }
        })
        .collect();
    assert!(text.contains("208083.97"), "{text}");
    let continuation = &provider.requests()[2].body;
    assert_eq!(
        continuation["previous_response_id"].as_str(),
        opened(Purpose::ResponseId, &response_id).as_deref(),
        "the provider gets its own id back, opened"
    );
    assert_eq!(
        continuation["input"][0]["approval_request_id"].as_str(),
        opened(Purpose::ApprovalRequest, &approval_id).as_deref()
    );
    assert_eq!(continuation["input"][0]["type"], "mcp_approval_response");
    assert!(
        continuation["tools"][0]["headers"]["Authorization"]
            .as_str()
            .unwrap_or_default()
            .starts_with("Bearer pom_mat_")
    );
    Ok(())
}
