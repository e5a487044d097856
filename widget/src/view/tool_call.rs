//! Tool cards: a server's tool listing and each tool call, collapsed by default.
//!
//! Contract: a call is `details[data-role="tool-call"]` with `data-call-id`, `data-server`,
//! `data-tool` and `data-status` = `running` | `done` | `failed`; its summary names the tool
//! and the server and shows the status (`[data-role="status"]`). Inside: the arguments
//! (`pre[data-role="arguments"]`, growing as they stream, pretty-printed once complete), the
//! result (`[data-role="result"]`, cut at [`PREVIEW_CHARS`] with a
//! `button[data-action="show-all"]`) or the failure (`[data-role="failure"]`). A listing is
//! `details[data-role="tool-list"]` with `data-server` and `data-status`. Tool text is only
//! ever set as text. While a call runs and its server reports progress, the summary shows
//! `[data-role="progress"]`: a `<progress>` bar (with `aria-valuenow`) when a percent is known,
//! the tool's message otherwise; it is not a live region, so ticks are not announced. A rich
//! result shows its parts instead of the output text (`view/result_parts.rs`).

use protocol::{ResultPart, ToolStatus};
use web_sys::{Document, Element, Text};

use super::app_frame::AppFrameView;
use super::{card, result_parts};
use crate::dom;
use crate::i18n::{Strings, fill};
use crate::pretty_json::pretty;
use crate::state::{CallProgress, CallStatus, ToolCall, ToolList};

/// The `data-action` of a result's "Show all" button.
pub(crate) const SHOW_ALL: &str = "show-all";
/// How much of a long result a card shows until "Show all".
pub(crate) const PREVIEW_CHARS: usize = 1500;

/// One call's card and what it last showed.
pub(crate) struct ToolCallView {
    root: Element,
    summary: Element,
    status: Element,
    /// The progress shown in the summary, and what it shows.
    progress: Option<(Element, CallProgress)>,
    arguments: Text,
    arguments_len: usize,
    shown: CallStatus,
    /// The whole result, while the card shows only its start.
    hidden_result: Option<(Element, String)>,
    /// The call's MCP App view, once shown.
    app: Option<AppFrameView>,
}

impl ToolCallView {
    /// Creates the card for `call` inside `parent`, labelled with the server's display name.
    pub(crate) fn new(
        doc: &Document,
        parent: &Element,
        call: &ToolCall,
        server_name: &str,
        s: &Strings,
    ) -> Self {
        let root = card::root(
            doc,
            parent,
            ("details", "tool-call"),
            (&call.server, &call.tool),
            ("data-call-id", &call.call_id),
            ("data-status", "running"),
        );
        let summary = dom::child(doc, &root, "summary", &[]);
        dom::text_child(doc, &summary, "span", &[("class", "name")], &call.tool);
        dom::text_child(doc, &summary, "span", &[("class", "server")], server_name);
        let status = dom::text_child(
            doc,
            &summary,
            "span",
            &[("class", "state"), ("data-role", "status")],
            s.running,
        );
        dom::text_child(doc, &root, "p", &[("class", "label")], s.arguments);
        let pre = dom::child(doc, &root, "pre", &card::ARGUMENTS);
        let arguments = doc.create_text_node("");
        dom::append(&pre, &arguments);
        Self {
            root,
            summary,
            status,
            progress: None,
            arguments,
            arguments_len: 0,
            shown: CallStatus::Running,
            hidden_result: None,
            app: None,
        }
    }

    /// Brings the card up to date with `call` (`sign_in_url` is on the edge, where its MCP App
    /// view is served).
    pub(crate) fn render(
        &mut self,
        doc: &Document,
        call: &ToolCall,
        sign_in_url: &str,
        s: &Strings,
    ) {
        if call.status == CallStatus::Running {
            dom::append_tail(&self.arguments, &mut self.arguments_len, &call.arguments);
        }
        self.render_progress(doc, call.progress.as_ref(), s);
        if let Some(app) = &call.app {
            match &mut self.app {
                Some(view) => view.render(doc, &call.call_id, app, s),
                None => {
                    let view = AppFrameView::new(doc, &self.root, call, app, sign_in_url, s);
                    self.app = Some(view);
                }
            }
        }
        if call.status == self.shown {
            return;
        }
        self.shown = call.status.clone();
        // Complete now: show the arguments pretty-printed when they are JSON.
        let arguments = pretty(&call.arguments).unwrap_or_else(|| call.arguments.clone());
        self.arguments.set_data(&arguments);
        self.arguments_len = call.arguments.len();
        let (status, label) = match &call.status {
            CallStatus::Running => ("running", s.running),
            CallStatus::Done(output) => {
                self.result(doc, output, &call.parts, s);
                ("done", s.done)
            }
            CallStatus::Failed(error) => {
                let error = if error.is_empty() {
                    s.call_unfinished
                } else {
                    error
                };
                dom::text_child(
                    doc,
                    &self.root,
                    "p",
                    &[("class", "failure"), ("data-role", "failure")],
                    error,
                );
                ("failed", s.failed)
            }
        };
        dom::set(&self.root, "data-status", status);
        self.status.set_text_content(Some(label));
    }

    /// Shows `progress` in the summary (replacing what was there), or removes it.
    fn render_progress(&mut self, doc: &Document, progress: Option<&CallProgress>, s: &Strings) {
        if self.progress.as_ref().map(|(_, p)| p) == progress {
            return;
        }
        if let Some((element, _)) = self.progress.take() {
            element.remove();
        }
        let Some(progress) = progress else {
            return;
        };
        let message = progress.message.as_deref().unwrap_or_default();
        let element = match progress.percent {
            Some(percent) => {
                let value = percent.to_string();
                let label = if message.is_empty() {
                    s.progress
                } else {
                    message
                };
                dom::child(
                    doc,
                    &self.summary,
                    "progress",
                    &[
                        ("class", "progress"),
                        ("data-role", "progress"),
                        ("max", "100"),
                        ("value", &value),
                        ("aria-valuemin", "0"),
                        ("aria-valuemax", "100"),
                        ("aria-valuenow", &value),
                        ("aria-label", label),
                    ],
                )
            }
            None => dom::text_child(
                doc,
                &self.summary,
                "span",
                &[("class", "progress"), ("data-role", "progress")],
                message,
            ),
        };
        self.progress = Some((element, progress.clone()));
    }

    fn result(&mut self, doc: &Document, output: &str, parts: &[ResultPart], s: &Strings) {
        let section = dom::child(doc, &self.root, "div", &[("data-role", "result")]);
        dom::text_child(doc, &section, "p", &[("class", "label")], s.result);
        if !parts.is_empty() {
            return result_parts::render(doc, &section, parts, s);
        }
        let text = pretty(output).unwrap_or_else(|| output.to_owned());
        let n_chars = text.chars().count();
        let preview = match text.char_indices().nth(PREVIEW_CHARS) {
            Some((cut, _)) if n_chars > PREVIEW_CHARS + PREVIEW_CHARS / 10 => {
                let mut preview = text[..cut].to_owned();
                preview.push('…');
                Some(preview)
            }
            _ => None,
        };
        let pre = dom::text_child(
            doc,
            &section,
            "pre",
            &[("class", "output"), ("tabindex", "0")],
            preview.as_deref().unwrap_or(&text),
        );
        if preview.is_some() {
            dom::text_child(
                doc,
                &section,
                "button",
                &[
                    ("type", "button"),
                    ("class", "secondary"),
                    ("data-action", SHOW_ALL),
                ],
                &fill(s.show_all, &[&n_chars.to_string()]),
            );
            self.hidden_result = Some((pre, text));
        }
    }

    /// Shows the whole result (the card's "Show all").
    pub(crate) fn show_all(&mut self) {
        if let Some((pre, text)) = self.hidden_result.take() {
            pre.set_text_content(Some(&text));
            if let Ok(Some(button)) = self.root.query_selector("[data-action=\"show-all\"]") {
                button.remove();
            }
        }
    }

    /// The card itself (a server's question about the call goes inside).
    pub(crate) fn root(&self) -> &Element {
        &self.root
    }

    /// The call's id.
    pub(crate) fn call_id(&self) -> Option<String> {
        self.root.get_attribute("data-call-id")
    }
}

/// Creates a listing card inside `parent`.
pub(crate) fn list_card(doc: &Document, parent: &Element, server: &str) -> Element {
    dom::child(
        doc,
        parent,
        "details",
        &[
            ("class", "card tool-list"),
            ("part", "tool-list"),
            ("data-role", "tool-list"),
            ("data-server", server),
        ],
    )
}

/// Fills a listing card from `list`.
pub(crate) fn render_list(
    doc: &Document,
    card: &Element,
    list: &ToolList,
    name: &str,
    s: &Strings,
) {
    card.set_text_content(None);
    let summary = match list.status {
        ToolStatus::InProgress => fill(s.tools_listing, &[name]),
        ToolStatus::Failed => fill(s.tools_failed, &[name]),
        ToolStatus::Completed if list.tools.is_empty() => fill(s.tools_none, &[name]),
        ToolStatus::Completed => fill(s.tools_offered, &[name, &list.tools.len().to_string()]),
    };
    dom::set(card, "data-status", list.status.as_str());
    dom::text_child(doc, card, "summary", &[], &summary);
    if !list.tools.is_empty() {
        let ul = dom::child(doc, card, "ul", &[("class", "tools")]);
        for tool in &list.tools {
            dom::text_child(doc, &ul, "li", &[], tool);
        }
    }
}
