//! What the provider driver feeds a stream into: hosted mode's [`Relay`], or one round of edge
//! mode ([`ToolRound`]: the provider's decoder and the tool loop).
//!
//! Each call returns the SSE text for the widget that the input produced, all of it: the
//! driver writes it in one write per upstream chunk. Whatever happens upstream, [`Feed::finish`]
//! and [`Feed::fail`] end the stream's part of the answer on purpose.

use protocol::{ApiError, StreamEvent, sse};

use crate::answer::relay::Relay;
use crate::answer::tool_loop::{ModelEvent, ToolLoop};
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
mod tests {
    use protocol::ErrorCode;

    use super::*;
    use crate::answer::tool_loop::Limits;
    use crate::config::Config;
    use crate::mcp::toolbox::Toolbox;

    fn events(text: &str) -> Vec<StreamEvent> {
        sse::Decoder::default()
            .push(text.as_bytes())
            .iter()
            .map(|f| StreamEvent::from_frame(f).unwrap())
            .collect()
    }

    fn config(provider: &'static str) -> Config {
        Config::from_lookup(move |k| (k == "provider").then(|| provider.to_owned()))
    }

    const RESPONSES: &str = "data: {\"type\":\"response.output_text.delta\",\"delta\":\"Hel\"}\n\n\
data: {\"type\":\"response.output_text.delta\",\"delta\":\"lo\"}\n\n";

    #[test]
    fn one_chunk_gives_all_its_events_in_one_piece_in_edge_mode() {
        let config = config("responses");
        let mut tool_loop = ToolLoop::new(Toolbox::default(), Limits::from_config(&config), vec![]);
        let mut round = ToolRound::new(StreamDecoder::new(&config, 0, vec![]), &mut tool_loop);
        let text = round.push(RESPONSES.as_bytes());
        assert_eq!(
            events(&text),
            [
                StreamEvent::TextDelta {
                    delta: "Hel".into()
                },
                StreamEvent::TextDelta { delta: "lo".into() }
            ]
        );
        assert!(!round.finished());
        let done =
            round.push(b"data: {\"type\":\"response.completed\",\"response\":{\"id\":\"r\"}}\n\n");
        assert!(
            round.finished() && round.finish(false).is_empty(),
            "{done:?}"
        );
    }

    #[test]
    fn a_stream_that_breaks_off_ends_with_one_interruption_in_both_modes() {
        let config = config("responses");
        let mut tool_loop = ToolLoop::new(Toolbox::default(), Limits::from_config(&config), vec![]);
        let mut round = ToolRound::new(StreamDecoder::new(&config, 0, vec![]), &mut tool_loop);
        let mut relay = Relay::new(vec![], 1 << 20);
        let feeds: [&mut dyn Feed; 2] = [&mut round, &mut relay];
        for feed in feeds {
            let mut text = feed.push(RESPONSES.as_bytes());
            text.push_str(&feed.finish(true));
            text.push_str(&feed.fail(&ApiError {
                code: ErrorCode::AnswerTimeout,
                message: "late".into(),
                retryable: true,
            }));
            let events = events(&text);
            let errors: Vec<ErrorCode> = events
                .iter()
                .filter_map(|e| match e {
                    StreamEvent::Error(e) => Some(e.code),
                    _ => None,
                })
                .collect();
            assert_eq!(errors, [ErrorCode::StreamInterrupted], "{events:?}");
            assert!(feed.finished());
        }
    }

    #[test]
    fn the_driver_failing_a_round_ends_the_answer_with_that_error() {
        let config = config("chat_completions");
        let mut tool_loop = ToolLoop::new(Toolbox::default(), Limits::from_config(&config), vec![]);
        let mut round = ToolRound::new(StreamDecoder::new(&config, 0, vec![]), &mut tool_loop);
        let idle = ApiError {
            code: ErrorCode::ProviderTimeout,
            message: "the model provider sent nothing for 30 s".into(),
            retryable: true,
        };
        assert_eq!(
            events(&round.fail(&idle)),
            [StreamEvent::Error(idle.clone())]
        );
        assert!(round.finished() && round.fail(&idle).is_empty());
        assert!(tool_loop.failed());
    }
}
