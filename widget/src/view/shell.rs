//! The static part of an instance's DOM, built once: [`Shell::build`].
//!
//! The shell is every element that is always there (the panel, header, log, composer, buttons,
//! the launcher bubble), with its roles, parts and actions, and no content: [`crate::view`]
//! fills it in from the state. Building it is the only thing this module does.

use wasm_bindgen::JsCast;
use web_sys::{
    Document, Element, HtmlElement, HtmlTextAreaElement, ShadowRoot, ShadowRootInit, ShadowRootMode,
};

use crate::dom;
use crate::styles;
use crate::view::{
    CANCEL_EDIT, CLOSE, EARLIER, JUMP, MountError, NEW_CHAT, SEND, SIGN_OUT, STOP, TOGGLE,
};

/// The static DOM of one instance, built once in its shadow root.
pub(crate) struct Shell {
    /// The document the elements belong to.
    pub(crate) doc: Document,
    /// The open shadow root (the target of every delegated event).
    pub(crate) root: ShadowRoot,
    /// The panel: the whole chat.
    pub(crate) panel: Element,
    /// The header: title, model picker, notice, user, servers.
    pub(crate) header: Element,
    /// The header's top row: title, model, Chats, New chat, close.
    pub(crate) top: Element,
    /// The heading.
    pub(crate) title: Element,
    /// The model picker.
    pub(crate) model: Element,
    /// The edge's `notice` line (e.g. a demo model), under the title.
    pub(crate) notice: Element,
    /// The New chat button.
    pub(crate) new_chat: Element,
    /// The launcher panel's close button.
    pub(crate) close: Element,
    /// Who is signed in.
    pub(crate) user: Element,
    /// Their name.
    pub(crate) user_name: Element,
    /// The Sign out link.
    pub(crate) sign_out: Element,
    /// The conversation.
    pub(crate) log: Element,
    /// The greeting shown while the conversation is empty.
    pub(crate) greeting: Element,
    /// "Show earlier", over the first shown exchange while earlier ones are not shown.
    pub(crate) earlier: Element,
    /// The jump-to-latest button.
    pub(crate) jump: Element,
    /// The note shown while a question is edited, with its Cancel button.
    pub(crate) editing: Element,
    /// The note's text.
    pub(crate) editing_text: Element,
    /// The note's Cancel button.
    pub(crate) cancel_edit: Element,
    /// The composer.
    pub(crate) input: HtmlTextAreaElement,
    /// The composer's label.
    pub(crate) input_label: Element,
    /// The Send button.
    pub(crate) send: Element,
    /// The Stop button.
    pub(crate) stop: Element,
    /// The polite live region that says each finished answer.
    pub(crate) announcer: Element,
    /// The launcher bubble.
    pub(crate) launcher: Element,
}

impl Shell {
    /// Builds the shell in `host`'s open shadow root, creating the root on first use and
    /// emptying it when the element comes back after a teardown.
    pub(crate) fn build(host: &HtmlElement) -> Result<Self, MountError> {
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
        let earlier = dom::child(
            &doc,
            &log,
            "button",
            &[
                ("type", "button"),
                ("class", "earlier"),
                ("part", "earlier"),
                ("data-role", "earlier"),
                ("data-action", EARLIER),
                ("hidden", ""),
            ],
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
        let editing = dom::child(
            &doc,
            &panel,
            "div",
            &[
                ("class", "editing"),
                ("part", "editing"),
                ("data-role", "editing"),
                ("role", "status"),
                ("hidden", ""),
            ],
        );
        let editing_text = dom::child(&doc, &editing, "span", &[]);
        let cancel_edit = dom::child(
            &doc,
            &editing,
            "button",
            &[
                ("type", "button"),
                ("class", "secondary"),
                ("data-role", "cancel-edit"),
                ("data-action", CANCEL_EDIT),
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
        Ok(Self {
            doc,
            root,
            panel,
            header,
            top,
            title,
            model,
            notice,
            new_chat,
            close,
            user,
            user_name,
            sign_out,
            log,
            greeting,
            earlier,
            jump,
            editing,
            editing_text,
            cancel_edit,
            input,
            input_label,
            send,
            stop,
            announcer,
            launcher,
        })
    }
}
