//! Edge tool mode's answer from its first event to its last: list each selected server's tools
//! over MCP, run the model rounds through the one provider driver, run the tool jobs (their
//! progress out as it arrives), pause for the user's approval, and end with `done` or `error`.
//!
//! The rules are [`ToolLoop`]'s; this module sequences them over an [`AnswerIo`]: the
//! component's over Spin (`component/tool_chat.rs`), a scripted fake in the tests. The stream
//! carries the same events as in hosted mode: `tool_list` per server, the calls with their
//! arguments and results, text, then `done` or `error`. A wait that stops ([`Stop`]) ends
//! everything at once: a client gone means nothing more is written; a time limit ends the loop
//! with its error (the scrubbers' tails first). A call in flight when a wait stops is called off
//! ([`AnswerIo::cancel_call`]). An MCP reply past its size cap ends the answer with
//! `upstream_too_large`.

use std::time::Instant;

use protocol::{ChatRequest, StreamEvent, ToolStatus};

use crate::answer::deadline::{Note, Stop};
use crate::answer::feed::{Feed, ToolRound, encode, metered};
use crate::answer::meter::Meter;
use crate::answer::pending;
use crate::answer::progress::ProgressGate;
use crate::answer::relay::Relay;
use crate::answer::tool_loop::{Limits, Paused, Step, ToolLoop};
use crate::config::Config;
use crate::incoming::continuation::Sealer;
use crate::mcp::client::{McpError, Progress, ToolDef};
use crate::mcp::toolbox::Toolbox;
use crate::mcp::{self};
use crate::providers::tools::{self, StreamDecoder};
use crate::redact::Secrets;
use crate::servers::pomerium::McpServer;

/// A tool call's outcome: `Ok(Ok(text))`, `Ok(Err(text))` for a tool error, or the failure
/// to call at all.
pub type CallOutcome = Result<Result<String, String>, McpError>;

/// The I/O one answer needs. Each wait keeps the widget's stream alive and stops at the
/// answer's time limits or when the client goes away ([`Stop`]).
// One task per request on a single-threaded executor: the futures need not be `Send`.
#[allow(async_fn_in_trait)]
pub trait AnswerIo {
    /// The clock.
    fn now(&self) -> Instant;
    /// Writes SSE text to the widget (nothing when empty).
    async fn write(&mut self, text: String) -> Result<(), Stop>;
    /// One provider request, `body` to `url`, its stream fed to `feed` until it ends (the one
    /// driver). `Err` carries a note for the log; the stream then already says why.
    async fn model_round(
        &mut self,
        url: String,
        body: String,
        feed: &mut impl Feed,
    ) -> Result<(), Note>;
    /// Opens a session with `server` and lists its tools.
    async fn list_tools(
        &mut self,
        server: &McpServer,
    ) -> Result<Result<Vec<ToolDef>, McpError>, Stop>;
    /// Calls `tool` on the listed server `server`; each progress report the server sends goes
    /// through `progress` as it arrives (at that time) and what it returns is written.
    async fn call_tool(
        &mut self,
        server: &str,
        tool: &str,
        arguments: &str,
        progress: &mut dyn FnMut(Instant, &Progress) -> String,
    ) -> Result<CallOutcome, Stop>;
    /// Tells `server` that the call left in flight is off (`notifications/cancelled`).
    async fn cancel_call(&mut self, server: &str, reason: &str);
}

/// A checked chat request that edge mode answers.
#[derive(Debug)]
pub struct EdgeAnswer<'a> {
    /// The configuration.
    pub config: &'a Config,
    /// The request, its continuation ids opened.
    pub chat: &'a ChatRequest,
    /// The selected servers, resolved.
    pub servers: &'a [McpServer],
    /// The paused loop this request resumes, already checked against its decisions.
    pub paused: Option<Paused>,
    /// What is scrubbed from everything passed on.
    pub secrets: Vec<String>,
    /// Seals what this answer hands out (the paused loop, approval ids) to the user.
    pub sealer: &'a Sealer,
    /// The request's id, for `started`.
    pub request_id: &'a str,
}

/// Streams the answer over `io`. `Err` carries a note for the log (not yet scrubbed); the
/// stream already says why, unless the client is gone.
pub async fn run(answer: EdgeAnswer<'_>, io: &mut impl AnswerIo) -> Result<(), Note> {
    let started = io.now();
    if io.write(Relay::start(answer.request_id)).await.is_err() {
        return Ok(());
    }
    let mut tool_loop = None;
    let ended = Run {
        answer: &answer,
        started,
    }
    .stream(io, &mut tool_loop)
    .await;
    match ended {
        Ok(()) => Ok(()),
        Err(Ended::Note(note)) => Err(note),
        Err(Ended::Stop(stop)) => {
            // A time limit passed while a tool or a listing was pending: the loop ends with it.
            if let Stop::Timeout(error) = &stop {
                let events = match &mut tool_loop {
                    Some(tool_loop) => tool_loop.fail(error.clone()),
                    None => vec![StreamEvent::Error(error.clone())],
                };
                let _ = io.write(encode(&events)).await;
            }
            Err(stop.note())
        }
    }
}

/// Why an answer stopped early.
enum Ended {
    /// A wait stopped; a time limit's error is still to be sent.
    Stop(Stop),
    /// The answer already said why; the note goes to the log (scrubbed and escaped).
    Note(Note),
}

impl From<Stop> for Ended {
    fn from(stop: Stop) -> Self {
        Self::Stop(stop)
    }
}

impl From<Note> for Ended {
    fn from(note: Note) -> Self {
        Self::Note(note)
    }
}

struct Run<'a, 'b> {
    answer: &'a EdgeAnswer<'b>,
    /// When the edge accepted the request (the answer's timings count from here).
    started: Instant,
}

impl Run<'_, '_> {
    /// The whole answer; `tool_loop` holds the loop once it runs, so a caller that stops it
    /// (the deadline) can end it with the scrubbers' tails and one error. With `paused`, the
    /// loop resumes: the approved calls run first, then the next round.
    async fn stream(
        &self,
        io: &mut impl AnswerIo,
        tool_loop: &mut Option<ToolLoop>,
    ) -> Result<(), Ended> {
        let EdgeAnswer {
            config,
            chat,
            servers,
            sealer,
            ..
        } = *self.answer;
        let secrets = &self.answer.secrets;
        let (toolbox, listed) = list_tools(config, servers, secrets, io).await?;
        let limits = Limits::from_config(config);
        let paused = self.answer.paused.clone();
        let mut resuming = paused.is_some();
        let (new_loop, mut jobs, events) = match paused {
            None => (
                ToolLoop::new(toolbox, limits, secrets.clone()),
                Vec::new(),
                Vec::new(),
            ),
            Some(paused) => {
                ToolLoop::resume(toolbox, limits, secrets.clone(), paused, &chat.approvals)
                    .map_err(|e| Ended::Note(e.to_string()))?
            }
        };
        let tool_loop = tool_loop.insert(new_loop);
        *tool_loop.meter() = Meter::new(self.started);
        io.write(metered(tool_loop, events)).await?;
        loop {
            let mut waiting = Vec::new();
            if !resuming {
                self.model_round(tool_loop, io).await?;
                match tool_loop.end_round() {
                    Step::End(events) => {
                        return Ok(io.write(metered(tool_loop, events)).await?);
                    }
                    Step::RunTools {
                        events,
                        jobs: next,
                        waiting: asked,
                    } => {
                        // Approval ids go out sealed to the user, as in hosted mode.
                        let events = events.into_iter().map(|e| sealer.seal_event(e));
                        io.write(metered(tool_loop, events.collect())).await?;
                        jobs = next;
                        waiting = asked;
                    }
                }
            }
            resuming = false;
            for job in std::mem::take(&mut jobs) {
                let outcome = if listed.contains(&job.server) {
                    let mut gate = ProgressGate::new(&job.call_id, Secrets::new(secrets.clone()));
                    let mut progress = |now, report: &Progress| {
                        gate.offer(now, report)
                            .map(|event| encode(&[event]))
                            .unwrap_or_default()
                    };
                    let call = io.call_tool(&job.server, &job.tool, &job.arguments, &mut progress);
                    match call.await {
                        Ok(Ok(outcome)) => outcome,
                        Ok(Err(McpError::TooLarge(max))) => {
                            let events = tool_loop.fail(mcp::too_large(max));
                            return Ok(io.write(encode(&events)).await?);
                        }
                        Ok(Err(err)) => Err(err.to_string()),
                        Err(stop) => {
                            // Stopped mid-call: the server hears that the call is off.
                            io.cancel_call(&job.server, &stop.note()).await;
                            return Err(stop.into());
                        }
                    }
                } else {
                    Err("the tool's server is not connected".to_owned())
                };
                let events = tool_loop.on_tool_result(&job.call_id, outcome);
                io.write(metered(tool_loop, events)).await?;
                if tool_loop.failed() {
                    return Ok(());
                }
            }
            if !waiting.is_empty() {
                let log = Secrets::new(secrets.clone());
                let events = pending::pause(tool_loop, waiting, chat, &log, sealer);
                return Ok(io.write(metered(tool_loop, events)).await?);
            }
            tool_loop.next_round();
        }
    }

    /// One request to the provider, its stream fed through the loop as it arrives.
    async fn model_round(
        &self,
        tool_loop: &mut ToolLoop,
        io: &mut impl AnswerIo,
    ) -> Result<(), Ended> {
        let EdgeAnswer {
            config,
            chat,
            ref secrets,
            ..
        } = *self.answer;
        let round = tool_loop.rounds().len() - 1;
        let body = tools::build_request(config, chat, tool_loop.toolbox(), tool_loop.history())
            .map_err(|e| Ended::Note(e.to_string()))?;
        let decoder = StreamDecoder::new(config, round, secrets.clone());
        let mut feed = ToolRound::new(decoder, tool_loop);
        io.model_round(tools::url(config), body, &mut feed).await?;
        Ok(())
    }
}

/// Opens a session with every server and lists its tools (within the tool policy), with a
/// `tool_list` event before and after; a server that fails ends the answer. Gives the toolbox
/// and the ids of the servers listed.
async fn list_tools(
    config: &Config,
    servers: &[McpServer],
    secrets: &[String],
    io: &mut impl AnswerIo,
) -> Result<(Toolbox, Vec<String>), Ended> {
    let mut toolbox = Toolbox::default();
    let mut listed = Vec::new();
    for server in servers {
        let id = server.info.id.clone();
        let list = |status, tools| {
            encode(&[StreamEvent::ToolList {
                server: id.clone(),
                status,
                tools,
            }])
        };
        io.write(list(ToolStatus::InProgress, vec![])).await?;
        let tools = match io.list_tools(server).await? {
            Ok(tools) => tools,
            Err(err) => {
                let secrets = Secrets::new(secrets.iter().cloned());
                let error = mcp::listing_error(&err, &server.info.name, &secrets);
                let mut text = list(ToolStatus::Failed, vec![]);
                text.push_str(&encode(&[StreamEvent::Error(error)]));
                io.write(text).await?;
                return Err(Ended::Note(format!("listing a server failed: {err}")));
            }
        };
        let policy = config.policy(&server.info);
        let tools = policy.filter_tools(tools);
        let names = tools.iter().map(|t| t.name.clone()).collect();
        io.write(list(ToolStatus::Completed, names)).await?;
        toolbox.add_server(&id, &tools, policy.require_approval);
        listed.push(id);
    }
    Ok((toolbox, listed))
}

#[cfg(test)]
mod tests;
