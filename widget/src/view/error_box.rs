//! The error box: an [`ApiError`] shown as a clear, translated message, with what the user can do.
//!
//! Contract: `[data-role="error"][data-code="<code>"]` with `role="alert"`. The first line is the
//! locale's message for the code; the edge's own message (already safe to show) follows when it
//! adds something, then the code and the request id for support. A 401 offers
//! `a[data-role="sign-in"][data-action="sign-in"]`, which opens the edge in a popup (or, when
//! popups are blocked, a new tab: sign-in must happen in a top-level window, `fetch` cannot
//! follow the identity provider's redirects); a retryable error offers a
//! `button[data-role="retry"]` whose `data-action` says what to retry.

use protocol::{ApiError, ErrorCode};
use web_sys::{Document, Element};

use crate::dom;
use crate::i18n::{Strings, fill};

/// The `data-action` of the sign-in link.
pub(crate) const SIGN_IN: &str = "sign-in";

/// What the error box offers besides the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Actions<'a> {
    /// The `data-action` of the Retry button, when there is one.
    pub(crate) retry: Option<&'a str>,
    /// Where the sign-in link points (shown for `unauthorized` only).
    pub(crate) sign_in_url: &'a str,
    /// The edge's id of the failed request, for support.
    pub(crate) request_id: Option<&'a str>,
}

/// Builds the error box for `error`.
pub(crate) fn build(
    doc: &Document,
    error: &ApiError,
    actions: &Actions<'_>,
    s: &Strings,
) -> Element {
    let code = error.code.as_str();
    let root = dom::element(doc, "div");
    for (name, value) in [
        ("class", "error"),
        ("part", "error"),
        ("role", "alert"),
        ("data-role", "error"),
        ("data-code", code),
    ] {
        dom::set(&root, name, value);
    }
    let headline = s.error(error.code);
    dom::text_child(doc, &root, "p", &[("class", "message")], headline);
    if !error.message.is_empty() && error.message != headline {
        dom::text_child(doc, &root, "p", &[("class", "detail")], &error.message);
    }
    let mut details = fill(s.error_code, &[code]);
    if let Some(id) = actions.request_id {
        details.push_str(" · ");
        details.push_str(&fill(s.request, &[id]));
    }
    dom::text_child(doc, &root, "p", &[("class", "code")], &details);
    let sign_in = error.code == ErrorCode::Unauthorized;
    if !sign_in && actions.retry.is_none() {
        return root;
    }
    let row = dom::child(doc, &root, "div", &[("class", "actions")]);
    if sign_in {
        dom::text_child(
            doc,
            &row,
            "a",
            &[
                ("class", "link-button"),
                ("data-role", "sign-in"),
                ("data-action", SIGN_IN),
                ("href", actions.sign_in_url),
                ("target", "_blank"),
                ("rel", "noopener noreferrer"),
            ],
            s.sign_in,
        );
    }
    if let Some(action) = actions.retry {
        dom::text_child(
            doc,
            &row,
            "button",
            &[
                ("type", "button"),
                ("class", "secondary"),
                ("data-role", "retry"),
                ("data-action", action),
            ],
            s.retry,
        );
    }
    root
}
