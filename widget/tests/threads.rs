//! Threads: New chat keeps the conversation in the list, switch, rename, delete, a reload keeps
//! them, and the single conversation stored before threads becomes the first one.

use serde_json::json;
use wasm_bindgen_test::wasm_bindgen_test;

use crate::chat::chat_body;
use crate::edit::{exchange, questions};
use crate::support::{Page, SERVERS, clear_storage, next_turn, wait_for};

/// The listed threads' titles, in order, with a `*` on the current one.
fn listed(page: &Page) -> Vec<String> {
    page.all(r#"[data-role="threads"] button[data-role="thread"]"#)
        .iter()
        .map(|b| {
            let mut title = b.text_content().unwrap_or_default();
            if b.get_attribute("aria-current").as_deref() == Some("true") {
                title.push('*');
            }
            title
        })
        .collect()
}

#[wasm_bindgen_test]
async fn new_chat_keeps_the_conversation_and_a_switch_brings_it_back() {
    let page = Page::with_servers().await;
    exchange(&page, "first question", "first answer").await;
    page.click(r#"button[data-role="new-chat"]"#);
    assert!(questions(&page).is_empty());
    exchange(&page, "second question", "second answer").await;

    let toggle = page.get(r#"button[data-role="threads-toggle"]"#);
    assert_eq!(toggle.text_content().as_deref(), Some("Chats (2)"));
    assert_eq!(
        toggle.get_attribute("aria-expanded").as_deref(),
        Some("false")
    );
    page.click(r#"button[data-role="threads-toggle"]"#);
    wait_for("the list", || {
        !page.get(r#"[data-role="threads"]"#).has_attribute("hidden")
    })
    .await;
    assert_eq!(
        toggle.get_attribute("aria-expanded").as_deref(),
        Some("true")
    );
    assert_eq!(listed(&page), ["second question*", "first question"]);

    page.click(r#"button[data-role="thread"][data-thread-id="t1"]"#);
    wait_for("the first thread", || {
        questions(&page) == ["first question"]
    })
    .await;
    assert_eq!(page.answer_text(), "first answer");
    assert_eq!(listed(&page), ["second question", "first question*"]);

    // The next question there carries that thread's history, and moves it to the top.
    exchange(&page, "more", "more answer").await;
    assert_eq!(
        chat_body(&page, 2)["messages"],
        json!([
            {"role":"user","content":"first question"},
            {"role":"assistant","content":"first answer"},
            {"role":"user","content":"more"}
        ])
    );
    assert_eq!(listed(&page), ["first question*", "second question"]);

    // A reload keeps both threads and the current one.
    next_turn().await;
    drop(page);
    let page = Page::open_keeping_storage(&[], 200, SERVERS).await;
    assert_eq!(questions(&page), ["first question", "more"]);
    page.click(r#"button[data-role="threads-toggle"]"#);
    wait_for("the list", || listed(&page).len() == 2).await;
    assert_eq!(listed(&page), ["first question*", "second question"]);
}

#[wasm_bindgen_test]
async fn rename_and_delete_a_thread() {
    let page = Page::with_servers().await;
    exchange(&page, "first", "a").await;
    page.click(r#"button[data-role="new-chat"]"#);
    exchange(&page, "second", "b").await;
    page.click(r#"button[data-role="threads-toggle"]"#);
    wait_for("the list", || listed(&page).len() == 2).await;

    let rename = page.get(r#"button[data-role="rename-thread"][data-thread-id="t1"]"#);
    assert_eq!(
        rename.get_attribute("aria-label").as_deref(),
        Some("Rename chat first")
    );
    // The browser's prompt, answered.
    let window = web_sys::window().unwrap();
    let prompt = js_sys::Reflect::get(&window, &"prompt".into()).unwrap();
    let answer = js_sys::Function::new_no_args("return 'Sales by year';");
    js_sys::Reflect::set(&window, &"prompt".into(), &answer).unwrap();
    page.click(r#"button[data-role="rename-thread"][data-thread-id="t1"]"#);
    js_sys::Reflect::set(&window, &"prompt".into(), &prompt).unwrap();
    wait_for("the new title", || {
        listed(&page) == ["second*", "Sales by year"]
    })
    .await;

    page.click(r#"button[data-role="delete-thread"][data-thread-id="t2"]"#);
    wait_for("the current thread to go", || {
        listed(&page) == ["Sales by year"]
    })
    .await;
    assert!(questions(&page).is_empty(), "a new chat is shown");
    page.click(r#"button[data-role="delete-thread"][data-thread-id="t1"]"#);
    wait_for("an empty list", || listed(&page).is_empty()).await;
    assert_eq!(
        page.text(r#"button[data-role="threads-toggle"]"#)
            .as_deref(),
        Some("Chats (0)")
    );
}

#[wasm_bindgen_test]
async fn the_conversation_stored_before_threads_becomes_the_first_thread() {
    clear_storage();
    let storage = web_sys::window().unwrap().local_storage().unwrap().unwrap();
    let origin = web_sys::window().unwrap().location().origin().unwrap();
    let prefix = format!("pomerium-chat:{origin}:");
    storage
        .set_item(&format!("{prefix}owner"), "user-a")
        .unwrap();
    let old = r#"{"v":1,"exchanges":[{"q":"old question","servers":[],"a":{"text":"old answer","status":"complete"}}]}"#;
    storage
        .set_item(&format!("{prefix}user-a:chat"), old)
        .unwrap();

    let page = Page::open_keeping_storage(&[], 200, SERVERS).await;
    assert_eq!(questions(&page), ["old question"]);
    page.click(r#"button[data-role="threads-toggle"]"#);
    wait_for("the list", || listed(&page).len() == 1).await;
    assert_eq!(listed(&page), ["old question*"]);
    assert_eq!(
        storage.get_item(&format!("{prefix}user-a:chat")).unwrap(),
        None
    );
    assert!(
        storage
            .get_item(&format!("{prefix}user-a:chat:t1"))
            .unwrap()
            .is_some()
    );
}
