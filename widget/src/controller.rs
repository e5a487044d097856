//! The message loop of one `<pomerium-chat>` instance.
//!
//! Everything that can happen to an instance is a [`Msg`]: a click, a key, a checkbox, a server
//! list or a chunk of a stream arriving, the stream ending. The [`Controller`] queues messages
//! and handles them one at a time (update the [`ChatState`], start or drop a request), then
//! renders the [`View`] once the queue is empty. A message sent while another is handled waits
//! in the queue, so no handler re-enters a borrow. Each chunk read from a stream is one
//! message, so the answer is rendered after every chunk.
//!
//! The controller owns every resource of its instance as a field: the DOM listeners and the
//! requests in flight. Dropping it removes the listeners and aborts the requests (the
//! `AbortController` cancels the fetch, the `AbortHandle` ends its future), and futures hold
//! only a weak reference, so nothing outlives the instance.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::future::Future;
use std::rc::{Rc, Weak};

use futures::future::{AbortHandle, abortable};
use protocol::{ApiError, ChatRequest, ErrorCode, ServerList, StreamEvent};
use wasm_bindgen::{JsCast, UnwrapThrowExt};
use web_sys::{
    AbortController, AbortSignal, Element, Event, HtmlElement, HtmlInputElement, KeyboardEvent,
};

use crate::api::stream::EventReader;
use crate::api::{self, RequestError};
use crate::dom::{self, Listener};
use crate::state::{ChatState, Servers};
use crate::view::{self, MountError, Settings, View};

/// The heading when the element has no `title`.
pub(crate) const DEFAULT_TITLE: &str = "Pomerium Chat";
/// The composer's placeholder when the element has no `placeholder`.
pub(crate) const DEFAULT_PLACEHOLDER: &str = "Ask a question…";

/// Everything that can happen to an instance.
#[derive(Debug)]
pub(crate) enum Msg {
    /// An observed attribute of the host element changed.
    AttributeChanged(String),
    /// (Re)load the server list.
    LoadServers,
    /// The server list arrived, or could not be had.
    ServersLoaded(Result<ServerList, ApiError>),
    /// A server was ticked or unticked.
    ServerToggled {
        /// The server id.
        id: String,
        /// Ticked.
        on: bool,
    },
    /// The page got the focus back, perhaps after the user signed in in another window.
    WindowFocused,
    /// Send the draft.
    Send,
    /// Stop the answer being streamed.
    Stop,
    /// Send the failed last question again.
    Retry,
    /// Chat request `request` got no stream: a non-2xx answer, or none at all.
    ChatRefused {
        /// Which request.
        request: u64,
        /// Why.
        error: ApiError,
    },
    /// A chunk of request `request`'s stream completed these events.
    StreamEvents {
        /// Which request.
        request: u64,
        /// The events, in order.
        events: Vec<StreamEvent>,
    },
    /// Request `request`'s stream ended or broke off.
    StreamEnded {
        /// Which request.
        request: u64,
    },
}

/// One instance: its state, its view, its resources, and its message queue.
pub(crate) struct Controller {
    host: HtmlElement,
    me: Weak<Controller>,
    /// Held for their `Drop`: removing the instance removes its listeners.
    _listeners: Vec<Listener>,
    view: RefCell<View>,
    state: RefCell<ChatState>,
    queue: RefCell<VecDeque<Msg>>,
    handling: Cell<bool>,
    next_request: Cell<u64>,
    servers_request: RefCell<Option<Task>>,
    chat_request: RefCell<Option<Task>>,
}

/// A request in flight. Dropping it aborts the fetch and ends its future.
struct Task {
    id: u64,
    abort: AbortController,
    handle: AbortHandle,
}

impl Controller {
    /// Builds the view in `host`'s shadow root, starts listening and loads the server list.
    pub(crate) fn mount(host: HtmlElement) -> Result<Rc<Self>, MountError> {
        let view = View::mount(&host)?;
        dom::set_opt(&host, "data-ready", None);
        let controller = Rc::new_cyclic(|me: &Weak<Self>| Self {
            _listeners: listen(me, view.events_root()),
            host,
            me: me.clone(),
            view: RefCell::new(view),
            state: RefCell::new(ChatState::default()),
            queue: RefCell::new(VecDeque::new()),
            handling: Cell::new(false),
            next_request: Cell::new(0),
            servers_request: RefCell::new(None),
            chat_request: RefCell::new(None),
        });
        controller.dispatch(Msg::LoadServers);
        Ok(controller)
    }

    /// Queues `msg`; unless a message is being handled already, handles the queue and renders.
    pub(crate) fn dispatch(&self, msg: Msg) {
        self.queue.borrow_mut().push_back(msg);
        if self.handling.replace(true) {
            return;
        }
        loop {
            loop {
                let next = self.queue.borrow_mut().pop_front();
                let Some(msg) = next else { break };
                self.handle(msg);
            }
            self.render();
            if self.queue.borrow().is_empty() {
                break;
            }
        }
        self.handling.set(false);
    }

    fn handle(&self, msg: Msg) {
        match msg {
            Msg::AttributeChanged(name) => {
                // `title` and `placeholder` are read when rendering.
                if name == "endpoint" {
                    self.load_servers();
                }
            }
            Msg::LoadServers => self.load_servers(),
            Msg::ServersLoaded(result) => {
                self.servers_request.take();
                self.state.borrow_mut().servers = match result {
                    Ok(list) => Servers::Loaded(list.servers),
                    Err(error) => Servers::Failed(error),
                };
                dom::set(&self.host, "data-ready", "true");
            }
            Msg::ServerToggled { id, on } => self.state.borrow_mut().select(&id, on),
            Msg::WindowFocused => {
                let signed_out = matches!(
                    &self.state.borrow().servers,
                    Servers::Failed(ApiError {
                        code: ErrorCode::Unauthorized,
                        ..
                    })
                );
                if signed_out && self.servers_request.borrow().is_none() {
                    self.load_servers();
                }
            }
            Msg::Send => self.send(),
            Msg::Stop => {
                self.state.borrow_mut().stop();
                self.chat_request.take();
            }
            Msg::Retry => {
                let request = self.state.borrow_mut().retry();
                if let Some(request) = request {
                    self.start_chat(request);
                }
            }
            Msg::ChatRefused { request, error } => {
                if !self.is_current(request) {
                    return;
                }
                self.chat_request.take();
                let question = self.state.borrow_mut().refuse(error);
                if let Some(question) = question {
                    self.view.borrow().restore_draft(&question);
                }
            }
            Msg::StreamEvents { request, events } => {
                if !self.is_current(request) {
                    return;
                }
                let mut state = self.state.borrow_mut();
                for event in events {
                    state.apply(event);
                }
                if !state.is_busy() {
                    self.chat_request.take();
                }
            }
            Msg::StreamEnded { request } => {
                if !self.is_current(request) {
                    return;
                }
                self.state.borrow_mut().end_of_stream();
                self.chat_request.take();
            }
        }
    }

    fn send(&self) {
        if self.state.borrow().is_busy() {
            return;
        }
        let view = self.view.borrow();
        let draft = view.take_draft();
        let question = draft.trim();
        if question.is_empty() {
            view.restore_draft(&draft);
            return;
        }
        let selected = view.checked_servers();
        view.focus_input();
        drop(view);
        let request = {
            let mut state = self.state.borrow_mut();
            state.selected = selected;
            state.ask(question.to_owned())
        };
        self.start_chat(request);
    }

    fn render(&self) {
        let settings = self.settings();
        self.view
            .borrow_mut()
            .render(&self.state.borrow(), &settings);
    }

    fn load_servers(&self) {
        self.state.borrow_mut().servers = Servers::Loading;
        let endpoint = self.endpoint();
        let me = self.me.clone();
        let task = self.spawn(move |_, signal| async move {
            let result = api::fetch_servers(&endpoint, &signal)
                .await
                .map_err(RequestError::into_api_error);
            send(&me, Msg::ServersLoaded(result));
        });
        // Replacing a request in flight aborts it.
        *self.servers_request.borrow_mut() = Some(task);
    }

    fn start_chat(&self, chat_request: ChatRequest) {
        let endpoint = self.endpoint();
        let me = self.me.clone();
        let task = self.spawn(move |id, signal| run_chat(me, id, endpoint, chat_request, signal));
        *self.chat_request.borrow_mut() = Some(task);
    }

    /// Runs the future made by `make` (given the request's id and abort signal) as a [`Task`].
    fn spawn<F, Fut>(&self, make: F) -> Task
    where
        F: FnOnce(u64, AbortSignal) -> Fut,
        Fut: Future<Output = ()> + 'static,
    {
        let id = self.next_request.get() + 1;
        self.next_request.set(id);
        let abort = AbortController::new().expect_throw("AbortController is available");
        let (future, handle) = abortable(make(id, abort.signal()));
        wasm_bindgen_futures::spawn_local(async move {
            // An aborted task has nothing left to report.
            let _ = future.await;
        });
        Task { id, abort, handle }
    }

    fn is_current(&self, request: u64) -> bool {
        self.chat_request
            .borrow()
            .as_ref()
            .is_some_and(|task| task.id == request)
    }

    fn endpoint(&self) -> String {
        self.host.get_attribute("endpoint").unwrap_or_default()
    }

    fn settings(&self) -> Settings {
        let attribute = |name: &str, default: &str| {
            self.host
                .get_attribute(name)
                .filter(|value| !value.is_empty())
                .unwrap_or_else(|| default.to_owned())
        };
        Settings {
            title: attribute("title", DEFAULT_TITLE),
            placeholder: attribute("placeholder", DEFAULT_PLACEHOLDER),
            sign_in_url: sign_in_url(&self.endpoint()),
        }
    }
}

impl Drop for Task {
    fn drop(&mut self) {
        self.handle.abort();
        self.abort.abort();
    }
}

/// Posts the chat request and turns its stream into messages, one per chunk.
async fn run_chat(
    me: Weak<Controller>,
    request: u64,
    endpoint: String,
    chat_request: ChatRequest,
    signal: AbortSignal,
) {
    let body = match api::post_chat(&endpoint, &chat_request, &signal).await {
        Ok(body) => body,
        Err(err) => {
            let error = err.into_api_error();
            return send(&me, Msg::ChatRefused { request, error });
        }
    };
    let mut reader = EventReader::new(&body);
    loop {
        match reader.next_chunk().await {
            Ok(Some(events)) if events.is_empty() => {}
            Ok(Some(events)) => {
                let last = events.iter().any(StreamEvent::is_terminal);
                send(&me, Msg::StreamEvents { request, events });
                if last {
                    return;
                }
            }
            // Ended or broken off, the state tells whether a final event came first.
            Ok(None) | Err(_) => return send(&me, Msg::StreamEnded { request }),
        }
    }
}

/// Dispatches `msg` to the instance, if it still exists.
fn send(me: &Weak<Controller>, msg: Msg) {
    if let Some(controller) = me.upgrade() {
        controller.dispatch(msg);
    }
}

/// The page that signs the user in: the edge's root, or this page's origin's.
fn sign_in_url(endpoint: &str) -> String {
    let base = match endpoint.trim_end_matches('/') {
        "" => web_sys::window()
            .and_then(|w| w.location().origin().ok())
            .unwrap_or_default(),
        base => base.to_owned(),
    };
    format!("{base}/")
}

/// The listeners of one instance, delegated from the view's root, plus the window's focus.
fn listen(me: &Weak<Controller>, root: &Element) -> Vec<Listener> {
    let on =
        |kind: &'static str, target: &web_sys::EventTarget, to_msg: fn(&Event) -> Option<Msg>| {
            let me = me.clone();
            Listener::new(target, kind, move |event| {
                if let Some(msg) = to_msg(&event) {
                    send(&me, msg);
                }
            })
        };
    let mut listeners = vec![
        on("click", root, clicked),
        on("change", root, changed),
        on("keydown", root, key_pressed),
    ];
    if let Some(window) = web_sys::window() {
        listeners.push(on("focus", &window, |_| Some(Msg::WindowFocused)));
    }
    listeners
}

fn event_target(event: &Event) -> Option<Element> {
    event.target()?.dyn_into::<Element>().ok()
}

fn clicked(event: &Event) -> Option<Msg> {
    let button = event_target(event)?.closest("[data-action]").ok()??;
    match button.get_attribute("data-action")?.as_str() {
        view::SEND => Some(Msg::Send),
        view::STOP => Some(Msg::Stop),
        view::answer::RETRY => Some(Msg::Retry),
        view::servers::RELOAD => Some(Msg::LoadServers),
        _ => None,
    }
}

fn changed(event: &Event) -> Option<Msg> {
    let input = event_target(event)?.dyn_into::<HtmlInputElement>().ok()?;
    let id = input.get_attribute("data-server-id")?;
    Some(Msg::ServerToggled {
        id,
        on: input.checked(),
    })
}

/// Enter sends; Shift+Enter (and Enter while composing with an input method) is a newline.
fn key_pressed(event: &Event) -> Option<Msg> {
    let key = event.dyn_ref::<KeyboardEvent>()?;
    let in_composer = event_target(event)?.get_attribute("data-role").as_deref() == Some("input");
    if !in_composer || key.key() != "Enter" || key.shift_key() || key.is_composing() {
        return None;
    }
    event.prevent_default();
    Some(Msg::Send)
}
