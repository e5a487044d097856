//! The plain data of one chat: the server list, the selection, and the exchanges so far.
//!
//! Nothing here touches the DOM or the network, so every rule of the conversation is a plain
//! function over values: [`ChatState::ask`] builds the [`ChatRequest`] for a new question,
//! [`Answer::apply`] folds one [`StreamEvent`] into the answer being streamed, and the end of a
//! stream without `done` or `error` becomes a visible `stream_interrupted` failure, never a
//! silent truncation. The view renders a [`ChatState`]; the controller changes it.

use protocol::{ApiError, ChatRequest, ErrorCode, Role, ServerInfo, StreamEvent, ToolStatus, Turn};

/// Message of the error shown when a stream ends without `done` or `error`.
pub(crate) const INTERRUPTED: &str = "The answer was interrupted";

/// Everything one widget instance knows about its chat.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ChatState {
    /// The MCP servers offered by the edge.
    pub(crate) servers: Servers,
    /// Ids of the servers the user has ticked, in the order they were ticked.
    pub(crate) selected: Vec<String>,
    /// The questions asked and their answers, oldest first.
    pub(crate) exchanges: Vec<Exchange>,
}

/// Where the server list stands.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) enum Servers {
    /// `GET /api/servers` is in flight.
    #[default]
    Loading,
    /// The list arrived.
    Loaded(Vec<ServerInfo>),
    /// The list could not be had.
    Failed(ApiError),
}

/// One question and its answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Exchange {
    /// What the user asked.
    pub(crate) question: String,
    /// The servers the question was sent with (a retry sends the same ones).
    pub(crate) servers: Vec<String>,
    /// The answer, complete or not.
    pub(crate) answer: Answer,
}

/// The assistant's answer to one question.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Answer {
    /// The edge's id for the request, from `started`.
    pub(crate) request_id: Option<String>,
    /// The answer text so far.
    pub(crate) text: String,
    /// The model's reasoning summary so far.
    pub(crate) reasoning: String,
    /// Tool listings, one per server, in the order they started.
    pub(crate) tool_lists: Vec<ToolList>,
    /// Tool calls in the order they started; [`Answer::call_mut`] finds one by its id.
    pub(crate) tool_calls: Vec<ToolCall>,
    /// Whether the answer is still coming.
    pub(crate) status: AnswerStatus,
}

/// Whether an answer is still coming, and how it ended.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) enum AnswerStatus {
    /// The request is in flight or the stream is being read.
    #[default]
    Streaming,
    /// `done` arrived.
    Complete,
    /// The user pressed Stop.
    Stopped,
    /// The edge refused the request, sent `error`, or the stream broke off.
    Failed(ApiError),
}

/// A server's tool listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ToolList {
    /// The server id.
    pub(crate) server: String,
    /// Where the listing stands.
    pub(crate) status: ToolStatus,
    /// The tool names, once listed.
    pub(crate) tools: Vec<String>,
}

/// One tool call made while answering.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ToolCall {
    /// The call's id, shared by its events.
    pub(crate) call_id: String,
    /// The server id.
    pub(crate) server: String,
    /// The tool's name.
    pub(crate) tool: String,
    /// The JSON arguments received so far.
    pub(crate) arguments: String,
    /// Whether the call is running, done or failed.
    pub(crate) status: CallStatus,
}

/// Where a tool call stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CallStatus {
    /// Still running.
    Running,
    /// Finished, with the tool's output.
    Done(String),
    /// Failed, with a message safe to show.
    Failed(String),
}

impl ChatState {
    /// True while an answer is being requested or streamed.
    pub(crate) fn is_busy(&self) -> bool {
        self.exchanges
            .last()
            .is_some_and(|e| e.answer.status == AnswerStatus::Streaming)
    }

    /// Ticks or unticks a server.
    pub(crate) fn select(&mut self, server: &str, on: bool) {
        self.selected.retain(|s| s != server);
        if on {
            self.selected.push(server.to_owned());
        }
    }

    /// Starts a new exchange with the selected servers and returns the request to send: the
    /// structured history of the finished exchanges, then the new question.
    pub(crate) fn ask(&mut self, question: String) -> ChatRequest {
        self.exchanges.push(Exchange {
            question,
            servers: self.selected.clone(),
            answer: Answer::default(),
        });
        self.request_for_last()
    }

    /// Restarts the last exchange when its answer failed, and returns the same request again.
    pub(crate) fn retry(&mut self) -> Option<ChatRequest> {
        let last = self.exchanges.last_mut()?;
        if !matches!(last.answer.status, AnswerStatus::Failed(_)) {
            return None;
        }
        last.answer = Answer::default();
        Some(self.request_for_last())
    }

    /// Folds one stream event into the answer being streamed; ignored when none is.
    pub(crate) fn apply(&mut self, event: StreamEvent) {
        if let Some(exchange) = self.exchanges.last_mut() {
            exchange.answer.apply(event);
        }
    }

    /// The request failed before any stream: the answer fails with `error`. Returns the
    /// question, so the caller can hand the draft back to the user.
    pub(crate) fn refuse(&mut self, error: ApiError) -> Option<String> {
        let answer = self.streaming_answer()?;
        answer.fail(error);
        self.exchanges.last().map(|e| e.question.clone())
    }

    /// The stream ended: an answer that saw neither `done` nor `error` was interrupted.
    pub(crate) fn end_of_stream(&mut self) {
        if let Some(answer) = self.streaming_answer() {
            answer.fail(ApiError {
                code: ErrorCode::StreamInterrupted,
                message: INTERRUPTED.to_owned(),
                retryable: true,
            });
        }
    }

    /// The user pressed Stop: the partial answer stays and counts as said.
    pub(crate) fn stop(&mut self) {
        if let Some(answer) = self.streaming_answer() {
            answer.settle_calls();
            answer.status = AnswerStatus::Stopped;
        }
    }

    fn streaming_answer(&mut self) -> Option<&mut Answer> {
        self.exchanges
            .last_mut()
            .map(|e| &mut e.answer)
            .filter(|a| a.status == AnswerStatus::Streaming)
    }

    /// The request for the last exchange. Earlier exchanges count only when their answer was
    /// completed or stopped; a failed one was never heard, and a retry or a new question
    /// replaces it.
    fn request_for_last(&self) -> ChatRequest {
        let (last, earlier) = self
            .exchanges
            .split_last()
            .expect("request_for_last is called after an exchange was pushed");
        let mut messages = Vec::new();
        for exchange in earlier {
            let heard = matches!(
                exchange.answer.status,
                AnswerStatus::Complete | AnswerStatus::Stopped
            );
            if !heard {
                continue;
            }
            messages.push(turn(Role::User, &exchange.question));
            if !exchange.answer.text.is_empty() {
                messages.push(turn(Role::Assistant, &exchange.answer.text));
            }
        }
        messages.push(turn(Role::User, &last.question));
        ChatRequest {
            messages,
            servers: last.servers.clone(),
            model: None,
            previous_response_id: None,
            approvals: Vec::new(),
        }
    }
}

impl Answer {
    /// Folds one stream event into the answer. Events for unknown tool calls, and every event
    /// after the answer ended, are ignored; a terminal event (`done`, `error`) ends the answer
    /// and settles calls still running.
    pub(crate) fn apply(&mut self, event: StreamEvent) {
        if self.status != AnswerStatus::Streaming {
            return;
        }
        match event {
            StreamEvent::Started { request_id } => self.request_id = Some(request_id),
            StreamEvent::TextDelta { delta } => self.text.push_str(&delta),
            StreamEvent::ReasoningDelta { delta } => self.reasoning.push_str(&delta),
            StreamEvent::ToolList {
                server,
                status,
                tools,
            } => match self.tool_lists.iter_mut().find(|l| l.server == server) {
                Some(list) => {
                    list.status = status;
                    list.tools = tools;
                }
                None => self.tool_lists.push(ToolList {
                    server,
                    status,
                    tools,
                }),
            },
            StreamEvent::ToolCallStarted {
                call_id,
                server,
                tool,
            } => {
                if self.call_mut(&call_id).is_none() {
                    self.tool_calls.push(ToolCall {
                        call_id,
                        server,
                        tool,
                        arguments: String::new(),
                        status: CallStatus::Running,
                    });
                }
            }
            StreamEvent::ToolCallArgumentsDelta { call_id, delta } => {
                if let Some(call) = self.call_mut(&call_id) {
                    call.arguments.push_str(&delta);
                }
            }
            StreamEvent::ToolCallResult { call_id, output } => {
                if let Some(call) = self.call_mut(&call_id) {
                    call.status = CallStatus::Done(output);
                }
            }
            StreamEvent::ToolCallFailed { call_id, error } => {
                if let Some(call) = self.call_mut(&call_id) {
                    call.status = CallStatus::Failed(error);
                }
            }
            // Approvals arrive with the edge's policy support; until the widget shows them, the
            // answer simply ends without that call.
            StreamEvent::ApprovalRequest { .. } => {}
            StreamEvent::Error(error) => self.fail(error),
            StreamEvent::Done { .. } => {
                self.settle_calls();
                self.status = AnswerStatus::Complete;
            }
        }
    }

    /// The tool call with this id.
    pub(crate) fn call_mut(&mut self, call_id: &str) -> Option<&mut ToolCall> {
        self.tool_calls.iter_mut().find(|c| c.call_id == call_id)
    }

    fn fail(&mut self, error: ApiError) {
        self.settle_calls();
        self.status = AnswerStatus::Failed(error);
    }

    /// Marks calls still running as failed: once the answer has ended, they never finish.
    fn settle_calls(&mut self) {
        for call in &mut self.tool_calls {
            if call.status == CallStatus::Running {
                call.status =
                    CallStatus::Failed("the answer ended before this call finished".into());
            }
        }
    }
}

fn turn(role: Role, content: &str) -> Turn {
    Turn {
        role,
        content: content.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use wasm_bindgen_test::wasm_bindgen_test;

    use super::*;

    fn text(delta: &str) -> StreamEvent {
        StreamEvent::TextDelta {
            delta: delta.into(),
        }
    }

    fn started_call(id: &str) -> StreamEvent {
        StreamEvent::ToolCallStarted {
            call_id: id.into(),
            server: "northwind".into(),
            tool: "read_query".into(),
        }
    }

    fn done() -> StreamEvent {
        StreamEvent::Done { response_id: None }
    }

    fn error(code: ErrorCode, retryable: bool) -> ApiError {
        ApiError {
            code,
            message: "boom".into(),
            retryable,
        }
    }

    fn call(id: &str, arguments: &str, status: CallStatus) -> ToolCall {
        ToolCall {
            call_id: id.into(),
            server: "northwind".into(),
            tool: "read_query".into(),
            arguments: arguments.into(),
            status,
        }
    }

    /// Applies `events` to a fresh answer and compares the result with `want`.
    fn check(events: Vec<StreamEvent>, want: Answer) {
        let mut answer = Answer::default();
        for event in events {
            answer.apply(event);
        }
        assert_eq!(answer, want);
    }

    #[wasm_bindgen_test]
    fn text_deltas_append_and_done_completes() {
        check(
            vec![
                StreamEvent::Started {
                    request_id: "req_1".into(),
                },
                text("Hel"),
                text("lo\nworld"),
                done(),
            ],
            Answer {
                request_id: Some("req_1".into()),
                text: "Hello\nworld".into(),
                status: AnswerStatus::Complete,
                ..Answer::default()
            },
        );
    }

    #[wasm_bindgen_test]
    fn tool_call_runs_then_finishes() {
        let opened = vec![
            started_call("c1"),
            StreamEvent::ToolCallArgumentsDelta {
                call_id: "c1".into(),
                delta: "{\"query\":".into(),
            },
            StreamEvent::ToolCallArgumentsDelta {
                call_id: "c1".into(),
                delta: "\"select 1\"}".into(),
            },
        ];
        check(
            opened.clone(),
            Answer {
                tool_calls: vec![call("c1", "{\"query\":\"select 1\"}", CallStatus::Running)],
                ..Answer::default()
            },
        );
        let mut finished = opened.clone();
        finished.push(StreamEvent::ToolCallResult {
            call_id: "c1".into(),
            output: "[1]".into(),
        });
        check(
            finished,
            Answer {
                tool_calls: vec![call(
                    "c1",
                    "{\"query\":\"select 1\"}",
                    CallStatus::Done("[1]".into()),
                )],
                ..Answer::default()
            },
        );
        let mut failed = opened;
        failed.push(StreamEvent::ToolCallFailed {
            call_id: "c1".into(),
            error: "no such table".into(),
        });
        check(
            failed,
            Answer {
                tool_calls: vec![call(
                    "c1",
                    "{\"query\":\"select 1\"}",
                    CallStatus::Failed("no such table".into()),
                )],
                ..Answer::default()
            },
        );
    }

    #[wasm_bindgen_test]
    fn events_for_unknown_calls_are_ignored_and_ids_are_kept_apart() {
        check(
            vec![
                started_call("a"),
                started_call("b"),
                started_call("a"),
                StreamEvent::ToolCallResult {
                    call_id: "b".into(),
                    output: "ok".into(),
                },
                StreamEvent::ToolCallResult {
                    call_id: "zzz".into(),
                    output: "lost".into(),
                },
            ],
            Answer {
                tool_calls: vec![
                    call("a", "", CallStatus::Running),
                    call("b", "", CallStatus::Done("ok".into())),
                ],
                ..Answer::default()
            },
        );
    }

    #[wasm_bindgen_test]
    fn tool_list_updates_in_place() {
        check(
            vec![
                StreamEvent::ToolList {
                    server: "northwind".into(),
                    status: ToolStatus::InProgress,
                    tools: vec![],
                },
                StreamEvent::ToolList {
                    server: "northwind".into(),
                    status: ToolStatus::Completed,
                    tools: vec!["read_query".into()],
                },
            ],
            Answer {
                tool_lists: vec![ToolList {
                    server: "northwind".into(),
                    status: ToolStatus::Completed,
                    tools: vec!["read_query".into()],
                }],
                ..Answer::default()
            },
        );
    }

    #[wasm_bindgen_test]
    fn error_ends_the_answer_and_settles_running_calls() {
        check(
            vec![
                text("partial"),
                started_call("c1"),
                StreamEvent::Error(error(ErrorCode::ProviderRateLimited, true)),
                text(" and more after the end"),
                done(),
            ],
            Answer {
                text: "partial".into(),
                tool_calls: vec![call(
                    "c1",
                    "",
                    CallStatus::Failed("the answer ended before this call finished".into()),
                )],
                status: AnswerStatus::Failed(error(ErrorCode::ProviderRateLimited, true)),
                ..Answer::default()
            },
        );
    }

    #[wasm_bindgen_test]
    fn state_ignores_the_end_of_a_stream_once_the_answer_ended() {
        let mut state = ChatState::default();
        state.ask("hi".into());
        state.apply(text("a"));
        state.apply(done());
        state.apply(text("b"));
        state.end_of_stream();
        assert_eq!(state.exchanges[0].answer.text, "a");
        assert_eq!(state.exchanges[0].answer.status, AnswerStatus::Complete);
    }

    #[wasm_bindgen_test]
    fn stream_without_final_event_is_interrupted_and_keeps_partial_text() {
        let mut state = ChatState::default();
        state.ask("hi".into());
        state.apply(text("half an ans"));
        assert!(state.is_busy());
        state.end_of_stream();
        assert!(!state.is_busy());
        let answer = &state.exchanges[0].answer;
        assert_eq!(answer.text, "half an ans");
        assert_eq!(
            answer.status,
            AnswerStatus::Failed(ApiError {
                code: ErrorCode::StreamInterrupted,
                message: INTERRUPTED.into(),
                retryable: true,
            })
        );
    }

    #[wasm_bindgen_test]
    fn history_holds_heard_exchanges_as_structured_turns() {
        let mut state = ChatState::default();
        state.select("northwind", true);
        state.select("other", true);
        state.select("other", false);
        let first = state.ask("one".into());
        assert_eq!(first.messages, vec![turn(Role::User, "one")]);
        assert_eq!(first.servers, vec!["northwind".to_owned()]);
        state.apply(text("answer one"));
        state.apply(done());

        // Refused: not part of later history.
        state.ask("two".into());
        assert_eq!(
            state.refuse(error(ErrorCode::Internal, false)),
            Some("two".into())
        );

        // Stopped: the partial answer counts as said.
        state.ask("three".into());
        state.apply(text("partial three"));
        state.stop();

        // Stopped before any text: the question counts, there is no assistant turn.
        state.ask("four".into());
        state.stop();

        let fifth = state.ask("five".into());
        assert_eq!(
            fifth.messages,
            vec![
                turn(Role::User, "one"),
                turn(Role::Assistant, "answer one"),
                turn(Role::User, "three"),
                turn(Role::Assistant, "partial three"),
                turn(Role::User, "four"),
                turn(Role::User, "five"),
            ]
        );
        assert_eq!(fifth.validate(), Ok(()));
    }

    #[wasm_bindgen_test]
    fn retry_resends_the_same_conversation() {
        let mut state = ChatState::default();
        state.ask("one".into());
        state.apply(done());
        assert_eq!(state.retry(), None, "a completed answer is not retried");
        state.select("northwind", true);
        let sent = state.ask("two".into());
        state.apply(text("par"));
        state.apply(StreamEvent::Error(error(
            ErrorCode::ProviderUnavailable,
            true,
        )));
        state.select("northwind", false);
        let again = state.retry().expect("a failed answer can be retried");
        assert_eq!(again, sent);
        assert_eq!(state.exchanges.len(), 2);
        assert_eq!(state.exchanges[1].answer, Answer::default());
        assert!(state.is_busy());
    }
}
