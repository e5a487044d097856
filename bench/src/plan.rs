//! [`Plan`]: how much work each suite does, for a full run and for `--quick`.
//!
//! Both sizes run every suite at least five times, so every figure is a median with its
//! minimum and maximum; `--quick` shortens the streams and the loops so the whole bench
//! finishes within about a minute once built.

use std::time::Duration;

/// The sizes of one bench run.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    /// Whether this is the `--quick` plan.
    pub(crate) quick: bool,
    /// Runs per figure.
    pub(crate) runs: usize,
    /// Edge overhead: requests per run for the time to first event, each way.
    pub(crate) first_event_requests: usize,
    /// Edge overhead: deltas in the per-event stream.
    pub(crate) event_deltas: usize,
    /// Edge overhead: the spacing of those deltas upstream.
    pub(crate) event_gap: Duration,
    /// Edge overhead: deltas spaced [`Plan::spacing_gap`] apart, for the coalescing check.
    pub(crate) spacing_deltas: usize,
    /// Edge overhead: the spacing of the coalescing check (50 ms).
    pub(crate) spacing_gap: Duration,
    /// Concurrency: simultaneous streams per level.
    pub(crate) stream_levels: Vec<usize>,
    /// Concurrency: text events per stream.
    pub(crate) stream_events: usize,
    /// Concurrency: the spacing of those events upstream.
    pub(crate) stream_gap: Duration,
    /// Capacity: the numbers of answers held open at once, stepped up until one is refused.
    pub(crate) capacity_levels: Vec<usize>,
    /// Start-up: sequential requests per run for the per-request cost.
    pub(crate) startup_requests: usize,
    /// Widget: tokens of the long markdown answer.
    pub(crate) widget_tokens: usize,
    /// Widget: tokens in the measured window at each end of it.
    pub(crate) widget_window: usize,
    /// Widget: spacing of the tokens inside the windows (the middle comes in bursts).
    pub(crate) widget_token_gap: Duration,
    /// Widget: answers before the heap is read.
    pub(crate) heap_answers: usize,
    /// Widget: tokens per such answer.
    pub(crate) heap_answer_tokens: usize,
    /// MCP: the numbers of concurrent clients.
    pub(crate) mcp_clients: Vec<usize>,
    /// MCP: calls per client per run.
    pub(crate) mcp_calls: usize,
}

impl Plan {
    /// The full plan (`cargo xtask bench`).
    pub(crate) fn full() -> Self {
        Self {
            quick: false,
            runs: 5,
            first_event_requests: 50,
            event_deltas: 200,
            event_gap: Duration::from_millis(5),
            spacing_deltas: 20,
            spacing_gap: Duration::from_millis(50),
            stream_levels: vec![1, 100, 1000],
            stream_events: 200,
            stream_gap: Duration::from_millis(50),
            capacity_levels: vec![500, 1000, 1500, 2000, 2500],
            startup_requests: 200,
            widget_tokens: 20_000,
            widget_window: 1_000,
            widget_token_gap: Duration::from_millis(1),
            heap_answers: 50,
            heap_answer_tokens: 2_000,
            mcp_clients: vec![1, 50],
            mcp_calls: 100,
        }
    }

    /// The everyday plan (`cargo xtask bench --quick`).
    pub(crate) fn quick() -> Self {
        Self {
            quick: true,
            first_event_requests: 10,
            event_deltas: 50,
            spacing_deltas: 5,
            stream_events: 10,
            capacity_levels: vec![1000, 2000, 2500],
            startup_requests: 50,
            widget_tokens: 2_000,
            widget_window: 500,
            heap_answers: 50,
            heap_answer_tokens: 200,
            mcp_calls: 10,
            ..Self::full()
        }
    }
}
