//! Tests of the scrubber: cases on data, then properties over every split position and random
//! fragment counts (a small deterministic generator, many seeds).

use super::*;

const TE: &str = "pom_mat_9f8e7d6c5b4a";
const KEY: &str = "sk-test-abcdef123456";
const LOCAL: &str = "ti_local_token_42";

fn secrets() -> Secrets {
    Secrets::new([TE, KEY, LOCAL])
}

/// xorshift64*: deterministic, good enough to pick cases.
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// `text` cut into fragments at `cuts` (byte offsets on char boundaries), scrubbed as a stream.
fn stream(secrets: &Secrets, text: &str, cuts: &[usize]) -> String {
    let mut scrubber = secrets.scrubber();
    let mut res = String::new();
    let mut from = 0;
    for &cut in cuts {
        res.push_str(&scrubber.push(&text[from..cut]));
        from = cut;
    }
    res.push_str(&scrubber.push(&text[from..]));
    res.push_str(&scrubber.finish());
    res
}

#[test]
fn whole_text_is_redacted() {
    let s = secrets();
    assert_eq!(
        s.redact(&format!("a {TE} b {KEY}{LOCAL}")),
        "a [redacted] b [redacted][redacted]"
    );
    assert_eq!(s.redact("nothing here"), "nothing here");
    assert_eq!(
        Secrets::new(["abc"]).redact("abc"),
        "abc",
        "too short to scrub"
    );
    assert_eq!(Secrets::default().redact("x"), "x");
}

#[test]
fn the_longest_secret_wins_where_one_begins_another() {
    let s = Secrets::new(["abcd", "abcdefgh"]);
    for cuts in [&[][..], &[5], &[2, 6], &[4]] {
        assert_eq!(
            stream(&s, "xabcdefghy abcdz", cuts),
            "x[redacted]y [redacted]z",
            "{cuts:?}"
        );
    }
}

#[test]
fn held_back_text_is_at_most_the_longest_secret_minus_one() {
    let s = secrets();
    let mut scrubber = s.scrubber();
    let out = scrubber.push("hello pom_mat_9f8e");
    assert_eq!(out, "hello ");
    assert!(scrubber.held.len() < TE.len());
    assert_eq!(scrubber.push("zz"), "pom_mat_9f8ezz");
    // Text that cannot begin a secret is never held; a tail that can is.
    assert_eq!(scrubber.push("plain word."), "plain word.");
    assert_eq!(scrubber.push("plain words"), "plain word");
    assert_eq!(scrubber.push("."), "s.");
    assert_eq!(scrubber.finish(), "");
    // A prefix left at the end is released as it is.
    assert_eq!(stream(&s, "ends with sk-te", &[]), "ends with sk-te");
}

#[test]
fn every_secret_split_at_every_position_never_passes() {
    let s = secrets();
    for secret in [TE, KEY, LOCAL] {
        let text = format!("Your token is {secret}, and é🚀 {secret}.");
        for cut in 1..text.len() {
            if !text.is_char_boundary(cut) {
                continue;
            }
            let out = stream(&s, &text, &[cut]);
            assert!(!out.contains(secret), "cut at {cut}: {out}");
            assert_eq!(
                out, "Your token is [redacted], and é🚀 [redacted].",
                "cut at {cut}"
            );
        }
    }
}

#[test]
fn random_fragment_counts_never_let_a_secret_pass() {
    let s = secrets();
    let words = [
        "the ", "é", "🚀", "pom_", "sk-", "ti_", "\n", "mat_", TE, KEY, LOCAL,
    ];
    for seed in 1..2000u64 {
        let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let text: String = (0..rng.below(20))
            .map(|_| words[rng.below(words.len())])
            .collect();
        let boundaries: Vec<usize> = (1..text.len())
            .filter(|i| text.is_char_boundary(*i))
            .collect();
        let mut cuts: Vec<usize> = (0..rng.below(boundaries.len() + 1))
            .map(|_| boundaries[rng.below(boundaries.len())])
            .collect();
        cuts.sort_unstable();
        cuts.dedup();
        let out = stream(&s, &text, &cuts);
        for secret in s.as_slice() {
            assert!(!out.contains(secret.as_str()), "seed {seed}: {out:?}");
        }
        assert_eq!(
            out,
            s.redact(&text),
            "seed {seed}: the stream and the whole text agree"
        );
    }
}

#[test]
fn log_lines_escape_control_characters() {
    let s = secrets();
    assert_eq!(
        s.for_log(&format!("bad\nedge: forged {TE}\u{1b}[31m\0")),
        "bad\\nedge: forged [redacted]\\u{1b}[31m\\u{0}"
    );
    assert_eq!(escape_controls("tab\there"), "tab\\there");
}
