//! An assistant message: reasoning, tool activity, approvals, the answer text, how it ended.
//!
//! Contract: `[data-role="message"][data-author="assistant"]`, with the rendered answer in a
//! descendant `[data-role="text"]` and `data-complete` = `true` after `done`, `approval` while
//! it waits for approvals, `error` after an error or an interruption, `stopped` after Stop
//! (absent while streaming, when the message is also `aria-busy`). While the edge's runtime
//! turns the request away and the widget tries again, a `[data-role="busy"]` status note says
//! so. The reasoning summary is a
//! collapsed `details[data-role="reasoning"]`. Layout, top to bottom: reasoning, tool
//! listings and calls, approvals, text, the "stopped" note, the error box. Each part remembers
//! what it showed and changes only what differs; the text goes through [`MarkdownView`].
//! After a `done` that carried usage, a collapsed `details[data-role="usage"]` under the text
//! shows its tokens and timings on demand.

use protocol::{ErrorCode, Usage};
use web_sys::{Document, Element, Text};

use crate::dom;
use crate::i18n::{self, Strings};
use crate::state::{Answer, AnswerStatus, ToolList};
use crate::view::approval::ApprovalView;
use crate::view::elicitation::ElicitationView;
use crate::view::error_box::{self, Actions};
use crate::view::markdown::MarkdownView;
use crate::view::tool_call::{self, ToolCallView};

/// The `data-action` of the Retry button of a failed answer.
pub(crate) const RETRY: &str = "retry";

/// What an answer's rendering needs besides the answer.
pub(crate) struct Context<'a> {
    /// Server id -> display name.
    pub(crate) server_names: &'a [(String, String)],
    /// Where a sign-in link points.
    pub(crate) sign_in_url: &'a str,
    /// This answer is the last one: it may offer Retry and take decisions.
    pub(crate) is_last: bool,
    /// Its request was turned away for want of capacity and is being sent again.
    pub(crate) busy: bool,
    /// The locale's strings.
    pub(crate) strings: &'static Strings,
}

/// One assistant message's DOM and what it last showed.
pub(crate) struct AnswerView {
    root: Element,
    reasoning_box: Element,
    reasoning_summary: Element,
    reasoning: Text,
    reasoning_len: usize,
    activity: Element,
    lists: Vec<(Element, Option<ToolList>)>,
    calls: Vec<ToolCallView>,
    approvals: Vec<ApprovalView>,
    asks: Vec<ElicitationView>,
    text_root: Element,
    text: MarkdownView,
    end: Option<Element>,
    /// The "busy, retrying" note while it shows.
    busy_note: Option<Element>,
    /// The status shown, and whether it offered Retry.
    shown: Option<(AnswerStatus, bool)>,
}

impl AnswerView {
    /// Creates the (empty, streaming) message inside `parent`.
    pub(crate) fn new(doc: &Document, parent: &Element, s: &Strings) -> Self {
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
                ("part", "reasoning"),
                ("data-role", "reasoning"),
                ("hidden", ""),
            ],
        );
        let reasoning_summary = dom::text_child(doc, &reasoning_box, "summary", &[], s.thinking);
        let reasoning = doc.create_text_node("");
        dom::append(&dom::child(doc, &reasoning_box, "p", &[]), &reasoning);
        let activity = dom::child(doc, &root, "div", &[("class", "activity")]);
        let text_root = dom::child(
            doc,
            &root,
            "div",
            &[
                ("class", "text markdown"),
                ("part", "text"),
                ("data-role", "text"),
                ("dir", "auto"),
            ],
        );
        Self {
            root,
            reasoning_box,
            reasoning_summary,
            reasoning,
            reasoning_len: 0,
            activity,
            lists: Vec::new(),
            calls: Vec::new(),
            approvals: Vec::new(),
            asks: Vec::new(),
            text: MarkdownView::new(text_root.clone()),
            text_root,
            end: None,
            busy_note: None,
            shown: None,
        }
    }

    /// Brings the message up to date with `answer`; returns true when the answer has just
    /// ended well (for the live region).
    pub(crate) fn render(&mut self, doc: &Document, answer: &Answer, cx: &Context<'_>) -> bool {
        let s = cx.strings;
        let was = self.shown.as_ref().map(|(status, _)| status.clone());
        if was.is_some_and(|w| w != AnswerStatus::Streaming && w != AnswerStatus::AwaitingApproval)
            && answer.status == AnswerStatus::Streaming
            && answer.text.is_empty()
        {
            // Retry: the answer starts again from nothing.
            self.reset();
        }
        dom::append_tail(&self.reasoning, &mut self.reasoning_len, &answer.reasoning);
        dom::flag(&self.reasoning_box, "hidden", answer.reasoning.is_empty());
        let streaming = answer.status == AnswerStatus::Streaming;
        let summary = if streaming { s.thinking } else { s.reasoning };
        if self.reasoning_summary.text_content().as_deref() != Some(summary) {
            self.reasoning_summary.set_text_content(Some(summary));
        }
        self.render_activity(doc, answer, cx);
        // An answer waiting for approvals goes on in the same text afterwards.
        let finished = !streaming && answer.status != AnswerStatus::AwaitingApproval;
        self.text.render(doc, &answer.text, finished, s);
        self.render_busy(doc, streaming && cx.busy, s);
        self.render_status(doc, answer, cx)
    }

    /// The text the answer shows, for the live region.
    pub(crate) fn spoken_text(&self) -> String {
        self.text_root.text_content().unwrap_or_default()
    }

    /// Shows the whole result of call `call_id`.
    pub(crate) fn show_all(&mut self, call_id: &str) {
        for call in &mut self.calls {
            if call.call_id().as_deref() == Some(call_id) {
                call.show_all();
            }
        }
    }

    /// Takes the message out of the log.
    pub(crate) fn remove(&self) {
        self.root.remove();
    }

    fn reset(&mut self) {
        self.reasoning.set_data("");
        self.reasoning_len = 0;
        self.activity.set_text_content(None);
        self.lists.clear();
        self.calls.clear();
        self.approvals.clear();
        self.asks.clear();
        self.text.reset();
    }

    fn render_activity(&mut self, doc: &Document, answer: &Answer, cx: &Context<'_>) {
        let s = cx.strings;
        for (i, list) in answer.tool_lists.iter().enumerate() {
            if i == self.lists.len() {
                let card = tool_call::list_card(doc, &self.activity, &list.server);
                self.lists.push((card, None));
            }
            let (card, shown) = &mut self.lists[i];
            if shown.as_ref() != Some(list) {
                *shown = Some(list.clone());
                tool_call::render_list(doc, card, list, display_name(cx, &list.server), s);
            }
        }
        for (i, call) in answer.tool_calls.iter().enumerate() {
            if i == self.calls.len() {
                let name = display_name(cx, &call.server);
                self.calls
                    .push(ToolCallView::new(doc, &self.activity, call, name, s));
            }
            self.calls[i].render(doc, call, cx.sign_in_url, s);
        }
        let open = cx.is_last && answer.status == AnswerStatus::AwaitingApproval;
        for (i, approval) in answer.approvals.iter().enumerate() {
            if i == self.approvals.len() {
                let name = display_name(cx, &approval.server);
                self.approvals
                    .push(ApprovalView::new(doc, &self.activity, approval, name, s));
            }
            let streaming = answer.status == AnswerStatus::Streaming;
            self.approvals[i].render(doc, approval, open, streaming, s);
        }
        for (i, ask) in answer.asks.iter().enumerate() {
            if i == self.asks.len() {
                let card = self
                    .calls
                    .iter()
                    .find(|c| c.call_id().as_deref() == Some(&ask.call_id));
                let parent = card.map_or(&self.activity, ToolCallView::root);
                self.asks.push(ElicitationView::new(doc, parent, ask, s));
            }
            let streaming = answer.status == AnswerStatus::Streaming;
            self.asks[i].render(ask, open, streaming, s);
        }
    }

    /// Shows or removes the "busy, retrying" note (a polite status, read out once).
    fn render_busy(&mut self, doc: &Document, busy: bool, s: &Strings) {
        match (busy, &self.busy_note) {
            (true, None) => {
                let attributes = [
                    ("class", "note"),
                    ("part", "busy"),
                    ("data-role", "busy"),
                    ("role", "status"),
                ];
                let note = dom::text_child(doc, &self.root, "p", &attributes, s.busy_retrying);
                self.busy_note = Some(note);
            }
            (false, Some(note)) => {
                note.remove();
                self.busy_note = None;
            }
            _ => {}
        }
    }

    fn render_status(&mut self, doc: &Document, answer: &Answer, cx: &Context<'_>) -> bool {
        let s = cx.strings;
        let offers_retry = match &answer.status {
            AnswerStatus::Failed(error) => {
                cx.is_last && (error.retryable || error.code == ErrorCode::Unauthorized)
            }
            _ => false,
        };
        let was_streaming = matches!(&self.shown, Some((AnswerStatus::Streaming, _)));
        if self
            .shown
            .as_ref()
            .is_some_and(|(status, retry)| *status == answer.status && *retry == offers_retry)
        {
            return false;
        }
        self.shown = Some((answer.status.clone(), offers_retry));
        let complete = match &answer.status {
            AnswerStatus::Streaming => None,
            AnswerStatus::Complete => Some("true"),
            AnswerStatus::AwaitingApproval => Some("approval"),
            AnswerStatus::Stopped => Some("stopped"),
            AnswerStatus::Failed(_) => Some("error"),
        };
        dom::set_opt(&self.root, "data-complete", complete);
        dom::set_opt(
            &self.root,
            "aria-busy",
            complete.is_none().then_some("true"),
        );
        if let Some(end) = self.end.take() {
            end.remove();
        }
        match &answer.status {
            AnswerStatus::Failed(error) => {
                let actions = Actions {
                    retry: offers_retry.then_some(RETRY),
                    sign_in_url: cx.sign_in_url,
                    request_id: answer.request_id.as_deref(),
                };
                let error_box = error_box::build(doc, error, &actions, s);
                dom::append(&self.root, &error_box);
                self.end = Some(error_box);
            }
            AnswerStatus::Stopped => {
                let note = dom::text_child(doc, &self.root, "p", &[("class", "note")], s.stopped);
                self.end = Some(note);
            }
            AnswerStatus::Complete | AnswerStatus::AwaitingApproval => {
                self.end = answer
                    .usage
                    .as_ref()
                    .map(|u| usage_box(doc, &self.root, u, s));
            }
            AnswerStatus::Streaming => {}
        }
        was_streaming && answer.status == AnswerStatus::Complete
    }
}

/// The collapsed `details[data-role="usage"]` under an answer: tokens and timings on demand.
fn usage_box(doc: &Document, root: &Element, u: &Usage, s: &Strings) -> Element {
    let attrs = [
        ("class", "usage"),
        ("part", "usage"),
        ("data-role", "usage"),
    ];
    let details = dom::child(doc, root, "details", &attrs);
    dom::text_child(doc, &details, "summary", &[], s.usage);
    let n = [
        u.input_tokens,
        u.cached_tokens,
        u.output_tokens,
        u.reasoning_tokens,
    ]
    .map(|n| n.to_string());
    let first = u.first_token_ms.map_or("–".to_owned(), |ms| ms.to_string());
    let (total, tools) = (u.total_ms.to_string(), u.tool_ms.to_string());
    let line = i18n::fill(
        s.usage_line,
        &[&n[0], &n[1], &n[2], &n[3], &first, &total, &tools],
    );
    dom::text_child(doc, &details, "p", &[], &line);
    details
}

fn display_name<'a>(cx: &'a Context<'_>, server: &'a str) -> &'a str {
    cx.server_names
        .iter()
        .find(|(id, _)| id == server)
        .map_or(server, |(_, name)| name.as_str())
}
