//! A provider that fails on purpose: each request gets one fault from [`Fault`], chosen by the
//! request's number, so a load of chats meets every fault many times.
//!
//! It speaks the Responses stream (protocols.md §2) like [`crate::provider::FakeProvider`], and
//! counts its streams: open now, and abandoned (closed by the client before the end). A load
//! test reads these to prove that no upstream stream outlives its client.

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::json;
use tokio::sync::mpsc;

use crate::serve::{Background, any_local_port};

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

/// The running chaos provider. Dropping it stops the listener.
pub struct ChaosProvider {
    server: Background,
    state: Arc<ChaosState>,
}

#[derive(Default)]
struct ChaosState {
    requests: AtomicUsize,
    open: Arc<AtomicUsize>,
    abandoned: Arc<AtomicUsize>,
    delta_gap: Duration,
}

impl ChaosProvider {
    /// Serves on a free loopback port; streamed deltas are `delta_gap` apart.
    pub async fn start(delta_gap: Duration) -> anyhow::Result<Self> {
        let state = Arc::new(ChaosState {
            delta_gap,
            ..ChaosState::default()
        });
        let router = Router::new()
            .route("/v1/responses", post(respond))
            .with_state(state.clone());
        Ok(Self {
            server: Background::spawn(any_local_port(), router).await?,
            state,
        })
    }

    /// The API base, `http://127.0.0.1:PORT/v1`.
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.server.addr())
    }

    /// The fault request `n` (counting from 0) gets.
    pub fn fault_of(n: usize) -> Fault {
        FAULTS[n % FAULTS.len()]
    }

    /// Requests so far.
    pub fn request_count(&self) -> usize {
        self.state.requests.load(Ordering::SeqCst)
    }

    /// Streams being sent now.
    pub fn open_streams(&self) -> usize {
        self.state.open.load(Ordering::SeqCst)
    }

    /// Streams whose client left before the end.
    pub fn abandoned_streams(&self) -> usize {
        self.state.abandoned.load(Ordering::SeqCst)
    }
}

async fn respond(State(state): State<Arc<ChaosState>>) -> Response {
    let n = state.requests.fetch_add(1, Ordering::SeqCst);
    let error = |status: StatusCode, code: &str| {
        let body = json!({"error": {"message": format!("chaos: {code}"), "type": "chaos", "param": null, "code": code}});
        (status, axum::Json(body)).into_response()
    };
    match ChaosProvider::fault_of(n) {
        Fault::Status500 => error(StatusCode::INTERNAL_SERVER_ERROR, "server_error"),
        Fault::RateLimited => {
            let mut res = error(StatusCode::TOO_MANY_REQUESTS, "rate_limit_exceeded");
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("2"));
            res
        }
        Fault::McpUnreachable => error(StatusCode::FAILED_DEPENDENCY, "http_error"),
        fault => stream(&state, fault, n),
    }
}

fn frame(data: serde_json::Value) -> Bytes {
    Bytes::from(format!(
        "event: {}\ndata: {data}\n\n",
        data["type"].as_str().unwrap_or("message")
    ))
}

fn stream(state: &ChaosState, fault: Fault, n: usize) -> Response {
    let (tx, rx) = mpsc::channel::<Bytes>(1);
    let gap = state.delta_gap;
    tokio::spawn(async move {
        let id = format!("resp_chaos_{n}");
        let mut frames = vec![frame(
            json!({"type":"response.created","response":{"id":id}}),
        )];
        for i in 0..8 {
            frames.push(frame(
                json!({"type":"response.output_text.delta","delta":format!("w{i} ")}),
            ));
            if i == 3 && fault == Fault::MalformedEvent {
                frames.push(Bytes::from_static(
                    b"event: response.output_text.delta\ndata: {\"type\":\"response.output_te\n\n",
                ));
            }
            if i == 3 && matches!(fault, Fault::DropMidStream | Fault::Silence) {
                break;
            }
        }
        if matches!(fault, Fault::None | Fault::MalformedEvent) {
            frames.push(frame(
                json!({"type":"response.completed","response":{"id":id,"status":"completed"}}),
            ));
        }
        for f in frames {
            if tx.send(f).await.is_err() {
                return;
            }
            tokio::time::sleep(gap).await;
        }
        if fault == Fault::Silence {
            // Hold the stream open, silent, until the client leaves.
            tx.closed().await;
        }
    });
    let guard = OpenStream::new(state);
    let body = futures_util::stream::unfold((rx, guard), |(mut rx, mut guard)| async move {
        match rx.recv().await {
            Some(chunk) => Some((Ok::<_, Infallible>(chunk), (rx, guard))),
            None => {
                guard.finish();
                None
            }
        }
    });
    let mut res = Response::new(Body::from_stream(body));
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    res
}

/// Counts a stream open while it lives; abandoned when dropped before its end.
struct OpenStream {
    open: Arc<AtomicUsize>,
    abandoned: Arc<AtomicUsize>,
    finished: bool,
}

impl OpenStream {
    fn new(state: &ChaosState) -> Self {
        state.open.fetch_add(1, Ordering::SeqCst);
        Self {
            open: state.open.clone(),
            abandoned: state.abandoned.clone(),
            finished: false,
        }
    }

    fn finish(&mut self) {
        self.finished = true;
    }
}

impl Drop for OpenStream {
    fn drop(&mut self) {
        if !self.finished {
            self.abandoned.fetch_add(1, Ordering::SeqCst);
        }
        self.open.fetch_sub(1, Ordering::SeqCst);
    }
}
