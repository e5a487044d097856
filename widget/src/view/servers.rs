//! The server picker: one checkbox per MCP server the edge offers.
//!
//! Contract: each server is an `input[type=checkbox][data-server-id="<id>"]` inside a
//! `label[data-role="server"]`, with the server's description as the label's `title`. While
//! shown, the checkboxes themselves hold the selection ([`ServersView::checked`] reads it), so
//! a page or a test that ticks one programmatically is honoured too.

use wasm_bindgen::JsCast;
use web_sys::{Document, Element, HtmlInputElement};

use crate::dom;
use crate::state::Servers;
use crate::view::error_box::{self, Actions};

/// The `data-action` of the Retry button of a failed server list.
pub(crate) const RELOAD: &str = "reload-servers";

/// The server picker's DOM and what it last showed.
pub(crate) struct ServersView {
    root: Element,
    shown: Option<(Servers, String)>,
}

impl ServersView {
    /// Creates the (empty) picker inside `parent`.
    pub(crate) fn new(doc: &Document, parent: &Element) -> Self {
        let root = dom::child(
            doc,
            parent,
            "div",
            &[
                ("class", "servers"),
                ("part", "servers"),
                ("role", "group"),
                ("aria-label", "Servers the answer may use"),
            ],
        );
        Self { root, shown: None }
    }

    /// Shows `servers`, ticking the `selected` ones when the list is (re)built.
    pub(crate) fn render(
        &mut self,
        doc: &Document,
        servers: &Servers,
        selected: &[String],
        sign_in_url: &str,
    ) {
        let key = (servers.clone(), sign_in_url.to_owned());
        if self.shown.as_ref() == Some(&key) {
            return;
        }
        self.shown = Some(key);
        self.root.set_text_content(None);
        match servers {
            Servers::Loading => {
                dom::text_child(
                    doc,
                    &self.root,
                    "p",
                    &[("class", "status")],
                    "Loading servers…",
                );
            }
            Servers::Loaded(list) if list.is_empty() => {
                dom::text_child(
                    doc,
                    &self.root,
                    "p",
                    &[("class", "status")],
                    "No servers available",
                );
            }
            Servers::Loaded(list) => {
                for server in list {
                    let label = dom::child(
                        doc,
                        &self.root,
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
                    dom::text_child(doc, &label, "span", &[("class", "name")], &server.name);
                    if server.needs_oauth && !server.connected {
                        dom::text_child(
                            doc,
                            &label,
                            "span",
                            &[("class", "hint")],
                            "(not connected)",
                        );
                    }
                }
            }
            Servers::Failed(error) => {
                let actions = Actions {
                    retry: error.retryable.then_some(RELOAD),
                    sign_in_url,
                    request_id: None,
                };
                let error_box = error_box::build(doc, error, &actions);
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
