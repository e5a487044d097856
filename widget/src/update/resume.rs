//! Continuing an answer whose stream broke off (a dropped connection, not Stop).
//!
//! When the edge made the answer resumable (a `resumable` handle, and a mark kept: see
//! `protocol::resume`), a broken stream is not the end: after a pause (doubling from
//! [`FIRST_DELAY_MS`]), or at once when the browser comes back online, the same conversation
//! is sent again with the handle and the mark, and the answer goes on in place. At most
//! [`MAX_RESUMES`] tries per answer; a refusal that will not pass by waiting (an expired
//! handle, edge tool mode) or the last try ends it as interrupted, with its text kept and
//! Retry offered, as an answer that cannot be resumed ends at once. Stop cancels a resumable
//! answer at the provider, which would otherwise finish it on its own.

use protocol::ApiError;

use super::{Effect, Request, start};
use crate::state::{ChatState, Slot};

/// Most resumes of one answer.
pub(crate) const MAX_RESUMES: u8 = 5;
/// The pause before the first resume; each later one doubles it.
pub(crate) const FIRST_DELAY_MS: u32 = 500;

/// Request `request`'s stream broke off after mark `cursor`.
pub(super) fn broken(
    state: &mut ChatState,
    request: u64,
    cursor: Option<u64>,
    fx: &mut Vec<Effect>,
) {
    if !state.requests.finish(Slot::Chat, request) {
        return;
    }
    if let Some(exchange) = state.exchanges.last_mut()
        && let Some((_, mark)) = &mut exchange.answer.resume
    {
        *mark = cursor.or(*mark);
    }
    try_later(state, fx);
}

/// A resume was refused before any stream (`error`); true when the refusal is handled here.
pub(super) fn refused(state: &mut ChatState, error: &ApiError, fx: &mut Vec<Effect>) -> bool {
    if state.resumes == 0 || state.resume_request().is_none() {
        return false;
    }
    if error.retryable {
        try_later(state, fx);
    } else {
        state.end_of_stream();
        state.unsaved = true;
    }
    true
}

/// Resume now, unless a request is already on its way or there is nothing to resume.
pub(super) fn now(state: &mut ChatState, fx: &mut Vec<Effect>) {
    if state.requests.current(Slot::Chat).is_some() {
        return;
    }
    if let Some(request) = state.resume_request() {
        start(state, Request::Chat(request), fx);
    }
}

/// The user stopped the answer: one the provider runs on its own is stopped there too.
pub(super) fn stopped(state: &ChatState, fx: &mut Vec<Effect>) {
    let answer = state.exchanges.last().map(|e| &e.answer);
    if let Some(answer) = answer.filter(|_| state.is_busy())
        && let Some((handle, _)) = &answer.resume
    {
        fx.push(Effect::CancelAnswer(handle.clone()));
    }
}

/// Schedules the next resume, or ends the answer as interrupted when it cannot be resumed.
fn try_later(state: &mut ChatState, fx: &mut Vec<Effect>) {
    if state.resume_request().is_some() && state.resumes < MAX_RESUMES {
        fx.push(Effect::ResumeLater(FIRST_DELAY_MS << state.resumes));
        state.resumes += 1;
    } else {
        state.end_of_stream();
    }
    state.unsaved = true;
}
