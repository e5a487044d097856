//! The bounds of one answer: how many tool calls, how many bytes of tool output, arguments and
//! upstream replies, and how much time.
//!
//! Every limit has a stable error code (`protocol::ErrorCode`) for the answer it ends, so a
//! prompt injection in a tool result cannot drive an unbounded number of calls, and a hostile
//! provider or MCP server can neither exhaust the edge's memory nor hold the instance forever.
//! A value that does not parse keeps its default (a bound either way) and is reported.

/// Default: tool calls the model may ask for in one round.
pub(crate) const DEFAULT_MAX_TOOL_CALLS_PER_ROUND: u64 = 8;
/// Default: tool calls in one answer, over all rounds.
pub(crate) const DEFAULT_MAX_TOOL_CALLS: u64 = 24;
/// Default: bytes of tool output in one answer (after each result's own cut).
pub(crate) const DEFAULT_MAX_TOOL_OUTPUT_BYTES: u64 = 256 * 1024;
/// Default: bytes of one tool call's arguments.
pub(crate) const DEFAULT_MAX_TOOL_ARGUMENT_BYTES: u64 = 64 * 1024;
/// Default: bytes of one MCP reply read (the JSON body or the event stream up to the response).
pub(crate) const DEFAULT_MAX_MCP_REPLY_BYTES: u64 = 4 * 1024 * 1024;
/// Default: bytes of one line or one event of the provider's stream.
pub(crate) const DEFAULT_MAX_UPSTREAM_EVENT_BYTES: u64 = 1024 * 1024;
/// Default: the wall time of one answer (one request), in milliseconds.
pub(crate) const DEFAULT_ANSWER_TIMEOUT_MS: u64 = 600_000;

/// The bounds (keys listed in `config::KEYS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bounds {
    /// `max_tool_calls_per_round`.
    pub max_calls_per_round: usize,
    /// `max_tool_calls`.
    pub max_calls: usize,
    /// `max_tool_output_bytes`.
    pub max_output_bytes: usize,
    /// `max_tool_argument_bytes`.
    pub max_argument_bytes: usize,
    /// `max_mcp_reply_bytes`.
    pub max_reply_bytes: usize,
    /// `max_upstream_event_bytes`.
    pub max_event_bytes: usize,
    /// `answer_timeout_ms`.
    pub answer_timeout_ms: u64,
}

impl Default for Bounds {
    fn default() -> Self {
        Self::read(&|_| None, &mut Vec::new())
    }
}

impl Bounds {
    /// Reads the bound keys through `get` (trimmed; empty counts as unset).
    pub(crate) fn read(get: &dyn Fn(&str) -> Option<String>, problems: &mut Vec<String>) -> Self {
        let mut number = |name: &str, default: u64, floor: u64| {
            let value = match get(name) {
                Some(text) => text.parse().unwrap_or_else(|_| {
                    problems.push(format!("{name} is not a whole number; using {default}"));
                    default
                }),
                None => default,
            };
            value.max(floor)
        };
        let size = |n: u64| usize::try_from(n).unwrap_or(usize::MAX);
        Self {
            max_calls_per_round: size(number(
                "max_tool_calls_per_round",
                DEFAULT_MAX_TOOL_CALLS_PER_ROUND,
                0,
            )),
            max_calls: size(number("max_tool_calls", DEFAULT_MAX_TOOL_CALLS, 0)),
            max_output_bytes: size(number(
                "max_tool_output_bytes",
                DEFAULT_MAX_TOOL_OUTPUT_BYTES,
                256,
            )),
            max_argument_bytes: size(number(
                "max_tool_argument_bytes",
                DEFAULT_MAX_TOOL_ARGUMENT_BYTES,
                256,
            )),
            max_reply_bytes: size(number(
                "max_mcp_reply_bytes",
                DEFAULT_MAX_MCP_REPLY_BYTES,
                4096,
            )),
            max_event_bytes: size(number(
                "max_upstream_event_bytes",
                DEFAULT_MAX_UPSTREAM_EVENT_BYTES,
                4096,
            )),
            answer_timeout_ms: number("answer_timeout_ms", DEFAULT_ANSWER_TIMEOUT_MS, 100),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(vars: &[(&str, &str)]) -> (Bounds, Vec<String>) {
        let get = |name: &str| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        };
        let mut problems = Vec::new();
        (Bounds::read(&get, &mut problems), problems)
    }

    #[test]
    fn defaults_and_every_key() {
        let (b, problems) = read(&[]);
        assert!(problems.is_empty());
        assert_eq!(
            (b.max_calls_per_round, b.max_calls, b.answer_timeout_ms),
            (8, 24, 600_000)
        );
        let (b, problems) = read(&[
            ("max_tool_calls_per_round", "2"),
            ("max_tool_calls", "3"),
            ("max_tool_output_bytes", "5000"),
            ("max_tool_argument_bytes", "600"),
            ("max_mcp_reply_bytes", "70000"),
            ("max_upstream_event_bytes", "9000"),
            ("answer_timeout_ms", "1500"),
        ]);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(
            b,
            Bounds {
                max_calls_per_round: 2,
                max_calls: 3,
                max_output_bytes: 5000,
                max_argument_bytes: 600,
                max_reply_bytes: 70_000,
                max_event_bytes: 9000,
                answer_timeout_ms: 1500,
            }
        );
    }

    #[test]
    fn bad_values_keep_the_default_and_are_reported() {
        let (b, problems) = read(&[
            ("max_tool_calls", "lots"),
            ("max_upstream_event_bytes", "1"),
        ]);
        assert_eq!(b.max_calls, 24);
        assert_eq!(
            b.max_event_bytes, 4096,
            "a floor keeps normal streams readable"
        );
        assert_eq!(problems.len(), 1, "{problems:?}");
    }
}
