//! What an approval card and a tool-call card share: the attributes of the block that shows a
//! call's arguments.

/// The attributes of a card's `pre[data-role="arguments"]`. Scrollable, so reachable by
/// keyboard (WCAG 2.1.1).
pub(crate) const ARGUMENTS: [(&str, &str); 3] = [
    ("class", "args"),
    ("data-role", "arguments"),
    ("tabindex", "0"),
];
