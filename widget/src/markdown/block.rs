//! Lines into blocks: the block structure of the GFM subset, with where each block starts.
//!
//! The parser reads top to bottom and decides each line from that line and the block that is
//! open (plus, for a table, the delimiter row under its header). What a line starts never
//! depends on what came before it, so parsing again from the first line of any top-level block
//! gives the same blocks: that is what lets [`crate::markdown::Stream`] settle blocks early.
//! Leniencies, chosen for model output: bullets `-`, `*`, `+` mix in one list; a line indented
//! by two spaces with a list marker nests under any item; there are no indented code blocks, no
//! setext headings and no HTML blocks (HTML is text).

use crate::markdown::inline;
use crate::markdown::{Align, Block};

/// Parses `text` into top-level blocks, each with the index of its first line.
pub(crate) fn parse(text: &str) -> Vec<(Block, usize)> {
    let mut lines: Vec<String> = text.split('\n').map(normalize).collect();
    if text.is_empty() || text.ends_with('\n') {
        // The text after the last newline is not a line.
        lines.pop();
    }
    parse_lines(&lines)
}

/// A line with its carriage return dropped and its leading tabs turned into spaces.
fn normalize(line: &str) -> String {
    let line = line.strip_suffix('\r').unwrap_or(line);
    if !line.starts_with([' ', '\t']) || !line.contains('\t') {
        return line.to_owned();
    }
    let mut out = String::with_capacity(line.len() + 8);
    let mut rest = line;
    while let Some(c) = rest.chars().next().filter(|c| *c == ' ' || *c == '\t') {
        if c == '\t' {
            out.push_str(&"    "[out.len() % 4..]);
        } else {
            out.push(' ');
        }
        rest = &rest[1..];
    }
    out.push_str(rest);
    out
}

fn parse_lines(lines: &[String]) -> Vec<(Block, usize)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = &lines[i];
        if is_blank(line) {
            i += 1;
            continue;
        }
        let start = i;
        let block = if let Some(fence) = fence_open(line) {
            code(lines, &mut i, &fence)
        } else if let Some(heading) = heading(line) {
            i += 1;
            heading
        } else if is_rule(line) {
            i += 1;
            Block::Rule
        } else if quote_content(line).is_some() {
            quote(lines, &mut i)
        } else if let Some(marker) = list_marker(line) {
            list(lines, &mut i, marker)
        } else if let Some(align) = table_at(lines, i) {
            table(lines, &mut i, align)
        } else {
            paragraph(lines, &mut i)
        };
        out.push((block, start));
    }
    out
}

fn is_blank(line: &str) -> bool {
    line.trim().is_empty()
}

/// Leading spaces.
fn indent(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

/// Where a block may start on `line`: its indentation, at most three spaces, and the rest.
fn block_start(line: &str) -> Option<(usize, &str)> {
    let indent = indent(line);
    (indent <= 3).then(|| (indent, &line[indent..]))
}

/// The line without its first `n` columns of indentation (or all of it, when less).
fn dedent(line: &str, n: usize) -> &str {
    &line[indent(line).min(n)..]
}

/// Whether line `j`, inside a paragraph, ends it and starts another block.
fn interrupts(lines: &[String], j: usize) -> bool {
    let line = &lines[j];
    fence_open(line).is_some()
        || heading(line).is_some()
        || is_rule(line)
        || quote_content(line).is_some()
        || list_marker(line).is_some_and(|m| !m.empty && (!m.ordered || m.start == 1))
        || table_at(lines, j).is_some()
}

/// An opening code fence.
struct Fence {
    ch: char,
    len: usize,
    indent: usize,
    lang: String,
}

fn fence_open(line: &str) -> Option<Fence> {
    let (indent, rest) = block_start(line)?;
    let ch = rest.chars().next().filter(|c| *c == '`' || *c == '~')?;
    let len = rest.len() - rest.trim_start_matches(ch).len();
    let info = rest[len..].trim();
    if len < 3 || (ch == '`' && info.contains('`')) {
        return None;
    }
    let lang = info
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_owned();
    Some(Fence {
        ch,
        len,
        indent,
        lang,
    })
}

fn is_fence_close(line: &str, fence: &Fence) -> bool {
    let indent = indent(line);
    let rest = &line[indent..];
    let len = rest.len() - rest.trim_start_matches(fence.ch).len();
    indent <= 3 && len >= fence.len && rest[len..].trim().is_empty()
}

fn code(lines: &[String], i: &mut usize, fence: &Fence) -> Block {
    let mut text = String::new();
    let mut closed = false;
    *i += 1;
    while *i < lines.len() {
        let line = &lines[*i];
        *i += 1;
        if is_fence_close(line, fence) {
            closed = true;
            break;
        }
        text.push_str(dedent(line, fence.indent));
        text.push('\n');
    }
    Block::Code {
        lang: fence.lang.clone(),
        text,
        closed,
    }
}

fn heading(line: &str) -> Option<Block> {
    let (_, rest) = block_start(line)?;
    let level = rest.len() - rest.trim_start_matches('#').len();
    let after = &rest[level..];
    if !(1..=6).contains(&level) || !(after.is_empty() || after.starts_with([' ', '\t'])) {
        return None;
    }
    let mut content = after.trim();
    // An optional closing sequence: `## Title ##`.
    let without = content.trim_end_matches('#');
    if without.is_empty() || without.ends_with([' ', '\t']) {
        content = without.trim_end();
    }
    Some(Block::Heading(level as u8, inline::parse(content)))
}

fn is_rule(line: &str) -> bool {
    if indent(line) > 3 {
        return false;
    }
    let mut marks = line.chars().filter(|c| !c.is_whitespace());
    let Some(first) = marks.next().filter(|c| matches!(c, '*' | '-' | '_')) else {
        return false;
    };
    let mut n = 1;
    for c in marks {
        if c != first {
            return false;
        }
        n += 1;
    }
    n >= 3
}

fn quote_content(line: &str) -> Option<&str> {
    let indent = indent(line);
    let rest = line[indent..].strip_prefix('>')?;
    (indent <= 3).then(|| rest.strip_prefix(' ').unwrap_or(rest))
}

fn quote(lines: &[String], i: &mut usize) -> Block {
    let mut inner: Vec<String> = Vec::new();
    while *i < lines.len() {
        let line = &lines[*i];
        if let Some(content) = quote_content(line) {
            inner.push(content.to_owned());
        } else if !is_blank(line)
            && inner.last().is_some_and(|l| !is_blank(l))
            && !interrupts(lines, *i)
        {
            // A lazy continuation line of the quote's paragraph.
            inner.push(line.trim_start().to_owned());
        } else {
            break;
        }
        *i += 1;
    }
    Block::Quote(parse_lines(&inner).into_iter().map(|(b, _)| b).collect())
}

/// A list item's marker.
#[derive(Debug, Clone, Copy)]
struct Marker {
    ordered: bool,
    start: u32,
    /// The column where the item's content starts.
    content: usize,
    /// Nothing follows the marker.
    empty: bool,
}

fn list_marker(line: &str) -> Option<Marker> {
    let (before, rest) = block_start(line)?;
    let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    let (ordered, start, width) = match rest.as_bytes().first()? {
        b'-' | b'*' | b'+' => (false, 1, 1),
        _ if (1..=9).contains(&digits)
            && matches!(rest.as_bytes().get(digits), Some(b'.' | b')')) =>
        {
            (true, rest[..digits].parse().ok()?, digits + 1)
        }
        _ => return None,
    };
    let after = &rest[width..];
    if !(after.is_empty() || after.starts_with(' ')) {
        return None;
    }
    let spaces = indent(after);
    let empty = after.trim().is_empty();
    let gap = if empty || spaces > 4 { 1 } else { spaces };
    Some(Marker {
        ordered,
        start,
        content: before + width + gap,
        empty,
    })
}

fn list(lines: &[String], i: &mut usize, first: Marker) -> Block {
    let mut items = Vec::new();
    let mut tight = true;
    let mut marker = first;
    loop {
        let first_line = &lines[*i];
        let mut item: Vec<String> = vec![
            first_line
                .get(marker.content..)
                .unwrap_or_default()
                .to_owned(),
        ];
        *i += 1;
        let mut blank_before = false;
        while *i < lines.len() {
            let line = &lines[*i];
            let indent = indent(line);
            if is_blank(line) {
                item.push(String::new());
                blank_before = true;
            } else if indent >= marker.content {
                item.push(line[marker.content..].to_owned());
                blank_before = false;
            } else if indent >= 2 && list_marker(line).is_some() {
                // Leniency: a marker indented by two spaces nests under any item.
                item.push(line[indent..].to_owned());
                blank_before = false;
            } else if list_marker(line).is_some() {
                // The next item, or the start of another list.
                break;
            } else if !blank_before && !interrupts(lines, *i) {
                // A lazy continuation line of the item's paragraph.
                item.push(line.trim_start().to_owned());
            } else {
                break;
            }
            *i += 1;
        }
        // Trailing blank lines separate items; they are not the item's.
        let mut n_blank = 0;
        while item.len() > 1 && item.last().is_some_and(|l| is_blank(l)) {
            item.pop();
            n_blank += 1;
        }
        let blocks = parse_lines(&item);
        let gap_inside = blocks
            .iter()
            .skip(1)
            .any(|(_, start)| *start > 0 && is_blank(&item[start - 1]));
        if gap_inside {
            tight = false;
        }
        items.push(blocks.into_iter().map(|(b, _)| b).collect());
        let next = (*i < lines.len())
            .then(|| list_marker(&lines[*i]))
            .flatten()
            .filter(|m| m.ordered == first.ordered);
        match next {
            Some(next) => {
                if n_blank > 0 {
                    tight = false;
                }
                marker = next;
            }
            None => {
                // The blank lines after the list are nobody's: give them back.
                *i -= n_blank;
                break;
            }
        }
    }
    Block::List {
        ordered: first.ordered,
        start: first.start,
        tight,
        items,
    }
}

/// When line `j` is a table header with its delimiter row under it: the columns' alignment.
fn table_at(lines: &[String], j: usize) -> Option<Vec<Align>> {
    let header = &lines[j];
    let delimiter = lines.get(j + 1)?;
    if !header.contains('|') || indent(header) > 3 || indent(delimiter) > 3 {
        return None;
    }
    let align: Vec<Align> = split_row(delimiter)
        .iter()
        .map(|cell| {
            let dashes = cell.trim_start_matches(':').trim_end_matches(':');
            if dashes.is_empty() || !dashes.bytes().all(|b| b == b'-') {
                return None;
            }
            Some(match (cell.starts_with(':'), cell.ends_with(':')) {
                (true, true) => Align::Center,
                (true, false) => Align::Left,
                (false, true) => Align::Right,
                (false, false) => Align::None,
            })
        })
        .collect::<Option<_>>()?;
    (delimiter.contains('|') && split_row(header).len() == align.len()).then_some(align)
}

fn table(lines: &[String], i: &mut usize, align: Vec<Align>) -> Block {
    let cells = |line: &str| {
        let mut cells: Vec<_> = split_row(line)
            .iter()
            .map(|cell| inline::parse(cell))
            .collect();
        cells.resize(align.len(), Vec::new());
        cells
    };
    let head = cells(&lines[*i]);
    *i += 2;
    let mut rows = Vec::new();
    while *i < lines.len() {
        let line = &lines[*i];
        if is_blank(line) || !line.contains('|') || interrupts(lines, *i) {
            break;
        }
        rows.push(cells(line));
        *i += 1;
    }
    Block::Table { align, head, rows }
}

/// A table row's cells: outer pipes dropped, split on unescaped pipes, `\|` made a pipe.
fn split_row(line: &str) -> Vec<String> {
    let line = line.trim();
    let line = line.strip_prefix('|').unwrap_or(line);
    let line = match line.strip_suffix('|') {
        Some(rest) if !rest.ends_with('\\') => rest,
        _ => line,
    };
    let mut cells = Vec::new();
    let mut cell = String::new();
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('|') => cell.push('|'),
                Some(other) => {
                    cell.push('\\');
                    cell.push(other);
                }
                None => cell.push('\\'),
            },
            '|' => cells.push(std::mem::take(&mut cell).trim().to_owned()),
            _ => cell.push(c),
        }
    }
    cells.push(cell.trim().to_owned());
    cells
}

fn paragraph(lines: &[String], i: &mut usize) -> Block {
    let mut text = String::new();
    let start = *i;
    while *i < lines.len() {
        let line = &lines[*i];
        if is_blank(line) || (*i > start && interrupts(lines, *i)) {
            break;
        }
        if *i > start {
            text.push('\n');
        }
        text.push_str(line.trim_start());
        *i += 1;
    }
    Block::Paragraph(inline::parse(text.trim_end()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tabs_indent_like_four_columns() {
        assert_eq!(normalize("\tx"), "    x");
        assert_eq!(normalize("  \tx\ty"), "    x\ty");
        assert_eq!(normalize("a\tb\r"), "a\tb");
    }

    #[test]
    fn blocks_start_where_their_first_line_is() {
        let starts: Vec<usize> = parse("a\n\n# h\n- x\n- y\n\n```\nc\n```\nz\n")
            .into_iter()
            .map(|(_, start)| start)
            .collect();
        assert_eq!(starts, vec![0, 2, 3, 6, 9]);
    }

    #[test]
    fn rows_split_on_unescaped_pipes() {
        assert_eq!(split_row("| a | b\\|c | `d` |"), vec!["a", "b|c", "`d`"]);
        assert_eq!(split_row("a|b"), vec!["a", "b"]);
        assert_eq!(split_row("| a \\|"), vec!["a |"]);
    }
}
