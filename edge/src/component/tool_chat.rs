//! Edge tool mode's I/O over Spin (wasm32 glue): the [`AnswerIo`] that
//! [`crate::answer::orchestrate`] runs an answer over.
//!
//! Each wait goes through the widget's stream ([`Out::wait`]): keep-alive comments flow while
//! the provider or a tool is silent, and the answer's deadline stops it; a client that goes away
//! ends everything at once (dropping the pending request cancels it). Model rounds go through
//! the one driver ([`driver::drive`]); MCP sessions are [`McpConnection`]s, one per listed
//! server, whose replies are read up to `max_mcp_reply_bytes`. A call's progress reports come
//! through a bounded channel as they arrive. A call paused on a server's question is finished in
//! the session it asked in ([`McpConnection::resume`]); every other session ends with the answer
//! (`DELETE`). Log lines are scrubbed and escaped.

use std::future::Future;
use std::time::{Duration, Instant};

use futures::StreamExt;
use futures::channel::mpsc;
use futures::future::{Either, select};

use protocol::ChatRequest;

use super::driver::{self, Out};
use super::mcp_http::McpConnection;
use super::reply::Reply;
use crate::answer::deadline::{Note, Stop};
use crate::answer::elicit::{Called, Resume};
use crate::answer::feed::Feed;
use crate::answer::orchestrate::{self, AnswerIo, CallOutcome, EdgeAnswer};
use crate::answer::runner;
use crate::answer::tool_loop::Paused;
use crate::config::Config;
use crate::incoming::app_handle::AppHandle;
use crate::incoming::auth::BearerToken;
use crate::incoming::continuation::Sealer;
use crate::mcp::client::apps::AppView;
use crate::mcp::client::elicitation::Answer;
use crate::mcp::client::{McpError, Progress, ToolDef};
use crate::mcp::views::ViewLinks;
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
    let secrets = redact::secrets(config, request.token.as_ref());
    let mut io = SpinIo {
        config,
        token: request.token.as_ref(),
        secrets: secrets.clone(),
        out: Out::new(config, reply.event_stream()),
        connections: Vec::new(),
        asked: Vec::new(),
        links: ViewLinks::default(),
    };
    let answer = EdgeAnswer {
        config,
        chat: &request.chat,
        servers: &request.servers,
        paused: request.paused,
        secrets: secrets.clone(),
        sealer: &request.sealer,
        request_id,
    };
    if let Err(note) = orchestrate::run(answer, &mut io).await {
        let log = Secrets::new(secrets);
        eprintln!("edge: {request_id}: {}", log.for_log(&note));
    }
    // The widget's stream ends first; then the sessions end, except one whose call waits for
    // the user's answer (elicitation), which the next request finishes in that session.
    let SpinIo {
        out,
        connections,
        asked,
        ..
    } = io;
    drop(out);
    for (server, connection) in &connections {
        if !asked.contains(server) {
            connection.close().await;
        }
    }
    200
}

/// How many progress reports wait between the MCP reader and the stream (more are dropped).
const PROGRESS_QUEUE: usize = 4;

/// One answer's I/O: the widget's stream, the provider, the MCP sessions.
struct SpinIo<'a> {
    config: &'a Config,
    token: Option<&'a BearerToken>,
    secrets: Vec<String>,
    out: Out,
    /// Server id -> its open session, for each server listed.
    connections: Vec<(String, McpConnection)>,
    /// The servers whose call asked the user something: their sessions must stay open.
    asked: Vec<String>,
    /// The MCP App views the listed tools link.
    links: ViewLinks,
}

impl SpinIo<'_> {
    fn connection(&mut self, server: &str) -> Option<&mut McpConnection> {
        self.connections
            .iter_mut()
            .find(|(id, _)| id == server)
            .map(|(_, c)| c)
    }
}

impl AnswerIo for SpinIo<'_> {
    fn now(&self) -> Instant {
        Instant::now()
    }

    async fn write(&mut self, text: String) -> Result<(), Stop> {
        self.out.write(text).await
    }

    async fn model_round(
        &mut self,
        url: String,
        body: String,
        feed: &mut impl Feed,
    ) -> Result<(), Note> {
        let (config, secrets) = (self.config, &self.secrets);
        driver::drive(config, url, body, &[], secrets, &mut self.out, feed).await
    }

    async fn list_tools(
        &mut self,
        server: &McpServer,
    ) -> Result<Result<Vec<ToolDef>, McpError>, Stop> {
        let timeout = Duration::from_millis(self.config.tools.timeout_ms);
        let max_reply_bytes = self.config.bounds.max_reply_bytes;
        let authorization = runner::mcp_authorization(self.config, server, self.token);
        let listing = async {
            let mut connection =
                McpConnection::open(&server.info.url, authorization, timeout, max_reply_bytes)
                    .await?;
            let tools = connection.list_tool_entries().await?;
            Ok::<_, McpError>((connection, tools))
        };
        Ok(match self.out.wait(listing).await? {
            Ok((connection, tools)) => {
                self.connections.push((server.info.id.clone(), connection));
                // Tools only an MCP App may call are kept from the model.
                Ok(self.links.keep(server, tools))
            }
            Err(err) => Err(err),
        })
    }

    async fn call_tool(
        &mut self,
        server: &str,
        tool: &str,
        arguments: &str,
        progress: &mut dyn FnMut(Instant, &Progress) -> String,
    ) -> Result<CallOutcome, Stop> {
        let Some(index) = self.connections.iter().position(|(id, _)| id == server) else {
            return Ok(Err(McpError::Transport));
        };
        let (sender, reports) = mpsc::channel(PROGRESS_QUEUE);
        let call = self.connections[index].1.call(tool, arguments, sender);
        let outcome = with_progress(call, reports, progress, &mut self.out).await?;
        if matches!(outcome, Ok(Called::Asks(_))) {
            self.asked.push(server.to_owned());
        }
        Ok(outcome)
    }

    async fn read_view(
        &mut self,
        server: &str,
        tool: &str,
    ) -> Result<Option<(AppHandle, AppView)>, Stop> {
        let Some(link) = self.links.view_of(server, tool).cloned() else {
            return Ok(None);
        };
        let Some(index) = self
            .connections
            .iter()
            .position(|(id, _)| *id == link.server)
        else {
            return Ok(None);
        };
        let max = protocol::apps::MAX_APP_VIEW_BYTES;
        let read = self.connections[index].1.read_app_view(&link.uri, max);
        match self.out.wait(read).await? {
            Ok(view) => Ok(Some((link, view))),
            Err(err) => {
                // The call's text stands; the view is left out.
                let log = Secrets::new(self.secrets.iter().cloned());
                let note = format!("the app view could not be read: {err}");
                eprintln!("edge: {}", log.for_log(&note));
                Ok(None)
            }
        }
    }

    async fn cancel_call(&mut self, server: &str, reason: &str) {
        if let Some(connection) = self.connection(server) {
            let _ = connection.cancel_running(reason).await;
        }
    }

    async fn resume_call(
        &mut self,
        server: &McpServer,
        resume: &Resume,
        answer: &Answer,
        progress: &mut dyn FnMut(Instant, &Progress) -> String,
    ) -> Result<CallOutcome, Stop> {
        let authorization = runner::mcp_authorization(self.config, server, self.token);
        let limits = (
            Duration::from_millis(self.config.tools.timeout_ms),
            self.config.bounds.max_reply_bytes,
        );
        let (sender, reports) = mpsc::channel(PROGRESS_QUEUE);
        let call = McpConnection::resume(
            &server.info.url,
            authorization,
            limits,
            resume,
            answer,
            sender,
        );
        with_progress(call, reports, progress, &mut self.out).await
    }
}

/// Waits for `call`, writing what `progress` makes of each report as it arrives.
async fn with_progress<T>(
    call: impl Future<Output = T>,
    mut reports: mpsc::Receiver<Progress>,
    progress: &mut dyn FnMut(Instant, &Progress) -> String,
    out: &mut Out,
) -> Result<T, Stop> {
    let mut call = std::pin::pin!(call);
    loop {
        match out.wait(select(call.as_mut(), reports.next())).await? {
            Either::Left((outcome, _)) => return Ok(outcome),
            Either::Right((Some(report), _)) => {
                out.write(progress(Instant::now(), &report)).await?
            }
            // The call dropped its sender: only its outcome is left.
            Either::Right((None, _)) => return out.wait(call).await,
        }
    }
}
