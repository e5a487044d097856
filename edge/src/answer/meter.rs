//! The usage and timings of one answer: what the edge puts in the `usage` of its `done` event.
//!
//! A [`Meter`] starts when the edge accepts the request. It watches every event sent to the
//! widget ([`Meter::observe`]): the first text or reasoning is the time to first token; the
//! time during which at least one tool call is open (started, not yet answered) is the time in
//! tools; a `done` gets the totals. Token usage is added per model round ([`Meter::tokens`]).
//! The set of open calls is bounded; calls past the bound are not timed.

use std::time::{Duration, Instant};

use protocol::{StreamEvent, Usage};

/// Open calls timed at once; more are ignored.
const MAX_OPEN_CALLS: usize = 64;

/// One answer's clocks and token sums.
#[derive(Debug, Clone)]
pub struct Meter {
    started: Instant,
    first_token: Option<Instant>,
    open_calls: Vec<String>,
    tools_since: Option<Instant>,
    in_tools: Duration,
    tokens: Usage,
}

impl Default for Meter {
    fn default() -> Self {
        Self::new(Instant::now())
    }
}

impl Meter {
    /// A meter whose answer started at `started`.
    pub fn new(started: Instant) -> Self {
        Self {
            started,
            first_token: None,
            open_calls: Vec::new(),
            tools_since: None,
            in_tools: Duration::ZERO,
            tokens: Usage::default(),
        }
    }

    /// Adds one model round's token usage.
    pub fn tokens(&mut self, round: &Usage) {
        self.tokens.add(round);
    }

    /// Watches `event` on its way to the widget at `now`; a `done` gets the answer's usage
    /// (the provider's tokens in it, if any, are added first).
    pub fn observe(&mut self, event: &mut StreamEvent, now: Instant) {
        match event {
            StreamEvent::TextDelta { .. } | StreamEvent::ReasoningDelta { .. } => {
                self.first_token.get_or_insert(now);
            }
            StreamEvent::ToolCallStarted { call_id, .. }
                if self.open_calls.len() < MAX_OPEN_CALLS && !self.open_calls.contains(call_id) =>
            {
                self.open_calls.push(call_id.clone());
                self.tools_since.get_or_insert(now);
            }
            StreamEvent::ToolCallResult { call_id, .. }
            | StreamEvent::ToolCallFailed { call_id, .. } => {
                self.open_calls.retain(|c| c != call_id);
                self.close_tools(now);
            }
            StreamEvent::Done { usage, .. } => {
                if let Some(provider) = usage.take() {
                    self.tokens(&provider);
                }
                *usage = Some(self.usage(now));
            }
            _ => {}
        }
    }

    /// Watches each of `events` at the current time.
    pub fn observe_all(&mut self, events: &mut [StreamEvent]) {
        let now = Instant::now();
        for event in events {
            self.observe(event, now);
        }
    }

    fn close_tools(&mut self, now: Instant) {
        if self.open_calls.is_empty()
            && let Some(since) = self.tools_since.take()
        {
            self.in_tools += now.saturating_duration_since(since);
        }
    }

    /// The usage so far, as of `now`.
    pub fn usage(&self, now: Instant) -> Usage {
        let ms = |d: Duration| {
            u64::try_from(d.as_millis())
                .unwrap_or(u64::MAX)
                .min(Usage::MAX)
        };
        let open = self
            .tools_since
            .map_or(Duration::ZERO, |since| now.saturating_duration_since(since));
        Usage {
            first_token_ms: self
                .first_token
                .map(|t| ms(t.saturating_duration_since(self.started))),
            total_ms: ms(now.saturating_duration_since(self.started)),
            tool_ms: ms(self.in_tools + open),
            ..self.tokens
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(start: Instant, ms: u64) -> Instant {
        start + Duration::from_millis(ms)
    }

    fn started(id: &str) -> StreamEvent {
        StreamEvent::ToolCallStarted {
            call_id: id.into(),
            server: "s".into(),
            tool: "t".into(),
        }
    }

    fn result(id: &str) -> StreamEvent {
        StreamEvent::ToolCallResult {
            call_id: id.into(),
            output: "ok".into(),
            parts: Vec::new(),
        }
    }

    #[test]
    fn done_carries_first_token_total_and_overlapping_tool_time_once() {
        let t0 = Instant::now();
        let mut meter = Meter::new(t0);
        meter.tokens(&Usage {
            input_tokens: 10,
            output_tokens: 2,
            ..Usage::default()
        });
        meter.observe(&mut started("a"), at(t0, 100));
        meter.observe(&mut started("b"), at(t0, 150));
        meter.observe(&mut result("a"), at(t0, 300));
        meter.observe(&mut result("b"), at(t0, 400));
        meter.observe(&mut result("unknown"), at(t0, 450));
        meter.observe(
            &mut StreamEvent::TextDelta { delta: "x".into() },
            at(t0, 500),
        );
        meter.observe(
            &mut StreamEvent::TextDelta { delta: "y".into() },
            at(t0, 600),
        );
        let mut done = StreamEvent::Done {
            response_id: None,
            usage: Some(Usage {
                input_tokens: 5,
                cached_tokens: 3,
                total_ms: 99_999,
                ..Usage::default()
            }),
        };
        meter.observe(&mut done, at(t0, 700));
        let StreamEvent::Done { usage: Some(u), .. } = done else {
            panic!("{done:?}");
        };
        assert_eq!(
            u,
            Usage {
                input_tokens: 15,
                output_tokens: 2,
                reasoning_tokens: 0,
                cached_tokens: 3,
                first_token_ms: Some(500),
                total_ms: 700,
                tool_ms: 300,
            }
        );
    }

    #[test]
    fn an_answer_without_text_has_no_first_token_and_open_calls_are_bounded() {
        let t0 = Instant::now();
        let mut meter = Meter::new(t0);
        for i in 0..1000 {
            meter.observe(&mut started(&i.to_string()), at(t0, 10));
        }
        assert_eq!(meter.open_calls.len(), MAX_OPEN_CALLS);
        let u = meter.usage(at(t0, 60));
        assert_eq!((u.first_token_ms, u.total_ms, u.tool_ms), (None, 60, 50));
    }
}
