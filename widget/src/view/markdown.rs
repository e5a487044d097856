//! The answer's markdown as DOM: settled blocks built once, the tail rebuilt per update.
//!
//! [`MarkdownView`] feeds the answer text to a [`Stream`] and turns its blocks into elements
//! with `createElement` and text nodes only: model text is never parsed as HTML. Settled
//! blocks are appended once and never touched again (a reader's selection in them survives);
//! the tail's nodes are replaced on each update, so the cost of a delta is the size of the
//! unfinished block, not of the answer. Past a few dozen settled blocks, the oldest go into
//! `div.blocks` groups of [`GROUP`] (moved, not rebuilt). Links open in a new window with
//! `rel="noopener noreferrer"`; code blocks get a language label and a Copy button
//! (`button[data-action="copy"]`).

use web_sys::{Document, Element, Node};

use crate::dom;
use crate::i18n::Strings;
use crate::markdown::{Align, Block, Inline, Stream};

/// The `data-action` of a code block's Copy button.
pub(crate) const COPY: &str = "copy";

/// The rendered answer text.
pub(crate) struct MarkdownView {
    root: Element,
    stream: Stream,
    tail: Vec<Node>,
    /// Settled blocks still directly under the root, oldest first.
    loose: Vec<Node>,
    shown: (usize, bool),
}

/// Settled blocks per `div.blocks` group.
const GROUP: usize = 32;

impl MarkdownView {
    /// Renders into `root` (emptied).
    pub(crate) fn new(root: Element) -> Self {
        root.set_text_content(None);
        Self {
            root,
            stream: Stream::default(),
            tail: Vec::new(),
            loose: Vec::new(),
            shown: (0, false),
        }
    }

    /// Shows `text`, which only grew since the last call unless [`MarkdownView::reset`] came
    /// between; `finished` settles the last block.
    pub(crate) fn render(&mut self, doc: &Document, text: &str, finished: bool, s: &Strings) {
        if self.shown == (text.len(), finished) {
            return;
        }
        self.shown = (text.len(), finished);
        let update = self.stream.update(text, finished);
        for node in self.tail.drain(..) {
            if let Some(parent) = node.parent_node() {
                let _ = parent.remove_child(&node);
            }
        }
        for block in &update.settled {
            let node = build_block(doc, block, false, s);
            dom::append(&self.root, &node);
            self.loose.push(node.into());
        }
        self.group(doc);
        for block in &update.tail {
            let node = build_block(doc, block, false, s);
            dom::append(&self.root, &node);
            self.tail.push(node.into());
        }
    }

    /// Moves the oldest settled blocks into a `div.blocks` of [`GROUP`] once twice that many
    /// are loose: the root keeps a few dozen children however long the answer, so appending to
    /// it does not lay out every block again, and a group off screen is skipped
    /// (`content-visibility`, see `styles`). The nodes move; they are not rebuilt.
    fn group(&mut self, doc: &Document) {
        while self.loose.len() >= 2 * GROUP {
            let group = dom::element(doc, "div");
            dom::set(&group, "class", "blocks");
            let _ = self.root.insert_before(&group, Some(&self.loose[0]));
            for node in self.loose.drain(..GROUP) {
                dom::append(&group, &node);
            }
        }
    }

    /// Empties the view for a text that starts again.
    pub(crate) fn reset(&mut self) {
        self.root.set_text_content(None);
        self.stream.reset();
        self.tail.clear();
        self.loose.clear();
        self.shown = (0, false);
    }
}

fn build_block(doc: &Document, block: &Block, tight: bool, s: &Strings) -> Element {
    match block {
        Block::Paragraph(inlines) if tight => {
            let span = dom::element(doc, "span");
            build_inlines(doc, &span, inlines);
            span
        }
        Block::Paragraph(inlines) => with_inlines(doc, "p", inlines),
        Block::Heading(level, inlines) => {
            // The widget's own title is the h2: answer headings start one level below.
            let tag =
                ["h3", "h4", "h5", "h6", "h6", "h6"][usize::from(level.saturating_sub(1)).min(5)];
            with_inlines(doc, tag, inlines)
        }
        Block::Code { lang, text, .. } => code_block(doc, lang, text, s),
        Block::Quote(blocks) => {
            let quote = dom::element(doc, "blockquote");
            for block in blocks {
                dom::append(&quote, &build_block(doc, block, false, s));
            }
            quote
        }
        Block::List {
            ordered,
            start,
            tight,
            items,
        } => {
            let list = dom::element(doc, if *ordered { "ol" } else { "ul" });
            if *ordered && *start != 1 {
                dom::set(&list, "start", &start.to_string());
            }
            for item in items {
                let li = dom::child(doc, &list, "li", &[]);
                for block in item {
                    dom::append(&li, &build_block(doc, block, *tight, s));
                }
            }
            list
        }
        Block::Table { align, head, rows } => table(doc, align, head, rows),
        Block::Rule => dom::element(doc, "hr"),
    }
}

fn with_inlines(doc: &Document, tag: &str, inlines: &[Inline]) -> Element {
    let el = dom::element(doc, tag);
    build_inlines(doc, &el, inlines);
    el
}

fn build_inlines(doc: &Document, parent: &Element, inlines: &[Inline]) {
    for inline in inlines {
        match inline {
            Inline::Text(text) => dom::append(parent, &doc.create_text_node(text)),
            Inline::SoftBreak => dom::append(parent, &doc.create_text_node("\n")),
            Inline::Break => dom::append(parent, &dom::element(doc, "br")),
            Inline::Code(code) => {
                dom::text_child(doc, parent, "code", &[], code);
            }
            Inline::Emph(children) => dom::append(parent, &with_inlines(doc, "em", children)),
            Inline::Strong(children) => dom::append(parent, &with_inlines(doc, "strong", children)),
            Inline::Strike(children) => dom::append(parent, &with_inlines(doc, "del", children)),
            Inline::Link { href, children } => {
                let a = dom::child(
                    doc,
                    parent,
                    "a",
                    &[
                        ("href", href),
                        ("target", "_blank"),
                        ("rel", "noopener noreferrer"),
                    ],
                );
                build_inlines(doc, &a, children);
            }
        }
    }
}

fn code_block(doc: &Document, lang: &str, text: &str, s: &Strings) -> Element {
    let root = dom::element(doc, "div");
    dom::set(&root, "class", "codeblock");
    dom::set(&root, "data-role", "code");
    let head = dom::child(doc, &root, "div", &[("class", "code-head")]);
    dom::text_child(doc, &head, "span", &[("class", "lang")], lang);
    dom::text_child(
        doc,
        &head,
        "button",
        &[
            ("type", "button"),
            ("class", "copy"),
            ("data-action", COPY),
            ("data-copied-label", s.copied),
        ],
        s.copy,
    );
    // Scrollable sideways: reachable by keyboard (WCAG 2.1.1).
    let pre = dom::child(doc, &root, "pre", &[("part", "code"), ("tabindex", "0")]);
    dom::text_child(
        doc,
        &pre,
        "code",
        &[],
        text.strip_suffix('\n').unwrap_or(text),
    );
    root
}

fn table(
    doc: &Document,
    align: &[Align],
    head: &[Vec<Inline>],
    rows: &[Vec<Vec<Inline>>],
) -> Element {
    let wrap = dom::element(doc, "div");
    dom::set(&wrap, "class", "table");
    // Scrollable sideways: reachable by keyboard (WCAG 2.1.1).
    dom::set(&wrap, "tabindex", "0");
    let table = dom::child(doc, &wrap, "table", &[]);
    let row = |section: &Element, cells: &[Vec<Inline>], tag: &str| {
        let tr = dom::child(doc, section, "tr", &[]);
        for (cell, align) in cells.iter().zip(align) {
            let class = match align {
                Align::None => "",
                Align::Left => "left",
                Align::Center => "center",
                Align::Right => "right",
            };
            let td = dom::child(doc, &tr, tag, &[]);
            if !class.is_empty() {
                dom::set(&td, "class", class);
            }
            build_inlines(doc, &td, cell);
        }
    };
    let thead = dom::child(doc, &table, "thead", &[]);
    row(&thead, head, "th");
    let tbody = dom::child(doc, &table, "tbody", &[]);
    for cells in rows {
        row(&tbody, cells, "td");
    }
    wrap
}
