//! The log shows the newest exchanges only; "Show earlier" brings the rest back (issue 15: a
//! long conversation costs the page no more elements than a short one).

use wasm_bindgen_test::wasm_bindgen_test;

use crate::support::{Page, SERVERS, clear_storage, done, text, wait_for};

/// The questions the log shows, in order.
fn questions(page: &Page) -> Vec<String> {
    page.all(r#"[data-author="user"]"#)
        .iter()
        .filter_map(|e| e.text_content())
        .collect()
}

async fn ask_and_answer(page: &Page, n: usize) {
    for i in 0..n {
        let stream = page.fetch.respond_stream("/api/chat");
        page.ask(&format!("question {i}")).await;
        stream.push_events(&[text(&format!("answer {i}")), done()]);
        page.wait_for_complete("true").await;
    }
}

#[wasm_bindgen_test]
async fn only_the_newest_exchanges_are_in_the_dom_until_earlier_ones_are_asked_for() {
    let page = Page::with_servers().await;
    ask_and_answer(&page, 6).await;
    assert_eq!(
        questions(&page),
        vec!["question 2", "question 3", "question 4", "question 5"]
    );
    assert_eq!(page.all(r#"[data-author="assistant"]"#).len(), 4);
    let log = page.get(r#"[data-role="log"]"#);
    assert_eq!(log.get_attribute("data-count").as_deref(), Some("6"));
    let earlier = page.get(r#"button[data-role="earlier"]"#);
    assert!(!earlier.has_attribute("hidden"));
    let label = earlier.text_content().unwrap_or_default();
    assert!(label.contains("2 more"), "{label}");

    page.click(r#"button[data-role="earlier"]"#);
    wait_for("the earlier exchanges", || questions(&page).len() == 6).await;
    assert_eq!(questions(&page)[0], "question 0");
    assert!(
        page.get(r#"button[data-role="earlier"]"#)
            .has_attribute("hidden")
    );
    let focused = page.shadow().active_element();
    assert_eq!(
        focused
            .and_then(|e| e.get_attribute("data-role"))
            .as_deref(),
        Some("log"),
        "the focus moved to the log, not lost with the button"
    );
    // Edit and the other actions still name the exchange by its place in the whole chat.
    let edit = page.all(r#"button[data-role="edit"]"#);
    assert_eq!(edit[0].get_attribute("data-index").as_deref(), Some("0"));
    assert_eq!(edit[5].get_attribute("data-index").as_deref(), Some("5"));

    // A new question shows the newest exchanges only again.
    ask_and_answer(&page, 1).await;
    assert_eq!(questions(&page).len(), 4);
    assert_eq!(questions(&page)[3], "question 0");
    drop(page);

    // A restored conversation too.
    let page = Page::open_keeping_storage(&[], 200, SERVERS).await;
    wait_for("the restored conversation", || questions(&page).len() == 4).await;
    let log = page.get(r#"[data-role="log"]"#);
    assert_eq!(log.get_attribute("data-count").as_deref(), Some("7"));
    drop(page);
    clear_storage();
}
