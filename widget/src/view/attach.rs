//! Attachments in the view: the Attach button and its hidden file input, the draft's chips over
//! the composer, a refusal's message, each sent question's chips, and the hosted tool toggles
//! next to the server list.
//!
//! Contract: `button[data-role="attach"]` opens `input[type=file][data-role="file"]` (multiple,
//! `accept` listing the allowed types); `[data-role="attachments"]` holds one
//! `[data-role="attachment"]` chip per draft file (name and size, `data-reading` while its bytes
//! are read) with `button[data-action="remove-attachment"][data-index]`;
//! `[data-role="attach-error"]` (`role=alert`) says why a file was refused. A sent question's
//! files are `[data-role="question-attachments"]` chips in its `question-actions` bar.
//! `[data-role="hosted-tools"]` holds one `input[type=checkbox][data-hosted-tool=<name>]` per
//! hosted tool the edge offers with the chosen model (hidden when none).

use web_sys::{Document, Element};

use crate::dom;
use crate::i18n::{Strings, fill};
use crate::state::ChatState;
use crate::state::attach::{Attached, hosted_offered, size_label};

/// The `data-action` of the Attach button.
pub(crate) const ATTACH: &str = "attach";
/// The file input's `accept`: `protocol::attachment::attachment_accept(true)`, written out
/// (a unit test keeps the two equal; building it costs the bundle more than the text).
pub(crate) const ACCEPT: &str = "image/png,.png,image/jpeg,.jpg,.jpeg,image/gif,.gif,image/webp,.webp,text/plain,.txt,.text,.log,text/markdown,.md,.markdown,text/csv,.csv,application/json,.json,application/pdf,.pdf";
/// The `data-action` of a chip's remove button.
pub(crate) const REMOVE: &str = "remove-attachment";

/// What the attachment parts of the view last showed.
type Shown = (
    Vec<(String, u32, bool)>,
    Option<String>,
    Vec<(String, bool)>,
    &'static str,
);

/// The composer's attachment parts and the hosted tool toggles.
pub(crate) struct AttachView {
    chips: Element,
    error: Element,
    button: Element,
    hosted: Element,
    shown: Option<Shown>,
}

impl AttachView {
    /// Builds the chips over `input` (the composer's textarea), the Attach button and file
    /// input after it, and the hosted tool toggles at the end of `header`.
    pub(crate) fn new(doc: &Document, input: &Element, header: &Element) -> Self {
        let composer = input
            .parent_element()
            .expect("the composer holds the input");
        let chips = dom::element(doc, "div");
        dom::set(&chips, "class", "chips");
        dom::set(&chips, "data-role", "attachments");
        let error = dom::element(doc, "p");
        for (name, value) in [
            ("class", "attach-error"),
            ("data-role", "attach-error"),
            ("role", "alert"),
        ] {
            dom::set(&error, name, value);
        }
        let _ = composer.insert_before(&error, Some(input));
        let _ = composer.insert_before(&chips, Some(input));
        let button = dom::child(
            doc,
            &composer,
            "button",
            &[
                ("type", "button"),
                ("class", "secondary"),
                ("data-role", ATTACH),
                ("data-action", ATTACH),
            ],
        );
        dom::child(
            doc,
            &composer,
            "input",
            &[
                ("type", "file"),
                ("data-role", "file"),
                ("multiple", ""),
                ("accept", ACCEPT),
                ("hidden", ""),
            ],
        );
        let hosted = dom::child(
            doc,
            header,
            "div",
            &[("class", "hosted"), ("data-role", "hosted-tools")],
        );
        Self {
            chips,
            error,
            button,
            hosted,
            shown: None,
        }
    }

    /// Shows the draft's chips, the refusal and the toggles of `state`.
    pub(crate) fn render(&mut self, doc: &Document, state: &ChatState, s: &Strings) {
        let files = state
            .attachments
            .iter()
            .map(|a| (a.name.clone(), a.size, a.data.is_empty()))
            .collect();
        let error = state
            .attach_error
            .as_ref()
            .map(|(code, name)| format!("{name}: {}", s.error(*code)));
        let offered = hosted_offered(state.models.as_ref(), state.model.as_deref());
        let toggles = offered.into_iter().map(|t| {
            let on = state.hosted.contains(&t);
            (t, on)
        });
        let want: Shown = (files, error, toggles.collect(), s.lang);
        if self.shown.as_ref() == Some(&want) {
            return;
        }
        self.button.set_text_content(Some(s.attach));
        dom::set(&self.button, "aria-label", s.attach);
        self.chips.set_inner_html("");
        for (i, (name, size, reading)) in want.0.iter().enumerate() {
            let chip = chip(doc, &self.chips, name, *size, "attachment");
            dom::set_opt(&chip, "data-reading", reading.then_some("true"));
            dom::text_child(
                doc,
                &chip,
                "button",
                &[
                    ("type", "button"),
                    ("data-action", REMOVE),
                    ("data-index", &i.to_string()),
                    ("aria-label", &fill(s.remove_file, &[name])),
                ],
                "×",
            );
        }
        self.error.set_text_content(want.1.as_deref());
        dom::flag(&self.error, "hidden", want.1.is_none());
        self.hosted.set_inner_html("");
        for (name, on) in &want.2 {
            let label = dom::child(doc, &self.hosted, "label", &[]);
            let input = dom::child(
                doc,
                &label,
                "input",
                &[("type", "checkbox"), ("data-hosted-tool", name)],
            );
            dom::flag(&input, "checked", *on);
            let text = if name == "web_search" {
                s.web_search
            } else {
                s.code_interpreter
            };
            dom::append(&label, &doc.create_text_node(text));
        }
        dom::flag(&self.hosted, "hidden", want.2.is_empty());
        self.shown = Some(want);
    }
}

/// Adds the chips of a sent question's `files` to its `bar` (its `question-actions`), first.
pub(crate) fn question_chips(doc: &Document, bar: &Element, files: &[Attached]) {
    if files.is_empty() {
        return;
    }
    let list = dom::element(doc, "span");
    dom::set(&list, "class", "chips");
    dom::set(&list, "data-role", "question-attachments");
    for file in files {
        chip(doc, &list, &file.name, file.size, "attachment");
    }
    let _ = bar.insert_before(&list, bar.first_child().as_ref());
}

fn chip(doc: &Document, parent: &Element, name: &str, size: u32, role: &str) -> Element {
    let chip = dom::child(
        doc,
        parent,
        "span",
        &[("class", "chip"), ("data-role", role)],
    );
    chip.set_text_content(Some(&format!("{name} · {}", size_label(size))));
    chip
}

#[cfg(test)]
mod tests {
    #[test]
    fn accept_lists_the_protocol_types() {
        assert_eq!(super::ACCEPT, protocol::attachment::attachment_accept(true));
    }
}
