//! Approvals: the card with the full arguments, Allow / Deny, the continuation request, and
//! "always allow this tool" remembered per server.

use protocol::StreamEvent;
use serde_json::{Value, json};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::wasm_bindgen_test;
use web_sys::HtmlInputElement;

use crate::support::{Page, SERVERS, text, wait_for};

fn approval(id: &str, tool: &str) -> StreamEvent {
    StreamEvent::ApprovalRequest {
        approval_request_id: id.into(),
        server: "northwind".into(),
        tool: tool.into(),
        arguments: r#"{"query":"DELETE FROM Orders","limit":12345678901234567890}"#.into(),
    }
}

fn done_with(response_id: &str) -> StreamEvent {
    StreamEvent::Done {
        response_id: Some(response_id.into()),
        usage: None,
    }
}

/// Clicks Allow on the open approval of the first answer and ends its continuation.
async fn allow_and_finish(page: &Page) {
    let next = page.fetch.respond_stream("/api/chat");
    page.click(r#"[data-role="approval"] button[data-action="allow"]"#);
    wait_for("the continuation", || {
        page.fetch.requests_to("/api/chat").len() == 2
    })
    .await;
    next.push_events(&[done_with("resp_2")]);
    page.wait_for_complete("true").await;
}

fn chat_body(page: &Page, index: usize) -> Value {
    let request = &page.fetch.requests_to("/api/chat")[index];
    serde_json::from_str(request["body"].as_str().unwrap()).unwrap()
}

#[wasm_bindgen_test]
async fn allow_continues_the_response_with_the_decision() {
    let page = Page::with_servers().await;
    page.click(r#"input[data-server-id="northwind"]"#);
    let stream = page.fetch.respond_stream("/api/chat");
    page.ask("Clean up").await;
    stream.push_events(&[
        text("I will run a query."),
        approval("mcpr_1", "write_query"),
        done_with("resp_1"),
    ]);
    page.wait_for_complete("approval").await;

    let card = page.get(r#"[data-role="approval"][data-approval-id="mcpr_1"]"#);
    assert_eq!(card.get_attribute("data-state").as_deref(), Some("open"));
    let shown = card.text_content().unwrap();
    assert!(
        shown.contains("write_query") && shown.contains("Northwind"),
        "{shown}"
    );
    assert_eq!(
        page.text(r#"[data-role="approval"] [data-role="arguments"]"#)
            .as_deref(),
        Some("{\n  \"query\": \"DELETE FROM Orders\",\n  \"limit\": 12345678901234567890\n}"),
        "the full arguments, pretty and unrounded"
    );
    assert!(
        !page
            .get(r#"button[data-role="send"]"#)
            .has_attribute("disabled"),
        "the user may ask something else instead"
    );

    let next = page.fetch.respond_stream("/api/chat");
    page.click(r#"[data-role="approval"] button[data-action="allow"]"#);
    wait_for("the continuation", || {
        page.fetch.requests_to("/api/chat").len() == 2
    })
    .await;
    let first = chat_body(&page, 0);
    let second = chat_body(&page, 1);
    assert_eq!(second["messages"], first["messages"]);
    assert_eq!(second["servers"], json!(["northwind"]));
    assert_eq!(second["previous_response_id"], "resp_1");
    assert_eq!(
        second["approvals"],
        json!([{"approval_request_id": "mcpr_1", "approve": true}])
    );
    assert_eq!(card.get_attribute("data-state").as_deref(), Some("allowed"));
    assert!(
        card.query_selector("button").unwrap().is_none(),
        "decided once"
    );

    next.push_events(&[text(" Done: 3 rows."), done_with("resp_2")]);
    page.wait_for_complete("true").await;
    assert_eq!(page.answer_text(), "I will run a query. Done: 3 rows.");
    assert_eq!(
        page.all(r#"[data-author="assistant"]"#).len(),
        1,
        "one answer"
    );
}

#[wasm_bindgen_test]
async fn deny_sends_a_refusal() {
    let page = Page::with_servers().await;
    let stream = page.fetch.respond_stream("/api/chat");
    page.ask("Clean up").await;
    stream.push_events(&[approval("mcpr_1", "write_query"), done_with("resp_1")]);
    page.wait_for_complete("approval").await;
    page.fetch.respond_stream("/api/chat");
    page.click(r#"[data-role="approval"] button[data-action="deny"]"#);
    wait_for("the continuation", || {
        page.fetch.requests_to("/api/chat").len() == 2
    })
    .await;
    assert_eq!(
        chat_body(&page, 1)["approvals"],
        json!([{"approval_request_id": "mcpr_1", "approve": false}])
    );
    assert_eq!(
        page.get(r#"[data-role="approval"]"#)
            .get_attribute("data-state")
            .as_deref(),
        Some("denied")
    );
}

#[wasm_bindgen_test]
async fn always_allow_is_remembered_per_server_and_tool() {
    let page = Page::with_servers().await;
    let stream = page.fetch.respond_stream("/api/chat");
    page.ask("one").await;
    stream.push_events(&[approval("mcpr_1", "read_query"), done_with("resp_1")]);
    page.wait_for_complete("approval").await;
    page.click(r#"[data-role="approval"] input[data-role="always"]"#);
    allow_and_finish(&page).await;
    drop(page);

    // A later page load: the same tool is allowed without asking, another one is asked about.
    let page = Page::open_keeping_storage(&[], 200, crate::support::SERVERS).await;
    let stream = page.fetch.respond_stream("/api/chat");
    page.ask("two").await;
    page.fetch.respond_stream("/api/chat");
    stream.push_events(&[approval("mcpr_3", "read_query"), done_with("resp_3")]);
    wait_for("the automatic continuation", || {
        page.fetch.requests_to("/api/chat").len() == 2
    })
    .await;
    assert_eq!(
        chat_body(&page, 1)["approvals"],
        json!([{"approval_request_id": "mcpr_3", "approve": true}])
    );
    let card = page.get(r#"[data-approval-id="mcpr_3"]"#);
    assert_eq!(card.get_attribute("data-state").as_deref(), Some("allowed"));
    drop(page);
    crate::support::clear_storage();
}

#[wasm_bindgen_test]
async fn asking_something_else_leaves_the_approval_undecided() {
    let page = Page::with_servers().await;
    let stream = page.fetch.respond_stream("/api/chat");
    page.ask("one").await;
    stream.push_events(&[
        text("Need approval."),
        approval("mcpr_1", "read_query"),
        done_with("resp_1"),
    ]);
    page.wait_for_complete("approval").await;
    page.fetch.respond_stream("/api/chat");
    page.ask("never mind").await;
    let card = page.get(r#"[data-approval-id="mcpr_1"]"#);
    assert_eq!(card.get_attribute("data-state").as_deref(), Some("expired"));
    assert!(card.query_selector("button").unwrap().is_none());
    assert_eq!(
        chat_body(&page, 1)["messages"],
        json!([
            {"role": "user", "content": "one"},
            {"role": "assistant", "content": "Need approval."},
            {"role": "user", "content": "never mind"}
        ])
    );
}

/// The approval request and the end of the response may come in separate chunks: a card shown
/// while the answer still streams must still offer Allow and Deny once the answer waits for
/// them (found by the end-to-end test: the buttons were dropped for good on the first render).
#[wasm_bindgen_test]
async fn a_card_shown_while_streaming_gets_its_buttons_when_the_answer_waits() {
    let page = Page::with_servers().await;
    let stream = page.fetch.respond_stream("/api/chat");
    page.ask("Clean up").await;
    stream.push_events(&[approval("mcpr_1", "write_query")]);
    wait_for("the card while streaming", || {
        !page.all(r#"[data-role="approval"]"#).is_empty()
    })
    .await;
    stream.push_events(&[done_with("resp_1")]);
    page.wait_for_complete("approval").await;
    let card = page.get(r#"[data-role="approval"][data-approval-id="mcpr_1"]"#);
    assert_eq!(card.get_attribute("data-state").as_deref(), Some("open"));
    assert!(
        card.query_selector(r#"button[data-action="allow"]"#)
            .unwrap()
            .is_some(),
        "Allow is offered"
    );
}

#[wasm_bindgen_test]
async fn the_always_box_shows_the_state_when_its_card_is_built_again() {
    let page = Page::with_servers().await;
    let stream = page.fetch.respond_stream("/api/chat");
    page.ask("one").await;
    stream.push_events(&[approval("mcpr_1", "read_query"), done_with("resp_1")]);
    page.wait_for_complete("approval").await;
    let always = r#"[data-role="approval"] input[data-role="always"]"#;
    page.click(always);

    // The list comes back with another name for the server: the cards are built again.
    let renamed = SERVERS.replace("\"Northwind\"", "\"Northwind DB\"");
    page.fetch.respond_json("/api/servers", 200, &renamed);
    page.click(r#"button[data-role="refresh"]"#);
    wait_for("the card built again", || {
        page.text(r#"[data-role="approval"]"#)
            .is_some_and(|card| card.contains("Northwind DB"))
    })
    .await;
    let ticked = || {
        page.get(always)
            .unchecked_into::<HtmlInputElement>()
            .checked()
    };
    assert!(ticked(), "the new card shows the tick the state holds");

    // Allow remembers the rule the box says.
    allow_and_finish(&page).await;
    let stream = page.fetch.respond_stream("/api/chat");
    page.ask("two").await;
    page.fetch.respond_stream("/api/chat");
    stream.push_events(&[approval("mcpr_3", "read_query"), done_with("resp_3")]);
    wait_for("the automatic continuation", || {
        page.fetch.requests_to("/api/chat").len() == 4
    })
    .await;
}
