//! The providers' usage blocks read into [`Usage`]: Responses' `response.usage` and Chat
//! Completions' `usage` chunk. The numbers are untrusted: anything but a non-negative integer
//! reads as 0, and counts are capped (see [`Usage::count`]).

use protocol::Usage;
use serde_json::Value;

fn count(block: &Value, path: &[&str]) -> u64 {
    let mut value = block;
    for key in path {
        value = &value[*key];
    }
    Usage::count(value.as_u64())
}

/// `response.usage` of a Responses `response.completed` event (none when absent or not an object).
pub fn responses(event: &Value) -> Option<Usage> {
    let block = event.get("response")?.get("usage")?;
    block.is_object().then(|| Usage {
        input_tokens: count(block, &["input_tokens"]),
        output_tokens: count(block, &["output_tokens"]),
        reasoning_tokens: count(block, &["output_tokens_details", "reasoning_tokens"]),
        cached_tokens: count(block, &["input_tokens_details", "cached_tokens"]),
        ..Usage::default()
    })
}

/// The `usage` of a Chat Completions chunk (none when absent or null).
pub fn chat_completions(chunk: &Value) -> Option<Usage> {
    let block = chunk.get("usage")?;
    block.is_object().then(|| Usage {
        input_tokens: count(block, &["prompt_tokens"]),
        output_tokens: count(block, &["completion_tokens"]),
        reasoning_tokens: count(block, &["completion_tokens_details", "reasoning_tokens"]),
        cached_tokens: count(block, &["prompt_tokens_details", "cached_tokens"]),
        ..Usage::default()
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn documented_blocks_are_read() {
        let completed = json!({"type":"response.completed","response":{"id":"r","usage":
            {"input_tokens":1200,"input_tokens_details":{"cached_tokens":1024,"cache_write_tokens":0},
             "output_tokens":300,"output_tokens_details":{"reasoning_tokens":128},"total_tokens":1500}}});
        let u = responses(&completed).unwrap();
        assert_eq!(
            (
                u.input_tokens,
                u.output_tokens,
                u.reasoning_tokens,
                u.cached_tokens
            ),
            (1200, 300, 128, 1024)
        );
        let chunk = json!({"choices":[],"usage":{"prompt_tokens":20,"completion_tokens":35,
            "total_tokens":55,"prompt_tokens_details":{"cached_tokens":4},
            "completion_tokens_details":{"reasoning_tokens":null}}});
        let u = chat_completions(&chunk).unwrap();
        assert_eq!(
            (
                u.input_tokens,
                u.output_tokens,
                u.reasoning_tokens,
                u.cached_tokens
            ),
            (20, 35, 0, 4)
        );
        assert_eq!(chat_completions(&json!({"choices":[],"usage":null})), None);
        assert_eq!(responses(&json!({"response":{"id":"r"}})), None);
        assert_eq!(responses(&json!({"response":{"usage":"lots"}})), None);
        assert_eq!(chat_completions(&json!({"usage":[1, 2]})), None);
    }

    #[test]
    fn hostile_numbers_read_as_zero_or_the_cap() {
        let chunk = json!({"usage":{"prompt_tokens":-5,"completion_tokens":1.5,
            "prompt_tokens_details":{"cached_tokens":"9"},
            "completion_tokens_details":{"reasoning_tokens":18446744073709551615u64}}});
        let u = chat_completions(&chunk).unwrap();
        assert_eq!(
            (
                u.input_tokens,
                u.output_tokens,
                u.cached_tokens,
                u.reasoning_tokens
            ),
            (0, 0, 0, Usage::MAX)
        );
    }
}
