//! The chat stream from the edge's point of view: provider bytes in, widget SSE bytes out.
//!
//! [`Relay`] holds no I/O. The component feeds it each chunk as it arrives and writes out what
//! it returns at once, so nothing is buffered beyond an unfinished provider frame. Whatever
//! happens upstream, [`Relay::finish`] makes sure the widget's stream ends with `done` or
//! `error`.

use protocol::{ApiError, ErrorCode, StreamEvent, sse};

use crate::continuation::Sealer;
use crate::translate::Translator;

/// Translates one provider stream.
#[derive(Debug)]
pub struct Relay {
    decoder: sse::Decoder,
    translator: Translator,
    sealer: Option<Sealer>,
}

impl Relay {
    /// A relay whose provider text is scrubbed of these secrets.
    pub fn new(secrets: Vec<String>) -> Self {
        Self {
            decoder: sse::Decoder::default(),
            translator: Translator::new(secrets),
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
        let mut out = String::new();
        for frame in self.decoder.push(chunk) {
            for event in self.translator.translate(&frame.data) {
                let event = match &self.sealer {
                    Some(sealer) => sealer.seal_event(event),
                    None => event,
                };
                out.push_str(&sse::encode(&event));
            }
        }
        out
    }

    /// True once the answer has ended (`done` or `error` was produced).
    pub fn finished(&self) -> bool {
        self.translator.finished()
    }

    /// Ends the stream: an `error` event if the provider stopped without a terminal event.
    pub fn finish(&mut self, upstream_failed: bool) -> String {
        if self.finished() {
            return String::new();
        }
        let message = if upstream_failed {
            "the connection to the model provider broke before the answer was complete"
        } else {
            "the model provider's stream ended before the answer was complete"
        };
        Self::fail(&ApiError {
            code: ErrorCode::StreamInterrupted,
            message: message.to_owned(),
            retryable: true,
        })
    }

    /// A stream that fails before any provider event: one `error` event.
    pub fn fail(error: &ApiError) -> String {
        sse::encode(&StreamEvent::Error(error.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(sse_text: &str) -> Vec<StreamEvent> {
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
        let mut relay = Relay::new(vec![]);
        let split = UPSTREAM.find("\n\n").unwrap() + 1;
        assert_eq!(relay.on_chunk(&UPSTREAM.as_bytes()[..split]), "");
        let first = relay.on_chunk(&UPSTREAM.as_bytes()[split..split + 1]);
        assert_eq!(
            events(&first),
            vec![StreamEvent::TextDelta { delta: "Hi".into() }]
        );
        let rest = relay.on_chunk(&UPSTREAM.as_bytes()[split + 1..]);
        assert_eq!(
            events(&rest),
            vec![StreamEvent::Done {
                response_id: Some("resp_9".into())
            }]
        );
        assert_eq!(relay.finish(false), "");
    }

    #[test]
    fn stream_ends_with_error_when_upstream_stops_early() {
        let mut relay = Relay::new(vec![]);
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
    use super::*;

    /// xorshift64*: deterministic, good enough to pick cases.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

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
    ];

    #[test]
    fn every_stream_ends_with_exactly_one_terminal_event_and_no_secret() {
        for seed in 1..400u64 {
            let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15));
            let stream: String = (0..rng.below(12))
                .map(|_| FRAGMENTS[rng.below(FRAGMENTS.len())])
                .collect();
            let bytes = stream.as_bytes();
            let mut relay = Relay::new(vec!["secret-token-1".to_owned()]);
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
