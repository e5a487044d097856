//! When an answer waits, what happens next: the keep-alive, idle and wall-time rules of the
//! stream as a state machine with the clock passed in (`now` is a value), so they are tested
//! without waiting.
//!
//! Three clocks run over one answer:
//! - the answer's wall time (`answer_timeout_ms`): past it, the answer ends with
//!   `answer_timeout`, whatever is pending;
//! - the provider's idle limit (`idle_timeout_ms`), only while the provider is awaited
//!   ([`Deadlines::watch_idle`]): past it with no byte from the provider, the answer ends with
//!   `provider_timeout`. Tool calls have their own timeout and are not watched;
//! - the keep-alive interval (`keepalive_ms`): after that long with nothing sent to the widget,
//!   a keep-alive comment goes out, so proxies keep the stream open.
//!
//! The I/O side asks [`Deadlines::next`] whenever its timer fires and does what it says.

use std::time::{Duration, Instant};

use protocol::{ApiError, ErrorCode};

use crate::config::Config;

/// Why an answer stopped early; the note goes to the log (scrubbed and escaped).
pub type Note = String;

/// Why a wait ended without its result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stop {
    /// The client went away: nothing more can be sent.
    ClientGone,
    /// A time limit passed: the answer must end with this error.
    Timeout(ApiError),
}

impl Stop {
    /// The log's note.
    pub fn note(&self) -> Note {
        match self {
            Self::ClientGone => "the client went away".to_owned(),
            Self::Timeout(error) => format!("a time limit passed ({:?})", error.code),
        }
    }
}

/// What to do now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wake {
    /// Nothing yet: wait (for the work, or a timer at this instant).
    Until(Instant),
    /// Send a keep-alive comment now, then ask again.
    KeepAlive,
    /// The provider was silent past the idle limit: end the answer ([`Deadlines::idle_error`]).
    IdleTimeout,
    /// The answer's wall time passed: end it ([`Deadlines::answer_error`]).
    AnswerTimeout,
}

/// The clocks of one answer.
#[derive(Debug, Clone)]
pub struct Deadlines {
    keepalive: Duration,
    idle_limit: Duration,
    /// When the answer's time is up.
    ends: Instant,
    /// The last write to the widget (or the start).
    quiet_since: Instant,
    /// The last byte from the provider, while it is awaited.
    idle_since: Option<Instant>,
}

impl Deadlines {
    /// The clocks of an answer starting at `now`.
    pub fn new(
        keepalive: Duration,
        idle_limit: Duration,
        answer_time: Duration,
        now: Instant,
    ) -> Self {
        Self {
            keepalive,
            idle_limit,
            ends: now + answer_time,
            quiet_since: now,
            idle_since: None,
        }
    }

    /// The clocks `config` sets, for an answer starting at `now`.
    pub fn from_config(config: &Config, now: Instant) -> Self {
        Self::new(
            Duration::from_millis(config.keepalive_ms),
            Duration::from_millis(config.idle_timeout_ms),
            Duration::from_millis(config.bounds.answer_timeout_ms),
            now,
        )
    }

    /// The provider is awaited from `now` on: its silence counts towards the idle limit.
    pub fn watch_idle(&mut self, now: Instant) {
        self.idle_since = Some(now);
    }

    /// The provider is no longer awaited (a tool runs, or the answer is over).
    pub fn unwatch_idle(&mut self) {
        self.idle_since = None;
    }

    /// The provider sent something at `now`.
    pub fn heard(&mut self, now: Instant) {
        if self.idle_since.is_some() {
            self.idle_since = Some(now);
        }
    }

    /// Something went to the widget at `now`: no keep-alive is due before the interval.
    pub fn sent(&mut self, now: Instant) {
        self.quiet_since = now;
    }

    /// What to do at `now`. A `KeepAlive` counts as sent.
    pub fn next(&mut self, now: Instant) -> Wake {
        if now >= self.ends {
            return Wake::AnswerTimeout;
        }
        let idle_ends = self.idle_since.map(|since| since + self.idle_limit);
        if idle_ends.is_some_and(|at| now >= at) {
            return Wake::IdleTimeout;
        }
        let keepalive_at = self.quiet_since + self.keepalive;
        if now >= keepalive_at {
            self.quiet_since = now;
            return Wake::KeepAlive;
        }
        let at = [Some(keepalive_at), idle_ends, Some(self.ends)]
            .into_iter()
            .flatten()
            .min()
            .unwrap_or(self.ends);
        Wake::Until(at)
    }

    /// The error of [`Wake::IdleTimeout`].
    pub fn idle_error(&self) -> ApiError {
        ApiError {
            code: ErrorCode::ProviderTimeout,
            message: format!(
                "the model provider sent nothing for {} s",
                self.idle_limit.as_secs()
            ),
            retryable: true,
        }
    }

    /// The error of [`Wake::AnswerTimeout`], for an answer limit of `answer_timeout_ms`.
    pub fn answer_error(answer_timeout_ms: u64) -> ApiError {
        ApiError {
            code: ErrorCode::AnswerTimeout,
            message: format!(
                "the answer took longer than {} s, the limit of this edge",
                answer_timeout_ms / 1000
            ),
            retryable: true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: Duration = Duration::from_secs(1);

    /// Keep-alive every 5 s, idle limit 30 s, answer limit 100 s, from `t0`.
    fn clocks(t0: Instant) -> Deadlines {
        Deadlines::new(5 * SECOND, 30 * SECOND, 100 * SECOND, t0)
    }

    #[test]
    fn a_quiet_stream_gets_a_keep_alive_each_interval() {
        let t0 = Instant::now();
        let mut d = clocks(t0);
        assert_eq!(d.next(t0), Wake::Until(t0 + 5 * SECOND));
        assert_eq!(d.next(t0 + 4 * SECOND), Wake::Until(t0 + 5 * SECOND));
        assert_eq!(d.next(t0 + 5 * SECOND), Wake::KeepAlive);
        assert_eq!(d.next(t0 + 5 * SECOND), Wake::Until(t0 + 10 * SECOND));
        // Text sent in between moves the next keep-alive.
        d.sent(t0 + 8 * SECOND);
        assert_eq!(d.next(t0 + 10 * SECOND), Wake::Until(t0 + 13 * SECOND));
        assert_eq!(d.next(t0 + 13 * SECOND), Wake::KeepAlive);
    }

    #[test]
    fn a_silent_provider_times_out_after_the_idle_limit_even_with_keep_alives() {
        let t0 = Instant::now();
        let mut d = clocks(t0);
        d.watch_idle(t0);
        let mut keepalives = 0;
        let mut now = t0;
        let mut steps = 0;
        let outcome = loop {
            steps += 1;
            assert!(steps < 100, "the clocks never gave up");
            match d.next(now) {
                Wake::Until(at) => now = at,
                Wake::KeepAlive => keepalives += 1,
                other => break other,
            }
        };
        assert_eq!(
            (outcome, now, keepalives),
            (Wake::IdleTimeout, t0 + 30 * SECOND, 5)
        );
        assert_eq!(d.idle_error().code, ErrorCode::ProviderTimeout);
    }

    #[test]
    fn each_provider_chunk_restarts_the_idle_limit() {
        let t0 = Instant::now();
        let mut d = clocks(t0);
        d.watch_idle(t0);
        d.heard(t0 + 29 * SECOND);
        d.sent(t0 + 29 * SECOND);
        assert_eq!(d.next(t0 + 31 * SECOND), Wake::Until(t0 + 34 * SECOND));
        assert_eq!(d.next(t0 + 59 * SECOND), Wake::IdleTimeout);
    }

    #[test]
    fn edge_mode_idle_limit_counts_from_each_provider_round_not_from_tool_calls() {
        let t0 = Instant::now();
        let mut d = clocks(t0);
        // Round 1 answers quickly, then a tool runs for 40 s: no idle limit while it runs.
        d.watch_idle(t0);
        d.heard(t0 + SECOND);
        d.unwatch_idle();
        d.heard(t0 + 2 * SECOND);
        let mut now = t0 + 2 * SECOND;
        for _ in 0..100 {
            if now >= t0 + 42 * SECOND {
                break;
            }
            match d.next(now) {
                Wake::Until(at) => now = at.min(t0 + 42 * SECOND),
                Wake::KeepAlive => {}
                other => panic!("a tool call hit {other:?} at {:?}", now - t0),
            }
        }
        assert_eq!(now, t0 + 42 * SECOND, "the clocks stopped moving");
        // Round 2: the provider is silent; the limit counts from the round's start.
        d.watch_idle(t0 + 42 * SECOND);
        assert!(matches!(
            d.next(t0 + 71 * SECOND),
            Wake::Until(_) | Wake::KeepAlive
        ));
        assert_eq!(d.next(t0 + 72 * SECOND), Wake::IdleTimeout);
    }

    #[test]
    fn the_answer_limit_wins_over_everything() {
        let t0 = Instant::now();
        let mut d = clocks(t0);
        d.watch_idle(t0);
        d.heard(t0 + 99 * SECOND);
        d.sent(t0 + 99 * SECOND);
        assert_eq!(d.next(t0 + 99 * SECOND), Wake::Until(t0 + 100 * SECOND));
        assert_eq!(d.next(t0 + 100 * SECOND), Wake::AnswerTimeout);
        let mut short = Deadlines::new(5 * SECOND, 30 * SECOND, 3 * SECOND, t0);
        assert_eq!(short.next(t0), Wake::Until(t0 + 3 * SECOND));
        assert_eq!(
            Deadlines::answer_error(120_000).message,
            "the answer took longer than 120 s, the limit of this edge"
        );
    }
}
