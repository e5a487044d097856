//! The chat stream from the edge's point of view: provider bytes in, widget SSE bytes out.
//!
//! [`Relay`] holds no I/O. The component feeds it each chunk as it arrives and writes out what
//! it returns at once, so nothing is buffered beyond an unfinished provider frame. Whatever
//! happens upstream, [`Relay::finish`] makes sure the widget's stream ends with `done` or
//! `error`.

use std::time::Instant;

use protocol::{ApiError, StreamEvent, sse};

use crate::answer::meter::Meter;
use crate::answer::resume::{After, Marks};
use crate::incoming::continuation::Sealer;
use crate::providers::errors;
use crate::providers::translate::Translator;

/// Translates one provider stream.
#[derive(Debug)]
pub struct Relay {
    decoder: sse::Decoder,
    translator: Translator,
    /// The relay itself ended the stream (an upstream event past the size limit).
    failed: bool,
    sealer: Option<Sealer>,
    meter: Meter,
    /// A background answer's resume marks (`crate::answer::resume`).
    marks: Option<Marks>,
    /// The provider's stream broke and the marks allow resuming it: [`Relay::resume`].
    dropped: bool,
    max_event_bytes: usize,
}

impl Relay {
    /// A relay whose provider text is scrubbed of these secrets, reading provider lines and
    /// events of at most `max_event_bytes`.
    pub fn new(secrets: Vec<String>, max_event_bytes: usize) -> Self {
        Self {
            decoder: sse::Decoder::with_limit(max_event_bytes),
            translator: Translator::new(secrets),
            failed: false,
            sealer: None,
            meter: Meter::default(),
            marks: None,
            dropped: false,
            max_event_bytes,
        }
    }

    /// The same relay, marking its stream for resuming (see [`Marks`]).
    pub fn marked(mut self, marks: Marks) -> Self {
        self.marks = Some(marks);
        self
    }

    /// The same relay continuing the provider's response `id` (a resumed stream).
    pub fn continuing(mut self, id: &str) -> Self {
        self.translator = std::mem::take(&mut self.translator).continuing(id);
        self
    }

    /// After the provider's stream broke off ([`Relay::finish`] said nothing): the response id
    /// and the `starting_after` to resume it from, the relay reset to read the replay; `None`
    /// when it cannot be resumed (then [`Relay::finish`] ends the answer).
    pub fn resume(&mut self) -> Option<(String, u64)> {
        if !std::mem::take(&mut self.dropped) {
            return None;
        }
        let id = self.translator.response_id().map(str::to_owned);
        let marks = self.marks.as_mut()?;
        let after = id.as_ref().and_then(|_| marks.resume());
        let (Some(id), Some(after)) = (id, after) else {
            // Not resumable after all: the next finish ends the answer.
            marks.stop();
            return None;
        };
        let secrets = self.translator.secrets();
        self.decoder = sse::Decoder::with_limit(self.max_event_bytes);
        self.translator = Translator::new(secrets).continuing(&id);
        Some((id, after))
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
        let mut out = String::new();
        if self.finished() {
            return out;
        }
        // One clock read per chunk: its events arrived together.
        let now = Instant::now();
        for frame in self.decoder.push(chunk) {
            let mut events = Vec::new();
            for mut event in self.translator.translate(&frame.data) {
                self.meter.observe(&mut event, now);
                events.push(match &self.sealer {
                    Some(sealer) => sealer.seal_event(event),
                    None => event,
                });
            }
            match &mut self.marks {
                Some(marks) => out.push_str(&marks.event(events, &After::of(&self.translator))),
                None => events.iter().for_each(|e| out.push_str(&sse::encode(e))),
            }
        }
        if self.decoder.over_limit() && !self.finished() {
            self.failed = true;
            out.push_str(&self.released());
            out.push_str(&self.tails());
            out.push_str(&Self::fail(&errors::too_large_error()));
        }
        out
    }

    /// True once the answer has ended (`done` or `error` was produced).
    pub fn finished(&self) -> bool {
        self.failed || self.translator.finished()
    }

    /// What the scrubbers still held, as events.
    fn tails(&mut self) -> String {
        self.translator.flush().iter().map(sse::encode).collect()
    }

    /// What waits for a resume mark, unmarked (the answer ends on the relay's account).
    fn released(&mut self) -> String {
        self.marks.as_mut().map(Marks::release).unwrap_or_default()
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

    /// Ends the stream with `error` (e.g. the answer's time limit passed): what the scrubbers
    /// held, then the error; nothing when the stream already ended.
    pub fn abort(&mut self, error: &ApiError) -> String {
        if self.finished() {
            return String::new();
        }
        self.failed = true;
        let mut out = self.released();
        out.push_str(&self.tails());
        out.push_str(&Self::fail(error));
        out
    }

    /// A stream that fails before any provider event: one `error` event.
    pub fn fail(error: &ApiError) -> String {
        sse::encode(&StreamEvent::Error(error.clone()))
    }
}

#[cfg(test)]
mod tests {
    use protocol::ErrorCode;

    use super::*;

    pub(super) fn events(sse_text: &str) -> Vec<StreamEvent> {
        sse::Decoder::default()
            .push(sse_text.as_bytes())
            .iter()
            .map(|f| StreamEvent::from_frame(f).unwrap())
            .collect()
    }

    const UPSTREAM: &str = "event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"delta\":\"Hi\"}\n\n\
event: response.completed\ndata: {\"type\":\"response.completed\",\"response\":{\"id\":\"resp_9\"}}\n\n";

    #[test]
    fn each_frame_is_forwarded_as_soon_as_it_is_complete() {
        let mut relay = Relay::new(vec![], 1 << 20);
        let split = UPSTREAM.find("\n\n").unwrap() + 1;
        assert_eq!(relay.on_chunk(&UPSTREAM.as_bytes()[..split]), "");
        let first = relay.on_chunk(&UPSTREAM.as_bytes()[split..split + 1]);
        assert_eq!(
            events(&first),
            vec![StreamEvent::TextDelta { delta: "Hi".into() }]
        );
        let rest = relay.on_chunk(&UPSTREAM.as_bytes()[split + 1..]);
        match events(&rest).as_slice() {
            [
                StreamEvent::Done {
                    response_id: Some(id),
                    usage: Some(usage),
                },
            ] => {
                assert_eq!(id, "resp_9");
                assert!(usage.first_token_ms.is_some_and(|t| t <= usage.total_ms));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(relay.finish(false), "");
    }

    #[test]
    fn stream_ends_with_error_when_upstream_stops_early() {
        let mut relay = Relay::new(vec![], 1 << 20);
        relay.on_chunk(&UPSTREAM.as_bytes()[..UPSTREAM.find("\n\n").unwrap() + 2]);
        match events(&relay.finish(true)).as_slice() {
            [StreamEvent::Error(err)] => assert_eq!(
                (err.code, err.retryable),
                (ErrorCode::StreamInterrupted, true)
            ),
            other => panic!("{other:?}"),
        }
    }
}

/// Property tests: random provider streams, cut into random chunks, with a small deterministic
/// generator (no dependency), many seeds.
#[cfg(test)]
mod properties {
    use protocol::ErrorCode;

    use super::tests::events;
    use super::*;
    use crate::redact::tests::Rng;

    const FRAGMENTS: &[&str] = &[
        "event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"delta\":\"é🚀\"}\n\n",
        "data: {\"type\":\"response.output_item.added\",\"item\":{\"id\":\"mcp_1\",\"type\":\"mcp_call\",\"name\":\"q\",\"server_label\":\"s\"}}\r\n\r\n",
        "data: {\"type\":\"response.mcp_call_arguments.delta\",\"item_id\":\"mcp_1\",\"delta\":\"{\\\"a\\\":\"}\n\n",
        "data: {\"type\":\"response.output_item.done\",\"item\":{\"id\":\"mcp_1\",\"type\":\"mcp_call\",\"error\":{\"message\":\"boom\"}}}\n\n",
        ": keep-alive\n\n",
        "data: not json at all\n\n",
        "data: {\"type\":\"response.unknown\"}\n\n",
        "event: error\ndata: {\"type\":\"error\",\"code\":\"server_error\",\"message\":\"x\"}\n\n",
        "data: {\"type\":\"response.completed\",\"response\":{\"id\":\"r\"}}\n\n",
        "garbage line without colon\n",
        "data: {\"type\":\"response.output_text.delta\",\"delta\":\"secret-token-1\"}\n\n",
        "data: {\"type\":\"response.output_text.delta\",\"delta\":\"secret-to\"}\n\n",
        "data: {\"type\":\"response.output_text.delta\",\"delta\":\"ken-1\"}\n\n",
        "data: {\"type\":\"response.reasoning_summary_text.delta\",\"delta\":\"secr\"}\n\n",
        "data: {\"type\":\"response.reasoning_summary_text.delta\",\"delta\":\"et-token-1\"}\n\n",
        "data: {\"type\":\"response.mcp_call_arguments.delta\",\"item_id\":\"mcp_1\",\"delta\":\"secret-t\"}\n\n",
        "data: {\"type\":\"response.mcp_call_arguments.delta\",\"item_id\":\"mcp_1\",\"delta\":\"oken-1\"}\n\n",
    ];

    /// One provider event per fragment of `text`, cut at `cuts`.
    fn text_deltas(kind: &str, text: &str, cuts: &[usize]) -> String {
        let mut bounds = vec![0];
        bounds.extend_from_slice(cuts);
        bounds.push(text.len());
        bounds
            .windows(2)
            .map(|w| {
                let data = serde_json::json!({"type": kind, "item_id": "mcp_1", "delta": &text[w[0]..w[1]]});
                format!("data: {data}\n\n")
            })
            .collect()
    }

    #[test]
    fn a_secret_split_across_deltas_never_reaches_the_widget() {
        const SECRET: &str = "secret-token-1";
        let text = format!("the key is {SECRET}!");
        for kind in [
            "response.output_text.delta",
            "response.reasoning_summary_text.delta",
            "response.mcp_call_arguments.delta",
        ] {
            for cut in 1..text.len() {
                for second in [cut, (cut + 3).min(text.len() - 1)] {
                    let cuts: Vec<usize> = if second > cut {
                        vec![cut, second]
                    } else {
                        vec![cut]
                    };
                    let mut relay = Relay::new(vec![SECRET.to_owned()], 1 << 20);
                    let mut out = relay.on_chunk(text_deltas(kind, &text, &cuts).as_bytes());
                    let done =
                        "data: {\"type\":\"response.completed\",\"response\":{\"id\":\"r\"}}\n\n";
                    out.push_str(&relay.on_chunk(done.as_bytes()));
                    out.push_str(&relay.finish(false));
                    assert!(!out.contains(SECRET), "{kind} cut at {cuts:?}: {out}");
                    let joined: String = events(&out)
                        .iter()
                        .filter_map(|e| match e {
                            StreamEvent::TextDelta { delta }
                            | StreamEvent::ReasoningDelta { delta }
                            | StreamEvent::ToolCallArgumentsDelta { delta, .. } => {
                                Some(delta.clone())
                            }
                            _ => None,
                        })
                        .collect();
                    assert_eq!(joined, "the key is [redacted]!", "{kind} cut at {cuts:?}");
                }
            }
        }
    }

    #[test]
    fn an_oversized_provider_event_ends_the_stream_with_a_code() {
        let mut relay = Relay::new(vec![], 1000);
        let mut out =
            relay.on_chunk(b"data: {\"type\":\"response.output_text.delta\",\"delta\":\"ok\"}\n\n");
        let huge = format!("data: {}", "x".repeat(600));
        for _ in 0..10 {
            out.push_str(&relay.on_chunk(huge.as_bytes()));
        }
        out.push_str(&relay.finish(false));
        let events = events(&out);
        assert_eq!(
            events.iter().filter(|e| e.is_terminal()).count(),
            1,
            "{events:?}"
        );
        match events.last() {
            Some(StreamEvent::Error(e)) => assert_eq!(e.code, ErrorCode::UpstreamTooLarge),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn every_stream_ends_with_exactly_one_terminal_event_and_no_secret() {
        for seed in 1..400u64 {
            let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15));
            let stream: String = (0..rng.below(12))
                .map(|_| FRAGMENTS[rng.below(FRAGMENTS.len())])
                .collect();
            let bytes = stream.as_bytes();
            let mut relay = Relay::new(vec!["secret-token-1".to_owned()], 1 << 20);
            let mut out = String::new();
            let mut at = 0;
            while at < bytes.len() {
                let n = 1 + rng.below(40).min(bytes.len() - at - 1);
                out.push_str(&relay.on_chunk(&bytes[at..at + n]));
                at += n;
            }
            out.push_str(&relay.finish(rng.below(2) == 0));
            let events: Vec<StreamEvent> = sse::Decoder::default()
                .push(out.as_bytes())
                .iter()
                .map(|f| StreamEvent::from_frame(f).expect("the relay writes valid events"))
                .collect();
            let terminals = events.iter().filter(|e| e.is_terminal()).count();
            assert_eq!(terminals, 1, "seed {seed}: {events:?}");
            assert!(
                events.last().is_some_and(StreamEvent::is_terminal),
                "seed {seed}: {events:?}"
            );
            assert!(
                !out.contains("secret-token-1"),
                "seed {seed}: a secret passed through"
            );
        }
    }
}
