//! Hosted mode's stream: provider bytes in, widget SSE bytes out, for an answer whose tools the
//! provider runs. It is the tool loop that never gets a tool job: the one Responses decoder
//! ([`Decoder`]) yields model events, and a hosted [`ToolLoop`] turns them into widget events.
//!
//! [`Relay`] holds no I/O. The component feeds it each chunk as it arrives and writes out what
//! it returns at once, so nothing is buffered beyond an unfinished provider frame. Whatever
//! happens upstream, [`Relay::finish`] makes sure the widget's stream ends with `done` or
//! `error`; the ids it hands out are sealed to the user.

use std::time::Instant;

use protocol::{ApiError, StreamEvent, sse};

use crate::answer::tool_loop::{Step, ToolLoop};
use crate::incoming::continuation::Sealer;
use crate::providers::errors;
use crate::providers::responses::Decoder;

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

#[cfg(test)]
mod golden;

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
