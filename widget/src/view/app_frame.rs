//! An MCP App view under its tool card: a sandboxed frame and, when the view asks to open a
//! link, the question to the user.
//!
//! Contract: `div[data-role="app"]` with `data-call-id`, right after the call's card, holding
//! `iframe[data-role="app-frame"]` (also with `data-call-id`) with `sandbox="allow-scripts"`
//! (never `allow-same-origin`: the view runs in an opaque origin and reaches neither the page
//! nor the widget), `src` the edge's `/api/app/view?handle=…` (served with a policy of its
//! own: a `srcdoc` frame would inherit the page's), no referrer, and the height the bridge
//! allows.
//! A link the view asks to open shows as `[data-role="app-link"]` with the URL as text and
//! `button[data-action="app-link-open"]` / `button[data-action="app-link-cancel"]`.

use wasm_bindgen::JsCast;
use web_sys::{Document, Element, HtmlElement};

use crate::controller::host::SIGNED_IN_PAGE;
use crate::dom;
use crate::i18n::{Strings, fill};
use crate::state::ToolCall;
use crate::state::app::AppFrame;

/// The `data-action` of the button that opens the link a view asked for.
pub(crate) const LINK_OPEN: &str = "app-link-open";
/// The `data-action` of the button that declines it.
pub(crate) const LINK_CANCEL: &str = "app-link-cancel";

/// One view's frame and what it last showed.
pub(crate) struct AppFrameView {
    root: Element,
    frame: Element,
    height: u32,
    link: Option<(Element, String)>,
}

impl AppFrameView {
    /// The frame of `call`'s view, right after `card`; `sign_in_url` is a page on the edge.
    pub(crate) fn new(
        doc: &Document,
        card: &Element,
        call: &ToolCall,
        app: &AppFrame,
        sign_in_url: &str,
        s: &Strings,
    ) -> Self {
        let root = dom::element(doc, "div");
        for (name, value) in [
            ("class", "app"),
            ("part", "app"),
            ("data-role", "app"),
            ("data-call-id", call.call_id.as_str()),
        ] {
            dom::set(&root, name, value);
        }
        let _ = card.after_with_node_1(&root);
        let title = fill(s.app_title, &[&call.tool]);
        let frame = dom::child(
            doc,
            &root,
            "iframe",
            &[
                ("data-role", "app-frame"),
                ("data-call-id", &call.call_id),
                ("sandbox", "allow-scripts"),
                ("referrerpolicy", "no-referrer"),
                ("title", &title),
                ("data-uri", &app.uri),
            ],
        );
        let edge = sign_in_url
            .strip_suffix(SIGNED_IN_PAGE)
            .unwrap_or(sign_in_url);
        // The handle is base64url and digits: nothing to escape in a query.
        dom::set(
            &frame,
            "src",
            &format!("{edge}/api/app/view?handle={}", app.handle),
        );
        let mut view = Self {
            root,
            frame,
            height: 0,
            link: None,
        };
        view.render(doc, &call.call_id, app, s);
        view
    }

    /// Brings the frame's height and the link question up to date.
    pub(crate) fn render(&mut self, doc: &Document, call_id: &str, app: &AppFrame, s: &Strings) {
        if self.height != app.height {
            self.height = app.height;
            if let Some(el) = self.frame.dyn_ref::<HtmlElement>() {
                let _ = el
                    .style()
                    .set_property("height", &format!("{}px", app.height));
            }
        }
        let asked = app.link.as_ref().map(|(_, url)| url);
        if self.link.as_ref().map(|(_, url)| url) == asked {
            return;
        }
        if let Some((element, _)) = self.link.take() {
            element.remove();
        }
        if let Some(url) = asked {
            let ask = dom::child(doc, &self.root, "p", &[("data-role", "app-link")]);
            dom::text_child(doc, &ask, "span", &[], s.app_link);
            dom::text_child(doc, &ask, "code", &[("data-role", "app-link-url")], url);
            for (action, label) in [(LINK_OPEN, s.open_link), (LINK_CANCEL, s.cancel)] {
                let attrs = [
                    ("type", "button"),
                    ("data-action", action),
                    ("data-call-id", call_id),
                ];
                dom::text_child(doc, &ask, "button", &attrs, label);
            }
            self.link = Some((ask, url.clone()));
        }
    }
}
