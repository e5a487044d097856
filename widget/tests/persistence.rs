//! The conversation and the draft survive a reload, per endpoint, capped in size.

use protocol::StreamEvent;
use wasm_bindgen_test::wasm_bindgen_test;

use crate::support::{Page, SERVERS, clear_storage, done, next_turn, text, wait_for};

#[wasm_bindgen_test]
async fn a_reload_brings_back_the_conversation_and_the_draft() {
    let page = Page::with_servers().await;
    let stream = page.fetch.respond_stream("/api/chat");
    page.ask("How many orders?").await;
    stream.push_events(&[
        StreamEvent::Started {
            request_id: "req_1".into(),
        },
        StreamEvent::ToolCallStarted {
            call_id: "c1".into(),
            server: "northwind".into(),
            tool: "read_query".into(),
        },
        StreamEvent::ToolCallResult {
            call_id: "c1".into(),
            output: "[830]".into(),
            parts: Vec::new(),
        },
        text("There are **830** orders."),
        done(),
    ]);
    page.wait_for_complete("true").await;
    page.type_draft("And customers?");
    next_turn().await;
    drop(page);

    let page = Page::open_keeping_storage(&[], 200, SERVERS).await;
    assert_eq!(
        page.text(r#"[data-author="user"]"#).as_deref(),
        Some("How many orders?")
    );
    assert_eq!(page.answer_text(), "There are 830 orders.");
    assert_eq!(
        page.answer_attribute("data-complete").as_deref(),
        Some("true")
    );
    assert_eq!(
        page.get(r#"[data-role="tool-call"][data-call-id="c1"]"#)
            .get_attribute("data-status")
            .as_deref(),
        Some("done")
    );
    assert_eq!(page.input().value(), "And customers?", "the unsent draft");
    assert_eq!(
        page.text(r#"[data-call-id="c1"] .server"#).as_deref(),
        Some("Northwind"),
        "the card names the server once the list is known"
    );

    // The restored history is sent with the next question.
    page.fetch.respond_stream("/api/chat");
    page.click(r#"button[data-role="send"]"#);
    wait_for("the request", || {
        !page.fetch.requests_to("/api/chat").is_empty()
    })
    .await;
    let body: serde_json::Value = serde_json::from_str(
        page.fetch.requests_to("/api/chat")[0]["body"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(body["messages"].as_array().unwrap().len(), 3);
    drop(page);
    clear_storage();
}

#[wasm_bindgen_test]
async fn an_answer_cut_by_a_reload_comes_back_interrupted() {
    let page = Page::with_servers().await;
    let stream = page.fetch.respond_stream("/api/chat");
    page.ask("Tell me").await;
    stream.push_events(&[text("Half of it")]);
    page.wait_for_text("Half of it").await;
    // The page goes away mid-answer.
    web_sys::window()
        .unwrap()
        .dispatch_event(&web_sys::Event::new("pagehide").unwrap())
        .unwrap();
    drop(page);

    let page = Page::open_keeping_storage(&[], 200, SERVERS).await;
    page.assert_interrupted("Half of it");
    assert!(
        !page
            .get(r#"button[data-role="send"]"#)
            .has_attribute("disabled")
    );
    drop(page);
    clear_storage();
}

#[wasm_bindgen_test]
async fn each_endpoint_keeps_its_own_conversation() {
    let page = Page::with_servers().await;
    let stream = page.fetch.respond_stream("/api/chat");
    page.ask("here").await;
    stream.push_events(&[text("answer"), done()]);
    page.wait_for_complete("true").await;
    drop(page);
    let other =
        Page::open_keeping_storage(&[("endpoint", "https://other.example")], 200, SERVERS).await;
    assert!(other.find(r#"[data-role="message"]"#).is_none());
    drop(other);
    clear_storage();
}

#[wasm_bindgen_test]
async fn new_chat_forgets_the_conversation() {
    let page = Page::with_servers().await;
    let stream = page.fetch.respond_stream("/api/chat");
    page.ask("one").await;
    stream.push_events(&[text("answer"), done()]);
    page.wait_for_complete("true").await;
    page.click(r#"button[data-role="new-chat"]"#);
    wait_for("an empty log", || {
        page.find(r#"[data-role="message"]"#).is_none()
    })
    .await;
    assert!(
        page.find(r#"[data-role="greeting"]:not([hidden])"#)
            .is_some()
    );
    drop(page);
    let page = Page::open_keeping_storage(&[], 200, SERVERS).await;
    assert!(
        page.find(r#"[data-role="message"]"#).is_none(),
        "forgotten for good"
    );
    drop(page);
    clear_storage();
}

#[wasm_bindgen_test]
async fn the_oldest_exchanges_are_dropped_beyond_the_cap() {
    let page = Page::with_servers().await;
    let long = "x".repeat(60_000);
    for n in 0..4 {
        let stream = page.fetch.respond_stream("/api/chat");
        page.ask(&format!("question {n}")).await;
        stream.push_events(&[text(&long), done()]);
        page.wait_for_complete("true").await;
    }
    drop(page);
    let page = Page::open_keeping_storage(&[], 200, SERVERS).await;
    let questions: Vec<String> = page
        .all(r#"[data-author="user"]"#)
        .iter()
        .filter_map(|e| e.text_content())
        .collect();
    assert_eq!(questions, vec!["question 1", "question 2", "question 3"]);
    drop(page);
    clear_storage();
}

#[wasm_bindgen_test]
async fn changing_the_endpoint_shows_that_endpoints_conversation() {
    let page = Page::with_servers().await;
    let stream = page.fetch.respond_stream("/api/chat");
    page.ask("for the first edge").await;
    stream.push_events(&[text("first answer"), done()]);
    page.wait_for_complete("true").await;
    page.fetch.respond_json("/api/servers", 200, SERVERS);
    page.host
        .set_attribute("endpoint", "https://second.example")
        .unwrap();
    wait_for("the empty conversation", || {
        page.find(r#"[data-role="message"]"#).is_none()
    })
    .await;
    let stream = page.fetch.respond_stream("/api/chat");
    page.ask("for the second edge").await;
    assert_eq!(
        page.fetch.requests_to("/api/chat")[1]["url"],
        "https://second.example/api/chat"
    );
    stream.push_events(&[text("second answer"), done()]);
    page.wait_for_complete("true").await;
    page.fetch.respond_json("/api/servers", 200, SERVERS);
    page.host.remove_attribute("endpoint").unwrap();
    wait_for("the first conversation again", || {
        page.answer_text() == "first answer"
    })
    .await;
    assert_eq!(page.all(r#"[data-role="message"]"#).len(), 2);
    drop(page);
    clear_storage();
}
