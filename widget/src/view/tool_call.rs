//! A tool card: one tool call of an answer, with its arguments as they stream and its outcome.
//!
//! Contract: `[data-role="tool-call"]` with `data-call-id`, `data-server`, `data-tool` and
//! `data-status` = `running` | `done` | `failed`. The arguments grow in place (appended to one
//! text node); the output sits collapsed in a `<details data-role="result">`, a failure in a
//! `[data-role="failure"]`. Tool text is only ever set as text, never parsed as HTML.

use web_sys::{Document, Element, Text};

use crate::dom;
use crate::state::{CallStatus, ToolCall};
use crate::view::answer::append_tail;

/// One card's DOM and what it last showed.
pub(crate) struct ToolCallView {
    root: Element,
    state: Element,
    arguments: Text,
    arguments_len: usize,
    shown: CallStatus,
}

impl ToolCallView {
    /// Creates the card for `call` inside `parent`, labelled with the server's display name.
    pub(crate) fn new(
        doc: &Document,
        parent: &Element,
        call: &ToolCall,
        server_name: &str,
    ) -> Self {
        let root = dom::child(
            doc,
            parent,
            "div",
            &[
                ("class", "tool-call"),
                ("part", "tool-call"),
                ("data-role", "tool-call"),
                ("data-call-id", &call.call_id),
                ("data-server", &call.server),
                ("data-tool", &call.tool),
                ("data-status", "running"),
            ],
        );
        let head = dom::child(doc, &root, "div", &[("class", "head")]);
        let name = dom::child(doc, &head, "span", &[("class", "name")]);
        name.set_text_content(Some(&format!("{} · {server_name}", call.tool)));
        let state = dom::text_child(
            doc,
            &head,
            "span",
            &[("class", "state"), ("data-role", "status")],
            "running",
        );
        let pre = dom::child(
            doc,
            &root,
            "pre",
            &[("class", "args"), ("data-role", "arguments")],
        );
        let arguments = doc.create_text_node("");
        dom::append(&pre, &arguments);
        Self {
            root,
            state,
            arguments,
            arguments_len: 0,
            shown: CallStatus::Running,
        }
    }

    /// Brings the card up to date with `call`.
    pub(crate) fn render(&mut self, doc: &Document, call: &ToolCall) {
        append_tail(&self.arguments, &mut self.arguments_len, &call.arguments);
        if call.status == self.shown {
            return;
        }
        self.shown = call.status.clone();
        let status = match &call.status {
            CallStatus::Running => "running",
            CallStatus::Done(output) => {
                let details = dom::child(doc, &self.root, "details", &[("data-role", "result")]);
                dom::text_child(doc, &details, "summary", &[], "Result");
                dom::text_child(doc, &details, "pre", &[("class", "output")], output);
                "done"
            }
            CallStatus::Failed(error) => {
                dom::text_child(
                    doc,
                    &self.root,
                    "p",
                    &[("class", "failure"), ("data-role", "failure")],
                    error,
                );
                "failed"
            }
        };
        dom::set(&self.root, "data-status", status);
        self.state.set_text_content(Some(status));
    }
}
