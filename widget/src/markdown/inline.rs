//! A block's text into inline nodes: code spans, emphasis, links, escapes, entities, breaks.
//!
//! One left-to-right scan turns the text into nodes, keeping `*`, `_` and `~` runs and `[` as
//! delimiters; a `]` followed by `(destination)` makes a link of what lies since its `[`, and
//! the CommonMark "process emphasis" procedure (flanking rules, the rule of three) pairs the
//! delimiters, innermost first. Bare `https://` and `www.` URLs become links in a last pass
//! over the text nodes. Every destination goes through [`safe_href`]; a link whose destination
//! is not safe keeps its text and loses its link.

use crate::markdown::entity::decode_entity;
use crate::markdown::{Inline, safe_href};

/// Parses one block's inline content.
pub(crate) fn parse(text: &str) -> Vec<Inline> {
    let mut scanner = Scanner {
        text,
        nodes: Vec::new(),
        buf: String::new(),
    };
    scanner.run();
    let mut nodes = scanner.nodes;
    process_emphasis(&mut nodes, 0);
    linkify(to_inlines(nodes))
}

/// A node while scanning: finished inline content or a delimiter waiting for its partner.
#[derive(Debug)]
enum Node {
    Inline(Inline),
    Delim(Delim),
    /// `[` (or `![` for an image); inactive once it may no longer open a link.
    Bracket {
        image: bool,
        active: bool,
    },
}

#[derive(Debug, Clone, Copy)]
struct Delim {
    ch: u8,
    count: usize,
    original: usize,
    can_open: bool,
    can_close: bool,
}

struct Scanner<'a> {
    text: &'a str,
    nodes: Vec<Node>,
    buf: String,
}

impl Scanner<'_> {
    fn run(&mut self) {
        let bytes = self.text.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            i = match bytes[i] {
                b'\\' => self.backslash(i),
                b'`' => self.code_span(i),
                b'*' | b'_' | b'~' => self.delimiter_run(i),
                b'!' if bytes.get(i + 1) == Some(&b'[') => {
                    self.push_node(Node::Bracket {
                        image: true,
                        active: true,
                    });
                    i + 2
                }
                b'[' => {
                    self.push_node(Node::Bracket {
                        image: false,
                        active: true,
                    });
                    i + 1
                }
                b']' => self.close_bracket(i),
                b'<' => self.autolink(i),
                b'&' => self.entity(i),
                b'\n' => self.line_break(i, false),
                _ => {
                    let end = bytes[i + 1..]
                        .iter()
                        .position(|b| b"\\`*_~![]<&\n".contains(b))
                        .map_or(bytes.len(), |at| i + 1 + at);
                    self.buf.push_str(&self.text[i..end]);
                    end
                }
            };
        }
        self.flush();
    }

    fn flush(&mut self) {
        if !self.buf.is_empty() {
            let text = std::mem::take(&mut self.buf);
            self.nodes.push(Node::Inline(Inline::Text(text)));
        }
    }

    fn push_node(&mut self, node: Node) {
        self.flush();
        self.nodes.push(node);
    }

    fn backslash(&mut self, i: usize) -> usize {
        match self.text.as_bytes().get(i + 1) {
            Some(b'\n') => self.line_break(i + 1, true),
            Some(&b) if b.is_ascii_punctuation() => {
                self.buf.push(b as char);
                i + 2
            }
            _ => {
                self.buf.push('\\');
                i + 1
            }
        }
    }

    /// A newline at `i`: a hard break after two spaces or a backslash, else a soft one.
    fn line_break(&mut self, i: usize, hard: bool) -> usize {
        let trimmed = self.buf.trim_end_matches(' ').len();
        let hard = hard || self.buf.len() - trimmed >= 2;
        self.buf.truncate(trimmed);
        let node = if hard {
            Inline::Break
        } else {
            Inline::SoftBreak
        };
        self.push_node(Node::Inline(node));
        let rest = &self.text[i + 1..];
        i + 1 + (rest.len() - rest.trim_start_matches(' ').len())
    }

    fn code_span(&mut self, i: usize) -> usize {
        let bytes = self.text.as_bytes();
        let run = run_length(bytes, i);
        let mut j = i + run;
        while let Some(at) = bytes[j..].iter().position(|b| *b == b'`') {
            let start = j + at;
            let len = run_length(bytes, start);
            if len == run {
                let mut code = self.text[i + run..start].replace('\n', " ");
                let padded = code.len() >= 2 && code.starts_with(' ') && code.ends_with(' ');
                if padded && !code.trim().is_empty() {
                    code = code[1..code.len() - 1].to_owned();
                }
                self.push_node(Node::Inline(Inline::Code(code)));
                return start + run;
            }
            j = start + len;
        }
        self.buf.push_str(&self.text[i..i + run]);
        i + run
    }

    fn delimiter_run(&mut self, i: usize) -> usize {
        let bytes = self.text.as_bytes();
        let ch = bytes[i];
        let count = run_length(bytes, i);
        if ch == b'~' && count > 2 {
            self.buf.push_str(&self.text[i..i + count]);
            return i + count;
        }
        let before = self.text[..i].chars().next_back().unwrap_or(' ');
        let after = self.text[i + count..].chars().next().unwrap_or(' ');
        let left = !after.is_whitespace()
            && (!is_punctuation(after) || before.is_whitespace() || is_punctuation(before));
        let right = !before.is_whitespace()
            && (!is_punctuation(before) || after.is_whitespace() || is_punctuation(after));
        let (can_open, can_close) = if ch == b'_' {
            (
                left && (!right || is_punctuation(before)),
                right && (!left || is_punctuation(after)),
            )
        } else {
            (left, right)
        };
        self.push_node(Node::Delim(Delim {
            ch,
            count,
            original: count,
            can_open,
            can_close,
        }));
        i + count
    }

    fn close_bracket(&mut self, i: usize) -> usize {
        self.flush();
        let opener = self
            .nodes
            .iter()
            .rposition(|n| matches!(n, Node::Bracket { .. }));
        let Some(o) = opener else {
            self.buf.push(']');
            return i + 1;
        };
        let (image, active) = match self.nodes[o] {
            Node::Bracket { image, active } => (image, active),
            _ => unreachable!("rposition found a bracket"),
        };
        let destination = active.then(|| link_destination(self.text, i + 1)).flatten();
        let Some((href, end)) = destination else {
            self.nodes[o] = Node::Inline(Inline::Text(if image { "![" } else { "[" }.into()));
            self.buf.push(']');
            return i + 1;
        };
        let mut inner: Vec<Node> = self.nodes.drain(o + 1..).collect();
        self.nodes.pop();
        process_emphasis(&mut inner, 0);
        let children = unlink(to_inlines(inner));
        match safe_href(&href) {
            Some(href) => self.nodes.push(Node::Inline(Inline::Link {
                href: href.to_owned(),
                children,
            })),
            None => self.nodes.extend(children.into_iter().map(Node::Inline)),
        }
        if !image {
            // Links do not nest: earlier `[` may no longer open one.
            for node in &mut self.nodes {
                if let Node::Bracket {
                    image: false,
                    active,
                } = node
                {
                    *active = false;
                }
            }
        }
        end
    }

    fn autolink(&mut self, i: usize) -> usize {
        let rest = &self.text[i + 1..];
        let end = rest.find(|c: char| c == '>' || c == '<' || c == ' ' || c.is_control());
        let Some(inner) = end
            .filter(|at| rest[*at..].starts_with('>'))
            .map(|at| &rest[..at])
        else {
            self.buf.push('<');
            return i + 1;
        };
        let link = if is_uri(inner) {
            safe_href(inner).map(str::to_owned)
        } else if is_email(inner) {
            let mut href = "mailto:".to_owned();
            href.push_str(inner);
            Some(href)
        } else {
            None
        };
        match link {
            Some(href) => self.push_node(Node::Inline(Inline::Link {
                href,
                children: vec![Inline::Text(inner.to_owned())],
            })),
            None => {
                self.buf.push('<');
                return i + 1;
            }
        }
        i + 1 + inner.len() + 1
    }

    fn entity(&mut self, i: usize) -> usize {
        let rest = &self.text[i + 1..];
        let decoded = rest
            .find(';')
            .filter(|at| (1..=32).contains(at))
            .and_then(|at| Some((decode_entity(&rest[..at])?, at)));
        match decoded {
            Some((c, at)) => {
                self.buf.push(c);
                i + 1 + at + 1
            }
            None => {
                self.buf.push('&');
                i + 1
            }
        }
    }
}

fn run_length(bytes: &[u8], i: usize) -> usize {
    bytes[i..].iter().take_while(|b| **b == bytes[i]).count()
}

/// ASCII punctuation, and the Unicode punctuation and symbol blocks a model writes (Latin-1,
/// general punctuation, arrows and math, CJK and full-width punctuation): close enough to
/// CommonMark's Unicode categories for the flanking rules, without the bundle carrying
/// Unicode's tables.
fn is_punctuation(c: char) -> bool {
    c.is_ascii_punctuation()
        || matches!(c,
            '\u{A1}'..='\u{BF}' | '\u{D7}' | '\u{F7}'
            | '\u{2010}'..='\u{2027}' | '\u{2030}'..='\u{205E}'
            | '\u{2190}'..='\u{23FF}' | '\u{2E00}'..='\u{2E7F}'
            | '\u{3000}'..='\u{303F}' | '\u{FF01}'..='\u{FF0F}' | '\u{FF1A}'..='\u{FF20}')
}

/// `scheme:rest` with a 2 to 32 character scheme.
fn is_uri(s: &str) -> bool {
    let Some((scheme, _)) = s.split_once(':') else {
        return false;
    };
    (2..=32).contains(&scheme.len())
        && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '.' | '-'))
}

fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    let local_ok = !local.is_empty()
        && local.chars().all(|c| {
            c.is_ascii_alphanumeric()
                || c.is_ascii_punctuation()
                    && !matches!(
                        c,
                        '@' | '(' | ')' | ',' | ':' | ';' | '<' | '>' | '[' | '\\' | ']' | '"'
                    )
        });
    let domain_ok = domain.contains('.')
        && domain.split('.').all(|label| {
            !label.is_empty() && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
    local_ok && domain_ok
}

/// `(destination "title")` at `i`: the destination and where the link ends.
fn link_destination(text: &str, i: usize) -> Option<(String, usize)> {
    let rest = text.get(i..)?.strip_prefix('(')?;
    let mut p = i + 1 + (rest.len() - rest.trim_start().len());
    let bytes = text.as_bytes();
    let mut href = String::new();
    if bytes.get(p) == Some(&b'<') {
        let inner = &text[p + 1..];
        let end = inner.find(['>', '<', '\n'])?;
        if !inner[end..].starts_with('>') {
            return None;
        }
        href.push_str(&inner[..end]);
        p += 1 + end + 1;
    } else {
        let mut depth = 0usize;
        let mut chars = text[p..].char_indices();
        let mut end = text.len() - p;
        while let Some((at, c)) = chars.next() {
            match c {
                '\\' => match chars.clone().next() {
                    Some((_, next)) if next.is_ascii_punctuation() => {
                        chars.next();
                        href.push(next);
                        continue;
                    }
                    _ => {}
                },
                '(' => depth += 1,
                ')' if depth == 0 => {
                    end = at;
                    break;
                }
                ')' => depth -= 1,
                c if c.is_whitespace() || c.is_control() => {
                    end = at;
                    break;
                }
                _ => {}
            }
            href.push(c);
        }
        if depth != 0 {
            return None;
        }
        p += end;
    }
    let skip_space = |p: usize| p + (text[p..].len() - text[p..].trim_start().len());
    p = skip_space(p);
    if let Some(close) = match bytes.get(p) {
        Some(b'"') => Some('"'),
        Some(b'\'') => Some('\''),
        Some(b'(') => Some(')'),
        _ => None,
    } {
        let title = &text[p + 1..];
        let end = title.find(close)?;
        p = skip_space(p + 1 + end + 1);
    }
    (bytes.get(p) == Some(&b')')).then_some((href, p + 1))
}

/// Pairs the delimiters of `nodes[bottom..]` into emphasis, strong and strikethrough.
fn process_emphasis(nodes: &mut Vec<Node>, bottom: usize) {
    let mut c = bottom;
    while c < nodes.len() {
        let closer = match &nodes[c] {
            Node::Delim(d) if d.can_close && d.count > 0 => *d,
            _ => {
                c += 1;
                continue;
            }
        };
        let opener = (bottom..c).rev().find(|&o| match &nodes[o] {
            Node::Delim(d) if d.ch == closer.ch && d.can_open && d.count > 0 => {
                if closer.ch == b'~' {
                    return d.count == closer.count;
                }
                // The rule of three.
                let either_both = d.can_close || closer.can_open;
                let sum = d.original + closer.original;
                !(either_both && sum % 3 == 0 && !(d.original % 3 == 0 && closer.original % 3 == 0))
            }
            _ => false,
        });
        let Some(o) = opener else {
            c += 1;
            continue;
        };
        let Node::Delim(mut open) = nodes[o] else {
            unreachable!("the opener is a delimiter")
        };
        let mut close = closer;
        let used = match closer.ch {
            b'~' => close.count,
            _ if open.count >= 2 && close.count >= 2 => 2,
            _ => 1,
        };
        open.count -= used;
        close.count -= used;
        let inner: Vec<Node> = nodes.drain(o + 1..c).collect();
        let children = to_inlines(inner);
        let wrapped = match (closer.ch, used) {
            (b'~', _) => Inline::Strike(children),
            (_, 2) => Inline::Strong(children),
            _ => Inline::Emph(children),
        };
        nodes[o] = Node::Delim(open);
        nodes.insert(o + 1, Node::Inline(wrapped));
        nodes[o + 2] = Node::Delim(close);
        c = o + 2;
        if open.count == 0 {
            nodes.remove(o);
            c -= 1;
        }
        if close.count == 0 {
            nodes.remove(c);
        }
    }
}

/// Finished nodes as inlines: unpaired delimiters become text, adjacent texts merge.
fn to_inlines(nodes: Vec<Node>) -> Vec<Inline> {
    let mut out: Vec<Inline> = Vec::with_capacity(nodes.len());
    for node in nodes {
        let inline = match node {
            Node::Inline(inline) => inline,
            Node::Delim(d) => Inline::Text((d.ch as char).to_string().repeat(d.count)),
            Node::Bracket { image, .. } => Inline::Text(if image { "![" } else { "[" }.into()),
        };
        match (out.last_mut(), inline) {
            (Some(Inline::Text(last)), Inline::Text(text)) => last.push_str(&text),
            (_, Inline::Text(text)) if text.is_empty() => {}
            (_, inline) => out.push(inline),
        }
    }
    out
}

/// Links inside a link's text keep only their text.
fn unlink(inlines: Vec<Inline>) -> Vec<Inline> {
    let mut out = Vec::with_capacity(inlines.len());
    for inline in inlines {
        match inline {
            Inline::Link { children, .. } => out.extend(unlink(children)),
            other => out.push(other),
        }
    }
    out
}

/// Bare URLs in text become links (GFM's extended autolinks), outside links and code.
fn linkify(inlines: Vec<Inline>) -> Vec<Inline> {
    let mut out = Vec::with_capacity(inlines.len());
    for inline in inlines {
        match inline {
            Inline::Text(text) => linkify_text(&text, &mut out),
            Inline::Emph(c) => out.push(Inline::Emph(linkify(c))),
            Inline::Strong(c) => out.push(Inline::Strong(linkify(c))),
            Inline::Strike(c) => out.push(Inline::Strike(linkify(c))),
            other => out.push(other),
        }
    }
    out
}

fn linkify_text(text: &str, out: &mut Vec<Inline>) {
    let mut last = 0;
    let mut i = 0;
    while i < text.len() {
        let at_boundary = text[..i]
            .chars()
            .next_back()
            .is_none_or(|c| c.is_whitespace() || matches!(c, '(' | '*' | '_' | '~' | '"' | '\''));
        let url = if at_boundary {
            bare_url(&text[i..])
        } else {
            None
        };
        match url {
            Some(url) => {
                if i > last {
                    out.push(Inline::Text(text[last..i].to_owned()));
                }
                let mut href = String::new();
                if url.starts_with(['w', 'W']) {
                    href.push_str("http://");
                }
                href.push_str(url);
                out.push(Inline::Link {
                    href,
                    children: vec![Inline::Text(url.to_owned())],
                });
                i += url.len();
                last = i;
            }
            None => i += text[i..].chars().next().map_or(1, char::len_utf8),
        }
    }
    if last < text.len() {
        out.push(Inline::Text(text[last..].to_owned()));
    }
}

/// The URL that `s` starts with, without the punctuation that ends the sentence around it.
fn bare_url(s: &str) -> Option<&str> {
    let head: Vec<u8> = s.bytes().take(8).map(|b| b.to_ascii_lowercase()).collect();
    let prefix = ["https://", "http://", "www."]
        .into_iter()
        .find(|p| head.starts_with(p.as_bytes()))?;
    let end = s
        .find(|c: char| c.is_whitespace() || c == '<')
        .unwrap_or(s.len());
    let mut url = &s[..end];
    loop {
        let trimmed = url.trim_end_matches(['?', '!', '.', ',', ':', '*', '_', '~', '\'', '"']);
        let unbalanced =
            trimmed.ends_with(')') && trimmed.matches(')').count() > trimmed.matches('(').count();
        let trimmed = if unbalanced {
            &trimmed[..trimmed.len() - 1]
        } else {
            trimmed
        };
        if trimmed.len() == url.len() {
            break;
        }
        url = trimmed;
    }
    // Trailing punctuation may have eaten into the prefix itself ("www." is all prefix).
    let host = url.get(prefix.len()..).unwrap_or_default();
    let valid = !host.is_empty()
        && (prefix != "www." || host.contains('.'))
        && !url.chars().any(char::is_control);
    valid.then_some(url)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::markdown::tests::inline_html;

    fn check(text: &str, want: &str) {
        let mut got = String::new();
        inline_html(&parse(text), &mut got);
        assert_eq!(got, want, "inline: {text:?}");
    }

    /// Found by the `markdown` fuzz target: a bare `www.` whose trailing dot is trimmed left a
    /// URL shorter than its prefix, and slicing past it panicked (a trap in the browser).
    #[test]
    fn fuzz_bare_www_shorter_than_its_prefix() {
        check("www.", "www.");
        check("a www.. b", "a www.. b");
        check("(www.)", "(www.)");
    }

    #[test]
    fn delimiter_edge_cases() {
        check("**a**b", "<strong>a</strong>b");
        check("*a**", "<em>a</em>*");
        check("**a*", "*<em>a</em>");
        check("*(a)*", "<em>(a)</em>");
        check("_a_b", "_a_b");
        check("__init__", "<strong>init</strong>");
        check(
            "~one~ ~~two~~ ~~~three~~~",
            "<del>one</del> <del>two</del> ~~~three~~~",
        );
        check("*a _b* c_", "<em>a _b</em> c_");
        check("**", "**");
    }

    #[test]
    fn code_spans_and_escapes() {
        check("`` `x` ``", "<code>`x`</code>");
        check("` `", "<code> </code>");
        check("`a\nb`", "<code>a b</code>");
        check("\\`not code`", "`not code`");
        check("a\\b", "a\\b");
    }

    #[test]
    fn bare_urls() {
        check(
            "(see https://a.example/x)",
            "(see <a https://a.example/x>https://a.example/x</a>)",
        );
        check("http://", "http://");
        check("www.x", "www.x");
        check("mywww.example.com", "mywww.example.com");
        check(
            "**https://a.example**",
            "<strong><a https://a.example>https://a.example</a></strong>",
        );
        check("`https://a.example`", "<code>https://a.example</code>");
    }
}
