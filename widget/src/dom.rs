//! Small DOM helpers: building elements, and event listeners that remove themselves on drop.
//!
//! A [`Listener`] is how the widget owns a callback: it holds the closure and the target, and
//! dropping it removes the listener, so an instance that drops its listeners leaves nothing
//! behind in the page. The builders treat a failing `createElement` or `setAttribute` with a
//! constant, valid name as a broken invariant.

use wasm_bindgen::prelude::*;
use web_sys::{Document, Element, Event, EventTarget, Node, Text};

/// Creates `<tag>`.
pub(crate) fn element(doc: &Document, tag: &str) -> Element {
    doc.create_element(tag)
        .expect_throw("createElement with a valid tag name")
}

/// Creates `<tag>` with attributes, inside `parent`.
pub(crate) fn child(
    doc: &Document,
    parent: &Element,
    tag: &str,
    attrs: &[(&str, &str)],
) -> Element {
    let el = element(doc, tag);
    for (name, value) in attrs {
        set(&el, name, value);
    }
    append(parent, &el);
    el
}

/// Creates `<tag>` with attributes and text, inside `parent`.
pub(crate) fn text_child(
    doc: &Document,
    parent: &Element,
    tag: &str,
    attrs: &[(&str, &str)],
    text: &str,
) -> Element {
    let el = child(doc, parent, tag, attrs);
    el.set_text_content(Some(text));
    el
}

/// Appends `node` to `parent`.
pub(crate) fn append(parent: &Element, node: &Node) {
    parent
        .append_child(node)
        .expect_throw("appendChild of a new node");
}

/// Sets an attribute.
pub(crate) fn set(el: &Element, name: &str, value: &str) {
    el.set_attribute(name, value)
        .expect_throw("setAttribute with a valid name");
}

/// Sets an attribute when `value` is `Some`, removes it when `None`.
pub(crate) fn set_opt(el: &Element, name: &str, value: Option<&str>) {
    match value {
        Some(value) => set(el, name, value),
        None => {
            // Removing an attribute that is absent, or by a valid name, cannot fail.
            let _ = el.remove_attribute(name);
        }
    }
}

/// Turns a boolean attribute (`disabled`, `hidden`) on or off.
pub(crate) fn flag(el: &Element, name: &str, on: bool) {
    if el.has_attribute(name) != on {
        set_opt(el, name, on.then_some(""));
    }
}

/// Appends to `node` what `full` has beyond the `shown` bytes it already holds: a text that
/// only grows costs the new part only.
pub(crate) fn append_tail(node: &Text, shown: &mut usize, full: &str) {
    if let Some(tail) = full.get(*shown..).filter(|t| !t.is_empty()) {
        node.append_data(tail)
            .expect_throw("appendData on a text node");
        *shown = full.len();
    }
}

/// An event listener that is removed when dropped.
pub(crate) struct Listener {
    target: EventTarget,
    kind: &'static str,
    callback: Closure<dyn Fn(Event)>,
}

impl Listener {
    /// Listens for `kind` events on `target`.
    pub(crate) fn new(
        target: &EventTarget,
        kind: &'static str,
        f: impl Fn(Event) + 'static,
    ) -> Self {
        let callback = Closure::<dyn Fn(Event)>::new(f);
        // Adding a listener with a function cannot fail.
        let _ = target.add_event_listener_with_callback(kind, callback.as_ref().unchecked_ref());
        Self {
            target: target.clone(),
            kind,
            callback,
        }
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        let _ = self
            .target
            .remove_event_listener_with_callback(self.kind, self.callback.as_ref().unchecked_ref());
    }
}
