//! The Pomerium Chat widget: the `<pomerium-chat>` custom element, in Rust and WebAssembly.
//!
//! A host page loads `pomerium-chat.js`, which initialises this module; [`define`] (run at
//! start-up) registers the element. Each element lists the MCP servers the edge offers
//! (`GET {endpoint}/api/servers`), sends the structured conversation (`POST {endpoint}/api/chat`)
//! and renders the answer's SSE stream chunk by chunk. It never receives a token: the session
//! cookie goes to the edge, and the edge holds the rest.
//!
//! | module | owns |
//! |---|---|
//! | `element` | the custom element's registration, each instance's lifecycle, the host API |
//! | `controller` | one instance's message loop: `update` called, effects run, view rendered |
//! | `update` | every rule, one pure function: state and message in, effects out |
//! | `state` | plain data: servers, models, selection, exchanges, approvals, requests in flight |
//! | `view` | the DOM in the shadow root, brought up to date from the state |
//! | `markdown` | the streaming markdown parser (plain Rust, tested natively) |
//! | `pretty_json` | JSON re-indented for tool cards, numbers untouched |
//! | `i18n` | every string, in English and German |
//! | `storage` | the conversation, draft and preferences in `localStorage` |
//! | `api` | HTTP to the edge, and the streamed body read into stream events |
//! | `json` | the wire's JSON through the browser's `JSON` (no serde in the bundle) |
//! | `styles` | the shared constructable stylesheet and its theming properties |
//! | `dom` | element builders and listeners that remove themselves on drop |
//!
//! Attributes: `endpoint` (the edge's base URL; empty for this page's origin), `title`,
//! `placeholder`, `theme` (`light`, `dark`, `auto`), `locale` (`en`, `de`; default: the page's
//! language), `mode` (`inline` or `launcher`). Methods: `open()`, `close()`, `send(text)`,
//! `clear()`. Events: `pomerium-chat:message`, `pomerium-chat:error`, `pomerium-chat:open`,
//! `pomerium-chat:close`. The host gets `data-ready="true"` once the server list and the
//! signed-in user (`GET /api/me`, whose saved conversation is then restored) have loaded or
//! failed.

mod api;
mod app_bridge;
mod controller;
mod dom;
mod element;
mod i18n;
mod json;
mod markdown;
mod pretty_json;
mod snippet;
mod state;
mod storage;
mod styles;
mod update;
mod view;

use wasm_bindgen::prelude::*;

pub use element::{TAG_NAME, define};

/// Entry points for the fuzz targets in `fuzz/` (feature `fuzzing`; never in the bundle).
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing {
    use crate::markdown::{self, Block, Inline, Stream};

    /// Renders `text` as it would stream in `step`-byte pieces and checks the markdown
    /// renderer's promises: no panic, every link's destination is safe, and the settled blocks
    /// plus the final ones are the blocks of the whole text.
    pub fn markdown(text: &str, step: usize) {
        let whole = markdown::parse(text);
        let mut stream = Stream::default();
        let mut blocks = Vec::new();
        let mut end = 0;
        while end < text.len() {
            end = (end + step.max(1)).min(text.len());
            while !text.is_char_boundary(end) {
                end += 1;
            }
            blocks.extend(stream.update(&text[..end], false).settled);
        }
        blocks.extend(stream.update(text, true).settled);
        assert_eq!(blocks, whole, "streamed and whole parses differ");
        whole.iter().for_each(check_block);
    }

    fn check_block(block: &Block) {
        match block {
            Block::Paragraph(inlines) | Block::Heading(_, inlines) => {
                inlines.iter().for_each(check_inline)
            }
            Block::Quote(blocks) => blocks.iter().for_each(check_block),
            Block::List { items, .. } => items.iter().flatten().for_each(check_block),
            Block::Table { head, rows, .. } => {
                head.iter().flatten().for_each(check_inline);
                rows.iter().flatten().flatten().for_each(check_inline);
            }
            Block::Code { .. } | Block::Rule => {}
        }
    }

    fn check_inline(inline: &Inline) {
        match inline {
            Inline::Link { href, children } => {
                assert_eq!(
                    markdown::safe_href(href),
                    Some(href.as_str()),
                    "unsafe link {href:?}"
                );
                children.iter().for_each(check_inline);
            }
            Inline::Emph(children) | Inline::Strong(children) | Inline::Strike(children) => {
                children.iter().for_each(check_inline);
            }
            Inline::Text(_) | Inline::Code(_) | Inline::Break | Inline::SoftBreak => {}
        }
    }
}

/// Registers the element when the module is initialised in a page.
#[wasm_bindgen(start)]
fn start() -> Result<(), JsValue> {
    define()
}

#[cfg(test)]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);
