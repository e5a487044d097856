//! Server prompts as `/` commands: the menu opens on `/`, lists the selected servers' prompts,
//! filters as the user types, moves with the arrows; Enter picks; a prompt's arguments are asked
//! in a form, and the fetched text lands in the composer (not sent); Escape closes the menu.

use wasm_bindgen::JsCast;
use wasm_bindgen_test::wasm_bindgen_test;
use web_sys::HtmlInputElement;

use crate::support::{self, Page, wait_for};

const PROMPTS: &str = r#"{"prompts":[
  {"server":"northwind","name":"top_customers","title":"Top customers","arguments":[{"name":"country","title":"Country"}]},
  {"server":"northwind","name":"sales_review","title":"Sales review","arguments":[{"name":"year","title":"Year","description":"1996, 1997 or 1998","required":true}]}]}"#;

fn press(page: &Page, key: &str) {
    support::press(&page.input(), key);
}

fn options(page: &Page) -> Vec<String> {
    page.all(r#"[data-role="prompt-menu"] [role="option"]"#)
        .iter()
        .filter_map(|o| o.text_content())
        .collect()
}

#[wasm_bindgen_test]
async fn a_slash_opens_the_prompt_menu_and_a_prompt_fills_the_composer() {
    let page = Page::with_servers().await;
    page.click(r#"input[data-server-id="northwind"]"#);
    page.fetch.respond_json("/api/prompts", 200, PROMPTS);
    page.type_draft("/");
    wait_for("the menu", || options(&page).len() == 2).await;
    let asked = page.fetch.requests_to("/api/prompts");
    assert!(
        asked[0]["url"]
            .as_str()
            .unwrap()
            .ends_with("/api/prompts?servers=northwind"),
        "{asked:?}"
    );
    let menu = page.get(r#"ul[role="listbox"]"#);
    assert_eq!(menu.id(), "prompt-menu");
    let input = page.input();
    assert_eq!(
        input.get_attribute("aria-controls").as_deref(),
        Some("prompt-menu")
    );
    assert_eq!(
        input.get_attribute("aria-activedescendant").as_deref(),
        Some("prompt-0")
    );
    press(&page, "ArrowDown");
    wait_for("the second option highlighted", || {
        page.find(r#"#prompt-1[aria-selected="true"]"#).is_some()
    })
    .await;
    assert_eq!(
        input.get_attribute("aria-activedescendant").as_deref(),
        Some("prompt-1")
    );

    page.type_draft("/sal");
    wait_for("the filtered menu", || options(&page).len() == 1).await;
    assert!(options(&page)[0].contains("/sales_review"));
    press(&page, "Enter");
    wait_for("the form", || {
        page.find(r#"form[data-role="prompt-form"]"#).is_some()
    })
    .await;
    assert!(page.find(r#"[data-role="prompt-menu"]"#).is_none());
    let field: HtmlInputElement = page.get(r#"input[data-arg="year"]"#).unchecked_into();
    assert!(field.required());
    wait_for("the focus in the form", || {
        page.shadow()
            .active_element()
            .is_some_and(|e| e.get_attribute("data-arg").as_deref() == Some("year"))
    })
    .await;
    field.set_value("1997");
    page.fetch.respond_json(
        "/api/prompts/get",
        200,
        r#"{"messages":[{"role":"user","text":"Review our sales of 1997."}]}"#,
    );
    page.click(r#"form[data-role="prompt-form"] button[type="submit"]"#);
    wait_for("the prompt's text in the composer", || {
        page.input().value() == "Review our sales of 1997."
    })
    .await;
    let sent = page.fetch.requests_to("/api/prompts/get");
    let body: serde_json::Value = serde_json::from_str(sent[0]["body"].as_str().unwrap()).unwrap();
    assert_eq!(
        body,
        serde_json::json!({"server":"northwind","name":"sales_review","arguments":{"year":"1997"}})
    );
    assert!(page.find(r#"form[data-role="prompt-form"]"#).is_none());
    assert!(
        page.fetch.requests_to("/api/chat").is_empty(),
        "inserted, not sent"
    );
}

#[wasm_bindgen_test]
async fn escape_closes_the_menu_and_other_text_is_sent_as_usual() {
    let page = Page::with_servers().await;
    page.click(r#"input[data-server-id="northwind"]"#);
    page.fetch.respond_json("/api/prompts", 200, PROMPTS);
    page.type_draft("/");
    wait_for("the menu", || options(&page).len() == 2).await;
    press(&page, "Escape");
    wait_for("the menu closed", || {
        page.find(r#"[role="listbox"]"#).is_none()
    })
    .await;
    assert!(!page.input().has_attribute("aria-activedescendant"));
    page.type_draft("/nothing-like-this");
    assert!(options(&page).is_empty());
    let stream = page.fetch.respond_stream("/api/chat");
    page.ask("/nothing-like-this").await;
    stream.close();
    assert_eq!(
        page.fetch.requests_to("/api/prompts").len(),
        1,
        "listed once"
    );
}
