//! The server picker: one checkbox per MCP server, with its logo, status and connection.
//!
//! Contract: each server is an `input[type=checkbox][data-server-id="<id>"]` inside a
//! `label[data-role="server"]` (the description as the label's `title`), followed, when it
//! applies, by `a[data-role="connect"]` (the server's `connect_url`: an upstream sign-in that
//! comes back to this page) or `button[data-role="disconnect"][data-action="disconnect"]`.
//! `button[data-role="refresh"]` reloads the list. The selection lives in the state: a box's
//! `change` is a message, and the boxes are ticked from the state. A change of the selection
//! alone ticks and unticks the boxes in place (the focus stays on the box just pressed); any
//! other change builds the list again.

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
    /// The checkboxes, with their server ids.
    boxes: Vec<(String, HtmlInputElement)>,
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
        Self {
            root,
            shown: None,
            boxes: Vec::new(),
        }
    }

    /// Shows `want`: ticks the boxes of the selected servers, building the list again when
    /// more than the selection changed.
    pub(crate) fn render(&mut self, doc: &Document, want: &Shown, s: &Strings) {
        let Some(shown) = self.shown.replace(want.clone()) else {
            return self.build(doc, want, s);
        };
        let same_list = shown.servers == want.servers
            && shown.can_disconnect == want.can_disconnect
            && shown.sign_in_url == want.sign_in_url
            && shown.lang == want.lang;
        if !same_list {
            return self.build(doc, want, s);
        }
        if shown.selected != want.selected {
            self.tick(&want.selected);
        }
    }

    /// Ticks exactly the boxes of `selected`.
    fn tick(&self, selected: &[String]) {
        for (id, input) in &self.boxes {
            input.set_checked(selected.contains(id));
        }
    }

    fn build(&mut self, doc: &Document, want: &Shown, s: &Strings) {
        self.boxes.clear();
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
                    self.boxes.push((
                        server.id.clone(),
                        input.unchecked_into::<HtmlInputElement>(),
                    ));
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
        self.tick(&want.selected);
    }
}
