//! The bench's HTTP client side: [`post_stream`] sends one request and reads its SSE answer,
//! noting when each frame arrived; [`chat_body`] and [`provider_body`] are the requests it
//! sends to the edge and straight to the provider.
//!
//! A frame's arrival is the instant its last byte came off the socket (the chunk that
//! completed it), read with `reqwest`'s byte stream and the protocol's incremental decoder, so
//! nothing waits for the whole body.

use std::time::Instant;

use anyhow::{Context, bail};
use futures_util::StreamExt;
use protocol::sse::{Decoder, Frame};
use protocol::{ChatRequest, Role, Turn};

/// One streamed answer.
#[derive(Debug)]
pub(crate) struct TimedStream {
    /// When the request was handed to the client.
    pub(crate) sent_at: Instant,
    /// Each frame with its arrival.
    pub(crate) frames: Vec<(Instant, Frame)>,
}

impl TimedStream {
    /// The arrival of every frame whose `event:` is `kind`, in order.
    pub(crate) fn arrivals(&self, kind: &str) -> Vec<Instant> {
        self.frames
            .iter()
            .filter(|(_, frame)| frame.event == kind)
            .map(|(at, _)| *at)
            .collect()
    }
}

/// An HTTP client for loopback benchmarking: no proxy, no pool limits.
pub(crate) fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .tcp_nodelay(true)
        .build()
        .expect("an http client")
}

/// POSTs `body` (JSON) to `url` and reads the SSE answer to its end; fails on a non-200 status
/// or a broken stream.
pub(crate) async fn post_stream(
    http: &reqwest::Client,
    url: &str,
    bearer: Option<&str>,
    body: String,
) -> anyhow::Result<TimedStream> {
    let mut request = http
        .post(url)
        .header("content-type", "application/json")
        .header("accept", "text/event-stream")
        .body(body);
    if let Some(token) = bearer {
        request = request.bearer_auth(token);
    }
    let sent_at = Instant::now();
    let response = request.send().await.context("sending the request")?;
    let status = response.status();
    if status != 200 {
        bail!("answer status {status}");
    }
    let mut decoder = Decoder::default();
    let mut frames = Vec::new();
    let mut body = response.bytes_stream();
    while let Some(chunk) = body.next().await {
        let chunk = chunk.context("reading the stream")?;
        let now = Instant::now();
        frames.extend(decoder.push(&chunk).into_iter().map(|f| (now, f)));
    }
    Ok(TimedStream { sent_at, frames })
}

/// A one-question chat for the edge, carrying `marker` as the question.
pub(crate) fn chat_body(marker: &str) -> String {
    let chat = ChatRequest {
        messages: vec![Turn {
            role: Role::User,
            content: marker.to_owned(),
            attachments: Vec::new(),
        }],
        servers: Vec::new(),
        model: None,
        previous_response_id: None,
        approvals: Vec::new(),
        elicitation: None,
        hosted_tools: Vec::new(),
        resume: None,
    };
    serde_json::to_string(&chat).expect("a chat request serialises")
}

/// A Responses API request as the edge would send it, carrying `marker` as the input.
pub(crate) fn provider_body(marker: &str) -> String {
    serde_json::json!({"model": "gpt-bench", "input": [{"role": "user", "content": marker}], "stream": true})
        .to_string()
}

/// Milliseconds between two instants (negative when `to` is earlier).
pub(crate) fn ms(from: Instant, to: Instant) -> f64 {
    if to >= from {
        (to - from).as_secs_f64() * 1000.0
    } else {
        -((from - to).as_secs_f64() * 1000.0)
    }
}
