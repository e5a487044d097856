//! A server's question inside its tool card: a form (or a link to open) with Submit, Decline
//! and Cancel.
//!
//! Contract: `form[data-role="elicitation"]` with `data-elicitation-id` and `data-state` =
//! `pending` (the answer still streams) | `open` | `sent`, inside the call's
//! `details[data-role="tool-call"]` (opened). It shows the server's message, then one labelled
//! control per field, named by the field (`name`): text inputs (`type` email, url, date,
//! datetime-local by format), number inputs (`step="1"` for whole numbers, `min`/`max`), a
//! checkbox for a boolean, a `select` for a choice (`multiple` for several), each `required`
//! when it must be answered and described by its help text. A link shows its domain on the
//! button that opens it. `button[data-action]` = `elicit-accept` | `elicit-decline` |
//! `elicit-cancel` carry the id; `[data-role="elicitation-error"]` (`role="alert"`) names a
//! field the last Submit found wrong.

use protocol::{FieldInput, FormField};
use web_sys::{Document, Element};

use crate::dom;
use crate::i18n::{Strings, fill};
use crate::state::elicitation::{Ask, Entered, domain};

/// The `data-action` of Submit (or of the link's button).
pub(crate) const ACCEPT: &str = "elicit-accept";
/// The `data-action` of Decline.
pub(crate) const DECLINE: &str = "elicit-decline";
/// The `data-action` of Cancel.
pub(crate) const CANCEL: &str = "elicit-cancel";

/// One question's form and what it last showed.
pub(crate) struct ElicitationView {
    root: Element,
    /// Holds every control: disabled at once when the form is not open.
    fields: Element,
    error: Element,
    shown: (&'static str, Option<String>),
}

impl ElicitationView {
    /// Creates the form for `ask` inside `parent` (its tool card, opened so the form shows).
    pub(crate) fn new(doc: &Document, parent: &Element, ask: &Ask, s: &Strings) -> Self {
        dom::set(parent, "open", "");
        let root = dom::child(
            doc,
            parent,
            "form",
            &[
                ("class", "elicitation"),
                ("data-role", "elicitation"),
                ("data-elicitation-id", &ask.id),
                ("aria-label", &ask.message),
            ],
        );
        dom::text_child(doc, &root, "p", &[("class", "title")], &ask.message);
        let fields = dom::child(doc, &root, "fieldset", &[("class", "elicitation")]);
        for (i, field) in ask.fields.iter().enumerate() {
            field_row(doc, &fields, field, &format!("{}-{i}", ask.call_id));
        }
        let error = dom::child(
            doc,
            &fields,
            "p",
            &[
                ("class", "failure"),
                ("data-role", "elicitation-error"),
                ("role", "alert"),
            ],
        );
        let actions = dom::child(doc, &fields, "div", &[("class", "actions")]);
        let accept = match &ask.url {
            Some(url) => fill(s.ask[3], &[domain(url)]),
            None => s.ask[0].to_owned(),
        };
        for (action, text) in [
            (ACCEPT, accept.as_str()),
            (DECLINE, s.ask[1]),
            (CANCEL, s.ask[2]),
        ] {
            let class = if action == ACCEPT { "" } else { "secondary" };
            dom::text_child(
                doc,
                &actions,
                "button",
                &[
                    ("type", "button"),
                    ("class", class),
                    ("data-action", action),
                    ("data-elicitation-id", &ask.id),
                ],
                text,
            );
        }
        Self {
            root,
            fields,
            error,
            shown: ("", None),
        }
    }

    /// Brings the form up to date: `open` when the answer waits for it, `streaming` while the
    /// answer that asked still streams.
    pub(crate) fn render(&mut self, ask: &Ask, open: bool, streaming: bool, s: &Strings) {
        let state = match (ask.sent || ask.reply.is_some(), streaming, open) {
            (true, _, _) | (false, false, false) => "sent",
            (false, true, _) => "pending",
            (false, false, true) => "open",
        };
        let shown = (state, ask.invalid.clone());
        if shown == self.shown {
            return;
        }
        dom::set(&self.root, "data-state", state);
        let error = ask.invalid.as_deref().map(|f| fill(s.ask[4], &[f]));
        self.error.set_text_content(error.as_deref());
        dom::flag(&self.fields, "disabled", state != "open");
        self.shown = shown;
    }
}

/// One labelled control for `field`; `key` makes its element ids unique.
fn field_row(doc: &Document, form: &Element, field: &FormField, key: &str) {
    let id = format!("pchat-ask-{key}");
    let label = dom::child(doc, form, "label", &[("class", "field"), ("for", &id)]);
    dom::append(&label, &doc.create_text_node(&field.title));
    // The browser writes the number (no float formatting in the bundle).
    let number = |n: &Option<protocol::Bound>| {
        n.map(|protocol::Bound(x)| {
            String::from(
                js_sys::Number::from(x)
                    .to_string_with_radix(10)
                    .unwrap_or_else(|_| "".into()),
            )
        })
    };
    let control = match field.input {
        FieldInput::Choice | FieldInput::Multi => {
            let select = dom::child(doc, form, "select", &[("id", &id), ("name", &field.name)]);
            dom::flag(&select, "multiple", field.input == FieldInput::Multi);
            if field.input == FieldInput::Choice && !field.required {
                dom::child(doc, &select, "option", &[("value", "")]);
            }
            for option in &field.options {
                let el = dom::text_child(
                    doc,
                    &select,
                    "option",
                    &[("value", &option.value)],
                    &option.label,
                );
                dom::flag(
                    &el,
                    "selected",
                    field.default.as_deref() == Some(&option.value),
                );
            }
            select
        }
        input => {
            let kind = match input {
                FieldInput::Email => "email",
                FieldInput::Url => "url",
                FieldInput::Date => "date",
                FieldInput::DateTime => "datetime-local",
                FieldInput::Number | FieldInput::Integer => "number",
                FieldInput::Boolean => "checkbox",
                _ => "text",
            };
            let el = dom::child(
                doc,
                form,
                "input",
                &[("id", &id), ("name", &field.name), ("type", kind)],
            );
            match input {
                FieldInput::Boolean => {
                    dom::flag(&el, "checked", field.default.as_deref() == Some("true"))
                }
                FieldInput::Number | FieldInput::Integer => {
                    dom::set(
                        &el,
                        "step",
                        if input == FieldInput::Integer {
                            "1"
                        } else {
                            "any"
                        },
                    );
                    dom::set_opt(&el, "min", number(&field.min).as_deref());
                    dom::set_opt(&el, "max", number(&field.max).as_deref());
                    dom::set_opt(&el, "value", field.default.as_deref());
                }
                _ => {
                    dom::set_opt(&el, "minlength", number(&field.min).as_deref());
                    dom::set_opt(&el, "maxlength", number(&field.max).as_deref());
                    dom::set_opt(&el, "value", field.default.as_deref());
                }
            }
            el
        }
    };
    dom::flag(&control, "required", field.required);
    if !field.description.is_empty() {
        let help = format!("{id}-help");
        dom::text_child(
            doc,
            form,
            "small",
            &[("id", &help), ("class", "help")],
            &field.description,
        );
        dom::set(&control, "aria-describedby", &help);
    }
}

/// What the controls of the form that holds `button` hold: a checkbox its state, a number input
/// its number (nothing when empty), a multi-select one pair per chosen option.
pub(crate) fn values(button: &Element) -> Vec<(String, Entered)> {
    use wasm_bindgen::JsCast;
    let mut out = Vec::new();
    let Some(form) = button.closest("form").ok().flatten() else {
        return out;
    };
    let Ok(list) = form.query_selector_all("input[name],select[name] option:checked") else {
        return out;
    };
    for i in 0..list.length() {
        let Some(node) = list.item(i) else { continue };
        if let Some(input) = node.dyn_ref::<web_sys::HtmlInputElement>() {
            let value = match input.type_().as_str() {
                "checkbox" => Entered::Bool(input.checked()),
                "number" if input.value().is_empty() => continue,
                "number" => Entered::Number(input.value_as_number()),
                _ => Entered::Text(input.value()),
            };
            out.push((input.name(), value));
        } else if let Some(option) = node.dyn_ref::<Element>() {
            let name = option
                .closest("select")
                .ok()
                .flatten()
                .and_then(|s| s.get_attribute("name"));
            if let (Some(name), Some(value)) = (name, option.get_attribute("value")) {
                out.push((name, Entered::Text(value)));
            }
        }
    }
    out
}
