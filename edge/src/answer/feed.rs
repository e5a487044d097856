//! What the provider driver feeds a stream into, for either tool mode: provider bytes in, the
//! widget's SSE out, through the one decoder of the provider's API and the tool loop.
//!
//! - [`Relay`]: hosted mode's whole answer. It is the tool loop that never gets a tool job: the
//!   Responses decoder yields model events, a hosted [`ToolLoop`] turns them into widget
//!   events, and the end of the provider's response is the end of the answer. The ids it hands
//!   out are sealed to the user. A background answer's stream is marked for resuming
//!   (`answer/resume.rs`): whole groups of events at points where nothing is held back.
//! - [`ToolRound`]: one model round of edge mode, feeding the answer's [`ToolLoop`] (the
//!   orchestration, `answer/orchestrate.rs`, runs the tool jobs between rounds).
//!
//! Neither holds I/O. Each call returns the SSE text for the widget that the input produced, all
//! of it: the driver writes it in one write per upstream chunk, so nothing is buffered beyond an
//! unfinished provider frame. Whatever happens upstream, [`Feed::finish`] and [`Feed::fail`] end
//! the stream's part of the answer on purpose (`done` or `error`).

use std::time::Instant;

use protocol::{ApiError, StreamEvent, sse};

use crate::answer::resume::{After, Marks};
use crate::answer::tool_loop::{ModelEvent, Step, ToolLoop};
use crate::incoming::continuation::Sealer;
use crate::providers::errors;
use crate::providers::responses::Decoder;
use crate::providers::tools::StreamDecoder;

/// A provider stream's consumer.
pub trait Feed {
    /// One chunk of the provider's body in; the widget's bytes out (maybe none).
    fn push(&mut self, chunk: &[u8]) -> String;
    /// True once the stream said its last word (or failed): the driver stops reading.
    fn finished(&self) -> bool;
    /// The body ended (`upstream_failed`: it broke): what is still owed, e.g. an interruption.
    fn finish(&mut self, upstream_failed: bool) -> String;
    /// The driver ends the stream with `error` (transport, status, timeouts).
    fn fail(&mut self, error: &ApiError) -> String;
}

impl Feed for Relay {
    fn push(&mut self, chunk: &[u8]) -> String {
        self.on_chunk(chunk)
    }

    fn finished(&self) -> bool {
        Relay::finished(self)
    }

    fn finish(&mut self, upstream_failed: bool) -> String {
        Relay::finish(self, upstream_failed)
    }

    fn fail(&mut self, error: &ApiError) -> String {
        self.abort(error)
    }
}

/// One hosted answer's stream.
#[derive(Debug)]
pub struct Relay {
    decoder: Decoder,
    tool_loop: ToolLoop,
    sealer: Option<Sealer>,
    /// A background answer's resume marks (`crate::answer::resume`).
    marks: Option<Marks>,
    /// The provider's stream broke and the marks allow resuming it: [`Relay::resume`].
    dropped: bool,
    secrets: Vec<String>,
    max_event_bytes: usize,
}

impl Relay {
    /// A relay whose provider text is scrubbed of these secrets, reading provider lines and
    /// events of at most `max_event_bytes`.
    pub fn new(secrets: Vec<String>, max_event_bytes: usize) -> Self {
        Self {
            decoder: Decoder::new(secrets.clone(), max_event_bytes),
            tool_loop: ToolLoop::hosted(secrets.clone()),
            sealer: None,
            marks: None,
            dropped: false,
            secrets,
            max_event_bytes,
        }
    }

    /// The same relay, sealing the ids it hands out to the browser (see [`Sealer`]).
    pub fn sealed_by(mut self, sealer: Sealer) -> Self {
        self.sealer = Some(sealer);
        self
    }

    /// The same relay, marking its stream for resuming (see [`Marks`]).
    pub fn marked(mut self, marks: Marks) -> Self {
        self.marks = Some(marks);
        self
    }

    /// The same relay continuing the provider's response `id` (a resumed stream).
    pub fn continuing(mut self, id: &str) -> Self {
        self.tool_loop.continuing(id);
        self
    }

    /// After the provider's stream broke off ([`Relay::finish`] said nothing): the response id
    /// and the `starting_after` to resume it from, the relay reset to read the replay (the
    /// answer's meter kept); `None` when it cannot be resumed (then [`Relay::finish`] ends the
    /// answer).
    pub fn resume(&mut self) -> Option<(String, u64)> {
        if !std::mem::take(&mut self.dropped) {
            return None;
        }
        let id = self.tool_loop.response_id().map(str::to_owned);
        let marks = self.marks.as_mut()?;
        let after = id.as_ref().and_then(|_| marks.resume());
        let (Some(id), Some(after)) = (id, after) else {
            // Not resumable after all: the next finish ends the answer.
            marks.stop();
            return None;
        };
        self.decoder = Decoder::new(self.secrets.clone(), self.max_event_bytes);
        let meter = std::mem::take(self.tool_loop.meter());
        self.tool_loop = ToolLoop::hosted(self.secrets.clone());
        self.tool_loop.continuing(&id);
        *self.tool_loop.meter() = meter;
        Some((id, after))
    }

    /// The first bytes of every stream: the `started` event.
    pub fn start(request_id: &str) -> String {
        sse::encode(&StreamEvent::Started {
            request_id: request_id.to_owned(),
        })
    }

    /// Feeds one chunk of the provider's body; returns the SSE bytes to send now (maybe none).
    pub fn on_chunk(&mut self, chunk: &[u8]) -> String {
        if self.finished() {
            return String::new();
        }
        // One clock read per chunk: its events arrived together.
        let now = Instant::now();
        let mut out = String::new();
        for (model_events, sequence) in self.decoder.push_each(chunk) {
            let mut events: Vec<StreamEvent> = model_events
                .into_iter()
                .flat_map(|e| self.tool_loop.on_model_event(e))
                .collect();
            // The response completed: with no tool job, the round's end is the answer's.
            if self.decoder.finished()
                && let Step::End(end) = self.tool_loop.end_round()
            {
                events.extend(end);
            }
            let events = self.prepared(events, now);
            let after = After {
                sequence,
                holds_nothing: self.tool_loop.holds_nothing(),
                response_id: self.tool_loop.response_id(),
            };
            let ends = events.iter().any(StreamEvent::is_terminal);
            match &mut self.marks {
                Some(marks) => {
                    out.push_str(&marks.event(events, &after));
                    if ends {
                        // The answer ends here: nothing may wait for a mark any more.
                        out.push_str(&marks.release());
                    }
                }
                None => out.push_str(&encode(&events)),
            }
        }
        out
    }

    /// True once the answer has ended (`done` or `error` was produced).
    pub fn finished(&self) -> bool {
        self.decoder.finished() || self.tool_loop.failed()
    }

    /// Ends the stream: an `error` event if the provider stopped without a terminal event,
    /// unless the marks allow resuming it ([`Relay::resume`]).
    pub fn finish(&mut self, upstream_failed: bool) -> String {
        if self.finished() {
            return String::new();
        }
        if self.marks.as_ref().is_some_and(Marks::can_resume) {
            self.dropped = true;
            return String::new();
        }
        self.abort(&errors::interrupted(upstream_failed))
    }

    /// Ends the stream with `error` (e.g. the answer's time limit passed): what waited for a
    /// resume mark and what the scrubbers held, then the error; nothing when the stream already
    /// ended.
    pub fn abort(&mut self, error: &ApiError) -> String {
        if self.finished() {
            return String::new();
        }
        let mut out = self.marks.as_mut().map(Marks::release).unwrap_or_default();
        let events = self.tool_loop.fail(error.clone());
        let events = self.prepared(events, Instant::now());
        out.push_str(&encode(&events));
        out
    }

    /// A stream that fails before any provider event: one `error` event.
    pub fn fail(error: &ApiError) -> String {
        sse::encode(&StreamEvent::Error(error.clone()))
    }

    /// `events` shown to the meter (one clock read: they arrived together), and sealed.
    fn prepared(&mut self, events: Vec<StreamEvent>, now: Instant) -> Vec<StreamEvent> {
        events
            .into_iter()
            .map(|mut event| {
                self.tool_loop.meter().observe(&mut event, now);
                match &self.sealer {
                    Some(sealer) => sealer.seal_event(event),
                    None => event,
                }
            })
            .collect()
    }
}

/// One model round of edge mode: provider bytes to model events, through the tool loop, to
/// protocol events. No protocol event is read back.
#[derive(Debug)]
pub struct ToolRound<'a> {
    decoder: StreamDecoder,
    tool_loop: &'a mut ToolLoop,
}

impl<'a> ToolRound<'a> {
    /// The round `decoder` reads, feeding `tool_loop`.
    pub fn new(decoder: StreamDecoder, tool_loop: &'a mut ToolLoop) -> Self {
        Self { decoder, tool_loop }
    }

    fn feed(&mut self, events: Vec<ModelEvent>) -> String {
        let mut out: Vec<StreamEvent> = events
            .into_iter()
            .flat_map(|e| self.tool_loop.on_model_event(e))
            .collect();
        self.tool_loop.meter().observe_all(&mut out);
        encode(&out)
    }
}

impl Feed for ToolRound<'_> {
    fn push(&mut self, chunk: &[u8]) -> String {
        let events = self.decoder.push(chunk);
        self.feed(events)
    }

    fn finished(&self) -> bool {
        self.decoder.finished() || self.tool_loop.failed()
    }

    fn finish(&mut self, upstream_failed: bool) -> String {
        let events = self.decoder.finish(upstream_failed);
        self.feed(events)
    }

    fn fail(&mut self, error: &ApiError) -> String {
        let events = self.tool_loop.fail(error.clone());
        metered(self.tool_loop, events)
    }
}

/// Events of `tool_loop`'s answer as SSE text, in one piece, shown to its meter on the way.
pub fn metered(tool_loop: &mut ToolLoop, mut events: Vec<StreamEvent>) -> String {
    tool_loop.meter().observe_all(&mut events);
    encode(&events)
}

/// Events as SSE text, in one piece.
pub fn encode(events: &[StreamEvent]) -> String {
    events.iter().map(sse::encode).collect()
}

#[cfg(test)]
mod golden;
#[cfg(test)]
mod tests;
