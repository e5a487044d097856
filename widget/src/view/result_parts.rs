//! A rich tool result's parts inside its card, in order (only parts `state::parts` let through).
//!
//! Contract, inside the card's `[data-role="result"]`: text as `pre.output`; an image as
//! `img[data-role="part-image"]` whose `src` is a `data:` URL; audio as
//! `audio[data-role="part-audio"][controls]`; a web link as `a[data-role="part-link"]`
//! (`target="_blank"`, `rel="noopener noreferrer"`); a reference (a URI that is not a web link)
//! as text in `[data-role="part-reference"]`; an embedded resource as a collapsed
//! `details[data-role="part-resource"]`; structured content as `table[data-role="part-table"]`
//! or pretty-printed `pre[data-role="part-json"]`; an omitted part as
//! `[data-role="part-omitted"]`. Every string from the tool is set as text or as an attribute
//! value, never as markup.

use protocol::ResultPart;
use web_sys::{Document, Element};

use crate::dom;
use crate::i18n::{Strings, fill};
use crate::pretty_json::pretty;

/// Renders `parts` at the end of `section`.
pub(crate) fn render(doc: &Document, section: &Element, parts: &[ResultPart], s: &Strings) {
    for part in parts {
        match part {
            ResultPart::Text { text } => {
                let attrs = [("class", "output"), ("tabindex", "0")];
                dom::text_child(doc, section, "pre", &attrs, text);
            }
            ResultPart::Image { mime_type, data } => {
                let src = format!("data:{mime_type};base64,{data}");
                let attrs = [("data-role", "part-image"), ("src", &src), ("alt", s.image)];
                dom::child(doc, section, "img", &attrs);
            }
            ResultPart::Audio { mime_type, data } => {
                let src = format!("data:{mime_type};base64,{data}");
                let attrs = [
                    ("data-role", "part-audio"),
                    ("controls", ""),
                    ("src", &src),
                    ("aria-label", s.audio),
                ];
                dom::child(doc, section, "audio", &attrs);
            }
            ResultPart::Link { uri, title } => {
                let p = dom::child(doc, section, "p", &[]);
                let attrs = [
                    ("data-role", "part-link"),
                    ("href", uri),
                    ("target", "_blank"),
                    ("rel", "noopener noreferrer"),
                ];
                dom::text_child(doc, &p, "a", &attrs, title);
            }
            ResultPart::Reference { uri, title } => {
                let text = format!("{title} ({uri})");
                dom::text_child(doc, section, "p", &[("data-role", "part-reference")], &text);
            }
            ResultPart::Resource { uri, text } => {
                let details =
                    dom::child(doc, section, "details", &[("data-role", "part-resource")]);
                dom::text_child(doc, &details, "summary", &[], uri);
                let attrs = [("class", "output"), ("tabindex", "0")];
                dom::text_child(doc, &details, "pre", &attrs, text);
            }
            ResultPart::Table { columns, rows } => table(doc, section, columns, rows),
            ResultPart::Json { json } => {
                let text = pretty(json).unwrap_or_else(|| json.clone());
                let attrs = [
                    ("class", "output"),
                    ("data-role", "part-json"),
                    ("tabindex", "0"),
                ];
                dom::text_child(doc, section, "pre", &attrs, &text);
            }
            ResultPart::Omitted { kind, reason } => {
                let mut text = fill(s.part_omitted, &[kind]);
                if !reason.is_empty() {
                    text = format!("{text}: {reason}");
                }
                dom::text_child(doc, section, "p", &[("data-role", "part-omitted")], &text);
            }
        }
    }
}

/// A scrollable table of text cells (reachable by keyboard).
fn table(doc: &Document, section: &Element, columns: &[String], rows: &[Vec<String>]) {
    let scroll = dom::child(
        doc,
        section,
        "div",
        &[("class", "table"), ("tabindex", "0")],
    );
    let table = dom::child(doc, &scroll, "table", &[("data-role", "part-table")]);
    let head = dom::child(doc, &table, "tr", &[]);
    for column in columns {
        dom::text_child(doc, &head, "th", &[("scope", "col")], column);
    }
    for row in rows {
        let tr = dom::child(doc, &table, "tr", &[]);
        for cell in row {
            dom::text_child(doc, &tr, "td", &[], cell);
        }
    }
}
