//! The edge's tool loop as a state machine: model events and tool results in, protocol events
//! and tool jobs out. No I/O. It is the one place where model events become widget events, in
//! both tool modes: hosted mode's loop ([`ToolLoop::hosted`]) never gets a tool job; it passes
//! the provider's own tool listings, calls and approval requests on ([`HostedEvent`], scrubbed)
//! and its `done` carries the response's id.
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
//! `error`. A call whose function needs the user's approval is not announced while it streams:
//! when the round ends it becomes an `approval_request` ([`Step::RunTools::waiting`]); the
//! loop's state is then exported ([`ToolLoop::pause`]) and later rebuilt with the user's
//! decisions ([`ToolLoop::resume`]), so the edge keeps nothing between the two requests.
//!
//! Bounds ([`Limits`]), each ending the answer with its own code: tool rounds, calls per round,
//! calls per answer, bytes of one call's arguments, bytes of tool output per answer. Secrets are
//! scrubbed over the joined fragments of the text, the reasoning and each call's arguments
//! (what the scrubbers hold back is released when the round ends or the answer fails), and
//! from every tool result, so neither the widget, the model's history nor a sealed pending
//! state carries one.

use protocol::{ApiError, ApprovalDecision, ErrorCode, StreamEvent};
use serde::{Deserialize, Serialize};

pub use self::hosted::HostedEvent;
use self::hosted::HostedItems;
use crate::answer::meter::Meter;
use crate::config::Config;
use crate::mcp::toolbox::Toolbox;
use crate::redact::{Scrubber, Secrets};

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
    /// The round's token usage so far (the last one of a round counts).
    Usage(protocol::Usage),
    /// The provider's id of this response (hosted mode's `done` hands it back; the last counts).
    ResponseId(String),
    /// A tool the provider runs itself (hosted mode).
    Hosted(HostedEvent),
    /// The round's stream ended normally.
    Finished,
    /// The provider failed; the answer ends with this error.
    Failed(ApiError),
    /// A call of the provider's own tools (web search, code interpreter), already scrubbed:
    /// passed on as is (`crate::providers::hosted_calls`).
    ProviderTool(StreamEvent),
}

/// The loop's bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Tool rounds allowed; a model that asks for tools once more fails the answer.
    pub max_rounds: usize,
    /// Cap on one tool result, in bytes (longer results are cut with a note).
    pub max_result_bytes: usize,
    /// Calls one round may ask for.
    pub max_calls_per_round: usize,
    /// Calls one answer may make, over all rounds.
    pub max_calls: usize,
    /// Bytes of tool output one answer may collect.
    pub max_output_bytes: usize,
    /// Bytes of one call's arguments.
    pub max_argument_bytes: usize,
}

impl Limits {
    /// No tool call at all (hosted mode, where the edge runs none).
    const NO_TOOLS: Self = Self {
        max_rounds: 0,
        max_result_bytes: 0,
        max_calls_per_round: 0,
        max_calls: 0,
        max_output_bytes: 0,
        max_argument_bytes: 0,
    };

    /// The limits `config` sets.
    pub fn from_config(config: &Config) -> Self {
        Self {
            max_rounds: config.tools.max_rounds,
            max_result_bytes: config.tools.max_result_bytes,
            max_calls_per_round: config.bounds.max_calls_per_round,
            max_calls: config.bounds.max_calls,
            max_output_bytes: config.bounds.max_output_bytes,
            max_argument_bytes: config.bounds.max_argument_bytes,
        }
    }
}

/// One finished (or running) round: the model's text and the calls it asked for.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Round {
    /// The text the model streamed in this round (scrubbed).
    pub text: String,
    /// The calls, in the order the model made them.
    pub calls: Vec<Call>,
}

/// One tool call of a round.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Call {
    #[serde(skip)]
    key: String,
    /// The id the provider answers it by.
    pub call_id: String,
    /// The function name.
    pub name: String,
    /// The JSON arguments (scrubbed).
    pub arguments: String,
    /// What the model is told: the (cut) result, or the failure.
    pub output: Option<String>,
}

#[cfg(test)]
impl Call {
    /// A finished call, for request-building tests.
    pub(crate) fn for_tests(call_id: &str, name: &str, arguments: &str, output: &str) -> Self {
        Self {
            key: String::new(),
            call_id: call_id.to_owned(),
            name: name.to_owned(),
            arguments: arguments.to_owned(),
            output: Some(output.to_owned()),
        }
    }
}

/// A tool call the component must run (or, when it waits, ask the user about).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
    /// Send `events`, run `jobs` (report each result); then, when calls are `waiting`, pause
    /// for the user's approval, else start the next round.
    RunTools {
        /// Events to send first (calls to unknown functions fail at once).
        events: Vec<StreamEvent>,
        /// The calls to run.
        jobs: Vec<ToolJob>,
        /// The calls that wait for the user's approval.
        waiting: Vec<ToolJob>,
    },
    /// Send these events; the stream is over (the last one is `done` or `error`).
    End(Vec<StreamEvent>),
}

/// The loop's state while calls wait for the user: everything [`ToolLoop::resume`] needs.
/// It travels sealed through the browser (`crate::answer::pending`), so it never holds a secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Paused {
    /// Every round so far; the last one's waiting calls have no output yet.
    pub rounds: Vec<Round>,
    /// The calls that wait, with their server and tool.
    pub waiting: Vec<ToolJob>,
    /// Tool rounds used.
    pub n_tool_rounds: usize,
    /// Calls made.
    pub n_calls: usize,
    /// Bytes of tool output collected.
    pub n_output_bytes: usize,
    /// The call that waits for the user's answer to a server's question (`waiting` then holds
    /// the round's calls that wait for approval, asked again after it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub elicited: Option<crate::answer::elicit::Elicited>,
}

impl Paused {
    /// True when `decisions` answer every waiting call exactly once, and nothing else.
    pub fn decided_by(&self, decisions: &[ApprovalDecision]) -> bool {
        decisions.len() == self.waiting.len()
            && self.waiting.iter().all(|job| {
                decisions
                    .iter()
                    .filter(|d| d.approval_request_id == job.call_id)
                    .count()
                    == 1
            })
    }
}

/// Why a continuation's decisions do not fit the paused state.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the approvals do not answer the calls that wait")]
pub struct DecisionsMismatch;

/// The stream scrubbers of the running round.
#[derive(Debug, Default)]
struct Scrubbers {
    text: Scrubber,
    reasoning: Scrubber,
    /// Call key -> the scrubber of its arguments and the raw bytes seen.
    arguments: Vec<(String, Scrubber, usize)>,
}

/// One answer's loop.
#[derive(Debug)]
pub struct ToolLoop {
    toolbox: Toolbox,
    limits: Limits,
    rounds: Vec<Round>,
    n_tool_rounds: usize,
    n_calls: usize,
    n_output_bytes: usize,
    failed: Option<ApiError>,
    secrets: Secrets,
    scrubbers: Scrubbers,
    /// The running round's token usage (the provider's last word on it).
    round_usage: Option<protocol::Usage>,
    meter: Meter,
    /// Hosted mode: the provider's own tools; its function calls are ignored.
    hosted: Option<HostedItems>,
    /// Hosted mode: the response's id, for `done`.
    response_id: Option<String>,
}

impl ToolLoop {
    /// A loop offering `toolbox`, scrubbing `secrets` from everything it passes on.
    pub fn new(toolbox: Toolbox, limits: Limits, secrets: Vec<String>) -> Self {
        let secrets = Secrets::new(secrets);
        Self {
            toolbox,
            limits,
            rounds: vec![Round::default()],
            n_tool_rounds: 0,
            n_calls: 0,
            n_output_bytes: 0,
            failed: None,
            scrubbers: scrubbers(&secrets),
            secrets,
            round_usage: None,
            meter: Meter::default(),
            hosted: None,
            response_id: None,
        }
    }

    /// Hosted mode's loop: the provider runs the tools, so it never gets a tool job; its
    /// listings and calls pass through as events ([`HostedEvent`]), and `done` carries the
    /// response's id.
    pub fn hosted(secrets: Vec<String>) -> Self {
        let mut tool_loop = Self::new(Toolbox::default(), Limits::NO_TOOLS, secrets);
        tool_loop.hosted = Some(HostedItems::default());
        tool_loop
    }

    /// The answer's usage and timings; the glue shows it every event it sends.
    pub fn meter(&mut self) -> &mut Meter {
        &mut self.meter
    }

    /// Hosted mode: the loop continues the provider's response `id` (a resumed stream starts
    /// after `response.created`, so `done` learns the id from here).
    pub fn continuing(&mut self, id: &str) {
        self.response_id = Some(id.to_owned());
    }

    /// Hosted mode: the provider's response id, once known (until `done` takes it).
    pub fn response_id(&self) -> Option<&str> {
        self.response_id.as_deref()
    }

    /// True when no scrubber holds text back: everything fed so far is out.
    pub fn holds_nothing(&self) -> bool {
        self.scrubbers.text.holds_nothing()
            && self.scrubbers.reasoning.holds_nothing()
            && self
                .scrubbers
                .arguments
                .iter()
                .all(|(_, s, _)| s.holds_nothing())
            && self.hosted.as_ref().is_none_or(HostedItems::holds_nothing)
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

    /// True once the answer failed (its `error` event was produced).
    pub fn failed(&self) -> bool {
        self.failed.is_some()
    }

    /// Ends the answer with `error` (from outside the loop: a time limit, a hostile upstream):
    /// what the scrubbers held, then the error. Nothing when it already failed.
    pub fn fail(&mut self, error: ApiError) -> Vec<StreamEvent> {
        if self.failed.is_some() {
            return Vec::new();
        }
        let mut res = self.flush();
        self.failed = Some(error.clone());
        res.push(StreamEvent::Error(error));
        res
    }

    /// Takes one event of the running round's stream.
    pub fn on_model_event(&mut self, event: ModelEvent) -> Vec<StreamEvent> {
        if self.failed.is_some() {
            return Vec::new();
        }
        match event {
            ModelEvent::Text(delta) => {
                let delta = self.scrubbers.text.push(&delta);
                if delta.is_empty() {
                    return vec![];
                }
                self.keep_text(&delta);
                vec![StreamEvent::TextDelta { delta }]
            }
            ModelEvent::Reasoning(delta) => match self.scrubbers.reasoning.push(&delta) {
                delta if delta.is_empty() => vec![],
                delta => vec![StreamEvent::ReasoningDelta { delta }],
            },
            ModelEvent::Finished => vec![],
            ModelEvent::Usage(usage) => {
                self.round_usage = Some(usage);
                vec![]
            }
            ModelEvent::ResponseId(id) => {
                if self.hosted.is_some() {
                    self.response_id = Some(id);
                }
                vec![]
            }
            ModelEvent::Hosted(event) => match &mut self.hosted {
                Some(hosted) => hosted.on_event(event, &self.secrets),
                None => vec![],
            },
            // Hosted mode offers the model no function: it has none to call.
            ModelEvent::CallStarted { .. }
            | ModelEvent::CallArguments { .. }
            | ModelEvent::CallArgumentsDone { .. }
                if self.hosted.is_some() =>
            {
                vec![]
            }
            ModelEvent::CallStarted { key, call_id, name } => self.call_started(key, call_id, name),
            ModelEvent::CallArguments { key, delta } => self.call_arguments(&key, &delta),
            ModelEvent::CallArgumentsDone { key, arguments } => {
                let seen = self
                    .scrubbers
                    .arguments
                    .iter()
                    .any(|(k, _, n)| *k == key && *n > 0);
                if seen || arguments.is_empty() {
                    return vec![];
                }
                self.call_arguments(&key, &arguments)
            }
            ModelEvent::Failed(error) => self.fail(error),
            ModelEvent::ProviderTool(event) => vec![event],
        }
    }

    /// The running round's stream ended: what happens next.
    pub fn end_round(&mut self) -> Step {
        if self.failed.is_some() {
            return Step::End(Vec::new());
        }
        if let Some(usage) = self.round_usage.take() {
            self.meter.tokens(&usage);
        }
        let mut events = self.flush();
        let round = self.rounds.last_mut().expect("a round is always running");
        if round.calls.is_empty() {
            events.push(StreamEvent::Done {
                response_id: self.response_id.take(),
                usage: None,
            });
            return Step::End(events);
        }
        if self.n_tool_rounds >= self.limits.max_rounds {
            let message = format!(
                "the model was still calling tools after {} rounds, the limit of this edge",
                self.limits.max_rounds
            );
            events.extend(self.fail(bound(ErrorCode::ToolRoundsExceeded, message)));
            return Step::End(events);
        }
        self.n_tool_rounds += 1;
        let mut jobs = Vec::new();
        let mut waiting = Vec::new();
        for call in &mut round.calls {
            match self.toolbox.find(&call.name) {
                Some(function) => {
                    let job = ToolJob {
                        call_id: call.call_id.clone(),
                        server: function.server.clone(),
                        tool: function.tool.clone(),
                        arguments: call.arguments.clone(),
                    };
                    if function.needs_approval {
                        events.push(StreamEvent::ApprovalRequest {
                            approval_request_id: job.call_id.clone(),
                            server: job.server.clone(),
                            tool: job.tool.clone(),
                            arguments: job.arguments.clone(),
                        });
                        waiting.push(job);
                    } else {
                        jobs.push(job);
                    }
                }
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
        Step::RunTools {
            events,
            jobs,
            waiting,
        }
    }

    /// A job's outcome: the tool's text, or why it failed. Returns the events to send; past the
    /// answer's output limit, the last one is the `error` that ends it.
    pub fn on_tool_result(
        &mut self,
        call_id: &str,
        outcome: Result<String, String>,
    ) -> Vec<StreamEvent> {
        self.on_rich_result(call_id, outcome, Vec::new())
    }

    /// [`Self::on_tool_result`] with the parts the user is shown of a rich result
    /// ([`crate::answer::result_parts`], already scrubbed).
    pub fn on_rich_result(
        &mut self,
        call_id: &str,
        outcome: Result<String, String>,
        parts: Vec<protocol::ResultPart>,
    ) -> Vec<StreamEvent> {
        if self.failed.is_some() {
            return Vec::new();
        }
        let max_result_bytes = self.limits.max_result_bytes;
        let secrets = self.secrets.clone();
        let Some(call) = self
            .running()
            .calls
            .iter_mut()
            .find(|c| c.call_id == call_id)
        else {
            return Vec::new();
        };
        let (event, n_bytes) = match outcome {
            Ok(text) => {
                let output = secrets.redact(&cut(&text, max_result_bytes));
                call.output = Some(output.clone());
                let n_bytes = output.len();
                let event = StreamEvent::ToolCallResult {
                    call_id: call_id.to_owned(),
                    output,
                    parts,
                };
                (event, n_bytes)
            }
            Err(error) => {
                let error = secrets.redact(&cut(&error, max_result_bytes));
                call.output = Some(format!("error: {error}"));
                let n_bytes = error.len();
                let event = StreamEvent::ToolCallFailed {
                    call_id: call_id.to_owned(),
                    error,
                };
                (event, n_bytes)
            }
        };
        let mut res = vec![event];
        self.n_output_bytes = self.n_output_bytes.saturating_add(n_bytes);
        if self.n_output_bytes > self.limits.max_output_bytes {
            let message = format!(
                "the tools returned more than {} bytes in this answer, the limit of this edge",
                self.limits.max_output_bytes
            );
            res.extend(self.fail(bound(ErrorCode::ToolOutputExceeded, message)));
        }
        res
    }

    /// Starts the next round (after every job of the last one reported).
    pub fn next_round(&mut self) {
        self.rounds.push(Round::default());
        self.scrubbers = scrubbers(&self.secrets);
    }

    /// The loop's state while `waiting` calls wait for the user (after the round's other jobs
    /// reported).
    pub fn pause(&self, waiting: Vec<ToolJob>) -> Paused {
        Paused {
            rounds: self.rounds.clone(),
            waiting,
            n_tool_rounds: self.n_tool_rounds,
            n_calls: self.n_calls,
            n_output_bytes: self.n_output_bytes,
            elicited: None,
        }
    }

    /// Rebuilds a loop paused on a server's question (no decisions to apply): the running
    /// round's calls keep what they had; the caller finishes the call that asked.
    pub fn restore(
        toolbox: Toolbox,
        limits: Limits,
        secrets: Vec<String>,
        paused: &Paused,
    ) -> Self {
        let mut tool_loop = Self::new(toolbox, limits, secrets);
        tool_loop.rounds = paused.rounds.clone();
        tool_loop.n_tool_rounds = paused.n_tool_rounds;
        tool_loop.n_calls = paused.n_calls;
        tool_loop.n_output_bytes = paused.n_output_bytes;
        tool_loop
    }

    /// Rebuilds a paused loop with the user's decisions, which must answer every waiting call
    /// exactly once. Returns the loop, the approved calls to run (each announced in the events,
    /// as it was not while it streamed) and those events. A denied call goes back to the model
    /// as a denial; a call whose tool is no longer offered fails.
    pub fn resume(
        toolbox: Toolbox,
        limits: Limits,
        secrets: Vec<String>,
        paused: Paused,
        decisions: &[ApprovalDecision],
    ) -> Result<(Self, Vec<ToolJob>, Vec<StreamEvent>), DecisionsMismatch> {
        if !paused.decided_by(decisions) || paused.rounds.is_empty() {
            return Err(DecisionsMismatch);
        }
        let mut tool_loop = Self::new(toolbox, limits, secrets);
        tool_loop.rounds = paused.rounds;
        tool_loop.n_tool_rounds = paused.n_tool_rounds;
        tool_loop.n_calls = paused.n_calls;
        tool_loop.n_output_bytes = paused.n_output_bytes;
        let mut jobs = Vec::new();
        let mut events = Vec::new();
        for job in paused.waiting {
            let approved = decisions
                .iter()
                .any(|d| d.approval_request_id == job.call_id && d.approve);
            let offered = tool_loop
                .toolbox
                .find_tool(&job.server, &job.tool)
                .is_some();
            let output = match (approved, offered) {
                (false, _) => Some("error: the user denied this call".to_owned()),
                (true, false) => {
                    events.push(StreamEvent::ToolCallFailed {
                        call_id: job.call_id.clone(),
                        error: "the tool is no longer offered".to_owned(),
                    });
                    Some("error: the tool is no longer offered".to_owned())
                }
                (true, true) => {
                    events.push(StreamEvent::ToolCallStarted {
                        call_id: job.call_id.clone(),
                        server: job.server.clone(),
                        tool: job.tool.clone(),
                    });
                    if !job.arguments.is_empty() {
                        events.push(StreamEvent::ToolCallArgumentsDelta {
                            call_id: job.call_id.clone(),
                            delta: job.arguments.clone(),
                        });
                    }
                    None
                }
            };
            let call = tool_loop
                .running()
                .calls
                .iter_mut()
                .find(|c| c.call_id == job.call_id)
                .ok_or(DecisionsMismatch)?;
            match output {
                Some(output) => call.output = Some(output),
                None => jobs.push(job),
            }
        }
        Ok((tool_loop, jobs, events))
    }

    /// Keeps the round's text for the next request's history (hosted mode has none).
    fn keep_text(&mut self, text: &str) {
        if self.hosted.is_none() {
            self.running().text.push_str(text);
        }
    }

    fn running(&mut self) -> &mut Round {
        self.rounds.last_mut().expect("a round is always running")
    }

    fn call_started(&mut self, key: String, call_id: String, name: String) -> Vec<StreamEvent> {
        if self.running().calls.iter().any(|c| c.key == key) {
            return vec![];
        }
        if self.running().calls.len() >= self.limits.max_calls_per_round {
            let message = format!(
                "the model asked for more than {} tool calls in one round, the limit of this edge",
                self.limits.max_calls_per_round
            );
            return self.fail(bound(ErrorCode::ToolCallsPerRoundExceeded, message));
        }
        if self.n_calls >= self.limits.max_calls {
            let message = format!(
                "the model asked for more than {} tool calls in this answer, the limit of this edge",
                self.limits.max_calls
            );
            return self.fail(bound(ErrorCode::ToolCallsExceeded, message));
        }
        self.n_calls += 1;
        let call_id = self.secrets.redact(&call_id);
        let name = self.secrets.redact(&name);
        let function = self.toolbox.find(&name);
        let announced = !function.is_some_and(|f| f.needs_approval);
        let (server, tool) = match function {
            Some(f) => (f.server.clone(), f.tool.clone()),
            None => (String::new(), name.clone()),
        };
        self.scrubbers
            .arguments
            .push((key.clone(), self.secrets.scrubber(), 0));
        self.running().calls.push(Call {
            key,
            call_id: call_id.clone(),
            name,
            arguments: String::new(),
            output: None,
        });
        if !announced {
            return vec![];
        }
        vec![StreamEvent::ToolCallStarted {
            call_id,
            server,
            tool,
        }]
    }

    fn call_arguments(&mut self, key: &str, delta: &str) -> Vec<StreamEvent> {
        let Some(at) = self
            .scrubbers
            .arguments
            .iter()
            .position(|(k, _, _)| k == key)
        else {
            return vec![];
        };
        let n_bytes = self.scrubbers.arguments[at].2.saturating_add(delta.len());
        if n_bytes > self.limits.max_argument_bytes {
            let message = format!(
                "the model's arguments for one tool call are larger than {} bytes, the limit of this edge",
                self.limits.max_argument_bytes
            );
            return self.fail(bound(ErrorCode::ToolArgumentsTooLarge, message));
        }
        self.scrubbers.arguments[at].2 = n_bytes;
        let delta = self.scrubbers.arguments[at].1.push(delta);
        self.append_arguments(key, delta)
    }

    /// Adds scrubbed argument text to the call; the event, unless the call waits for approval.
    fn append_arguments(&mut self, key: &str, delta: String) -> Vec<StreamEvent> {
        if delta.is_empty() {
            return vec![];
        }
        let toolbox = &self.toolbox;
        let round = self.rounds.last_mut().expect("a round is always running");
        let Some(call) = round.calls.iter_mut().find(|c| c.key == key) else {
            return vec![];
        };
        call.arguments.push_str(&delta);
        if toolbox.find(&call.name).is_some_and(|f| f.needs_approval) {
            return vec![];
        }
        vec![StreamEvent::ToolCallArgumentsDelta {
            call_id: call.call_id.clone(),
            delta,
        }]
    }

    /// Releases what the running round's scrubbers hold.
    fn flush(&mut self) -> Vec<StreamEvent> {
        let mut res = self
            .hosted
            .as_mut()
            .map(HostedItems::flush)
            .unwrap_or_default();
        let arguments = std::mem::take(&mut self.scrubbers.arguments);
        for (key, mut scrubber, n_bytes) in arguments {
            let tail = scrubber.finish();
            res.extend(self.append_arguments(&key, tail));
            self.scrubbers
                .arguments
                .push((key, self.secrets.scrubber(), n_bytes));
        }
        let reasoning = self.scrubbers.reasoning.finish();
        if !reasoning.is_empty() {
            res.push(StreamEvent::ReasoningDelta { delta: reasoning });
        }
        let text = self.scrubbers.text.finish();
        if !text.is_empty() {
            self.keep_text(&text);
            res.push(StreamEvent::TextDelta { delta: text });
        }
        res
    }
}

fn scrubbers(secrets: &Secrets) -> Scrubbers {
    Scrubbers {
        text: secrets.scrubber(),
        reasoning: secrets.scrubber(),
        arguments: Vec::new(),
    }
}

fn bound(code: ErrorCode, message: String) -> ApiError {
    ApiError {
        code,
        message,
        retryable: false,
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

mod hosted;
#[cfg(test)]
mod tests;
