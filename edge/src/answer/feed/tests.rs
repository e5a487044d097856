//! The feeds natively: both modes' promises on chunks, interruptions and failures.

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

/// Hosted mode's relay.
mod relay {
    use protocol::ErrorCode;

    use crate::answer::feed::*;

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
mod properties {
    use protocol::ErrorCode;

    use super::relay::events;
    use crate::answer::feed::*;
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
