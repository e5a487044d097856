//! Tool activity inside an answer: listings, cards and their status transitions.

use protocol::{StreamEvent, ToolStatus};
use wasm_bindgen_test::wasm_bindgen_test;

use crate::support::{Page, done, text};

fn card(page: &Page, call_id: &str) -> web_sys::Element {
    page.get(&format!(
        r#"[data-role="tool-call"][data-call-id="{call_id}"]"#
    ))
}

fn status(page: &Page, call_id: &str) -> Option<String> {
    card(page, call_id).get_attribute("data-status")
}

#[wasm_bindgen_test]
async fn tool_cards_go_from_running_to_done_or_failed() {
    let page = Page::with_servers().await;
    page.click(r#"input[data-server-id="northwind"]"#);
    let stream = page.fetch.respond_stream("/api/chat");
    page.ask("Top customer?").await;

    stream.push_events(&[
        StreamEvent::ToolList {
            server: "northwind".into(),
            status: ToolStatus::Completed,
            tools: vec!["read_query".into(), "list_tables".into()],
        },
        StreamEvent::ToolCallStarted {
            call_id: "c1".into(),
            server: "northwind".into(),
            tool: "read_query".into(),
        },
        StreamEvent::ToolCallArgumentsDelta {
            call_id: "c1".into(),
            delta: "{\"query\":".into(),
        },
    ]);
    page.wait_for_element(r#"[data-role="tool-call"][data-call-id="c1"]"#)
        .await;
    let c1 = card(&page, "c1");
    assert_eq!(
        c1.get_attribute("data-server").as_deref(),
        Some("northwind")
    );
    assert_eq!(c1.get_attribute("data-tool").as_deref(), Some("read_query"));
    assert_eq!(status(&page, "c1").as_deref(), Some("running"));
    let note = page.get(r#"[data-role="tool-list"][data-server="northwind"]"#);
    let note = note.text_content().unwrap();
    assert!(
        note.contains("Northwind") && note.contains("read_query"),
        "{note}"
    );

    stream.push_events(&[StreamEvent::ToolCallArgumentsDelta {
        call_id: "c1".into(),
        delta: "\"select <b>1</b>\"}".into(),
    }]);
    crate::support::wait_for("the whole arguments", || {
        page.text(r#"[data-call-id="c1"] [data-role="arguments"]"#)
            .as_deref()
            == Some("{\"query\":\"select <b>1</b>\"}")
    })
    .await;
    assert_eq!(
        card(&page, "c1").tag_name(),
        "DETAILS",
        "a collapsible card"
    );

    stream.push_events(&[
        StreamEvent::ToolCallResult {
            call_id: "c1".into(),
            output: "[{\"name\":\"<script>x</script>\"}]".into(),
            parts: Vec::new(),
        },
        StreamEvent::ToolCallStarted {
            call_id: "c2".into(),
            server: "northwind".into(),
            tool: "drop_everything".into(),
        },
        StreamEvent::ToolCallFailed {
            call_id: "c2".into(),
            error: "tool not allowed".into(),
        },
        text("It is Alfreds."),
        done(),
    ]);
    page.wait_for_complete("true").await;
    assert_eq!(status(&page, "c1").as_deref(), Some("done"));
    assert!(
        !card(&page, "c1").has_attribute("open"),
        "the card starts collapsed"
    );
    let result = page.get(r#"[data-call-id="c1"] [data-role="result"]"#);
    assert!(
        result
            .text_content()
            .unwrap()
            .contains("<script>x</script>")
    );
    assert!(page.find("script").is_none() && page.find("b").is_none());
    assert_eq!(status(&page, "c2").as_deref(), Some("failed"));
    assert!(
        card(&page, "c2")
            .text_content()
            .unwrap()
            .contains("tool not allowed")
    );
    assert_eq!(page.answer_text(), "It is Alfreds.");
}

#[wasm_bindgen_test]
async fn a_call_still_running_when_the_answer_ends_is_failed() {
    let page = Page::with_servers().await;
    let stream = page.fetch.respond_stream("/api/chat");
    page.ask("hi").await;
    stream.push_events(&[StreamEvent::ToolCallStarted {
        call_id: "c1".into(),
        server: "wiki".into(),
        tool: "search".into(),
    }]);
    page.wait_for_element(r#"[data-call-id="c1"][data-status="running"]"#)
        .await;
    stream.close();
    page.wait_for_complete("error").await;
    assert_eq!(status(&page, "c1").as_deref(), Some("failed"));
}

#[wasm_bindgen_test]
async fn arguments_are_pretty_once_complete_and_long_results_show_all_on_demand() {
    let page = Page::with_servers().await;
    let stream = page.fetch.respond_stream("/api/chat");
    page.ask("Everything").await;
    let output = format!("[{}]", vec![r#"{"id":1234567890123456789}"#; 200].join(","));
    stream.push_events(&[
        StreamEvent::ToolCallStarted {
            call_id: "c1".into(),
            server: "northwind".into(),
            tool: "read_query".into(),
        },
        StreamEvent::ToolCallArgumentsDelta {
            call_id: "c1".into(),
            delta: r#"{"query":"SELECT *","#.into(),
        },
    ]);
    page.wait_for_element(r#"[data-call-id="c1"]"#).await;
    assert_eq!(
        page.text(r#"[data-call-id="c1"] [data-role="arguments"]"#)
            .as_deref(),
        Some(r#"{"query":"SELECT *","#),
        "as they stream"
    );
    stream.push_events(&[
        StreamEvent::ToolCallArgumentsDelta {
            call_id: "c1".into(),
            delta: r#""limit":9007199254740993}"#.into(),
        },
        StreamEvent::ToolCallResult {
            call_id: "c1".into(),
            output: output.clone(),
            parts: Vec::new(),
        },
        done(),
    ]);
    page.wait_for_complete("true").await;
    assert_eq!(
        page.text(r#"[data-call-id="c1"] [data-role="arguments"]"#)
            .as_deref(),
        Some("{\n  \"query\": \"SELECT *\",\n  \"limit\": 9007199254740993\n}"),
        "pretty, and the big number untouched"
    );
    let shown = page
        .text(r#"[data-call-id="c1"] [data-role="result"] pre"#)
        .unwrap();
    assert!(
        shown.chars().count() < 1600 && shown.ends_with('…'),
        "{} chars",
        shown.len()
    );
    assert!(shown.starts_with("[\n  {\n    \"id\": 1234567890123456789\n  },"));
    let pretty_len = crate::support::pretty_len(&output);
    let button = page.get(r#"[data-call-id="c1"] button[data-action="show-all"]"#);
    assert!(
        button
            .text_content()
            .unwrap()
            .contains(&pretty_len.to_string()),
        "says how much there is"
    );
    page.click(r#"[data-call-id="c1"] button[data-action="show-all"]"#);
    crate::support::wait_for("the whole result", || {
        page.text(r#"[data-call-id="c1"] [data-role="result"] pre"#)
            .is_some_and(|t| t.chars().count() == pretty_len)
    })
    .await;
    assert!(page.find(r#"[data-action="show-all"]"#).is_none());
}

#[wasm_bindgen_test]
async fn reasoning_is_a_collapsed_summary() {
    let page = Page::with_servers().await;
    let stream = page.fetch.respond_stream("/api/chat");
    page.ask("Think").await;
    stream.push_events(&[StreamEvent::ReasoningDelta {
        delta: "Looking at the <b>orders</b> table".into(),
    }]);
    page.wait_for_element(r#"details[data-role="reasoning"]:not([hidden])"#)
        .await;
    let reasoning = page.get(r#"details[data-role="reasoning"]"#);
    assert!(!reasoning.has_attribute("open"), "collapsed");
    assert!(reasoning.text_content().unwrap().contains("Thinking…"));
    assert!(
        reasoning
            .text_content()
            .unwrap()
            .contains("Looking at the <b>orders</b> table")
    );
    stream.push_events(&[text("Answer"), done()]);
    page.wait_for_complete("true").await;
    assert_eq!(
        page.text(r#"details[data-role="reasoning"] summary"#)
            .as_deref(),
        Some("Reasoning")
    );
    assert!(page.find("b").is_none());
}

#[wasm_bindgen_test]
async fn an_unfinished_call_says_why_in_the_users_language() {
    let page = Page::open(&[("locale", "de")], 200, crate::support::SERVERS).await;
    let stream = page.fetch.respond_stream("/api/chat");
    page.ask("hi").await;
    stream.push_events(&[StreamEvent::ToolCallStarted {
        call_id: "c1".into(),
        server: "wiki".into(),
        tool: "search".into(),
    }]);
    page.wait_for_element(r#"[data-call-id="c1"]"#).await;
    stream.close();
    page.wait_for_complete("error").await;
    assert_eq!(
        page.text(r#"[data-call-id="c1"] [data-role="failure"]"#)
            .as_deref(),
        Some("Die Antwort endete, bevor dieser Aufruf fertig war.")
    );
    assert_eq!(
        page.text(r#"[data-code="stream_interrupted"] .message"#)
            .as_deref(),
        Some("Die Antwort wurde unterbrochen.")
    );
}
