//! An approval card: a tool call the model wants to make, waiting for Allow or Deny.
//!
//! Contract: `[data-role="approval"]` with `data-approval-id`, `data-server`, `data-tool` and
//! `data-state` = `pending` (the answer still streams) | `open` | `allowed` | `denied` |
//! `expired`. It names the tool and the server, shows the full arguments (pretty-printed JSON,
//! `pre[data-role="arguments"]`) and, while open, offers `button[data-action="allow"]`,
//! `button[data-action="deny"]` and the checkbox `input[data-role="always"]` ("always allow
//! this tool", remembered per server). The buttons and the box carry the approval id in
//! `data-approval-id`; ticking the box is a message, and the state remembers it.

use web_sys::{Document, Element};

use super::card;
use crate::dom;
use crate::i18n::{Strings, fill};
use crate::pretty_json::pretty;
use crate::state::Approval;

/// The `data-action` of the Allow button.
pub(crate) const ALLOW: &str = "allow";
/// The `data-action` of the Deny button.
pub(crate) const DENY: &str = "deny";
/// The `data-role` of the "always allow" box.
pub(crate) const ALWAYS: &str = "always";

/// One approval card and the state it shows.
pub(crate) struct ApprovalView {
    root: Element,
    actions: Option<Element>,
    shown: &'static str,
}

impl ApprovalView {
    /// Creates the card for `approval` inside `parent`.
    pub(crate) fn new(
        doc: &Document,
        parent: &Element,
        approval: &Approval,
        server_name: &str,
        s: &Strings,
    ) -> Self {
        let root = card::root(
            doc,
            parent,
            ("div", "approval"),
            (&approval.server, &approval.tool),
            ("data-approval-id", &approval.id),
            ("role", "group"),
        );
        let title = fill(s.approval, &[&approval.tool, server_name]);
        dom::set(&root, "aria-label", &title);
        dom::text_child(doc, &root, "p", &[("class", "title")], &title);
        let arguments = pretty(&approval.arguments).unwrap_or_else(|| approval.arguments.clone());
        dom::text_child(doc, &root, "pre", &card::ARGUMENTS, &arguments);
        let actions = dom::child(doc, &root, "div", &[("class", "actions")]);
        let label = dom::child(doc, &actions, "label", &[("class", "always")]);
        dom::child(
            doc,
            &label,
            "input",
            &[
                ("type", "checkbox"),
                ("data-role", ALWAYS),
                ("data-approval-id", &approval.id),
            ],
        );
        dom::append(&label, &doc.create_text_node(s.always_allow));
        for (action, text, class) in [(ALLOW, s.allow, ""), (DENY, s.deny, "secondary")] {
            let button = dom::text_child(
                doc,
                &actions,
                "button",
                &[
                    ("type", "button"),
                    ("data-action", action),
                    ("data-approval-id", &approval.id),
                ],
                text,
            );
            if !class.is_empty() {
                dom::set(&button, "class", class);
            }
        }
        Self {
            root,
            actions: Some(actions),
            shown: "",
        }
    }

    /// Brings the card up to date; `open` is false when the answer does not wait for it, and
    /// `streaming` is true while the answer that asked still streams (the card is not open yet,
    /// but not closed either: it keeps its buttons, hidden, for when the answer comes to wait).
    pub(crate) fn render(
        &mut self,
        doc: &Document,
        approval: &Approval,
        open: bool,
        streaming: bool,
        s: &Strings,
    ) {
        let (state, note) = match approval.decision {
            Some(true) => ("allowed", s.allowed),
            Some(false) => ("denied", s.denied),
            None if approval.expired => ("expired", s.expired),
            None if streaming => ("pending", ""),
            None if !open => ("expired", s.expired),
            None => ("open", ""),
        };
        if state == self.shown {
            return;
        }
        self.shown = state;
        dom::set(&self.root, "data-state", state);
        match (state, self.actions.as_ref()) {
            ("open", Some(actions)) => {
                // Shown again; removing an attribute that is not there does nothing.
                let _ = actions.remove_attribute("hidden");
            }
            ("pending", Some(actions)) => dom::set(actions, "hidden", ""),
            (_, _) => {
                if let Some(actions) = self.actions.take() {
                    actions.remove();
                    dom::text_child(doc, &self.root, "p", &[("class", "decision")], note);
                }
            }
        }
    }
}
