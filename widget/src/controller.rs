//! The message loop of one `<pomerium-chat>` instance: messages in, [`update()`] called, effects
//! run, the [`View`] rendered.
//!
//! Everything that can happen to an instance is a [`Msg`]. The [`Controller`] queues messages
//! and handles them one at a time: it adds what only the DOM knows (which attribute changed to
//! what), calls the pure [`update()`], aborts the requests the state no longer wants, and runs the
//! [`Effect`]s in order. Once the queue is empty it renders the [`View`] from the [`ChatState`],
//! saves what changed, and tells the host page how an answer ended. A message sent while another
//! is handled waits in the queue, so no handler re-enters a borrow.
//!
//! The controller owns every resource of its instance as a field: the DOM listeners, the
//! requests in flight and the sign-in timer. Dropping it removes the listeners and aborts the
//! requests, and futures hold only a weak reference, so nothing outlives the instance.
//!
//! | module | owns |
//! |---|---|
//! | [`input`] | the listeners, and DOM events into messages |
//! | [`apps`] | the MCP App views' messages, posts to them, their tool calls |
//! | [`tasks`] | requests in flight, the chat stream, timers |
//! | [`requests`] | starting each kind of request, and the message its answer becomes |
//! | [`host`] | the host API, events to the page, the top layer, settings |
//! | [`identity`] | whom the edge named in this page, storage per user |

mod apps;
mod files;
pub(crate) mod host;
mod identity;
mod input;
mod requests;
mod tasks;

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::{Rc, Weak};

use web_sys::HtmlElement;

use crate::dom::{self, Listener};
use crate::state::ChatState;
use crate::state::requests::N_SLOTS;
use crate::storage::{Prefs, Store};
pub(crate) use crate::update::Msg;
use crate::update::{self, Effect, Focus, SIGN_IN_POLL_MS, update};
use crate::view::{MountError, View};
use tasks::{Interval, Task, after_next_frame, now, send};

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
    /// The fetch of each slot's current request (see [`crate::state::Requests`]).
    tasks: RefCell<[Option<Task>; N_SLOTS]>,
    sign_in_watch: RefCell<Option<Interval>>,
    last_save: Cell<f64>,
}

impl Controller {
    /// Builds the view in `host`'s shadow root, starts listening and loads the signed-in
    /// user (whose saved conversation is then restored) and the server and model lists.
    pub(crate) fn mount(host: HtmlElement) -> Result<Rc<Self>, MountError> {
        let view = View::mount(&host)?;
        dom::set_opt(&host, "data-ready", None);
        let launcher = host::is_launcher(&host);
        let controller = Rc::new_cyclic(|me: &Weak<Self>| Self {
            _listeners: input::listen(me, view.events_root(), view.log(), view.composer())
                .into_iter()
                .chain(apps::listen(me))
                .collect(),
            host,
            me: me.clone(),
            view: RefCell::new(view),
            state: RefCell::new(ChatState::fresh(launcher)),
            store: RefCell::new(Store::closed()),
            queue: RefCell::new(VecDeque::new()),
            handling: Cell::new(false),
            tasks: RefCell::new(Default::default()),
            sign_in_watch: RefCell::new(None),
            last_save: Cell::new(0.0),
        });
        if let Some(user) = identity::known(&controller.endpoint()) {
            controller
                .queue
                .borrow_mut()
                .push_back(Msg::KnownUser(user));
        }
        controller.sync_top_layer();
        controller.dispatch(Msg::LoadServers);
        // The launcher's panel fits the visual viewport (styles fall back to `100dvh` until
        // then). Reading it forces a layout: at start, after the first frame, when the
        // frame's layout is there to read, rather than in the middle of building the shadow
        // tree (profiled: ~7 ms of the start on the bench machine).
        let me = Rc::downgrade(&controller);
        after_next_frame(move || {
            let viewport = web_sys::window().and_then(|w| w.visual_viewport());
            if let (Some(me), Some(viewport)) = (me.upgrade(), viewport) {
                let (height, top) = (viewport.height() as i32, viewport.offset_top() as i32);
                me.dispatch(Msg::Viewport(height, top));
            }
        });
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
            let before = update::last_outcome(&self.state.borrow());
            loop {
                let next = self.queue.borrow_mut().pop_front();
                let Some(msg) = next else { break };
                self.handle(msg);
            }
            self.render();
            self.persist(false);
            // The host page's listeners may call the API: their messages go round again.
            let announcement = update::announcement(before, &self.state.borrow());
            if let Some(event) = announcement {
                self.emit(event);
            }
            if self.queue.borrow().is_empty() {
                break;
            }
        }
        self.handling.set(false);
    }

    /// Updates the state with `msg`, drops the requests it no longer wants, runs the effects.
    fn handle(&self, msg: Msg) {
        let msg = self.observe(msg);
        let effects = update(&mut self.state.borrow_mut(), msg);
        self.drop_stale_tasks();
        for effect in effects {
            self.run(effect);
        }
    }

    /// Adds to `msg` what only the element knows.
    fn observe(&self, msg: Msg) -> Msg {
        match msg {
            Msg::AttributeChanged(name) => match name.as_str() {
                "endpoint" => Msg::EndpointChanged,
                "mode" => Msg::ModeChanged(host::is_launcher(&self.host)),
                _ => Msg::AttributeChanged(name),
            },
            msg => msg,
        }
    }

    /// Aborts every request that is not its slot's current one any more.
    fn drop_stale_tasks(&self) {
        let state = self.state.borrow();
        let mut tasks = self.tasks.borrow_mut();
        for (slot, task) in tasks.iter_mut().enumerate() {
            let current = state.requests.current_at(slot);
            if task.as_ref().is_some_and(|task| Some(task.id) != current) {
                *task = None;
            }
        }
    }

    fn run(&self, effect: Effect) {
        match effect {
            Effect::Start { id, request } => self.start(id, request),
            Effect::SaveChatNow => self.persist(true),
            Effect::ReadFile(id) => files::read(&self.me, id),
            Effect::SaveChat(thread, exchanges) => {
                self.store.borrow().save_exchanges(&thread, &exchanges);
            }
            Effect::LoadThread(thread) => {
                let exchanges = self.store.borrow().exchanges(&thread);
                self.handle(Msg::ThreadLoaded(thread, exchanges));
            }
            Effect::DropThread(thread) => self.store.borrow().drop_thread(&thread),
            Effect::SavePrefs => self.save_prefs(),
            Effect::SaveDraft(draft) => self.store.borrow().save_draft(&draft),
            Effect::SaveComposerDraft => {
                self.store.borrow().save_draft(&self.view.borrow().draft())
            }
            Effect::SetDraft(draft) => self.view.borrow().set_draft(&draft),
            Effect::Copy(text) => input::write_clipboard(&text),
            Effect::RestoreDraft(draft) => self.view.borrow().restore_draft(&draft),
            Effect::Emit(event) => self.emit(event),
            Effect::Focus(Focus::Input) => self.view.borrow().focus_input(),
            Effect::Focus(Focus::KeepInput) => self.view.borrow().keep_focus(),
            Effect::Focus(Focus::Launcher) => self.view.borrow().focus_launcher(),
            Effect::Focus(Focus::ThreadsToggle) => self.view.borrow().focus_threads_toggle(),
            Effect::Focus(Focus::PromptForm) => self.view.borrow().focus_prompt_form(),
            Effect::Focus(Focus::Log) => self.view.borrow().focus_log(),
            Effect::Render => self.render(),
            Effect::ScrollToLatest => self.view.borrow().scroll_to_latest(),
            Effect::UpdateJump => self.view.borrow().update_jump(),
            Effect::ShowAll(call_id) => self.view.borrow_mut().show_all(&call_id),
            Effect::OpenLink(url) => tasks::open_link(&url),
            Effect::FitViewport(height, top) => {
                self.view.borrow().fit_viewport(&self.host, height, top);
            }
            Effect::ResetLog => self.view.borrow_mut().reset_log(),
            Effect::MarkReady => dom::set(&self.host, "data-ready", "true"),
            Effect::SyncTopLayer => self.sync_top_layer(),
            Effect::WatchSignIn => {
                let me = self.me.clone();
                let interval = Interval::new(SIGN_IN_POLL_MS, move || send(&me, Msg::SignInCheck));
                *self.sign_in_watch.borrow_mut() = interval;
            }
            Effect::StopSignInWatch => drop(self.sign_in_watch.borrow_mut().take()),
            Effect::Remember(user) => identity::remember(&self.endpoint(), user.as_ref()),
            Effect::CloseStore => *self.store.borrow_mut() = Store::closed(),
            Effect::ClaimStore(subject) => {
                *self.store.borrow_mut() = Store::claim(&self.endpoint(), &subject);
            }
            Effect::ForgetStore => {
                Store::forget(&self.endpoint());
                *self.store.borrow_mut() = Store::closed();
            }
            Effect::CancelAnswer(handle) => {
                let endpoint = self.endpoint();
                wasm_bindgen_futures::spawn_local(async move {
                    // Best effort: the answer is stopped here either way.
                    let _ = crate::api::cancel_answer(&endpoint, &handle).await;
                });
            }
            Effect::ResumeLater(ms) => {
                let me = self.me.clone();
                wasm_bindgen_futures::spawn_local(async move {
                    crate::api::busy::pause(ms as i32).await;
                    tasks::send(&me, Msg::ResumeNow);
                });
            }
            Effect::Restore => {
                let saved = identity::saved(&self.store.borrow());
                self.handle(Msg::Restored(saved));
            }
            Effect::ToApp(call_id, message) => self.post_to_app(&call_id, &message),
            Effect::AppToolCall {
                call_id,
                id,
                handle,
                name,
                arguments,
            } => {
                let body = crate::app_bridge::app_body(&handle, &name, &arguments);
                self.app_tool_call(call_id, id, body);
            }
        }
    }

    fn render(&self) {
        let state = self.state.borrow();
        let settings = self.settings(&state);
        self.view.borrow_mut().render(&state, &settings);
    }

    /// Saves the conversation when [`update::save_due`] says so.
    fn persist(&self, force: bool) {
        let mut state = self.state.borrow_mut();
        if !update::save_due(&state, force, now() - self.last_save.get()) {
            return;
        }
        let store = self.store.borrow();
        store.save_exchanges(&state.threads.current, &state.exchanges);
        store.save_threads(&state.threads);
        state.unsaved = false;
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
