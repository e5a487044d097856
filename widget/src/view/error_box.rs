//! The error box: an [`ApiError`] shown with its message, its code and what the user can do.
//!
//! Contract: `[data-role="error"][data-code="<code>"]` with `role="alert"`. A 401 offers a
//! `a[data-role="sign-in"]` that opens the edge in a new window (sign-in must happen in a
//! top-level window: `fetch` cannot follow the identity provider's redirects); a retryable
//! error offers a `button[data-role="retry"]` whose `data-action` says what to retry.

use protocol::{ApiError, ErrorCode};
use web_sys::{Document, Element};

use crate::api;
use crate::dom;

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
pub(crate) fn build(doc: &Document, error: &ApiError, actions: &Actions<'_>) -> Element {
    let code = api::code_name(error.code);
    let root = dom::element(doc, "div");
    for (name, value) in [
        ("class", "error"),
        ("part", "error"),
        ("role", "alert"),
        ("data-role", "error"),
        ("data-code", code.as_str()),
    ] {
        dom::set(&root, name, value);
    }
    dom::text_child(doc, &root, "p", &[("class", "message")], &error.message);
    let details = match actions.request_id {
        Some(id) => format!("Error code: {code} · request {id}"),
        None => format!("Error code: {code}"),
    };
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
                ("href", actions.sign_in_url),
                ("target", "_blank"),
                ("rel", "noopener noreferrer"),
            ],
            "Sign in",
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
            "Retry",
        );
    }
    root
}
