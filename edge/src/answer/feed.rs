//! What the provider driver feeds a stream into, for either tool mode: provider bytes in, the
//! widget's SSE out, through the one decoder of the provider's API and the tool loop.
//!
//! - [`Relay`]: hosted mode's whole answer. It is the tool loop that never gets a tool job: the
//!   Responses decoder yields model events, a hosted [`ToolLoop`] turns them into widget
//!   events, and the end of the provider's response is the end of the answer. The ids it hands
//!   out are sealed to the user.
//! - [`ToolRound`]: one model round of edge mode, feeding the answer's [`ToolLoop`] (the
//!   orchestration, `answer/orchestrate.rs`, runs the tool jobs between rounds).
//!
//! Neither holds I/O. Each call returns the SSE text for the widget that the input produced, all
//! of it: the driver writes it in one write per upstream chunk, so nothing is buffered beyond an
//! unfinished provider frame. Whatever happens upstream, [`Feed::finish`] and [`Feed::fail`] end
//! the stream's part of the answer on purpose (`done` or `error`).

use std::time::Instant;

use protocol::{ApiError, StreamEvent, sse};

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
}

impl Relay {
    /// A relay whose provider text is scrubbed of these secrets, reading provider lines and
    /// events of at most `max_event_bytes`.
    pub fn new(secrets: Vec<String>, max_event_bytes: usize) -> Self {
        Self {
            decoder: Decoder::new(secrets.clone(), max_event_bytes),
            tool_loop: ToolLoop::hosted(secrets),
            sealer: None,
        }
    }

    /// The same relay, sealing the ids it hands out to the browser (see [`Sealer`]).
    pub fn sealed_by(mut self, sealer: Sealer) -> Self {
        self.sealer = Some(sealer);
        self
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
        let mut events: Vec<StreamEvent> = self
            .decoder
            .push(chunk)
            .into_iter()
            .flat_map(|e| self.tool_loop.on_model_event(e))
            .collect();
        // The response completed: with no tool job, the round's end is the answer's.
        if self.decoder.finished()
            && let Step::End(end) = self.tool_loop.end_round()
        {
            events.extend(end);
        }
        self.send(events)
    }

    /// True once the answer has ended (`done` or `error` was produced).
    pub fn finished(&self) -> bool {
        self.decoder.finished() || self.tool_loop.failed()
    }

    /// Ends the stream: an `error` event if the provider stopped without a terminal event.
    pub fn finish(&mut self, upstream_failed: bool) -> String {
        if self.finished() {
            return String::new();
        }
        let events = self.tool_loop.fail(errors::interrupted(upstream_failed));
        self.send(events)
    }

    /// Ends the stream with `error` (e.g. the answer's time limit passed): what the scrubbers
    /// held, then the error; nothing when the stream already ended.
    pub fn abort(&mut self, error: &ApiError) -> String {
        if self.finished() {
            return String::new();
        }
        let events = self.tool_loop.fail(error.clone());
        self.send(events)
    }

    /// A stream that fails before any provider event: one `error` event.
    pub fn fail(error: &ApiError) -> String {
        sse::encode(&StreamEvent::Error(error.clone()))
    }

    /// `events` shown to the meter (one clock read: they arrived together), sealed, as SSE.
    fn send(&mut self, events: Vec<StreamEvent>) -> String {
        let now = Instant::now();
        let mut out = String::new();
        for mut event in events {
            self.tool_loop.meter().observe(&mut event, now);
            let event = match &self.sealer {
                Some(sealer) => sealer.seal_event(event),
                None => event,
            };
            out.push_str(&sse::encode(&event));
        }
        out
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
