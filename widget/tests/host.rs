//! What the host page sees: launcher mode, the methods `open()`, `close()`, `send(text)`,
//! `clear()`, the `pomerium-chat:*` events, theme, locale, right-to-left, keys and scrolling.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Function, Reflect};
use protocol::{ErrorCode, StreamEvent};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::wasm_bindgen_test;
use web_sys::{CustomEvent, HtmlElement};

use crate::support::{Page, document, done, next_turn, press, text, wait_for};

/// A document listener: the event type and the callback.
type DocumentListener = (String, Closure<dyn Fn(web_sys::Event)>);

/// Collects the `pomerium-chat:*` events the host receives, as `name detail-json`.
pub(crate) struct Events {
    seen: Rc<RefCell<Vec<String>>>,
    listeners: Vec<DocumentListener>,
}

impl Events {
    pub(crate) fn listen() -> Events {
        let seen = Rc::new(RefCell::new(Vec::new()));
        let mut listeners = Vec::new();
        for name in [
            "message",
            "error",
            "open",
            "close",
            "edit",
            "regenerate",
            "copy",
        ] {
            let kind = format!("pomerium-chat:{name}");
            let seen = Rc::clone(&seen);
            let callback = Closure::<dyn Fn(web_sys::Event)>::new(move |event: web_sys::Event| {
                let detail = event
                    .dyn_ref::<CustomEvent>()
                    .map(|e| {
                        js_sys::JSON::stringify(&e.detail())
                            .unwrap()
                            .as_string()
                            .unwrap()
                    })
                    .unwrap_or_default();
                seen.borrow_mut().push(format!("{name} {detail}"));
            });
            // Listening on the document proves the events bubble out of the element.
            document()
                .add_event_listener_with_callback(&kind, callback.as_ref().unchecked_ref())
                .unwrap();
            listeners.push((kind, callback));
        }
        Events { seen, listeners }
    }

    pub(crate) fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.seen.borrow_mut())
    }
}

impl Drop for Events {
    fn drop(&mut self) {
        for (kind, callback) in &self.listeners {
            let _ = document()
                .remove_event_listener_with_callback(kind, callback.as_ref().unchecked_ref());
        }
    }
}

/// Calls the element's method `name` with `args`.
pub(crate) fn call(page: &Page, name: &str, args: &[&str]) -> JsValue {
    let method: Function = Reflect::get(&page.host, &name.into())
        .unwrap()
        .unchecked_into();
    let args: js_sys::Array = args.iter().map(|a| JsValue::from_str(a)).collect();
    method.apply(&page.host, &args).unwrap()
}

#[wasm_bindgen_test]
async fn launcher_mode_opens_and_closes_a_panel() {
    let page = Page::open(&[("mode", "launcher")], 200, crate::support::SERVERS).await;
    let events = Events::listen();
    let panel = page.get(r#"[data-role="panel"]"#);
    let launcher = page.get(r#"button[data-role="launcher"]"#);
    assert!(panel.has_attribute("hidden"), "closed at first");
    assert!(!launcher.has_attribute("hidden"));
    assert_eq!(
        launcher.get_attribute("aria-expanded").as_deref(),
        Some("false")
    );
    assert!(launcher.get_attribute("aria-label").is_some());

    page.click(r#"button[data-role="launcher"]"#);
    wait_for("the panel to open", || !panel.has_attribute("hidden")).await;
    assert_eq!(
        launcher.get_attribute("aria-expanded").as_deref(),
        Some("true")
    );
    assert_eq!(panel.get_attribute("role").as_deref(), Some("dialog"));
    let active = page.shadow().active_element().expect("focus in the widget");
    assert_eq!(active.get_attribute("data-role").as_deref(), Some("input"));
    assert_eq!(events.take(), vec!["open {}"]);

    // Escape closes it and gives the focus back to the bubble.
    press(&page.input(), "Escape");
    wait_for("the panel to close", || panel.has_attribute("hidden")).await;
    let active = page.shadow().active_element().expect("focus in the widget");
    assert_eq!(
        active.get_attribute("data-role").as_deref(),
        Some("launcher")
    );
    assert_eq!(events.take(), vec!["close {}"]);

    // The methods do the same; a redundant call fires nothing.
    call(&page, "open", &[]);
    call(&page, "open", &[]);
    assert!(!panel.has_attribute("hidden"));
    call(&page, "close", &[]);
    assert!(panel.has_attribute("hidden"));
    assert_eq!(events.take(), vec!["open {}", "close {}"]);
    page.click(r#"button[data-role="launcher"]"#);
    page.click(r#"button[data-role="close"]"#);
    assert!(panel.has_attribute("hidden"));
}

#[wasm_bindgen_test]
async fn inline_mode_has_no_launcher() {
    let page = Page::with_servers().await;
    assert!(
        page.get(r#"button[data-role="launcher"]"#)
            .has_attribute("hidden")
    );
    assert!(
        page.get(r#"button[data-role="close"]"#)
            .has_attribute("hidden")
    );
    assert!(!page.get(r#"[data-role="panel"]"#).has_attribute("hidden"));
}

#[wasm_bindgen_test]
async fn send_and_clear_drive_the_chat_and_events_report_it() {
    let page = Page::open(&[("mode", "launcher")], 200, crate::support::SERVERS).await;
    let events = Events::listen();
    let stream = page.fetch.respond_stream("/api/chat");
    assert_eq!(
        call(&page, "send", &["  "]),
        JsValue::FALSE,
        "nothing to send"
    );
    assert_eq!(call(&page, "send", &["Hello from the page"]), JsValue::TRUE);
    wait_for("the chat request", || {
        page.fetch.requests_to("/api/chat").len() == 1
    })
    .await;
    assert!(
        !page.get(r#"[data-role="panel"]"#).has_attribute("hidden"),
        "send opens the panel"
    );
    assert_eq!(
        call(&page, "send", &["busy"]),
        JsValue::FALSE,
        "one answer at a time"
    );
    stream.push_events(&[
        StreamEvent::Started {
            request_id: "req_9".into(),
        },
        text("Hi *there*"),
        done(),
    ]);
    page.wait_for_complete("true").await;
    assert_eq!(
        events.take(),
        vec![
            "open {}".to_owned(),
            r#"message {"role":"user","content":"Hello from the page"}"#.to_owned(),
            r#"message {"role":"assistant","content":"Hi *there*","status":"complete","requestId":"req_9","usage":null}"#.to_owned(),
        ]
    );

    let stream = page.fetch.respond_stream("/api/chat");
    call(&page, "send", &["again"]);
    wait_for("the chat request", || {
        page.fetch.requests_to("/api/chat").len() == 2
    })
    .await;
    stream.push_events(&[StreamEvent::error(
        ErrorCode::ProviderRateLimited,
        "slow down",
        true,
    )]);
    page.wait_for_complete("error").await;
    let seen = events.take();
    assert_eq!(
        seen.last().map(String::as_str),
        Some(
            r#"error {"code":"provider_rate_limited","message":"slow down","retryable":true,"requestId":null}"#
        )
    );

    call(&page, "clear", &[]);
    wait_for("an empty log", || {
        page.find(r#"[data-role="message"]"#).is_none()
    })
    .await;
}

#[wasm_bindgen_test]
async fn escape_stops_the_answer() {
    let page = Page::with_servers().await;
    let stream = page.fetch.respond_stream("/api/chat");
    page.ask("long").await;
    stream.push_events(&[text("Once")]);
    page.wait_for_text("Once").await;
    press(&page.input(), "Escape");
    page.wait_for_complete("stopped").await;
    wait_for("the abort", || stream.was_aborted()).await;
    assert!(
        page.text(r#"[data-author="assistant"] .note"#)
            .unwrap()
            .contains("Stopped")
    );
}

#[wasm_bindgen_test]
async fn locale_translates_every_string() {
    let page = Page::open(&[("locale", "de-DE")], 401, "").await;
    assert_eq!(page.text("h2").as_deref(), Some("Pomerium Chat"));
    assert_eq!(
        page.text(r#"button[data-role="send"]"#).as_deref(),
        Some("Senden")
    );
    assert_eq!(
        page.input().get_attribute("placeholder").as_deref(),
        Some("Stellen Sie eine Frage…")
    );
    assert_eq!(
        page.text(r#"a[data-role="sign-in"]"#).as_deref(),
        Some("Anmelden")
    );
    let error = page.text(r#"[data-role="error"]"#).unwrap();
    assert!(error.contains("Melden Sie sich an"), "{error}");
    assert_eq!(
        page.get(r#"[data-role="panel"]"#)
            .get_attribute("lang")
            .as_deref(),
        Some("de")
    );
    page.host.set_attribute("locale", "en").unwrap();
    wait_for("English", || {
        page.text(r#"button[data-role="send"]"#).as_deref() == Some("Send")
    })
    .await;
}

#[wasm_bindgen_test]
async fn right_to_left_mirrors_the_layout() {
    let page = Page::open(&[("dir", "rtl")], 200, crate::support::SERVERS).await;
    let stream = page.fetch.respond_stream("/api/chat");
    page.ask("שלום").await;
    stream.push_events(&[text("Hi"), done()]);
    page.wait_for_complete("true").await;
    let log = page.get(r#"[data-role="log"]"#).get_bounding_client_rect();
    let user = page
        .get(r#"[data-author="user"]"#)
        .get_bounding_client_rect();
    assert!(
        user.left() - log.left() < log.right() - user.right(),
        "the user's message sits on the left in RTL"
    );
    let style = web_sys::window()
        .unwrap()
        .get_computed_style(&page.get(r#"[data-role="log"]"#))
        .unwrap()
        .unwrap();
    assert_eq!(style.get_property_value("direction").unwrap(), "rtl");
}

#[wasm_bindgen_test]
async fn theme_attribute_forces_a_scheme() {
    let page = Page::open(&[("theme", "dark")], 200, crate::support::SERVERS).await;
    let panel = page.get(r#"[data-role="panel"]"#);
    let background = |panel: &web_sys::Element| {
        web_sys::window()
            .unwrap()
            .get_computed_style(panel)
            .unwrap()
            .unwrap()
            .get_property_value("background-color")
            .unwrap()
    };
    assert_eq!(background(&panel), "rgb(30, 30, 36)");
    page.host.set_attribute("theme", "light").unwrap();
    next_turn().await;
    assert_eq!(background(&panel), "rgb(255, 255, 255)");
    // Host pages theme it with custom properties.
    page.host
        .unchecked_ref::<HtmlElement>()
        .style()
        .set_property("--pomerium-chat-background", "rgb(1, 2, 3)")
        .unwrap();
    next_turn().await;
    assert_eq!(background(&panel), "rgb(1, 2, 3)");
}

#[wasm_bindgen_test]
async fn jump_to_latest_appears_when_the_reader_scrolls_up() {
    let page = Page::with_servers().await;
    page.host
        .unchecked_ref::<HtmlElement>()
        .style()
        .set_property("height", "360px")
        .unwrap();
    let stream = page.fetch.respond_stream("/api/chat");
    page.ask("long").await;
    let many_lines = "line\n\n".repeat(60);
    stream.push_events(&[text(&many_lines)]);
    page.wait_for_element(r#"[data-role="text"] p"#).await;
    let log = page.get(r#"[data-role="log"]"#);
    wait_for("following the stream", || {
        log.scroll_top() + log.client_height() >= log.scroll_height() - 2
    })
    .await;
    let jump = page.get(r#"button[data-role="jump"]"#);
    assert!(jump.has_attribute("hidden"));

    log.set_scroll_top(0);
    crate::support::fire(&log, "scroll");
    wait_for("the jump button", || !jump.has_attribute("hidden")).await;
    stream.push_events(&[text("more\n\nand more")]);
    page.wait_for_text(&format!("{}moreand more", "line".repeat(60)))
        .await;
    assert_eq!(log.scroll_top(), 0, "the reader's position is kept");

    page.click(r#"button[data-role="jump"]"#);
    wait_for("the end of the log", || {
        log.scroll_top() + log.client_height() >= log.scroll_height() - 2
    })
    .await;
    wait_for("the button to go", || jump.has_attribute("hidden")).await;
    stream.push_events(&[done()]);
}

#[wasm_bindgen_test]
async fn the_composer_is_at_least_16px_and_every_control_is_labelled() {
    let page = Page::with_servers().await;
    let style = web_sys::window()
        .unwrap()
        .get_computed_style(&page.input())
        .unwrap()
        .unwrap();
    assert_eq!(style.get_property_value("font-size").unwrap(), "16px");
    for button in page.all("button:not([hidden])") {
        let named = button.get_attribute("aria-label").is_some()
            || !button.text_content().unwrap_or_default().trim().is_empty();
        assert!(named, "an unnamed button: {}", button.outer_html());
    }
}

#[wasm_bindgen_test]
async fn the_panel_follows_the_visual_viewport() {
    let page = Page::open(&[("mode", "launcher")], 200, crate::support::SERVERS).await;
    let window = web_sys::window().unwrap();
    let viewport = window.visual_viewport().expect("visualViewport");
    let style = page.host.unchecked_ref::<HtmlElement>().style();
    let property = |name: &str| style.get_property_value(name).unwrap();
    // Read after the first frame (not during the start, where it would force a layout).
    crate::support::wait_for("the viewport's size on the host", || {
        !property("--pomerium-chat-viewport").is_empty()
    })
    .await;
    assert_eq!(
        property("--pomerium-chat-viewport"),
        format!("{}px", viewport.height() as i32)
    );
    assert_eq!(
        property("--pomerium-chat-viewport-top"),
        format!("{}px", viewport.offset_top() as i32)
    );
}
