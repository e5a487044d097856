//! The one provider driver of both tool modes, and the widget's stream it writes to (wasm32
//! glue; the rules are [`crate::answer`]'s).
//!
//! [`drive`] sends one provider request, keeps the widget's stream alive while it waits,
//! enforces the idle limit and the answer's wall time ([`Deadlines`]), maps a non-2xx answer,
//! and feeds the body to a [`Feed`] chunk by chunk, writing what each chunk produced in one
//! write. A client that goes away ends everything at once: returning drops the upstream body
//! and response, which cancels the provider request.

use std::future::Future;
use std::time::Instant;

use futures::StreamExt;
use futures::future::{Either, select};
use protocol::sse;
use spin_sdk::http::{IncomingResponse, Method, Request, send};

use super::pomerium_http;
use super::reply::{self, EventSink};
use super::timer::Sleep;
use crate::answer::deadline::{Deadlines, Note, Stop, Wake};
use crate::answer::feed::Feed;
use crate::config::Config;
use crate::providers::errors;
use crate::servers::pomerium::McpServer;

/// The widget's event stream, with the answer's clocks.
pub(super) struct Out {
    sink: EventSink,
    deadlines: Deadlines,
    answer_timeout_ms: u64,
    /// One timer, re-armed only when it fires: a fresh one per chunk would cost a clock
    /// subscription per event.
    timer: Option<(Instant, Sleep)>,
}

impl Out {
    /// The stream `sink`, its clocks starting now.
    pub(super) fn new(config: &Config, sink: EventSink) -> Self {
        Self {
            sink,
            deadlines: Deadlines::from_config(config, Instant::now()),
            answer_timeout_ms: config.bounds.answer_timeout_ms,
            timer: None,
        }
    }

    /// Writes `text` (nothing when empty).
    pub(super) async fn write(&mut self, text: String) -> Result<(), Stop> {
        if text.is_empty() {
            return Ok(());
        }
        self.deadlines.sent(Instant::now());
        match reply::send(&mut self.sink, text).await {
            true => Ok(()),
            false => Err(Stop::ClientGone),
        }
    }

    /// Runs `work`, sending keep-alives while it is pending; stops at the answer's deadline,
    /// and at the idle limit while the provider is watched.
    pub(super) async fn wait<T>(&mut self, work: impl Future<Output = T>) -> Result<T, Stop> {
        let mut work = std::pin::pin!(work);
        loop {
            let now = Instant::now();
            match self.deadlines.next(now) {
                Wake::Until(at) => {
                    // A timer armed for later than needed is replaced; an earlier one is kept
                    // (it fires early and the clocks are asked again).
                    if self.timer.as_ref().is_some_and(|(armed, _)| *armed > at) {
                        self.timer = None;
                    }
                    let (_, timer) = self
                        .timer
                        .get_or_insert_with(|| (at, Sleep::new(at.saturating_duration_since(now))));
                    if let Either::Left((res, _)) = select(work.as_mut(), timer).await {
                        return Ok(res);
                    }
                    self.timer = None;
                }
                Wake::KeepAlive => {
                    if !reply::send(&mut self.sink, sse::KEEP_ALIVE.to_owned()).await {
                        return Err(Stop::ClientGone);
                    }
                }
                Wake::IdleTimeout => return Err(Stop::Timeout(self.deadlines.idle_error())),
                Wake::AnswerTimeout => {
                    return Err(Stop::Timeout(Deadlines::answer_error(
                        self.answer_timeout_ms,
                    )));
                }
            }
        }
    }

    /// Ends `feed`'s part of the answer for `stop` (a time limit: its error); gives the note.
    async fn stop(&mut self, feed: &mut impl Feed, stop: Stop) -> Note {
        if let Stop::Timeout(error) = &stop {
            let _ = self.write(feed.fail(error)).await;
        }
        stop.note()
    }
}

/// One provider call: `body` to `url`, its stream fed to `feed` until it ends. `Err` carries a
/// note for the log (never a secret); the widget's stream then already says why.
pub(super) async fn drive(
    config: &Config,
    url: String,
    body: String,
    servers: &[&McpServer],
    secrets: &[String],
    out: &mut Out,
    feed: &mut impl Feed,
) -> Result<(), Note> {
    let mut request = Request::builder();
    request
        .method(Method::Post)
        .uri(url)
        .header("content-type", "application/json")
        .header("accept", "text/event-stream");
    if let Some(key) = &config.api_key {
        request.header("authorization", key.header_value());
    }
    let request = request.body(body).build();
    drive_request(request, servers, secrets, out, feed).await
}

/// [`drive`] for a request already built (e.g. a resume's `GET`).
pub(super) async fn drive_request(
    request: Request,
    servers: &[&McpServer],
    secrets: &[String],
    out: &mut Out,
    feed: &mut impl Feed,
) -> Result<(), Note> {
    out.deadlines.watch_idle(Instant::now());
    let res = stream(request, servers, secrets, out, feed).await;
    out.deadlines.unwatch_idle();
    match res {
        Ok(res) => res,
        Err(stop) => Err(out.stop(feed, stop).await),
    }
}

/// [`drive`]'s body: `Err` when a wait stopped, `Ok(Err)` when the provider failed.
async fn stream(
    request: Request,
    servers: &[&McpServer],
    secrets: &[String],
    out: &mut Out,
    feed: &mut impl Feed,
) -> Result<Result<(), Note>, Stop> {
    let upstream = match out.wait(send::<_, IncomingResponse>(request)).await? {
        Ok(upstream) => upstream,
        Err(_) => {
            out.write(feed.fail(&errors::transport_error())).await?;
            return Ok(Err("the provider could not be reached".to_owned()));
        }
    };
    // The answer's headers count as the provider's first sign of life.
    out.deadlines.heard(Instant::now());
    let status = upstream.status();
    if !(200..300).contains(&status) {
        let body = out.wait(pomerium_http::read_capped(&upstream)).await?;
        let secret_refs: Vec<&str> = secrets.iter().map(String::as_str).collect();
        let error = errors::status_error(status, &body.unwrap_or_default(), servers, &secret_refs);
        out.write(feed.fail(&error)).await?;
        return Ok(Err(format!(
            "the provider answered {status} ({:?})",
            error.code
        )));
    }
    let mut body = Box::pin(upstream.take_body_stream());
    let mut upstream_failed = false;
    loop {
        match out.wait(body.next()).await? {
            Some(Ok(chunk)) => {
                out.deadlines.heard(Instant::now());
                out.write(feed.push(&chunk)).await?;
                if feed.finished() {
                    return Ok(Ok(()));
                }
            }
            Some(Err(_)) => {
                upstream_failed = true;
                break;
            }
            None => break,
        }
    }
    // The feed says whether the stream was complete: nothing more, or an interruption.
    out.write(feed.finish(upstream_failed)).await?;
    Ok(Ok(()))
}
