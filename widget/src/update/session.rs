//! Who is signed in: the sign-in watch, `/api/me`'s answer, a 401, Sign out.
//!
//! Storage follows the user the edge names: nothing is stored until it named one; the first name
//! restores that user's conversation, draft and preferences; another name than the one whose
//! conversation is shown clears what is shown; a 401 or Sign out forgets everything stored.
//! After the user signs in (in a popup, watched by checking `/api/servers`), the question a 401
//! refused is sent again only when the same user signed back in.

use protocol::{ApiError, ErrorCode, Identity, ServerList};

use crate::state::{AnswerStatus, ChatState, Servers, Slot};
use crate::update::{Effect, Msg, Request, Saved, load_servers, servers_arrived, start, step};

/// Asks whether the session exists now (at most one check in flight); the watch ends after
/// [`crate::update::SIGN_IN_CHECKS`] checks.
pub(super) fn check_session(state: &mut ChatState, fx: &mut Vec<Effect>) {
    match state.sign_in_checks {
        Some(0) => {
            state.sign_in_checks = None;
            fx.push(Effect::StopSignInWatch);
        }
        Some(n) => state.sign_in_checks = Some(n - 1),
        None => {}
    }
    if state.requests.current(Slot::Session).is_some() {
        return;
    }
    start(state, Request::Session, fx);
}

/// Any answer but 401 means the session exists: show the list, ask who signed in, and (when it
/// is the same user) send the question the 401 refused again.
pub(super) fn session_checked(
    state: &mut ChatState,
    result: Result<ServerList, ApiError>,
    fx: &mut Vec<Effect>,
) {
    if matches!(&result, Err(e) if e.code == ErrorCode::Unauthorized) {
        return;
    }
    if state.sign_in_checks.take().is_some() {
        fx.push(Effect::StopSignInWatch);
    }
    servers_arrived(state, result, fx);
    state.retry_after_me = last_refused_unauthorized(state);
    start(state, Request::Me, fx);
}

fn last_refused_unauthorized(state: &ChatState) -> bool {
    let unauthorized = |e: &ApiError| e.code == ErrorCode::Unauthorized;
    state.exchanges.last().is_some_and(
        |e| matches!(&e.answer.status, AnswerStatus::Failed(error) if unauthorized(error)),
    )
}

/// The last answer or the server list says "sign in".
pub(crate) fn signed_out(state: &ChatState) -> bool {
    matches!(&state.servers, Servers::Failed(e) if e.code == ErrorCode::Unauthorized)
        || last_refused_unauthorized(state)
}

/// The edge named the signed-in user (or refused to). Storage follows the answer: the first
/// name restores that user's conversation; another name than the one whose conversation is
/// shown clears what is shown; a 401 forgets everything stored.
pub(super) fn me_arrived(
    state: &mut ChatState,
    result: Result<Identity, ApiError>,
    fx: &mut Vec<Effect>,
) {
    let retry = std::mem::take(&mut state.retry_after_me);
    let identity = match result {
        Ok(identity) => identity,
        Err(error) if error.code == ErrorCode::Unauthorized => return signed_out_now(state, fx),
        // An edge without `/api/me`, or no answer: nobody is known, so nothing is stored (the
        // refused question still goes again, as it did before `/api/me`).
        Err(_) => {
            fx.push(Effect::Remember(None));
            fx.push(Effect::CloseStore);
            state.user = None;
            if retry {
                step(state, Msg::Retry, fx);
            }
            return;
        }
    };
    fx.push(Effect::Remember(Some(identity.clone())));
    let before = state.owner.replace(identity.subject.clone());
    let switched = before
        .as_deref()
        .is_some_and(|subject| subject != identity.subject);
    if switched {
        // What is shown belongs to the user who was signed in before.
        forget_shown(state, fx);
        load_servers(state, fx);
        start(state, Request::Models, fx);
    }
    fx.push(Effect::ClaimStore(identity.subject.clone()));
    state.user = Some(identity);
    if before.is_none() || switched {
        fx.push(Effect::Restore);
    }
    // Whatever this user has on screen is theirs to keep.
    state.unsaved = true;
    fx.push(Effect::SavePrefs);
    fx.push(Effect::SaveComposerDraft);
    if retry && !switched {
        step(state, Msg::Retry, fx);
    }
}

/// Takes what the store kept, where the user has not started anew since the page loaded.
pub(super) fn restore(state: &mut ChatState, saved: Saved, fx: &mut Vec<Effect>) {
    let Saved {
        threads,
        exchanges,
        draft,
        prefs,
    } = saved;
    if state.exchanges.is_empty() {
        state.exchanges = exchanges;
        state.threads = threads;
    } else {
        // A question asked before the store was read goes on in a thread of its own.
        let current = threads.next_id();
        state.threads = threads;
        state.threads.current = current;
        if let Some(question) = state.exchanges.first().map(|e| e.question.clone()) {
            for dropped in state.touch_thread(&question) {
                fx.push(Effect::DropThread(dropped));
            }
        }
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
    fx.push(Effect::RestoreDraft(draft));
}

/// The edge answered 401: nobody is signed in now, so nothing stays stored. What is shown stays
/// until someone signs in (the same user keeps it).
pub(super) fn signed_out_now(state: &mut ChatState, fx: &mut Vec<Effect>) {
    fx.push(Effect::Remember(None));
    fx.push(Effect::ForgetStore);
    state.user = None;
}

/// The Sign out link was followed (it opened Pomerium's sign-out page): forget everything,
/// shown and stored, and offer the sign-in.
pub(super) fn sign_out(state: &mut ChatState, fx: &mut Vec<Effect>) {
    signed_out_now(state, fx);
    state.owner = None;
    forget_shown(state, fx);
    state.servers = Servers::Failed(ApiError {
        code: ErrorCode::Unauthorized,
        message: String::new(),
        retryable: true,
    });
}

/// Clears the conversation, the draft and the preferences shown (not the storage).
fn forget_shown(state: &mut ChatState, fx: &mut Vec<Effect>) {
    state.requests.cancel(Slot::Chat);
    state.exchanges.clear();
    state.threads = Default::default();
    state.threads_open = false;
    state.selected.clear();
    state.model = None;
    state.always_allowed.clear();
    state.always_ticked.clear();
    state.unsaved = false;
    fx.push(Effect::ResetLog);
    fx.push(Effect::SetDraft(String::new()));
}
