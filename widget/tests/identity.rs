//! Storage per signed-in user (issue 11, item 8): the header names the user `GET /api/me`
//! names, with a Sign out link; what is stored belongs to that user and is gone when another
//! user signs in, on a 401, and on sign-out; nothing is stored while nobody is known.

use wasm_bindgen::JsCast;
use wasm_bindgen_test::wasm_bindgen_test;

use crate::support::{Page, SERVERS, clear_storage, done, next_turn, text, wait_for};

/// Another user.
const USER_B: &str =
    r#"{"subject":"user-b","email":"bob@example.com","name":null,"sign_out_url":null}"#;

/// Every key and value in `localStorage`, joined.
fn stored() -> String {
    let storage = web_sys::window().unwrap().local_storage().unwrap().unwrap();
    let mut all = String::new();
    for i in 0..storage.length().unwrap() {
        let key = storage.key(i).unwrap().unwrap();
        let value = storage.get_item(&key).unwrap().unwrap_or_default();
        all.push_str(&key);
        all.push('=');
        all.push_str(&value);
        all.push('\n');
    }
    all
}

/// Waits until the header says `want` about who is signed in.
async fn user_shown(page: &Page, want: &str) {
    wait_for(want, || {
        page.text(r#"[data-role="user-name"]"#).as_deref() == Some(want)
    })
    .await;
}

/// Opens the page, asks `question` and lets it be answered completely.
async fn conversation(page: &Page, question: &str) {
    let stream = page.fetch.respond_stream("/api/chat");
    page.ask(question).await;
    stream.push_events(&[text("An answer."), done()]);
    page.wait_for_complete("true").await;
    next_turn().await;
}

#[wasm_bindgen_test]
async fn the_header_names_the_user_with_a_sign_out_link() {
    let page = Page::with_servers().await;
    wait_for("the user", || {
        page.find(r#"[data-role="user"]:not([hidden])"#).is_some()
    })
    .await;
    assert_eq!(
        page.text(r#"[data-role="user-name"]"#).as_deref(),
        Some("Signed in as Ann")
    );
    let link = page.get(r#"a[data-role="sign-out"]"#);
    let origin = web_sys::window().unwrap().location().origin().unwrap();
    assert_eq!(
        link.get_attribute("href"),
        Some(format!("{origin}/.pomerium/sign_out")),
        "the path is on the edge's origin"
    );
    drop(page);

    // No name: the e-mail; no sign-out URL (local mode): no link.
    let page = Page::open_keeping_storage_with(&[], SERVERS, &[("/api/me", 200, USER_B)]).await;
    user_shown(&page, "Signed in as bob@example.com").await;
    assert!(
        page.find(r#"a[data-role="sign-out"]:not([hidden])"#)
            .is_none()
    );
    drop(page);

    // A sign-out URL that is not http(s) or a path is not linked.
    let hostile =
        r#"{"subject":"u","email":null,"name":"Eve","sign_out_url":"javascript:alert(1)"}"#;
    let page = Page::open_keeping_storage_with(&[], SERVERS, &[("/api/me", 200, hostile)]).await;
    user_shown(&page, "Signed in as Eve").await;
    assert!(page.find(r#"a[data-role="sign-out"][href]"#).is_none());
    drop(page);
    clear_storage();
}

#[wasm_bindgen_test]
async fn another_user_finds_nothing_of_the_first() {
    let page = Page::with_servers().await;
    conversation(&page, "Ann's secret question").await;
    page.type_draft("Ann's draft");
    next_turn().await;
    assert!(stored().contains("Ann's secret question"), "stored for Ann");
    drop(page);

    // Bob signs in on the same browser.
    let page = Page::open_keeping_storage_with(&[], SERVERS, &[("/api/me", 200, USER_B)]).await;
    page.fetch.respond_always("/api/me", 200, USER_B);
    assert!(
        page.find(r#"[data-role="message"]"#).is_none(),
        "Ann's conversation shown to Bob"
    );
    assert_eq!(page.input().value(), "", "Ann's draft shown to Bob");
    let all = stored();
    assert!(!all.contains("Ann's"), "Ann's data is still stored: {all}");
    conversation(&page, "Bob's question").await;
    assert!(stored().contains("Bob's question"));
    drop(page);
    clear_storage();
}

#[wasm_bindgen_test]
async fn a_user_switch_in_the_open_page_clears_what_is_shown() {
    let page = Page::with_servers().await;
    conversation(&page, "Ann's question").await;
    // Bob signs in elsewhere; the widget learns it when the list is refreshed.
    page.fetch.respond_always("/api/me", 200, USER_B);
    page.fetch.respond_json("/api/servers", 200, SERVERS);
    page.click(r#"button[data-role="refresh"]"#);
    user_shown(&page, "Signed in as bob@example.com").await;
    assert!(
        page.find(r#"[data-role="message"]"#).is_none(),
        "Ann's conversation still shown"
    );
    assert!(!stored().contains("Ann's"), "Ann's data is still stored");
    drop(page);
    clear_storage();
}

#[wasm_bindgen_test]
async fn a_401_forgets_what_is_stored_but_keeps_the_question() {
    let page = Page::with_servers().await;
    conversation(&page, "First question").await;
    assert!(stored().contains("First question"));
    page.fetch.respond_json(
        "/api/chat",
        401,
        r#"{"error":{"code":"unauthorized","message":"sign in","retryable":false}}"#,
    );
    page.ask("Second question").await;
    page.wait_for_complete("error").await;
    next_turn().await;
    let all = stored();
    assert!(!all.contains("question"), "still stored after a 401: {all}");
    assert!(
        page.find(r#"[data-role="user"][hidden]"#).is_some(),
        "nobody is signed in now"
    );
    assert_eq!(
        page.input().value(),
        "Second question",
        "the refused question is kept"
    );
    drop(page);
    clear_storage();
}

#[wasm_bindgen_test]
async fn sign_out_forgets_everything() {
    let page = Page::with_servers().await;
    conversation(&page, "Before sign-out").await;
    // The popup is blocked in the test page, so the link opens as a tab; keep it in place.
    page.get(r#"a[data-role="sign-out"]"#)
        .set_attribute("href", "about:blank")
        .unwrap();
    page.click(r#"a[data-role="sign-out"]"#);
    wait_for("an empty log", || {
        page.find(r#"[data-role="message"]"#).is_none()
    })
    .await;
    assert_eq!(stored(), "", "something stayed stored");
    assert!(page.find(r#"[data-role="user"][hidden]"#).is_some());
    assert!(
        page.find(r#"[data-role="sign-in"], a[data-action="sign-in"]"#)
            .is_some(),
        "sign-in offered"
    );
    drop(page);
    clear_storage();
}

#[wasm_bindgen_test]
async fn nothing_is_stored_while_nobody_is_known() {
    let page =
        Page::open_keeping_storage_with(&[], SERVERS, &[("/api/me", 503, "unavailable")]).await;
    page.fetch.respond_always("/api/me", 503, "unavailable");
    conversation(&page, "Anonymous question").await;
    assert_eq!(stored(), "");
    assert!(page.find(r#"[data-role="user"][hidden]"#).is_some());
    drop(page);
    clear_storage();
}

#[wasm_bindgen_test]
async fn an_element_replacing_another_starts_as_the_same_user() {
    let page = Page::with_servers().await;
    conversation(&page, "Asked before the re-render").await;
    // A framework re-renders the parent: a new element takes the old one's place in one step,
    // and shows the conversation before its own `/api/me` has answered.
    page.fetch.respond_json("/api/servers", 200, SERVERS);
    let replacement: web_sys::HtmlElement = crate::support::document()
        .create_element(widget::TAG_NAME)
        .unwrap()
        .unchecked_into();
    page.host.replace_with_with_node_1(&replacement).unwrap();
    let shadow = replacement.shadow_root().expect("the replacement mounted");
    let question = shadow
        .query_selector(r#"[data-author="user"]"#)
        .unwrap()
        .and_then(|e| e.text_content());
    assert_eq!(question.as_deref(), Some("Asked before the re-render"));
    let user = shadow
        .query_selector(r#"[data-role="user-name"]"#)
        .unwrap()
        .and_then(|e| e.text_content());
    assert_eq!(user.as_deref(), Some("Signed in as Ann"));
    replacement.remove();
    next_turn().await;
    drop(page);
    clear_storage();
}
