//! The DOM of one `<pomerium-chat>`: built once in its shadow root, then brought up to date from
//! a [`ChatState`] after every batch of messages.
//!
//! The view never parses text as HTML: everything from the user, the edge, the model or a tool
//! goes in through `textContent` or a text node, so a text delta such as
//! `<img src=x onerror=alert(1)>` shows as those characters. Each part remembers what it last
//! showed and changes only what differs. The DOM contract the end-to-end tests rely on is
//! listed in the submodules; the static part is: the log `[data-role="log"]` (`role="log"`,
//! `aria-live="polite"`), user messages `[data-role="message"][data-author="user"]`,
//! `textarea[data-role="input"]`, `button[data-role="send"]` and `button[data-role="stop"]`.
//!
//! | module | owns |
//! |---|---|
//! | [`servers`] | the server picker |
//! | [`answer`] | an assistant message |
//! | [`tool_call`] | a tool card inside an answer |
//! | [`error_box`] | the error box with its sign-in and Retry actions |

pub(crate) mod answer;
pub(crate) mod error_box;
pub(crate) mod servers;
pub(crate) mod tool_call;

use std::collections::HashMap;

use wasm_bindgen::{JsCast, JsValue};
use web_sys::{
    Document, Element, HtmlElement, HtmlTextAreaElement, ShadowRootInit, ShadowRootMode,
};

use crate::dom;
use crate::state::{ChatState, Servers};
use crate::styles;
use crate::view::answer::{AnswerView, Context};
use crate::view::servers::ServersView;

/// The `data-action` of the Send button.
pub(crate) const SEND: &str = "send";
/// The `data-action` of the Stop button.
pub(crate) const STOP: &str = "stop";

/// Why the view could not be built.
#[derive(Debug, thiserror::Error)]
pub(crate) enum MountError {
    /// The host element is not in a document.
    #[error("the element has no document")]
    NoDocument,
    /// The browser refused the shadow root or the stylesheet.
    #[error("the shadow root could not be set up")]
    ShadowRoot(JsValue),
}

/// What the view shows that comes from the element's attributes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Settings {
    /// The heading.
    pub(crate) title: String,
    /// The composer's placeholder.
    pub(crate) placeholder: String,
    /// Where a sign-in link points: the edge's root, opened in a new window.
    pub(crate) sign_in_url: String,
}

/// The DOM of one instance.
pub(crate) struct View {
    doc: Document,
    panel: Element,
    title: Element,
    servers: ServersView,
    log: Element,
    exchanges: Vec<(Element, AnswerView)>,
    input: HtmlTextAreaElement,
    send: Element,
    stop: Element,
}

impl View {
    /// Builds the view in `host`'s open shadow root, creating the root on first use and
    /// emptying it when the element comes back after a teardown.
    pub(crate) fn mount(host: &HtmlElement) -> Result<Self, MountError> {
        let doc = host.owner_document().ok_or(MountError::NoDocument)?;
        let root = match host.shadow_root() {
            Some(root) => {
                root.set_text_content(None);
                root
            }
            None => host
                .attach_shadow(&ShadowRootInit::new(ShadowRootMode::Open))
                .map_err(MountError::ShadowRoot)?,
        };
        styles::adopt(&root).map_err(MountError::ShadowRoot)?;

        let panel = dom::element(&doc, "div");
        dom::set(&panel, "class", "panel");
        dom::set(&panel, "part", "panel");
        let header = dom::child(
            &doc,
            &panel,
            "div",
            &[("class", "header"), ("part", "header")],
        );
        let title = dom::child(
            &doc,
            &header,
            "h2",
            &[("class", "title"), ("part", "title")],
        );
        let servers = ServersView::new(&doc, &header);
        let log = dom::child(
            &doc,
            &panel,
            "div",
            &[
                ("class", "log"),
                ("part", "log"),
                ("data-role", "log"),
                ("role", "log"),
                ("aria-live", "polite"),
                ("aria-label", "Conversation"),
                ("tabindex", "0"),
            ],
        );
        let composer = dom::child(
            &doc,
            &panel,
            "div",
            &[("class", "composer"), ("part", "composer")],
        );
        dom::text_child(
            &doc,
            &composer,
            "label",
            &[("class", "visually-hidden"), ("for", "pomerium-chat-input")],
            "Message",
        );
        let input = dom::child(
            &doc,
            &composer,
            "textarea",
            &[
                ("id", "pomerium-chat-input"),
                ("class", "input"),
                ("part", "input"),
                ("data-role", "input"),
                ("rows", "2"),
            ],
        )
        .unchecked_into::<HtmlTextAreaElement>();
        let send = dom::text_child(
            &doc,
            &composer,
            "button",
            &[
                ("type", "button"),
                ("part", "send"),
                ("data-role", "send"),
                ("data-action", SEND),
            ],
            "Send",
        );
        let stop = dom::text_child(
            &doc,
            &composer,
            "button",
            &[
                ("type", "button"),
                ("class", "secondary"),
                ("part", "stop"),
                ("data-role", "stop"),
                ("data-action", STOP),
                ("hidden", ""),
                ("disabled", ""),
            ],
            "Stop",
        );
        root.append_child(&panel).map_err(MountError::ShadowRoot)?;
        Ok(Self {
            doc,
            panel,
            title,
            servers,
            log,
            exchanges: Vec::new(),
            input,
            send,
            stop,
        })
    }

    /// The element that receives the delegated DOM events of the whole view.
    pub(crate) fn events_root(&self) -> &Element {
        &self.panel
    }

    /// Brings the DOM up to date with `state`.
    pub(crate) fn render(&mut self, state: &ChatState, settings: &Settings) {
        if self.title.text_content().as_deref() != Some(settings.title.as_str()) {
            self.title.set_text_content(Some(&settings.title));
        }
        if self.input.placeholder() != settings.placeholder {
            self.input.set_placeholder(&settings.placeholder);
        }
        self.servers.render(
            &self.doc,
            &state.servers,
            &state.selected,
            &settings.sign_in_url,
        );

        let follow = self.is_scrolled_to_bottom();
        let server_names = server_names(&state.servers);
        while self.exchanges.len() > state.exchanges.len() {
            if let Some((user, answer)) = self.exchanges.pop() {
                user.remove();
                answer.remove();
            }
        }
        let n_exchanges = state.exchanges.len();
        for (i, exchange) in state.exchanges.iter().enumerate() {
            if i == self.exchanges.len() {
                let user = dom::text_child(
                    &self.doc,
                    &self.log,
                    "div",
                    &[
                        ("class", "message user"),
                        ("part", "message user"),
                        ("data-role", "message"),
                        ("data-author", "user"),
                    ],
                    &exchange.question,
                );
                let answer = AnswerView::new(&self.doc, &self.log);
                self.exchanges.push((user, answer));
            }
            let cx = Context {
                server_names: &server_names,
                sign_in_url: &settings.sign_in_url,
                may_retry: i + 1 == n_exchanges,
            };
            self.exchanges[i].1.render(&self.doc, &exchange.answer, &cx);
        }
        if follow {
            self.log.set_scroll_top(self.log.scroll_height());
        }

        let busy = state.is_busy();
        dom::flag(&self.send, "disabled", busy);
        dom::flag(&self.stop, "disabled", !busy);
        dom::flag(&self.stop, "hidden", !busy);
    }

    /// Takes the draft out of the composer, emptying it.
    pub(crate) fn take_draft(&self) -> String {
        let draft = self.input.value();
        self.input.set_value("");
        draft
    }

    /// Moves the keyboard focus to the composer.
    pub(crate) fn focus_input(&self) {
        // Focusing an element in the page cannot meaningfully fail.
        let _ = self.input.focus();
    }

    /// Puts `draft` back into the composer, unless the user has started a new one.
    pub(crate) fn restore_draft(&self, draft: &str) {
        if self.input.value().is_empty() {
            self.input.set_value(draft);
        }
    }

    /// The ids of the ticked servers.
    pub(crate) fn checked_servers(&self) -> Vec<String> {
        self.servers.checked()
    }

    /// Follow the stream only while the reader is at the bottom of the log.
    fn is_scrolled_to_bottom(&self) -> bool {
        let log = &self.log;
        log.scroll_top() + log.client_height() >= log.scroll_height() - 24
    }
}

fn server_names(servers: &Servers) -> HashMap<String, String> {
    match servers {
        Servers::Loaded(list) => list
            .iter()
            .map(|s| (s.id.clone(), s.name.clone()))
            .collect(),
        Servers::Loading | Servers::Failed(_) => HashMap::new(),
    }
}

#[cfg(test)]
mod tests {
    use protocol::{ErrorCode, StreamEvent};
    use wasm_bindgen::JsCast;
    use wasm_bindgen_test::wasm_bindgen_test;
    use web_sys::{HtmlElement, Node};

    use super::*;

    fn settings() -> Settings {
        Settings {
            title: "T".into(),
            placeholder: "P".into(),
            sign_in_url: "https://edge.example/".into(),
        }
    }

    /// A view in the shadow root of a plain `<div>` in the page.
    fn mounted() -> (HtmlElement, View) {
        let doc = web_sys::window().unwrap().document().unwrap();
        let host: HtmlElement = doc.create_element("div").unwrap().unchecked_into();
        doc.body().unwrap().append_child(&host).unwrap();
        let view = View::mount(&host).unwrap();
        (host, view)
    }

    fn text_node(host: &HtmlElement) -> Node {
        let root = host.shadow_root().unwrap();
        let text = root
            .query_selector(r#"[data-role="text"]"#)
            .unwrap()
            .unwrap();
        assert_eq!(text.child_nodes().length(), 1, "one text node");
        text.first_child().unwrap()
    }

    fn delta(text: &str) -> StreamEvent {
        StreamEvent::TextDelta { delta: text.into() }
    }

    #[wasm_bindgen_test]
    fn streamed_text_grows_one_text_node() {
        let (host, mut view) = mounted();
        let mut state = ChatState::default();
        state.ask("q".into());
        state.apply(delta("Hel"));
        view.render(&state, &settings());
        let node = text_node(&host);
        state.apply(delta("lo <i>"));
        view.render(&state, &settings());
        view.render(&state, &settings());
        assert!(
            text_node(&host).is_same_node(Some(&node)),
            "appended, not rebuilt"
        );
        assert_eq!(node.text_content().as_deref(), Some("Hello <i>"));
        host.remove();
    }

    #[wasm_bindgen_test]
    fn a_retried_answer_starts_from_an_empty_message() {
        let (host, mut view) = mounted();
        let root = host.shadow_root().unwrap();
        let mut state = ChatState::default();
        state.ask("q".into());
        state.apply(delta("partial"));
        state.apply(StreamEvent::error(
            ErrorCode::ProviderUnavailable,
            "down",
            true,
        ));
        view.render(&state, &settings());
        assert!(
            root.query_selector(r#"[data-role="retry"]"#)
                .unwrap()
                .is_some()
        );

        state.retry().unwrap();
        view.render(&state, &settings());
        assert_eq!(text_node(&host).text_content().as_deref(), Some(""));
        assert!(
            root.query_selector(r#"[data-role="error"]"#)
                .unwrap()
                .is_none()
        );
        let message = root
            .query_selector(r#"[data-author="assistant"]"#)
            .unwrap()
            .unwrap();
        assert_eq!(message.get_attribute("data-complete"), None);
        assert_eq!(message.get_attribute("aria-busy").as_deref(), Some("true"));
        host.remove();
    }

    #[wasm_bindgen_test]
    fn ticked_checkboxes_are_the_selection() {
        let (host, mut view) = mounted();
        let list: protocol::ServerList = serde_json::from_str(
            r#"{"servers":[{"id":"a","name":"A","url":"u"},{"id":"b","name":"B","url":"u"}]}"#,
        )
        .unwrap();
        let mut state = ChatState {
            servers: Servers::Loaded(list.servers),
            ..ChatState::default()
        };
        state.select("b", true);
        view.render(&state, &settings());
        assert_eq!(view.checked_servers(), vec!["b".to_owned()]);
        let root = host.shadow_root().unwrap();
        let a: web_sys::HtmlInputElement = root
            .query_selector(r#"input[data-server-id="a"]"#)
            .unwrap()
            .unwrap()
            .unchecked_into();
        a.set_checked(true);
        assert_eq!(view.checked_servers(), vec!["a".to_owned(), "b".to_owned()]);
        host.remove();
    }
}
