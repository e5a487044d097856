//! What one answer cost and how long it took: the optional `usage` of the `done` event.
//!
//! Token counts come from the provider and are untrusted: the edge reads them with
//! [`Usage::count`] (a non-negative integer, capped at [`Usage::MAX`], anything else 0) and adds
//! them with [`Usage::add`] (saturating at the cap), so no number from upstream can break the
//! stream or the widget's arithmetic. Timings are the edge's own, in milliseconds.

use serde::{Deserialize, Serialize};

/// Token usage (summed over an answer's model rounds) and the edge's timings.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Usage {
    /// Input (prompt) tokens.
    pub input_tokens: u64,
    /// Output (completion) tokens, reasoning included.
    pub output_tokens: u64,
    /// Of the output, reasoning tokens.
    pub reasoning_tokens: u64,
    /// Of the input, tokens read from the provider's cache.
    pub cached_tokens: u64,
    /// From the edge accepting the request to the first text or reasoning; none without any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_token_ms: Option<u64>,
    /// From the edge accepting the request to the end of the answer.
    pub total_ms: u64,
    /// Time during which at least one tool call was running.
    pub tool_ms: u64,
}

impl Usage {
    /// The largest count or time accepted (exact in a JavaScript number).
    pub const MAX: u64 = 1_000_000_000_000;

    /// An example with every field set (the counts of the Responses API's documented usage
    /// block), for tests on both ends of the wire.
    pub const EXAMPLE: Usage = Usage {
        input_tokens: 1200,
        output_tokens: 300,
        reasoning_tokens: 128,
        cached_tokens: 1024,
        first_token_ms: Some(80),
        total_ms: 900,
        tool_ms: 400,
    };

    /// An untrusted count: a non-negative integer up to [`Self::MAX`] (larger ones are capped);
    /// a negative, fractional, non-numeric or missing value is 0.
    pub fn count(value: Option<u64>) -> u64 {
        value.unwrap_or(0).min(Self::MAX)
    }

    /// Adds `other`'s token counts to these (saturating at [`Self::MAX`]); timings are kept.
    pub fn add(&mut self, other: &Usage) {
        let add = |a: u64, b: u64| a.saturating_add(b).min(Self::MAX);
        self.input_tokens = add(self.input_tokens, other.input_tokens);
        self.output_tokens = add(self.output_tokens, other.output_tokens);
        self.reasoning_tokens = add(self.reasoning_tokens, other.reasoning_tokens);
        self.cached_tokens = add(self.cached_tokens, other.cached_tokens);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_capped_and_sums_saturate() {
        assert_eq!(Usage::count(None), 0);
        assert_eq!(Usage::count(Some(u64::MAX)), Usage::MAX);
        let mut a = Usage {
            input_tokens: Usage::MAX,
            output_tokens: 3,
            ..Usage::default()
        };
        a.add(&Usage {
            input_tokens: 5,
            output_tokens: 4,
            cached_tokens: 2,
            ..Usage::default()
        });
        assert_eq!(
            (a.input_tokens, a.output_tokens, a.cached_tokens),
            (Usage::MAX, 7, 2)
        );
    }
}
