//! Golden tests: recorded-shape provider streams in, protocol events out.

use protocol::{ErrorCode, StreamEvent, ToolStatus, sse};

use crate::answer::feed::Relay;

/// The documented turn that lists tools, calls one, then answers (protocols.md §2).
const TOOL_TURN: &[&str] = &[
    r#"{"type":"response.created","sequence_number":0,"response":{"id":"resp_1","status":"in_progress"}}"#,
    r#"{"type":"response.in_progress","sequence_number":1,"response":{"id":"resp_1","status":"in_progress"}}"#,
    r#"{"type":"response.output_item.added","sequence_number":2,"output_index":0,"item":{"id":"mcpl_1","type":"mcp_list_tools","server_label":"northwind","tools":[]}}"#,
    r#"{"type":"response.mcp_list_tools.in_progress","sequence_number":3,"output_index":0,"item_id":"mcpl_1"}"#,
    r#"{"type":"response.mcp_list_tools.completed","sequence_number":4,"output_index":0,"item_id":"mcpl_1"}"#,
    r#"{"type":"response.output_item.done","sequence_number":5,"output_index":0,"item":{"id":"mcpl_1","type":"mcp_list_tools","server_label":"northwind","tools":[{"name":"list_tables","input_schema":{}},{"name":"read_query","input_schema":{}}]}}"#,
    r#"{"type":"response.output_item.added","sequence_number":6,"output_index":1,"item":{"id":"mcp_1","type":"mcp_call","name":"read_query","server_label":"northwind","arguments":""}}"#,
    r#"{"type":"response.mcp_call.in_progress","sequence_number":7,"output_index":1,"item_id":"mcp_1"}"#,
    r#"{"type":"response.mcp_call_arguments.delta","sequence_number":8,"output_index":1,"item_id":"mcp_1","delta":"{\"query\":"}"#,
    r#"{"type":"response.mcp_call_arguments.delta","sequence_number":9,"output_index":1,"item_id":"mcp_1","delta":"\"SELECT 1\"}"}"#,
    r#"{"type":"response.mcp_call_arguments.done","sequence_number":10,"output_index":1,"item_id":"mcp_1","arguments":"{\"query\":\"SELECT 1\"}"}"#,
    r#"{"type":"response.mcp_call.completed","sequence_number":11,"output_index":1,"item_id":"mcp_1"}"#,
    r#"{"type":"response.output_item.done","sequence_number":12,"output_index":1,"item":{"id":"mcp_1","type":"mcp_call","name":"read_query","server_label":"northwind","output":"[1]","error":null}}"#,
    r#"{"type":"response.output_item.added","sequence_number":13,"output_index":2,"item":{"id":"msg_1","type":"message","role":"assistant"}}"#,
    r#"{"type":"response.output_text.delta","sequence_number":14,"item_id":"msg_1","output_index":2,"content_index":0,"delta":"The "}"#,
    r#"{"type":"response.output_text.delta","sequence_number":15,"item_id":"msg_1","output_index":2,"content_index":0,"delta":"answer"}"#,
    r#"{"type":"response.output_text.done","sequence_number":16,"item_id":"msg_1","text":"The answer"}"#,
    r#"{"type":"response.some_future_event","sequence_number":17}"#,
    r#"{"type":"response.completed","sequence_number":18,"response":{"id":"resp_1","status":"completed","usage":{}}}"#,
];

/// The events a relay writes for these provider events, one chunk each; `done`'s usage (the
/// meter's timings) is checked and left out.
fn run(events: &[&str]) -> Vec<StreamEvent> {
    let mut relay = Relay::new(vec!["pom_mat_secret".to_owned()], 1 << 20);
    let out: String = events
        .iter()
        .map(|e| relay.on_chunk(format!("data: {e}\n\n").as_bytes()))
        .collect();
    sse::Decoder::default()
        .push(out.as_bytes())
        .iter()
        .map(|f| match StreamEvent::from_frame(f).unwrap() {
            StreamEvent::Done { response_id, usage } => {
                assert!(usage.is_some(), "done carries the answer's usage");
                StreamEvent::Done {
                    response_id,
                    usage: None,
                }
            }
            event => event,
        })
        .collect()
}

#[test]
fn tool_turn_translates_in_order() {
    let call = || "mcp_1".to_owned();
    assert_eq!(
        run(TOOL_TURN),
        vec![
            StreamEvent::ToolList {
                server: "northwind".into(),
                status: ToolStatus::InProgress,
                tools: vec![]
            },
            StreamEvent::ToolList {
                server: "northwind".into(),
                status: ToolStatus::Completed,
                tools: vec!["list_tables".into(), "read_query".into()]
            },
            StreamEvent::ToolCallStarted {
                call_id: call(),
                server: "northwind".into(),
                tool: "read_query".into()
            },
            StreamEvent::ToolCallArgumentsDelta {
                call_id: call(),
                delta: "{\"query\":".into()
            },
            StreamEvent::ToolCallArgumentsDelta {
                call_id: call(),
                delta: "\"SELECT 1\"}".into()
            },
            StreamEvent::ToolCallResult {
                call_id: call(),
                output: "[1]".into(),
                parts: Vec::new(),
            },
            StreamEvent::TextDelta {
                delta: "The ".into()
            },
            StreamEvent::TextDelta {
                delta: "answer".into()
            },
            StreamEvent::Done {
                response_id: Some("resp_1".into()),
                usage: None,
            },
        ]
    );
}

#[test]
fn failed_calls_accept_both_error_shapes() {
    let string_error = r#"{"type":"response.output_item.done","item":{"id":"mcp_2","type":"mcp_call","server_label":"db","error":"boom"}}"#;
    let object_error = r#"{"type":"response.output_item.done","item":{"id":"mcp_3","type":"mcp_call","server_label":"db","error":{"type":"mcp_tool_execution_error","message":"no table pom_mat_secret"}}}"#;
    assert_eq!(
        run(&[string_error, object_error]),
        vec![
            StreamEvent::ToolCallFailed {
                call_id: "mcp_2".into(),
                error: "boom".into()
            },
            StreamEvent::ToolCallFailed {
                call_id: "mcp_3".into(),
                error: "no table [redacted]".into()
            },
        ]
    );
}

#[test]
fn error_events_flat_and_nested() {
    let check = |event: &str, code: ErrorCode, retryable: bool| match run(&[event]).as_slice() {
        [StreamEvent::Error(err)] => {
            assert_eq!((err.code, err.retryable), (code, retryable), "{event}")
        }
        other => panic!("{event}: {other:?}"),
    };
    check(
        r#"{"type":"error","code":"rate_limit_exceeded","message":"slow","param":null}"#,
        ErrorCode::ProviderRateLimited,
        true,
    );
    check(
        r#"{"type":"error","error":{"type":"server_error","code":"server_error","message":"oops"}}"#,
        ErrorCode::ProviderUnavailable,
        true,
    );
    check(
        r#"{"type":"response.failed","response":{"id":"r","error":{"code":"invalid_prompt","message":"no"}}}"#,
        ErrorCode::ProviderError,
        false,
    );
    check(
        r#"{"type":"response.incomplete","response":{"id":"r","incomplete_details":{"reason":"max_output_tokens"}}}"#,
        ErrorCode::ResponseIncomplete,
        false,
    );
}

#[test]
fn nothing_after_a_terminal_event_and_garbage_is_skipped() {
    let events = run(&[
        "not json",
        r#"{"type":"response.output_text.delta","delta":"a"}"#,
        r#"{"type":"response.completed","response":{"id":"r"}}"#,
        r#"{"type":"response.output_text.delta","delta":"late"}"#,
    ]);
    assert_eq!(
        events,
        vec![
            StreamEvent::TextDelta { delta: "a".into() },
            StreamEvent::Done {
                response_id: Some("r".into()),
                usage: None,
            }
        ]
    );
}

#[test]
fn approval_requests_carry_the_full_arguments() {
    let events = run(&[
        r#"{"type":"response.output_item.added","item":{"id":"mcpr_1","type":"mcp_approval_request","name":"read_query","server_label":"northwind","arguments":""}}"#,
        r#"{"type":"response.output_item.done","item":{"id":"mcpr_1","type":"mcp_approval_request","name":"read_query","server_label":"northwind","arguments":"{\"query\":\"SELECT 1\"}"}}"#,
        r#"{"type":"response.completed","response":{"id":"resp_2"}}"#,
    ]);
    assert_eq!(
        events,
        vec![
            StreamEvent::ApprovalRequest {
                approval_request_id: "mcpr_1".into(),
                server: "northwind".into(),
                tool: "read_query".into(),
                arguments: "{\"query\":\"SELECT 1\"}".into(),
            },
            StreamEvent::Done {
                response_id: Some("resp_2".into()),
                usage: None,
            },
        ]
    );
}

#[test]
fn reasoning_summaries_and_failed_listings() {
    let events = run(&[
        r#"{"type":"response.output_item.added","item":{"id":"mcpl_9","type":"mcp_list_tools","server_label":"gh"}}"#,
        r#"{"type":"response.mcp_list_tools.failed","item_id":"mcpl_9"}"#,
        r#"{"type":"response.reasoning_summary_text.delta","delta":"Thinking"}"#,
    ]);
    assert_eq!(
        events,
        vec![
            StreamEvent::ToolList {
                server: "gh".into(),
                status: ToolStatus::InProgress,
                tools: vec![]
            },
            StreamEvent::ToolList {
                server: "gh".into(),
                status: ToolStatus::Failed,
                tools: vec![]
            },
            StreamEvent::ReasoningDelta {
                delta: "Thinking".into()
            },
        ]
    );
}
