//! The DOM of one `<pomerium-chat>`: built once in its shadow root, then brought up to date from
//! a [`ChatState`] after every batch of messages.
//!
//! The view never parses text as HTML: everything from the user, the edge, the model or a tool
//! goes in through `textContent`, text nodes or the markdown builder, so a text delta such as
//! `<img src=x onerror=alert(1)>` shows as those characters. Each part remembers what it last
//! showed and changes only what differs. The static part of the DOM contract (the dynamic
//! parts are listed in the submodules): the panel `[data-role="panel"]`; the log
//! `[data-role="log"]` (`role="log"`; announcements go through the polite live region
//! `[data-role="announcer"]`, one per completed answer, not the whole history); user messages
//! `[data-role="message"][data-author="user"]`; `textarea[data-role="input"]`;
//! `button[data-role="send"]`, `button[data-role="stop"]`, `button[data-role="new-chat"]`,
//! `button[data-role="jump"]` (jump to latest, shown when the reader scrolled up);
//! `select[data-role="model"]` (only when the edge offers a choice of models); who is signed in
//! `[data-role="user"]` (its name in `[data-role="user-name"]`, shown once the edge said) with
//! the link `a[data-role="sign-out"]` (when the edge gave a sign-out URL); in launcher mode
//! `button[data-role="launcher"]` and `button[data-role="close"]`.
//!
//! | module | owns |
//! |---|---|
//! | [`servers`] | the server picker |
//! | [`answer`] | an assistant message |
//! | [`markdown`] | the answer text as DOM |
//! | [`tool_call`] | tool listing and tool call cards |
//! | [`approval`] | approval cards |
//! | [`error_box`] | the error box with its sign-in and Retry actions |

pub(crate) mod answer;
pub(crate) mod approval;
pub(crate) mod error_box;
pub(crate) mod follow;
pub(crate) mod markdown;
pub(crate) mod servers;
pub(crate) mod tool_call;

use protocol::{Identity, ModelList};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{
    Document, Element, HtmlElement, HtmlInputElement, HtmlTextAreaElement, ShadowRoot,
    ShadowRootInit, ShadowRootMode,
};

use crate::dom;
use crate::i18n::{Strings, fill};
use crate::state::{ChatState, Servers};
use crate::styles;
use crate::view::answer::{AnswerView, Context};
use crate::view::follow::Follow;
use crate::view::servers::{ServersView, Shown};

/// The `data-action` of the Send button.
pub(crate) const SEND: &str = "send";
/// The `data-action` of the Stop button.
pub(crate) const STOP: &str = "stop";
/// The `data-action` of the New chat button.
pub(crate) const NEW_CHAT: &str = "new-chat";
/// The `data-action` of the jump-to-latest button.
pub(crate) const JUMP: &str = "jump";
/// The `data-action` of the launcher bubble.
pub(crate) const TOGGLE: &str = "toggle";
/// The `data-action` of the Sign out link.
pub(crate) const SIGN_OUT: &str = "sign-out";
/// The `data-action` of the launcher panel's close button.
pub(crate) const CLOSE: &str = "close";

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

/// What the view shows that does not come from the chat state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Settings {
    /// The locale's strings.
    pub(crate) strings: &'static Strings,
    /// The heading.
    pub(crate) title: String,
    /// The composer's placeholder.
    pub(crate) placeholder: String,
    /// Where a sign-in link points: the edge's root, opened in a new window.
    pub(crate) sign_in_url: String,
    /// `mode="launcher"`: a bubble that opens the panel.
    pub(crate) launcher: bool,
    /// The launcher's panel is open (always true inline).
    pub(crate) open: bool,
}

/// The DOM of one instance.
pub(crate) struct View {
    doc: Document,
    root: ShadowRoot,
    panel: Element,
    title: Element,
    model: Element,
    shown_models: Option<(Option<ModelList>, Option<String>)>,
    /// The edge's `notice` line (e.g. a demo model), under the title.
    notice: Element,
    new_chat: Element,
    close: Element,
    user: Element,
    user_name: Element,
    sign_out: Element,
    shown_user: Option<(Option<Identity>, &'static str)>,
    servers: ServersView,
    log: Element,
    greeting: Element,
    exchanges: Vec<(Element, AnswerView)>,
    jump: Element,
    follow: Follow,
    input: HtmlTextAreaElement,
    input_label: Element,
    send: Element,
    stop: Element,
    announcer: Element,
    launcher: Element,
    shown_settings: Option<Settings>,
    shown_names: Vec<(String, String)>,
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

        let launcher = dom::element(&doc, "button");
        for (name, value) in [
            ("type", "button"),
            ("class", "launcher"),
            ("part", "launcher"),
            ("data-role", "launcher"),
            ("data-action", TOGGLE),
            ("aria-controls", "panel"),
            ("hidden", ""),
        ] {
            dom::set(&launcher, name, value);
        }
        dom::child(&doc, &launcher, "span", &[("class", "bubble-icon")]);
        let panel = dom::element(&doc, "div");
        for (name, value) in [
            ("id", "panel"),
            ("class", "panel"),
            ("part", "panel"),
            ("data-role", "panel"),
        ] {
            dom::set(&panel, name, value);
        }
        let header = dom::child(
            &doc,
            &panel,
            "div",
            &[("class", "header"), ("part", "header")],
        );
        let top = dom::child(&doc, &header, "div", &[("class", "top")]);
        let title = dom::child(&doc, &top, "h2", &[("class", "title"), ("part", "title")]);
        let model = dom::child(
            &doc,
            &top,
            "select",
            &[
                ("class", "model"),
                ("part", "model"),
                ("data-role", "model"),
                ("hidden", ""),
            ],
        );
        let new_chat = dom::child(
            &doc,
            &top,
            "button",
            &[
                ("type", "button"),
                ("class", "secondary small"),
                ("part", "new-chat"),
                ("data-role", "new-chat"),
                ("data-action", NEW_CHAT),
            ],
        );
        let close = dom::child(
            &doc,
            &top,
            "button",
            &[
                ("type", "button"),
                ("class", "icon"),
                ("data-role", "close"),
                ("data-action", CLOSE),
                ("hidden", ""),
            ],
        );
        close.set_text_content(Some("×"));
        let notice = dom::child(
            &doc,
            &header,
            "p",
            &[
                ("class", "notice"),
                ("part", "notice"),
                ("data-role", "notice"),
                ("role", "note"),
                ("hidden", ""),
            ],
        );
        let user = dom::child(
            &doc,
            &header,
            "p",
            &[("class", "user"), ("data-role", "user"), ("hidden", "")],
        );
        let user_name = dom::child(&doc, &user, "span", &[("data-role", "user-name")]);
        let sign_out = dom::child(
            &doc,
            &user,
            "a",
            &[
                ("class", "sign-out"),
                ("part", "sign-out"),
                ("data-role", "sign-out"),
                ("data-action", SIGN_OUT),
                ("target", "_blank"),
                ("rel", "noopener"),
            ],
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
                // Streaming tokens are not announced; the announcer says each finished answer.
                ("aria-live", "off"),
                ("tabindex", "0"),
            ],
        );
        let greeting = dom::child(
            &doc,
            &log,
            "p",
            &[("class", "greeting"), ("data-role", "greeting")],
        );
        let jump = dom::child(
            &doc,
            &panel,
            "button",
            &[
                ("type", "button"),
                ("class", "jump"),
                ("part", "jump"),
                ("data-role", "jump"),
                ("data-action", JUMP),
                ("hidden", ""),
            ],
        );
        let composer = dom::child(
            &doc,
            &panel,
            "div",
            &[("class", "composer"), ("part", "composer")],
        );
        let input_label = dom::child(
            &doc,
            &composer,
            "label",
            &[("class", "visually-hidden"), ("for", "input")],
        );
        let input = dom::child(
            &doc,
            &composer,
            "textarea",
            &[
                ("id", "input"),
                ("class", "input"),
                ("part", "input"),
                ("data-role", "input"),
                ("rows", "2"),
                ("enterkeyhint", "send"),
            ],
        )
        .unchecked_into::<HtmlTextAreaElement>();
        let send = dom::child(
            &doc,
            &composer,
            "button",
            &[
                ("type", "button"),
                ("part", "send"),
                ("data-role", "send"),
                ("data-action", SEND),
            ],
        );
        let stop = dom::child(
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
        );
        let announcer = dom::child(
            &doc,
            &panel,
            "div",
            &[
                ("class", "visually-hidden"),
                ("data-role", "announcer"),
                ("role", "status"),
                ("aria-live", "polite"),
            ],
        );
        root.append_child(&launcher)
            .map_err(MountError::ShadowRoot)?;
        root.append_child(&panel).map_err(MountError::ShadowRoot)?;
        let follow = Follow::new(&log, &jump);
        Ok(Self {
            doc,
            root,
            panel,
            title,
            model,
            shown_models: None,
            notice,
            new_chat,
            close,
            user,
            user_name,
            sign_out,
            shown_user: None,
            servers,
            log,
            greeting,
            exchanges: Vec::new(),
            jump,
            follow,
            input,
            input_label,
            send,
            stop,
            announcer,
            launcher,
            shown_settings: None,
            shown_names: Vec::new(),
        })
    }

    /// The target of the delegated DOM events of the whole view.
    pub(crate) fn events_root(&self) -> &ShadowRoot {
        &self.root
    }

    /// The log, whose scrolling shows or hides "jump to latest".
    pub(crate) fn log(&self) -> &Element {
        &self.log
    }

    /// Brings the DOM up to date with `state`.
    pub(crate) fn render(&mut self, state: &ChatState, settings: &Settings) {
        let s = settings.strings;
        if self.shown_settings.as_ref() != Some(settings) {
            self.render_settings(settings);
        }
        self.render_models(state, s);
        self.render_user(state, settings);
        self.servers.render(
            &self.doc,
            &Shown {
                servers: state.servers.clone(),
                selected: state.selected.clone(),
                can_disconnect: state.can_disconnect,
                sign_in_url: settings.sign_in_url.clone(),
                lang: s.lang,
            },
            s,
        );

        let server_names = server_names(&state.servers);
        if server_names != self.shown_names {
            // Cards name their servers: a restored conversation shown before the list arrived
            // is built again with the names.
            self.reset_log();
            self.shown_names = server_names.clone();
        }
        while self.exchanges.len() > state.exchanges.len() {
            if let Some((user, answer)) = self.exchanges.pop() {
                user.remove();
                answer.remove();
            }
        }
        dom::flag(&self.greeting, "hidden", !state.exchanges.is_empty());
        let n_exchanges = state.exchanges.len();
        // Only the last exchange changes while the count stays (a stream, a retry, a decision):
        // earlier ones are rendered again only when an exchange comes or goes, so the cost of a
        // token does not grow with the history.
        let first = match self.exchanges.len() {
            n if n == n_exchanges => n.saturating_sub(1),
            _ => 0,
        };
        for (i, exchange) in state.exchanges.iter().enumerate().skip(first) {
            if i == self.exchanges.len() {
                let user = dom::child(
                    &self.doc,
                    &self.log,
                    "div",
                    &[
                        ("class", "message user"),
                        ("part", "message user"),
                        ("data-role", "message"),
                        ("data-author", "user"),
                        // Each text takes its own direction: English in a right-to-left page
                        // reads left to right, and the other way round.
                        ("dir", "auto"),
                    ],
                );
                user.set_text_content(Some(&exchange.question));
                let answer = AnswerView::new(&self.doc, &self.log, s);
                self.exchanges.push((user, answer));
            }
            let cx = Context {
                server_names: &server_names,
                sign_in_url: &settings.sign_in_url,
                is_last: i + 1 == n_exchanges,
                busy: i + 1 == n_exchanges && state.busy,
                strings: s,
            };
            let answer = &mut self.exchanges[i].1;
            if answer.render(&self.doc, &exchange.answer, &cx) {
                self.announcer.set_text_content(Some(&answer.spoken_text()));
            }
        }
        self.follow.changed();

        let busy = state.is_busy();
        dom::flag(&self.send, "disabled", busy);
        dom::flag(&self.stop, "disabled", !busy);
        dom::flag(&self.stop, "hidden", !busy);
        dom::flag(&self.new_chat, "disabled", state.exchanges.is_empty());
    }

    fn render_settings(&mut self, settings: &Settings) {
        let s = settings.strings;
        self.shown_settings = Some(settings.clone());
        dom::set(&self.panel, "lang", s.lang);
        self.title.set_text_content(Some(&settings.title));
        self.input.set_placeholder(&settings.placeholder);
        self.input_label.set_text_content(Some(s.message));
        self.send.set_text_content(Some(s.send));
        self.stop.set_text_content(Some(s.stop));
        self.new_chat.set_text_content(Some(s.new_chat));
        self.jump.set_text_content(Some(s.jump));
        self.greeting.set_text_content(Some(s.greeting));
        dom::set(&self.log, "aria-label", s.conversation);
        dom::set(&self.model, "aria-label", s.model);
        dom::set(&self.close, "aria-label", s.close_chat);
        let label = if settings.open {
            s.close_chat
        } else {
            s.open_chat
        };
        dom::set(&self.launcher, "aria-label", label);
        dom::set(&self.launcher, "title", label);
        dom::set(
            &self.launcher,
            "aria-expanded",
            if settings.open { "true" } else { "false" },
        );
        dom::flag(&self.launcher, "hidden", !settings.launcher);
        dom::flag(&self.close, "hidden", !settings.launcher);
        dom::flag(&self.panel, "hidden", !settings.open);
        if settings.launcher {
            dom::set(&self.panel, "role", "dialog");
            dom::set(&self.panel, "aria-label", &settings.title);
        } else {
            dom::set_opt(&self.panel, "role", None);
            dom::set_opt(&self.panel, "aria-label", None);
        }
    }

    /// Who is signed in, and the Sign out link to Pomerium's sign-out page.
    fn render_user(&mut self, state: &ChatState, settings: &Settings) {
        let s = settings.strings;
        let want = (state.user.clone(), s.lang);
        if self.shown_user.as_ref() == Some(&want) {
            return;
        }
        dom::flag(&self.user, "hidden", state.user.is_none());
        if let Some(user) = &state.user {
            let who = user
                .name
                .as_deref()
                .or(user.email.as_deref())
                .unwrap_or(&user.subject);
            self.user_name
                .set_text_content(Some(&fill(s.signed_in_as, &[who])));
            // The controller resolved it on the edge and dropped any URL that is not http(s).
            let href = user.sign_out_url.as_deref();
            dom::flag(&self.sign_out, "hidden", href.is_none());
            dom::set_opt(&self.sign_out, "href", href);
            self.sign_out.set_text_content(Some(s.sign_out));
        }
        self.shown_user = Some(want);
    }

    fn render_models(&mut self, state: &ChatState, s: &Strings) {
        let want = (state.models.clone(), state.model.clone());
        if self.shown_models.as_ref() == Some(&want) {
            return;
        }
        let notice = state
            .models
            .as_ref()
            .and_then(|list| list.notice.as_deref());
        self.notice.set_text_content(notice);
        dom::flag(&self.notice, "hidden", notice.is_none());
        self.model.set_text_content(None);
        let offered = state.models.as_ref().filter(|list| list.models.len() > 1);
        dom::flag(&self.model, "hidden", offered.is_none());
        if let Some(list) = offered {
            let chosen = state.model.as_deref().unwrap_or(&list.default);
            for model in &list.models {
                let option =
                    dom::text_child(&self.doc, &self.model, "option", &[("value", model)], model);
                if model == chosen {
                    dom::flag(&option, "selected", true);
                }
            }
        }
        let _ = s;
        self.shown_models = Some(want);
    }

    /// Forgets the shown conversation (another endpoint's comes next).
    pub(crate) fn reset_log(&mut self) {
        for (user, answer) in self.exchanges.drain(..) {
            user.remove();
            answer.remove();
        }
    }

    /// Takes the draft out of the composer, emptying it.
    pub(crate) fn take_draft(&self) -> String {
        let draft = self.input.value();
        self.input.set_value("");
        draft
    }

    /// The draft in the composer.
    pub(crate) fn draft(&self) -> String {
        self.input.value()
    }

    /// Moves the keyboard focus to the composer.
    pub(crate) fn focus_input(&self) {
        // Focusing an element in the page cannot meaningfully fail.
        let _ = self.input.focus();
    }

    /// Moves the keyboard focus to the composer when it is in the widget: the button just
    /// pressed (Stop, Retry, Allow, Deny) is about to go away, and the focus with it.
    pub(crate) fn keep_focus(&self) {
        if self.root.active_element().is_some() {
            self.focus_input();
        }
    }

    /// Moves the keyboard focus to the launcher bubble.
    pub(crate) fn focus_launcher(&self) {
        if let Some(launcher) = self.launcher.dyn_ref::<HtmlElement>() {
            let _ = launcher.focus();
        }
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

    /// Whether the "always allow" box of approval `id` is ticked.
    pub(crate) fn always_allow(&self, id: &str) -> bool {
        let mut selector = "[data-role=\"approval\"][data-approval-id=\"".to_owned();
        selector.push_str(&css_escape(id));
        selector.push_str("\"] input[data-role=\"always\"]");
        self.root
            .query_selector(&selector)
            .ok()
            .flatten()
            .and_then(|el| el.dyn_into::<HtmlInputElement>().ok())
            .is_some_and(|input| input.checked())
    }

    /// Shows the whole result of tool call `call_id`.
    pub(crate) fn show_all(&mut self, call_id: &str) {
        for (_, answer) in &mut self.exchanges {
            answer.show_all(call_id);
        }
    }

    /// Scrolls the log to its end.
    pub(crate) fn scroll_to_latest(&self) {
        self.log.set_scroll_top(self.log.scroll_height());
    }

    /// Shows "jump to latest" while the reader is away from the end of the log.
    pub(crate) fn update_jump(&self) {
        self.follow.scrolled();
    }

    /// The visual viewport is `height` CSS pixels tall and starts `top` pixels below the layout
    /// viewport's top (an on-screen keyboard covers the rest): the launcher panel fits into it,
    /// and a focused composer stays in view.
    pub(crate) fn fit_viewport(&self, host: &HtmlElement, height: i32, top: i32) {
        let style = host.style();
        for (name, value) in [
            ("--pomerium-chat-viewport", height),
            ("--pomerium-chat-viewport-top", top),
        ] {
            let mut px = value.to_string();
            px.push_str("px");
            let _ = style.set_property(name, &px);
        }
        let focused = self
            .root
            .active_element()
            .is_some_and(|el| el == *self.input.unchecked_ref::<Element>());
        if focused {
            self.input.scroll_into_view_with_bool(false);
        }
    }
}

/// Escapes `"` and `\` for a CSS attribute selector value.
fn css_escape(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"")
}

/// Server id -> display name (a handful of servers: a list is smaller than a map).
fn server_names(servers: &Servers) -> Vec<(String, String)> {
    match servers {
        Servers::Loaded(list) => list
            .iter()
            .map(|s| (s.id.clone(), s.name.clone()))
            .collect(),
        Servers::Loading | Servers::Failed(_) => Vec::new(),
    }
}
