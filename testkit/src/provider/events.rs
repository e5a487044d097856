//! The Responses API stream's building blocks: the JSON of responses and output items
//! (`shared/protocols.md` §2); [`crate::frames`] writes the frames.
//!
//! The item builders give the shapes OpenAI sends, with the fields our edge reads and a few it
//! must tolerate.

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

/// A `response` object: `status` is `in_progress` or `completed`; `usage` is set once complete.
pub(crate) fn response(
    id: &str,
    model: &str,
    status: &str,
    output: &[Value],
    usage: Option<Value>,
) -> Value {
    let created_at = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    json!({
        "id": id,
        "object": "response",
        "created_at": created_at,
        "status": status,
        "model": model,
        "output": output,
        "error": null,
        "usage": usage,
    })
}

/// Token counts, roughly: one token per whitespace-separated word of `input` and `output`;
/// of the input, half (rounded down) read from the cache; of the output, a third reasoning.
pub(crate) fn token_counts(input: &str, output: &str) -> [usize; 4] {
    let (n_in, n_out) = (
        input.split_whitespace().count(),
        output.split_whitespace().count(),
    );
    [n_in, n_out, n_out / 3, n_in / 2]
}

/// [`token_counts`] as a Responses `response.usage` block (`shared/protocols-next.md` §7).
pub(crate) fn usage(input: &str, output: &str) -> Value {
    let [n_in, n_out, reasoning, cached] = token_counts(input, output);
    json!({"input_tokens": n_in, "input_tokens_details": {"cached_tokens": cached, "cache_write_tokens": 0},
           "output_tokens": n_out, "output_tokens_details": {"reasoning_tokens": reasoning},
           "total_tokens": n_in + n_out})
}

/// [`token_counts`] as a Chat Completions `usage` block (`shared/protocols-next.md` §8).
pub(crate) fn chat_usage(input: &str, output: &str) -> Value {
    let [n_in, n_out, reasoning, cached] = token_counts(input, output);
    json!({"prompt_tokens": n_in, "completion_tokens": n_out, "total_tokens": n_in + n_out,
           "prompt_tokens_details": {"cached_tokens": cached},
           "completion_tokens_details": {"reasoning_tokens": reasoning}})
}

/// An MCP tool (`inputSchema`, camel case) as a Responses `mcp_list_tools` entry
/// (`input_schema`).
pub(crate) fn listed_tool(mcp_tool: &Value) -> Value {
    json!({
        "name": mcp_tool["name"],
        "description": mcp_tool["description"],
        "input_schema": mcp_tool["inputSchema"],
        "annotations": mcp_tool["annotations"],
    })
}

/// An `output_text` content part.
pub(crate) fn output_text(text: &str) -> Value {
    json!({"type": "output_text", "text": text, "annotations": []})
}

/// `text` split into pieces of `size` characters (the last may be shorter); never splits a
/// character, and gives no piece for an empty text.
pub(crate) fn chunks(text: &str, size: usize) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    chars
        .chunks(size.max(1))
        .map(|piece| piece.iter().collect())
        .collect()
}

/// `text` split into about `n` pieces (at least one character each).
pub(crate) fn fragments(text: &str, n: usize) -> Vec<String> {
    let n_chars = text.chars().count();
    chunks(text, n_chars.div_ceil(n.max(1)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_respect_characters() {
        assert_eq!(chunks("abcdef", 4), ["abcd", "ef"]);
        assert_eq!(chunks("Grüße 東京", 3), ["Grü", "ße ", "東京"]);
        assert!(chunks("", 12).is_empty());
        assert_eq!(chunks("ab", 0), ["a", "b"]);
    }

    #[test]
    fn fragments_give_about_n_pieces() {
        assert_eq!(fragments("{}", 4), ["{", "}"]);
        assert_eq!(fragments("abcdefgh", 4), ["ab", "cd", "ef", "gh"]);
        assert_eq!(fragments("abcdefghi", 4).concat(), "abcdefghi");
        assert_eq!(fragments("abcdefghi", 4).len(), 3);
    }

    #[test]
    fn listed_tool_renames_the_schema() {
        let tool = json!({"name": "q", "description": "d", "inputSchema": {"type": "object"}});
        assert_eq!(
            listed_tool(&tool),
            json!({"name": "q", "description": "d", "input_schema": {"type": "object"}, "annotations": null})
        );
    }
}
