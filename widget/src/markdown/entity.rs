//! Character references: `&amp;`, `&#65;`, `&#x1F600;` and the named ones chat text uses.
//!
//! Decoding is safe here because the result only ever becomes text: `&lt;script&gt;` shows as
//! `<script>`, it never becomes an element. Numeric references to NUL or to no character at all
//! decode to U+FFFD, as CommonMark says. The named table is a small subset of HTML's 2,000
//! names; an unknown name stays as written.

/// The character `&name;` stands for, when it is one this module knows.
pub(crate) fn decode_entity(name: &str) -> Option<char> {
    if let Some(number) = name.strip_prefix('#') {
        let value = match number.strip_prefix(['x', 'X']) {
            Some(hex) if (1..=6).contains(&hex.len()) => u32::from_str_radix(hex, 16).ok()?,
            None if (1..=7).contains(&number.len())
                && number.bytes().all(|b| b.is_ascii_digit()) =>
            {
                number.parse().ok()?
            }
            _ => return None,
        };
        return Some(
            char::from_u32(value)
                .filter(|c| *c != '\0')
                .unwrap_or('\u{FFFD}'),
        );
    }
    ENTITIES.iter().find(|(n, _)| *n == name).map(|(_, c)| *c)
}

/// The named entities worth knowing in chat text; others stay as written.
const ENTITIES: &[(&str, char)] = &[
    ("amp", '&'),
    ("lt", '<'),
    ("gt", '>'),
    ("quot", '"'),
    ("apos", '\''),
    ("nbsp", '\u{A0}'),
    ("copy", '©'),
    ("reg", '®'),
    ("trade", '™'),
    ("hellip", '…'),
    ("mdash", '—'),
    ("ndash", '–'),
    ("lsquo", '‘'),
    ("rsquo", '’'),
    ("ldquo", '“'),
    ("rdquo", '”'),
    ("laquo", '«'),
    ("raquo", '»'),
    ("bull", '•'),
    ("middot", '·'),
    ("times", '×'),
    ("divide", '÷'),
    ("deg", '°'),
    ("plusmn", '±'),
    ("euro", '€'),
    ("pound", '£'),
    ("yen", '¥'),
    ("cent", '¢'),
    ("sect", '§'),
    ("para", '¶'),
    ("larr", '←'),
    ("rarr", '→'),
    ("uarr", '↑'),
    ("darr", '↓'),
    ("le", '≤'),
    ("ge", '≥'),
    ("ne", '≠'),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_decode() {
        for (name, want) in [
            ("amp", Some('&')),
            ("hellip", Some('…')),
            ("#65", Some('A')),
            ("#x1F600", Some('😀')),
            ("#X41", Some('A')),
            ("#0", Some('\u{FFFD}')),
            ("#xD800", Some('\u{FFFD}')),
            ("#12345678", None),
            ("#x", None),
            ("bogus", None),
        ] {
            assert_eq!(decode_entity(name), want, "{name}");
        }
    }
}
