//! The MCP Apps bridge (`shared/protocols-next.md` §6): the JSON-RPC messages a view in its
//! sandboxed frame exchanges with the widget over `postMessage`, as plain data.
//!
//! [`read`] turns a `message` event into the view's call id and a [`FromApp`]: only when its
//! `source` is the `contentWindow` of one of the instance's view frames (neither the page nor
//! another frame can speak for a view; nothing else a page posts is even serialised), and only
//! a JSON-RPC 2.0 object of at most [`MAX_MESSAGE_BYTES`] as JSON. [`post`] sends a [`ToApp`]
//! to one view's window only (the view runs in an opaque origin, so the target origin is `*`).
//! Both are a few lines of JS, in [`crate::snippet`] with the widget's other hand-written JS:
//! building and reading these objects field by field from Rust costs several KB of wasm. The rules
//! between them are in `update/app.rs`. The frame loads the view from the edge
//! (`GET /api/app/view`), which serves it with a policy of its own: a sandbox, nothing outside
//! the document.

use web_sys::{Event, ShadowRoot};

pub(crate) use crate::snippet::{app_body, app_result};
use crate::snippet::{app_post, app_read};

/// Largest message a view may post, as JSON.
pub(crate) const MAX_MESSAGE_BYTES: usize = 96 * 1024;
/// Height of a view before it says its size, and its bounds, in CSS pixels.
pub(crate) const DEFAULT_HEIGHT: u32 = 160;
/// Smallest height a view gets.
pub(crate) const MIN_HEIGHT: u32 = 48;
/// Largest height a view gets (it scrolls inside beyond).
pub(crate) const MAX_HEIGHT: u32 = 640;
/// Tool calls one view may have in flight at once.
pub(crate) const MAX_CALLS_IN_FLIGHT: u8 = 2;
/// Tool calls one view may make in all.
pub(crate) const MAX_CALLS: u32 = 100;
/// Longest link a view may ask to open.
pub(crate) const MAX_LINK_CHARS: usize = 2048;

/// Whether a view may ask to open `url`: an absolute `http:` or `https:` URL.
pub(crate) fn is_web_link(url: &str) -> bool {
    let lower = url
        .trim_start()
        .get(..8)
        .unwrap_or(url)
        .to_ascii_lowercase();
    url.len() <= MAX_LINK_CHARS
        && (lower.starts_with("https://") || lower.starts_with("http://"))
        && !url.chars().any(char::is_control)
}

/// A JSON-RPC request id as JSON text (a number or a string), echoed in the answer.
pub(crate) type RpcId = String;

/// What a view posted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum FromApp {
    /// `ui/initialize`.
    Initialize(RpcId),
    /// `ui/notifications/initialized`: the view is ready for the tool's input and result.
    Initialized,
    /// `ui/notifications/size-changed`: the height the view needs, in CSS pixels.
    SizeChanged(u32),
    /// `tools/call`.
    ToolCall {
        /// The request's id.
        id: RpcId,
        /// The tool.
        name: String,
        /// Its arguments as JSON text (an object).
        arguments: String,
    },
    /// `ui/open-link`.
    OpenLink {
        /// The request's id.
        id: RpcId,
        /// The link.
        url: String,
    },
    /// `ping`.
    Ping(RpcId),
    /// Any other request: answered "method not found".
    Other(RpcId),
    /// Any other notification, or a response: ignored.
    Ignored,
}

/// What the widget posts to a view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ToApp {
    /// The answer to `ui/initialize` (the host context's theme and locale are the element's).
    Initialized(RpcId),
    /// `ui/notifications/tool-input` with these arguments (JSON text).
    ToolInput(String),
    /// `ui/notifications/tool-result`: the call's output as one text part.
    ToolResult(String),
    /// A result (JSON text) for request `.0`.
    Reply(RpcId, String),
    /// An error for request `.0`: JSON-RPC code `.1`, message `.2`.
    Error(RpcId, i32, String),
}

/// JSON-RPC's "method not found".
pub(crate) const METHOD_NOT_FOUND: i32 = -32601;
/// JSON-RPC's "invalid params".
pub(crate) const INVALID_PARAMS: i32 = -32602;
/// The widget's refusals (a tool call the edge refused, too many calls, a declined link).
pub(crate) const REFUSED: i32 = -32000;

/// The view that posted `event` (its call id) and what it said; `None` for a message that is
/// not from one of `root`'s view frames, or not within bounds.
pub(crate) fn read(root: &ShadowRoot, event: &Event) -> Option<(String, FromApp)> {
    let v = app_read(root, event, MAX_MESSAGE_BYTES)?;
    let s = |i: u32| v.get(i).as_string();
    // The method's place in appRead's list (-1: another method).
    let (method, id, text) = (v.get(1).as_f64()?, s(2), s(3).unwrap_or_default());
    let message = match (method as i32, id) {
        (0, Some(id)) => FromApp::Initialize(id),
        (1, None) => FromApp::Initialized,
        (2, None) => FromApp::SizeChanged(v.get(5).as_f64()?.clamp(0.0, 1e6).ceil() as u32),
        (3, Some(id)) => FromApp::ToolCall {
            id,
            name: text,
            arguments: s(4)?,
        },
        (4, Some(id)) => FromApp::OpenLink { id, url: text },
        (5, Some(id)) => FromApp::Ping(id),
        (_, Some(id)) => FromApp::Other(id),
        (_, None) => FromApp::Ignored,
    };
    Some((s(0)?, message))
}

/// Posts `message` to the view of call `call_id` in `root`, if it is shown; `theme` and
/// `locale` fill the host context.
pub(crate) fn post(root: &ShadowRoot, call_id: &str, message: &ToApp, theme: &str, locale: &str) {
    let (kind, id, text) = match message {
        ToApp::Initialized(id) => (0, Some(id), ""),
        ToApp::ToolInput(arguments) => (1, None, arguments.as_str()),
        ToApp::ToolResult(output) => (2, None, output.as_str()),
        ToApp::Reply(id, result) => (3, Some(id), result.as_str()),
        ToApp::Error(id, code, text) => (*code, Some(id), text.as_str()),
    };
    let version = env!("CARGO_PKG_VERSION");
    app_post(
        root,
        call_id,
        kind,
        id.cloned(),
        text,
        theme,
        locale,
        version,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_web_links_open() {
        for url in ["https://example.com/a?b", "HTTP://intranet/x"] {
            assert!(is_web_link(url), "{url}");
        }
        for url in [
            "javascript:alert(1)",
            "data:text/html,x",
            "file:///etc/passwd",
            "//example.com",
            "https://a\nb",
            "",
        ] {
            assert!(!is_web_link(url), "{url}");
        }
        assert!(!is_web_link(&format!(
            "https://x/{}",
            "a".repeat(MAX_LINK_CHARS)
        )));
    }
}

#[cfg(all(test, target_arch = "wasm32"))]
mod browser_tests {
    use wasm_bindgen::{JsCast, JsValue};
    use wasm_bindgen_test::wasm_bindgen_test;
    use web_sys::{Event, ShadowRootInit, ShadowRootMode};

    use super::*;

    /// A `message` event from `source` carrying `data`.
    fn message(source: &JsValue, data: &JsValue) -> Event {
        js_sys::Function::new_with_args(
            "source, data",
            "return new MessageEvent('message', { source, data });",
        )
        .call2(&JsValue::NULL, source, data)
        .expect("a MessageEvent")
        .unchecked_into()
    }

    /// The value of the JS expression `js`.
    fn value(js: &str) -> JsValue {
        js_sys::Function::new_no_args(&format!("return ({js});"))
            .call0(&JsValue::NULL)
            .expect("an expression")
    }

    #[wasm_bindgen_test]
    fn only_a_view_frame_is_heard_and_nothing_else_a_page_posts_is_serialised() {
        let doc = web_sys::window().unwrap().document().unwrap();
        let host = doc.create_element("div").unwrap();
        let root = host
            .attach_shadow(&ShadowRootInit::new(ShadowRootMode::Open))
            .unwrap();
        let frame = doc.create_element("iframe").unwrap();
        frame.set_attribute("data-role", "app-frame").unwrap();
        frame.set_attribute("data-call-id", "call_1").unwrap();
        root.append_child(&frame).unwrap();
        doc.body().unwrap().append_child(&host).unwrap();
        let view = js_sys::Reflect::get(&frame, &"contentWindow".into()).unwrap();

        let ping = value(r#"{"jsonrpc":"2.0","id":7,"method":"ping"}"#);
        assert_eq!(
            read(&root, &message(&view, &ping)),
            Some(("call_1".to_owned(), FromApp::Ping("7".to_owned())))
        );
        // From the view, but no JSON-RPC object: nothing (and no exception).
        for junk in ["null", "undefined", "42", "'ping'", "[1, 2]"] {
            assert_eq!(read(&root, &message(&view, &value(junk))), None, "{junk}");
        }
        // The page (or any window but the view's) cannot speak for the view, and what it posts
        // is not even serialised: a page's own busy postMessage traffic costs the widget nothing.
        let trap = value(
            "{ jsonrpc: '2.0', id: 1, method: 'ping', \
             toJSON() { globalThis.__pchatSerialised = true; return {}; } }",
        );
        let page = JsValue::from(web_sys::window().unwrap());
        assert_eq!(read(&root, &message(&page, &trap)), None);
        assert_eq!(read(&root, &message(&JsValue::NULL, &ping)), None);
        let serialised = js_sys::Reflect::get(&js_sys::global(), &"__pchatSerialised".into());
        assert!(serialised.unwrap().is_undefined());
        host.remove();
    }
}
