//! The MCP Apps bridge's I/O: messages from the views' frames into [`Msg::FromApp`], the
//! [`ToApp`] messages posted to a frame, a view's tool call sent to the edge, a link opened.
//!
//! A message is taken only when its `source` is the `contentWindow` of one of this instance's
//! view frames (so neither the page nor another frame can speak for a view), and only within
//! the bridge's bounds ([`app_bridge::read`]). Posts go to that frame's window alone; the view
//! runs in an opaque origin, so the target origin is `*`. Nothing posted carries a token: the
//! edge call goes with the page's cookie, like every other request of the widget.

use std::rc::Weak;

use wasm_bindgen::JsCast;
use web_sys::{AbortController, HtmlIFrameElement, MessageEvent, Window};

use crate::app_bridge::{self, RpcId, ToApp};
use crate::controller::tasks::{send, shown};
use crate::controller::{Controller, Msg};
use crate::dom::Listener;
use crate::{api, json};

/// Listens for the views' messages on the window.
pub(super) fn listen(me: &Weak<Controller>) -> Option<Listener> {
    let window = web_sys::window()?;
    let me = me.clone();
    Some(Listener::new(&window, "message", move |event| {
        let Some(event) = event.dyn_ref::<MessageEvent>() else {
            return;
        };
        let Some(controller) = me.upgrade() else {
            return;
        };
        let Some(source) = event.source() else {
            return;
        };
        let Some(call_id) = controller.frames().into_iter().find_map(|frame| {
            let window = frame.content_window()?;
            js_sys::Object::is(&window, &source).then(|| frame.get_attribute("data-call-id"))?
        }) else {
            return;
        };
        if let Some(message) = app_bridge::read(&event.data()) {
            send(&me, Msg::FromApp(call_id, message));
        }
    }))
}

impl Controller {
    /// This instance's view frames, each with its call's id as `data-call-id`.
    fn frames(&self) -> Vec<HtmlIFrameElement> {
        let Ok(list) = self
            .view
            .borrow()
            .events_root()
            .query_selector_all("iframe[data-role=\"app-frame\"]")
        else {
            return Vec::new();
        };
        (0..list.length())
            .filter_map(|i| list.item(i)?.dyn_into().ok())
            .collect()
    }

    /// Posts `message` to the view of call `call_id`, if it is shown.
    pub(super) fn post_to_app(&self, call_id: &str, message: &ToApp) {
        let Some(window) = self
            .frames()
            .into_iter()
            .find(|f| f.get_attribute("data-call-id").as_deref() == Some(call_id))
            .and_then(|f| f.content_window())
        else {
            return;
        };
        let theme = self
            .host
            .get_attribute("theme")
            .unwrap_or_else(|| "light".into());
        let locale = self
            .host
            .get_attribute("locale")
            .or_else(|| web_sys::window()?.navigator().language())
            .unwrap_or_else(|| "en".into());
        let _ = window.post_message(&app_bridge::write(message, &theme, &locale), "*");
    }

    /// Sends a view's tool call to the edge; the answer comes back as [`Msg::AppToolDone`].
    pub(super) fn app_tool_call(
        &self,
        call_id: String,
        id: RpcId,
        handle: &str,
        name: &str,
        arguments: &str,
    ) {
        let body = json::object();
        json::set(&body, "handle", handle);
        json::set(&body, "name", name);
        json::set(
            &body,
            "arguments",
            json::parse(arguments).unwrap_or_else(json::object),
        );
        let body = json::stringify(&body);
        let (endpoint, me) = (self.endpoint(), self.me.clone());
        let Ok(abort) = AbortController::new() else {
            return;
        };
        wasm_bindgen_futures::spawn_local(async move {
            let result = shown(api::app_tool_call(&endpoint, &body, &abort.signal()).await);
            send(
                &me,
                Msg::AppToolDone {
                    call_id,
                    id,
                    result,
                },
            );
        });
    }
}

/// Opens an http(s) link the user agreed to, in a new tab without a way back to this page.
pub(super) fn open_link(url: &str) {
    if let Some(window) = web_sys::window() {
        let _ = Window::open_with_url_and_target_and_features(
            &window,
            url,
            "_blank",
            "noopener,noreferrer",
        );
    }
}
