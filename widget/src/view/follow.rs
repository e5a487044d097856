//! Following the end of the log while an answer grows, without forcing layout per update.
//!
//! Reading `scrollTop`/`scrollHeight` right after changing the DOM makes the browser lay the
//! page out at once, for every stream chunk, and that layout grows with the conversation (issue
//! 15). So the log's scroll state is read only when the reader scrolls (the browser has laid out
//! by then), and after a render the log is scrolled to its end, when the reader was there, in
//! the next animation frame: once per frame, however many chunks came in between.

use std::cell::Cell;
use std::rc::Rc;

use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::Element;

use crate::dom;

/// How far from the end (CSS pixels) still counts as at the end.
const SLACK: i32 = 24;

/// The log, its "jump to latest" button, and whether the reader is at the end.
pub(crate) struct Follow {
    log: Element,
    jump: Element,
    /// The reader was at the end of the log when it last scrolled (or never scrolled).
    following: Rc<Cell<bool>>,
    /// A frame is requested already.
    scheduled: Rc<Cell<bool>>,
}

impl Follow {
    /// Follows `log`, showing `jump` while the reader is away from its end.
    pub(crate) fn new(log: &Element, jump: &Element) -> Self {
        Self {
            log: log.clone(),
            jump: jump.clone(),
            following: Rc::new(Cell::new(true)),
            scheduled: Rc::new(Cell::new(false)),
        }
    }

    /// The log changed: in the next frame, scroll to its end if the reader was there.
    pub(crate) fn changed(&self) {
        let Some(window) = web_sys::window() else {
            return;
        };
        if self.scheduled.replace(true) {
            return;
        }
        let (log, jump) = (self.log.clone(), self.jump.clone());
        let (following, scheduled) = (Rc::clone(&self.following), Rc::clone(&self.scheduled));
        let frame = Closure::once_into_js(move || {
            scheduled.set(false);
            if following.get() {
                log.set_scroll_top(log.scroll_height());
            }
            dom::flag(&jump, "hidden", following.get());
        });
        if window
            .request_animation_frame(frame.unchecked_ref())
            .is_err()
        {
            self.scheduled.set(false);
        }
    }

    /// The reader scrolled (or the log was scrolled to its end): note whether it is at the end.
    pub(crate) fn scrolled(&self) {
        let log = &self.log;
        let at_end = log.scroll_top() + log.client_height() >= log.scroll_height() - SLACK;
        self.following.set(at_end);
        dom::flag(&self.jump, "hidden", at_end);
    }
}
