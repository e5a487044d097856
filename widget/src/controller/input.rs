//! DOM events into messages: the instance's listeners and what each event means.
//!
//! Clicks, changes, key presses and input are delegated from the shadow root, and a button says
//! what it does in its `data-action`. Keys: Enter sends, Shift+Enter (and Enter while composing
//! with an input method) adds a line, the arrows move through the `/` menu, Escape closes the
//! menu, stops the answer or closes the launcher. A prompt's form is read on `submit`. The
//! window's focus, the page being hidden and the visual viewport (an on-screen keyboard) are
//! listened to as well. A Copy button is handled right here: it touches no state.

use std::rc::Weak;

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{Element, Event, EventTarget, HtmlInputElement, HtmlTextAreaElement, KeyboardEvent};

use crate::controller::tasks::{open_popup, send};
use crate::controller::{Controller, Msg};
use crate::dom::Listener;
use crate::view::{
    self, actions, answer, app_frame, approval, attach, elicitation, error_box, markdown, prompts,
    servers, threads, tool_call,
};

/// Every listener of one instance; `composer` is the text a Send click sends.
pub(crate) fn listen(
    me: &Weak<Controller>,
    root: &EventTarget,
    log: &Element,
    composer: &HtmlTextAreaElement,
) -> Vec<Listener> {
    let on = |kind: &'static str, target: &EventTarget, to_msg: fn(&Event) -> Option<Msg>| {
        let me = me.clone();
        Listener::new(target, kind, move |event| {
            if let Some(msg) = to_msg(&event) {
                send(&me, msg);
            }
        })
    };
    let click = {
        let (me, composer) = (me.clone(), composer.clone());
        Listener::new(root, "click", move |event| {
            if let Some(msg) = clicked(&event, &composer) {
                send(&me, msg);
            }
        })
    };
    let mut listeners = vec![
        click,
        on("change", root, changed),
        on("keydown", root, key_pressed),
        on("input", root, draft_changed),
        on("submit", root, prompt_submitted),
        // `scroll` does not bubble: listen on the log itself.
        on("scroll", log, |_| Some(Msg::Scrolled)),
    ];
    listeners.extend(super::files::listen(me, root));
    if let Some(window) = web_sys::window() {
        listeners.push(on("focus", &window, |_| Some(Msg::WindowFocused)));
        listeners.push(on("pagehide", &window, |_| Some(Msg::PageHidden)));
        listeners.push(on("online", &window, |_| Some(Msg::Online)));
        if let Some(viewport) = window.visual_viewport() {
            let changed = |event: &Event| {
                let viewport: web_sys::VisualViewport = event.current_target()?.dyn_into().ok()?;
                Some(Msg::Viewport(
                    viewport.height() as i32,
                    viewport.offset_top() as i32,
                ))
            };
            // An on-screen keyboard resizes the visual viewport; iOS also scrolls it.
            listeners.push(on("resize", &viewport, changed));
            listeners.push(on("scroll", &viewport, changed));
        }
    }
    listeners
}

fn target(event: &Event) -> Option<Element> {
    event.target()?.dyn_into::<Element>().ok()
}

/// The composer's text, when `event` happened in it.
fn composer_text(event: &Event) -> Option<String> {
    let target = event.target()?.dyn_into::<HtmlTextAreaElement>().ok()?;
    (target.get_attribute("data-role").as_deref() == Some("input")).then(|| target.value())
}

fn draft_changed(event: &Event) -> Option<Msg> {
    composer_text(event).map(Msg::DraftChanged)
}

fn clicked(event: &Event, composer: &HtmlTextAreaElement) -> Option<Msg> {
    let button = target(event)?.closest("[data-action]").ok()??;
    let attr = |name: &str| button.get_attribute(name);
    match attr("data-action")?.as_str() {
        view::SEND => Some(Msg::Send(composer.value())),
        view::STOP => Some(Msg::Stop),
        view::NEW_CHAT => Some(Msg::NewChat),
        view::JUMP => Some(Msg::Jump),
        view::EARLIER => Some(Msg::ShowEarlier),
        view::TOGGLE => Some(Msg::Toggle),
        view::CLOSE => Some(Msg::Close),
        answer::RETRY => Some(Msg::Retry),
        view::CANCEL_EDIT => Some(Msg::CancelEdit),
        prompts::PICK => Some(Msg::PromptPicked(attr("data-index")?.parse().ok()?)),
        prompts::CANCEL => Some(Msg::PromptCancel),
        attach::ATTACH => {
            // The hidden file input next to the button opens the browser's picker.
            let picker = button
                .parent_element()?
                .query_selector("[data-role=\"file\"]")
                .ok()??;
            picker.dyn_into::<web_sys::HtmlElement>().ok()?.click();
            None
        }
        attach::REMOVE => Some(Msg::RemoveAttachment(attr("data-index")?.parse().ok()?)),
        threads::TOGGLE_THREADS => Some(Msg::ToggleThreads),
        threads::SWITCH => Some(Msg::SwitchThread(attr("data-thread-id")?)),
        threads::DELETE => Some(Msg::DeleteThread(attr("data-thread-id")?)),
        threads::RENAME => {
            // The browser's own dialog: labelled, modal and keyboard-ready, at no cost in size.
            let asked = attr("data-prompt").unwrap_or_default();
            let title = web_sys::window()?
                .prompt_with_message_and_default(&asked, &attr("data-title").unwrap_or_default())
                .ok()??;
            Some(Msg::RenameThread {
                id: attr("data-thread-id")?,
                title,
            })
        }
        actions::EDIT => Some(Msg::Edit(attr("data-index")?.parse().ok()?)),
        actions::REGENERATE => Some(Msg::Regenerate),
        actions::COPY_ANSWER => {
            flash_copied(&button);
            Some(Msg::Copy {
                index: attr("data-index")?.parse().ok()?,
                host: false,
            })
        }
        servers::RELOAD => Some(Msg::LoadServers),
        servers::DISCONNECT => Some(Msg::Disconnect(attr("data-server-id")?)),
        elicitation::ACCEPT | elicitation::DECLINE | elicitation::CANCEL => Some(Msg::Elicit {
            id: attr("data-elicitation-id")?,
            action: match attr("data-action")?.as_str() {
                elicitation::ACCEPT => protocol::ElicitAction::Accept,
                elicitation::DECLINE => protocol::ElicitAction::Decline,
                _ => protocol::ElicitAction::Cancel,
            },
            values: elicitation::values(&button),
        }),
        approval::ALLOW => Some(Msg::Decide {
            id: attr("data-approval-id")?,
            approve: true,
        }),
        approval::DENY => Some(Msg::Decide {
            id: attr("data-approval-id")?,
            approve: false,
        }),
        app_frame::LINK_OPEN | app_frame::LINK_CANCEL => Some(Msg::AppLink {
            call_id: attr("data-call-id")?,
            open: attr("data-action")? == app_frame::LINK_OPEN,
        }),
        tool_call::SHOW_ALL => {
            let card = button.closest("[data-call-id]").ok()??;
            Some(Msg::ShowAll(card.get_attribute("data-call-id")?))
        }
        error_box::SIGN_IN | servers::CONNECT => {
            // A popup keeps the page (and the answer) where it is; when the browser blocks it,
            // the link's own `target="_blank"` opens a tab instead.
            if open_popup(&attr("href")?) {
                event.prevent_default();
            }
            Some(if attr("data-action")? == servers::CONNECT {
                Msg::Connecting
            } else {
                Msg::SignIn
            })
        }
        view::SIGN_OUT => {
            // Like sign-in: a popup keeps the page, else the link's `target="_blank"`.
            if open_popup(&attr("href")?) {
                event.prevent_default();
            }
            Some(Msg::SignOut)
        }
        markdown::COPY => {
            copy_code(&button);
            None
        }
        _ => None,
    }
}

/// Copies the code of the block around `button` and says so on the button for a moment.
fn copy_code(button: &Element) {
    let Some(code) = button
        .closest("[data-role=\"code\"]")
        .ok()
        .flatten()
        .and_then(|block| block.query_selector("code").ok().flatten())
        .and_then(|code| code.text_content())
    else {
        return;
    };
    write_clipboard(&code);
    flash_copied(button);
}

/// Puts `text` on the clipboard (a page that does not allow it keeps its clipboard).
pub(crate) fn write_clipboard(text: &str) {
    if let Some(window) = web_sys::window() {
        let _ = window.navigator().clipboard().write_text(text);
    }
}

/// Says "Copied" on `button` for a moment.
fn flash_copied(button: &Element) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let label = button.text_content().unwrap_or_default();
    if let Some(copied) = button.get_attribute("data-copied-label") {
        button.set_text_content(Some(&copied));
    }
    let button = button.clone();
    let restore = Closure::once_into_js(move || button.set_text_content(Some(&label)));
    let _ =
        window.set_timeout_with_callback_and_timeout_and_arguments_0(restore.unchecked_ref(), 1500);
}

fn changed(event: &Event) -> Option<Msg> {
    let target = target(event)?;
    if target.get_attribute("data-role").as_deref() == Some("model") {
        let select: web_sys::HtmlSelectElement = target.dyn_into().ok()?;
        return Some(Msg::ModelChosen(select.value()));
    }
    let input = target.dyn_into::<HtmlInputElement>().ok()?;
    let on = input.checked();
    if let Some(name) = input.get_attribute("data-hosted-tool") {
        return Some(Msg::HostedToolToggled { name, on });
    }
    if input.get_attribute("data-role").as_deref() == Some(approval::ALWAYS) {
        let id = input.get_attribute("data-approval-id")?;
        return Some(Msg::AlwaysToggled { id, on });
    }
    let id = input.get_attribute("data-server-id")?;
    Some(Msg::ServerToggled { id, on })
}

/// A prompt's argument form was sent: its values (the page does not navigate).
fn prompt_submitted(event: &Event) -> Option<Msg> {
    event.prevent_default();
    let fields = target(event)?.query_selector_all("[data-arg]").ok()?;
    let values = (0..fields.length())
        .filter_map(|i| fields.item(i)?.dyn_into::<HtmlInputElement>().ok())
        .filter_map(|f| Some((f.get_attribute("data-arg")?, f.value())))
        .collect();
    Some(Msg::PromptSubmit(values))
}

/// Enter sends (or picks from the `/` menu); Shift+Enter (and Enter while composing with an
/// input method) is a newline; the arrows move through the `/` menu while the draft is a
/// command; Escape closes the menu, stops the answer, or closes the launcher.
fn key_pressed(event: &Event) -> Option<Msg> {
    let key = event.dyn_ref::<KeyboardEvent>()?;
    let by = match key.key().as_str() {
        "ArrowDown" => 1,
        "ArrowUp" => -1,
        _ => 0,
    };
    if by != 0 {
        let draft = composer_text(event)?;
        if !draft.starts_with('/') || draft.bytes().any(|b| b.is_ascii_whitespace()) {
            return None;
        }
        event.prevent_default();
        return Some(Msg::MenuMove(by));
    }
    match key.key().as_str() {
        "Escape" => Some(Msg::Escape),
        "Enter" if !key.shift_key() && !key.is_composing() => {
            let draft = composer_text(event)?;
            event.prevent_default();
            Some(Msg::Send(draft))
        }
        _ => None,
    }
}
