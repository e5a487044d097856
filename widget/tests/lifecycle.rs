//! The element's lifecycle: removal drops its resources, a move keeps its conversation (and a
//! launcher in the top layer), an element that replaces it shows the conversation as it was,
//! and leaving the page aborts the answer's request.

use wasm_bindgen::JsCast;
use wasm_bindgen_test::wasm_bindgen_test;
use web_sys::HtmlElement;

use crate::support::{Page, SERVERS, document, done, fire, next_turn, text, wait_for};

#[wasm_bindgen_test]
async fn removing_the_element_aborts_its_request() {
    let page = Page::with_servers().await;
    let stream = page.fetch.respond_stream("/api/chat");
    page.ask("hi").await;
    stream.push_events(&[text("Hel")]);
    page.wait_for_text("Hel").await;

    page.host.remove();
    wait_for("the fetch to be aborted", || stream.was_aborted()).await;
}

#[wasm_bindgen_test]
async fn moving_the_element_keeps_the_conversation_and_the_stream() {
    let page = Page::with_servers().await;
    let stream = page.fetch.respond_stream("/api/chat");
    page.ask("hi").await;
    stream.push_events(&[text("Hel")]);
    page.wait_for_text("Hel").await;

    let doc = document();
    let sidebar = doc.create_element("aside").unwrap();
    doc.body().unwrap().append_child(&sidebar).unwrap();
    sidebar.append_child(&page.host).unwrap();
    next_turn().await;
    assert!(!stream.was_aborted());

    stream.push_events(&[text("lo"), done()]);
    page.wait_for_complete("true").await;
    assert_eq!(page.answer_text(), "Hello");
    sidebar.remove();
}

#[wasm_bindgen_test]
async fn an_element_put_back_later_mounts_afresh_from_storage() {
    let page = Page::with_servers().await;
    let stream = page.fetch.respond_stream("/api/chat");
    page.ask("hi").await;
    stream.push_events(&[text("Hel"), done()]);
    page.wait_for_complete("true").await;

    page.host.remove();
    next_turn().await;
    page.fetch
        .respond_json("/api/servers", 200, r#"{"servers":[]}"#);
    document().body().unwrap().append_child(&page.host).unwrap();
    wait_for("the list to load again", || {
        page.text(".servers")
            .is_some_and(|t| t.contains("No data sources available"))
    })
    .await;
    assert_eq!(page.answer_text(), "Hel", "the saved conversation is back");
    assert_eq!(
        page.all(r#"[data-role="log"]"#).len(),
        1,
        "one view in the shadow root"
    );
}

#[wasm_bindgen_test]
async fn an_element_that_replaces_this_one_shows_the_answer_so_far() {
    let page = Page::with_servers().await;
    let stream = page.fetch.respond_stream("/api/chat");
    page.ask("hi").await;
    stream.push_events(&[text("Hel")]);
    page.wait_for_text("Hel").await;
    // Within a second of the last save: a streaming answer is not saved on every chunk.
    stream.push_events(&[text("lo")]);
    page.wait_for_text("Hello").await;

    // A framework re-renders the parent: a new element takes the old one's place in one step.
    page.fetch.respond_json("/api/servers", 200, SERVERS);
    let replacement: HtmlElement = document()
        .create_element(widget::TAG_NAME)
        .unwrap()
        .unchecked_into();
    page.host.replace_with_with_node_1(&replacement).unwrap();
    let shadow = replacement.shadow_root().expect("the replacement mounted");
    let shown = |selector: &str| {
        shadow
            .query_selector(selector)
            .unwrap()
            .and_then(|e| e.text_content())
    };
    assert_eq!(
        shown(r#"[data-author="assistant"] [data-role="text"]"#).as_deref(),
        Some("Hello"),
        "the answer as it was when the element left"
    );
    assert_eq!(shown(r#"[data-author="user"]"#).as_deref(), Some("hi"));
    assert!(
        shadow
            .query_selector(r#"[data-code="stream_interrupted"] button[data-role="retry"]"#)
            .unwrap()
            .is_some(),
        "the cut answer can be asked again"
    );
    wait_for("the old element's request to be aborted", || {
        stream.was_aborted()
    })
    .await;
    replacement.remove();
}

#[wasm_bindgen_test]
async fn leaving_the_page_aborts_the_answers_request() {
    let page = Page::with_servers().await;
    let stream = page.fetch.respond_stream("/api/chat");
    page.ask("hi").await;
    stream.push_events(&[text("Hel")]);
    page.wait_for_text("Hel").await;

    fire(&web_sys::window().unwrap(), "pagehide");
    wait_for("the fetch to be aborted", || stream.was_aborted()).await;
    page.assert_interrupted("Hel");
}

#[wasm_bindgen_test]
async fn a_launcher_sits_in_the_top_layer_even_after_a_move() {
    let page = Page::open(&[("mode", "launcher")], 200, SERVERS).await;
    let on_top = |host: &HtmlElement| host.matches(":popover-open").unwrap();
    assert!(on_top(&page.host), "shown as a popover");

    // Removing an element hides its popover: the move puts it back on top.
    let doc = document();
    let aside = doc.create_element("aside").unwrap();
    doc.body().unwrap().append_child(&aside).unwrap();
    aside.append_child(&page.host).unwrap();
    assert!(on_top(&page.host), "on top after the move");

    // An inline chat stays in the page's flow.
    page.host.set_attribute("mode", "inline").unwrap();
    assert!(!on_top(&page.host));
    assert!(!page.host.has_attribute("popover"));
    aside.remove();
}

#[wasm_bindgen_test]
async fn defining_twice_is_harmless() {
    widget::define().unwrap();
    widget::define().unwrap();
    let registry = web_sys::window().unwrap().custom_elements();
    assert!(!registry.get(widget::TAG_NAME).is_undefined());
}
