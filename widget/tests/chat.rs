//! Asking: the request, the answer streaming in, errors, interruption, Stop, Retry, history.

use protocol::{ErrorCode, StreamEvent};
use serde_json::{Value, json};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::wasm_bindgen_test;
use web_sys::{HtmlButtonElement, KeyboardEvent, KeyboardEventInit};

use crate::support::{Page, done, next_turn, text, wait_for};

pub(crate) fn chat_body(page: &Page, index: usize) -> Value {
    let request = &page.fetch.requests_to("/api/chat")[index];
    serde_json::from_str(request["body"].as_str().expect("a text body")).expect("a JSON body")
}

fn button(page: &Page, role: &str) -> HtmlButtonElement {
    page.get(&format!(r#"button[data-role="{role}"]"#))
        .unchecked_into()
}

#[wasm_bindgen_test]
async fn the_answer_streams_in_and_joins_the_history() {
    let page = Page::with_servers().await;
    page.click(r#"input[data-server-id="northwind"]"#);
    let stream = page.fetch.respond_stream("/api/chat");
    page.ask("How many orders?").await;

    let request = &page.fetch.requests_to("/api/chat")[0];
    assert_eq!(request["method"], "POST");
    assert_eq!(request["credentials"], "include");
    assert_eq!(request["headers"]["content-type"], "application/json");
    assert_eq!(
        request["headers"]["accept"],
        "application/json, text/event-stream"
    );
    assert_eq!(
        chat_body(&page, 0),
        json!({"messages":[{"role":"user","content":"How many orders?"}],"servers":["northwind"]})
    );
    let user = page.get(r#"[data-role="log"] [data-role="message"][data-author="user"]"#);
    assert_eq!(user.text_content().as_deref(), Some("How many orders?"));
    assert_eq!(page.input().value(), "", "the composer is emptied");
    assert!(button(&page, "send").disabled());
    assert!(!button(&page, "stop").disabled() && !button(&page, "stop").hidden());

    // Each chunk renders as it arrives, including one that ends mid-frame.
    stream.push_events(&[
        StreamEvent::Started {
            request_id: "req_1".into(),
        },
        text("There are "),
    ]);
    page.wait_for_text("There are").await;
    assert_eq!(page.answer_attribute("data-complete"), None);
    assert_eq!(page.answer_attribute("aria-busy").as_deref(), Some("true"));
    let frame = protocol::sse::encode(&text("830\norders."));
    let (head, tail) = frame.split_at(frame.len() / 2);
    stream.push(head);
    next_turn().await;
    assert_eq!(page.answer_text(), "There are");
    stream.push(tail);
    page.wait_for_text("There are 830\norders.").await;
    stream.push_events(&[done()]);
    page.wait_for_complete("true").await;
    assert_eq!(page.answer_attribute("aria-busy"), None);
    assert!(!button(&page, "send").disabled());
    assert!(button(&page, "stop").hidden());

    // The next question carries the conversation as structured turns.
    page.fetch.respond_stream("/api/chat");
    page.ask("And customers?").await;
    assert_eq!(
        chat_body(&page, 1)["messages"],
        json!([
            {"role":"user","content":"How many orders?"},
            {"role":"assistant","content":"There are 830\norders."},
            {"role":"user","content":"And customers?"}
        ])
    );
}

#[wasm_bindgen_test]
async fn a_stream_that_stops_short_is_an_interruption_that_can_be_retried() {
    let page = Page::with_servers().await;
    let stream = page.fetch.respond_stream("/api/chat");
    page.ask("hi").await;
    stream.push_events(&[
        StreamEvent::Started {
            request_id: "req_42".into(),
        },
        text("Half an ans"),
    ]);
    page.wait_for_text("Half an ans").await;
    stream.close();

    page.wait_for_complete("error").await;
    let error = page.get(r#"[data-role="message"][data-author="assistant"] [data-role="error"][data-code="stream_interrupted"]"#);
    let shown = error.text_content().unwrap();
    assert!(shown.contains("The answer was interrupted"), "{shown}");
    assert!(
        shown.contains("request req_42"),
        "the request id, for support: {shown}"
    );
    assert_eq!(
        page.answer_text(),
        "Half an ans",
        "the partial answer stays"
    );

    let retry = page.fetch.respond_stream("/api/chat");
    page.click(r#"button[data-role="retry"]"#);
    wait_for("the retried request", || {
        page.fetch.requests_to("/api/chat").len() == 2
    })
    .await;
    assert_eq!(
        chat_body(&page, 1),
        chat_body(&page, 0),
        "Retry resends the same conversation"
    );
    retry.push_events(&[text("Whole answer"), done()]);
    page.wait_for_complete("true").await;
    assert_eq!(page.answer_text(), "Whole answer");
    assert!(page.find(r#"[data-role="error"]"#).is_none());
    assert_eq!(page.all(r#"[data-role="message"]"#).len(), 2);
}

#[wasm_bindgen_test]
async fn a_broken_connection_is_an_interruption_too() {
    let page = Page::with_servers().await;
    let stream = page.fetch.respond_stream("/api/chat");
    page.ask("hi").await;
    stream.push_events(&[text("Part")]);
    page.wait_for_text("Part").await;
    stream.fail();
    page.wait_for_complete("error").await;
    assert!(page.find(r#"[data-code="stream_interrupted"]"#).is_some());
    assert_eq!(page.answer_text(), "Part");
}

#[wasm_bindgen_test]
async fn error_events_show_their_code_and_offer_retry_only_when_retryable() {
    let page = Page::with_servers().await;
    let stream = page.fetch.respond_stream("/api/chat");
    page.ask("one").await;
    stream.push_events(&[
        text("Partial"),
        StreamEvent::error(ErrorCode::ProviderError, "the model failed", false),
    ]);
    page.wait_for_complete("error").await;
    let error = page.get(r#"[data-role="error"][data-code="provider_error"]"#);
    assert!(error.text_content().unwrap().contains("the model failed"));
    assert!(page.find(r#"button[data-role="retry"]"#).is_none());
    assert_eq!(page.answer_text(), "Partial");

    let stream = page.fetch.respond_stream("/api/chat");
    page.ask("two").await;
    stream.push_events(&[StreamEvent::error(
        ErrorCode::ProviderRateLimited,
        "slow down",
        true,
    )]);
    page.wait_for_element(r#"[data-code="provider_rate_limited"] button[data-role="retry"]"#)
        .await;
    assert_eq!(
        page.all(r#"button[data-role="retry"]"#).len(),
        1,
        "only the last answer offers Retry"
    );
    // The failed first exchange is not part of the next request.
    assert_eq!(
        chat_body(&page, 1)["messages"],
        json!([{"role":"user","content":"two"}])
    );
}

/// The edge's tool loop ends an answer with `tool_rounds_exceeded`: the widget once knew no
/// such code and showed "Something went wrong" under `unknown`.
#[wasm_bindgen_test]
async fn a_code_from_the_tool_loop_shows_its_own_message_in_each_locale() {
    for (locale, headline) in [
        (
            "en",
            "The AI model kept calling tools without finishing its answer.",
        ),
        (
            "de",
            "Das KI-Modell hat immer wieder Werkzeuge aufgerufen, ohne die Antwort abzuschließen.",
        ),
    ] {
        let page = Page::open(&[("locale", locale)], 200, crate::support::SERVERS).await;
        let stream = page.fetch.respond_stream("/api/chat");
        page.ask("Count the orders").await;
        stream.push_events(&[StreamEvent::error(
            ErrorCode::ToolRoundsExceeded,
            "too many tool rounds",
            false,
        )]);
        page.wait_for_complete("error").await;
        let selector = r#"[data-role="error"][data-code="tool_rounds_exceeded"] .message"#;
        assert_eq!(page.text(selector).as_deref(), Some(headline), "{locale}");
    }
}

#[wasm_bindgen_test]
async fn a_refused_request_keeps_the_question_and_the_draft() {
    let page = Page::with_servers().await;
    page.fetch.respond_json(
        "/api/chat",
        400,
        r#"{"error":{"code":"unknown_server","message":"no server named wiki","retryable":false}}"#,
    );
    page.ask("Look it up").await;

    page.wait_for_complete("error").await;
    let error = page.get(r#"[data-role="error"][data-code="unknown_server"]"#);
    assert!(
        error
            .text_content()
            .unwrap()
            .contains("no server named wiki")
    );
    let user = page.get(r#"[data-role="message"][data-author="user"]"#);
    assert_eq!(user.text_content().as_deref(), Some("Look it up"));
    assert_eq!(
        page.input().value(),
        "Look it up",
        "the draft is handed back"
    );
    assert!(!button(&page, "send").disabled());
}

#[wasm_bindgen_test]
async fn an_expired_session_offers_sign_in_and_retry() {
    let page = Page::with_servers().await;
    page.fetch.respond_json("/api/chat", 401, "");
    page.ask("hi").await;
    page.wait_for_complete("error").await;
    assert!(
        page.find(r#"[data-code="unauthorized"] a[data-role="sign-in"]"#)
            .is_some()
    );
    assert!(
        page.find(r#"[data-code="unauthorized"] button[data-role="retry"]"#)
            .is_some()
    );
}

#[wasm_bindgen_test]
async fn no_answer_at_all_is_a_retryable_network_error() {
    let page = Page::with_servers().await;
    // A lost connection may be the runtime's refusal: tried twice more before it shows.
    for _ in 0..3 {
        page.fetch.respond_network_error("/api/chat");
    }
    page.ask("hi").await;
    page.wait_for_complete("error").await;
    let error = page.get(r#"[data-role="error"][data-code="network_error"]"#);
    let shown = error.text_content().unwrap();
    assert!(shown.contains("could not be reached"), "{shown}");
    assert!(page.find(r#"button[data-role="retry"]"#).is_some());
    assert_eq!(page.fetch.requests_to("/api/chat").len(), 3);
}

/// Issue 17: a runtime out of instances answers a bare 500 before the edge runs.
#[wasm_bindgen_test]
async fn a_busy_runtime_is_retried_with_the_same_question_until_it_answers() {
    let page = Page::with_servers().await;
    page.fetch.respond_json("/api/chat", 500, "");
    page.fetch
        .respond_json("/api/chat", 503, "<html>Service Unavailable</html>");
    let stream = page.fetch.respond_stream("/api/chat");
    page.ask("Are you there?").await;

    page.wait_for_element(r#"[data-role="busy"]"#).await;
    let note = page.text(r#"[data-role="busy"]"#).unwrap_or_default();
    assert!(note.contains("busy, retrying"), "{note}");
    assert_eq!(
        page.answer_attribute("data-complete"),
        None,
        "still waiting, not failed"
    );
    wait_for("the third request", || {
        page.fetch.requests_to("/api/chat").len() == 3
    })
    .await;
    stream.push_events(&[text("Yes."), done()]);
    page.wait_for_complete("true").await;
    assert_eq!(page.answer_text(), "Yes.");
    assert!(page.find(r#"[data-role="busy"]"#).is_none());
    assert!(page.find(r#"[data-role="error"]"#).is_none());
    let first = chat_body(&page, 0);
    assert_eq!(
        first["messages"],
        json!([{"role":"user","content":"Are you there?"}])
    );
    assert_eq!(chat_body(&page, 1), first);
    assert_eq!(chat_body(&page, 2), first);
}

/// The edge's own 5xx is its JSON error: shown at once, not taken for a busy runtime.
#[wasm_bindgen_test]
async fn an_edge_error_with_its_json_is_not_retried_as_busy() {
    let page = Page::with_servers().await;
    page.fetch.respond_json(
        "/api/chat",
        503,
        r#"{"error":{"code":"provider_not_configured","message":"no model","retryable":false}}"#,
    );
    page.ask("hi").await;
    page.wait_for_complete("error").await;
    assert!(
        page.find(r#"[data-code="provider_not_configured"]"#)
            .is_some()
    );
    assert_eq!(page.fetch.requests_to("/api/chat").len(), 1);
}

#[wasm_bindgen_test]
async fn stop_aborts_the_request_and_keeps_the_partial_answer() {
    let page = Page::with_servers().await;
    let stream = page.fetch.respond_stream("/api/chat");
    page.ask("Tell me everything").await;
    stream.push_events(&[text("Once upon")]);
    page.wait_for_text("Once upon").await;

    page.click(r#"button[data-role="stop"]"#);
    wait_for("the fetch to be aborted", || stream.was_aborted()).await;
    page.wait_for_complete("stopped").await;
    assert_eq!(page.answer_text(), "Once upon");
    assert!(page.find(r#"[data-role="error"]"#).is_none());
    assert!(!button(&page, "send").disabled());
    assert!(button(&page, "stop").hidden());

    // The stopped answer counts as said.
    page.fetch.respond_stream("/api/chat");
    page.ask("Go on").await;
    assert_eq!(
        chat_body(&page, 1)["messages"],
        json!([
            {"role":"user","content":"Tell me everything"},
            {"role":"assistant","content":"Once upon"},
            {"role":"user","content":"Go on"}
        ])
    );
}

fn press_enter(page: &Page, shift: bool) {
    let init = KeyboardEventInit::new();
    init.set_key("Enter");
    init.set_shift_key(shift);
    init.set_bubbles(true);
    init.set_cancelable(true);
    let event = KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init).unwrap();
    page.input().dispatch_event(&event).unwrap();
}

#[wasm_bindgen_test]
async fn enter_sends_and_shift_enter_does_not() {
    let page = Page::with_servers().await;
    page.fetch.respond_stream("/api/chat");
    page.input().set_value("line one");
    press_enter(&page, true);
    next_turn().await;
    assert!(page.fetch.requests_to("/api/chat").is_empty());
    assert_eq!(page.input().value(), "line one");

    press_enter(&page, false);
    wait_for("the chat request", || {
        page.fetch.requests_to("/api/chat").len() == 1
    })
    .await;
    assert_eq!(chat_body(&page, 0)["messages"][0]["content"], "line one");
}

#[wasm_bindgen_test]
async fn an_empty_draft_is_not_sent() {
    let page = Page::with_servers().await;
    page.input().set_value("  \n ");
    page.click(r#"button[data-role="send"]"#);
    next_turn().await;
    assert!(page.fetch.requests_to("/api/chat").is_empty());
    assert!(page.find(r#"[data-role="message"]"#).is_none());
}

#[wasm_bindgen_test]
async fn text_from_the_model_is_never_html() {
    let page = Page::with_servers().await;
    let stream = page.fetch.respond_stream("/api/chat");
    page.ask("<b>bold?</b>").await;
    let payload = "<img src=x onerror=alert(1)>";
    stream.push_events(&[text(payload), done()]);
    page.wait_for_complete("true").await;

    assert_eq!(page.answer_text(), payload);
    assert!(page.find("img").is_none(), "no <img> was created");
    assert!(page.find("b").is_none(), "the question is text too");
    assert_eq!(
        page.text(r#"[data-role="message"][data-author="user"]"#)
            .as_deref(),
        Some("<b>bold?</b>")
    );
}

#[wasm_bindgen_test]
async fn the_live_region_announces_each_finished_answer_only() {
    let page = Page::with_servers().await;
    let log = page.get(r#"[data-role="log"]"#);
    assert_eq!(log.get_attribute("role").as_deref(), Some("log"));
    assert_eq!(
        log.get_attribute("aria-live").as_deref(),
        Some("off"),
        "tokens are not announced one by one"
    );
    let announcer = page.get(r#"[data-role="announcer"]"#);
    assert_eq!(
        announcer.get_attribute("aria-live").as_deref(),
        Some("polite")
    );
    let stream = page.fetch.respond_stream("/api/chat");
    page.ask("hi").await;
    stream.push_events(&[text("First **answer**")]);
    page.wait_for_text("First answer").await;
    assert_eq!(announcer.text_content().as_deref(), Some(""));
    stream.push_events(&[done()]);
    page.wait_for_complete("true").await;
    assert_eq!(announcer.text_content().as_deref(), Some("First answer"));
    let stream = page.fetch.respond_stream("/api/chat");
    page.ask("again").await;
    stream.push_events(&[text("Second"), done()]);
    page.wait_for_complete("true").await;
    assert_eq!(
        announcer.text_content().as_deref(),
        Some("Second"),
        "only the new answer, not the history"
    );
}

#[wasm_bindgen_test]
async fn inputs_are_labelled() {
    let page = Page::with_servers().await;
    let id = page.input().id();
    let label = page.get(&format!(r#"label[for="{id}"]"#));
    assert!(!label.text_content().unwrap().is_empty());
    assert!(
        page.get(r#"button[data-role="stop"]"#)
            .text_content()
            .unwrap()
            .contains("Stop")
    );
}

#[wasm_bindgen_test]
async fn a_character_cut_between_chunks_renders_whole() {
    let page = Page::with_servers().await;
    let stream = page.fetch.respond_stream("/api/chat");
    page.ask("hi").await;
    let frame = protocol::sse::encode(&text("Grüße 🚀"));
    let bytes = frame.as_bytes();
    let cut = frame.find('🚀').unwrap() + 2;
    stream.push_bytes(&bytes[..cut]);
    next_turn().await;
    stream.push_bytes(&bytes[cut..]);
    page.wait_for_text("Grüße 🚀").await;
}
