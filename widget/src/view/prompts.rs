//! The `/` menu and a prompt's argument form, above the composer.
//!
//! Contract: while the draft is a `/` command with matches, `ul#prompt-menu[role="listbox"]`
//! (`data-role="prompt-menu"`) lists them as `li[role="option"]` (`aria-selected` on the
//! highlighted one, `data-action="pick-prompt"`, `data-index`), and the composer carries
//! `aria-controls="prompt-menu"` and `aria-activedescendant`; arrows, Enter and Escape work from
//! the composer. A prompt with arguments shows `form[data-role="prompt-form"]`: one labelled
//! `input[data-arg]` per argument (`required` when it is), an Insert button (submit) and
//! Cancel (`data-action="cancel-prompt"`); a failure shows in it as `[role="alert"]`. Prompt
//! names, titles and errors are set as text.

use web_sys::{Document, Element, HtmlElement, HtmlTextAreaElement};

use wasm_bindgen::JsCast;

use crate::dom;
use crate::i18n::Strings;
use crate::state::prompts::Prompts;

/// The `data-action` of a menu entry.
pub(crate) const PICK: &str = "pick-prompt";
/// The `data-action` of the form's Cancel.
pub(crate) const CANCEL: &str = "cancel-prompt";

/// The menu and form's container, and what it last showed.
pub(crate) struct PromptsView {
    root: Element,
    shown: Option<Prompts>,
}

impl PromptsView {
    /// Creates the (empty) container just above the composer of `input`.
    pub(crate) fn new(doc: &Document, input: &HtmlTextAreaElement) -> Self {
        let root = dom::element(doc, "div");
        dom::set(&root, "class", "prompts");
        if let Some(composer) = input.parent_element() {
            let _ = composer.before_with_node_1(&root);
        }
        Self { root, shown: None }
    }

    /// Brings the menu and form up to date with `prompts`.
    pub(crate) fn render(
        &mut self,
        doc: &Document,
        prompts: &Prompts,
        input: &HtmlTextAreaElement,
        s: &Strings,
    ) {
        if self.shown.as_ref() == Some(prompts) {
            return;
        }
        self.shown = Some(prompts.clone());
        let root = &self.root;
        root.set_text_content(None);
        let matching = prompts.matching();
        let open = !matching.is_empty();
        let active = format!("prompt-{}", prompts.active);
        dom::set_opt(input, "aria-controls", open.then_some("prompt-menu"));
        dom::set_opt(input, "aria-activedescendant", open.then_some(&active));
        if open {
            let menu = dom::child(
                doc,
                root,
                "ul",
                &[
                    ("id", "prompt-menu"),
                    ("role", "listbox"),
                    ("data-role", "prompt-menu"),
                    ("aria-label", s.prompts),
                ],
            );
            for (i, prompt) in matching.iter().enumerate() {
                let (id, index) = (format!("prompt-{i}"), i.to_string());
                let selected = if i == prompts.active { "true" } else { "false" };
                let attrs = [
                    ("id", id.as_str()),
                    ("role", "option"),
                    ("aria-selected", selected),
                    ("data-action", PICK),
                    ("data-index", &index),
                ];
                let item = dom::child(doc, &menu, "li", &attrs);
                dom::text_child(doc, &item, "b", &[], &format!("/{}", prompt.name));
                dom::text_child(doc, &item, "span", &[], &prompt.title);
            }
        }
        let Some(prompt) = &prompts.form else {
            return;
        };
        let form = dom::child(
            doc,
            root,
            "form",
            &[("data-role", "prompt-form"), ("aria-label", &prompt.title)],
        );
        dom::text_child(doc, &form, "p", &[("class", "label")], &prompt.title);
        for argument in &prompt.arguments {
            let label = dom::text_child(doc, &form, "label", &[], &argument.title);
            let field = dom::child(doc, &label, "input", &[("data-arg", &argument.name)]);
            dom::set_opt(&field, "placeholder", argument.description.as_deref());
            dom::flag(&field, "required", argument.required);
        }
        if let Some(error) = &prompts.error {
            dom::text_child(
                doc,
                &form,
                "p",
                &[("class", "failure"), ("role", "alert")],
                error,
            );
        }
        dom::text_child(doc, &form, "button", &[("type", "submit")], s.insert);
        let cancel = [
            ("type", "button"),
            ("class", "secondary"),
            ("data-action", CANCEL),
        ];
        dom::text_child(doc, &form, "button", &cancel, s.cancel_edit);
    }

    /// Moves the keyboard focus to the form's first field.
    pub(crate) fn focus_form(&self) {
        if let Ok(Some(field)) = self.root.query_selector("input") {
            let _ = field.unchecked_into::<HtmlElement>().focus();
        }
    }
}
