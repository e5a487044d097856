//! Test support: a scripted `fetch`, a mounted element, DOM queries and waiting on conditions.
//!
//! [`FakeFetch`] replaces `globalThis.fetch` until dropped. It records every request (method,
//! URL, headers, credentials, body) and answers from per-path queues: a JSON body with a status,
//! a network error, or a streamed body ([`StreamHandle`]) that the test feeds, closes or breaks,
//! and that errors like a real one when the request's signal aborts. A path with nothing queued
//! gets its standing answer when it has one (`/api/me` names [`USER_A`] unless a test says
//! otherwise), else 404 `not_found`, as from an edge without that route. [`Page::open`] starts
//! each test with empty `localStorage`, so saved conversations never leak between tests.

use js_sys::{Date, Promise};
use serde_json::Value;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Element, HtmlElement, HtmlTextAreaElement, ShadowRoot};

#[wasm_bindgen(inline_js = r#"
export class FakeFetch {
  constructor() {
    this.records = [];
    this.queues = new Map();
    this.standing = new Map();
    this.original = globalThis.fetch;
    globalThis.fetch = (input, init) => this.handle(input, init);
  }
  restore() { globalThis.fetch = this.original; }
  enqueue(path, respond) {
    if (!this.queues.has(path)) this.queues.set(path, []);
    this.queues.get(path).push(respond);
  }
  respondJson(path, status, body) {
    this.enqueue(path, () => new Response(body, { status, headers: { "content-type": "application/json" } }));
  }
  respondAlways(path, status, body) {
    this.standing.set(path, () => new Response(body, { status, headers: { "content-type": "application/json" } }));
  }
  respondNetworkError(path) {
    this.enqueue(path, () => { throw new TypeError("Failed to fetch"); });
  }
  respondStream(path, status) {
    const handle = new StreamHandle();
    this.enqueue(path, (signal) => handle.respond(status, signal));
    return handle;
  }
  requestsJson() { return JSON.stringify(this.records); }
  async handle(input, init) {
    const request = new Request(input, init);
    const url = new URL(request.url);
    this.records.push({
      method: request.method,
      url: request.url,
      path: url.pathname,
      credentials: request.credentials,
      headers: Object.fromEntries(request.headers),
      body: await request.text(),
    });
    const respond = (this.queues.get(url.pathname) || []).shift() || this.standing.get(url.pathname);
    if (!respond) {
      // Like an edge without the route.
      return new Response('{"error":{"code":"not_found","message":"no route","retryable":false}}',
        { status: 404, headers: { "content-type": "application/json" } });
    }
    if (request.signal.aborted) throw new DOMException("The user aborted a request.", "AbortError");
    return respond(request.signal);
  }
}
export class StreamHandle {
  constructor() { this.controller = null; this.pending = []; this.aborted = false; }
  respond(status, signal) {
    const body = new ReadableStream({
      start: (controller) => {
        this.controller = controller;
        for (const chunk of this.pending) controller.enqueue(chunk);
        this.pending = [];
      },
    });
    signal.addEventListener("abort", () => {
      this.aborted = true;
      try { this.controller.error(new DOMException("The user aborted a request.", "AbortError")); } catch (_) {}
    });
    return new Response(body, { status, headers: { "content-type": "text/event-stream" } });
  }
  pushBytes(bytes) {
    const copy = new Uint8Array(bytes);
    if (this.controller) this.controller.enqueue(copy); else this.pending.push(copy);
  }
  close() { this.controller.close(); }
  fail() { this.controller.error(new TypeError("network error")); }
}
"#)]
extern "C" {
    /// The scripted `fetch`.
    pub type FakeFetch;
    #[wasm_bindgen(constructor)]
    fn new() -> FakeFetch;
    #[wasm_bindgen(method)]
    fn restore(this: &FakeFetch);
    #[wasm_bindgen(method, js_name = respondJson)]
    fn respond_json_raw(this: &FakeFetch, path: &str, status: u16, body: &str);
    #[wasm_bindgen(method, js_name = respondAlways)]
    fn respond_always_raw(this: &FakeFetch, path: &str, status: u16, body: &str);
    #[wasm_bindgen(method, js_name = respondNetworkError)]
    fn respond_network_error_raw(this: &FakeFetch, path: &str);
    #[wasm_bindgen(method, js_name = respondStream)]
    fn respond_stream_raw(this: &FakeFetch, path: &str, status: u16) -> StreamHandle;
    #[wasm_bindgen(method, js_name = requestsJson)]
    fn requests_json(this: &FakeFetch) -> String;

    /// A streamed response body the test feeds.
    pub type StreamHandle;
    #[wasm_bindgen(method, js_name = pushBytes)]
    fn push_bytes_raw(this: &StreamHandle, bytes: &[u8]);
    #[wasm_bindgen(method, js_name = close)]
    fn close_raw(this: &StreamHandle);
    #[wasm_bindgen(method, js_name = fail)]
    fn fail_raw(this: &StreamHandle);
    #[wasm_bindgen(method, getter)]
    fn aborted(this: &StreamHandle) -> bool;
}

/// The user `/api/me` names unless a test says otherwise.
pub(crate) const USER_A: &str = r#"{"subject":"user-a","email":"ann@example.com","name":"Ann","sign_out_url":"/.pomerium/sign_out"}"#;

/// The server list most tests start from.
pub(crate) const SERVERS: &str = r#"{"servers":[
  {"id":"northwind","name":"Northwind","description":"Orders, customers and products","url":"https://db.example/mcp","connected":true,"needs_oauth":false},
  {"id":"wiki","name":"Wiki","url":"https://wiki.example/mcp"}
]}"#;

impl FakeFetch {
    /// Answers the next request to `path` with `status` and `body`.
    pub(crate) fn respond_json(&self, path: &str, status: u16, body: &str) {
        self.respond_json_raw(path, status, body);
    }

    /// Answers every request to `path` that finds nothing queued with `status` and `body`.
    pub(crate) fn respond_always(&self, path: &str, status: u16, body: &str) {
        self.respond_always_raw(path, status, body);
    }

    /// Fails the next request to `path` as a network error.
    pub(crate) fn respond_network_error(&self, path: &str) {
        self.respond_network_error_raw(path);
    }

    /// Answers the next request to `path` with a stream the test feeds.
    pub(crate) fn respond_stream(&self, path: &str) -> StreamHandle {
        self.respond_stream_raw(path, 200)
    }

    /// Every request so far, oldest first.
    pub(crate) fn requests(&self) -> Vec<Value> {
        match serde_json::from_str(&self.requests_json()) {
            Ok(Value::Array(requests)) => requests,
            other => panic!("fake fetch records are a JSON array: {other:?}"),
        }
    }

    /// The requests to `path`.
    pub(crate) fn requests_to(&self, path: &str) -> Vec<Value> {
        self.requests()
            .into_iter()
            .filter(|r| r["path"] == path)
            .collect()
    }
}

impl StreamHandle {
    /// Sends `text` as one chunk.
    pub(crate) fn push(&self, text: &str) {
        self.push_bytes_raw(text.as_bytes());
    }

    /// Sends `bytes` as one chunk.
    pub(crate) fn push_bytes(&self, bytes: &[u8]) {
        self.push_bytes_raw(bytes);
    }

    /// Sends each event as an SSE frame, all in one chunk.
    pub(crate) fn push_events(&self, events: &[protocol::StreamEvent]) {
        let text: String = events.iter().map(protocol::sse::encode).collect();
        self.push(&text);
    }

    /// Ends the body cleanly.
    pub(crate) fn close(&self) {
        self.close_raw();
    }

    /// Breaks the body off with a network error.
    pub(crate) fn fail(&self) {
        self.fail_raw();
    }

    /// The request's signal was aborted.
    pub(crate) fn was_aborted(&self) -> bool {
        self.aborted()
    }
}

/// An element in the page with a fake `fetch`; dropping it removes both.
pub(crate) struct Page {
    pub(crate) host: HtmlElement,
    pub(crate) fetch: FakeFetch,
}

impl Page {
    /// Registers the element, installs the fake, queues the servers answer (`status`, `body`),
    /// then puts `<pomerium-chat>` with `attributes` in the page and waits for `data-ready`.
    pub(crate) async fn open(attributes: &[(&str, &str)], status: u16, body: &str) -> Page {
        clear_storage();
        Page::open_keeping_storage(attributes, status, body).await
    }

    /// [`Page::open`] without emptying `localStorage` first: a page load after a reload.
    pub(crate) async fn open_keeping_storage(
        attributes: &[(&str, &str)],
        status: u16,
        body: &str,
    ) -> Page {
        Page::start(attributes, status, body, &[]).await
    }

    /// [`Page::open_keeping_storage`] with the servers answer `servers` and more answers
    /// (`path`, status, body) queued before the element starts.
    pub(crate) async fn open_keeping_storage_with(
        attributes: &[(&str, &str)],
        servers: &str,
        more: &[(&str, u16, &str)],
    ) -> Page {
        Page::start(attributes, 200, servers, more).await
    }

    async fn start(
        attributes: &[(&str, &str)],
        status: u16,
        body: &str,
        more: &[(&str, u16, &str)],
    ) -> Page {
        widget::define().expect("define registers the element");
        let fetch = FakeFetch::new();
        fetch.respond_always("/api/me", 200, USER_A);
        fetch.respond_json("/api/servers", status, body);
        for (path, status, body) in more {
            fetch.respond_json(path, *status, body);
        }
        let doc = document();
        let host: HtmlElement = doc
            .create_element(widget::TAG_NAME)
            .expect("create the element")
            .unchecked_into();
        for (name, value) in attributes {
            host.set_attribute(name, value).expect("set an attribute");
        }
        doc.body()
            .expect("the test page has a body")
            .append_child(&host)
            .expect("append the element");
        let page = Page { host, fetch };
        wait_for("data-ready", || {
            page.host.get_attribute("data-ready").as_deref() == Some("true")
        })
        .await;
        page
    }

    /// [`Page::open`] with the default endpoint and the two [`SERVERS`].
    pub(crate) async fn with_servers() -> Page {
        Page::open(&[], 200, SERVERS).await
    }

    /// The element's open shadow root.
    pub(crate) fn shadow(&self) -> ShadowRoot {
        self.host
            .shadow_root()
            .expect("the element has an open shadow root")
    }

    /// The first match of `selector` in the shadow root.
    pub(crate) fn find(&self, selector: &str) -> Option<Element> {
        self.shadow()
            .query_selector(selector)
            .expect("a valid selector")
    }

    /// The first match of `selector`, which must exist.
    pub(crate) fn get(&self, selector: &str) -> Element {
        self.find(selector)
            .unwrap_or_else(|| panic!("no {selector} in the shadow root"))
    }

    /// Every match of `selector`.
    pub(crate) fn all(&self, selector: &str) -> Vec<Element> {
        let list = self
            .shadow()
            .query_selector_all(selector)
            .expect("a valid selector");
        (0..list.length())
            .filter_map(|i| list.item(i))
            .map(|node| node.unchecked_into())
            .collect()
    }

    /// The text of the first match of `selector`, or `None`.
    pub(crate) fn text(&self, selector: &str) -> Option<String> {
        self.find(selector).and_then(|e| e.text_content())
    }

    /// Clicks the first match of `selector`.
    pub(crate) fn click(&self, selector: &str) {
        self.get(selector).unchecked_into::<HtmlElement>().click();
    }

    /// The composer.
    pub(crate) fn input(&self) -> HtmlTextAreaElement {
        self.get(r#"textarea[data-role="input"]"#).unchecked_into()
    }

    /// Types `question` and clicks Send, then waits for the chat request to be made.
    pub(crate) async fn ask(&self, question: &str) {
        let before = self.fetch.requests_to("/api/chat").len();
        self.input().set_value(question);
        self.click(r#"button[data-role="send"]"#);
        wait_for("the chat request", || {
            self.fetch.requests_to("/api/chat").len() > before
        })
        .await;
    }

    /// The last assistant message's attribute `name`.
    pub(crate) fn answer_attribute(&self, name: &str) -> Option<String> {
        self.all(r#"[data-role="message"][data-author="assistant"]"#)
            .last()
            .and_then(|m| m.get_attribute(name))
    }

    /// Types `question` without sending it (the `input` event included).
    pub(crate) fn type_draft(&self, question: &str) {
        self.input().set_value(question);
        fire(&self.input(), "input");
    }

    /// The last assistant message's answer text.
    pub(crate) fn answer_text(&self) -> String {
        self.all(r#"[data-role="message"][data-author="assistant"] [data-role="text"]"#)
            .last()
            .and_then(|t| t.text_content())
            .unwrap_or_default()
    }

    /// Waits until the last answer's text is `want`.
    pub(crate) async fn wait_for_text(&self, want: &str) {
        wait_for(&format!("answer text {want:?}"), || {
            self.answer_text() == want
        })
        .await;
    }

    /// Waits until `selector` matches in the shadow root.
    pub(crate) async fn wait_for_element(&self, selector: &str) {
        wait_for(selector, || self.find(selector).is_some()).await;
    }

    /// Checks that the last answer shows `text` and ended interrupted, with Retry.
    pub(crate) fn assert_interrupted(&self, text: &str) {
        assert_eq!(self.answer_text(), text, "the partial answer stays");
        assert_eq!(
            self.answer_attribute("data-complete").as_deref(),
            Some("error")
        );
        assert!(
            self.find(r#"[data-code="stream_interrupted"] button[data-role="retry"]"#)
                .is_some(),
            "the cut answer can be asked again"
        );
    }

    /// Waits until the last answer's `data-complete` is `want`.
    pub(crate) async fn wait_for_complete(&self, want: &str) {
        wait_for(&format!("data-complete={want}"), || {
            self.answer_attribute("data-complete").as_deref() == Some(want)
        })
        .await;
    }
}

impl Drop for Page {
    fn drop(&mut self) {
        self.host.remove();
        self.fetch.restore();
    }
}

/// Presses `key` on `target` (a bubbling, cancelable `keydown`).
pub(crate) fn press(target: &web_sys::EventTarget, key: &str) {
    let init = web_sys::KeyboardEventInit::new();
    init.set_key(key);
    init.set_bubbles(true);
    init.set_cancelable(true);
    init.set_composed(true);
    let event =
        web_sys::KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init).unwrap();
    target.dispatch_event(&event).unwrap();
}

/// Dispatches a bubbling `kind` event on `target`, as the browser does for user input.
pub(crate) fn fire(target: &web_sys::EventTarget, kind: &str) {
    let init = web_sys::EventInit::new();
    init.set_bubbles(true);
    init.set_composed(true);
    let event = web_sys::Event::new_with_event_init_dict(kind, &init).expect("an event");
    target.dispatch_event(&event).expect("dispatch an event");
}

/// Empties the page's `localStorage`.
pub(crate) fn clear_storage() {
    web_sys::window()
        .and_then(|w| w.local_storage().ok().flatten())
        .expect("the test page has localStorage")
        .clear()
        .expect("clear localStorage");
}

/// The page's document.
pub(crate) fn document() -> web_sys::Document {
    web_sys::window()
        .and_then(|w| w.document())
        .expect("tests run in a browser page")
}

/// Waits until `condition` holds, checking between turns of the event loop, for at most 5 s.
pub(crate) async fn wait_for(what: &str, condition: impl Fn() -> bool) {
    wait_for_within(what, 5_000.0, condition).await;
}

/// [`wait_for`] with a deadline of `millis`.
pub(crate) async fn wait_for_within(what: &str, millis: f64, condition: impl Fn() -> bool) {
    let deadline = Date::now() + millis;
    loop {
        if condition() {
            return;
        }
        assert!(Date::now() < deadline, "timed out waiting for {what}");
        next_turn().await;
    }
}

/// Lets the event loop run: pending promises, fetches and stream reads.
pub(crate) async fn next_turn() {
    let promise = Promise::new(&mut |resolve, _| {
        web_sys::window()
            .expect("a window")
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 1)
            .expect("setTimeout");
    });
    let _ = JsFuture::from(promise).await;
}

/// A text delta event.
pub(crate) fn text(delta: &str) -> protocol::StreamEvent {
    protocol::StreamEvent::TextDelta {
        delta: delta.into(),
    }
}

/// The `done` event.
pub(crate) fn done() -> protocol::StreamEvent {
    protocol::StreamEvent::Done {
        response_id: None,
        usage: None,
    }
}

/// How many characters `json` takes once pretty-printed with two-space indentation.
pub(crate) fn pretty_len(json: &str) -> usize {
    let value: serde_json::Value = serde_json::from_str(json).expect("JSON");
    serde_json::to_string_pretty(&value)
        .expect("pretty JSON")
        .chars()
        .count()
}
