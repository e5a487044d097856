//! An assistant message: the answer as it streams, its tool activity, and how it ended.
//!
//! Contract: `[data-role="message"][data-author="assistant"]`, with the answer text in a
//! descendant `[data-role="text"]` and `data-complete` = `true` after `done`, `error` after an
//! error or an interruption, `stopped` after Stop (absent while streaming, when the message is
//! also `aria-busy`). Text only grows while streaming, so each render appends the new tail to
//! one text node instead of rebuilding the message: a long answer costs linear time, and a
//! reader's selection survives. Layout, top to bottom: reasoning, tool listings, tool cards,
//! text, error box.

use std::collections::HashMap;

use protocol::{ErrorCode, ToolStatus};
use wasm_bindgen::UnwrapThrowExt;
use web_sys::{Document, Element, Text};

use crate::dom;
use crate::state::{Answer, AnswerStatus, ToolList};
use crate::view::error_box::{self, Actions};
use crate::view::tool_call::ToolCallView;

/// The `data-action` of the Retry button of a failed answer.
pub(crate) const RETRY: &str = "retry";

/// What an answer's rendering needs besides the answer.
pub(crate) struct Context<'a> {
    /// Server id -> display name.
    pub(crate) server_names: &'a HashMap<String, String>,
    /// Where a sign-in link points.
    pub(crate) sign_in_url: &'a str,
    /// This answer may offer Retry (only the last one may).
    pub(crate) may_retry: bool,
}

/// One assistant message's DOM and what it last showed.
pub(crate) struct AnswerView {
    root: Element,
    reasoning_box: Element,
    reasoning: Text,
    reasoning_len: usize,
    notes: Element,
    lists: Vec<(Element, Option<ToolList>)>,
    cards: Element,
    calls: Vec<ToolCallView>,
    text: Text,
    text_len: usize,
    error: Option<Element>,
    /// The status shown, and whether it offered Retry.
    shown: Option<(AnswerStatus, bool)>,
}

impl AnswerView {
    /// Creates the (empty, streaming) message inside `parent`.
    pub(crate) fn new(doc: &Document, parent: &Element) -> Self {
        let root = dom::child(
            doc,
            parent,
            "div",
            &[
                ("class", "message assistant"),
                ("part", "message assistant"),
                ("data-role", "message"),
                ("data-author", "assistant"),
            ],
        );
        let reasoning_box = dom::child(
            doc,
            &root,
            "details",
            &[
                ("class", "reasoning"),
                ("data-role", "reasoning"),
                ("hidden", ""),
            ],
        );
        dom::text_child(doc, &reasoning_box, "summary", &[], "Reasoning");
        let reasoning = text_node(doc, &dom::child(doc, &reasoning_box, "p", &[]));
        let notes = dom::child(doc, &root, "div", &[("class", "notes")]);
        let cards = dom::child(doc, &root, "div", &[("class", "cards")]);
        let text_box = dom::child(
            doc,
            &root,
            "div",
            &[("class", "text"), ("part", "text"), ("data-role", "text")],
        );
        let text = text_node(doc, &text_box);
        Self {
            root,
            reasoning_box,
            reasoning,
            reasoning_len: 0,
            notes,
            lists: Vec::new(),
            cards,
            calls: Vec::new(),
            text,
            text_len: 0,
            error: None,
            shown: None,
        }
    }

    /// Brings the message up to date with `answer`.
    pub(crate) fn render(&mut self, doc: &Document, answer: &Answer, cx: &Context<'_>) {
        let restarted = matches!(&self.shown, Some((status, _)) if *status != AnswerStatus::Streaming)
            && answer.status == AnswerStatus::Streaming;
        if restarted {
            self.reset();
        }
        append_tail(&self.reasoning, &mut self.reasoning_len, &answer.reasoning);
        dom::flag(&self.reasoning_box, "hidden", answer.reasoning.is_empty());
        self.render_lists(doc, &answer.tool_lists, cx);
        for (i, call) in answer.tool_calls.iter().enumerate() {
            if i == self.calls.len() {
                let name = display_name(cx, &call.server);
                self.calls
                    .push(ToolCallView::new(doc, &self.cards, call, name));
            }
            self.calls[i].render(doc, call);
        }
        append_tail(&self.text, &mut self.text_len, &answer.text);
        self.render_status(doc, answer, cx);
    }

    /// Takes the message out of the log.
    pub(crate) fn remove(&self) {
        self.root.remove();
    }

    /// Empties the message for an answer that starts again (Retry).
    fn reset(&mut self) {
        self.reasoning.set_data("");
        self.reasoning_len = 0;
        self.notes.set_text_content(None);
        self.lists.clear();
        self.cards.set_text_content(None);
        self.calls.clear();
        self.text.set_data("");
        self.text_len = 0;
    }

    fn render_lists(&mut self, doc: &Document, lists: &[ToolList], cx: &Context<'_>) {
        for (i, list) in lists.iter().enumerate() {
            if i == self.lists.len() {
                let note = dom::child(
                    doc,
                    &self.notes,
                    "p",
                    &[
                        ("class", "note"),
                        ("data-role", "tool-list"),
                        ("data-server", &list.server),
                    ],
                );
                self.lists.push((note, None));
            }
            let (note, shown) = &mut self.lists[i];
            if shown.as_ref() == Some(list) {
                continue;
            }
            *shown = Some(list.clone());
            dom::set(note, "data-status", list_status(list.status));
            note.set_text_content(Some(&list_note(list, display_name(cx, &list.server))));
        }
    }

    fn render_status(&mut self, doc: &Document, answer: &Answer, cx: &Context<'_>) {
        let offers_retry = match &answer.status {
            AnswerStatus::Failed(error) => {
                cx.may_retry && (error.retryable || error.code == ErrorCode::Unauthorized)
            }
            _ => false,
        };
        if self
            .shown
            .as_ref()
            .is_some_and(|(status, retry)| *status == answer.status && *retry == offers_retry)
        {
            return;
        }
        self.shown = Some((answer.status.clone(), offers_retry));
        let complete = match &answer.status {
            AnswerStatus::Streaming => None,
            AnswerStatus::Complete => Some("true"),
            AnswerStatus::Stopped => Some("stopped"),
            AnswerStatus::Failed(_) => Some("error"),
        };
        dom::set_opt(&self.root, "data-complete", complete);
        dom::set_opt(
            &self.root,
            "aria-busy",
            complete.is_none().then_some("true"),
        );
        if let Some(error) = self.error.take() {
            error.remove();
        }
        if let AnswerStatus::Failed(error) = &answer.status {
            let actions = Actions {
                retry: offers_retry.then_some(RETRY),
                sign_in_url: cx.sign_in_url,
                request_id: answer.request_id.as_deref(),
            };
            let error_box = error_box::build(doc, error, &actions);
            dom::append(&self.root, &error_box);
            self.error = Some(error_box);
        }
    }
}

/// A new, empty text node inside `parent`.
fn text_node(doc: &Document, parent: &Element) -> Text {
    let text = doc.create_text_node("");
    dom::append(parent, &text);
    text
}

/// Appends to `node` what `full` has beyond the `shown` bytes it already holds.
pub(crate) fn append_tail(node: &Text, shown: &mut usize, full: &str) {
    if full.len() > *shown {
        node.append_data(&full[*shown..])
            .expect_throw("appendData on a text node");
        *shown = full.len();
    }
}

fn display_name<'a>(cx: &'a Context<'_>, server: &'a str) -> &'a str {
    cx.server_names.get(server).map_or(server, String::as_str)
}

fn list_status(status: ToolStatus) -> &'static str {
    match status {
        ToolStatus::InProgress => "in_progress",
        ToolStatus::Completed => "completed",
        ToolStatus::Failed => "failed",
    }
}

fn list_note(list: &ToolList, name: &str) -> String {
    match list.status {
        ToolStatus::InProgress => format!("Listing the tools of {name}…"),
        ToolStatus::Failed => format!("Could not list the tools of {name}"),
        ToolStatus::Completed if list.tools.is_empty() => format!("{name} offers no tools"),
        ToolStatus::Completed => format!("{name} offers {}", list.tools.join(", ")),
    }
}
