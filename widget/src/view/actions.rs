//! The actions of one exchange: Edit under the question; Copy (as markdown) and Regenerate
//! under the answer.
//!
//! Contract: after each user message a `[data-role="question-actions"]` holding
//! `button[data-role="edit"]`; after each assistant message an `[data-role="answer-actions"]`
//! holding `button[data-role="copy-answer"]` (shown once the answer has text and ended) and, on
//! the last answer only, `button[data-role="regenerate"]`. Every button carries its exchange's
//! `data-index` (from 0). Edit and Regenerate are hidden while an answer streams; the question
//! being edited is marked `data-editing="true"`.

use web_sys::{Document, Element};

use crate::dom;
use crate::i18n::{Strings, fill};
use crate::state::ChatState;

/// The `data-action` of a question's Edit button.
pub(crate) const EDIT: &str = "edit";
/// The `data-action` of an answer's Copy button.
pub(crate) const COPY_ANSWER: &str = "copy-answer";
/// The `data-action` of the last answer's Regenerate button.
pub(crate) const REGENERATE: &str = "regenerate";

/// What the buttons of one exchange show: (edit, editing, copy, regenerate, strings).
type Shown = (bool, bool, bool, bool, &'static str);

/// The action buttons of exchange `index`.
pub(crate) struct ActionsView {
    question_bar: Element,
    edit: Element,
    answer_bar: Element,
    copy: Element,
    regenerate: Element,
    shown: Option<Shown>,
}

impl ActionsView {
    /// The question's bar, inside `parent` now (right after the user message).
    pub(crate) fn question(doc: &Document, parent: &Element, index: usize) -> (Element, Element) {
        let bar = dom::child(
            doc,
            parent,
            "div",
            &[("class", "actions"), ("data-role", "question-actions")],
        );
        let edit = button(doc, &bar, EDIT, index);
        (bar, edit)
    }

    /// The answer's bar, inside `parent` now (right after the assistant message), completing
    /// the question's `question` bar.
    pub(crate) fn new(
        doc: &Document,
        parent: &Element,
        index: usize,
        question: (Element, Element),
    ) -> Self {
        let answer_bar = dom::child(
            doc,
            parent,
            "div",
            &[("class", "actions"), ("data-role", "answer-actions")],
        );
        let copy = button(doc, &answer_bar, COPY_ANSWER, index);
        let regenerate = button(doc, &answer_bar, REGENERATE, index);
        Self {
            question_bar: question.0,
            edit: question.1,
            answer_bar,
            copy,
            regenerate,
            shown: None,
        }
    }

    /// Shows the buttons exchange `index` offers in `state`; `user` is its user message.
    pub(crate) fn render(&mut self, state: &ChatState, index: usize, user: &Element, s: &Strings) {
        let busy = state.is_busy();
        let want = (
            !busy,
            state.editing == Some(index),
            state.answer_markdown(index).is_some(),
            !busy && index + 1 == state.exchanges.len(),
            s.lang,
        );
        if self.shown == Some(want) {
            return;
        }
        let (edit, editing, copy, regenerate, _) = want;
        let n = (index + 1).to_string();
        self.edit.set_text_content(Some(s.edit));
        dom::set(&self.edit, "aria-label", &fill(s.edit_question, &[&n]));
        self.copy.set_text_content(Some(s.copy));
        dom::set(&self.copy, "aria-label", &fill(s.copy_answer, &[&n]));
        dom::set(&self.copy, "data-copied-label", s.copied);
        self.regenerate.set_text_content(Some(s.regenerate));
        dom::flag(&self.edit, "hidden", !edit || editing);
        dom::flag(&self.copy, "hidden", !copy);
        dom::flag(&self.regenerate, "hidden", !regenerate);
        dom::flag(&self.answer_bar, "hidden", !copy && !regenerate);
        dom::set_opt(user, "data-editing", editing.then_some("true"));
        self.shown = Some(want);
    }

    /// Takes the bars out of the log.
    pub(crate) fn remove(&self) {
        self.question_bar.remove();
        self.answer_bar.remove();
    }
}

fn button(doc: &Document, bar: &Element, action: &str, index: usize) -> Element {
    dom::child(
        doc,
        bar,
        "button",
        &[
            ("type", "button"),
            ("class", "action"),
            ("data-role", action),
            ("data-action", action),
            ("data-index", &index.to_string()),
            ("hidden", ""),
        ],
    )
}
