//! What an approval card and a tool-call card share: their root (a `card` of one kind, naming
//! the call's server and tool) and the attributes of the block that shows a call's arguments.

use web_sys::{Document, Element};

use crate::dom;

/// The attributes of a card's `pre[data-role="arguments"]`. Scrollable, so reachable by
/// keyboard (WCAG 2.1.1).
pub(crate) const ARGUMENTS: [(&str, &str); 3] = [
    ("class", "args"),
    ("data-role", "arguments"),
    ("tabindex", "0"),
];

/// The root of a card of `kind` (its class, `part` and `data-role`) about `tool` on `server`,
/// inside `parent`: a `tag` element with `(id_name, id)` and the `extra` attributes.
pub(crate) fn root(
    doc: &Document,
    parent: &Element,
    (tag, kind): (&str, &str),
    (server, tool): (&str, &str),
    (id_name, id): (&str, &str),
    extra: (&str, &str),
) -> Element {
    let class = format!("card {kind}");
    dom::child(
        doc,
        parent,
        tag,
        &[
            ("class", &class),
            ("part", kind),
            ("data-role", kind),
            (id_name, id),
            ("data-server", server),
            ("data-tool", tool),
            extra,
        ],
    )
}
