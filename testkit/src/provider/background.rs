//! Background mode of the fake Responses API (`shared/protocols-next.md` §7).
//!
//! A request with `"background": true` is answered by a producer that runs on its own: its
//! frames are kept ([`Background`]) whether or not anybody reads them, so a client that goes
//! away does not stop the answer. The creating `POST` streams them as they come; `GET
//! /v1/responses/{id}?stream=true&starting_after=N` streams the kept frames after event `N`,
//! then the rest as they come. Scripted provider-side drops ([`Background::drop_streams_after`])
//! end the next streams after a number of frames, as a provider whose connection breaks.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use tokio::sync::{mpsc, watch};

use super::{StreamCounters, channel_body, event_stream, openai_error};
use crate::record::{Log, lock};

/// One replay asked for: the response id and `starting_after`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replay {
    /// The response id of the URL.
    pub id: String,
    /// The `starting_after` query value (`None` without one).
    pub starting_after: Option<u64>,
}

/// One kept answer: its frames so far, and whether it ended; subscribers see each new frame.
type Kept = watch::Sender<(Vec<Bytes>, bool)>;

/// The kept background answers, and the drops to come.
#[derive(Default)]
pub(crate) struct Background {
    /// Response id -> its frames so far, and whether it ended.
    answers: Mutex<HashMap<String, (Kept, tokio::task::AbortHandle)>>,
    /// Each next stream ends after this many frames.
    drops: Mutex<VecDeque<usize>>,
    pub(crate) replays: Log<Replay>,
    /// The response ids of `POST /v1/responses/{id}/cancel`, in order.
    pub(crate) cancels: Log<String>,
}

impl Background {
    /// Keeps the frames `produced` sends as response `id`, and streams them to the creator.
    pub(crate) fn create(
        &self,
        id: String,
        mut produced: mpsc::Receiver<Bytes>,
        counters: &Arc<StreamCounters>,
    ) -> Response {
        let (kept, _) = watch::channel((Vec::new(), false));
        let keeper = kept.clone();
        let task = tokio::spawn(async move {
            while let Some(frame) = produced.recv().await {
                keeper.send_modify(|(frames, _)| frames.push(frame));
            }
            keeper.send_modify(|(_, done)| *done = true);
        });
        lock(&self.answers).insert(id, (kept.clone(), task.abort_handle()));
        self.serve(&kept, None, counters)
    }

    /// `GET /v1/responses/{id}?stream=true&starting_after=N`.
    pub(crate) fn replay(
        &self,
        id: &str,
        query: &HashMap<String, String>,
        counters: &Arc<StreamCounters>,
    ) -> Response {
        let starting_after = query.get("starting_after").and_then(|n| n.parse().ok());
        self.replays.push(Replay {
            id: id.to_owned(),
            starting_after,
        });
        if query.get("stream").map(String::as_str) != Some("true") {
            return openai_error(
                StatusCode::BAD_REQUEST,
                "This fake replays streams only (stream=true).",
                "invalid_request_error",
                "unsupported",
            );
        }
        let Some((kept, _)) = lock(&self.answers).get(id).cloned() else {
            return not_found(id);
        };
        self.serve(&kept, starting_after, counters)
    }

    /// `POST /v1/responses/{id}/cancel`: the producer stops (its receiver is dropped) and the
    /// answer's streams end; the answer is answered as `cancelled`, or 404.
    pub(crate) fn cancel(&self, id: &str) -> Response {
        self.cancels.push(id.to_owned());
        let Some((kept, task)) = lock(&self.answers).get(id).cloned() else {
            return not_found(id);
        };
        task.abort();
        kept.send_modify(|(_, done)| *done = true);
        axum::Json(serde_json::json!({"id": id, "object": "response", "status": "cancelled"}))
            .into_response()
    }

    /// The next `counts.len()` streams end after that many frames each.
    pub(crate) fn drop_streams_after(&self, counts: &[usize]) {
        lock(&self.drops).extend(counts);
    }

    /// Forgets every kept answer (as the provider does after about ten minutes).
    pub(crate) fn forget(&self) {
        lock(&self.answers).clear();
    }

    /// Streams the kept frames after event `after`, then the new ones, until the answer ends
    /// (or the next scripted drop).
    fn serve(&self, kept: &Kept, after: Option<u64>, counters: &Arc<StreamCounters>) -> Response {
        let drop_after = lock(&self.drops).pop_front();
        let mut rx = kept.subscribe();
        let (tx, body) = channel_body(counters);
        tokio::spawn(async move {
            let mut next = 0;
            let mut sent = 0;
            loop {
                let (frames, done) = rx.borrow_and_update().clone();
                for frame in &frames[next.min(frames.len())..] {
                    next += 1;
                    if after.is_some_and(|after| sequence(frame).is_some_and(|n| n <= after)) {
                        continue;
                    }
                    if drop_after == Some(sent) || tx.send(frame.clone()).await.is_err() {
                        return;
                    }
                    sent += 1;
                }
                if done || rx.changed().await.is_err() {
                    return;
                }
            }
        });
        event_stream(body)
    }
}

/// OpenAI's answer for a response it does not keep (any more).
fn not_found(id: &str) -> Response {
    openai_error(
        StatusCode::NOT_FOUND,
        &format!("No response found with id '{id}'."),
        "invalid_request_error",
        "not_found",
    )
}

/// The `sequence_number` of one SSE frame.
fn sequence(frame: &[u8]) -> Option<u64> {
    let text = std::str::from_utf8(frame).ok()?;
    let data = text.lines().find_map(|l| l.strip_prefix("data: "))?;
    serde_json::from_str::<Value>(data).ok()?["sequence_number"].as_u64()
}
