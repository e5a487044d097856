//! The DOM of one `<pomerium-chat>`, rendered from a [`ChatState`] (and the element's
//! [`Settings`]) after every batch of messages; the static part is built once by [`shell`].
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
//! `button[data-role="jump"]` (jump to latest, shown when the reader scrolled up); while a
//! question is edited, the note `[data-role="editing"]` over the composer with
//! `button[data-role="cancel-edit"]`;
//! `select[data-role="model"]` (only when the edge offers a choice of models); who is signed in
//! `[data-role="user"]` (its name in `[data-role="user-name"]`, shown once the edge said) with
//! the link `a[data-role="sign-out"]` (when the edge gave a sign-out URL); in launcher mode
//! `button[data-role="launcher"]` and `button[data-role="close"]`.
//!
//! | module | owns |
//! |---|---|
//! | [`shell`] | the static DOM, built once |
//! | [`servers`] | the server picker |
//! | [`answer`] | an assistant message |
//! | [`markdown`] | the answer text as DOM |
//! | [`tool_call`] | tool listing and tool call cards |
//! | [`approval`] | approval cards |
//! | [`error_box`] | the error box with its sign-in and Retry actions |
//! | [`threads`] | the list of conversations |
//! | [`actions`] | an exchange's Edit, Copy and Regenerate buttons |

pub(crate) mod actions;
pub(crate) mod answer;
pub(crate) mod approval;
pub(crate) mod card;
pub(crate) mod error_box;
pub(crate) mod follow;
pub(crate) mod markdown;
pub(crate) mod servers;
pub(crate) mod shell;
pub(crate) mod threads;
pub(crate) mod tool_call;

use protocol::{Identity, ModelList};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Element, HtmlElement, HtmlInputElement, HtmlTextAreaElement, ShadowRoot};

use crate::dom;
use crate::i18n::{Strings, fill};
use crate::state::{ChatState, Servers};
use crate::view::actions::ActionsView;
use crate::view::answer::{AnswerView, Context};
use crate::view::follow::Follow;
use crate::view::servers::{ServersView, Shown};
use crate::view::shell::Shell;
use crate::view::threads::ThreadsView;

/// The `data-action` of the Send button.
pub(crate) const SEND: &str = "send";
/// The `data-action` of the Stop button.
pub(crate) const STOP: &str = "stop";
/// The `data-action` of the New chat button.
pub(crate) const NEW_CHAT: &str = "new-chat";
/// The `data-action` of the jump-to-latest button.
pub(crate) const JUMP: &str = "jump";
/// The action of "Show earlier", over the first shown exchange.
pub(crate) const EARLIER: &str = "earlier";
/// The `data-action` of the launcher bubble.
pub(crate) const TOGGLE: &str = "toggle";
/// The `data-action` of the Sign out link.
pub(crate) const SIGN_OUT: &str = "sign-out";
/// The `data-action` of the launcher panel's close button.
pub(crate) const CLOSE: &str = "close";
/// The `data-action` of the editing note's Cancel button.
pub(crate) const CANCEL_EDIT: &str = "cancel-edit";

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

/// The DOM of one instance, and what it last showed.
pub(crate) struct View {
    shell: Shell,
    servers: ServersView,
    threads: ThreadsView,
    exchanges: Vec<(Element, AnswerView, ActionsView)>,
    /// The state's index of `exchanges[0]` (see [`ChatState::first_shown`]).
    offset: usize,
    /// The window last shown: its offset, the conversation's length, the language.
    shown_window: Option<(usize, usize, &'static str)>,
    /// Follows the end of a growing answer, once per animation frame.
    follow: Follow,
    shown_models: Option<(Option<ModelList>, Option<String>)>,
    shown_user: Option<(Option<Identity>, &'static str)>,
    shown_settings: Option<Settings>,
    shown_names: Vec<(String, String)>,
    /// The log was built again since the "always allow" boxes were last ticked.
    log_rebuilt: bool,
}
impl View {
    /// Builds the view in `host`'s open shadow root (see [`Shell`]).
    pub(crate) fn mount(host: &HtmlElement) -> Result<Self, MountError> {
        let shell = Shell::build(host)?;
        let threads = ThreadsView::new(&shell.doc, &shell.top, &shell.new_chat, &shell.header);
        let servers = ServersView::new(&shell.doc, &shell.header);
        let follow = Follow::new(&shell.log, &shell.jump);
        Ok(Self {
            shell,
            servers,
            threads,
            exchanges: Vec::new(),
            offset: 0,
            shown_window: None,
            follow,
            shown_models: None,
            shown_user: None,
            shown_settings: None,
            shown_names: Vec::new(),
            log_rebuilt: false,
        })
    }

    /// The target of the delegated DOM events of the whole view.
    pub(crate) fn events_root(&self) -> &ShadowRoot {
        &self.shell.root
    }

    /// The composer, whose text a Send click sends.
    pub(crate) fn composer(&self) -> &HtmlTextAreaElement {
        &self.shell.input
    }

    /// The log, whose scrolling shows or hides "jump to latest".
    pub(crate) fn log(&self) -> &Element {
        &self.shell.log
    }

    /// Brings the DOM up to date with `state`.
    pub(crate) fn render(&mut self, state: &ChatState, settings: &Settings) {
        let s = settings.strings;
        if self.shown_settings.as_ref() != Some(settings) {
            self.render_settings(settings);
        }
        self.render_models(state, s);
        self.render_user(state, settings);
        self.threads.render(&self.shell.doc, state, s);
        self.servers.render(
            &self.shell.doc,
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
        let n_exchanges = state.exchanges.len();
        // Exchanges gone from the end (an edit, a deleted conversation).
        while self.offset + self.exchanges.len() > n_exchanges {
            match self.exchanges.pop() {
                Some(exchange) => remove_exchange(exchange),
                None => break,
            }
        }
        let first_shown = state.first_shown();
        // The reader asked for earlier exchanges: the log is built again from there, and the
        // exchange that was first stays where the reader sees it.
        let kept_from_end = (first_shown < self.offset && !self.exchanges.is_empty()).then(|| {
            let from_end = self.shell.log.scroll_height() - self.shell.log.scroll_top();
            self.reset_log();
            from_end
        });
        if self.exchanges.is_empty() {
            self.offset = first_shown;
        }
        // A new question pushed the oldest shown exchanges out of the window.
        let gone = first_shown
            .saturating_sub(self.offset)
            .min(self.exchanges.len());
        for exchange in self.exchanges.drain(..gone) {
            remove_exchange(exchange);
        }
        self.offset += gone;
        dom::flag(&self.shell.greeting, "hidden", n_exchanges != 0);
        if self.shown_window != Some((self.offset, n_exchanges, s.lang)) {
            self.shown_window = Some((self.offset, n_exchanges, s.lang));
            dom::flag(&self.shell.earlier, "hidden", self.offset == 0);
            let hidden = self.offset.to_string();
            let label = fill(s.show_earlier, &[&hidden]);
            self.shell.earlier.set_text_content(Some(&label));
            // How many exchanges the conversation holds, shown or not.
            dom::set(&self.shell.log, "data-count", &n_exchanges.to_string());
        }
        // Only the last exchange changes while the count stays (a stream, a retry, a decision):
        // earlier ones are rendered again only when an exchange comes or goes, so the cost of a
        // token does not grow with the history.
        let first = match self.offset + self.exchanges.len() {
            n if n == n_exchanges => n.saturating_sub(1).max(self.offset),
            _ => self.offset,
        };
        for (i, exchange) in state.exchanges.iter().enumerate().skip(first) {
            if i == self.offset + self.exchanges.len() {
                let user = dom::child(
                    &self.shell.doc,
                    &self.shell.log,
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
                let question = ActionsView::question(&self.shell.doc, &self.shell.log, i);
                let answer = AnswerView::new(&self.shell.doc, &self.shell.log, s);
                let actions = ActionsView::new(&self.shell.doc, &self.shell.log, i, question);
                self.exchanges.push((user, answer, actions));
            }
            let shown = &mut self.exchanges[i - self.offset];
            if shown.0.text_content().as_deref() != Some(&exchange.question) {
                // An edited question keeps its place in the log.
                shown.0.set_text_content(Some(&exchange.question));
            }
            let cx = Context {
                server_names: &server_names,
                sign_in_url: &settings.sign_in_url,
                is_last: i + 1 == n_exchanges,
                busy: i + 1 == n_exchanges && state.busy,
                strings: s,
            };
            if shown.1.render(&self.shell.doc, &exchange.answer, &cx) {
                self.shell
                    .announcer
                    .set_text_content(Some(&shown.1.spoken_text()));
            }
        }
        if let Some(from_end) = kept_from_end {
            let log = &self.shell.log;
            log.set_scroll_top(log.scroll_height() - from_end);
        }
        for (j, (user, _, actions)) in self.exchanges.iter_mut().enumerate() {
            actions.render(state, self.offset + j, user, s);
        }
        let editing = state.editing.is_some();
        dom::flag(&self.shell.editing, "hidden", !editing);
        self.render_always(state);
        self.follow.changed();

        let busy = state.is_busy();
        dom::flag(&self.shell.send, "disabled", busy);
        dom::flag(&self.shell.stop, "disabled", !busy);
        dom::flag(&self.shell.stop, "hidden", !busy);
        dom::flag(&self.shell.new_chat, "disabled", state.exchanges.is_empty());
    }

    fn render_settings(&mut self, settings: &Settings) {
        let s = settings.strings;
        self.shown_settings = Some(settings.clone());
        dom::set(&self.shell.panel, "lang", s.lang);
        self.shell.title.set_text_content(Some(&settings.title));
        self.shell.input.set_placeholder(&settings.placeholder);
        self.shell.input_label.set_text_content(Some(s.message));
        self.shell.send.set_text_content(Some(s.send));
        self.shell.stop.set_text_content(Some(s.stop));
        self.shell.new_chat.set_text_content(Some(s.new_chat));
        self.shell.jump.set_text_content(Some(s.jump));
        self.shell.editing_text.set_text_content(Some(s.editing));
        self.shell.cancel_edit.set_text_content(Some(s.cancel_edit));
        self.shell.greeting.set_text_content(Some(s.greeting));
        dom::set(&self.shell.log, "aria-label", s.conversation);
        dom::set(&self.shell.model, "aria-label", s.model);
        dom::set(&self.shell.close, "aria-label", s.close_chat);
        let label = if settings.open {
            s.close_chat
        } else {
            s.open_chat
        };
        dom::set(&self.shell.launcher, "aria-label", label);
        dom::set(&self.shell.launcher, "title", label);
        dom::set(
            &self.shell.launcher,
            "aria-expanded",
            if settings.open { "true" } else { "false" },
        );
        dom::flag(&self.shell.launcher, "hidden", !settings.launcher);
        dom::flag(&self.shell.close, "hidden", !settings.launcher);
        dom::flag(&self.shell.panel, "hidden", !settings.open);
        if settings.launcher {
            dom::set(&self.shell.panel, "role", "dialog");
            dom::set(&self.shell.panel, "aria-label", &settings.title);
        } else {
            dom::set_opt(&self.shell.panel, "role", None);
            dom::set_opt(&self.shell.panel, "aria-label", None);
        }
    }

    /// Ticks the "always allow" boxes of the approvals in `state.always_ticked` after the log
    /// was built again (cards are built unticked; otherwise a box changes only by the user's
    /// click, which the state follows, or goes with its card).
    fn render_always(&mut self, state: &ChatState) {
        if !std::mem::take(&mut self.log_rebuilt) || state.always_ticked.is_empty() {
            return;
        }
        let Ok(boxes) = self
            .shell
            .root
            .query_selector_all("input[data-role=\"always\"]")
        else {
            return;
        };
        for i in 0..boxes.length() {
            // The selector matches only `input` elements.
            let Some(input) = boxes
                .item(i)
                .map(JsCast::unchecked_into::<HtmlInputElement>)
            else {
                continue;
            };
            let id = input.get_attribute("data-approval-id").unwrap_or_default();
            input.set_checked(state.always_ticked.contains(&id));
        }
    }

    /// Who is signed in, and the Sign out link to Pomerium's sign-out page.
    fn render_user(&mut self, state: &ChatState, settings: &Settings) {
        let s = settings.strings;
        let want = (state.user.clone(), s.lang);
        if self.shown_user.as_ref() == Some(&want) {
            return;
        }
        dom::flag(&self.shell.user, "hidden", state.user.is_none());
        if let Some(user) = &state.user {
            let who = user
                .name
                .as_deref()
                .or(user.email.as_deref())
                .unwrap_or(&user.subject);
            self.shell
                .user_name
                .set_text_content(Some(&fill(s.signed_in_as, &[who])));
            // The controller resolved it on the edge and dropped any URL that is not http(s).
            let href = user.sign_out_url.as_deref();
            dom::flag(&self.shell.sign_out, "hidden", href.is_none());
            dom::set_opt(&self.shell.sign_out, "href", href);
            self.shell.sign_out.set_text_content(Some(s.sign_out));
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
        self.shell.notice.set_text_content(notice);
        dom::flag(&self.shell.notice, "hidden", notice.is_none());
        self.shell.model.set_text_content(None);
        let offered = state.models.as_ref().filter(|list| list.models.len() > 1);
        dom::flag(&self.shell.model, "hidden", offered.is_none());
        if let Some(list) = offered {
            let chosen = state.model.as_deref().unwrap_or(&list.default);
            for model in &list.models {
                let option = dom::text_child(
                    &self.shell.doc,
                    &self.shell.model,
                    "option",
                    &[("value", model)],
                    model,
                );
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
        self.log_rebuilt = true;
        for exchange in self.exchanges.drain(..) {
            remove_exchange(exchange);
        }
    }

    /// Sets the composer's text.
    pub(crate) fn set_draft(&self, draft: &str) {
        self.shell.input.set_value(draft);
    }

    /// The draft in the composer.
    pub(crate) fn draft(&self) -> String {
        self.shell.input.value()
    }

    /// Moves the keyboard focus to the composer.
    pub(crate) fn focus_input(&self) {
        // Focusing an element in the page cannot meaningfully fail.
        let _ = self.shell.input.focus();
    }

    /// Moves the keyboard focus to the composer when it is in the widget: the button just
    /// pressed (Stop, Retry, Allow, Deny) is about to go away, and the focus with it.
    pub(crate) fn keep_focus(&self) {
        if self.shell.root.active_element().is_some() {
            self.focus_input();
        }
    }

    /// Moves the keyboard focus to the button that opens the list of chats.
    pub(crate) fn focus_threads_toggle(&self) {
        self.threads.focus_toggle();
    }

    /// Moves the keyboard focus to the log.
    pub(crate) fn focus_log(&self) {
        if let Some(log) = self.shell.log.dyn_ref::<HtmlElement>() {
            let _ = log.focus();
        }
    }

    /// Moves the keyboard focus to the launcher bubble.
    pub(crate) fn focus_launcher(&self) {
        if let Some(launcher) = self.shell.launcher.dyn_ref::<HtmlElement>() {
            let _ = launcher.focus();
        }
    }

    /// Puts `draft` back into the composer, unless the user has started a new one.
    pub(crate) fn restore_draft(&self, draft: &str) {
        if self.shell.input.value().is_empty() {
            self.shell.input.set_value(draft);
        }
    }

    /// Shows the whole result of tool call `call_id`.
    pub(crate) fn show_all(&mut self, call_id: &str) {
        for (_, answer, _) in &mut self.exchanges {
            answer.show_all(call_id);
        }
    }

    /// Scrolls the log to its end.
    pub(crate) fn scroll_to_latest(&self) {
        self.shell
            .log
            .set_scroll_top(self.shell.log.scroll_height());
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
            .shell
            .root
            .active_element()
            .is_some_and(|el| el == *self.shell.input.unchecked_ref::<Element>());
        if focused {
            self.shell.input.scroll_into_view_with_bool(false);
        }
    }
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

/// Takes one shown exchange out of the log.
fn remove_exchange((user, answer, actions): (Element, AnswerView, ActionsView)) {
    user.remove();
    answer.remove();
    actions.remove();
}
