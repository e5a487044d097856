//! A sleep future on the WASI monotonic clock, driven by Spin's executor.
//!
//! The first poll before the deadline registers a pollable for the deadline with the executor;
//! it stays registered until the deadline, so later polls with the same waker only read the
//! clock (a new waker registers again). A relay that keeps
//! one `Sleep` across many upstream chunks thus creates one clock pollable per keep-alive
//! interval, not one per chunk. Dropping the `Sleep` cancels the registration.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use spin_executor::CancelOnDropToken;
use wasi::clocks::monotonic_clock;

/// Completes once `duration` has passed.
pub(super) struct Sleep {
    deadline: monotonic_clock::Instant,
    registration: Option<(CancelOnDropToken, Waker)>,
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
        // Before the deadline the pollable cannot have fired, so a registration is still live.
        let registered =
            matches!(&self.registration, Some((_, waker)) if waker.will_wake(cx.waker()));
        if !registered {
            let pollable = monotonic_clock::subscribe_instant(self.deadline);
            let token = spin_executor::push_waker_and_get_token(pollable, cx.waker().clone());
            self.registration = Some((token.into(), cx.waker().clone()));
        }
        Poll::Pending
    }
}
