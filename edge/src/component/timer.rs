//! A sleep future on the WASI monotonic clock, driven by Spin's executor.
//!
//! Each poll before the deadline registers a pollable for the deadline with the executor (the
//! previous registration is cancelled when replaced), so the future wakes when the time comes.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use spin_executor::CancelOnDropToken;
use wasi::clocks::monotonic_clock;

/// Completes once `duration` has passed.
pub(super) struct Sleep {
    deadline: monotonic_clock::Instant,
    registration: Option<CancelOnDropToken>,
}

impl Sleep {
    pub(super) fn new(duration: Duration) -> Self {
        let nanos = u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX);
        Self {
            deadline: monotonic_clock::now().saturating_add(nanos),
            registration: None,
        }
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if monotonic_clock::now() >= self.deadline {
            self.registration = None;
            return Poll::Ready(());
        }
        let pollable = monotonic_clock::subscribe_instant(self.deadline);
        self.registration =
            Some(spin_executor::push_waker_and_get_token(pollable, cx.waker().clone()).into());
        Poll::Pending
    }
}
