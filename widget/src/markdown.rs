//! Streaming markdown: a GFM subset parsed into a small tree, in plain Rust (no DOM, no JS).
//!
//! The model's answer arrives a few characters at a time. [`Stream`] keeps the blocks that can
//! no longer change apart from the unfinished tail, so each new delta costs a parse of the tail
//! block only, whatever the length of the answer: the view appends each settled block once and
//! rebuilds only the tail. A block is settled once a later block has started on a complete
//! line, because every rule here decides a line from that line and the open block alone (see
//! [`block`]); a test feeds documents in every possible cut and checks that settled blocks
//! never change.
//!
//! The tree holds text, never HTML: raw HTML in the answer is text, links carry only `http`,
//! `https` or `mailto` destinations ([`safe_href`]), and images become links (a model tricked
//! into writing `![](https://evil/?secret)` must not make the browser fetch it). Supported:
//! paragraphs, ATX headings, fenced code, block quotes, ordered and bullet lists (nested),
//! GFM tables, thematic breaks; code spans, emphasis, strong, strikethrough, links, autolinks
//! (`<...>` and bare `https://`/`www.`), backslash escapes, entities, hard and soft breaks.
//!
//! | module | owns |
//! |---|---|
//! | [`block`] | lines into blocks, with the line where each top-level block starts |
//! | [`inline`] | a block's text into inline nodes (the CommonMark delimiter algorithm) |
//! | [`entity`] | character references (`&amp;`, `&#65;`) |

pub(crate) mod block;
pub(crate) mod entity;
pub(crate) mod inline;

/// A block of the answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Block {
    /// A paragraph.
    Paragraph(Vec<Inline>),
    /// A heading of level 1 to 6.
    Heading(u8, Vec<Inline>),
    /// Fenced code; `closed` is false while its closing fence has not arrived.
    Code {
        /// The first word of the info string (`rust` in ```` ```rust ````).
        lang: String,
        /// The code, each line ending in `\n`.
        text: String,
        /// The closing fence was seen.
        closed: bool,
    },
    /// A block quote.
    Quote(Vec<Block>),
    /// A list.
    List {
        /// Numbered (`1.`) rather than bulleted.
        ordered: bool,
        /// The first number of a numbered list.
        start: u32,
        /// No blank line between or inside its items: items show their text without `<p>`.
        tight: bool,
        /// The items, each a list of blocks.
        items: Vec<Vec<Block>>,
    },
    /// A GFM table.
    Table {
        /// Each column's alignment.
        align: Vec<Align>,
        /// The header cells.
        head: Vec<Vec<Inline>>,
        /// The body rows, each as many cells as the header.
        rows: Vec<Vec<Vec<Inline>>>,
    },
    /// A thematic break (`---`).
    Rule,
}

/// A table column's alignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Align {
    /// Not given.
    None,
    /// `:--`.
    Left,
    /// `:-:`.
    Center,
    /// `--:`.
    Right,
}

/// Inline content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Inline {
    /// Plain text (entities and escapes already decoded).
    Text(String),
    /// A code span.
    Code(String),
    /// Emphasis.
    Emph(Vec<Inline>),
    /// Strong emphasis.
    Strong(Vec<Inline>),
    /// Strikethrough.
    Strike(Vec<Inline>),
    /// A link with a safe destination.
    Link {
        /// The destination, already checked by [`safe_href`].
        href: String,
        /// The link text.
        children: Vec<Inline>,
    },
    /// A hard line break.
    Break,
    /// A line break inside a paragraph.
    SoftBreak,
}

/// Parses a whole text.
pub(crate) fn parse(text: &str) -> Vec<Block> {
    block::parse(text).into_iter().map(|(b, _)| b).collect()
}

/// The destination itself when it is safe to put in `href`: `http:`, `https:` or `mailto:`,
/// with no control characters (a browser drops tabs and newlines inside a URL, so
/// `java\tscript:` must not pass as text that merely looks harmless).
pub(crate) fn safe_href(url: &str) -> Option<&str> {
    let url = url.trim_matches(|c: char| c == ' ' || c == '\n');
    if url.chars().any(char::is_control) {
        return None;
    }
    let head: Vec<u8> = url
        .bytes()
        .take(8)
        .map(|b| b.to_ascii_lowercase())
        .collect();
    let allowed = ["http://", "https://", "mailto:"]
        .iter()
        .any(|scheme| head.starts_with(scheme.as_bytes()));
    allowed.then_some(url)
}

/// The answer as it streams: settled blocks, handed out once, and the unfinished tail.
#[derive(Debug, Default)]
pub(crate) struct Stream {
    /// Bytes of the text already handed out as settled blocks.
    settled: usize,
}

/// What changed since the last [`Stream::update`].
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Update {
    /// Blocks that settled since the last update, in order; they never change again.
    pub(crate) settled: Vec<Block>,
    /// The blocks after the settled ones, to be shown in place of the previous tail.
    pub(crate) tail: Vec<Block>,
}

impl Stream {
    /// Takes the whole text so far (it only grows); `finished` settles everything.
    pub(crate) fn update(&mut self, text: &str, finished: bool) -> Update {
        let rest = text.get(self.settled..).unwrap_or_default();
        if finished {
            self.settled = text.len();
            return Update {
                settled: parse(rest),
                tail: Vec::new(),
            };
        }
        // Only complete lines decide where blocks end.
        let complete = rest.rfind('\n').map_or(0, |at| at + 1);
        let mut blocks = block::parse(&rest[..complete]);
        let mut settled = Vec::new();
        if blocks.len() > 1 {
            let (_, last_start) = blocks[blocks.len() - 1];
            let offset = line_offset(rest, last_start);
            blocks.pop();
            settled = blocks.into_iter().map(|(b, _)| b).collect();
            self.settled += offset;
        }
        let tail = parse(text.get(self.settled..).unwrap_or_default());
        Update { settled, tail }
    }

    /// Starts again from an empty text.
    pub(crate) fn reset(&mut self) {
        self.settled = 0;
    }
}

/// The byte offset of line `n` (0-based) of `text`.
fn line_offset(text: &str, n: usize) -> usize {
    if n == 0 {
        return 0;
    }
    text.match_indices('\n')
        .nth(n - 1)
        .map_or(text.len(), |(at, _)| at + 1)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The tree as compact HTML-like text, for tests.
    pub(crate) fn html(blocks: &[Block]) -> String {
        let mut out = String::new();
        for block in blocks {
            block_html(block, &mut out);
        }
        out
    }

    fn block_html(block: &Block, out: &mut String) {
        match block {
            Block::Paragraph(inlines) => wrap(out, "p", inlines),
            Block::Heading(level, inlines) => wrap(out, &format!("h{level}"), inlines),
            Block::Code { lang, text, closed } => {
                let end = if *closed { "" } else { " open" };
                out.push_str(&format!("<pre lang={lang:?}{end}>{text}</pre>"));
            }
            Block::Quote(blocks) => {
                out.push_str("<blockquote>");
                out.push_str(&html(blocks));
                out.push_str("</blockquote>");
            }
            Block::List {
                ordered,
                start,
                tight,
                items,
            } => {
                let tag = if *ordered { "ol" } else { "ul" };
                let start = if *ordered && *start != 1 {
                    format!(" start={start}")
                } else {
                    String::new()
                };
                let loose = if *tight { "" } else { " loose" };
                out.push_str(&format!("<{tag}{start}{loose}>"));
                for item in items {
                    out.push_str("<li>");
                    for block in item {
                        match block {
                            Block::Paragraph(inlines) if *tight => inline_html(inlines, out),
                            _ => block_html(block, out),
                        }
                    }
                    out.push_str("</li>");
                }
                out.push_str(&format!("</{tag}>"));
            }
            Block::Table { align, head, rows } => {
                out.push_str("<table>");
                let row = |out: &mut String, cells: &[Vec<Inline>], tag: &str| {
                    out.push_str("<tr>");
                    for (cell, align) in cells.iter().zip(align) {
                        let a = match align {
                            Align::None => "",
                            Align::Left => " left",
                            Align::Center => " center",
                            Align::Right => " right",
                        };
                        wrap(out, &format!("{tag}{a}"), cell);
                    }
                    out.push_str("</tr>");
                };
                row(out, head, "th");
                for cells in rows {
                    row(out, cells, "td");
                }
                out.push_str("</table>");
            }
            Block::Rule => out.push_str("<hr>"),
        }
    }

    fn wrap(out: &mut String, tag: &str, inlines: &[Inline]) {
        out.push_str(&format!("<{tag}>"));
        inline_html(inlines, out);
        let name = tag.split(' ').next().unwrap_or(tag);
        out.push_str(&format!("</{name}>"));
    }

    pub(crate) fn inline_html(inlines: &[Inline], out: &mut String) {
        for inline in inlines {
            match inline {
                Inline::Text(t) => out.push_str(t),
                Inline::Code(t) => out.push_str(&format!("<code>{t}</code>")),
                Inline::Emph(c) => wrap(out, "em", c),
                Inline::Strong(c) => wrap(out, "strong", c),
                Inline::Strike(c) => wrap(out, "del", c),
                Inline::Link { href, children } => {
                    out.push_str(&format!("<a {href}>"));
                    inline_html(children, out);
                    out.push_str("</a>");
                }
                Inline::Break => out.push_str("<br>"),
                Inline::SoftBreak => out.push('\n'),
            }
        }
    }

    fn check(markdown: &str, want: &str) {
        assert_eq!(html(&parse(markdown)), want, "markdown: {markdown:?}");
    }

    #[test]
    fn blocks() {
        check("Hello\nworld", "<p>Hello\nworld</p>");
        check("one\n\ntwo", "<p>one</p><p>two</p>");
        check(
            "# Title\n## Sub ##\n####### no",
            "<h1>Title</h1><h2>Sub</h2><p>####### no</p>",
        );
        check("#hashtag", "<p>#hashtag</p>");
        check("para\n# head", "<p>para</p><h1>head</h1>");
        check("a\n\n---\n\n***\nb", "<p>a</p><hr><hr><p>b</p>");
        check(
            "> quoted\n> more\n\nafter",
            "<blockquote><p>quoted\nmore</p></blockquote><p>after</p>",
        );
        check("> lazy\nline", "<blockquote><p>lazy\nline</p></blockquote>");
        check(
            "> # h\n> - a",
            "<blockquote><h1>h</h1><ul><li>a</li></ul></blockquote>",
        );
    }

    #[test]
    fn a_block_starts_within_three_spaces_of_indentation() {
        check("   # h", "<h1>h</h1>");
        check("   ```\n   x\n   ```", "<pre lang=\"\">x\n</pre>");
        check("   - a", "<ul><li>a</li></ul>");
        for four in ["    # h", "    ```", "    - a"] {
            let html = html(&parse(four));
            assert!(html.starts_with("<p>"), "{four:?} -> {html}");
        }
    }

    #[test]
    fn fenced_code() {
        check(
            "```rust\nfn main() {}\n```\nafter",
            "<pre lang=\"rust\">fn main() {}\n</pre><p>after</p>",
        );
        check("~~~\n<b>x</b>\n~~~", "<pre lang=\"\"><b>x</b>\n</pre>");
        check(
            "```\nunclosed\n# not a heading",
            "<pre lang=\"\" open>unclosed\n# not a heading\n</pre>",
        );
        check("````\n```\n````", "<pre lang=\"\">```\n</pre>");
        check(
            "text\n```\ncode\n```",
            "<p>text</p><pre lang=\"\">code\n</pre>",
        );
        check(
            "  ```\n  indented\n    more\n  ```",
            "<pre lang=\"\">indented\n  more\n</pre>",
        );
        check("```js title\nx\n```", "<pre lang=\"js\">x\n</pre>");
    }

    #[test]
    fn lists() {
        check("- a\n- b", "<ul><li>a</li><li>b</li></ul>");
        check("* a\n+ b", "<ul><li>a</li><li>b</li></ul>");
        check("1. a\n2. b", "<ol><li>a</li><li>b</li></ol>");
        check("3) a\n4) b", "<ol start=3><li>a</li><li>b</li></ol>");
        check(
            "- a\n\n- b",
            "<ul loose><li><p>a</p></li><li><p>b</p></li></ul>",
        );
        check(
            "- a\n  - b\n  - c\n- d",
            "<ul><li>a<ul><li>b</li><li>c</li></ul></li><li>d</li></ul>",
        );
        check(
            "1. a\n   - b\n2. c",
            "<ol><li>a<ul><li>b</li></ul></li><li>c</li></ol>",
        );
        check("1. a\n  - b", "<ol><li>a<ul><li>b</li></ul></li></ol>");
        check("- a\ncontinued", "<ul><li>a\ncontinued</li></ul>");
        check(
            "- a\n\n  para\n- b",
            "<ul loose><li><p>a</p><p>para</p></li><li><p>b</p></li></ul>",
        );
        check("- a\n\nafter", "<ul><li>a</li></ul><p>after</p>");
        check(
            "- ```\n  code\n  ```",
            "<ul><li><pre lang=\"\">code\n</pre></li></ul>",
        );
        check("para\n- item", "<p>para</p><ul><li>item</li></ul>");
        check("-not a list\n2.nor this", "<p>-not a list\n2.nor this</p>");
        check("- ", "<ul><li></li></ul>");
        check("1. a\n- b", "<ol><li>a</li></ol><ul><li>b</li></ul>");
    }

    #[test]
    fn tables() {
        check(
            "| Year | Sales |\n|---|--:|\n| 1996 | 1.5 |\n| 1997 | `x|y` |",
            "<table><tr><th>Year</th><th right>Sales</th></tr><tr><td>1996</td><td right>1.5</td></tr><tr><td>1997</td><td right>`x</td></tr></table>",
        );
        check(
            "a | b\n:-|:-:\n1 | 2\n\nafter",
            "<table><tr><th left>a</th><th center>b</th></tr><tr><td left>1</td><td center>2</td></tr></table><p>after</p>",
        );
        check(
            "intro\n| a | b |\n|---|---|\n| 1 |",
            "<p>intro</p><table><tr><th>a</th><th>b</th></tr><tr><td>1</td><td></td></tr></table>",
        );
        check("| a | b |\n|---|", "<p>| a | b |\n|---|</p>");
        check(
            "| a \\| b |\n|---|\n| *x* |",
            "<table><tr><th>a | b</th></tr><tr><td><em>x</em></td></tr></table>",
        );
        check(
            "| a |\n|---|\n| 1 |\nnot a row",
            "<table><tr><th>a</th></tr><tr><td>1</td></tr></table><p>not a row</p>",
        );
    }

    #[test]
    fn inlines() {
        check(
            "*a* _b_ **c** __d__ ~~e~~",
            "<p><em>a</em> <em>b</em> <strong>c</strong> <strong>d</strong> <del>e</del></p>",
        );
        check("***both***", "<p><em><strong>both</strong></em></p>");
        check("*a **b** c*", "<p><em>a <strong>b</strong> c</em></p>");
        check("**a *b* c**", "<p><strong>a <em>b</em> c</strong></p>");
        check("*unclosed and **half", "<p>*unclosed and **half</p>");
        check(
            "snake_case_name and 2*3*4",
            "<p>snake_case_name and 2<em>3</em>4</p>",
        );
        check("a * b * c", "<p>a * b * c</p>");
        check(
            "`code *not em*` and ``a ` b``",
            "<p><code>code *not em*</code> and <code>a ` b</code></p>",
        );
        check("`unclosed", "<p>`unclosed</p>");
        check("\\*not em\\* \\\\", "<p>*not em* \\</p>");
        check("line  \nbreak\\\nagain", "<p>line<br>break<br>again</p>");
        check(
            "&lt;b&gt; &amp; &copy; &#65; &#x1F600; &bogus; &#0;",
            "<p><b> & © A 😀 &bogus; \u{FFFD}</p>",
        );
    }

    #[test]
    fn links_keep_only_safe_destinations() {
        check(
            "[site](https://example.com)",
            "<p><a https://example.com>site</a></p>",
        );
        check(
            "[t](https://e.com \"title\") [u](<https://e.com/a b>)",
            "<p><a https://e.com>t</a> <a https://e.com/a b>u</a></p>",
        );
        check("[x](javascript:alert(1))", "<p>x</p>");
        check("[x](JavaScript:alert(1))", "<p>x</p>");
        check("[x](data:text/html;base64,PHNjcmlwdD4=)", "<p>x</p>");
        check(
            "[x](java\tscript:alert(1))",
            "<p>[x](java\tscript:alert(1))</p>",
        );
        check("[x](/relative)", "<p>x</p>");
        check("[mail](mailto:a@b.c)", "<p><a mailto:a@b.c>mail</a></p>");
        check(
            "![alt](https://evil.example/?q=secret)",
            "<p><a https://evil.example/?q=secret>alt</a></p>",
        );
        check("![x](javascript:alert(1))", "<p>x</p>");
        check("<https://a.example/x> <javascript:alert(1)> <a@b.example>", "<p><a https://a.example/x>https://a.example/x</a> &lt;javascript:alert(1)&gt; <a mailto:a@b.example>a@b.example</a></p>".replace("&lt;", "<").replace("&gt;", ">").as_str());
        check(
            "see https://example.com/a_(b). and www.example.org!",
            "<p>see <a https://example.com/a_(b)>https://example.com/a_(b)</a>. and <a http://www.example.org>www.example.org</a>!</p>",
        );
        check(
            "[**bold** link](https://e.com)",
            "<p><a https://e.com><strong>bold</strong> link</a></p>",
        );
        check("[no link]", "<p>[no link]</p>");
        check(
            "[a](https://e.com",
            "<p>[a](<a https://e.com>https://e.com</a></p>",
        );
        check(
            "[outer https://in.example](https://out.example)",
            "<p><a https://out.example>outer https://in.example</a></p>",
        );
        check(
            "*[a](https://e.com)*",
            "<p><em><a https://e.com>a</a></em></p>",
        );
    }

    #[test]
    fn raw_html_is_text() {
        check(
            "<script>alert(1)</script>",
            "<p><script>alert(1)</script></p>",
        );
        check(
            "<img src=x onerror=alert(1)>",
            "<p><img src=x onerror=alert(1)></p>",
        );
        check("<div>\n*x*\n</div>", "<p><div>\n<em>x</em>\n</div></p>");
    }

    #[test]
    fn safe_hrefs() {
        assert_eq!(safe_href("https://a.b/c"), Some("https://a.b/c"));
        assert_eq!(safe_href(" HTTP://a.b "), Some("HTTP://a.b"));
        assert_eq!(safe_href("mailto:x@y"), Some("mailto:x@y"));
        for bad in [
            "javascript:x",
            "data:x",
            "vbscript:x",
            "//evil.example",
            "/x",
            "ftp://x",
            "\u{1}https://x",
            "https://a\u{0}b",
            "htt\tps://x",
        ] {
            assert_eq!(safe_href(bad), None, "{bad:?}");
        }
    }

    /// Feeding `text` cut at `cuts` never changes a settled block, and the end result is the
    /// whole text's parse.
    fn check_stream(text: &str, cuts: &[usize]) {
        let mut stream = Stream::default();
        let mut shown: Vec<Block> = Vec::new();
        for &cut in cuts {
            let Some(prefix) = text.get(..cut) else {
                continue;
            };
            let update = stream.update(prefix, false);
            shown.extend(update.settled);
            let mut all = shown.clone();
            all.extend(update.tail);
            assert_eq!(all, parse(prefix), "prefix {prefix:?}");
        }
        let update = stream.update(text, true);
        shown.extend(update.settled);
        assert!(update.tail.is_empty());
        assert_eq!(shown, parse(text), "whole {text:?}");
    }

    const STREAMED: &[&str] = &[
        "Intro paragraph\nwith two lines.\n\n# Heading\n\n- one\n- two\n  - nested\n\n1. first\n2. second\n\n> quote\n> more\n\n```rust\nfn x() {}\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\nEnd *em* **strong**.",
        "para\n| a | b |\n|---|---|\n| 1 | 2 |\nafter\n---\n- x\n\n- y\n\nz",
        "- a\n\n  b\n\n- c\n```\ncode\n\nmore\n```\n# h\ntext",
        "> q\nlazy\n\n> r\n\n***\n~~~\n~~~\n\nplain",
        "```\nunclosed\n\n# still code",
    ];

    #[test]
    fn streaming_in_every_cut_settles_nothing_early() {
        for text in STREAMED {
            let every: Vec<usize> = (0..=text.len()).collect();
            check_stream(text, &every);
            for step in [2, 3, 7, 13] {
                let cuts: Vec<usize> = (0..=text.len()).step_by(step).collect();
                check_stream(text, &cuts);
            }
        }
    }

    #[test]
    fn streaming_random_documents_settles_nothing_early() {
        const LINES: &[&str] = &[
            "",
            "",
            "text *em",
            "more** text",
            "# head",
            "- item",
            "  - nested",
            "1. one",
            "2) two",
            "> quote",
            "```",
            "~~~",
            "| a | b |",
            "|---|---|",
            "| 1 | 2 |",
            "---",
            "    indented",
            "lazy",
            "* star",
            "10. ten",
            "`code",
            "[link](https://x.example)",
        ];
        let mut seed: u64 = 0x5eed;
        let mut next = |n: usize| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) as usize % n
        };
        for _ in 0..300 {
            let n_lines = 2 + next(9);
            let lines: Vec<&str> = (0..n_lines).map(|_| LINES[next(LINES.len())]).collect();
            let text = lines.join("\n");
            let every: Vec<usize> = (0..=text.len()).collect();
            check_stream(&text, &every);
        }
    }

    #[test]
    fn streaming_settles_finished_blocks() {
        let mut stream = Stream::default();
        // The next block's first line is not complete yet: it might still join this one.
        let first = stream.update("Hello\n\nWor", false);
        assert!(first.settled.is_empty());
        assert_eq!(html(&first.tail), "<p>Hello</p><p>Wor</p>");
        let next = stream.update("Hello\n\nWorld\nand", false);
        assert_eq!(html(&next.settled), "<p>Hello</p>");
        assert_eq!(html(&next.tail), "<p>World\nand</p>");
        let last = stream.update("Hello\n\nWorld\nand more", true);
        assert_eq!(html(&last.settled), "<p>World\nand more</p>");
        assert!(last.tail.is_empty());
    }
}
