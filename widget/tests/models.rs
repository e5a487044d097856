//! The model picker (`GET /api/models`) and server connections (Connect, Disconnect, refresh),
//! including edges that do not offer those routes yet.

use serde_json::{Value, json};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::wasm_bindgen_test;
use web_sys::{Event, EventInit, HtmlSelectElement};

use crate::support::{Page, SERVERS, wait_for};

const MODELS: &str = r#"{"models":["gpt-small","gpt-large"],"default":"gpt-small"}"#;

fn chat_body(page: &Page, index: usize) -> Value {
    let request = &page.fetch.requests_to("/api/chat")[index];
    serde_json::from_str(request["body"].as_str().unwrap()).unwrap()
}

async fn open_with_models(keep_storage: bool) -> Page {
    if !keep_storage {
        crate::support::clear_storage();
    }
    // The models answer must be queued before the element asks for it.
    let page = Page::open_keeping_storage_with(&[], SERVERS, &[("/api/models", 200, MODELS)]).await;
    wait_for("the model picker", || {
        page.find(r#"select[data-role="model"]:not([hidden])"#)
            .is_some()
    })
    .await;
    page
}

#[wasm_bindgen_test]
async fn without_a_model_list_there_is_no_picker_and_no_model_is_named() {
    let page = Page::with_servers().await;
    wait_for("the models request", || {
        !page.fetch.requests_to("/api/models").is_empty()
    })
    .await;
    crate::support::next_turn().await;
    assert!(
        page.get(r#"select[data-role="model"]"#)
            .has_attribute("hidden")
    );
    page.fetch.respond_stream("/api/chat");
    page.ask("hi").await;
    assert_eq!(chat_body(&page, 0).get("model"), None);
}

#[wasm_bindgen_test]
async fn the_chosen_model_is_sent_and_remembered() {
    let page = open_with_models(false).await;
    let select: HtmlSelectElement = page.get(r#"select[data-role="model"]"#).unchecked_into();
    assert_eq!(select.value(), "gpt-small", "the default is preselected");
    assert_eq!(select.length(), 2);
    select.set_value("gpt-large");
    let init = EventInit::new();
    init.set_bubbles(true);
    select
        .dispatch_event(&Event::new_with_event_init_dict("change", &init).unwrap())
        .unwrap();
    page.fetch.respond_stream("/api/chat");
    page.ask("hi").await;
    assert_eq!(chat_body(&page, 0)["model"], "gpt-large");
    drop(page);

    let page = open_with_models(true).await;
    let select: HtmlSelectElement = page.get(r#"select[data-role="model"]"#).unchecked_into();
    assert_eq!(select.value(), "gpt-large", "remembered across page loads");
    drop(page);
    crate::support::clear_storage();
}

const OAUTH_SERVERS: &str = r#"{"servers":[
  {"id":"github","name":"GitHub","url":"https://gh.example/mcp","logo_url":"https://gh.example/logo.png","connected":false,"needs_oauth":true,"connect_url":"https://gh.example/.pomerium/mcp/connect?redirect_url=x"},
  {"id":"notion","name":"Notion","url":"https://notion.example/mcp","connected":true,"needs_oauth":true},
  {"id":"evil","name":"Evil","url":"https://e.example/mcp","logo_url":"javascript:alert(1)","connected":false,"needs_oauth":true,"connect_url":"javascript:alert(1)"}
]}"#;

#[wasm_bindgen_test]
async fn servers_show_logo_status_connect_and_disconnect() {
    let page = Page::open(&[], 200, OAUTH_SERVERS).await;
    let connect = page.get(r#"a[data-role="connect"][data-server-id="github"]"#);
    assert_eq!(
        connect.get_attribute("href").as_deref(),
        Some("https://gh.example/.pomerium/mcp/connect?redirect_url=x")
    );
    assert_eq!(
        connect.get_attribute("rel").as_deref(),
        Some("noopener noreferrer")
    );
    let logo = page.get(r#"label[data-role="server"] img.logo"#);
    assert_eq!(
        logo.get_attribute("src").as_deref(),
        Some("https://gh.example/logo.png")
    );
    assert!(
        page.text(r#"label[data-role="server"]"#)
            .unwrap()
            .contains("not connected")
    );
    assert!(
        page.find(r#"[data-role="connect"][data-server-id="notion"]"#)
            .is_none()
    );
    assert!(
        page.find(r#"[data-role="connect"][data-server-id="evil"]"#)
            .is_none(),
        "no javascript: link"
    );
    assert_eq!(page.all("img").len(), 1, "no javascript: logo");

    page.fetch.respond_json(
        "/api/servers/disconnect",
        200,
        &OAUTH_SERVERS.replace(r#""connected":true"#, r#""connected":false"#),
    );
    page.click(r#"button[data-role="disconnect"][data-server-id="notion"]"#);
    wait_for("the new list", || {
        page.find(r#"button[data-role="disconnect"]"#).is_none()
    })
    .await;
    let request = &page.fetch.requests_to("/api/servers/disconnect")[0];
    assert_eq!(request["method"], "POST");
    assert_eq!(request["credentials"], "include");
    assert_eq!(
        serde_json::from_str::<Value>(request["body"].as_str().unwrap()).unwrap(),
        json!({"servers": ["notion"]})
    );
}

#[wasm_bindgen_test]
async fn an_edge_without_disconnect_hides_the_button() {
    let page = Page::open(&[], 200, OAUTH_SERVERS).await;
    // Nothing queued: the fake answers 404 like an edge without the route.
    page.click(r#"button[data-role="disconnect"][data-server-id="notion"]"#);
    wait_for("the button to go", || {
        page.find(r#"button[data-role="disconnect"]"#).is_none()
    })
    .await;
    assert!(
        page.find(r#"[data-role="error"]"#).is_none(),
        "no error for a missing feature"
    );
    assert_eq!(
        page.all(r#"label[data-role="server"]"#).len(),
        3,
        "the list stays"
    );
}

#[wasm_bindgen_test]
async fn refresh_reloads_the_list_and_keeps_the_selection() {
    let page = Page::open(&[], 200, SERVERS).await;
    page.click(r#"input[data-server-id="wiki"]"#);
    page.fetch.respond_json("/api/servers", 200, SERVERS);
    page.click(r#"button[data-role="refresh"]"#);
    wait_for("the second load", || {
        page.fetch.requests_to("/api/servers").len() == 2
    })
    .await;
    wait_for("the list", || {
        page.find(r#"input[data-server-id="wiki"]"#).is_some()
    })
    .await;
    let wiki: web_sys::HtmlInputElement =
        page.get(r#"input[data-server-id="wiki"]"#).unchecked_into();
    assert!(wiki.checked());
}

#[wasm_bindgen(inline_js = r#"
export function stubOpen() {
  const original = window.open;
  const opened = [];
  window.open = (url) => { opened.push(url); return {}; };
  return () => { window.open = original; return opened.join(" "); };
}
"#)]
extern "C" {
    #[wasm_bindgen(js_name = stubOpen)]
    fn stub_open() -> js_sys::Function;
}

#[wasm_bindgen_test]
async fn connect_opens_a_popup_and_the_list_reloads_on_return() {
    let page = Page::open(&[], 200, OAUTH_SERVERS).await;
    let restore = stub_open();
    page.click(r#"a[data-role="connect"][data-server-id="github"]"#);
    let opened = restore.call0(&JsValue::NULL).unwrap().as_string().unwrap();
    assert_eq!(
        opened,
        "https://gh.example/.pomerium/mcp/connect?redirect_url=x"
    );
    page.fetch.respond_json(
        "/api/servers",
        200,
        &OAUTH_SERVERS.replace(
            r#""connected":false,"needs_oauth":true,"connect_url""#,
            r#""connected":true,"needs_oauth":true,"connect_url""#,
        ),
    );
    // Back from the popup: the page gets the focus, the list shows the new connection.
    web_sys::window()
        .unwrap()
        .dispatch_event(&Event::new("focus").unwrap())
        .unwrap();
    wait_for("the reloaded list", || {
        page.find(r#"button[data-role="disconnect"][data-server-id="github"]"#)
            .is_some()
    })
    .await;
    assert!(
        page.find(r#"a[data-role="connect"][data-server-id="github"]"#)
            .is_none()
    );
}
