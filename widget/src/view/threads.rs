//! The list of conversations: a "Chats" button in the header opens it.
//!
//! Contract: `button[data-role="threads-toggle"]` (`aria-expanded`, `aria-controls`) shows the
//! list `[data-role="threads"]`, most recently used first; each `li[data-thread-id]` holds
//! `button[data-role="thread"]` (switch; `aria-current="true"` on the shown one),
//! `button[data-role="rename-thread"]` and `button[data-role="delete-thread"]`, each with an
//! accessible name that says which conversation.

use web_sys::{Document, Element};

use crate::dom;
use crate::i18n::{Strings, fill};
use crate::state::{ChatState, Thread};

/// The `data-action` of the Chats button.
pub(crate) const TOGGLE_THREADS: &str = "threads-toggle";
/// The `data-action` of a thread's switch button.
pub(crate) const SWITCH: &str = "thread";
/// The `data-action` of a thread's Rename button.
pub(crate) const RENAME: &str = "rename-thread";
/// The `data-action` of a thread's Delete button.
pub(crate) const DELETE: &str = "delete-thread";

/// What the list last showed: (open, list, current, language).
type Shown = (bool, Vec<Thread>, String, &'static str);

/// The list's DOM and what it last showed.
pub(crate) struct ThreadsView {
    toggle: Element,
    list: Element,
    shown: Option<Shown>,
}

impl ThreadsView {
    /// Moves the keyboard focus to the toggle button.
    pub(crate) fn focus_toggle(&self) {
        if let Some(toggle) = wasm_bindgen::JsCast::dyn_ref::<web_sys::HtmlElement>(&self.toggle) {
            let _ = toggle.focus();
        }
    }

    /// Builds the Chats button in `top` before `before` and the (hidden) list in `header`.
    pub(crate) fn new(doc: &Document, top: &Element, before: &Element, header: &Element) -> Self {
        let toggle = dom::child(
            doc,
            top,
            "button",
            &[
                ("type", "button"),
                ("class", "secondary small"),
                ("part", "threads-toggle"),
                ("data-role", TOGGLE_THREADS),
                ("data-action", TOGGLE_THREADS),
                ("aria-controls", "threads"),
                ("aria-expanded", "false"),
            ],
        );
        // Inserting a new child before one of the parent's own cannot fail.
        let _ = top.insert_before(&toggle, Some(before));
        let list = dom::child(
            doc,
            header,
            "ul",
            &[
                ("id", "threads"),
                ("class", "threads"),
                ("part", "threads"),
                ("data-role", "threads"),
                ("hidden", ""),
            ],
        );
        Self {
            toggle,
            list,
            shown: None,
        }
    }

    /// Brings the button and the list up to date with `state`.
    pub(crate) fn render(&mut self, doc: &Document, state: &ChatState, s: &Strings) {
        let open = state.threads_open;
        let want = (
            open,
            state.threads.list.clone(),
            state.threads.current.clone(),
            s.lang,
        );
        if self.shown.as_ref() == Some(&want) {
            return;
        }
        let n = state.threads.list.len().to_string();
        self.toggle.set_text_content(Some(&fill(s.chats, &[&n])));
        dom::set(
            &self.toggle,
            "aria-expanded",
            if open { "true" } else { "false" },
        );
        dom::flag(&self.list, "hidden", !open);
        dom::set(&self.list, "aria-label", s.conversations);
        self.list.set_text_content(None);
        for thread in &state.threads.list {
            let item = dom::child(doc, &self.list, "li", &[("data-thread-id", &thread.id)]);
            let switch = action(doc, &item, SWITCH, &thread.id, &thread.title);
            if thread.id == state.threads.current {
                dom::set(&switch, "aria-current", "true");
            }
            let rename = action(doc, &item, RENAME, &thread.id, s.rename);
            dom::set(
                &rename,
                "aria-label",
                &fill(s.rename_chat, &[&thread.title]),
            );
            dom::set(&rename, "data-prompt", s.rename_prompt);
            dom::set(&rename, "data-title", &thread.title);
            let delete = action(doc, &item, DELETE, &thread.id, s.delete);
            dom::set(
                &delete,
                "aria-label",
                &fill(s.delete_chat, &[&thread.title]),
            );
        }
        self.shown = Some(want);
    }
}

fn action(doc: &Document, item: &Element, role: &str, id: &str, label: &str) -> Element {
    dom::text_child(
        doc,
        item,
        "button",
        &[
            ("type", "button"),
            ("class", if role == SWITCH { "thread" } else { "action" }),
            ("data-role", role),
            ("data-action", role),
            ("data-thread-id", id),
            ("dir", "auto"),
        ],
        label,
    )
}
