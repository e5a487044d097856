//! Every rule of an instance, as one pure function: [`update`] takes the [`ChatState`] and a
//! [`Msg`], changes the state, and returns the [`Effect`]s to run.
//!
//! Nothing here touches the DOM, the network, storage or the clock, so each rule (send, stop,
//! retry, Escape, focus moves, the sign-in watch, the selection, "always allow", a busy edge,
//! errors that keep the question and the partial answer, who is signed in) is tested natively
//! in its `tests` module. The controller ([`crate::controller`]) only queues messages, calls
//! [`update`], runs the effects and renders. Requests are state too
//! ([`crate::state::Requests`]): a message from a request that is no longer current is dropped
//! here, and the controller aborts any fetch whose request is not current any more.
//!
//! | module | owns |
//! |---|---|
//! | [`msg`] | [`Msg`], [`Effect`], [`Request`], [`HostEvent`], [`Focus`] |
//! | [`session`] | who is signed in: the sign-in watch, `/api/me`, a 401, Sign out |
//! | [`app`] | the MCP Apps bridge: a view's requests, tool calls, size and links |
//! | [`attach`] | files attached to the draft, and the hosted tool toggles |
//! | [`edit`] | edit a sent question, regenerate the last answer, copy an answer |
//! | [`prompts`] | the servers' prompts as `/` commands in the composer |
//! | [`resume`] | continue an answer whose stream broke off, where the edge allows it |

mod app;
mod attach;
mod edit;
mod elicit;
pub(crate) mod msg;
mod prompts;
mod resume;
mod session;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_app;
#[cfg(test)]
mod tests_edit;
#[cfg(test)]
mod tests_resume;
#[cfg(test)]
mod tests_threads;
#[cfg(test)]
mod tests_window;

use protocol::{ApiError, ChatRequest, ErrorCode, ServerList};

use crate::state::{AnswerStatus, ChatState, Servers, Slot};
pub(crate) use edit::{accepts_host_edit, accepts_regenerate};
pub(crate) use msg::{Effect, Focus, HostEvent, Msg, Request, Saved};
pub(crate) use session::signed_out;
use session::{check_session, me_arrived, restore, session_checked, sign_out, signed_out_now};

/// How often a signed-out widget checks whether the user has signed in (in the popup).
pub(crate) const SIGN_IN_POLL_MS: i32 = 1500;
/// How many checks it makes before it gives up (five minutes).
pub(crate) const SIGN_IN_CHECKS: u32 = 5 * 60 * 1000 / SIGN_IN_POLL_MS as u32;

/// How often a streaming answer is saved at most.
const SAVE_EVERY_MS: f64 = 1000.0;

/// Handles `msg`: changes `state` and returns what to do, in order.
pub(crate) fn update(state: &mut ChatState, msg: Msg) -> Vec<Effect> {
    let mut fx = Vec::new();
    step(state, msg, &mut fx);
    fx
}

/// Whether the host API's `send(text)` is taken: some text, and no answer on its way.
pub(crate) fn accepts_host_send(state: &ChatState, text: &str) -> bool {
    !text.trim().is_empty() && !state.is_busy()
}

/// Whether to save the conversation now, `since_save_ms` after the last save: when it changed,
/// at once when idle, at most every [`SAVE_EVERY_MS`] while an answer streams, and always when
/// `force`d.
pub(crate) fn save_due(state: &ChatState, force: bool, since_save_ms: f64) -> bool {
    state.unsaved && (force || !state.is_busy() || since_save_ms >= SAVE_EVERY_MS)
}

/// The last answer's place and status, and its thread, to compare before and after a batch of
/// messages.
pub(crate) fn last_outcome(state: &ChatState) -> Option<(usize, AnswerStatus, String)> {
    let n = state.exchanges.len();
    let thread = state.threads.current.clone();
    state
        .exchanges
        .last()
        .map(|e| (n, e.answer.status.clone(), thread))
}

/// What to tell the host page about the last answer, when it ended since `before` (in the same
/// thread: another thread's answer shown by a switch ended long ago).
pub(crate) fn announcement(
    before: Option<(usize, AnswerStatus, String)>,
    state: &ChatState,
) -> Option<HostEvent> {
    let after = last_outcome(state);
    if after == before {
        return None;
    }
    if let (Some((_, _, was)), Some((_, _, now))) = (&before, &after)
        && !was.is_empty()
        && was != now
    {
        return None;
    }
    let answer = &state.exchanges.last()?.answer;
    let request_id = answer.request_id.clone();
    let status = match &answer.status {
        AnswerStatus::Complete => "complete",
        AnswerStatus::Stopped => "stopped",
        AnswerStatus::AwaitingApproval => "approval",
        AnswerStatus::Failed(error) => {
            let error = error.clone();
            return Some(HostEvent::Error { error, request_id });
        }
        AnswerStatus::Streaming => return None,
    };
    Some(HostEvent::Answer {
        text: answer.text.clone(),
        status,
        request_id,
        usage: answer.usage,
    })
}

pub(super) fn step(state: &mut ChatState, msg: Msg, fx: &mut Vec<Effect>) {
    match msg {
        // `title`, `placeholder`, `theme` and `locale` are read when rendering.
        Msg::AttributeChanged(_) => {}
        Msg::EndpointChanged => {
            if state.unsaved {
                let thread = state.threads.current.clone();
                fx.push(Effect::SaveChat(
                    thread,
                    std::mem::take(&mut state.exchanges),
                ));
            }
            // Another edge: who is signed in there decides what is restored.
            fx.push(Effect::CloseStore);
            let (launcher, open) = (state.launcher, state.open);
            *state = ChatState {
                open,
                ..ChatState::fresh(launcher)
            };
            fx.push(Effect::ResetLog);
            step(state, Msg::LoadServers, fx);
        }
        Msg::ModeChanged(launcher) => {
            state.launcher = launcher;
            state.open = false;
            fx.push(Effect::SyncTopLayer);
        }
        Msg::KnownUser(user) => {
            state.owner = Some(user.subject.clone());
            fx.push(Effect::ClaimStore(user.subject.clone()));
            state.user = Some(user);
            fx.push(Effect::Restore);
        }
        Msg::Restored(saved) => restore(state, saved, fx),
        Msg::LoadServers => {
            start(state, Request::Me, fx);
            load_servers(state, fx);
            start(state, Request::Models, fx);
        }
        Msg::MeLoaded(id, result) => {
            if state.requests.finish(Slot::Me, id) {
                me_arrived(state, result, fx);
                mark_ready(state, fx);
            }
        }
        Msg::SignOut => sign_out(state, fx),
        Msg::ServersLoaded(id, result) => {
            if state.requests.finish(Slot::Servers, id) {
                servers_arrived(state, result, fx);
            }
        }
        Msg::ModelsLoaded(id, result) => {
            if state.requests.finish(Slot::Models, id) {
                // No model list (an older edge, or an error): no picker, the edge's default.
                state.set_models(result.ok());
            }
        }
        Msg::ModelChosen(model) => {
            state.choose_model(&model);
            fx.push(Effect::SavePrefs);
        }
        Msg::ServerToggled { id, on } => {
            state.select(&id, on);
            fx.push(Effect::SavePrefs);
        }
        Msg::Disconnect(server) => start(state, Request::Disconnect(server), fx),
        Msg::Disconnected(id, result) => {
            if state.requests.finish(Slot::Disconnect, id) {
                match result {
                    Ok(list) => state.servers = Servers::Loaded(list.servers),
                    // An edge without the route (or a failure): no Disconnect buttons.
                    Err(_) => state.can_disconnect = false,
                }
            }
        }
        Msg::Connecting => state.connecting = true,
        Msg::SignIn => {
            state.sign_in_checks = Some(SIGN_IN_CHECKS);
            fx.push(Effect::WatchSignIn);
        }
        Msg::SignInCheck => check_session(state, fx),
        Msg::SessionChecked(id, result) => {
            if state.requests.finish(Slot::Session, id) {
                session_checked(state, result, fx);
            }
        }
        Msg::WindowFocused => {
            if state.connecting {
                state.connecting = false;
                load_servers(state, fx);
            } else if signed_out(state) {
                check_session(state, fx);
            }
        }
        Msg::Send(_) if prompts::menu_open(state) => prompts::pick(state, None, fx),
        Msg::Send(draft) => {
            let question = draft.trim();
            if state.is_busy() || question.is_empty() || attach::reading(state) {
                return;
            }
            fx.push(Effect::SetDraft(String::new()));
            fx.push(Effect::Focus(Focus::Input));
            fx.push(Effect::SaveDraft(String::new()));
            match state.editing {
                Some(index) => edit::edit(state, index, question.to_owned(), fx),
                None => ask(state, question.to_owned(), fx),
            }
        }
        Msg::AttachFiles(files) => attach::files(state, files, fx),
        Msg::FileRead { id, data } => attach::read(state, id, data, fx),
        Msg::RemoveAttachment(index) => attach::remove(state, index, fx),
        Msg::HostedToolToggled { name, on } => attach::toggle_hosted(state, name, on, fx),
        Msg::Edit(index) => edit::start_edit(state, index, fx),
        Msg::CancelEdit => edit::cancel_edit(state, fx),
        Msg::HostEdit { index, text } => {
            set_open(state, true, fx);
            edit::edit(state, index, text, fx);
        }
        Msg::Regenerate => edit::regenerate(state, fx),
        Msg::Copy { index, host } => edit::copy(state, index, host, fx),
        Msg::HostSend(text) => {
            set_open(state, true, fx);
            ask(state, text, fx);
        }
        Msg::Stop => {
            fx.push(Effect::Focus(Focus::KeepInput));
            resume::stopped(state, fx);
            state.stop();
            state.requests.cancel(Slot::Chat);
            state.unsaved = true;
        }
        Msg::Retry => {
            fx.push(Effect::Focus(Focus::KeepInput));
            if let Some(request) = state.retry() {
                start_chat(state, request, fx);
            }
        }
        Msg::NewChat => {
            state.requests.cancel(Slot::Chat);
            leave_thread(state, fx);
            state.new_thread();
            state.unsaved = true;
            fx.push(Effect::Focus(Focus::Input));
        }
        Msg::ToggleThreads => state.threads_open = !state.threads_open,
        Msg::SwitchThread(id) => {
            if id == state.threads.current || !state.threads.has(&id) {
                return;
            }
            if state.is_busy() {
                step(state, Msg::Stop, fx);
            }
            leave_thread(state, fx);
            state.switch_thread(&id);
            state.unsaved = true;
            fx.push(Effect::ResetLog);
            fx.push(Effect::LoadThread(id));
        }
        Msg::ThreadLoaded(id, exchanges) => {
            if id == state.threads.current && state.exchanges.is_empty() {
                state.exchanges = exchanges;
            }
        }
        Msg::RenameThread { id, title } => {
            if state.rename_thread(&id, &title) {
                state.unsaved = true;
            }
        }
        Msg::DeleteThread(id) => {
            let current = id == state.threads.current;
            if current && state.is_busy() {
                step(state, Msg::Stop, fx);
                state.requests.cancel(Slot::Chat);
            }
            if state.delete_thread(&id) {
                state.unsaved = true;
                fx.push(Effect::DropThread(id));
                if current {
                    fx.push(Effect::ResetLog);
                }
            }
        }
        Msg::AlwaysToggled { id, on } => {
            state.always_ticked.retain(|ticked| *ticked != id);
            if on {
                state.always_ticked.push(id);
            }
        }
        Msg::Decide { id, approve } => {
            let always = state.always_ticked.contains(&id);
            if state.decide(&id, approve, always) {
                state.always_ticked.retain(|ticked| *ticked != id);
                fx.push(Effect::Focus(Focus::KeepInput));
                state.unsaved = true;
                fx.push(Effect::SavePrefs);
                continue_answer(state, fx);
            }
        }
        Msg::Elicit { id, action, values } => elicit::answer(state, &id, action, &values, fx),
        Msg::ShowAll(call_id) => fx.push(Effect::ShowAll(call_id)),
        Msg::Jump => fx.push(Effect::ScrollToLatest),
        Msg::ShowEarlier => {
            state.show_earlier();
            if state.first_shown() == 0 {
                fx.push(Effect::Focus(Focus::Log));
            }
        }
        Msg::Scrolled => fx.push(Effect::UpdateJump),
        Msg::DraftChanged(draft) => {
            fx.extend(prompts::draft_changed(state, &draft));
            fx.push(Effect::SaveDraft(draft));
        }
        Msg::MenuMove(by) => prompts::move_active(state, by),
        Msg::PromptPicked(index) => prompts::pick(state, Some(index), fx),
        Msg::PromptSubmit(values) => prompts::submit(state, values, fx),
        Msg::PromptCancel => {
            prompts::close(state);
            fx.push(Effect::Focus(Focus::Input));
        }
        Msg::PromptsLoaded(id, result) => prompts::listed(state, id, result),
        Msg::PromptFetched(id, result) => prompts::fetched(state, id, result, fx),
        Msg::Escape => {
            // The innermost thing closes first: an open list of chats, then a running answer,
            // then an edit, then the launcher.
            if prompts::close(state) {
                fx.push(Effect::Focus(Focus::Input));
            } else if state.threads_open {
                state.threads_open = false;
                fx.push(Effect::Render);
                fx.push(Effect::Focus(Focus::ThreadsToggle));
            } else if state.is_busy() {
                step(state, Msg::Stop, fx);
            } else if state.editing.is_some() {
                edit::cancel_edit(state, fx);
            } else if state.launcher && state.open {
                set_open(state, false, fx);
            }
        }
        Msg::Toggle => set_open(state, !state.open, fx),
        Msg::Open => set_open(state, true, fx),
        Msg::Close => set_open(state, false, fx),
        Msg::Viewport(height, top) => fx.push(Effect::FitViewport(height, top)),
        Msg::PageHidden => {
            if state.requests.cancel(Slot::Chat) {
                state.end_of_stream();
                state.unsaved = true;
            }
            fx.push(Effect::SaveChatNow);
        }
        Msg::Detached => fx.push(Effect::SaveChatNow),
        Msg::Attached => fx.push(Effect::SyncTopLayer),
        Msg::ChatBusy { request } => {
            if state.requests.is_current(Slot::Chat, request) {
                state.busy = true;
            }
        }
        Msg::ChatRefused { request, error } => {
            if !state.requests.finish(Slot::Chat, request) || resume::refused(state, &error, fx) {
                return;
            }
            if error.code == ErrorCode::Unauthorized {
                signed_out_now(state, fx);
            }
            if let Some(question) = state.refuse(error) {
                fx.push(Effect::RestoreDraft(question));
            }
            state.unsaved = true;
        }
        Msg::StreamEvents { request, events } => {
            if !state.requests.is_current(Slot::Chat, request) {
                return;
            }
            for event in events {
                state.apply(event);
            }
            state.unsaved = true;
            if !state.is_busy() {
                state.requests.finish(Slot::Chat, request);
                continue_answer(state, fx);
            }
        }
        Msg::StreamEnded { request } => {
            if state.requests.finish(Slot::Chat, request) {
                state.end_of_stream();
                state.unsaved = true;
            }
        }
        Msg::FromApp(call_id, message) => app::from_app(state, call_id, message, fx),
        Msg::AppToolDone {
            call_id,
            id,
            result,
        } => app::tool_done(state, call_id, id, result, fx),
        Msg::AppLink { call_id, open } => app::link_decided(state, call_id, open, fx),
        Msg::StreamBroken { request, cursor } => resume::broken(state, request, cursor, fx),
        Msg::ResumeNow | Msg::Online => resume::now(state, fx),
    }
}

/// Starts `request` in its slot, replacing the one there.
pub(super) fn start(state: &mut ChatState, request: Request, fx: &mut Vec<Effect>) {
    let id = state.requests.start(request.slot());
    fx.push(Effect::Start { id, request });
}

fn start_chat(state: &mut ChatState, request: ChatRequest, fx: &mut Vec<Effect>) {
    state.unsaved = true;
    state.resumes = 0;
    start(state, Request::Chat(request), fx);
}

pub(super) fn load_servers(state: &mut ChatState, fx: &mut Vec<Effect>) {
    state.servers = Servers::Loading;
    start(state, Request::Servers, fx);
}

/// Asks `question` with the selected servers, unless an answer is on its way.
fn ask(state: &mut ChatState, question: String, fx: &mut Vec<Effect>) {
    ask_with(state, question.clone(), fx, |state| {
        Some(state.ask(question))
    });
}

/// Tells the page about `question` and sends the request `build` makes of the state, unless an
/// answer is on its way.
fn ask_with(
    state: &mut ChatState,
    question: String,
    fx: &mut Vec<Effect>,
    build: impl FnOnce(&mut ChatState) -> Option<ChatRequest>,
) {
    if state.is_busy() {
        return;
    }
    fx.push(Effect::Emit(HostEvent::Question(question.clone())));
    if let Some(request) = build(state) {
        for dropped in state.touch_thread(&question) {
            fx.push(Effect::DropThread(dropped));
        }
        fx.push(Effect::SavePrefs);
        start_chat(state, request, fx);
    }
}

/// Saves the shown conversation before another one is shown (the state forgets it next).
fn leave_thread(state: &mut ChatState, fx: &mut Vec<Effect>) {
    let exchanges = std::mem::take(&mut state.exchanges);
    if state.unsaved {
        let thread = state.threads.current.clone();
        fx.push(Effect::SaveChat(thread, exchanges));
    }
}

/// Sends the decisions once every open approval (and question) of the last answer is decided.
pub(super) fn continue_answer(state: &mut ChatState, fx: &mut Vec<Effect>) {
    if let Some(request) = state.continuation() {
        start_chat(state, request, fx);
    }
}

/// Opens or closes the launcher's panel (inline: opening focuses the composer), telling the
/// page and moving the focus.
fn set_open(state: &mut ChatState, open: bool, fx: &mut Vec<Effect>) {
    if !state.launcher || open == state.open {
        if open {
            fx.push(Effect::Focus(Focus::Input));
        }
        return;
    }
    state.open = open;
    fx.push(Effect::Emit(if open {
        HostEvent::Open
    } else {
        HostEvent::Close
    }));
    // Render first so the element to focus is shown.
    fx.push(Effect::Render);
    if open {
        fx.push(Effect::Focus(Focus::Input));
        fx.push(Effect::ScrollToLatest);
    } else {
        fx.push(Effect::Focus(Focus::Launcher));
    }
}

/// The server list arrived (or failed); the host is ready either way.
pub(super) fn servers_arrived(
    state: &mut ChatState,
    result: Result<ServerList, ApiError>,
    fx: &mut Vec<Effect>,
) {
    state.servers = match result {
        Ok(list) => Servers::Loaded(list.servers),
        Err(error) => {
            if error.code == ErrorCode::Unauthorized {
                signed_out_now(state, fx);
            }
            fx.push(Effect::Emit(HostEvent::Error {
                error: error.clone(),
                request_id: None,
            }));
            Servers::Failed(error)
        }
    };
    mark_ready(state, fx);
}

/// The host is ready once the server list and the signed-in user are both settled (loaded or
/// failed): what can be restored is then shown.
fn mark_ready(state: &ChatState, fx: &mut Vec<Effect>) {
    let settled =
        !matches!(state.servers, Servers::Loading) && state.requests.current(Slot::Me).is_none();
    if settled {
        fx.push(Effect::MarkReady);
    }
}
