//! The orchestration over a scripted I/O: a provider that answers each round with the bytes of
//! a script, MCP servers that list one tool and answer calls as told, a clock set by hand.

use std::collections::VecDeque;
use std::future::Future;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use protocol::{ApiError, ApprovalDecision, ErrorCode, Role, Turn, sse};
use serde_json::json;

use super::*;
use crate::answer::deadline::Deadlines;
use crate::answer::elicit;
use crate::answer::runner::Runner;
use crate::incoming::identity::Identity;
use crate::mcp::client::ToolHints;

/// Runs a future of the fake I/O, which never waits.
fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("the fake I/O never waits"),
    }
}

/// A tool result of one text part.
fn text_result(text: &str) -> ToolResult {
    crate::mcp::client::results::parse_call_result(
        &json!({"content":[{"type":"text","text":text}]}),
        crate::mcp::client::results::Limits::default(),
    )
}

/// What a tool call does.
enum CallScript {
    /// Progress reports (ms after the call started), then the outcome.
    Answer(Vec<(u64, Progress)>, CallOutcome),
    /// A wait stops while the call runs.
    Stop(Stop),
}

struct FakeIo {
    now: Instant,
    written: String,
    /// The provider's body for each round, in order.
    rounds: VecDeque<String>,
    /// The request bodies the provider got.
    bodies: Vec<String>,
    listing: Option<Result<Result<Vec<ToolDef>, McpError>, Stop>>,
    call: VecDeque<CallScript>,
    /// (server, tool, arguments) of each call made.
    calls: Vec<(String, String, String)>,
    /// (server, reason) of each call called off.
    cancelled: Vec<(String, String)>,
    /// (server, where, answer) of each reply delivered to a paused call.
    resumed: Vec<(String, Resume, Answer)>,
    /// The MCP App view every tool links, when set; (server, tool) of each view read.
    view: Option<AppView>,
    views_read: Vec<(String, String)>,
}

impl FakeIo {
    fn new(rounds: &[String]) -> Self {
        Self {
            now: Instant::now(),
            written: String::new(),
            rounds: rounds.iter().cloned().collect(),
            bodies: Vec::new(),
            listing: None,
            call: VecDeque::new(),
            calls: Vec::new(),
            cancelled: Vec::new(),
            resumed: Vec::new(),
            view: None,
            views_read: Vec::new(),
        }
    }

    fn events(&self) -> Vec<StreamEvent> {
        sse::Decoder::default()
            .push(self.written.as_bytes())
            .iter()
            .map(|f| StreamEvent::from_frame(f).unwrap())
            .collect()
    }
}

impl AnswerIo for FakeIo {
    fn now(&self) -> Instant {
        self.now
    }

    async fn write(&mut self, text: String) -> Result<(), Stop> {
        self.written.push_str(&text);
        Ok(())
    }

    async fn model_round(
        &mut self,
        _url: String,
        body: String,
        feed: &mut impl Feed,
    ) -> Result<(), Note> {
        self.bodies.push(body);
        let stream = self.rounds.pop_front().expect("a round was scripted");
        // Cut in small chunks, as a network would.
        for chunk in stream.as_bytes().chunks(11) {
            let text = feed.push(chunk);
            self.written.push_str(&text);
            if feed.finished() {
                return Ok(());
            }
        }
        let text = feed.finish(false);
        self.written.push_str(&text);
        Ok(())
    }

    async fn list_tools(
        &mut self,
        _server: &McpServer,
    ) -> Result<Result<Vec<ToolDef>, McpError>, Stop> {
        self.listing.clone().unwrap_or_else(|| Ok(Ok(vec![tool()])))
    }

    async fn call_tool(
        &mut self,
        server: &str,
        tool: &str,
        arguments: &str,
        progress: &mut dyn FnMut(Instant, &Progress) -> String,
    ) -> Result<CallOutcome, Stop> {
        self.calls
            .push((server.to_owned(), tool.to_owned(), arguments.to_owned()));
        match self.call.pop_front().expect("a call was scripted") {
            CallScript::Answer(reports, outcome) => {
                for (ms, report) in reports {
                    let text = progress(self.now + Duration::from_millis(ms), &report);
                    self.written.push_str(&text);
                }
                Ok(outcome)
            }
            CallScript::Stop(stop) => Err(stop),
        }
    }

    async fn cancel_call(&mut self, server: &str, reason: &str) {
        self.cancelled.push((server.to_owned(), reason.to_owned()));
    }

    async fn resume_call(
        &mut self,
        server: &McpServer,
        resume: &Resume,
        answer: &Answer,
        _progress: &mut dyn FnMut(Instant, &Progress) -> String,
    ) -> Result<CallOutcome, Stop> {
        self.resumed
            .push((server.info.id.clone(), resume.clone(), answer.clone()));
        match self.call.pop_front().expect("a call was scripted") {
            CallScript::Answer(_, outcome) => Ok(outcome),
            CallScript::Stop(stop) => Err(stop),
        }
    }

    async fn read_view(
        &mut self,
        server: &str,
        tool: &str,
    ) -> Result<Option<(AppHandle, AppView)>, Stop> {
        self.views_read.push((server.to_owned(), tool.to_owned()));
        let link = AppHandle {
            server: server.to_owned(),
            url: "http://127.0.0.1:9/mcp".into(),
            tool: tool.to_owned(),
            uri: "ui://northwind/chart".into(),
        };
        Ok(self.view.clone().map(|view| (link, view)))
    }
}

fn tool() -> ToolDef {
    ToolDef {
        name: "read_query".into(),
        description: "SQL".into(),
        input_schema: json!({"type": "object"}),
        hints: ToolHints::default(),
    }
}

fn server() -> McpServer {
    McpServer {
        info: protocol::ServerInfo {
            id: "northwind".into(),
            name: "Northwind".into(),
            description: None,
            logo_url: None,
            url: "http://127.0.0.1:9/mcp".into(),
            connected: true,
            needs_oauth: false,
            connect_url: None,
        },
    }
}

fn config(extra: &[(&'static str, &'static str)]) -> Config {
    let mut settings = vec![
        ("provider", "responses"),
        ("seal_secret", "0123456789abcdef0123456789abcdef"),
    ];
    settings.extend_from_slice(extra);
    if !extra.iter().any(|(k, _)| *k == "mcp_policies") {
        settings.push((
            "mcp_policies",
            r#"{"northwind":{"require_approval":"never"}}"#,
        ));
    }
    Config::from_lookup(move |k| {
        settings
            .iter()
            .find(|(key, _)| *key == k)
            .map(|(_, v)| (*v).to_owned())
    })
}

fn chat() -> ChatRequest {
    ChatRequest {
        messages: vec![Turn {
            role: Role::User,
            content: "sales by year?".into(),
            attachments: vec![],
        }],
        servers: vec!["northwind".into()],
        model: None,
        previous_response_id: None,
        approvals: vec![],
        elicitation: None,
        hosted_tools: vec![],
        resume: None,
    }
}

fn frame(data: serde_json::Value) -> String {
    format!(
        "event: {}\ndata: {data}\n\n",
        data["type"].as_str().unwrap()
    )
}

/// A round in which the model calls `read_query` once.
fn call_round(call_id: &str) -> String {
    let item = json!({"id": "fc_1", "type": "function_call", "call_id": call_id,
                      "name": "northwind__read_query", "arguments": ""});
    let done = json!({"id": "fc_1", "type": "function_call", "call_id": call_id,
                      "name": "northwind__read_query", "arguments": "{\"sql\":\"SELECT 1\"}"});
    [
        frame(json!({"type": "response.output_item.added", "item": item})),
        frame(
            json!({"type": "response.function_call_arguments.delta", "item_id": "fc_1",
                     "delta": "{\"sql\":\"SELECT 1\"}"}),
        ),
        frame(json!({"type": "response.output_item.done", "item": done})),
        frame(json!({"type": "response.completed", "response": {"id": "r1"}})),
    ]
    .concat()
}

/// A round in which the model answers in text.
fn text_round(text: &str) -> String {
    [
        frame(json!({"type": "response.output_text.delta", "delta": text})),
        frame(json!({"type": "response.completed", "response": {"id": "r2"}})),
    ]
    .concat()
}

fn answer<'a>(
    config: &'a Config,
    chat: &'a ChatRequest,
    servers: &'a [McpServer],
    sealer: &'a Sealer,
) -> EdgeAnswer<'a> {
    EdgeAnswer {
        config,
        chat,
        servers,
        paused: None,
        secrets: vec!["pom_mat_te".into()],
        sealer,
        request_id: "req_1",
    }
}

fn sealer(config: &Config) -> Sealer {
    Sealer::new(config, &Identity::local(), 1_000).unwrap()
}

fn codes(events: &[StreamEvent]) -> Vec<ErrorCode> {
    events
        .iter()
        .filter_map(|e| match e {
            StreamEvent::Error(e) => Some(e.code),
            _ => None,
        })
        .collect()
}

#[test]
fn a_tool_job_runs_between_two_rounds_and_its_result_goes_back_to_the_model() {
    let (config, chat, servers) = (config(&[]), chat(), [server()]);
    let sealer = sealer(&config);
    let mut io = FakeIo::new(&[call_round("call_a"), text_round("1996: 42")]);
    io.call.push_back(CallScript::Answer(
        vec![],
        Ok(Called::Done(text_result("rows: 42"))),
    ));
    block_on(run(answer(&config, &chat, &servers, &sealer), &mut io)).unwrap();
    let events = io.events();
    let kinds: Vec<&str> = events.iter().map(|e| e.kind().as_str()).collect();
    assert_eq!(
        kinds,
        [
            "started",
            "tool_list",
            "tool_list",
            "tool_call_started",
            "tool_call_arguments_delta",
            "tool_call_result",
            "text_delta",
            "done"
        ],
        "{events:?}"
    );
    assert_eq!(
        events[2],
        StreamEvent::ToolList {
            server: "northwind".into(),
            status: ToolStatus::Completed,
            tools: vec!["read_query".into()],
        }
    );
    assert_eq!(
        io.calls,
        [(
            "northwind".into(),
            "read_query".into(),
            "{\"sql\":\"SELECT 1\"}".into()
        )]
    );
    // The second round replays the call and its result; nothing of the first is lost.
    let second: serde_json::Value = serde_json::from_str(&io.bodies[1]).unwrap();
    assert_eq!(
        second["input"][2],
        json!({"type": "function_call_output", "call_id": "call_a", "output": "rows: 42"})
    );
    match events.last() {
        Some(StreamEvent::Done { usage: Some(u), .. }) => assert!(u.first_token_ms.is_some()),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_rich_results_parts_go_to_the_widget_and_its_note_to_the_model() {
    let (config, chat, servers) = (config(&[]), chat(), [server()]);
    let sealer = sealer(&config);
    let mut io = FakeIo::new(&[call_round("call_a"), text_round("A chart.")]);
    let png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";
    let result = crate::mcp::client::results::parse_call_result(
        &json!({"content":[{"type":"text","text":"chart"},{"type":"image","data":png,"mimeType":"image/png"}]}),
        crate::mcp::client::results::Limits::default(),
    );
    io.call
        .push_back(CallScript::Answer(vec![], Ok(Called::Done(result))));
    block_on(run(answer(&config, &chat, &servers, &sealer), &mut io)).unwrap();
    let parts = io
        .events()
        .into_iter()
        .find_map(|e| match e {
            StreamEvent::ToolCallResult { parts, .. } => Some(parts),
            _ => None,
        })
        .unwrap();
    assert!(
        matches!(&parts[..], [protocol::ResultPart::Text { .. }, protocol::ResultPart::Image { data, .. }] if data == png),
        "{parts:?}"
    );
    let second: serde_json::Value = serde_json::from_str(&io.bodies[1]).unwrap();
    assert_eq!(
        second["input"][2]["output"],
        "chart\n[image image/png, 70 B, shown to the user]"
    );
}

#[test]
fn a_running_calls_progress_goes_out_before_its_result_coalesced() {
    let (config, chat, servers) = (config(&[]), chat(), [server()]);
    let sealer = sealer(&config);
    let mut io = FakeIo::new(&[call_round("call_a"), text_round("done")]);
    let report = |progress: f64, message: &str| Progress {
        token: json!("t"),
        progress,
        total: Some(10.0),
        message: Some(format!("{message} pom_mat_te")),
    };
    io.call.push_back(CallScript::Answer(
        vec![
            (0, report(1.0, "one")),
            // Too soon after the first: coalesced away.
            (50, report(2.0, "two")),
            (300, report(5.0, "five")),
        ],
        Ok(Called::Done(text_result("rows"))),
    ));
    block_on(run(answer(&config, &chat, &servers, &sealer), &mut io)).unwrap();
    let events = io.events();
    let progress: Vec<(Option<u8>, Option<String>)> = events
        .iter()
        .filter_map(|e| match e {
            StreamEvent::ToolProgress {
                call_id,
                percent,
                message,
            } => {
                assert_eq!(call_id, "call_a");
                Some((*percent, message.clone()))
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        progress,
        [
            (Some(10), Some("one [redacted]".into())),
            (Some(50), Some("five [redacted]".into()))
        ]
    );
    let at = |kind: &str| events.iter().position(|e| e.kind().as_str() == kind);
    assert!(at("tool_progress") < at("tool_call_result"), "{events:?}");
}

#[test]
fn a_call_that_needs_approval_pauses_and_runs_first_when_resumed() {
    let config = config(&[(
        "mcp_policies",
        r#"{"northwind":{"require_approval":"always"}}"#,
    )]);
    let (chat, servers) = (chat(), [server()]);
    let sealer = sealer(&config);
    let mut io = FakeIo::new(&[call_round("call_a")]);
    block_on(run(answer(&config, &chat, &servers, &sealer), &mut io)).unwrap();
    let events = io.events();
    assert!(io.calls.is_empty(), "nothing runs before the user says so");
    let (approval_id, paused) = match &events[3..] {
        [
            StreamEvent::ApprovalRequest {
                approval_request_id,
                tool,
                ..
            },
            StreamEvent::Done {
                response_id: Some(paused),
                ..
            },
        ] => {
            assert_eq!(tool, "read_query");
            (approval_request_id.clone(), paused.clone())
        }
        other => panic!("{other:?}"),
    };
    assert!(approval_id.starts_with("v1.") && paused.starts_with("v1."));

    // The user approves: the same conversation comes back with the sealed ids.
    let mut next = chat.clone();
    next.previous_response_id = Some(paused);
    next.approvals = vec![ApprovalDecision {
        approval_request_id: approval_id,
        approve: true,
    }];
    let continuation = sealer.open_request(&mut next).unwrap();
    let resumed = pending::resumed(Runner::Edge, continuation, &next).unwrap();
    let mut io = FakeIo::new(&[text_round("42")]);
    io.call.push_back(CallScript::Answer(
        vec![],
        Ok(Called::Done(text_result("rows"))),
    ));
    let answer = EdgeAnswer {
        paused: resumed,
        ..answer(&config, &next, &servers, &sealer)
    };
    block_on(run(answer, &mut io)).unwrap();
    let kinds: Vec<&str> = io.events().iter().map(|e| e.kind().as_str()).collect();
    assert_eq!(io.calls.len(), 1);
    assert_eq!(
        io.bodies.len(),
        1,
        "the approved call ran before the next round"
    );
    assert_eq!(
        &kinds[3..],
        [
            "tool_call_started",
            "tool_call_arguments_delta",
            "tool_call_result",
            "text_delta",
            "done"
        ],
        "{kinds:?}"
    );
}

#[test]
fn a_time_limit_during_a_call_calls_it_off_and_ends_with_its_error() {
    let (config, chat, servers) = (config(&[]), chat(), [server()]);
    let sealer = sealer(&config);
    let mut io = FakeIo::new(&[call_round("call_a")]);
    let late = Deadlines::answer_error(1_000);
    io.call.push_back(CallScript::Stop(Stop::Timeout(late)));
    let note = block_on(run(answer(&config, &chat, &servers, &sealer), &mut io)).unwrap_err();
    assert!(note.contains("time limit"), "{note}");
    let events = io.events();
    assert_eq!(codes(&events), [ErrorCode::AnswerTimeout]);
    assert!(events.last().is_some_and(StreamEvent::is_terminal));
    assert_eq!(io.cancelled.len(), 1);
    assert_eq!(io.cancelled[0].0, "northwind");
}

#[test]
fn a_client_gone_during_a_call_calls_it_off_and_writes_nothing_more() {
    let (config, chat, servers) = (config(&[]), chat(), [server()]);
    let sealer = sealer(&config);
    let mut io = FakeIo::new(&[call_round("call_a")]);
    io.call.push_back(CallScript::Stop(Stop::ClientGone));
    let note = block_on(run(answer(&config, &chat, &servers, &sealer), &mut io)).unwrap_err();
    assert_eq!(note, Stop::ClientGone.note());
    let last = io.events().last().cloned();
    assert!(
        matches!(last, Some(StreamEvent::ToolCallArgumentsDelta { .. })),
        "{last:?}"
    );
    assert_eq!(
        io.cancelled,
        [("northwind".into(), "the client went away".into())]
    );
}

#[test]
fn a_model_that_keeps_asking_for_tools_ends_with_tool_rounds_exceeded() {
    let (config, chat, servers) = (config(&[("max_tool_rounds", "1")]), chat(), [server()]);
    let sealer = sealer(&config);
    let mut io = FakeIo::new(&[call_round("call_a"), call_round("call_b")]);
    io.call.push_back(CallScript::Answer(
        vec![],
        Ok(Called::Done(text_result("rows"))),
    ));
    block_on(run(answer(&config, &chat, &servers, &sealer), &mut io)).unwrap();
    let events = io.events();
    assert_eq!(
        codes(&events),
        [ErrorCode::ToolRoundsExceeded],
        "{events:?}"
    );
    assert_eq!(io.calls.len(), 1);
}

#[test]
fn a_reply_past_its_cap_ends_the_answer_as_too_large() {
    let (config, chat, servers) = (config(&[]), chat(), [server()]);
    let sealer = sealer(&config);
    let mut io = FakeIo::new(&[call_round("call_a")]);
    io.call
        .push_back(CallScript::Answer(vec![], Err(McpError::TooLarge(10))));
    block_on(run(answer(&config, &chat, &servers, &sealer), &mut io)).unwrap();
    assert_eq!(codes(&io.events()), [ErrorCode::UpstreamTooLarge]);
}

#[test]
fn a_listing_that_fails_or_times_out_ends_the_answer_before_any_round() {
    let (config, chat, servers) = (config(&[]), chat(), [server()]);
    let sealer = sealer(&config);
    let mut io = FakeIo::new(&[]);
    io.listing = Some(Ok(Err(McpError::Transport)));
    let note = block_on(run(answer(&config, &chat, &servers, &sealer), &mut io)).unwrap_err();
    assert!(note.contains("listing"), "{note}");
    let events = io.events();
    assert!(matches!(
        &events[2],
        StreamEvent::ToolList {
            status: ToolStatus::Failed,
            ..
        }
    ));
    assert_eq!(events.iter().filter(|e| e.is_terminal()).count(), 1);
    assert!(io.bodies.is_empty());

    let mut io = FakeIo::new(&[]);
    let late = ApiError {
        code: ErrorCode::AnswerTimeout,
        message: "late".into(),
        retryable: true,
    };
    io.listing = Some(Err(Stop::Timeout(late)));
    block_on(run(answer(&config, &chat, &servers, &sealer), &mut io)).unwrap_err();
    assert_eq!(codes(&io.events()), [ErrorCode::AnswerTimeout]);
    assert!(io.bodies.is_empty());
}

/// The server's question of `sales_for_year`, on the call's stream.
fn year_question() -> CallOutcome {
    let params = json!({"message": "Which year?", "requestedSchema": {"type": "object",
        "properties": {"year": {"type": "integer", "minimum": 1996, "maximum": 1998}},
        "required": ["year"]}});
    Ok(Called::Asks(Box::new(elicit::Asked {
        question: crate::mcp::client::elicitation::parse(&params).unwrap(),
        params,
        resume: Resume::Stream {
            session_id: Some("sess-1".into()),
            version: "2025-11-25".into(),
            call: 3,
            request: json!(0),
            last_event_id: Some("1/1".into()),
        },
    })))
}

/// Runs a first answer that pauses on [`year_question`]: its events, the sealed elicitation id
/// and the sealed paused state.
fn pause_on_a_question(
    config: &Config,
    chat: &ChatRequest,
    servers: &[McpServer],
    sealer: &Sealer,
) -> (Vec<StreamEvent>, String, String) {
    let mut io = FakeIo::new(&[call_round("call_a")]);
    io.call
        .push_back(CallScript::Answer(vec![], year_question()));
    block_on(run(answer(config, chat, servers, sealer), &mut io)).unwrap();
    let events = io.events();
    let (id, state) = match events.as_slice() {
        [
            ..,
            StreamEvent::ElicitationRequest { elicitation_id, .. },
            StreamEvent::Done {
                response_id: Some(state),
                ..
            },
        ] => (elicitation_id.clone(), state.clone()),
        other => panic!("not paused on the question: {other:?}"),
    };
    (events, id, state)
}

/// The request that continues `chat` with `reply`, opened and checked as the component does:
/// the request and the paused loop it resumes.
fn replying(
    chat: &ChatRequest,
    state: &str,
    reply: serde_json::Value,
    sealer: &Sealer,
) -> (ChatRequest, Option<Paused>) {
    let mut next = chat.clone();
    next.previous_response_id = Some(state.to_owned());
    next.elicitation = serde_json::from_value(reply).unwrap();
    let continuation = sealer.open_request(&mut next).unwrap();
    let paused = pending::resumed(Runner::Edge, continuation, &next).unwrap();
    (next, paused)
}

#[test]
fn a_question_pauses_the_answer_and_the_reply_finishes_the_call() {
    let (config, chat, servers) = (config(&[]), chat(), [server()]);
    let sealer = sealer(&config);
    let (events, id, state) = pause_on_a_question(&config, &chat, &servers, &sealer);
    let Some(StreamEvent::ElicitationRequest {
        call_id,
        message,
        fields,
        url: None,
        ..
    }) = events.iter().rev().nth(1)
    else {
        panic!("{events:?}");
    };
    assert_eq!(
        (call_id.as_str(), message.as_str()),
        ("call_a", "Which year?")
    );
    assert_eq!(fields[0].name, "year");
    assert!(id.starts_with("v1.") && state.starts_with("v1."));
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, StreamEvent::ToolCallResult { .. }))
    );
    assert!(!state.contains("pom_mat_te"));

    // The continuation: the sealed ids come back with the user's values.
    let reply = json!({"elicitation_id": id, "action": "accept", "content": {"year": 1997}});
    let (next, paused) = replying(&chat, &state, reply, &sealer);
    assert!(paused.as_ref().is_some_and(|p| p.elicited.is_some()));
    let mut io = FakeIo::new(&[text_round("1997: 617085.2")]);
    io.call.push_back(CallScript::Answer(
        vec![],
        Ok(Called::Done(text_result("1997 rows"))),
    ));
    let mut resumed = answer(&config, &next, &servers, &sealer);
    resumed.paused = paused;
    block_on(run(resumed, &mut io)).unwrap();
    assert!(io.calls.is_empty(), "the call is not made again");
    let [(server, Resume::Stream { session_id, .. }, Answer::Accept(content))] =
        io.resumed.as_slice()
    else {
        panic!("{:?}", io.resumed);
    };
    assert_eq!(server, "northwind");
    assert_eq!(session_id.as_deref(), Some("sess-1"));
    assert_eq!(content["year"], 1997);
    let events = io.events();
    assert!(events.iter().any(|e| matches!(e,
        StreamEvent::ToolCallResult { call_id, output, .. } if call_id == "call_a" && output == "1997 rows")));
    assert!(
        matches!(
            events.last(),
            Some(StreamEvent::Done {
                response_id: None,
                ..
            })
        ),
        "{events:?}"
    );
    assert!(
        io.bodies[0].contains("1997 rows"),
        "the result goes to the model"
    );
}

#[test]
fn a_question_asked_again_pauses_again_without_a_model_round() {
    let (config, chat, servers) = (config(&[]), chat(), [server()]);
    let sealer = sealer(&config);
    let (_, id, state) = pause_on_a_question(&config, &chat, &servers, &sealer);
    let reply = json!({"elicitation_id": id, "action": "decline"});
    let (next, paused) = replying(&chat, &state, reply, &sealer);
    let mut resumed = answer(&config, &next, &servers, &sealer);
    resumed.paused = paused;
    // The server asks again after the reply.
    let mut io = FakeIo::new(&[]);
    io.call
        .push_back(CallScript::Answer(vec![], year_question()));
    block_on(run(resumed, &mut io)).unwrap();
    assert!(matches!(io.resumed[0].2, Answer::Decline));
    assert!(
        matches!(
            io.events().as_slice(),
            [
                ..,
                StreamEvent::ElicitationRequest { .. },
                StreamEvent::Done {
                    response_id: Some(_),
                    ..
                }
            ]
        ),
        "{:?}",
        io.events()
    );
    assert!(io.bodies.is_empty(), "no model round while the call waits");
}

fn chart_view() -> AppView {
    AppView {
        uri: "ui://northwind/chart".into(),
        html: "<p>chart</p>".into(),
        csp: serde_json::Value::Null,
        prefers_border: None,
    }
}

#[test]
fn a_finished_call_whose_tool_links_a_view_is_followed_by_the_view_sealed() {
    let (config, chat, servers) = (config(&[]), chat(), [server()]);
    let sealer = sealer(&config);
    let mut io = FakeIo::new(&[call_round("call_a"), text_round("see the chart")]);
    io.view = Some(chart_view());
    io.call.push_back(CallScript::Answer(
        vec![],
        Ok(Called::Done(text_result("rows: 42"))),
    ));
    block_on(run(answer(&config, &chat, &servers, &sealer), &mut io)).unwrap();
    let events = io.events();
    let kinds: Vec<&str> = events.iter().map(|e| e.kind().as_str()).collect();
    let result = kinds.iter().position(|k| *k == "tool_call_result").unwrap();
    assert_eq!(kinds[result + 1], "app_view", "{events:?}");
    let Some(StreamEvent::AppView {
        call_id, handle, ..
    }) = events.get(result + 1)
    else {
        panic!("{events:?}");
    };
    assert_eq!(call_id, "call_a");
    let opened = AppHandle::open(&sealer, handle).unwrap();
    assert_eq!(
        (opened.server.as_str(), opened.tool.as_str()),
        ("northwind", "read_query")
    );
    // The model never sees the view.
    assert!(!io.bodies[1].contains("chart</p>"));

    // A call that failed shows no view, and none is read.
    let mut io = FakeIo::new(&[call_round("call_b"), text_round("no")]);
    io.view = Some(chart_view());
    io.call.push_back(CallScript::Answer(
        vec![],
        Ok(Called::Done(ToolResult::error("no such table"))),
    ));
    block_on(run(answer(&config, &chat, &servers, &sealer), &mut io)).unwrap();
    assert!(io.views_read.is_empty());
    assert!(
        !io.events()
            .iter()
            .any(|e| matches!(e, StreamEvent::AppView { .. }))
    );
}
