//! When the edge's runtime turns a chat away for want of capacity, and how long the widget
//! waits before it sends the same chat again.
//!
//! Each open answer holds one instance of the edge for its whole stream; when the runtime's
//! pool is full it refuses the request before the edge runs, with a 5xx that is not the edge's
//! JSON (`edge_busy`), or by dropping the connection (no answer at all). Neither reached the
//! model, so sending the same request again is safe. The widget keeps the question, shows "the
//! chat is busy, retrying", and tries again after an exponential backoff with jitter, so that
//! many refused widgets do not come back at the same instant. A lost connection is retried only
//! a couple of times: the browser cannot tell a reset from being offline or a CORS refusal, and
//! those must not hide behind "busy" for long.

use protocol::ErrorCode;

use crate::api::RequestError;

/// Tries after an `edge_busy` refusal (about 40 s in all with [`delay_ms`]).
pub(crate) const MAX_BUSY_RETRIES: u32 = 8;
/// Tries after a request that got no answer at all.
pub(crate) const MAX_UNREACHABLE_RETRIES: u32 = 2;
/// The first wait.
const BASE_MS: f64 = 500.0;
/// The longest wait.
const CAP_MS: f64 = 8_000.0;

/// Whether a chat request that failed with `error` after `retries` earlier tries should be
/// sent again.
pub(crate) fn should_retry(error: &RequestError, retries: u32) -> bool {
    match error {
        RequestError::Refused(refusal) => {
            refusal.code == ErrorCode::EdgeBusy && retries < MAX_BUSY_RETRIES
        }
        RequestError::Unreachable => retries < MAX_UNREACHABLE_RETRIES,
        RequestError::Unreadable => false,
    }
}

/// The wait before retry number `retry` (1-based): `BASE_MS * 2^(retry-1)`, capped at
/// `CAP_MS`, of which a random share in [1/2, 1] is taken (`random` in [0, 1)).
pub(crate) fn delay_ms(retry: u32, random: f64) -> i32 {
    let exponential = BASE_MS * 2f64.powi(retry.saturating_sub(1).min(16) as i32);
    let ceiling = exponential.min(CAP_MS);
    (ceiling * (0.5 + random.clamp(0.0, 1.0) / 2.0)) as i32
}

/// Waits `millis` milliseconds (a `setTimeout`); returns at once without a window.
pub(crate) async fn pause(millis: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let scheduled = web_sys::window()
            .map(|w| w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, millis));
        if !matches!(scheduled, Some(Ok(_))) {
            let _ = resolve.call0(&wasm_bindgen::JsValue::UNDEFINED);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

#[cfg(test)]
mod tests {
    use protocol::ApiError;
    use wasm_bindgen_test::wasm_bindgen_test;

    use super::*;

    fn refused(code: ErrorCode) -> RequestError {
        RequestError::Refused(ApiError {
            code,
            message: String::new(),
            retryable: true,
        })
    }

    #[wasm_bindgen_test]
    fn only_busy_refusals_and_lost_connections_are_retried_and_not_forever() {
        assert!(should_retry(&refused(ErrorCode::EdgeBusy), 0));
        assert!(should_retry(
            &refused(ErrorCode::EdgeBusy),
            MAX_BUSY_RETRIES - 1
        ));
        assert!(!should_retry(
            &refused(ErrorCode::EdgeBusy),
            MAX_BUSY_RETRIES
        ));
        assert!(!should_retry(&refused(ErrorCode::ProviderUnavailable), 0));
        assert!(!should_retry(&refused(ErrorCode::Unauthorized), 0));
        assert!(should_retry(&RequestError::Unreachable, 0));
        assert!(!should_retry(
            &RequestError::Unreachable,
            MAX_UNREACHABLE_RETRIES
        ));
        assert!(!should_retry(&RequestError::Unreadable, 0));
    }

    #[wasm_bindgen_test]
    fn waits_grow_are_capped_and_jittered() {
        assert_eq!(delay_ms(1, 0.0), 250);
        assert_eq!(delay_ms(1, 0.999_999), 499);
        assert_eq!(delay_ms(2, 0.0), 500);
        assert_eq!(delay_ms(3, 0.0), 1000);
        assert_eq!(delay_ms(5, 0.0), 4000);
        assert_eq!(delay_ms(6, 0.0), 4000);
        assert_eq!(delay_ms(40, 0.5), 6000);
        let total: i32 = (1..=MAX_BUSY_RETRIES).map(|n| delay_ms(n, 0.999)).sum();
        assert!((30_000..45_000).contains(&total), "{total}");
    }
}
