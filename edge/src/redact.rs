//! Scrubbing secrets out of everything the edge passes on: the caller's TE, the provider's API
//! key and the tokens of local MCP servers ([`Secrets`]).
//!
//! Text that arrives whole (a tool result, an error message) is scrubbed with
//! [`Secrets::redact`]. Text that arrives in fragments (answer and reasoning deltas, tool-call
//! arguments) goes through a [`Scrubber`], which works on the joined stream: a secret split
//! across any number of fragments is still replaced. To do that it holds back the tail of the
//! text that could be the start of a secret (at most the longest secret's length minus one
//! byte) and releases it with the next fragment or at [`Scrubber::finish`]. Log lines go
//! through [`Secrets::for_log`], which also escapes control characters, so text from an
//! upstream cannot forge or split a log line.

use crate::config::Config;
use crate::incoming::auth::BearerToken;

/// What a secret is replaced with.
pub const REDACTED: &str = "[redacted]";

/// Secrets shorter than this are not scrubbed (they would match ordinary text).
const MIN_SECRET_BYTES: usize = 4;

/// The secrets of one request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Secrets {
    /// Longest first, so the longest match wins where one secret begins another.
    list: Vec<String>,
}

impl Secrets {
    /// These secrets (short and empty ones are dropped).
    pub fn new<S: Into<String>>(secrets: impl IntoIterator<Item = S>) -> Self {
        let mut list: Vec<String> = secrets
            .into_iter()
            .map(Into::into)
            .filter(|s| s.len() >= MIN_SECRET_BYTES)
            .collect();
        list.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        list.dedup();
        Self { list }
    }

    /// The secrets, longest first.
    pub fn as_slice(&self) -> &[String] {
        &self.list
    }

    /// `text` with every secret replaced by [`REDACTED`].
    pub fn redact(&self, text: &str) -> String {
        let mut scrubber = self.scrubber();
        let mut res = scrubber.push(text);
        res.push_str(&scrubber.finish());
        res
    }

    /// True when `text` contains a secret.
    pub fn found_in(&self, text: &str) -> bool {
        self.list.iter().any(|s| text.contains(s.as_str()))
    }

    /// A scrubber for one stream of fragments.
    pub fn scrubber(&self) -> Scrubber {
        Scrubber {
            secrets: self.clone(),
            held: String::new(),
        }
    }

    /// `text` made safe for one log line: secrets replaced, control characters escaped.
    pub fn for_log(&self, text: &str) -> String {
        escape_controls(&self.redact(text))
    }

    fn longest(&self) -> usize {
        self.list.first().map_or(0, String::len)
    }
}

/// Scrubs one stream of fragments (see the module docs).
#[derive(Debug, Clone, Default)]
pub struct Scrubber {
    secrets: Secrets,
    held: String,
}

impl Scrubber {
    /// Takes the next fragment; returns the text that is safe to pass on now.
    pub fn push(&mut self, fragment: &str) -> String {
        let mut text = std::mem::take(&mut self.held);
        text.push_str(fragment);
        let (res, held_from) = self.scan(&text, false);
        self.held = text[held_from..].to_owned();
        res
    }

    /// True when no text is held back.
    pub fn holds_nothing(&self) -> bool {
        self.held.is_empty()
    }

    /// The stream ended: the rest that was held back.
    pub fn finish(&mut self) -> String {
        let text = std::mem::take(&mut self.held);
        self.scan(&text, true).0
    }

    /// The scrubbed text up to where a secret might still begin, and that position.
    fn scan(&self, text: &str, at_end: bool) -> (String, usize) {
        let secrets = &self.secrets.list;
        if secrets.is_empty() {
            return (text.to_owned(), text.len());
        }
        let longest = self.secrets.longest();
        let mut res = String::with_capacity(text.len());
        let mut copied = 0;
        let mut at = 0;
        while at < text.len() {
            let rest = &text[at..];
            // A longer secret may still complete with the next fragment: hold from here.
            if !at_end
                && rest.len() < longest
                && secrets
                    .iter()
                    .any(|s| s.len() > rest.len() && s.starts_with(rest))
            {
                break;
            }
            if let Some(secret) = secrets.iter().find(|s| rest.starts_with(s.as_str())) {
                res.push_str(&text[copied..at]);
                res.push_str(REDACTED);
                at += secret.len();
                copied = at;
                continue;
            }
            at += rest.chars().next().map_or(1, char::len_utf8);
        }
        res.push_str(&text[copied..at]);
        (res, at)
    }
}

/// Control characters (newlines, escapes, NUL, ...) written as Rust escapes (`\n`, `\u{1b}`).
pub fn escape_controls(text: &str) -> String {
    let mut res = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() {
            res.extend(c.escape_default());
        } else {
            res.push(c);
        }
    }
    res
}

/// The secrets of a request, to scrub from any provider text passed on: the caller's token,
/// the API key and the tokens of local MCP servers.
pub fn secrets(config: &Config, token: Option<&BearerToken>) -> Vec<String> {
    let mut secrets: Vec<String> = token.iter().map(|t| t.secret().to_owned()).collect();
    secrets.extend(config.api_key.iter().map(|k| k.secret().to_owned()));
    secrets.extend(
        config
            .tools
            .local_servers
            .iter()
            .filter_map(|s| s.token.clone()),
    );
    secrets
}

/// Replaces every secret in `text` with `[redacted]`.
pub fn redact(text: &str, secrets: &[&str]) -> String {
    Secrets::new(secrets.iter().copied()).redact(text)
}

#[cfg(test)]
pub(crate) mod tests;
