//! What the host page sees of an instance, and what it says to it.
//!
//! The host API (`open()`, `close()`, `send(text)`, `clear()`, `edit(index, text)`,
//! `regenerate()`, `copy(index)`) comes in through
//! [`Controller::host_call`]; the `pomerium-chat:*` events ([`HostEvent`]), the launcher's place
//! in the top layer, and the [`Settings`] read from the element's attributes (title,
//! placeholder, locale) go out from here.

use wasm_bindgen::{JsCast, JsValue};
use web_sys::HtmlElement;

use crate::controller::{Controller, Msg};
use crate::dom;
use crate::i18n::Strings;
use crate::json;
use crate::state::ChatState;
use crate::update::{self, HostEvent};
use crate::view::Settings;

impl Controller {
    /// A host-page API call: `open()`, `close()`, `send(text)`, `clear()`, `edit(index, text)`
    /// (`arg` is the index, a newline, the text), `regenerate()`, `copy(index)`. Returns
    /// whether it was taken.
    pub(crate) fn host_call(&self, method: &str, arg: String) -> bool {
        match method {
            "open" => self.dispatch(Msg::Open),
            "close" => self.dispatch(Msg::Close),
            "clear" => self.dispatch(Msg::NewChat),
            "edit" => {
                let Some((index, text)) = arg.split_once('\n') else {
                    return false;
                };
                let Ok(index) = index.parse::<usize>() else {
                    return false;
                };
                let accepted = update::accepts_host_edit(&self.state.borrow(), index, text);
                if accepted {
                    let text = text.to_owned();
                    self.dispatch(Msg::HostEdit { index, text });
                }
                return accepted;
            }
            "regenerate" => {
                let accepted = update::accepts_regenerate(&self.state.borrow());
                if accepted {
                    self.dispatch(Msg::Regenerate);
                }
                return accepted;
            }
            "copy" => {
                let Ok(index) = arg.parse::<usize>() else {
                    return false;
                };
                let accepted = self.state.borrow().answer_markdown(index).is_some();
                if accepted {
                    self.dispatch(Msg::Copy { index, host: true });
                }
                return accepted;
            }
            "send" => {
                let accepted = update::accepts_host_send(&self.state.borrow(), &arg);
                if accepted {
                    self.dispatch(Msg::HostSend(arg));
                }
                return accepted;
            }
            _ => return false,
        }
        true
    }

    /// Tells the host page `event`.
    pub(crate) fn emit(&self, event: HostEvent) {
        let null_or = |id: Option<String>| id.map_or(JsValue::NULL, JsValue::from);
        match event {
            HostEvent::Open => self.fire("open", &[]),
            HostEvent::Close => self.fire("close", &[]),
            HostEvent::Question(question) => self.fire(
                "message",
                &[("role", "user".into()), ("content", question.into())],
            ),
            HostEvent::Answer {
                text,
                status,
                request_id,
                usage,
            } => self.fire(
                "message",
                &[
                    ("role", "assistant".into()),
                    ("content", text.into()),
                    ("status", status.into()),
                    ("requestId", null_or(request_id)),
                    (
                        "usage",
                        usage.map_or(JsValue::NULL, |u| json::encode_usage(&u)),
                    ),
                ],
            ),
            HostEvent::Edit { index, content } => self.fire(
                "edit",
                &[("index", index.into()), ("content", content.into())],
            ),
            HostEvent::Regenerate { index } => self.fire("regenerate", &[("index", index.into())]),
            HostEvent::Copy { index, content } => self.fire(
                "copy",
                &[("index", index.into()), ("content", content.into())],
            ),
            HostEvent::Error { error, request_id } => self.fire(
                "error",
                &[
                    ("code", error.code.as_str().into()),
                    ("message", error.message.into()),
                    ("retryable", error.retryable.into()),
                    ("requestId", null_or(request_id)),
                ],
            ),
        }
    }

    /// Dispatches `pomerium-chat:<name>` on the host, bubbling out of the shadow root, with
    /// `detail` built from `fields`.
    fn fire(&self, name: &str, fields: &[(&str, JsValue)]) {
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

    /// Puts a connected launcher in the browser's top layer (the host as a manual popover), so
    /// no transformed, filtered or clipping ancestor and no stacking context of the page can
    /// move or cover the bubble; takes an inline chat out of it. A browser without popovers
    /// keeps the launcher's `position: fixed`. Removing the element hides the popover, so a
    /// move calls this again.
    pub(crate) fn sync_top_layer(&self) {
        let host = &self.host;
        let shown = host.matches(":popover-open").unwrap_or(false);
        if self.state.borrow().launcher {
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

    /// What the view shows from the element's attributes (and the launcher's state).
    pub(crate) fn settings(&self, state: &ChatState) -> Settings {
        let attribute = |name: &str| {
            self.host
                .get_attribute(name)
                .filter(|value| !value.trim().is_empty())
        };
        let strings = Strings::for_locale(&attribute("locale").unwrap_or_else(page_locale));
        Settings {
            strings,
            title: attribute("title").unwrap_or_else(|| strings.title.to_owned()),
            placeholder: attribute("placeholder").unwrap_or_else(|| strings.placeholder.to_owned()),
            sign_in_url: sign_in_url(&self.endpoint()),
            launcher: state.launcher,
            open: !state.launcher || state.open,
        }
    }
}

/// `mode="launcher"`.
pub(crate) fn is_launcher(host: &HtmlElement) -> bool {
    host.get_attribute("mode").as_deref() == Some("launcher")
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
pub(crate) const SIGNED_IN_PAGE: &str = "/signed-in.html";

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
