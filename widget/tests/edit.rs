//! Edit a sent question, regenerate the last answer, copy an answer as markdown: the buttons,
//! the requests they make, the host API and its events.

use serde_json::json;
use wasm_bindgen::JsValue;
use wasm_bindgen_test::wasm_bindgen_test;

use crate::chat::chat_body;
use crate::host::{Events, call};
use crate::support::{Page, done, text, wait_for};

pub(crate) fn questions(page: &Page) -> Vec<String> {
    page.all(r#"[data-role="message"][data-author="user"]"#)
        .iter()
        .filter_map(|m| m.text_content())
        .collect()
}

fn shown(page: &Page, selector: &str) -> usize {
    page.all(selector)
        .iter()
        .filter(|b| !b.has_attribute("hidden"))
        .count()
}

/// Asks `question` and answers it with `answer`.
pub(crate) async fn exchange(page: &Page, question: &str, answer: &str) {
    let stream = page.fetch.respond_stream("/api/chat");
    page.ask(question).await;
    stream.push_events(&[text(answer), done()]);
    wait_for("the answer", || {
        page.all(r#"[data-author="assistant"]"#).len() == questions(page).len()
            && page.answer_attribute("data-complete").as_deref() == Some("true")
    })
    .await;
}

#[wasm_bindgen_test]
async fn editing_a_question_replaces_it_and_the_answers_after_it() {
    let page = Page::with_servers().await;
    exchange(&page, "one", "answer one").await;
    exchange(&page, "two", "answer two").await;
    exchange(&page, "three", "answer three").await;
    assert_eq!(shown(&page, r#"button[data-role="edit"]"#), 3);

    page.click(r#"button[data-role="edit"][data-index="1"]"#);
    assert_eq!(
        page.input().value(),
        "two",
        "the question goes into the composer"
    );
    wait_for("the editing note", || {
        !page.get(r#"[data-role="editing"]"#).has_attribute("hidden")
    })
    .await;
    let edited = page.get(r#"[data-role="message"][data-author="user"][data-editing="true"]"#);
    assert_eq!(edited.text_content().as_deref(), Some("two"));

    let stream = page.fetch.respond_stream("/api/chat");
    page.ask("two, better").await;
    assert_eq!(
        chat_body(&page, 3)["messages"],
        json!([
            {"role":"user","content":"one"},
            {"role":"assistant","content":"answer one"},
            {"role":"user","content":"two, better"}
        ])
    );
    assert_eq!(questions(&page), vec!["one", "two, better"]);
    assert_eq!(
        shown(&page, r#"button[data-role="edit"]"#),
        0,
        "no edit while an answer streams"
    );
    assert!(
        page.get(r#"[data-role="editing"]"#).has_attribute("hidden"),
        "the edit is done"
    );
    stream.push_events(&[text("better answer"), done()]);
    page.wait_for_text("better answer").await;
    assert_eq!(page.all(r#"[data-author="assistant"]"#).len(), 2);

    // Cancel: the composer empties and the next Send asks a new question.
    page.click(r#"button[data-role="edit"][data-index="0"]"#);
    page.click(r#"button[data-role="cancel-edit"]"#);
    assert_eq!(page.input().value(), "");
    exchange(&page, "three", "answer three").await;
    assert_eq!(questions(&page), vec!["one", "two, better", "three"]);
}

#[wasm_bindgen_test]
async fn regenerate_asks_the_last_question_again_in_place() {
    let page = Page::with_servers().await;
    exchange(&page, "one", "answer one").await;
    exchange(&page, "two", "first try").await;
    assert_eq!(
        shown(&page, r#"button[data-role="regenerate"]"#),
        1,
        "on the last answer only"
    );
    let stream = page.fetch.respond_stream("/api/chat");
    page.click(r#"button[data-role="regenerate"][data-index="1"]"#);
    wait_for("the chat request", || {
        page.fetch.requests_to("/api/chat").len() == 3
    })
    .await;
    assert_eq!(chat_body(&page, 2), chat_body(&page, 1), "the same request");
    stream.push_events(&[text("second try"), done()]);
    page.wait_for_text("second try").await;
    assert_eq!(questions(&page), vec!["one", "two"]);
    assert_eq!(page.all(r#"[data-author="assistant"]"#).len(), 2);
}

#[wasm_bindgen_test]
async fn the_host_api_edits_regenerates_and_copies_markdown_and_says_so() {
    let page = Page::with_servers().await;
    exchange(&page, "one", "**bold** answer").await;
    let events = Events::listen();

    assert_eq!(call(&page, "copy", &["0"]), JsValue::TRUE);
    assert_eq!(
        call(&page, "copy", &["5"]),
        JsValue::FALSE,
        "no such answer"
    );
    page.click(r#"button[data-role="copy-answer"][data-index="0"]"#);
    assert_eq!(
        events.take(),
        vec![
            r#"copy {"index":0,"content":"**bold** answer"}"#.to_owned(),
            r#"copy {"index":0,"content":"**bold** answer"}"#.to_owned(),
        ],
        "the markdown source, not the rendered text"
    );

    let stream = page.fetch.respond_stream("/api/chat");
    assert_eq!(call(&page, "regenerate", &[]), JsValue::TRUE);
    wait_for("the chat request", || {
        page.fetch.requests_to("/api/chat").len() == 2
    })
    .await;
    assert_eq!(call(&page, "regenerate", &[]), JsValue::FALSE, "busy");
    assert_eq!(call(&page, "edit", &["0", "x"]), JsValue::FALSE, "busy");
    stream.push_events(&[text("again"), done()]);
    page.wait_for_complete("true").await;

    assert_eq!(
        call(&page, "edit", &["1", "x"]),
        JsValue::FALSE,
        "no such question"
    );
    assert_eq!(call(&page, "edit", &["0", " "]), JsValue::FALSE, "blank");
    let stream = page.fetch.respond_stream("/api/chat");
    assert_eq!(call(&page, "edit", &["0", "ONE\nline two"]), JsValue::TRUE);
    wait_for("the chat request", || {
        page.fetch.requests_to("/api/chat").len() == 3
    })
    .await;
    assert_eq!(
        chat_body(&page, 2)["messages"],
        json!([{"role":"user","content":"ONE\nline two"}])
    );
    stream.push_events(&[text("edited"), done()]);
    page.wait_for_complete("true").await;
    assert_eq!(
        events.take(),
        vec![
            r#"regenerate {"index":0}"#.to_owned(),
            r#"message {"role":"assistant","content":"again","status":"complete","requestId":null,"usage":null}"#
                .to_owned(),
            r#"edit {"index":0,"content":"ONE\nline two"}"#.to_owned(),
            r#"message {"role":"user","content":"ONE\nline two"}"#.to_owned(),
            r#"message {"role":"assistant","content":"edited","status":"complete","requestId":null,"usage":null}"#
                .to_owned(),
        ]
    );
}
