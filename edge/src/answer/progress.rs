//! Turns a running tool's `notifications/progress` into `tool_progress` events for the widget,
//! bounded: at most one event per [`MIN_INTERVAL`] per call (a burst in between is coalesced:
//! the ones that arrive too soon are dropped, the next one after the interval goes out), none
//! that repeats what was last sent, and a message that is tool data, not authority: secrets
//! scrubbed (the start of a secret that the reader's 200-character cut split is dropped too), control characters blanked, at most [`MAX_MESSAGE_CHARS`].
//!
//! Pure (the caller passes the clock), so it is tested natively.

use std::time::{Duration, Instant};

use protocol::StreamEvent;

use crate::mcp::client::Progress;
use crate::redact::Secrets;

/// Least time between two `tool_progress` events of one call (so at most 5 per second).
pub const MIN_INTERVAL: Duration = Duration::from_millis(200);
/// Longest message passed on, in characters.
pub const MAX_MESSAGE_CHARS: usize = 120;

/// Where the MCP reader cuts a progress message ([`Progress::message`]).
const PARSER_CUT_CHARS: usize = 200;

/// The progress gate of one tool call.
pub struct ProgressGate {
    call_id: String,
    secrets: Secrets,
    /// When the last event went out, and what it said.
    last: Option<(Instant, Option<u8>, Option<String>)>,
}

impl ProgressGate {
    /// A gate for the call `call_id`, scrubbing `secrets` from messages.
    pub fn new(call_id: &str, secrets: Secrets) -> Self {
        Self {
            call_id: call_id.to_owned(),
            secrets,
            last: None,
        }
    }

    /// The event to send for `progress` received at `now`, or `None` when it comes too soon
    /// after the last one or says nothing new.
    pub fn offer(&mut self, now: Instant, progress: &Progress) -> Option<StreamEvent> {
        if let Some((at, ..)) = &self.last
            && now.saturating_duration_since(*at) < MIN_INTERVAL
        {
            return None;
        }
        // Percent rounds down, so 100 means done.
        let percent = progress.fraction().map(|f| (f * 100.0).floor() as u8);
        let message = progress
            .message
            .as_deref()
            .map(|m| self.clean(m))
            .filter(|m| !m.is_empty());
        if let Some((_, last_percent, last_message)) = &self.last
            && *last_percent == percent
            && *last_message == message
        {
            return None;
        }
        self.last = Some((now, percent, message.clone()));
        Some(StreamEvent::ToolProgress {
            call_id: self.call_id.clone(),
            percent,
            message,
        })
    }

    fn clean(&self, message: &str) -> String {
        let scrubbed = if message.chars().count() >= PARSER_CUT_CHARS {
            // Maybe cut mid-secret: no `finish`, so a held tail that could begin one is dropped.
            self.secrets.scrubber().push(message)
        } else {
            self.secrets.redact(message)
        };
        let blanked = scrubbed
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c });
        let mut text: String = blanked.take(MAX_MESSAGE_CHARS + 1).collect();
        if text.chars().count() > MAX_MESSAGE_CHARS {
            text = text.chars().take(MAX_MESSAGE_CHARS - 1).collect();
            text.push('…');
        }
        text.trim().to_owned()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const SECRET: &str = "te-0123456789abcdef";

    fn progress(progress: f64, total: Option<f64>, message: Option<&str>) -> Progress {
        Progress {
            token: json!("p1"),
            progress,
            total,
            message: message.map(Into::into),
        }
    }

    fn gate() -> ProgressGate {
        ProgressGate::new("call_1", Secrets::new([SECRET]))
    }

    fn event(percent: Option<u8>, message: Option<&str>) -> Option<StreamEvent> {
        Some(StreamEvent::ToolProgress {
            call_id: "call_1".into(),
            percent,
            message: message.map(Into::into),
        })
    }

    #[test]
    fn a_burst_is_coalesced_to_one_event_per_interval() {
        let mut gate = gate();
        let t0 = Instant::now();
        let mut sent = Vec::new();
        // 1000 notifications over one second, one per millisecond.
        for i in 0..1000u32 {
            let now = t0 + Duration::from_millis(u64::from(i));
            if let Some(e) = gate.offer(now, &progress(f64::from(i), Some(1000.0), None)) {
                sent.push(e);
            }
        }
        assert_eq!(sent.len(), 5, "{sent:?}");
        assert_eq!(sent[0], event(Some(0), None).unwrap());
        assert_eq!(sent[1], event(Some(20), None).unwrap());
    }

    #[test]
    fn nothing_new_is_not_sent_again() {
        let mut gate = gate();
        let t0 = Instant::now();
        assert_eq!(
            gate.offer(t0, &progress(1.0, Some(4.0), None)),
            event(Some(25), None)
        );
        let later = t0 + MIN_INTERVAL * 3;
        assert_eq!(gate.offer(later, &progress(1.01, Some(4.0), None)), None);
        assert_eq!(
            gate.offer(later, &progress(2.0, Some(4.0), None)),
            event(Some(50), None)
        );
    }

    #[test]
    fn without_a_total_only_the_message_is_sent() {
        let mut gate = gate();
        let got = gate.offer(
            Instant::now(),
            &progress(3.0, None, Some("Scanning orders")),
        );
        assert_eq!(got, event(None, Some("Scanning orders")));
        // A zero total is no total.
        let mut gate = self::gate();
        let got = gate.offer(Instant::now(), &progress(3.0, Some(0.0), None));
        assert_eq!(got, event(None, None));
    }

    #[test]
    fn messages_are_scrubbed_blanked_and_capped() {
        let mut gate = gate();
        let t0 = Instant::now();
        let said = format!("token {SECRET} used\nnext");
        let got = gate.offer(t0, &progress(1.0, Some(2.0), Some(&said)));
        assert_eq!(got, event(Some(50), Some("token [redacted] used next")));

        // The reader's cut split a long secret: its start is not passed on.
        let long_secret = format!("sk-{}", "Q".repeat(150));
        let mut gate2 = ProgressGate::new("call_1", Secrets::new([long_secret.as_str()]));
        let cut = format!("{} key={}", "y".repeat(100), &long_secret[..95]);
        assert_eq!(cut.chars().count(), PARSER_CUT_CHARS);
        let got = gate2.offer(t0, &progress(2.0, Some(2.0), Some(&cut)));
        let Some(StreamEvent::ToolProgress {
            message: Some(m), ..
        }) = got
        else {
            panic!("{got:?}");
        };
        assert!(!m.contains("sk-"), "{m}");
        assert!(m.ends_with("key="), "{m}");

        let long = "x".repeat(500);
        let got = gate.offer(t0 + MIN_INTERVAL * 2, &progress(3.0, None, Some(&long)));
        let Some(StreamEvent::ToolProgress {
            message: Some(m), ..
        }) = got
        else {
            panic!("{got:?}");
        };
        assert_eq!(m.chars().count(), MAX_MESSAGE_CHARS);
        assert!(m.ends_with('…'));
    }
}
