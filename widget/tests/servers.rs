//! The server list: checkboxes, `data-ready`, sign-in on 401, errors and reloading.

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::wasm_bindgen_test;
use web_sys::{Event, HtmlInputElement};

use crate::support::{Page, SERVERS, wait_for, wait_for_within};

#[wasm_bindgen_test]
async fn servers_become_checkboxes_and_the_host_gets_ready() {
    let page = Page::open(&[], 200, SERVERS).await;

    let labels = page.all(r#"label[data-role="server"]"#);
    assert_eq!(labels.len(), 2);
    assert_eq!(
        labels[0].get_attribute("title").as_deref(),
        Some("Orders, customers and products")
    );
    assert_eq!(labels[1].get_attribute("title"), None);
    assert!(labels[0].text_content().unwrap().contains("Northwind"));
    let northwind: HtmlInputElement = labels[0]
        .query_selector(r#"input[type="checkbox"][data-server-id="northwind"]"#)
        .unwrap()
        .expect("the northwind checkbox sits in its label")
        .unchecked_into();
    assert!(!northwind.checked(), "no server is ticked by default");
    assert!(
        page.find(r#"input[type="checkbox"][data-server-id="wiki"]"#)
            .is_some()
    );

    let requests = page.fetch.requests_to("/api/servers");
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request["method"], "GET");
    assert_eq!(request["path"], "/api/servers");
    assert_eq!(request["credentials"], "include");
    assert_eq!(request["headers"]["accept"], "application/json");
    assert_eq!(
        page.host.get_attribute("data-ready").as_deref(),
        Some("true")
    );
}

#[wasm_bindgen_test]
async fn endpoint_and_title_attributes_are_used() {
    let page = Page::open(
        &[
            ("endpoint", "https://chat.example/"),
            ("title", "Ask Acme"),
            ("placeholder", "Your question"),
        ],
        200,
        r#"{"servers":[]}"#,
    )
    .await;
    assert_eq!(
        page.fetch.requests_to("/api/servers")[0]["url"],
        "https://chat.example/api/servers?redirect_url=https%3A%2F%2Fchat.example%2F"
    );
    assert_eq!(page.text("h2").as_deref(), Some("Ask Acme"));
    assert_eq!(
        page.input().get_attribute("placeholder").as_deref(),
        Some("Your question")
    );
    assert!(
        page.text(".servers")
            .unwrap()
            .contains("No data sources available")
    );

    page.host.set_attribute("title", "Ask Beta").unwrap();
    wait_for("the new title", || {
        page.text("h2").as_deref() == Some("Ask Beta")
    })
    .await;
}

#[wasm_bindgen_test]
async fn default_title_and_placeholder() {
    let page = Page::open(&[], 200, SERVERS).await;
    assert_eq!(page.text("h2").as_deref(), Some("Pomerium Chat"));
    assert!(page.input().get_attribute("placeholder").is_some());
}

#[wasm_bindgen_test]
async fn unauthorized_asks_to_sign_in_and_reloads_on_focus() {
    let page = Page::open(&[], 401, "<html>Sign in with your IdP</html>").await;

    let error = page.get(r#"[data-role="error"][data-code="unauthorized"]"#);
    let shown = error.text_content().unwrap();
    assert!(shown.contains("Sign in to continue"), "{shown}");
    let link = page.get(r#"[data-role="error"] a[data-role="sign-in"]"#);
    let origin = web_sys::window().unwrap().location().origin().unwrap();
    assert_eq!(
        link.get_attribute("href"),
        Some(format!("{origin}/signed-in.html"))
    );
    assert_eq!(link.get_attribute("target").as_deref(), Some("_blank"));
    assert_eq!(
        link.get_attribute("rel").as_deref(),
        Some("noopener noreferrer")
    );

    // Back from signing in in the other window: the list loads.
    page.fetch.respond_json("/api/servers", 200, SERVERS);
    web_sys::window()
        .unwrap()
        .dispatch_event(&Event::new("focus").unwrap())
        .unwrap();
    wait_for("the server checkboxes", || {
        page.all(r#"label[data-role="server"]"#).len() == 2
    })
    .await;
    assert!(page.find(r#"[data-role="error"]"#).is_none());
}

#[wasm_bindgen_test]
async fn sign_in_link_points_at_the_endpoints_signed_in_page() {
    let page = Page::open(&[("endpoint", "https://chat.example")], 401, "").await;
    let link = page.get(r#"a[data-role="sign-in"]"#);
    assert_eq!(
        link.get_attribute("href").as_deref(),
        Some("https://chat.example/signed-in.html")
    );
}

#[wasm_bindgen_test]
async fn other_errors_show_message_and_code_and_can_be_retried() {
    let body = r#"{"error":{"code":"pomerium_unavailable","message":"Pomerium did not answer","retryable":true}}"#;
    let page = Page::open(&[], 502, body).await;

    let error = page.get(r#"[data-role="error"][data-code="pomerium_unavailable"]"#);
    let shown = error.text_content().unwrap();
    assert!(shown.contains("Pomerium did not answer"), "{shown}");
    assert!(shown.contains("pomerium_unavailable"), "{shown}");
    assert!(page.find(r#"a[data-role="sign-in"]"#).is_none());

    page.fetch.respond_json("/api/servers", 200, SERVERS);
    page.click(r#"[data-role="error"] button[data-role="retry"]"#);
    wait_for("the server checkboxes", || {
        page.all(r#"label[data-role="server"]"#).len() == 2
    })
    .await;
}

#[wasm_bindgen_test]
async fn an_unreadable_list_is_an_error_not_a_hang() {
    let page = Page::open(&[], 200, "not json").await;
    let error = page.get(r#"[data-role="error"][data-code="unknown"]"#);
    assert!(
        error
            .text_content()
            .unwrap()
            .contains("Something went wrong")
    );
}

#[wasm_bindgen(inline_js = r#"
export function stubWindowOpen() {
  const opened = [];
  const original = window.open;
  window.open = (url, name, features) => { opened.push([url, name, features]); return {}; };
  return { opened: () => JSON.stringify(opened), restore: () => { window.open = original; } };
}
"#)]
extern "C" {
    type OpenStub;
    #[wasm_bindgen(js_name = stubWindowOpen)]
    fn stub_window_open() -> OpenStub;
    #[wasm_bindgen(method)]
    fn opened(this: &OpenStub) -> String;
    #[wasm_bindgen(method)]
    fn restore(this: &OpenStub);
}

#[wasm_bindgen_test]
async fn signing_in_in_a_popup_retries_the_refused_question() {
    let page = Page::open(&[], 200, SERVERS).await;
    page.fetch
        .respond_json("/api/chat", 401, "<html>sign in</html>");
    page.ask("What changed?").await;
    page.wait_for_complete("error").await;

    let stub = stub_window_open();
    page.fetch.respond_json("/api/servers", 401, "");
    page.fetch.respond_json("/api/servers", 200, SERVERS);
    let stream = page.fetch.respond_stream("/api/chat");
    page.click(r#"a[data-role="sign-in"]"#);
    let origin = web_sys::window().unwrap().location().origin().unwrap();
    assert_eq!(
        stub.opened(),
        format!(
            r#"[["{origin}/signed-in.html","pomerium-chat-sign-in","popup,width=520,height=680"]]"#
        )
    );
    // The widget checks until the session exists, then asks again by itself.
    wait_for_within("the retried question", 8_000.0, || {
        page.fetch.requests_to("/api/chat").len() == 2
    })
    .await;
    stub.restore();
    let bodies: Vec<_> = page
        .fetch
        .requests_to("/api/chat")
        .iter()
        .map(|r| r["body"].clone())
        .collect();
    assert_eq!(bodies[0], bodies[1]);
    assert!(page.fetch.requests_to("/api/servers").len() >= 3);
    stream.push_events(&[crate::support::text("Signed in."), crate::support::done()]);
    page.wait_for_complete("true").await;
    assert!(page.find(r#"[data-role="error"]"#).is_none());
}

/// Pomerium 0.33's check of a Connect `redirect_url` (`isValidRedirectURL` in
/// `internal/mcp/handler_connect.go`): https, a host, and that host is the connect request's own
/// (the MCP server's) or the host of an MCP client route. Anything else gets 400.
fn pomerium_accepts(redirect: &str, server_host: &str, client_hosts: &[&str]) -> bool {
    let Some(rest) = redirect.strip_prefix("https://") else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = authority.rsplit('@').next().unwrap_or_default();
    let hostname = host.split(':').next().unwrap_or_default();
    !hostname.is_empty() && (hostname == server_host || client_hosts.contains(&hostname))
}

/// The `redirect_url` the widget sent with its server list request.
fn sent_redirect_url(page: &Page) -> Option<String> {
    let requests = page.fetch.requests_to("/api/servers");
    let url = requests.first()?["url"].as_str()?.to_owned();
    let encoded = url
        .split("redirect_url=")
        .nth(1)?
        .split('&')
        .next()?
        .to_owned();
    js_sys::decode_uri_component(&encoded)
        .ok()
        .map(String::from)
}

#[wasm_bindgen_test]
async fn connect_returns_through_the_chat_origin_which_pomerium_accepts() {
    // The chat's route (chat.example.com) is Pomerium's MCP client route; the page embedding the
    // widget is elsewhere (here the test runner's http origin, in production intranet.…).
    let page = Page::open(
        &[("endpoint", "https://chat.example.com/")],
        200,
        r#"{"servers":[]}"#,
    )
    .await;
    let redirect = sent_redirect_url(&page).expect("a redirect_url for Connect");
    assert_eq!(redirect, "https://chat.example.com/");
    assert!(pomerium_accepts(
        &redirect,
        "northwind.example.com",
        &["chat.example.com"]
    ));
    // What the widget sent before: the embedding page, which Pomerium refuses.
    assert!(!pomerium_accepts(
        "https://intranet.example.com/page",
        "northwind.example.com",
        &["chat.example.com"]
    ));

    drop(page);
    // An http chat origin (a local demo) has no Connect: Pomerium accepts only https.
    let local = Page::open(
        &[("endpoint", "http://127.0.0.1:3000")],
        200,
        r#"{"servers":[]}"#,
    )
    .await;
    assert_eq!(sent_redirect_url(&local), None);
}
