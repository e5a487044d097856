//! Pretty-printing JSON text for tool cards, without parsing its numbers.
//!
//! Tool arguments and results are JSON text that the widget only shows. [`pretty`] re-indents
//! it with two spaces while checking that it is one complete JSON value; numbers, strings and
//! escapes are copied as written, so `12345678901234567890` is never rounded (as it would be
//! through `JSON.parse`). Anything that is not complete JSON (arguments still streaming, plain
//! text output) gives `None`, and the card shows the text as it came.

/// Deepest nesting that is pretty-printed; deeper text is shown as it came.
const MAX_DEPTH: usize = 64;

/// `text` re-indented, or `None` when it is not one complete JSON value.
pub(crate) fn pretty(text: &str) -> Option<String> {
    let mut printer = Printer {
        bytes: text.as_bytes(),
        at: 0,
        out: String::with_capacity(text.len() + text.len() / 4),
    };
    printer.value(0)?;
    printer.skip_space();
    (printer.at == printer.bytes.len()).then_some(printer.out)
}

struct Printer<'a> {
    bytes: &'a [u8],
    at: usize,
    out: String,
}

impl Printer<'_> {
    fn skip_space(&mut self) {
        while self
            .bytes
            .get(self.at)
            .is_some_and(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
        {
            self.at += 1;
        }
    }

    fn peek(&mut self) -> Option<u8> {
        self.skip_space();
        self.bytes.get(self.at).copied()
    }

    fn newline(&mut self, depth: usize) {
        self.out.push('\n');
        for _ in 0..depth {
            self.out.push_str("  ");
        }
    }

    fn value(&mut self, depth: usize) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        match self.peek()? {
            b'{' => self.container(depth, b'}', true),
            b'[' => self.container(depth, b']', false),
            b'"' => self.string(),
            _ => self.literal(),
        }
    }

    fn container(&mut self, depth: usize, close: u8, keyed: bool) -> Option<()> {
        self.out.push(self.bytes[self.at] as char);
        self.at += 1;
        if self.peek()? == close {
            self.at += 1;
            self.out.push(close as char);
            return Some(());
        }
        loop {
            self.newline(depth + 1);
            if keyed {
                if self.peek()? != b'"' {
                    return None;
                }
                self.string()?;
                if self.peek()? != b':' {
                    return None;
                }
                self.at += 1;
                self.out.push_str(": ");
            }
            self.value(depth + 1)?;
            match self.peek()? {
                b',' => {
                    self.at += 1;
                    self.out.push(',');
                }
                b if b == close => {
                    self.at += 1;
                    self.newline(depth);
                    self.out.push(close as char);
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    fn string(&mut self) -> Option<()> {
        let start = self.at;
        self.at += 1;
        loop {
            match self.bytes.get(self.at)? {
                b'\\' => self.at += 2,
                b'"' => break,
                b if *b < 0x20 => return None,
                _ => self.at += 1,
            }
        }
        self.at += 1;
        // Both ends are ASCII quotes, so the slice is whole UTF-8.
        self.out
            .push_str(std::str::from_utf8(&self.bytes[start..self.at]).ok()?);
        Some(())
    }

    fn literal(&mut self) -> Option<()> {
        let start = self.at;
        while self
            .bytes
            .get(self.at)
            .is_some_and(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'+' | b'-'))
        {
            self.at += 1;
        }
        let word = std::str::from_utf8(&self.bytes[start..self.at]).ok()?;
        if !(is_number(word) || matches!(word, "true" | "false" | "null")) {
            return None;
        }
        self.out.push_str(word);
        Some(())
    }
}

/// JSON's number grammar: `-? int frac? exp?` (checked without converting, so no float code
/// ends up in the bundle).
fn is_number(word: &str) -> bool {
    fn digits(s: &[u8]) -> usize {
        s.iter().take_while(|b| b.is_ascii_digit()).count()
    }
    let s = word.as_bytes();
    let mut at = usize::from(s.first() == Some(&b'-'));
    let int = digits(&s[at..]);
    if int == 0 || (int > 1 && s[at] == b'0') {
        return false;
    }
    at += int;
    if s.get(at) == Some(&b'.') {
        let frac = digits(&s[at + 1..]);
        if frac == 0 {
            return false;
        }
        at += 1 + frac;
    }
    if matches!(s.get(at), Some(b'e' | b'E')) {
        at += 1;
        if matches!(s.get(at), Some(b'+' | b'-')) {
            at += 1;
        }
        let exp = digits(&s[at..]);
        if exp == 0 {
            return false;
        }
        at += exp;
    }
    at == s.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str, want: Option<&str>) {
        assert_eq!(pretty(text).as_deref(), want, "{text:?}");
    }

    #[test]
    fn objects_and_arrays_are_indented() {
        check(
            r#"{"query":"SELECT 1","limit":10,"flags":[true,false,null],"empty":{},"none":[]}"#,
            Some(
                "{\n  \"query\": \"SELECT 1\",\n  \"limit\": 10,\n  \"flags\": [\n    true,\n    false,\n    null\n  ],\n  \"empty\": {},\n  \"none\": []\n}",
            ),
        );
        check(" [ 1 , -2.5e3 ] ", Some("[\n  1,\n  -2.5e3\n]"));
        check("\"just a string\"", Some("\"just a string\""));
    }

    #[test]
    fn text_is_copied_as_written() {
        check(
            r#"{"big":12345678901234567890,"s":"a \"quoted\" \\ \u00e9 é"}"#,
            Some(
                "{\n  \"big\": 12345678901234567890,\n  \"s\": \"a \\\"quoted\\\" \\\\ \\u00e9 é\"\n}",
            ),
        );
    }

    #[test]
    fn incomplete_or_invalid_json_is_refused() {
        for text in [
            "",
            "{\"query\":",
            "{\"a\":1,}",
            "[1 2]",
            "{a:1}",
            "plain text output",
            "{\"a\":1} trailing",
            "\"unterminated",
            "[tru]",
            "[01]",
            "[1.]",
            "[1e]",
            "[.5]",
            "[+1]",
            "\"raw\nnewline\"",
        ] {
            check(text, None);
        }
        let deep = format!("{}{}", "[".repeat(100), "]".repeat(100));
        check(&deep, None);
    }
}
