//! Edge tool mode's answer: the edge lists each selected server's tools over MCP, offers them
//! to the model as functions, runs the calls the model asks for, and loops until the answer is
//! final (the logic is [`ToolLoop`]; this module does its I/O).
//!
//! The stream carries the same events as in hosted mode: `tool_list` per server, the calls
//! with their arguments and results, text, then `done` or `error`. Keep-alive comments flow
//! while the provider or a tool is silent; a client that goes away ends everything at once
//! (dropping the pending request cancels it; a tool call in flight is also cancelled with
//! `notifications/cancelled`). A running call's progress reports become `tool_progress` events
//! as they arrive, through a [`ProgressGate`]. Every wait checks the answer's deadline
//! (`answer_timeout_ms`): past it, the pending work is dropped (which cancels it) and the answer
//! ends with `answer_timeout`. MCP replies are read up to `max_mcp_reply_bytes`; a larger one
//! ends the answer with `upstream_too_large`. Log lines are scrubbed and escaped.

use std::future::Future;
use std::time::{Duration, Instant};

use futures::StreamExt;
use futures::channel::mpsc::{self, Receiver};
use futures::future::{Either, select};

use protocol::{ChatRequest, StreamEvent, ToolStatus};

use super::driver::{self, Note, Out, Stop};
use super::mcp_http::McpConnection;
use super::reply::Reply;
use crate::answer::feed::{ToolRound, encode, metered};
use crate::answer::meter::Meter;
use crate::answer::pending;
use crate::answer::progress::ProgressGate;
use crate::answer::relay::Relay;
use crate::answer::runner;
use crate::answer::tool_loop::{Limits, Paused, Step, ToolLoop};
use crate::config::Config;
use crate::incoming::auth::BearerToken;
use crate::incoming::continuation::Sealer;
use crate::mcp::client::{McpError, Progress};
use crate::mcp::toolbox::Toolbox;
use crate::mcp::views::{self, ViewLinks};
use crate::mcp::{self};
use crate::providers::tools::{self, StreamDecoder};
use crate::redact::{self, Secrets};
use crate::servers::pomerium::McpServer;

/// A checked chat request that edge mode answers.
pub(super) struct EdgeRequest {
    /// The request, its continuation ids opened.
    pub(super) chat: ChatRequest,
    /// The selected servers, resolved.
    pub(super) servers: Vec<McpServer>,
    /// The caller's token (none in local mode).
    pub(super) token: Option<BearerToken>,
    /// Seals what this answer hands out (the paused loop, approval ids) to the user.
    pub(super) sealer: Sealer,
    /// The paused loop this request resumes, already checked against its decisions.
    pub(super) paused: Option<Paused>,
}

/// Streams the answer to a chat request in edge tool mode.
pub(super) async fn run(
    config: &Config,
    request: EdgeRequest,
    reply: Reply,
    request_id: &str,
) -> u16 {
    let EdgeRequest {
        chat,
        servers,
        token,
        sealer,
        paused,
    } = request;
    let started = Instant::now();
    let secrets = redact::secrets(config, token.as_ref());
    let mut out = Out::new(config, reply.event_stream());
    if out.write(Relay::start(request_id)).await.is_err() {
        return 200;
    }
    let log = Secrets::new(secrets.iter().cloned());
    let answer = Answer {
        started,
        config,
        chat: &chat,
        token: token.as_ref(),
        secrets,
        sealer: &sealer,
    };
    let mut tool_loop = None;
    let ended = answer
        .stream(&servers, paused, &mut out, &mut tool_loop)
        .await;
    let note = match ended {
        Ok(()) => return 200,
        Err(Ended::Note(note)) => note,
        Err(Ended::Stop(stop)) => {
            // A time limit passed while a tool or a listing was pending: the loop ends with it.
            if let Stop::Timeout(error) = &stop {
                let events = match &mut tool_loop {
                    Some(tool_loop) => tool_loop.fail(error.clone()),
                    None => vec![StreamEvent::Error(error.clone())],
                };
                let _ = out.write(encode(&events)).await;
            }
            stop.note()
        }
    };
    eprintln!("edge: {request_id}: {}", log.for_log(&note));
    200
}

/// How many progress reports wait between the MCP reader and the stream (more are dropped).
const PROGRESS_QUEUE: usize = 4;

/// Runs a tool call from [`Answer::call`], writing the progress its gate lets through as it
/// arrives, and returns the call's outcome.
async fn call_with_progress<T>(
    (call, mut progress, mut gate): (impl Future<Output = T>, Receiver<Progress>, ProgressGate),
    out: &mut Out,
) -> Result<T, Stop> {
    let mut call = std::pin::pin!(call);
    loop {
        match out.wait(select(call.as_mut(), progress.next())).await? {
            Either::Left((outcome, _)) => return Ok(outcome),
            Either::Right((Some(report), _)) => {
                if let Some(event) = gate.offer(Instant::now(), &report) {
                    out.write(encode(&[event])).await?;
                }
            }
            // The call dropped its sender: only its outcome is left.
            Either::Right((None, _)) => return out.wait(call).await,
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

struct Answer<'a> {
    /// When the edge accepted the request (the answer's timings count from here).
    started: Instant,
    config: &'a Config,
    chat: &'a ChatRequest,
    token: Option<&'a BearerToken>,
    secrets: Vec<String>,
    sealer: &'a Sealer,
}

impl Answer<'_> {
    /// The whole answer; `tool_loop` holds the loop once it runs, so a caller that stops it
    /// (the deadline) can end it with the scrubbers' tails and one error. With `paused`, the
    /// loop resumes: the approved calls run first, then the next round.
    async fn stream(
        &self,
        servers: &[McpServer],
        paused: Option<Paused>,
        out: &mut Out,
        tool_loop: &mut Option<ToolLoop>,
    ) -> Result<(), Ended> {
        let (toolbox, mut connections, links) = self.list_tools(servers, out).await?;
        let limits = Limits::from_config(self.config);
        let mut resuming = paused.is_some();
        let (new_loop, mut jobs, events) = match paused {
            None => (
                ToolLoop::new(toolbox, limits, self.secrets.clone()),
                Vec::new(),
                Vec::new(),
            ),
            Some(paused) => {
                let decisions = &self.chat.approvals;
                ToolLoop::resume(toolbox, limits, self.secrets.clone(), paused, decisions)
                    .map_err(|e| Ended::Note(e.to_string()))?
            }
        };
        let tool_loop = tool_loop.insert(new_loop);
        *tool_loop.meter() = Meter::new(self.started);
        out.write(metered(tool_loop, events)).await?;
        loop {
            let mut waiting = Vec::new();
            if !resuming {
                let round = tool_loop.rounds().len() - 1;
                self.model_round(tool_loop, round, out).await?;
                match tool_loop.end_round() {
                    Step::End(events) => {
                        return Ok(out.write(metered(tool_loop, events)).await?);
                    }
                    Step::RunTools {
                        events,
                        jobs: next,
                        waiting: asked,
                    } => {
                        // Approval ids go out sealed to the user, as in hosted mode.
                        let events = events.into_iter().map(|e| self.sealer.seal_event(e));
                        out.write(metered(tool_loop, events.collect())).await?;
                        jobs = next;
                        waiting = asked;
                    }
                }
            }
            resuming = false;
            for job in std::mem::take(&mut jobs) {
                let connection = connections
                    .iter_mut()
                    .find(|(id, _)| *id == job.server)
                    .map(|(_, c)| c);
                let outcome = match connection {
                    Some(connection) => {
                        let call = self.call(connection, &job.call_id, &job.tool, &job.arguments);
                        let called = match call_with_progress(call, out).await {
                            Ok(called) => called,
                            Err(stop) => {
                                // Stopped mid-call: the server hears that the call is off.
                                let _ = connection.cancel_running(&stop.note()).await;
                                return Err(stop.into());
                            }
                        };
                        match called {
                            Ok(outcome) => outcome,
                            Err(McpError::TooLarge(max)) => {
                                let events = tool_loop.fail(mcp::too_large(max));
                                return Ok(out.write(encode(&events)).await?);
                            }
                            Err(err) => Err(err.to_string()),
                        }
                    }
                    None => Err("the tool's server is not connected".to_owned()),
                };
                let finished = outcome.is_ok();
                let events = tool_loop.on_tool_result(&job.call_id, outcome);
                out.write(metered(tool_loop, events)).await?;
                if tool_loop.failed() {
                    return Ok(());
                }
                if finished && let Some(link) = links.view_of(&job.server, &job.tool) {
                    self.send_view(&mut connections, &job.call_id, link, out)
                        .await?;
                }
            }
            if !waiting.is_empty() {
                let secrets = Secrets::new(self.secrets.iter().cloned());
                let events = pending::pause(tool_loop, waiting, self.chat, &secrets, self.sealer);
                return Ok(out.write(metered(tool_loop, events)).await?);
            }
            tool_loop.next_round();
        }
    }

    /// Calls a tool, its progress reports going out as `tool_progress` events while it runs
    /// (through the call's [`ProgressGate`]).
    fn call<'c>(
        &self,
        connection: &'c mut McpConnection,
        call_id: &str,
        tool: &'c str,
        arguments: &'c str,
    ) -> (
        impl Future<Output = Result<Result<String, String>, McpError>> + 'c,
        Receiver<Progress>,
        ProgressGate,
    ) {
        let (sender, receiver) = mpsc::channel(PROGRESS_QUEUE);
        let secrets = Secrets::new(self.secrets.iter().cloned());
        let gate = ProgressGate::new(call_id, secrets);
        (connection.call(tool, arguments, sender), receiver, gate)
    }

    /// Reads the MCP App view `link` names through the call's own session and sends it as an
    /// `app_view` event; a view that cannot be read is left out (the call's text stands).
    async fn send_view(
        &self,
        connections: &mut [(String, McpConnection)],
        call_id: &str,
        link: &crate::incoming::app_handle::AppHandle,
        out: &mut Out,
    ) -> Result<(), Stop> {
        let Some((_, connection)) = connections.iter_mut().find(|(id, _)| *id == link.server)
        else {
            return Ok(());
        };
        let read = connection.read_app_view(&link.uri, protocol::apps::MAX_APP_VIEW_BYTES);
        match out.wait(read).await? {
            Ok(view) => {
                if let Some(event) = views::app_view_event(call_id, link, view, self.sealer) {
                    out.write(encode(&[event])).await?;
                }
            }
            Err(err) => {
                let log = Secrets::new(self.secrets.iter().cloned());
                eprintln!(
                    "edge: the app view could not be read: {}",
                    log.for_log(&err.to_string())
                );
            }
        }
        Ok(())
    }

    /// Opens a session with every server and lists its tools (within the tool policy; tools
    /// only an MCP App may call are left out), with a `tool_list` event before and after; a
    /// server that fails ends the answer. Also gives the views the tools link.
    async fn list_tools(
        &self,
        servers: &[McpServer],
        out: &mut Out,
    ) -> Result<(Toolbox, Vec<(String, McpConnection)>, ViewLinks), Ended> {
        let timeout = Duration::from_millis(self.config.tools.timeout_ms);
        let mut toolbox = Toolbox::default();
        let mut connections = Vec::new();
        let mut links = ViewLinks::default();
        for server in servers {
            let id = server.info.id.clone();
            out.write(encode(&[StreamEvent::ToolList {
                server: id.clone(),
                status: ToolStatus::InProgress,
                tools: vec![],
            }]))
            .await?;
            let authorization = runner::mcp_authorization(self.config, server, self.token);
            let max_reply_bytes = self.config.bounds.max_reply_bytes;
            let listing = async {
                let mut connection =
                    McpConnection::open(&server.info.url, authorization, timeout, max_reply_bytes)
                        .await?;
                let tools = connection.list_tool_entries().await?;
                Ok::<_, McpError>((connection, tools))
            };
            let (connection, tools) = match out.wait(listing).await? {
                Ok(listed) => listed,
                Err(err) => {
                    let secrets = Secrets::new(self.secrets.iter().cloned());
                    let note = format!("listing a server failed: {err}");
                    let error = mcp::listing_error(&err, &server.info.name, &secrets);
                    out.write(encode(&[
                        StreamEvent::ToolList {
                            server: id,
                            status: ToolStatus::Failed,
                            tools: vec![],
                        },
                        StreamEvent::Error(error),
                    ]))
                    .await?;
                    return Err(Ended::Note(note));
                }
            };
            let policy = self.config.policy(&server.info);
            let tools = policy.filter_tools(links.keep(server, tools));
            out.write(encode(&[StreamEvent::ToolList {
                server: id.clone(),
                status: ToolStatus::Completed,
                tools: tools.iter().map(|t| t.name.clone()).collect(),
            }]))
            .await?;
            toolbox.add_server(&id, &tools, policy.require_approval);
            connections.push((id, connection));
        }
        Ok((toolbox, connections, links))
    }

    /// One request to the provider, its stream fed through the loop as it arrives (the one
    /// driver, [`driver::drive`]).
    async fn model_round(
        &self,
        tool_loop: &mut ToolLoop,
        round: usize,
        out: &mut Out,
    ) -> Result<(), Ended> {
        let body = tools::build_request(
            self.config,
            self.chat,
            tool_loop.toolbox(),
            tool_loop.history(),
        )
        .map_err(|e| Ended::Note(e.to_string()))?;
        let decoder = StreamDecoder::new(self.config, round, self.secrets.clone());
        let mut feed = ToolRound::new(decoder, tool_loop);
        let url = tools::url(self.config);
        driver::drive(self.config, url, body, &[], &self.secrets, out, &mut feed).await?;
        Ok(())
    }
}
