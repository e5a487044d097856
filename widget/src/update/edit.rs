//! Editing a sent question, regenerating the last answer, copying an answer as markdown.
//!
//! Edit puts question `i` into the composer ([`crate::state::ChatState::editing`]); the next
//! Send replaces it, and the answers after it go: the request carries the history up to it and
//! starts fresh (no `previous_response_id`, so no approval of a dropped answer is continued).
//! Escape or Cancel ends the edit and empties the composer. Regenerate asks the last question
//! again, whatever became of its answer. Copy hands the answer's markdown source to the
//! clipboard. The host API does each directly (`edit(index, text)`, `regenerate()`,
//! `copy(index)`), and each tells the page (`pomerium-chat:edit`, `:regenerate`, `:copy`).

use crate::state::ChatState;
use crate::update::{Effect, Focus, HostEvent, ask_with, set_open};

/// Whether the host API's `edit(index, text)` is taken: some text, such a question, and no
/// answer on its way.
pub(crate) fn accepts_host_edit(state: &ChatState, index: usize, text: &str) -> bool {
    !text.trim().is_empty() && !state.is_busy() && index < state.exchanges.len()
}

/// Whether the host API's `regenerate()` is taken: a question, and no answer on its way.
pub(crate) fn accepts_regenerate(state: &ChatState) -> bool {
    !state.is_busy() && !state.exchanges.is_empty()
}

/// The user chose Edit on question `index`: it goes into the composer.
pub(super) fn start_edit(state: &mut ChatState, index: usize, fx: &mut Vec<Effect>) {
    if state.is_busy() {
        return;
    }
    let Some(exchange) = state.exchanges.get(index) else {
        return;
    };
    fx.push(Effect::SetDraft(exchange.question.clone()));
    fx.push(Effect::Focus(Focus::Input));
    state.editing = Some(index);
}

/// The edit ends unsent: the composer is emptied.
pub(super) fn cancel_edit(state: &mut ChatState, fx: &mut Vec<Effect>) {
    if state.editing.take().is_some() {
        fx.push(Effect::SetDraft(String::new()));
        fx.push(Effect::SaveDraft(String::new()));
        fx.push(Effect::Focus(Focus::Input));
    }
}

/// Sends `question` in place of question `index`.
pub(super) fn edit(state: &mut ChatState, index: usize, question: String, fx: &mut Vec<Effect>) {
    if !accepts_host_edit(state, index, &question) {
        state.editing = None;
        return;
    }
    fx.push(Effect::Emit(HostEvent::Edit {
        index,
        content: question.clone(),
    }));
    ask_with(state, question.clone(), fx, |state| {
        state.edit(index, question)
    });
}

/// Asks the last question again.
pub(super) fn regenerate(state: &mut ChatState, fx: &mut Vec<Effect>) {
    if !accepts_regenerate(state) {
        return;
    }
    let index = state.exchanges.len() - 1;
    fx.push(Effect::Emit(HostEvent::Regenerate { index }));
    if let Some(request) = state.regenerate() {
        let question = state.exchanges[index].question.clone();
        for dropped in state.touch_thread(&question) {
            fx.push(Effect::DropThread(dropped));
        }
        fx.push(Effect::Focus(Focus::KeepInput));
        super::start_chat(state, request, fx);
    }
}

/// Copies answer `index` as markdown (the host API opens the panel first).
pub(super) fn copy(state: &mut ChatState, index: usize, host: bool, fx: &mut Vec<Effect>) {
    let Some(markdown) = state.answer_markdown(index) else {
        return;
    };
    let content = markdown.to_owned();
    fx.push(Effect::Copy(content.clone()));
    fx.push(Effect::Emit(HostEvent::Copy { index, content }));
    if host {
        set_open(state, true, fx);
    }
}
