//! The rules of the MCP Apps bridge: what the widget answers a view, which of its tool calls go
//! to the edge, how its size changes, and which links the user is asked to open.
//!
//! A view speaks only after `ui/initialize`; when it says `ui/notifications/initialized` it
//! gets the tool's input, then its result. Its `tools/call` requests go to the edge with the
//! view's sealed handle (the edge applies the user's identity and the tool policy), at most
//! [`MAX_CALLS_IN_FLIGHT`] at once and [`MAX_CALLS`] in all. A size change is kept within
//! [`MIN_HEIGHT`]..=[`MAX_HEIGHT`]. `ui/open-link` is asked of the user, for http(s) links only,
//! one at a time. Any other request is answered "method not found"; other notifications are
//! dropped. Messages for a view that is gone are ignored.

use protocol::ApiError;

use super::msg::Effect;
use crate::app_bridge::{
    FromApp, INVALID_PARAMS, MAX_CALLS, MAX_CALLS_IN_FLIGHT, MAX_HEIGHT, METHOD_NOT_FOUND,
    MIN_HEIGHT, REFUSED, RpcId, ToApp, is_web_link,
};
use crate::state::app::AppFrame;
use crate::state::{CallStatus, ChatState, ToolCall};

/// The call `call_id`, when it shows a view.
fn view<'a>(state: &'a mut ChatState, call_id: &str) -> Option<&'a mut ToolCall> {
    state
        .exchanges
        .iter_mut()
        .rev()
        .flat_map(|e| e.answer.tool_calls.iter_mut())
        .find(|c| c.call_id == call_id && c.app.is_some())
}

fn frame(call: &mut ToolCall) -> &mut AppFrame {
    call.app.as_mut().expect("view() finds calls with a view")
}

/// A view of call `call_id` posted `message`.
pub(super) fn from_app(
    state: &mut ChatState,
    call_id: String,
    message: FromApp,
    fx: &mut Vec<Effect>,
) {
    let Some(call) = view(state, &call_id) else {
        return;
    };
    let mut reply = |message: ToApp| fx.push(Effect::ToApp(call_id.clone(), message));
    match message {
        FromApp::Initialize(id) => reply(ToApp::Initialized(id)),
        FromApp::Initialized => {
            // Again for a frame that loaded anew (its view was rebuilt): it is a new instance.
            reply(ToApp::ToolInput(call.arguments.clone()));
            if let CallStatus::Done(output) = &call.status {
                reply(ToApp::ToolResult(output.clone()));
            }
        }
        FromApp::SizeChanged(height) => frame(call).height = height.clamp(MIN_HEIGHT, MAX_HEIGHT),
        FromApp::ToolCall {
            id,
            name,
            arguments,
        } => {
            let app = frame(call);
            if app.in_flight >= MAX_CALLS_IN_FLIGHT || app.calls >= MAX_CALLS {
                reply(ToApp::Error(id, REFUSED, "too many tool calls".into()));
                return;
            }
            if name.is_empty() {
                reply(ToApp::Error(id, INVALID_PARAMS, "no tool name".into()));
                return;
            }
            app.in_flight += 1;
            app.calls += 1;
            let handle = app.handle.clone();
            fx.push(Effect::AppToolCall {
                call_id,
                id,
                handle,
                name,
                arguments,
            });
        }
        FromApp::OpenLink { id, url } => {
            let app = frame(call);
            if !is_web_link(&url) {
                reply(ToApp::Error(
                    id,
                    INVALID_PARAMS,
                    "only http(s) links".into(),
                ));
            } else if app.link.is_some() {
                reply(ToApp::Error(
                    id,
                    REFUSED,
                    "a link is already waiting".into(),
                ));
            } else {
                app.link = Some((id, url));
            }
        }
        FromApp::Ping(id) => reply(ToApp::Reply(id, "{}".into())),
        FromApp::Other(id) => reply(ToApp::Error(id, METHOD_NOT_FOUND, "not supported".into())),
        FromApp::Ignored => {}
    }
}

/// The edge answered view `call_id`'s tool call `id`: the `CallToolResult` (JSON text), or why
/// not (the error's code is the message, so the view can tell a refusal from a failure).
pub(super) fn tool_done(
    state: &mut ChatState,
    call_id: String,
    id: RpcId,
    result: Result<String, ApiError>,
    fx: &mut Vec<Effect>,
) {
    let Some(call) = view(state, &call_id) else {
        return;
    };
    let app = frame(call);
    app.in_flight = app.in_flight.saturating_sub(1);
    let message = match result {
        Ok(result) => ToApp::Reply(id, result),
        Err(error) => ToApp::Error(id, REFUSED, error.code.as_str().to_owned()),
    };
    fx.push(Effect::ToApp(call_id, message));
}

/// The user opened (`open`) or declined the link view `call_id` asked for.
pub(super) fn link_decided(
    state: &mut ChatState,
    call_id: String,
    open: bool,
    fx: &mut Vec<Effect>,
) {
    let Some(call) = view(state, &call_id) else {
        return;
    };
    let Some((id, url)) = frame(call).link.take() else {
        return;
    };
    if open {
        fx.push(Effect::OpenLink(url));
        fx.push(Effect::ToApp(call_id, ToApp::Reply(id, "{}".into())));
    } else {
        let declined = ToApp::Reply(id, r#"{"isError":true}"#.into());
        fx.push(Effect::ToApp(call_id, declined));
    }
}
