//! What the host page sees of an instance, and what it says to it.
//!
//! The host API (`open()`, `close()`, `send(text)`, `clear()`) comes in through
//! [`Controller::host_call`]; the launcher's open state, the `pomerium-chat:*` events that tell
//! the page how each answer ended, and the [`Settings`] read from the element's attributes
//! (title, placeholder, locale, mode) go out from here.

use protocol::ApiError;
use wasm_bindgen::{JsCast, JsValue};

use crate::controller::{Controller, Msg};
use crate::dom;
use crate::i18n::Strings;
use crate::json;
use crate::state::AnswerStatus;
use crate::view::Settings;

impl Controller {
    /// A host-page API call: `open()`, `close()`, `send(text)`, `clear()`.
    pub(crate) fn host_call(&self, method: &str, arg: String) -> bool {
        match method {
            "open" => self.dispatch(Msg::Open),
            "close" => self.dispatch(Msg::Close),
            "clear" => self.dispatch(Msg::NewChat),
            "send" => {
                let accepted = !arg.trim().is_empty() && !self.state.borrow().is_busy();
                if accepted {
                    self.dispatch(Msg::HostSend(arg));
                }
                return accepted;
            }
            _ => return false,
        }
        true
    }

    /// Opens or closes the launcher's panel (inline: `open` focuses the composer), telling the
    /// page and moving the focus.
    pub(crate) fn set_open(&self, open: bool) {
        let launcher = self.is_launcher();
        if !launcher || open == self.open.get() {
            if open {
                self.view.borrow().focus_input();
            }
            return;
        }
        self.open.set(open);
        self.emit(if open { "open" } else { "close" }, &[]);
        // Render first so the element to focus is shown.
        self.render();
        let view = self.view.borrow();
        if open {
            view.focus_input();
            view.scroll_to_latest();
        } else {
            view.focus_launcher();
        }
    }

    /// The last answer's status, to compare after a batch of messages.
    pub(crate) fn last_outcome(&self) -> Option<(usize, AnswerStatus)> {
        let state = self.state.borrow();
        let n = state.exchanges.len();
        state.exchanges.last().map(|e| (n, e.answer.status.clone()))
    }

    /// Tells the host page how the last answer ended, if it just did.
    pub(crate) fn announce(&self, before: Option<(usize, AnswerStatus)>) {
        let after = self.last_outcome();
        if after == before {
            return;
        }
        let Some((_, status)) = after else { return };
        let state = self.state.borrow();
        let Some(answer) = state.exchanges.last().map(|e| &e.answer) else {
            return;
        };
        let outcome = match &status {
            AnswerStatus::Complete => "complete",
            AnswerStatus::Stopped => "stopped",
            AnswerStatus::AwaitingApproval => "approval",
            AnswerStatus::Failed(error) => {
                return self.emit_error(error, answer.request_id.as_deref());
            }
            AnswerStatus::Streaming => return,
        };
        self.emit(
            "message",
            &[
                ("role", "assistant".into()),
                ("content", answer.text.as_str().into()),
                ("status", outcome.into()),
                (
                    "requestId",
                    answer
                        .request_id
                        .as_deref()
                        .map_or(JsValue::NULL, JsValue::from),
                ),
            ],
        );
    }

    /// `pomerium-chat:error` for `error`.
    pub(crate) fn emit_error(&self, error: &ApiError, request_id: Option<&str>) {
        self.emit(
            "error",
            &[
                ("code", error.code.as_str().into()),
                ("message", error.message.as_str().into()),
                ("retryable", error.retryable.into()),
                ("requestId", request_id.map_or(JsValue::NULL, JsValue::from)),
            ],
        );
    }

    /// Dispatches `pomerium-chat:<name>` on the host, bubbling out of the shadow root, with
    /// `detail` built from `fields`.
    pub(crate) fn emit(&self, name: &str, fields: &[(&str, JsValue)]) {
        let detail = json::object();
        for (key, value) in fields {
            json::set(&detail, key, value.clone());
        }
        let init = web_sys::CustomEventInit::new();
        init.set_bubbles(true);
        init.set_composed(true);
        init.set_detail(&detail);
        let mut kind = "pomerium-chat:".to_owned();
        kind.push_str(name);
        if let Ok(event) = web_sys::CustomEvent::new_with_event_init_dict(&kind, &init) {
            let _ = self.host.dispatch_event(&event);
        }
    }

    /// `mode="launcher"`.
    pub(crate) fn is_launcher(&self) -> bool {
        self.host.get_attribute("mode").as_deref() == Some("launcher")
    }

    /// Puts a connected launcher in the browser's top layer (the host as a manual popover), so
    /// no transformed, filtered or clipping ancestor and no stacking context of the page can
    /// move or cover the bubble; takes an inline chat out of it. A browser without popovers
    /// keeps the launcher's `position: fixed`. Removing the element hides the popover, so a
    /// move calls this again.
    pub(crate) fn sync_top_layer(&self) {
        let host = &self.host;
        let shown = host.matches(":popover-open").unwrap_or(false);
        if self.is_launcher() {
            if !host.has_attribute("popover") {
                dom::set(host, "popover", "manual");
            }
            if !shown && host.is_connected() {
                call_method(host, "showPopover");
            }
        } else if host.has_attribute("popover") {
            if shown {
                call_method(host, "hidePopover");
            }
            dom::set_opt(host, "popover", None);
        }
    }

    /// What the view shows from the element's attributes.
    pub(crate) fn settings(&self) -> Settings {
        let attribute = |name: &str| {
            self.host
                .get_attribute(name)
                .filter(|value| !value.trim().is_empty())
        };
        let strings = Strings::for_locale(&attribute("locale").unwrap_or_else(page_locale));
        let launcher = self.is_launcher();
        Settings {
            strings,
            title: attribute("title").unwrap_or_else(|| strings.title.to_owned()),
            placeholder: attribute("placeholder").unwrap_or_else(|| strings.placeholder.to_owned()),
            sign_in_url: sign_in_url(&self.endpoint()),
            launcher,
            open: !launcher || self.open.get(),
        }
    }
}

/// The page's language: the document's `lang`, else the browser's.
fn page_locale() -> String {
    let window = web_sys::window();
    let from_document = window
        .as_ref()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element())
        .and_then(|html| html.get_attribute("lang"));
    from_document
        .or_else(|| window.and_then(|w| w.navigator().language()))
        .unwrap_or_default()
}

/// Calls `element.<name>()` when the browser has that method.
fn call_method(element: &web_sys::HtmlElement, name: &str) {
    let method = js_sys::Reflect::get(element, &JsValue::from_str(name)).ok();
    if let Some(method) = method.and_then(|m| m.dyn_into::<js_sys::Function>().ok()) {
        // Refused only for an element in no document or already shown: nothing to do then.
        let _ = method.call0(element);
    }
}

/// The edge's page that says "Signed in, you can close this window" and closes the popup.
const SIGNED_IN_PAGE: &str = "/signed-in.html";

/// The page the sign-in popup opens: [`SIGNED_IN_PAGE`] on the edge's origin (or on this page's
/// origin when the edge is here too). Pomerium signs a navigation without a session in through
/// the identity provider and sends it back to the URL it asked for, and it accepts that only on
/// the route's own host, which is the edge's.
fn sign_in_url(endpoint: &str) -> String {
    let mut base = match endpoint.trim_end_matches('/') {
        "" => web_sys::window()
            .and_then(|w| w.location().origin().ok())
            .unwrap_or_default(),
        base => base.to_owned(),
    };
    base.push_str(SIGNED_IN_PAGE);
    base
}
