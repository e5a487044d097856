//! One assistant answer as plain data, and how each stream event changes it.
//!
//! [`Answer::apply`] is the only way stream events get into an answer. Events for unknown tool
//! calls, and every event after the answer ended, are ignored; a terminal event (`done`,
//! `error`) ends the answer and settles calls still running, so the view never shows a spinner
//! that will not stop. A `done` that leaves approval requests open parks the answer in
//! [`AnswerStatus::AwaitingApproval`] until the user decides.

use protocol::{ApiError, ErrorCode, StreamEvent, ToolStatus, Usage};

/// The assistant's answer to one question.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Answer {
    /// The edge's id for the request, from `started`.
    pub(crate) request_id: Option<String>,
    /// The provider's id for the response, from `done` (an approval continues it).
    pub(crate) response_id: Option<String>,
    /// The answer text so far (markdown).
    pub(crate) text: String,
    /// The model's reasoning summary so far.
    pub(crate) reasoning: String,
    /// Tool listings, one per server, in the order they started.
    pub(crate) tool_lists: Vec<ToolList>,
    /// Tool calls in the order they started.
    pub(crate) tool_calls: Vec<ToolCall>,
    /// Tool calls the model asked the user to approve, in order.
    pub(crate) approvals: Vec<Approval>,
    /// Questions servers asked the user during tool calls, in order.
    pub(crate) asks: Vec<super::elicitation::Ask>,
    /// Whether the answer is still coming.
    pub(crate) status: AnswerStatus,
    /// Tokens and timings from the last `done` (not stored with the thread).
    pub(crate) usage: Option<Usage>,
    /// The sealed handle of a resumable answer (`resumable`), and the last mark kept: where a
    /// broken-off stream continues (not stored with the thread).
    pub(crate) resume: Option<(String, Option<u64>)>,
}

/// Whether an answer is still coming, and how it ended.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) enum AnswerStatus {
    /// The request is in flight or the stream is being read.
    #[default]
    Streaming,
    /// `done` arrived.
    Complete,
    /// `done` arrived with approval requests the user has not all decided.
    AwaitingApproval,
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
    /// The latest progress its server reported while it runs (`tool_progress`).
    pub(crate) progress: Option<CallProgress>,
    /// A rich result's parts, as the card may render them (`state::parts`; not stored with the
    /// thread: a reloaded card shows the output text).
    pub(crate) parts: Vec<protocol::ResultPart>,
    /// Its MCP App view, once the edge sent one (`app_view`; not stored).
    pub(crate) app: Option<Box<super::app::AppFrame>>,
}

/// How far a running call is: a bar when `percent` is known, else the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CallProgress {
    /// Percent done (0..=100), when the server gave a total.
    pub(crate) percent: Option<u8>,
    /// What the tool says it is doing.
    pub(crate) message: Option<String>,
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

/// A tool call waiting for (or given) the user's approval.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Approval {
    /// The `approval_request_id`.
    pub(crate) id: String,
    /// The server id.
    pub(crate) server: String,
    /// The tool's name.
    pub(crate) tool: String,
    /// The call's JSON arguments, in full.
    pub(crate) arguments: String,
    /// Allowed (`true`) or denied; `None` while undecided.
    pub(crate) decision: Option<bool>,
    /// The decision went to the edge.
    pub(crate) sent: bool,
    /// The user asked something else instead of deciding: it can no longer be decided.
    pub(crate) expired: bool,
}

/// The failure of a call still running when its answer ended: no message of the tool's own,
/// so the view shows the locale's.
pub(crate) const CALL_UNFINISHED: &str = "";

impl Answer {
    /// Folds one stream event into the answer.
    pub(crate) fn apply(&mut self, event: StreamEvent) {
        if self.status != AnswerStatus::Streaming {
            return;
        }
        match event {
            StreamEvent::Started { request_id } => self.request_id = Some(request_id),
            StreamEvent::Resumable { handle } => self.resume = Some((handle, None)),
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
                        progress: None,
                        parts: Vec::new(),
                        app: None,
                    });
                }
            }
            StreamEvent::ToolCallArgumentsDelta { call_id, delta } => {
                if let Some(call) = self.call_mut(&call_id) {
                    call.arguments.push_str(&delta);
                }
            }
            StreamEvent::ToolProgress {
                call_id,
                percent,
                message,
            } => {
                // Progress after the call ended is stale and ignored.
                if let Some(call) = self.call_mut(&call_id)
                    && call.status == CallStatus::Running
                {
                    call.progress = Some(CallProgress { percent, message });
                }
            }
            StreamEvent::ToolCallResult {
                call_id,
                output,
                parts,
            } => {
                if let Some(call) = self.call_mut(&call_id) {
                    call.status = CallStatus::Done(output);
                    call.parts = super::parts::shown(parts);
                    call.progress = None;
                }
            }
            StreamEvent::ToolCallFailed { call_id, error } => {
                if let Some(call) = self.call_mut(&call_id) {
                    call.status = CallStatus::Failed(error);
                    call.progress = None;
                }
            }
            StreamEvent::ApprovalRequest {
                approval_request_id,
                server,
                tool,
                arguments,
            } => {
                if !self.approvals.iter().any(|a| a.id == approval_request_id) {
                    self.approvals.push(Approval {
                        id: approval_request_id,
                        server,
                        tool,
                        arguments,
                        decision: None,
                        sent: false,
                        expired: false,
                    });
                }
            }
            StreamEvent::ElicitationRequest {
                elicitation_id,
                call_id,
                message,
                fields,
                url,
            } => {
                if !self.asks.iter().any(|a| a.id == elicitation_id) {
                    self.asks.push(super::elicitation::Ask {
                        id: elicitation_id,
                        call_id,
                        message,
                        fields,
                        url,
                        reply: None,
                        sent: false,
                        invalid: None,
                    });
                }
            }
            StreamEvent::AppView {
                call_id,
                uri,
                handle,
            } => {
                let shown = self.tool_calls.iter().filter(|c| c.app.is_some()).count();
                // Only for a call that finished well, once, and a few per answer.
                if let Some(call) = self.call_mut(&call_id)
                    && matches!(call.status, CallStatus::Done(_))
                    && call.app.is_none()
                    && shown < super::app::MAX_APPS_PER_ANSWER
                {
                    call.app = Some(Box::new(super::app::AppFrame::new(uri, handle)));
                }
            }
            StreamEvent::Error(error) => self.fail(error),
            StreamEvent::Done { response_id, usage } => {
                self.settle_calls();
                self.usage = usage;
                if response_id.is_some() {
                    self.response_id = response_id;
                }
                let open =
                    self.approvals.iter().any(|a| !a.sent) || self.asks.iter().any(|a| !a.sent);
                self.status = match (open, &self.response_id) {
                    (false, _) => AnswerStatus::Complete,
                    (true, Some(_)) => AnswerStatus::AwaitingApproval,
                    // Without a response to continue, the approvals cannot be answered.
                    (true, None) => {
                        self.expire_approvals();
                        AnswerStatus::Complete
                    }
                };
            }
        }
    }

    /// The answer failed with `error`.
    pub(crate) fn fail(&mut self, error: ApiError) {
        for ask in &mut self.asks {
            ask.sent = true;
        }
        self.settle_calls();
        self.status = AnswerStatus::Failed(error);
    }

    /// The stream ended without a final event.
    pub(crate) fn interrupt(&mut self) {
        // The locale's message for the code says it all.
        self.fail(ApiError {
            code: ErrorCode::StreamInterrupted,
            message: String::new(),
            retryable: true,
        });
    }

    /// Marks calls still running as failed: once the answer has ended, they never finish.
    pub(crate) fn settle_calls(&mut self) {
        let asks = &self.asks;
        for call in &mut self.tool_calls {
            // A call waiting for the user's answer goes on when the answer continues.
            let asking = asks.iter().any(|a| !a.sent && a.call_id == call.call_id);
            if call.status == CallStatus::Running && !asking {
                call.status = CallStatus::Failed(CALL_UNFINISHED.to_owned());
            }
        }
    }

    /// Approvals still open can no longer be decided; an answer waiting for them is complete.
    pub(crate) fn expire_approvals(&mut self) {
        for approval in &mut self.approvals {
            if !approval.sent {
                approval.expired = true;
                approval.sent = true;
            }
        }
        for ask in &mut self.asks {
            ask.sent = true;
        }
        if self.status == AnswerStatus::AwaitingApproval {
            self.status = AnswerStatus::Complete;
        }
    }

    fn call_mut(&mut self, call_id: &str) -> Option<&mut ToolCall> {
        self.tool_calls.iter_mut().find(|c| c.call_id == call_id)
    }
}

#[cfg(test)]
mod tests {
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
        StreamEvent::Done {
            response_id: None,
            usage: None,
        }
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
            progress: None,
            parts: Vec::new(),
            app: None,
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

    #[test]
    fn text_deltas_append_and_done_completes() {
        check(
            vec![
                StreamEvent::Started {
                    request_id: "req_1".into(),
                },
                StreamEvent::ReasoningDelta {
                    delta: "Think".into(),
                },
                text("Hel"),
                text("lo\nworld"),
                StreamEvent::Done {
                    response_id: Some("resp_1".into()),
                    usage: None,
                },
            ],
            Answer {
                request_id: Some("req_1".into()),
                response_id: Some("resp_1".into()),
                text: "Hello\nworld".into(),
                reasoning: "Think".into(),
                status: AnswerStatus::Complete,
                ..Answer::default()
            },
        );
    }

    #[test]
    fn a_rich_result_keeps_only_the_parts_the_card_may_render() {
        let link = |uri: &str| protocol::ResultPart::Link {
            uri: uri.into(),
            title: "t".into(),
        };
        let mut answer = Answer::default();
        answer.apply(started_call("c1"));
        answer.apply(StreamEvent::ToolCallResult {
            call_id: "c1".into(),
            output: "[link: t <javascript:x>]".into(),
            parts: vec![link("https://a.example/"), link("javascript:x")],
        });
        let call = &answer.tool_calls[0];
        assert_eq!(
            call.status,
            CallStatus::Done("[link: t <javascript:x>]".into())
        );
        assert_eq!(
            call.parts,
            [
                link("https://a.example/"),
                protocol::ResultPart::Reference {
                    uri: "javascript:x".into(),
                    title: "t".into()
                }
            ]
        );
    }

    #[test]
    fn tool_call_runs_then_finishes_or_fails() {
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
        let args = "{\"query\":\"select 1\"}";
        check(
            opened.clone(),
            Answer {
                tool_calls: vec![call("c1", args, CallStatus::Running)],
                ..Answer::default()
            },
        );
        let mut finished = opened.clone();
        finished.push(StreamEvent::ToolCallResult {
            call_id: "c1".into(),
            output: "[1]".into(),
            parts: Vec::new(),
        });
        check(
            finished,
            Answer {
                tool_calls: vec![call("c1", args, CallStatus::Done("[1]".into()))],
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
                tool_calls: vec![call("c1", args, CallStatus::Failed("no such table".into()))],
                ..Answer::default()
            },
        );
    }

    #[test]
    fn progress_shows_while_the_call_runs_and_goes_when_it_ends() {
        let progress = |percent, message: Option<&str>| StreamEvent::ToolProgress {
            call_id: "c1".into(),
            percent,
            message: message.map(Into::into),
        };
        let mut running = call("c1", "", CallStatus::Running);
        running.progress = Some(CallProgress {
            percent: None,
            message: Some("scanning".into()),
        });
        check(
            vec![
                started_call("c1"),
                progress(Some(25), None),
                progress(None, Some("scanning")),
            ],
            Answer {
                tool_calls: vec![running],
                ..Answer::default()
            },
        );
        check(
            vec![
                started_call("c1"),
                progress(Some(25), None),
                StreamEvent::ToolCallResult {
                    call_id: "c1".into(),
                    output: "ok".into(),
                    parts: Vec::new(),
                },
                progress(Some(50), None),
            ],
            Answer {
                tool_calls: vec![call("c1", "", CallStatus::Done("ok".into()))],
                ..Answer::default()
            },
        );
    }

    #[test]
    fn events_for_unknown_calls_are_ignored_and_ids_are_kept_apart() {
        check(
            vec![
                started_call("a"),
                started_call("b"),
                started_call("a"),
                StreamEvent::ToolCallResult {
                    call_id: "b".into(),
                    output: "ok".into(),
                    parts: Vec::new(),
                },
                StreamEvent::ToolCallResult {
                    call_id: "zzz".into(),
                    output: "lost".into(),
                    parts: Vec::new(),
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

    #[test]
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

    #[test]
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
                tool_calls: vec![call("c1", "", CallStatus::Failed(CALL_UNFINISHED.into()))],
                status: AnswerStatus::Failed(error(ErrorCode::ProviderRateLimited, true)),
                ..Answer::default()
            },
        );
    }

    #[test]
    fn approvals_without_a_response_id_cannot_wait() {
        let request = StreamEvent::ApprovalRequest {
            approval_request_id: "mcpr_1".into(),
            server: "northwind".into(),
            tool: "read_query".into(),
            arguments: "{}".into(),
        };
        let mut answer = Answer::default();
        answer.apply(request.clone());
        answer.apply(request);
        answer.apply(done());
        assert_eq!(answer.status, AnswerStatus::Complete);
        assert_eq!(
            answer.approvals.len(),
            1,
            "a repeated request is one approval"
        );
        assert!(answer.approvals[0].expired);
    }
}
