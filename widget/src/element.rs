//! The `<pomerium-chat>` custom element: its registration and the lifecycle of each instance.
//!
//! A custom element's constructor must be a real JS `class extends HTMLElement`, so a tiny
//! inline JS shim defines the class and forwards `connectedCallback`, `disconnectedCallback`,
//! `attributeChangedCallback` and the host API (`open()`, `close()`, `send(text)`, `clear()`,
//! `edit(index, text)`, `regenerate()`, `copy(index)`) into Rust. When the loader
//! (`widget/js/pomerium-chat.js`) defined the element first, as a shell that waits for the
//! wasm, the shim hands the same callbacks to the shell, which forwards its elements and every
//! later callback. The four forwarding closures live as long as the
//! page: this is the one place where the crate calls `forget`.
//!
//! Rust keeps one [`Controller`] per connected element in a registry. When an element leaves
//! the document, its controller (and with it every listener and the request in flight) is
//! dropped at the next microtask, unless the element is back by then: a move (a disconnect
//! then a connect in the same task) keeps the conversation and the answer streaming. On
//! disconnect the conversation is saved at once, so an element that replaces this one (a
//! framework re-rendering the parent) or this one coming back later restores it as it was.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use js_sys::{Array, Reflect};
use wasm_bindgen::prelude::*;
use web_sys::HtmlElement;

use crate::controller::{Controller, Msg};
use crate::snippet::{define_element, take_early_js};

/// The element's tag name.
pub const TAG_NAME: &str = "pomerium-chat";

/// The attributes whose changes the element follows.
const OBSERVED: [&str; 6] = [
    "endpoint",
    "title",
    "placeholder",
    "theme",
    "locale",
    "mode",
];

/// A connected element and its controller.
struct Instance {
    host: HtmlElement,
    controller: Rc<Controller>,
}

thread_local! {
    /// [`define`] ran: the element is this module's.
    static DEFINED: Cell<bool> = const { Cell::new(false) };
    static INSTANCES: RefCell<Vec<Instance>> = const { RefCell::new(Vec::new()) };
}

/// Registers `<pomerium-chat>`, or takes over the elements of the loader's shell when the loader
/// registered it first (`widget/js/pomerium-chat.js`). Does nothing where there is no
/// `customElements` (outside a browser window) or the second time, so calling it twice is fine.
#[wasm_bindgen]
pub fn define() -> Result<(), JsValue> {
    let global = js_sys::global();
    let registry = Reflect::get(&global, &JsValue::from_str("customElements"))?;
    if registry.is_undefined() || registry.is_null() {
        return Ok(());
    }
    if DEFINED.get() {
        return Ok(());
    }
    let observed: Array = OBSERVED.iter().copied().map(JsValue::from_str).collect();
    let connected = Closure::<dyn Fn(HtmlElement)>::new(connected);
    let disconnected = Closure::<dyn Fn(HtmlElement)>::new(disconnected);
    let changed = Closure::<dyn Fn(HtmlElement, String)>::new(attribute_changed);
    let call = Closure::<dyn Fn(HtmlElement, String, String) -> bool>::new(host_call);
    define_element(
        TAG_NAME,
        &observed,
        &connected,
        &disconnected,
        &changed,
        &call,
    )?;
    // The class keeps calling these for as long as the page lives.
    connected.forget();
    disconnected.forget();
    changed.forget();
    call.forget();
    DEFINED.set(true);
    Ok(())
}

/// The response the loader fetched early for `url` (a GET the widget makes first), once; `None`
/// when there is none (no loader, another URL, or taken already).
pub(crate) fn take_early(url: &str) -> Option<js_sys::Promise> {
    let early = take_early_js(TAG_NAME, url);
    early
        .is_instance_of::<js_sys::Promise>()
        .then(|| early.unchecked_into())
}

fn find(host: &HtmlElement) -> Option<Rc<Controller>> {
    INSTANCES.with_borrow(|instances| {
        instances
            .iter()
            .find(|instance| instance.host == *host)
            .map(|instance| Rc::clone(&instance.controller))
    })
}

fn connected(host: HtmlElement) {
    if let Some(controller) = find(&host) {
        // Moved within the page: everything it owns is still good.
        controller.dispatch(Msg::Attached);
        return;
    }
    match Controller::mount(host.clone()) {
        Ok(controller) => {
            INSTANCES.with_borrow_mut(|instances| instances.push(Instance { host, controller }));
        }
        Err(err) => {
            web_sys::console::error_1(&format!("pomerium-chat: could not start: {err}").into())
        }
    }
}

fn disconnected(host: HtmlElement) {
    // Saved before anything else runs: a framework that replaces the element puts the new one
    // in within this task, and it restores what is saved.
    if let Some(controller) = find(&host) {
        controller.dispatch(Msg::Detached);
    }
    wasm_bindgen_futures::spawn_local(async move {
        if host.is_connected() {
            return;
        }
        let gone = INSTANCES.with_borrow_mut(|instances| {
            let at = instances
                .iter()
                .position(|instance| instance.host == host)?;
            Some(instances.swap_remove(at))
        });
        // Dropped outside the registry's borrow: the drop aborts requests and removes listeners.
        drop(gone);
    });
}

/// A host API call; `send` answers whether the text was sent.
fn host_call(host: HtmlElement, method: String, arg: String) -> bool {
    find(&host).is_some_and(|controller| controller.host_call(&method, arg))
}

fn attribute_changed(host: HtmlElement, attribute: String) {
    if let Some(controller) = find(&host) {
        controller.dispatch(Msg::AttributeChanged(attribute));
    }
}
