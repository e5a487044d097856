//! Tests of the tool loop state machine: rounds, bounds, and the events the widget sees.

use protocol::{ErrorCode, StreamEvent};
use serde_json::json;

use crate::answer::tool_loop::{Limits, ModelEvent, Step, ToolJob, ToolLoop, cut};
use crate::config::Approval;
use crate::mcp::client::{ToolDef, ToolHints};
use crate::mcp::toolbox::Toolbox;

fn toolbox() -> Toolbox {
    crate::mcp::toolbox::northwind_with("read_query", "SQL")
}

fn limits(max_rounds: usize) -> Limits {
    Limits {
        max_rounds,
        max_result_bytes: 64,
        max_calls_per_round: 8,
        max_calls: 100,
        max_output_bytes: 100_000,
        max_argument_bytes: 10_000,
    }
}

fn call_round(tool_loop: &mut ToolLoop, call_id: &str, name: &str) -> Vec<StreamEvent> {
    let mut events = tool_loop.on_model_event(ModelEvent::CallStarted {
        key: "0".into(),
        call_id: call_id.into(),
        name: name.into(),
    });
    events.extend(tool_loop.on_model_event(ModelEvent::CallArguments {
        key: "0".into(),
        delta: "{\"query\":".into(),
    }));
    events.extend(tool_loop.on_model_event(ModelEvent::CallArguments {
        key: "0".into(),
        delta: "\"SELECT 1\"}".into(),
    }));
    events.extend(tool_loop.on_model_event(ModelEvent::Finished));
    events
}

#[test]
fn a_call_then_an_answer() {
    let mut tool_loop = ToolLoop::new(toolbox(), limits(8), vec!["pom_mat_te".into()]);
    let events = call_round(&mut tool_loop, "call_1", "northwind__read_query");
    assert_eq!(
        events,
        vec![
            StreamEvent::ToolCallStarted {
                call_id: "call_1".into(),
                server: "northwind".into(),
                tool: "read_query".into()
            },
            StreamEvent::ToolCallArgumentsDelta {
                call_id: "call_1".into(),
                delta: "{\"query\":".into()
            },
            StreamEvent::ToolCallArgumentsDelta {
                call_id: "call_1".into(),
                delta: "\"SELECT 1\"}".into()
            },
        ]
    );
    let Step::RunTools { events, jobs, .. } = tool_loop.end_round() else {
        panic!("tools should run");
    };
    assert!(events.is_empty());
    assert_eq!(
        jobs,
        vec![ToolJob {
            call_id: "call_1".into(),
            server: "northwind".into(),
            tool: "read_query".into(),
            arguments: "{\"query\":\"SELECT 1\"}".into()
        }]
    );
    let result = tool_loop.on_tool_result("call_1", Ok("rows for pom_mat_te".into()));
    assert_eq!(
        result,
        vec![StreamEvent::ToolCallResult {
            call_id: "call_1".into(),
            output: "rows for [redacted]".into(),
            parts: Vec::new(),
        }]
    );
    tool_loop.next_round();
    assert_eq!(tool_loop.history().len(), 1);
    assert_eq!(
        tool_loop.history()[0].calls[0].output.as_deref(),
        Some("rows for [redacted]")
    );
    let text = tool_loop.on_model_event(ModelEvent::Text("Sales: 1".into()));
    assert_eq!(
        text,
        vec![StreamEvent::TextDelta {
            delta: "Sales: 1".into()
        }]
    );
    assert_eq!(
        tool_loop.end_round(),
        Step::End(vec![StreamEvent::Done {
            response_id: None,
            usage: None
        }])
    );
}

#[test]
fn a_model_that_keeps_calling_stops_at_the_limit() {
    let mut tool_loop = ToolLoop::new(toolbox(), limits(2), vec![]);
    for round in 0..2 {
        call_round(
            &mut tool_loop,
            &format!("call_{round}"),
            "northwind__read_query",
        );
        let Step::RunTools { jobs, .. } = tool_loop.end_round() else {
            panic!("round {round} should run tools");
        };
        for job in jobs {
            tool_loop.on_tool_result(&job.call_id, Err("busy".into()));
        }
        tool_loop.next_round();
    }
    call_round(&mut tool_loop, "call_2", "northwind__read_query");
    match tool_loop.end_round() {
        Step::End(events) => match events.as_slice() {
            [StreamEvent::Error(e)] => {
                assert_eq!(e.code, ErrorCode::ToolRoundsExceeded);
                assert!(e.message.contains('2'), "{}", e.message);
            }
            other => panic!("{other:?}"),
        },
        other => panic!("{other:?}"),
    }
    assert_eq!(
        tool_loop.history()[0].calls[0].output.as_deref(),
        Some("error: busy")
    );
}

#[test]
fn unknown_functions_fail_without_a_job_and_failures_end_the_answer() {
    let mut tool_loop = ToolLoop::new(toolbox(), limits(8), vec![]);
    let events = call_round(&mut tool_loop, "call_9", "rm_rf");
    assert!(
        matches!(&events[0], StreamEvent::ToolCallStarted { server, tool, .. } if server.is_empty() && tool == "rm_rf")
    );
    match tool_loop.end_round() {
        Step::RunTools { events, jobs, .. } => {
            assert!(jobs.is_empty());
            assert!(
                matches!(&events[..], [StreamEvent::ToolCallFailed { call_id, .. }] if call_id == "call_9")
            );
        }
        other => panic!("{other:?}"),
    }
    tool_loop.next_round();
    let failure = protocol::ApiError {
        code: ErrorCode::ProviderError,
        message: "boom".into(),
        retryable: false,
    };
    assert_eq!(
        tool_loop.on_model_event(ModelEvent::Failed(failure.clone())),
        vec![StreamEvent::Error(failure)]
    );
    assert!(
        tool_loop
            .on_model_event(ModelEvent::Text("late".into()))
            .is_empty()
    );
    assert_eq!(tool_loop.end_round(), Step::End(vec![]));
}

#[test]
fn huge_results_are_cut_with_a_note() {
    assert_eq!(cut("short", 10), "short");
    let long = "é".repeat(100);
    let res = cut(&long, 51);
    assert!(res.starts_with(&"é".repeat(25)));
    assert!(
        res.ends_with("[result cut by the edge: 50 of 200 bytes shown]"),
        "{res}"
    );
    let mut tool_loop = ToolLoop::new(toolbox(), limits(8), vec![]);
    call_round(&mut tool_loop, "call_1", "northwind__read_query");
    tool_loop.end_round();
    let events = tool_loop.on_tool_result("call_1", Ok("x".repeat(1000)));
    match events.as_slice() {
        [StreamEvent::ToolCallResult { output, .. }] => {
            assert!(
                output.len() < 200 && output.contains("of 1000 bytes shown"),
                "{output}"
            );
        }
        other => panic!("{other:?}"),
    }
}

fn start(tool_loop: &mut ToolLoop, key: &str, name: &str) -> Vec<StreamEvent> {
    tool_loop.on_model_event(ModelEvent::CallStarted {
        key: key.into(),
        call_id: format!("call_{key}"),
        name: name.into(),
    })
}

fn last_error(events: &[StreamEvent]) -> ErrorCode {
    match events.last() {
        Some(StreamEvent::Error(e)) => e.code,
        other => panic!("no error: {other:?}"),
    }
}

#[test]
fn too_many_calls_in_one_round_end_the_answer() {
    let mut bounded = limits(8);
    bounded.max_calls_per_round = 3;
    let mut tool_loop = ToolLoop::new(toolbox(), bounded, vec![]);
    let mut events = Vec::new();
    for n in 0..500 {
        events.extend(start(
            &mut tool_loop,
            &n.to_string(),
            "northwind__read_query",
        ));
    }
    assert_eq!(last_error(&events), ErrorCode::ToolCallsPerRoundExceeded);
    assert_eq!(events.iter().filter(|e| e.is_terminal()).count(), 1);
    assert_eq!(tool_loop.rounds()[0].calls.len(), 3);
    assert_eq!(tool_loop.end_round(), Step::End(vec![]));
}

#[test]
fn too_many_calls_in_one_answer_end_it() {
    let mut bounded = limits(100);
    bounded.max_calls = 4;
    let mut tool_loop = ToolLoop::new(toolbox(), bounded, vec![]);
    let mut events = Vec::new();
    for round in 0..10 {
        events.extend(start(&mut tool_loop, "a", "northwind__read_query"));
        events.extend(start(&mut tool_loop, "b", "northwind__read_query"));
        match tool_loop.end_round() {
            Step::RunTools { jobs, .. } => {
                for job in jobs {
                    events.extend(tool_loop.on_tool_result(&job.call_id, Ok("ok".into())));
                }
                tool_loop.next_round();
            }
            Step::End(end) => {
                events.extend(end);
                assert_eq!(round, 2, "the third round's first call is the fifth");
                break;
            }
        }
    }
    assert_eq!(last_error(&events), ErrorCode::ToolCallsExceeded);
    assert_eq!(events.iter().filter(|e| e.is_terminal()).count(), 1);
}

#[test]
fn too_much_tool_output_ends_the_answer() {
    let mut bounded = limits(100);
    bounded.max_output_bytes = 150;
    let mut tool_loop = ToolLoop::new(toolbox(), bounded, vec![]);
    let mut events = Vec::new();
    for round in 0..10 {
        start(&mut tool_loop, "a", "northwind__read_query");
        let Step::RunTools { jobs, .. } = tool_loop.end_round() else {
            panic!("round {round} ended");
        };
        for job in jobs {
            events.extend(tool_loop.on_tool_result(&job.call_id, Ok("y".repeat(60))));
        }
        if tool_loop.failed() {
            break;
        }
        tool_loop.next_round();
    }
    assert_eq!(last_error(&events), ErrorCode::ToolOutputExceeded);
    assert_eq!(
        events
            .iter()
            .filter(|e| matches!(e, StreamEvent::ToolCallResult { .. }))
            .count(),
        3
    );
    assert!(
        tool_loop
            .on_tool_result("call_a", Ok("late".into()))
            .is_empty()
    );
}

#[test]
fn endless_arguments_end_the_answer() {
    let mut bounded = limits(8);
    bounded.max_argument_bytes = 1000;
    let mut tool_loop = ToolLoop::new(toolbox(), bounded, vec![]);
    start(&mut tool_loop, "0", "northwind__read_query");
    let mut events = Vec::new();
    for _ in 0..1000 {
        events.extend(tool_loop.on_model_event(ModelEvent::CallArguments {
            key: "0".into(),
            delta: "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".into(),
        }));
    }
    assert_eq!(last_error(&events), ErrorCode::ToolArgumentsTooLarge);
    assert!(tool_loop.rounds()[0].calls[0].arguments.len() <= 1000);
    let whole = ModelEvent::CallArgumentsDone {
        key: "0".into(),
        arguments: "x".repeat(5000),
    };
    let mut fresh = ToolLoop::new(toolbox(), bounded, vec![]);
    start(&mut fresh, "0", "northwind__read_query");
    assert_eq!(
        last_error(&fresh.on_model_event(whole)),
        ErrorCode::ToolArgumentsTooLarge
    );
}

/// Feeds `text` as fragments cut at `cuts`, through `make`.
fn fragments(text: &str, cuts: &[usize], make: impl Fn(String) -> ModelEvent) -> Vec<ModelEvent> {
    let mut bounds = vec![0];
    bounds.extend_from_slice(cuts);
    bounds.push(text.len());
    bounds
        .windows(2)
        .map(|w| make(text[w[0]..w[1]].to_owned()))
        .collect()
}

#[test]
fn a_secret_split_across_fragments_reaches_neither_the_widget_nor_the_history() {
    const TE: &str = "pom_mat_te_0123456789";
    let text = format!("token {TE} end");
    let mut rng = crate::redact::tests::Rng(7);
    for cut in 1..text.len() {
        let mut cuts = vec![cut];
        for _ in 0..rng.below(4) {
            cuts.push(1 + rng.below(text.len() - 1));
        }
        cuts.sort_unstable();
        cuts.dedup();
        let mut tool_loop = ToolLoop::new(toolbox(), limits(8), vec![TE.into()]);
        let mut events = Vec::new();
        let mut model = fragments(&text, &cuts, ModelEvent::Reasoning);
        model.extend(fragments(&text, &cuts, ModelEvent::Text));
        model.push(ModelEvent::CallStarted {
            key: "0".into(),
            call_id: "c".into(),
            name: "northwind__read_query".into(),
        });
        model.extend(fragments(&text, &cuts, |delta| ModelEvent::CallArguments {
            key: "0".into(),
            delta,
        }));
        for event in model {
            events.extend(tool_loop.on_model_event(event));
        }
        let Step::RunTools {
            events: tail, jobs, ..
        } = tool_loop.end_round()
        else {
            panic!("cut {cuts:?}");
        };
        events.extend(tail);
        let shown = format!("{events:?}");
        assert!(!shown.contains(TE), "cut {cuts:?}: {shown}");
        assert_eq!(jobs[0].arguments, "token [redacted] end", "cut {cuts:?}");
        assert_eq!(tool_loop.rounds()[0].text, "token [redacted] end");
        let joined = |pick: fn(&StreamEvent) -> Option<&str>| -> String {
            events.iter().filter_map(pick).collect()
        };
        assert_eq!(
            joined(|e| match e {
                StreamEvent::TextDelta { delta } => Some(delta),
                _ => None,
            }),
            "token [redacted] end"
        );
        assert_eq!(
            joined(|e| match e {
                StreamEvent::ReasoningDelta { delta } => Some(delta),
                _ => None,
            }),
            "token [redacted] end"
        );
    }
}

#[test]
fn a_failure_releases_the_held_text_before_the_error() {
    let mut tool_loop = ToolLoop::new(toolbox(), limits(8), vec!["pom_mat_secret".into()]);
    assert!(
        tool_loop
            .on_model_event(ModelEvent::Text("pom_mat".into()))
            .is_empty()
    );
    let failure = protocol::ApiError {
        code: ErrorCode::ProviderError,
        message: "boom".into(),
        retryable: false,
    };
    assert_eq!(
        tool_loop.on_model_event(ModelEvent::Failed(failure.clone())),
        vec![
            StreamEvent::TextDelta {
                delta: "pom_mat".into()
            },
            StreamEvent::Error(failure)
        ]
    );
}

fn approval_toolbox() -> Toolbox {
    let tool = |name: &str, read_only: bool| ToolDef {
        name: name.into(),
        description: name.into(),
        input_schema: json!({"type":"object"}),
        hints: ToolHints {
            read_only: Some(read_only),
            ..ToolHints::default()
        },
    };
    let mut toolbox = Toolbox::default();
    toolbox.add_server(
        "crm",
        &[tool("find", true), tool("delete", false)],
        Approval::Annotations,
    );
    toolbox
}

#[test]
fn a_call_that_needs_approval_waits_silently_then_resumes() {
    let mut tool_loop = ToolLoop::new(approval_toolbox(), limits(8), vec![]);
    let mut events = start(&mut tool_loop, "1", "crm__find");
    events.extend(start(&mut tool_loop, "2", "crm__delete"));
    events.extend(tool_loop.on_model_event(ModelEvent::CallArguments {
        key: "2".into(),
        delta: "{\"id\":7}".into(),
    }));
    assert_eq!(
        events,
        vec![StreamEvent::ToolCallStarted {
            call_id: "call_1".into(),
            server: "crm".into(),
            tool: "find".into()
        }],
        "the waiting call is not announced while it streams"
    );
    let Step::RunTools {
        events,
        jobs,
        waiting,
    } = tool_loop.end_round()
    else {
        panic!("tools should run");
    };
    assert_eq!(jobs.len(), 1);
    assert_eq!(
        events,
        vec![StreamEvent::ApprovalRequest {
            approval_request_id: "call_2".into(),
            server: "crm".into(),
            tool: "delete".into(),
            arguments: "{\"id\":7}".into()
        }]
    );
    tool_loop.on_tool_result("call_1", Ok("found".into()));
    let paused = tool_loop.pause(waiting);
    let decide = |approve: bool| {
        vec![protocol::ApprovalDecision {
            approval_request_id: "call_2".into(),
            approve,
        }]
    };
    // Approved: announced, then run.
    let (resumed, jobs, events) = ToolLoop::resume(
        approval_toolbox(),
        limits(8),
        vec![],
        paused.clone(),
        &decide(true),
    )
    .unwrap();
    assert_eq!(jobs[0].tool, "delete");
    assert!(matches!(
        &events[..],
        [
            StreamEvent::ToolCallStarted { .. },
            StreamEvent::ToolCallArgumentsDelta { .. }
        ]
    ));
    assert_eq!(
        resumed.rounds()[0].calls[0].output.as_deref(),
        Some("found")
    );
    // Denied: no job; the model is told.
    let (resumed, jobs, events) = ToolLoop::resume(
        approval_toolbox(),
        limits(8),
        vec![],
        paused.clone(),
        &decide(false),
    )
    .unwrap();
    assert!(jobs.is_empty() && events.is_empty());
    assert_eq!(
        resumed.rounds()[0].calls[1].output.as_deref(),
        Some("error: the user denied this call")
    );
    // Decisions that do not answer exactly the waiting calls are refused.
    for decisions in [
        vec![],
        [decide(true), decide(true)].concat(),
        vec![protocol::ApprovalDecision {
            approval_request_id: "call_1".into(),
            approve: true,
        }],
    ] {
        assert!(
            ToolLoop::resume(
                approval_toolbox(),
                limits(8),
                vec![],
                paused.clone(),
                &decisions
            )
            .is_err()
        );
    }
    // A tool no longer offered fails instead of running.
    let (_, jobs, events) =
        ToolLoop::resume(toolbox(), limits(8), vec![], paused, &decide(true)).unwrap();
    assert!(jobs.is_empty());
    assert!(matches!(&events[..], [StreamEvent::ToolCallFailed { .. }]));
}

#[test]
fn usage_is_the_last_word_of_each_round_summed_over_the_rounds() {
    let tokens = |input, output| protocol::Usage {
        input_tokens: input,
        output_tokens: output,
        ..protocol::Usage::default()
    };
    let mut tool_loop = ToolLoop::new(toolbox(), limits(8), vec![]);
    let mut events = call_round(&mut tool_loop, "call_1", "northwind__read_query");
    // A server that sends cumulative usage on several chunks: the last one counts.
    tool_loop.on_model_event(ModelEvent::Usage(tokens(1, 1)));
    tool_loop.on_model_event(ModelEvent::Usage(tokens(100, 10)));
    let Step::RunTools { .. } = tool_loop.end_round() else {
        panic!("tools should run");
    };
    events.extend(tool_loop.on_tool_result("call_1", Ok("rows".into())));
    tool_loop.next_round();
    events.extend(tool_loop.on_model_event(ModelEvent::Text("Sales".into())));
    tool_loop.on_model_event(ModelEvent::Usage(tokens(150, 20)));
    let Step::End(end) = tool_loop.end_round() else {
        panic!("the answer should end");
    };
    events.extend(end);
    let text = crate::answer::feed::metered(&mut tool_loop, events);
    let events: Vec<StreamEvent> = protocol::sse::Decoder::default()
        .push(text.as_bytes())
        .iter()
        .map(|f| StreamEvent::from_frame(f).unwrap())
        .collect();
    match events.last() {
        Some(StreamEvent::Done {
            usage: Some(usage), ..
        }) => {
            assert_eq!((usage.input_tokens, usage.output_tokens), (250, 30));
            assert!(usage.first_token_ms.is_some());
            assert!(usage.tool_ms <= usage.total_ms);
        }
        other => panic!("{other:?}"),
    }
}
