//! The edge's tool loop as a state machine: model events and tool results in, protocol events
//! and tool jobs out. No I/O.
//!
//! One answer is a series of rounds. In each round the model streams text and may ask for tool
//! calls ([`ModelEvent`]s, decoded from either provider's stream). When the round's stream ends,
//! [`ToolLoop::end_round`] says what comes next: the answer is done (no calls), it fails (the
//! round limit was reached, or the provider failed), or the calls must run ([`ToolJob`]s). Each
//! result comes back through [`ToolLoop::on_tool_result`], cut to the size cap with a note, and
//! the next round's request carries the whole history ([`ToolLoop::rounds`]).
//!
//! The widget sees the same events as in hosted mode: `tool_call_started`,
//! `tool_call_arguments_delta`, `tool_call_result` or `tool_call_failed`, text, then `done` or
//! `error`.

use protocol::{ApiError, ErrorCode, StreamEvent};

use crate::provider::redact;
use crate::toolbox::Toolbox;

/// What a provider's stream says, in either API's terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelEvent {
    /// More answer text.
    Text(String),
    /// More reasoning summary.
    Reasoning(String),
    /// The model started a call; `key` names it in later events of this stream.
    CallStarted {
        /// The stream's name for the call (item id or index).
        key: String,
        /// The id to answer the call with.
        call_id: String,
        /// The function name.
        name: String,
    },
    /// More of a call's JSON arguments.
    CallArguments {
        /// The call.
        key: String,
        /// The fragment.
        delta: String,
    },
    /// A call's complete arguments (used when no fragments came).
    CallArgumentsDone {
        /// The call.
        key: String,
        /// The whole JSON text.
        arguments: String,
    },
    /// The round's stream ended normally.
    Finished,
    /// The provider failed; the answer ends with this error.
    Failed(ApiError),
}

/// The loop's bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Tool rounds allowed; a model that asks for tools once more fails the answer.
    pub max_rounds: usize,
    /// Cap on one tool result, in bytes.
    pub max_result_bytes: usize,
}

/// One finished (or running) round: the model's text and the calls it asked for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Round {
    /// The text the model streamed in this round.
    pub text: String,
    /// The calls, in the order the model made them.
    pub calls: Vec<Call>,
}

/// One tool call of a round.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    key: String,
    /// The id the provider answers it by.
    pub call_id: String,
    /// The function name.
    pub name: String,
    /// The JSON arguments.
    pub arguments: String,
    /// What the model is told: the (cut) result, or the failure.
    pub output: Option<String>,
}

#[cfg(test)]
impl Call {
    /// A finished call, for request-building tests.
    pub(crate) fn for_tests(call_id: &str, name: &str, arguments: &str, output: &str) -> Self {
        Self {
            key: call_id.to_owned(),
            call_id: call_id.to_owned(),
            name: name.to_owned(),
            arguments: arguments.to_owned(),
            output: Some(output.to_owned()),
        }
    }
}

/// A tool call the component must run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolJob {
    /// The call.
    pub call_id: String,
    /// The server id.
    pub server: String,
    /// The tool's name on its server.
    pub tool: String,
    /// The JSON arguments.
    pub arguments: String,
}

/// What comes after a round.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Send `events`, run `jobs` (report each result), then start the next round.
    RunTools {
        /// Events to send first (calls to unknown functions fail at once).
        events: Vec<StreamEvent>,
        /// The calls to run.
        jobs: Vec<ToolJob>,
    },
    /// Send these events; the stream is over (the last one is `done` or `error`).
    End(Vec<StreamEvent>),
}

/// One answer's loop.
#[derive(Debug)]
pub struct ToolLoop {
    toolbox: Toolbox,
    limits: Limits,
    rounds: Vec<Round>,
    n_tool_rounds: usize,
    failed: Option<ApiError>,
    secrets: Vec<String>,
}

impl ToolLoop {
    /// A loop offering `toolbox`, scrubbing `secrets` from tool output.
    pub fn new(toolbox: Toolbox, limits: Limits, secrets: Vec<String>) -> Self {
        Self {
            toolbox,
            limits,
            rounds: vec![Round::default()],
            n_tool_rounds: 0,
            failed: None,
            secrets,
        }
    }

    /// The functions offered.
    pub fn toolbox(&self) -> &Toolbox {
        &self.toolbox
    }

    /// Every round so far; the last is the running one.
    pub fn rounds(&self) -> &[Round] {
        &self.rounds
    }

    /// The rounds before the running one (what the next request replays).
    pub fn history(&self) -> &[Round] {
        &self.rounds[..self.rounds.len() - 1]
    }

    /// Takes one event of the running round's stream.
    pub fn on_model_event(&mut self, event: ModelEvent) -> Vec<StreamEvent> {
        if self.failed.is_some() {
            return Vec::new();
        }
        let round = self.rounds.last_mut().expect("a round is always running");
        match event {
            ModelEvent::Text(delta) if !delta.is_empty() => {
                round.text.push_str(&delta);
                vec![StreamEvent::TextDelta { delta }]
            }
            ModelEvent::Reasoning(delta) if !delta.is_empty() => {
                vec![StreamEvent::ReasoningDelta { delta }]
            }
            ModelEvent::Text(_) | ModelEvent::Reasoning(_) | ModelEvent::Finished => vec![],
            ModelEvent::CallStarted { key, call_id, name } => {
                if round.calls.iter().any(|c| c.key == key) {
                    return vec![];
                }
                let (server, tool) = match self.toolbox.find(&name) {
                    Some(f) => (f.server.clone(), f.tool.clone()),
                    None => (String::new(), name.clone()),
                };
                round.calls.push(Call {
                    key,
                    call_id: call_id.clone(),
                    name,
                    arguments: String::new(),
                    output: None,
                });
                vec![StreamEvent::ToolCallStarted {
                    call_id,
                    server,
                    tool,
                }]
            }
            ModelEvent::CallArguments { key, delta } => {
                match round.calls.iter_mut().find(|c| c.key == key) {
                    Some(call) if !delta.is_empty() => {
                        call.arguments.push_str(&delta);
                        vec![StreamEvent::ToolCallArgumentsDelta {
                            call_id: call.call_id.clone(),
                            delta,
                        }]
                    }
                    _ => vec![],
                }
            }
            ModelEvent::CallArgumentsDone { key, arguments } => {
                match round.calls.iter_mut().find(|c| c.key == key) {
                    Some(call) if call.arguments.is_empty() && !arguments.is_empty() => {
                        call.arguments = arguments.clone();
                        vec![StreamEvent::ToolCallArgumentsDelta {
                            call_id: call.call_id.clone(),
                            delta: arguments,
                        }]
                    }
                    _ => vec![],
                }
            }
            ModelEvent::Failed(error) => {
                self.failed = Some(error.clone());
                vec![StreamEvent::Error(error)]
            }
        }
    }

    /// The running round's stream ended: what happens next.
    pub fn end_round(&mut self) -> Step {
        if self.failed.is_some() {
            return Step::End(Vec::new());
        }
        let round = self.rounds.last_mut().expect("a round is always running");
        if round.calls.is_empty() {
            return Step::End(vec![StreamEvent::Done { response_id: None }]);
        }
        if self.n_tool_rounds >= self.limits.max_rounds {
            let error = ApiError {
                code: ErrorCode::ToolRoundsExceeded,
                message: format!(
                    "the model was still calling tools after {} rounds, the limit of this edge",
                    self.limits.max_rounds
                ),
                retryable: false,
            };
            self.failed = Some(error.clone());
            return Step::End(vec![StreamEvent::Error(error)]);
        }
        self.n_tool_rounds += 1;
        let mut events = Vec::new();
        let mut jobs = Vec::new();
        for call in &mut round.calls {
            match self.toolbox.find(&call.name) {
                Some(function) => jobs.push(ToolJob {
                    call_id: call.call_id.clone(),
                    server: function.server.clone(),
                    tool: function.tool.clone(),
                    arguments: call.arguments.clone(),
                }),
                None => {
                    let error = format!("there is no tool named {:?}", call.name);
                    call.output = Some(format!("error: {error}"));
                    events.push(StreamEvent::ToolCallFailed {
                        call_id: call.call_id.clone(),
                        error,
                    });
                }
            }
        }
        Step::RunTools { events, jobs }
    }

    /// A job's outcome: the tool's text, or why it failed. Returns the event to send.
    pub fn on_tool_result(
        &mut self,
        call_id: &str,
        outcome: Result<String, String>,
    ) -> Vec<StreamEvent> {
        let secrets: Vec<&str> = self.secrets.iter().map(String::as_str).collect();
        let round = self.rounds.last_mut().expect("a round is always running");
        let Some(call) = round.calls.iter_mut().find(|c| c.call_id == call_id) else {
            return Vec::new();
        };
        match outcome {
            Ok(text) => {
                let output = redact(&cut(&text, self.limits.max_result_bytes), &secrets);
                call.output = Some(output.clone());
                vec![StreamEvent::ToolCallResult {
                    call_id: call_id.to_owned(),
                    output,
                }]
            }
            Err(error) => {
                let error = redact(&cut(&error, self.limits.max_result_bytes), &secrets);
                call.output = Some(format!("error: {error}"));
                vec![StreamEvent::ToolCallFailed {
                    call_id: call_id.to_owned(),
                    error,
                }]
            }
        }
    }

    /// Starts the next round (after every job of the last one reported).
    pub fn next_round(&mut self) {
        self.rounds.push(Round::default());
    }
}

/// `text` cut to at most `max_bytes` (at a character boundary), with a note saying so.
pub fn cut(text: &str, max_bytes: usize) -> String {
    if text.len() <= max_bytes {
        return text.to_owned();
    }
    let mut end = max_bytes;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!(
        "{}\n[result cut by the edge: {} of {} bytes shown]",
        &text[..end],
        end,
        text.len()
    )
}

#[cfg(test)]
mod tests;
