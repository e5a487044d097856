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
//! `upstream_too_large`. A server's question during a call pauses the answer like an approval
//! (`crate::answer::elicit`): the continuation first delivers the user's reply
//! ([`AnswerIo::resume_call`]) and finishes that call, then the round's other calls.
//! A finished call whose tool links an MCP App view is followed by the
//! view's `app_view` event ([`AnswerIo::read_view`]).

use std::time::Instant;

use protocol::{ChatRequest, StreamEvent, ToolStatus};

use crate::answer::deadline::{Note, Stop};
use crate::answer::elicit::{self, Called, Elicited, Resume};
use crate::answer::feed::Relay;
use crate::answer::feed::{Feed, ToolRound, encode, metered};
use crate::answer::meter::Meter;
use crate::answer::pending;
use crate::answer::progress::ProgressGate;
use crate::answer::result_parts;
use crate::answer::tool_loop::{Limits, Paused, Step, ToolJob, ToolLoop};
use crate::config::Config;
use crate::incoming::app_handle::AppHandle;
use crate::incoming::continuation::Sealer;
use crate::mcp::client::apps::AppView;
use crate::mcp::client::elicitation::Answer;
use crate::mcp::client::results::ToolResult;
use crate::mcp::client::{McpError, Progress, ToolDef};
use crate::mcp::toolbox::Toolbox;
use crate::mcp::views;
use crate::mcp::{self};
use crate::providers::tools::{self, StreamDecoder};
use crate::redact::Secrets;
use crate::servers::pomerium::McpServer;

/// A tool call's outcome: the parsed result (a tool error has `is_error`), the server's
/// question for the user, or the failure to call at all.
pub type CallOutcome = Result<Called, McpError>;

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
    /// Delivers the user's `answer` to the question a call asked `server` (`resume` says where
    /// and how) and waits for the call's outcome, its progress going through `progress`.
    async fn resume_call(
        &mut self,
        server: &McpServer,
        resume: &Resume,
        answer: &Answer,
        progress: &mut dyn FnMut(Instant, &Progress) -> String,
    ) -> Result<CallOutcome, Stop>;
    /// Reads the MCP App view that `tool` of the listed `server` links, if it links one and it
    /// reads as a view (`crate::mcp::views`); by default there is none.
    async fn read_view(
        &mut self,
        _server: &str,
        _tool: &str,
    ) -> Result<Option<(AppHandle, AppView)>, Stop> {
        Ok(None)
    }
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

/// What one call's outcome leaves the loop to do.
enum Settled {
    /// Send these events and go on.
    Next(Vec<StreamEvent>),
    /// Send these events; the answer is over (paused or failed).
    End(Vec<StreamEvent>),
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
        let mut waiting = Vec::new();
        let mut asked = None;
        let (new_loop, mut jobs, events) = match paused {
            None => (
                ToolLoop::new(toolbox, limits, secrets.clone()),
                Vec::new(),
                Vec::new(),
            ),
            Some(mut paused) if paused.elicited.is_some() => {
                // The user answered a server's question: that call finishes first, then the
                // round's other calls; calls waiting for approval are asked again after.
                let tool_loop = ToolLoop::restore(toolbox, limits, secrets.clone(), &paused);
                waiting = std::mem::take(&mut paused.waiting);
                asked = paused.elicited.take();
                (tool_loop, Vec::new(), Vec::new())
            }
            Some(paused) => {
                ToolLoop::resume(toolbox, limits, secrets.clone(), paused, &chat.approvals)
                    .map_err(|e| Ended::Note(e.to_string()))?
            }
        };
        let tool_loop = tool_loop.insert(new_loop);
        *tool_loop.meter() = Meter::new(self.started);
        io.write(metered(tool_loop, events)).await?;
        if let Some(elicited) = asked {
            let called = self.resume_call(&elicited, io).await?;
            let queued = elicited.queued.clone();
            match self.settle(tool_loop, elicited.job, called, &mut waiting, queued) {
                Settled::Next(events) => io.write(metered(tool_loop, events)).await?,
                Settled::End(events) => return Ok(io.write(metered(tool_loop, events)).await?),
            }
            if tool_loop.failed() {
                return Ok(());
            }
            jobs = elicited.queued;
        }
        loop {
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
            let mut queue = std::mem::take(&mut jobs).into_iter();
            while let Some(job) = queue.next() {
                let called = if listed.contains(&job.server) {
                    let mut gate = ProgressGate::new(&job.call_id, Secrets::new(secrets.clone()));
                    let mut progress = |now, report: &Progress| {
                        gate.offer(now, report)
                            .map(|event| encode(&[event]))
                            .unwrap_or_default()
                    };
                    let call = io.call_tool(&job.server, &job.tool, &job.arguments, &mut progress);
                    match call.await {
                        Ok(called) => called,
                        Err(stop) => {
                            // Stopped mid-call: the server hears that the call is off.
                            io.cancel_call(&job.server, &stop.note()).await;
                            return Err(stop.into());
                        }
                    }
                } else {
                    Ok(Called::Done(ToolResult::error(
                        "the tool's server is not connected",
                    )))
                };
                let finished = matches!(&called, Ok(Called::Done(result)) if !result.is_error);
                let (call_id, server, tool) =
                    (job.call_id.clone(), job.server.clone(), job.tool.clone());
                let queued = queue.as_slice().to_vec();
                match self.settle(tool_loop, job, called, &mut waiting, queued) {
                    Settled::Next(events) => io.write(metered(tool_loop, events)).await?,
                    Settled::End(events) => {
                        return Ok(io.write(metered(tool_loop, events)).await?);
                    }
                }
                if tool_loop.failed() {
                    return Ok(());
                }
                // A tool that links an MCP App view: the view is announced after the result.
                if finished && let Some((link, view)) = io.read_view(&server, &tool).await? {
                    let event = views::app_view_event(&call_id, &link, view, sealer);
                    io.write(encode(&event.into_iter().collect::<Vec<_>>()))
                        .await?;
                }
            }
            if !waiting.is_empty() {
                let log = Secrets::new(secrets.clone());
                let waiting = std::mem::take(&mut waiting);
                let events = pending::pause(tool_loop, waiting, chat, &log, sealer);
                return Ok(io.write(metered(tool_loop, events)).await?);
            }
            tool_loop.next_round();
        }
    }

    /// What a call's outcome means for the loop: its result (the answer goes on), a server's
    /// question that pauses the answer (`queued`: the round's calls not run yet, kept in the
    /// paused state), or a reply too large, which ends it.
    fn settle(
        &self,
        tool_loop: &mut ToolLoop,
        job: ToolJob,
        called: CallOutcome,
        waiting: &mut Vec<ToolJob>,
        queued: Vec<ToolJob>,
    ) -> Settled {
        let outcome = match called {
            Ok(Called::Done(result)) => {
                // A rich result's parts for the user (`answer/result_parts.rs`).
                let scrub = Secrets::new(self.answer.secrets.clone());
                let (outcome, shown) = result_parts::split(&result, &scrub);
                return Settled::Next(tool_loop.on_rich_result(&job.call_id, outcome, shown));
            }
            Ok(Called::Asks(asked)) => {
                let elicited = Elicited {
                    job,
                    queued,
                    question: asked.params,
                    resume: asked.resume,
                };
                let log = Secrets::new(self.answer.secrets.clone());
                let waiting = std::mem::take(waiting);
                return Settled::End(pending::pause_for_answer(
                    tool_loop,
                    waiting,
                    (elicited, &asked.question),
                    self.answer.chat,
                    &log,
                    self.answer.sealer,
                ));
            }
            Err(McpError::TooLarge(max)) => {
                return Settled::End(tool_loop.fail(mcp::too_large(max)));
            }
            Err(err) => Err(err.to_string()),
        };
        Settled::Next(tool_loop.on_tool_result(&job.call_id, outcome))
    }

    /// Delivers the user's reply to the question a paused call asked and waits for the call's
    /// outcome (its progress going out as it runs).
    async fn resume_call(
        &self,
        elicited: &Elicited,
        io: &mut impl AnswerIo,
    ) -> Result<CallOutcome, Ended> {
        let answer = self
            .answer
            .chat
            .elicitation
            .as_ref()
            .and_then(|reply| elicit::answer_for(elicited, reply).ok())
            .ok_or_else(|| Ended::Note("the elicitation reply was not checked".to_owned()))?;
        let server = self
            .answer
            .servers
            .iter()
            .find(|s| s.info.id == elicited.job.server);
        let Some(server) = server else {
            let gone = "the tool's server is no longer selected".to_owned();
            return Ok(Ok(Called::Done(ToolResult::error(gone))));
        };
        let secrets = Secrets::new(self.answer.secrets.clone());
        let mut gate = ProgressGate::new(&elicited.job.call_id, secrets);
        let mut progress = |now, report: &Progress| {
            gate.offer(now, report)
                .map(|event| encode(&[event]))
                .unwrap_or_default()
        };
        let resumed = io.resume_call(server, &elicited.resume, &answer, &mut progress);
        match resumed.await {
            Ok(called) => Ok(called),
            Err(stop) => {
                io.cancel_call(&elicited.job.server, &stop.note()).await;
                Err(stop.into())
            }
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
