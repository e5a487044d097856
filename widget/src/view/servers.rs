//! The server picker: one checkbox per MCP server, with its logo, status and connection.
//!
//! Contract: each server is an `input[type=checkbox][data-server-id="<id>"]` inside a
//! `label[data-role="server"]` (the description as the label's `title`), followed, when it
//! applies, by `a[data-role="connect"]` (the server's `connect_url`: an upstream sign-in that
//! comes back to this page) or `button[data-role="disconnect"][data-action="disconnect"]`.
//! `button[data-role="refresh"]` reloads the list. While shown, the checkboxes themselves hold
//! the selection ([`ServersView::checked`] reads it), so a page or a test that ticks one
//! programmatically is honoured too.

use wasm_bindgen::JsCast;
use web_sys::{Document, Element, HtmlInputElement};

use crate::dom;
use crate::i18n::{Strings, fill};
use crate::markdown::safe_href;
use crate::state::Servers;
use crate::view::error_box::{self, Actions};

/// The `data-action` of the buttons that reload the list.
pub(crate) const RELOAD: &str = "reload-servers";
/// The `data-action` of a Disconnect button.
pub(crate) const DISCONNECT: &str = "disconnect";
/// The `data-action` of a Connect link.
pub(crate) const CONNECT: &str = "connect";

/// What the picker shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Shown {
    pub(crate) servers: Servers,
    pub(crate) selected: Vec<String>,
    pub(crate) can_disconnect: bool,
    pub(crate) sign_in_url: String,
    pub(crate) lang: &'static str,
}

/// The server picker's DOM and what it last showed.
pub(crate) struct ServersView {
    root: Element,
    shown: Option<Shown>,
}

impl ServersView {
    /// Creates the (empty) picker inside `parent`.
    pub(crate) fn new(doc: &Document, parent: &Element) -> Self {
        let root = dom::child(
            doc,
            parent,
            "div",
            &[("class", "servers"), ("part", "servers"), ("role", "group")],
        );
        Self { root, shown: None }
    }

    /// Shows `want`, ticking the selected servers when the list is (re)built.
    pub(crate) fn render(&mut self, doc: &Document, want: &Shown, s: &Strings) {
        if self.shown.as_ref() == Some(want) {
            return;
        }
        // Keep what the user ticked since the last build.
        let mut selected = want.selected.clone();
        for id in self.checked() {
            if !selected.contains(&id) {
                selected.push(id);
            }
        }
        self.shown = Some(want.clone());
        dom::set(&self.root, "aria-label", s.servers);
        self.root.set_text_content(None);
        match &want.servers {
            Servers::Loading => {
                dom::text_child(
                    doc,
                    &self.root,
                    "p",
                    &[("class", "status")],
                    s.servers_loading,
                );
            }
            Servers::Loaded(list) if list.is_empty() => {
                dom::text_child(doc, &self.root, "p", &[("class", "status")], s.servers_none);
            }
            Servers::Loaded(list) => {
                for server in list {
                    let item = dom::child(doc, &self.root, "span", &[("class", "server-item")]);
                    let label = dom::child(
                        doc,
                        &item,
                        "label",
                        &[
                            ("class", "server"),
                            ("part", "server"),
                            ("data-role", "server"),
                        ],
                    );
                    dom::set_opt(&label, "title", server.description.as_deref());
                    let input = dom::child(
                        doc,
                        &label,
                        "input",
                        &[("type", "checkbox"), ("data-server-id", &server.id)],
                    );
                    if selected.contains(&server.id) {
                        dom::flag(&input, "checked", true);
                    }
                    let logo = server.logo_url.as_deref().filter(|url| {
                        safe_href(url).is_some_and(|u| !u.starts_with("mailto"))
                            || url.starts_with("data:image/")
                    });
                    if let Some(logo) = logo {
                        dom::child(
                            doc,
                            &label,
                            "img",
                            &[
                                ("class", "logo"),
                                ("src", logo),
                                ("alt", ""),
                                ("referrerpolicy", "no-referrer"),
                            ],
                        );
                    }
                    dom::text_child(doc, &label, "span", &[("class", "name")], &server.name);
                    if let Some(description) = &server.description {
                        // The `title` shows on hover; this is for screen readers and touch.
                        dom::text_child(
                            doc,
                            &label,
                            "span",
                            &[("class", "visually-hidden")],
                            description,
                        );
                    }
                    let connect = server
                        .connect_url
                        .as_deref()
                        .and_then(safe_href)
                        .filter(|_| server.needs_oauth && !server.connected);
                    if server.needs_oauth && !server.connected {
                        dom::text_child(doc, &label, "span", &[("class", "hint")], s.not_connected);
                    }
                    if let Some(url) = connect {
                        dom::text_child(
                            doc,
                            &item,
                            "a",
                            &[
                                ("class", "link-button small"),
                                ("data-role", "connect"),
                                ("data-action", CONNECT),
                                ("data-server-id", &server.id),
                                ("href", url),
                                ("target", "_blank"),
                                ("rel", "noopener noreferrer"),
                                ("aria-label", &fill(s.connect_to, &[&server.name])),
                            ],
                            s.connect,
                        );
                    }
                    if want.can_disconnect && server.needs_oauth && server.connected {
                        dom::text_child(
                            doc,
                            &item,
                            "button",
                            &[
                                ("type", "button"),
                                ("class", "secondary small"),
                                ("data-role", "disconnect"),
                                ("data-action", DISCONNECT),
                                ("data-server-id", &server.id),
                                ("aria-label", &fill(s.disconnect_from, &[&server.name])),
                            ],
                            s.disconnect,
                        );
                    }
                }
                dom::text_child(
                    doc,
                    &self.root,
                    "button",
                    &[
                        ("type", "button"),
                        ("class", "icon"),
                        ("data-role", "refresh"),
                        ("data-action", RELOAD),
                        ("aria-label", s.refresh),
                        ("title", s.refresh),
                    ],
                    "↻",
                );
            }
            Servers::Failed(error) => {
                let actions = Actions {
                    retry: error.retryable.then_some(RELOAD),
                    sign_in_url: &want.sign_in_url,
                    request_id: None,
                };
                let error_box = error_box::build(doc, error, &actions, s);
                dom::append(&self.root, &error_box);
            }
        }
    }

    /// The ids of the ticked servers, in list order.
    pub(crate) fn checked(&self) -> Vec<String> {
        let Ok(inputs) = self.root.query_selector_all("input[data-server-id]") else {
            return Vec::new();
        };
        (0..inputs.length())
            .filter_map(|i| inputs.item(i)?.dyn_into::<HtmlInputElement>().ok())
            .filter(HtmlInputElement::checked)
            .filter_map(|input| input.get_attribute("data-server-id"))
            .collect()
    }
}
