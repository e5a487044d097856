//! [`Script::Chaos`](crate::provider::Script::Chaos): a provider that fails on purpose. Each
//! request gets one fault from [`Fault`], chosen by the request's number, so a load of chats
//! meets every fault many times.
//!
//! It speaks the Responses stream (protocols.md §2) through the provider's one stream guard, so
//! [`FakeProvider::open_streams`](crate::provider::FakeProvider::open_streams) and
//! [`abandoned_streams`](crate::provider::FakeProvider::abandoned_streams) prove that no
//! upstream stream outlives its client.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use serde_json::json;

use crate::frames;
use crate::provider::{StreamCounters, channel_body, event_stream, openai_error};

/// What one request gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// A complete answer: deltas, then `response.completed`.
    None,
    /// Some deltas, then the connection closes without a final event.
    DropMidStream,
    /// A malformed frame among good ones, then `response.completed`.
    MalformedEvent,
    /// Some deltas, then silence far longer than any idle limit.
    Silence,
    /// HTTP 500 before the stream.
    Status500,
    /// HTTP 429 with `Retry-After` before the stream.
    RateLimited,
    /// HTTP 424: an MCP server could not be listed.
    McpUnreachable,
}

/// Every fault, in the order requests cycle through them.
pub const FAULTS: &[Fault] = &[
    Fault::None,
    Fault::DropMidStream,
    Fault::MalformedEvent,
    Fault::Silence,
    Fault::Status500,
    Fault::RateLimited,
    Fault::McpUnreachable,
];

/// The fault request `n` (counting from 0) gets.
pub fn fault_of(n: usize) -> Fault {
    FAULTS[n % FAULTS.len()]
}

/// The answer to request `n` (counting from 0); streamed deltas are `delta_gap` apart.
pub(crate) fn answer(n: usize, delta_gap: Duration, counters: &Arc<StreamCounters>) -> Response {
    let error = |status: StatusCode, code: &str| {
        openai_error(status, &format!("chaos: {code}"), "chaos", code)
    };
    match fault_of(n) {
        Fault::Status500 => error(StatusCode::INTERNAL_SERVER_ERROR, "server_error"),
        Fault::RateLimited => {
            let mut res = error(StatusCode::TOO_MANY_REQUESTS, "rate_limit_exceeded");
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("2"));
            res
        }
        Fault::McpUnreachable => error(StatusCode::FAILED_DEPENDENCY, "http_error"),
        fault => stream(fault, n, delta_gap, counters),
    }
}

fn stream(fault: Fault, n: usize, gap: Duration, counters: &Arc<StreamCounters>) -> Response {
    let (tx, body) = channel_body(counters);
    tokio::spawn(async move {
        let id = format!("resp_chaos_{n}");
        let mut sent = vec![frames::event(
            &json!({"type":"response.created","response":{"id":id}}),
        )];
        for i in 0..8 {
            sent.push(frames::event(
                &json!({"type":"response.output_text.delta","delta":format!("w{i} ")}),
            ));
            if i == 3 && fault == Fault::MalformedEvent {
                sent.push(
                    "event: response.output_text.delta\ndata: {\"type\":\"response.output_te\n\n"
                        .to_owned(),
                );
            }
            if i == 3 && matches!(fault, Fault::DropMidStream | Fault::Silence) {
                break;
            }
        }
        if matches!(fault, Fault::None | Fault::MalformedEvent) {
            sent.push(frames::event(
                &json!({"type":"response.completed","response":{"id":id,"status":"completed"}}),
            ));
        }
        for f in sent {
            if tx.send(Bytes::from(f)).await.is_err() {
                return;
            }
            tokio::time::sleep(gap).await;
        }
        if fault == Fault::Silence {
            // Hold the stream open, silent, until the client leaves.
            tx.closed().await;
        }
    });
    event_stream(body)
}
