//! Tests of the tool loop state machine: rounds, bounds, and the events the widget sees.

use protocol::{ErrorCode, StreamEvent};
use serde_json::json;

use crate::mcp_client::ToolDef;
use crate::tool_loop::{Limits, ModelEvent, Step, ToolJob, ToolLoop, cut};
use crate::toolbox::Toolbox;

fn toolbox() -> Toolbox {
    let mut toolbox = Toolbox::default();
    toolbox.add_server(
        "northwind",
        &[ToolDef {
            name: "read_query".into(),
            description: "SQL".into(),
            input_schema: json!({"type":"object"}),
        }],
    );
    toolbox
}

fn limits(max_rounds: usize) -> Limits {
    Limits {
        max_rounds,
        max_result_bytes: 64,
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
    let Step::RunTools { events, jobs } = tool_loop.end_round() else {
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
            output: "rows for [redacted]".into()
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
        Step::End(vec![StreamEvent::Done { response_id: None }])
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
        Step::RunTools { events, jobs } => {
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
