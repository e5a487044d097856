//! What an instance has running in the background: requests, the chat stream, timers.
//!
//! A [`Task`] is a request in flight; dropping it aborts the fetch (the `AbortController`), so
//! the stream read fails and the future ends on its own. Its messages carry the task's id, and
//! the controller drops messages from a task that is no longer current. An [`Interval`] is a
//! `setInterval` that is cleared on drop. Futures hold only a weak reference to the controller,
//! so nothing here outlives the instance.

use std::future::Future;
use std::rc::Weak;

use protocol::{ChatRequest, StreamEvent};
use wasm_bindgen::prelude::*;
use web_sys::{AbortController, AbortSignal};

use crate::api::stream::EventReader;
use crate::api::{self, RequestError, busy};
use crate::controller::{Controller, Msg};

/// A request in flight. Dropping it aborts the fetch.
pub(crate) struct Task {
    pub(crate) id: u64,
    abort: AbortController,
}

impl Task {
    /// Runs the future made by `make` (given the task's abort signal).
    pub(crate) fn spawn<Fut>(id: u64, make: impl FnOnce(AbortSignal) -> Fut) -> Self
    where
        Fut: Future<Output = ()> + 'static,
    {
        let abort = AbortController::new().expect_throw("AbortController is available");
        wasm_bindgen_futures::spawn_local(make(abort.signal()));
        Self { id, abort }
    }
}

impl Drop for Task {
    fn drop(&mut self) {
        self.abort.abort();
    }
}

/// A `setInterval` that stops when dropped.
pub(crate) struct Interval {
    handle: i32,
    _callback: Closure<dyn FnMut()>,
}

impl Interval {
    /// Calls `f` every `millis` milliseconds.
    pub(crate) fn new(millis: i32, f: impl FnMut() + 'static) -> Option<Self> {
        let callback = Closure::<dyn FnMut()>::new(f);
        let handle = web_sys::window()?
            .set_interval_with_callback_and_timeout_and_arguments_0(
                callback.as_ref().unchecked_ref(),
                millis,
            )
            .ok()?;
        Some(Self {
            handle,
            _callback: callback,
        })
    }
}

impl Drop for Interval {
    fn drop(&mut self) {
        if let Some(window) = web_sys::window() {
            window.clear_interval_with_handle(self.handle);
        }
    }
}

/// Posts the chat request and turns its stream into messages, one per chunk. A request the
/// runtime turned away for want of capacity is sent again after a pause ([`busy`]), until it
/// gets a stream, is refused for another reason, runs out of tries, or is aborted.
pub(crate) async fn run_chat(
    me: Weak<Controller>,
    request: u64,
    endpoint: String,
    chat_request: ChatRequest,
    signal: AbortSignal,
) {
    let mut retries = 0;
    let body = loop {
        match api::post_chat(&endpoint, &chat_request, &signal).await {
            Ok(body) => break body,
            Err(_) if signal.aborted() => return,
            Err(err) if busy::should_retry(&err, retries) => {
                retries += 1;
                send(&me, Msg::ChatBusy { request });
                busy::pause(busy::delay_ms(retries, js_sys::Math::random())).await;
                if signal.aborted() {
                    return;
                }
            }
            Err(err) => {
                let error = err.into_api_error();
                return send(&me, Msg::ChatRefused { request, error });
            }
        }
    };
    let after = chat_request.resume.as_ref().map(|r| r.after);
    let mut reader = EventReader::new(&body).resuming(after);
    loop {
        let (events, ended) = match reader.next_chunk().await {
            Ok(Some(events)) => (events, false),
            // Ended: the state tells whether a final event came first.
            Ok(None) => (reader.finish(), true),
            // Broken off (Stop aborts the request, whose messages are then ignored).
            Err(_) => {
                let cursor = reader.cursor();
                return send(&me, Msg::StreamBroken { request, cursor });
            }
        };
        let last = events.iter().any(StreamEvent::is_terminal);
        if !events.is_empty() {
            send(&me, Msg::StreamEvents { request, events });
        }
        if last {
            return;
        }
        if ended {
            return send(&me, Msg::StreamEnded { request });
        }
    }
}

/// The result of a request as the widget shows it.
pub(crate) fn shown<T>(result: Result<T, RequestError>) -> Result<T, protocol::ApiError> {
    result.map_err(RequestError::into_api_error)
}

/// Dispatches `msg` to the instance, if it still exists.
pub(crate) fn send(me: &Weak<Controller>, msg: Msg) {
    if let Some(controller) = me.upgrade() {
        controller.dispatch(msg);
    }
}

/// Opens `url` in a small popup window; false when the browser blocked it.
pub(crate) fn open_popup(url: &str) -> bool {
    web_sys::window()
        .and_then(|w| {
            w.open_with_url_and_target_and_features(
                url,
                "pomerium-chat-sign-in",
                "popup,width=520,height=680",
            )
            .ok()
            .flatten()
        })
        .is_some()
}

/// Opens `url` (an `http(s)` link the user accepted) in a new tab that cannot reach this page.
pub(crate) fn open_link(url: &str) {
    if let Some(w) = web_sys::window() {
        let _ = w.open_with_url_and_target_and_features(url, "_blank", "noopener,noreferrer");
    }
}

/// Calls `f` once the browser has drawn the next frame (a `requestAnimationFrame` callback
/// that queues a task): what `f` reads of the layout is then the frame's, already computed,
/// instead of a layout forced in the middle of the widget's start.
pub(crate) fn after_next_frame(f: impl FnOnce() + 'static) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let frame = Closure::once_into_js(move || {
        if let Some(window) = web_sys::window() {
            let task = Closure::once_into_js(f);
            let _ = window
                .set_timeout_with_callback_and_timeout_and_arguments_0(task.unchecked_ref(), 0);
        }
    });
    let _ = window.request_animation_frame(frame.unchecked_ref());
}

/// Milliseconds since the epoch.
pub(crate) fn now() -> f64 {
    js_sys::Date::now()
}
