//! The MCP Apps bridge's I/O: the views' messages into [`Msg::FromApp`], [`ToApp`] messages
//! posted to a view, a view's tool call sent to the edge, a link opened.
//!
//! Which frame a message came from, and its bounds, are checked by [`app_bridge::read`]; a post
//! goes to one view's window ([`app_bridge::post`]). Nothing posted carries a token: the edge
//! call goes with the page's cookie, like every other request of the widget.

use std::rc::Weak;

use web_sys::AbortController;

use crate::api;
use crate::app_bridge::{self, RpcId, ToApp};
use crate::controller::tasks::{send, shown};
use crate::controller::{Controller, Msg};
use crate::dom::Listener;

/// Listens for the views' messages on the window.
pub(super) fn listen(me: &Weak<Controller>) -> Option<Listener> {
    let window = web_sys::window()?;
    let me = me.clone();
    Some(Listener::new(&window, "message", move |event| {
        let Some(controller) = me.upgrade() else {
            return;
        };
        let read = app_bridge::read(controller.view.borrow().events_root(), &event);
        if let Some((call_id, message)) = read {
            controller.dispatch(Msg::FromApp(call_id, message));
        }
    }))
}

impl Controller {
    /// Posts `message` to the view of call `call_id`, if it is shown.
    pub(super) fn post_to_app(&self, call_id: &str, message: &ToApp) {
        let attribute = |name: &str| self.host.get_attribute(name);
        let theme = attribute("theme").unwrap_or_else(|| "light".into());
        let locale = attribute("locale")
            .or_else(|| web_sys::window()?.navigator().language())
            .unwrap_or_default();
        let view = self.view.borrow();
        app_bridge::post(view.events_root(), call_id, message, &theme, &locale);
    }

    /// Sends a view's tool call to the edge; the answer comes back as [`Msg::AppToolDone`].
    pub(super) fn app_tool_call(&self, call_id: String, id: RpcId, body: String) {
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
