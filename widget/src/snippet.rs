//! The widget's hand-written JS, all in one inline module: wasm-bindgen writes each
//! `inline_js` block to a file of its own, and every file is one more request on the page's
//! cold start (and one more module the test runner's page must load). Its users own what it
//! does: the element's class shim ([`crate::element`]) and the MCP Apps bridge
//! ([`crate::app_bridge`]), whose docs explain each function.

use js_sys::Array;
use wasm_bindgen::prelude::*;
use web_sys::{Event, HtmlElement, ShadowRoot};

#[wasm_bindgen(inline_js = r#"
export function defineElement(name, observed, connected, disconnected, changed, call) {
  const defined = customElements.get(name);
  if (defined) {
    // The loader's shell (widget/js/pomerium-chat.js) hands its elements over.
    if (typeof defined.attach === "function") defined.attach({ connected, disconnected, changed, call });
    return;
  }
  customElements.define(name, class extends HTMLElement {
    static get observedAttributes() { return observed; }
    connectedCallback() { connected(this); }
    disconnectedCallback() { disconnected(this); }
    attributeChangedCallback(attribute, before, after) {
      if (before !== after) changed(this, attribute);
    }
    open() { call(this, "open", ""); }
    close() { call(this, "close", ""); }
    send(text) { return call(this, "send", String(text ?? "")); }
    clear() { call(this, "clear", ""); }
    edit(index, text) { return call(this, "edit", (index >>> 0) + "\n" + String(text ?? "")); }
    regenerate() { return call(this, "regenerate", ""); }
    copy(index) { return call(this, "copy", String(index >>> 0)); }
  });
}
export function takeEarly(name, url) {
  const defined = customElements.get(name);
  return defined && typeof defined.take === "function" ? defined.take(url) : undefined;
}
const frames = (root) => [...root.querySelectorAll('iframe[data-role="app-frame"]')];
export function appRead(root, e, max) {
  const f = e.source && frames(root).find((f) => f.contentWindow === e.source);
  const m = e.data;
  if (!f || m === null || typeof m !== "object") return;
  let t;
  try { t = JSON.stringify(m); } catch (_) {}
  if (!t || t.length > max || m.jsonrpc !== "2.0" || typeof m.method !== "string") return;
  const p = m.params || {};
  const id = typeof m.id === "string" || typeof m.id === "number" ? JSON.stringify(m.id) : undefined;
  const a = p.arguments;
  const k = ["ui/initialize", "ui/notifications/initialized", "ui/notifications/size-changed",
    "tools/call", "ui/open-link", "ping"].indexOf(m.method);
  return [f.dataset.callId, k, id, String(p.name ?? p.url ?? ""), a == null ? "{}" : JSON.stringify(a), +p.height || 0];
}
export function appPost(root, call, kind, id, text, theme, locale, version) {
  const f = frames(root).find((f) => f.dataset.callId === call);
  const w = f && f.contentWindow;
  if (!w) return;
  const json = (t) => { try { return JSON.parse(t); } catch (_) { return {}; } };
  const m = { jsonrpc: "2.0" };
  if (id !== undefined) m.id = JSON.parse(id);
  if (kind === 0) m.result = { protocolVersion: "2026-01-26", hostInfo: { name: "pomerium-chat", version },
    hostCapabilities: { openLinks: {}, serverTools: {} }, hostContext: { theme, locale, displayMode: "inline" } };
  else if (kind === 1) { m.method = "ui/notifications/tool-input"; m.params = { arguments: json(text) }; }
  else if (kind === 2) { m.method = "ui/notifications/tool-result"; m.params = { content: [{ type: "text", text }] }; }
  else if (kind === 3) m.result = json(text);
  else m.error = { code: kind, message: text };
  w.postMessage(m, "*");
}
export function appBody(handle, name, args) {
  return JSON.stringify({ handle, name, arguments: JSON.parse(args) });
}
export function appResult(text) {
  try { const r = JSON.parse(text).result; return r && typeof r === "object" ? JSON.stringify(r) : undefined; } catch (_) {}
}
"#)]
extern "C" {
    #[wasm_bindgen(js_name = defineElement, catch)]
    pub(crate) fn define_element(
        name: &str,
        observed: &Array,
        connected: &Closure<dyn Fn(HtmlElement)>,
        disconnected: &Closure<dyn Fn(HtmlElement)>,
        changed: &Closure<dyn Fn(HtmlElement, String)>,
        call: &Closure<dyn Fn(HtmlElement, String, String) -> bool>,
    ) -> Result<(), JsValue>;

    #[wasm_bindgen(js_name = takeEarly)]
    pub(crate) fn take_early_js(name: &str, url: &str) -> JsValue;

    #[wasm_bindgen(js_name = appRead)]
    pub(crate) fn app_read(root: &ShadowRoot, event: &Event, max: usize) -> Option<Array>;
    #[wasm_bindgen(js_name = appPost)]
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn app_post(
        root: &ShadowRoot,
        call_id: &str,
        kind: i32,
        id: Option<String>,
        text: &str,
        theme: &str,
        locale: &str,
        version: &str,
    );
    /// The body of `POST /api/app/tool-call` (`arguments` is JSON text of an object).
    #[wasm_bindgen(js_name = appBody)]
    pub(crate) fn app_body(handle: &str, name: &str, arguments: &str) -> String;
    /// The `result` of the edge's answer as JSON text, when it is an object.
    #[wasm_bindgen(js_name = appResult)]
    pub(crate) fn app_result(text: &str) -> Option<String>;
}
