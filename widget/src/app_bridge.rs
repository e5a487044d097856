//! The MCP Apps bridge (`shared/protocols-next.md` §6): the JSON-RPC messages a view in its
//! sandboxed frame exchanges with the widget over `postMessage`, as plain data, and the
//! document the frame loads.
//!
//! [`read`] turns what a frame posted into a [`FromApp`] (bounded: a message larger than
//! [`MAX_MESSAGE_BYTES`] as JSON is dropped, and so is anything that is not JSON-RPC 2.0);
//! [`write`] turns a [`ToApp`] into the object to post. The rules between them are in
//! `update/app.rs`. The frame's document is the view's HTML behind a CSP that allows nothing
//! outside the document ([`srcdoc`]): no fetch, no external script, style, image or frame.

use js_sys::JSON;
use wasm_bindgen::JsValue;

use crate::json::{self, get, object, parse, set, string};

/// The MCP Apps revision the widget speaks.
pub(crate) const PROTOCOL_VERSION: &str = "2026-01-26";
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

/// The policy of every view: nothing outside the document; inline script and style, data:
/// images, media and fonts. Declared `csp` domains of a view are not honoured.
pub(crate) const CSP: &str = "default-src 'none'; script-src 'unsafe-inline'; \
style-src 'unsafe-inline'; img-src data:; media-src data:; font-src data:; connect-src 'none'; \
frame-src 'none'; object-src 'none'; base-uri 'none'; form-action 'none'";

/// The frame's document: the CSP first, before anything of the view's (a view's own
/// `<!doctype>` after it is ignored by the parser; its own policies can only add limits).
pub(crate) fn srcdoc(html: &str) -> String {
    format!("<!doctype html><meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">{html}")
}

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

/// Reads what a view posted; `None` when it is not a JSON-RPC 2.0 message within bounds.
pub(crate) fn read(data: &JsValue) -> Option<FromApp> {
    let text = JSON::stringify(data).ok()?.as_string()?;
    if text.len() > MAX_MESSAGE_BYTES || string(data, "jsonrpc").as_deref() != Some("2.0") {
        return None;
    }
    let id = get(data, "id");
    let id = (id.is_string() || id.as_f64().is_some()).then(|| json::stringify(&id));
    let params = get(data, "params");
    let Some(method) = string(data, "method") else {
        return Some(FromApp::Ignored);
    };
    Some(match (method.as_str(), id) {
        ("ui/initialize", Some(id)) => FromApp::Initialize(id),
        ("ui/notifications/initialized", None) => FromApp::Initialized,
        ("ui/notifications/size-changed", None) => {
            let height = get(&params, "height").as_f64()?;
            FromApp::SizeChanged(height.clamp(0.0, f64::from(u32::MAX)).ceil() as u32)
        }
        ("tools/call", Some(id)) => {
            let name = string(&params, "name").unwrap_or_default();
            let arguments = get(&params, "arguments");
            let arguments = if arguments.is_undefined() || arguments.is_null() {
                "{}".to_owned()
            } else {
                json::stringify(&arguments)
            };
            FromApp::ToolCall {
                id,
                name,
                arguments,
            }
        }
        ("ui/open-link", Some(id)) => FromApp::OpenLink {
            id,
            url: string(&params, "url").unwrap_or_default(),
        },
        ("ping", Some(id)) => FromApp::Ping(id),
        (_, Some(id)) => FromApp::Other(id),
        (_, None) => FromApp::Ignored,
    })
}

/// The object to post for `message`; `theme` and `locale` fill the host context.
pub(crate) fn write(message: &ToApp, theme: &str, locale: &str) -> JsValue {
    let v = object();
    set(&v, "jsonrpc", "2.0");
    let id = |id: &RpcId| parse(id).unwrap_or(JsValue::NULL);
    let notify = |method: &str, params: JsValue| {
        set(&v, "method", method);
        set(&v, "params", params);
    };
    match message {
        ToApp::Initialized(rpc_id) => {
            set(&v, "id", id(rpc_id));
            let result = object();
            set(&result, "protocolVersion", PROTOCOL_VERSION);
            let info = object();
            set(&info, "name", "pomerium-chat");
            set(&info, "version", env!("CARGO_PKG_VERSION"));
            set(&result, "hostInfo", info);
            let caps = object();
            set(&caps, "openLinks", object());
            set(&caps, "serverTools", object());
            set(&result, "hostCapabilities", caps);
            let context = object();
            set(&context, "theme", theme);
            set(&context, "locale", locale);
            set(&context, "displayMode", "inline");
            set(&result, "hostContext", context);
            set(&v, "result", result);
        }
        ToApp::ToolInput(arguments) => {
            let params = object();
            set(
                &params,
                "arguments",
                parse(arguments).unwrap_or_else(object),
            );
            notify("ui/notifications/tool-input", params);
        }
        ToApp::ToolResult(output) => {
            let part = object();
            set(&part, "type", "text");
            set(&part, "text", output.as_str());
            let params = object();
            set(&params, "content", js_sys::Array::of1(&part));
            notify("ui/notifications/tool-result", params);
        }
        ToApp::Reply(rpc_id, result) => {
            set(&v, "id", id(rpc_id));
            set(&v, "result", parse(result).unwrap_or_else(object));
        }
        ToApp::Error(rpc_id, code, message) => {
            set(&v, "id", id(rpc_id));
            let error = object();
            set(&error, "code", *code);
            set(&error, "message", message.as_str());
            set(&v, "error", error);
        }
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_starts_with_the_policy() {
        let doc = srcdoc(
            "<!doctype html><html><head><meta http-equiv=\"Content-Security-Policy\" content=\"default-src *\"><script>x()</script>",
        );
        assert!(doc.starts_with("<!doctype html><meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none';"));
        assert!(doc.find(CSP).unwrap() < doc.find("<script>").unwrap());
        assert!(!CSP.contains('"') && CSP.contains("connect-src 'none'"));
    }

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
