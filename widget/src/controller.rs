//! The message loop of one `<pomerium-chat>` instance.
//!
//! Everything that can happen to an instance is a [`Msg`]: a click, a key, a server list or a
//! chunk of a stream arriving, the stream ending, a host-page API call. The [`Controller`]
//! queues messages and handles them one at a time (update the [`ChatState`], start or drop a
//! request), then renders the [`View`] once the queue is empty, saves what changed, and tells
//! the host page what happened (`pomerium-chat:*` events). A message sent while another is
//! handled waits in the queue, so no handler re-enters a borrow.
//!
//! The controller owns every resource of its instance as a field: the DOM listeners, the
//! requests in flight and the sign-in timer. Dropping it removes the listeners and aborts the
//! requests, and futures hold only a weak reference, so nothing outlives the instance.
//!
//! | module | owns |
//! |---|---|
//! | [`input`] | the listeners, and DOM events into messages |
//! | [`tasks`] | requests in flight, the chat stream, timers |
//! | [`requests`] | the server and model lists, Disconnect, the sign-in watch |
//! | [`host`] | the host API, the launcher's state, events to the page, settings |
//! | [`identity`] | who is signed in (`/api/me`), storage per user, sign-out |

mod host;
mod identity;
mod input;
mod requests;
mod tasks;

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::{Rc, Weak};

use protocol::{ApiError, ChatRequest, ErrorCode, Identity, ModelList, ServerList, StreamEvent};
use web_sys::HtmlElement;

use crate::dom::{self, Listener};
use crate::state::{ChatState, Servers};
use crate::storage::{Prefs, Store};
use crate::view::{MountError, View};
use tasks::{Interval, N_SLOTS, Slot, Task, now, run_chat};

/// How often a streaming answer is saved at most.
const SAVE_EVERY_MS: f64 = 1000.0;

/// Everything that can happen to an instance.
#[derive(Debug)]
pub(crate) enum Msg {
    /// An observed attribute of the host element changed.
    AttributeChanged(String),
    /// (Re)load the server list.
    LoadServers,
    /// The server list arrived, or could not be had.
    ServersLoaded(u64, Result<ServerList, ApiError>),
    /// The edge said who is signed in, or could not.
    MeLoaded(u64, Result<Identity, ApiError>),
    /// The user followed the Sign out link.
    SignOut,
    /// The model list arrived, or could not be had.
    ModelsLoaded(u64, Result<ModelList, ApiError>),
    /// A model was picked.
    ModelChosen(String),
    /// A server was ticked or unticked.
    ServerToggled {
        /// The server id.
        id: String,
        /// Ticked.
        on: bool,
    },
    /// Disconnect a server.
    Disconnect(String),
    /// The edge answered a disconnect.
    Disconnected(u64, Result<ServerList, ApiError>),
    /// The user opened a server's Connect link.
    Connecting,
    /// The user opened the sign-in link.
    SignIn,
    /// Time to check whether the user has signed in.
    SignInCheck,
    /// The edge answered the sign-in check.
    SessionChecked(u64, Result<ServerList, ApiError>),
    /// The page got the focus back, perhaps after the user signed in in another window.
    WindowFocused,
    /// Send the draft.
    Send,
    /// Stop the answer being streamed.
    Stop,
    /// Send the failed last question again.
    Retry,
    /// Forget the conversation.
    NewChat,
    /// The user allowed or denied a tool call.
    Decide {
        /// The approval request's id.
        id: String,
        /// Allowed.
        approve: bool,
    },
    /// Show a tool result in full.
    ShowAll(String),
    /// Scroll to the latest message.
    Jump,
    /// The log was scrolled.
    Scrolled,
    /// The draft changed.
    DraftChanged,
    /// Escape was pressed.
    Escape,
    /// Open or close the launcher's panel.
    Toggle,
    /// Open the launcher's panel (host API `open()`).
    Open,
    /// Close the launcher's panel (host API `close()`).
    Close,
    /// Send this text (host API `send(text)`).
    HostSend(String),
    /// The visual viewport is this tall now (`.0`), this far from the layout viewport's top (`.1`).
    Viewport(i32, i32),
    /// The page is going away (`pagehide`): abort the answer's request, so the provider stops,
    /// and save now. The answer keeps its text and comes back as interrupted (retryable).
    PageHidden,
    /// The element left the document: save now, so an element that takes its place (a framework
    /// re-rendering the page) restores the conversation as it is at this moment.
    Detached,
    /// The element is back in the document after a move.
    Attached,
    /// Chat request `request` was turned away for want of capacity and will be sent again.
    ChatBusy {
        /// Which request.
        request: u64,
    },
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
    store: RefCell<Store>,
    queue: RefCell<VecDeque<Msg>>,
    handling: Cell<bool>,
    next_id: Cell<u64>,
    tasks: RefCell<[Option<Task>; N_SLOTS]>,
    sign_in_watch: RefCell<Option<(Interval, f64)>>,
    /// The subject of the user whose conversation is shown; `None` before the edge named one.
    owner: RefCell<Option<String>>,
    /// Send the question a 401 refused again once `/api/me` names the same user.
    retry_after_me: Cell<bool>,
    connecting: Cell<bool>,
    open: Cell<bool>,
    chat_dirty: Cell<bool>,
    last_save: Cell<f64>,
}

impl Controller {
    /// Builds the view in `host`'s shadow root, starts listening and loads the signed-in
    /// user (whose saved conversation is then restored) and the server and model lists.
    pub(crate) fn mount(host: HtmlElement) -> Result<Rc<Self>, MountError> {
        let view = View::mount(&host)?;
        dom::set_opt(&host, "data-ready", None);
        let store = Store::closed();
        let controller = Rc::new_cyclic(|me: &Weak<Self>| Self {
            _listeners: input::listen(me, view.events_root(), view.log()),
            host,
            me: me.clone(),
            view: RefCell::new(view),
            state: RefCell::new(ChatState {
                can_disconnect: true,
                ..ChatState::default()
            }),
            store: RefCell::new(store),
            queue: RefCell::new(VecDeque::new()),
            handling: Cell::new(false),
            next_id: Cell::new(0),
            tasks: RefCell::new(Default::default()),
            sign_in_watch: RefCell::new(None),
            owner: RefCell::new(None),
            retry_after_me: Cell::new(false),
            connecting: Cell::new(false),
            open: Cell::new(false),
            chat_dirty: Cell::new(false),
            last_save: Cell::new(0.0),
        });
        controller.adopt_known_user();
        controller.sync_top_layer();
        controller.dispatch(Msg::LoadServers);
        if let Some(viewport) = web_sys::window().and_then(|w| w.visual_viewport()) {
            let (height, top) = (viewport.height() as i32, viewport.offset_top() as i32);
            controller.dispatch(Msg::Viewport(height, top));
        }
        Ok(controller)
    }

    /// Queues `msg`; unless a message is being handled already, handles the queue, renders,
    /// saves and tells the host page what changed.
    pub(crate) fn dispatch(&self, msg: Msg) {
        self.queue.borrow_mut().push_back(msg);
        if self.handling.replace(true) {
            return;
        }
        loop {
            let before = self.last_outcome();
            loop {
                let next = self.queue.borrow_mut().pop_front();
                let Some(msg) = next else { break };
                self.handle(msg);
            }
            self.render();
            self.persist(false);
            // The host page's listeners may call the API: their messages go round again.
            self.announce(before);
            if self.queue.borrow().is_empty() {
                break;
            }
        }
        self.handling.set(false);
    }

    fn handle(&self, msg: Msg) {
        match msg {
            Msg::AttributeChanged(name) => self.attribute_changed(&name),
            Msg::LoadServers => {
                self.load_me();
                self.load_servers();
                self.load_models();
            }
            Msg::MeLoaded(id, result) => {
                if self.finish(Slot::Me, id) {
                    self.me_arrived(result);
                    self.mark_ready();
                }
            }
            Msg::SignOut => self.sign_out(),
            Msg::ServersLoaded(id, result) => {
                if self.finish(Slot::Servers, id) {
                    self.servers_arrived(result);
                }
            }
            Msg::ModelsLoaded(id, result) => {
                if self.finish(Slot::Models, id) {
                    // No model list (an older edge, or an error): no picker, the edge's default.
                    self.state.borrow_mut().set_models(result.ok());
                }
            }
            Msg::ModelChosen(model) => {
                self.state.borrow_mut().choose_model(&model);
                self.save_prefs();
            }
            Msg::ServerToggled { id, on } => {
                self.state.borrow_mut().select(&id, on);
                self.save_prefs();
            }
            Msg::Disconnect(id) => self.disconnect(id),
            Msg::Disconnected(id, result) => {
                if self.finish(Slot::Disconnect, id) {
                    let mut state = self.state.borrow_mut();
                    match result {
                        Ok(list) => state.servers = Servers::Loaded(list.servers),
                        // An edge without the route (or a failure): no Disconnect buttons.
                        Err(_) => state.can_disconnect = false,
                    }
                }
            }
            Msg::Connecting => self.connecting.set(true),
            Msg::SignIn => self.watch_sign_in(),
            Msg::SignInCheck => self.check_session(),
            Msg::SessionChecked(id, result) => {
                if self.finish(Slot::Session, id) {
                    self.session_checked(result);
                }
            }
            Msg::WindowFocused => {
                if self.connecting.replace(false) {
                    self.load_servers();
                } else if self.signed_out() {
                    self.check_session();
                }
            }
            Msg::Send => self.send_draft(),
            Msg::HostSend(text) => {
                self.set_open(true);
                self.ask(text);
            }
            Msg::Stop => {
                self.view.borrow().keep_focus();
                self.state.borrow_mut().stop();
                self.tasks.borrow_mut()[Slot::Chat as usize] = None;
                self.chat_dirty.set(true);
            }
            Msg::Retry => {
                self.view.borrow().keep_focus();
                let request = self.state.borrow_mut().retry();
                if let Some(request) = request {
                    self.start_chat(request);
                }
            }
            Msg::NewChat => {
                self.tasks.borrow_mut()[Slot::Chat as usize] = None;
                self.state.borrow_mut().clear();
                self.chat_dirty.set(true);
                self.view.borrow().focus_input();
            }
            Msg::Decide { id, approve } => {
                let always = self.view.borrow().always_allow(&id);
                let decided = self.state.borrow_mut().decide(&id, approve, always);
                if decided {
                    self.view.borrow().keep_focus();
                    self.chat_dirty.set(true);
                    self.save_prefs();
                    self.continue_answer();
                }
            }
            Msg::ShowAll(call_id) => self.view.borrow_mut().show_all(&call_id),
            Msg::Jump => self.view.borrow().scroll_to_latest(),
            Msg::Scrolled => self.view.borrow().update_jump(),
            Msg::DraftChanged => self.store.borrow().save_draft(&self.view.borrow().draft()),
            Msg::Escape => {
                if self.state.borrow().is_busy() {
                    self.handle(Msg::Stop);
                } else if self.is_launcher() && self.open.get() {
                    self.set_open(false);
                }
            }
            Msg::Toggle => self.set_open(!self.open.get()),
            Msg::Open => self.set_open(true),
            Msg::Close => self.set_open(false),
            Msg::Viewport(height, top) => self.view.borrow().fit_viewport(&self.host, height, top),
            Msg::PageHidden => {
                let aborted = self.tasks.borrow_mut()[Slot::Chat as usize].take();
                if aborted.is_some() {
                    self.state.borrow_mut().end_of_stream();
                    self.chat_dirty.set(true);
                }
                self.persist(true);
            }
            Msg::Detached => self.persist(true),
            Msg::Attached => self.sync_top_layer(),
            Msg::ChatBusy { request } => {
                if self.is_current(Slot::Chat, request) {
                    self.state.borrow_mut().busy = true;
                }
            }
            Msg::ChatRefused { request, error } => {
                if !self.finish(Slot::Chat, request) {
                    return;
                }
                if error.code == ErrorCode::Unauthorized {
                    self.signed_out_now();
                }
                let question = self.state.borrow_mut().refuse(error);
                if let Some(question) = question {
                    self.view.borrow().restore_draft(&question);
                }
                self.chat_dirty.set(true);
            }
            Msg::StreamEvents { request, events } => {
                if !self.is_current(Slot::Chat, request) {
                    return;
                }
                let mut state = self.state.borrow_mut();
                for event in events {
                    state.apply(event);
                }
                let ended = !state.is_busy();
                drop(state);
                self.chat_dirty.set(true);
                if ended {
                    self.finish(Slot::Chat, request);
                    self.continue_answer();
                }
            }
            Msg::StreamEnded { request } => {
                if self.finish(Slot::Chat, request) {
                    self.state.borrow_mut().end_of_stream();
                    self.chat_dirty.set(true);
                }
            }
        }
    }

    fn attribute_changed(&self, name: &str) {
        match name {
            "endpoint" => {
                self.persist(true);
                for task in self.tasks.borrow_mut().iter_mut() {
                    *task = None;
                }
                // Another edge: who is signed in there decides what is restored.
                *self.store.borrow_mut() = Store::closed();
                self.owner.replace(None);
                *self.state.borrow_mut() = ChatState {
                    can_disconnect: true,
                    ..ChatState::default()
                };
                self.view.borrow_mut().reset_log();
                self.handle(Msg::LoadServers);
            }
            "mode" => {
                self.open.set(false);
                self.sync_top_layer();
            }
            // `title`, `placeholder`, `theme` and `locale` are read when rendering.
            _ => {}
        }
    }

    /// Takes the saved conversation, draft and preferences from the store, where the user has
    /// not started new ones since the page loaded.
    fn restore(&self) {
        let store = self.store.borrow();
        let prefs = store.prefs();
        let mut state = self.state.borrow_mut();
        if state.exchanges.is_empty() {
            state.exchanges = store.exchanges();
        }
        if state.selected.is_empty() {
            state.selected = prefs.selected;
        }
        if state.model.is_none() {
            state.model = prefs.model;
        }
        if state.always_allowed.is_empty() {
            state.always_allowed = prefs.always_allowed;
        }
        self.view.borrow().restore_draft(&store.draft());
    }

    fn send_draft(&self) {
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
        self.state.borrow_mut().selected = selected;
        self.store.borrow().save_draft("");
        self.ask(question.to_owned());
    }

    fn ask(&self, question: String) {
        if self.state.borrow().is_busy() {
            return;
        }
        self.emit(
            "message",
            &[
                ("role", "user".into()),
                ("content", question.as_str().into()),
            ],
        );
        let request = self.state.borrow_mut().ask(question);
        self.save_prefs();
        self.start_chat(request);
    }

    /// Sends the decisions once every open approval of the last answer is decided.
    fn continue_answer(&self) {
        let request = self.state.borrow_mut().continuation();
        if let Some(request) = request {
            self.start_chat(request);
        }
    }

    fn start_chat(&self, chat_request: ChatRequest) {
        self.chat_dirty.set(true);
        let endpoint = self.endpoint();
        let me = self.me.clone();
        self.spawn(Slot::Chat, move |id, signal| {
            run_chat(me, id, endpoint, chat_request, signal)
        });
    }

    /// Runs the future made by `make` as the task of `slot`, replacing (aborting) the previous.
    fn spawn<F, Fut>(&self, slot: Slot, make: F)
    where
        F: FnOnce(u64, web_sys::AbortSignal) -> Fut,
        Fut: std::future::Future<Output = ()> + 'static,
    {
        let id = self.next_id.get() + 1;
        self.next_id.set(id);
        // The previous task is dropped (aborted) before the new one starts.
        self.tasks.borrow_mut()[slot as usize] = None;
        let task = Task::spawn(id, |signal| make(id, signal));
        self.tasks.borrow_mut()[slot as usize] = Some(task);
    }

    fn is_current(&self, slot: Slot, id: u64) -> bool {
        self.tasks.borrow()[slot as usize]
            .as_ref()
            .is_some_and(|task| task.id == id)
    }

    /// Ends task `id` of `slot`; false when it is not the current one (its message is stale).
    /// Aborting a request that has ended does nothing, so the task is simply dropped.
    fn finish(&self, slot: Slot, id: u64) -> bool {
        let current = self.is_current(slot, id);
        if current {
            self.tasks.borrow_mut()[slot as usize] = None;
        }
        current
    }

    fn render(&self) {
        let settings = self.settings();
        self.view
            .borrow_mut()
            .render(&self.state.borrow(), &settings);
    }

    /// Saves the conversation when it changed: at once when idle, at most every
    /// [`SAVE_EVERY_MS`] while an answer streams, and always when `force`d.
    fn persist(&self, force: bool) {
        if !self.chat_dirty.get() {
            return;
        }
        let state = self.state.borrow();
        if !force && state.is_busy() && now() - self.last_save.get() < SAVE_EVERY_MS {
            return;
        }
        self.store.borrow().save_exchanges(&state.exchanges);
        self.chat_dirty.set(false);
        self.last_save.set(now());
    }

    fn save_prefs(&self) {
        let state = self.state.borrow();
        self.store.borrow().save_prefs(&Prefs {
            selected: state.selected.clone(),
            model: state.model.clone(),
            always_allowed: state.always_allowed.clone(),
        });
    }

    fn endpoint(&self) -> String {
        self.host.get_attribute("endpoint").unwrap_or_default()
    }
}
