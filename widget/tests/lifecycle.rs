//! The element's lifecycle: removal drops its resources, a move keeps its conversation.

use wasm_bindgen_test::wasm_bindgen_test;

use crate::support::{Page, document, done, next_turn, text, wait_for};

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
async fn defining_twice_is_harmless() {
    widget::define().unwrap();
    widget::define().unwrap();
    let registry = web_sys::window().unwrap().custom_elements();
    assert!(!registry.get(widget::TAG_NAME).is_undefined());
}
