//! Edge tool mode's answer: the edge lists each selected server's tools over MCP, offers them
//! to the model as functions, runs the calls the model asks for, and loops until the answer is
//! final (the logic is [`ToolLoop`]; this module does its I/O).
//!
//! The stream carries the same events as in hosted mode: `tool_list` per server, the calls
//! with their arguments and results, text, then `done` or `error`. Keep-alive comments flow
//! while the provider or a tool is silent; a client that goes away ends everything at once
//! (dropping the pending request cancels it).

use std::future::Future;
use std::time::{Duration, Instant};

use futures::StreamExt;
use futures::future::{Either, select};
use protocol::{ApiError, ChatRequest, ErrorCode, StreamEvent, ToolStatus, sse};
use spin_sdk::http::{IncomingResponse, Method, Request, send};

use super::mcp_http::McpConnection;
use super::reply::{self, EventSink, Reply};
use super::timer::Sleep;
use super::upstream;
use crate::auth::BearerToken;
use crate::config::Config;
use crate::pomerium::McpServer;
use crate::provider;
use crate::relay::Relay;
use crate::tool_loop::{Limits, ModelEvent, Step, ToolLoop};
use crate::tool_mode;
use crate::tool_provider::{self, StreamDecoder};
use crate::toolbox::Toolbox;

/// Streams the answer to `chat` in edge tool mode.
pub(super) async fn run(
    config: &Config,
    chat: ChatRequest,
    servers: Vec<McpServer>,
    token: Option<BearerToken>,
    reply: Reply,
    request_id: &str,
) -> u16 {
    let mut secrets: Vec<String> = token.iter().map(|t| t.secret().to_owned()).collect();
    secrets.extend(config.api_key.iter().map(|k| k.secret().to_owned()));
    secrets.extend(
        config
            .tools
            .local_servers
            .iter()
            .filter_map(|s| s.token.clone()),
    );
    let mut out = Out {
        sink: reply.event_stream(),
        keepalive: Duration::from_millis(config.keepalive_ms),
    };
    if !out.raw(Relay::start(request_id)).await {
        return 200;
    }
    let answer = Answer {
        config,
        chat: &chat,
        token: token.as_ref(),
        secrets,
    };
    if let Err(note) = answer.stream(&servers, &mut out).await {
        eprintln!("edge: {request_id}: {note}");
    }
    200
}

/// Why an answer stopped early; the note goes to the log, never a secret.
type Note = String;

/// The client's stream; every write failure means the client went away.
struct Out {
    sink: EventSink,
    keepalive: Duration,
}

impl Out {
    async fn raw(&mut self, text: String) -> bool {
        reply::send(&mut self.sink, text).await
    }

    async fn events(&mut self, events: Vec<StreamEvent>) -> Result<(), Note> {
        let text: String = events.iter().map(sse::encode).collect();
        if text.is_empty() || self.raw(text).await {
            Ok(())
        } else {
            Err("the client went away".to_owned())
        }
    }

    /// Runs `work`, sending keep-alive comments while it is pending.
    async fn keeping_alive<T>(&mut self, work: impl Future<Output = T>) -> Result<T, Note> {
        let mut work = std::pin::pin!(work);
        loop {
            match select(work.as_mut(), std::pin::pin!(Sleep::new(self.keepalive))).await {
                Either::Left((res, _)) => return Ok(res),
                Either::Right(_) => {
                    if !self.raw(sse::KEEP_ALIVE.to_owned()).await {
                        return Err("the client went away".to_owned());
                    }
                }
            }
        }
    }
}

struct Answer<'a> {
    config: &'a Config,
    chat: &'a ChatRequest,
    token: Option<&'a BearerToken>,
    secrets: Vec<String>,
}

impl Answer<'_> {
    async fn stream(&self, servers: &[McpServer], out: &mut Out) -> Result<(), Note> {
        let (toolbox, mut connections) = self.list_tools(servers, out).await?;
        let limits = Limits {
            max_rounds: self.config.tools.max_rounds,
            max_result_bytes: self.config.tools.max_result_bytes,
        };
        let mut tool_loop = ToolLoop::new(toolbox, limits, self.secrets.clone());
        for round in 0.. {
            self.model_round(&mut tool_loop, round, out).await?;
            let (events, jobs) = match tool_loop.end_round() {
                Step::End(events) => return out.events(events).await,
                Step::RunTools { events, jobs } => (events, jobs),
            };
            out.events(events).await?;
            for job in jobs {
                let connection = connections
                    .iter_mut()
                    .find(|(id, _)| *id == job.server)
                    .map(|(_, c)| c);
                let outcome = match connection {
                    Some(connection) => {
                        let call = connection.call(&job.tool, &job.arguments);
                        match out.keeping_alive(call).await? {
                            Ok(outcome) => outcome,
                            Err(err) => Err(err.to_string()),
                        }
                    }
                    None => Err("the tool's server is not connected".to_owned()),
                };
                let events = tool_loop.on_tool_result(&job.call_id, outcome);
                out.events(events).await?;
            }
            tool_loop.next_round();
        }
        Ok(())
    }

    /// Opens a session with every server and lists its tools (within the tool policy), with a
    /// `tool_list` event before and after; a server that fails ends the answer.
    async fn list_tools(
        &self,
        servers: &[McpServer],
        out: &mut Out,
    ) -> Result<(Toolbox, Vec<(String, McpConnection)>), Note> {
        let timeout = Duration::from_millis(self.config.tools.timeout_ms);
        let mut toolbox = Toolbox::default();
        let mut connections = Vec::new();
        for server in servers {
            let id = server.info.id.clone();
            out.events(vec![StreamEvent::ToolList {
                server: id.clone(),
                status: ToolStatus::InProgress,
                tools: vec![],
            }])
            .await?;
            let authorization = tool_mode::mcp_authorization(self.config, server, self.token);
            let listing = async {
                let mut connection =
                    McpConnection::open(&server.info.url, authorization, timeout).await?;
                let tools = connection.list_tools().await?;
                Ok::<_, crate::mcp_client::McpError>((connection, tools))
            };
            let (connection, mut tools) = match out.keeping_alive(listing).await? {
                Ok(listed) => listed,
                Err(err) => {
                    let error = ApiError {
                        code: ErrorCode::McpServerUnreachable,
                        message: format!(
                            "the MCP server {:?} could not be listed: {err}",
                            server.info.name
                        ),
                        retryable: true,
                    };
                    out.events(vec![
                        StreamEvent::ToolList {
                            server: id,
                            status: ToolStatus::Failed,
                            tools: vec![],
                        },
                        StreamEvent::Error(error),
                    ])
                    .await?;
                    return Err(format!("listing a server failed: {err}"));
                }
            };
            let policy = self.config.policy(&server.info);
            if let Some(allowed) = &policy.allowed_tools {
                tools.retain(|t| allowed.contains(&t.name));
            }
            // Edge mode does not ask for approvals (yet): a server whose policy requires them
            // offers no tools here rather than running them unasked.
            if policy.require_approval {
                tools.clear();
            }
            out.events(vec![StreamEvent::ToolList {
                server: id.clone(),
                status: ToolStatus::Completed,
                tools: tools.iter().map(|t| t.name.clone()).collect(),
            }])
            .await?;
            toolbox.add_server(&id, &tools);
            connections.push((id, connection));
        }
        Ok((toolbox, connections))
    }

    /// One request to the provider, its stream fed through the loop as it arrives.
    async fn model_round(
        &self,
        tool_loop: &mut ToolLoop,
        round: usize,
        out: &mut Out,
    ) -> Result<(), Note> {
        let body = tool_provider::build_request(
            self.config,
            self.chat,
            tool_loop.toolbox(),
            tool_loop.history(),
        )
        .map_err(|e| e.to_string())?;
        let mut request = Request::builder();
        request
            .method(Method::Post)
            .uri(tool_provider::url(self.config))
            .header("content-type", "application/json")
            .header("accept", "text/event-stream");
        if let Some(key) = &self.config.api_key {
            request.header("authorization", key.header_value());
        }
        let request = request.body(body).build();
        let idle_limit = Duration::from_millis(self.config.idle_timeout_ms);
        let timeout = || ApiError {
            code: ErrorCode::ProviderTimeout,
            message: format!(
                "the model provider sent nothing for {} s",
                idle_limit.as_secs()
            ),
            retryable: true,
        };
        let fail = |error: ApiError| vec![ModelEvent::Failed(error)];

        let pending = send::<_, IncomingResponse>(request);
        let upstream = match self.within_idle(out, pending, idle_limit).await? {
            Some(Ok(upstream)) => upstream,
            Some(Err(_)) => {
                return self
                    .feed(tool_loop, out, fail(provider::transport_error()))
                    .await;
            }
            None => return self.feed(tool_loop, out, fail(timeout())).await,
        };
        let status = upstream.status();
        if !(200..300).contains(&status) {
            let body = upstream::read_capped(&upstream).await.unwrap_or_default();
            let secret_refs: Vec<&str> = self.secrets.iter().map(String::as_str).collect();
            let error = provider::status_error(status, &body, &[], &secret_refs);
            return self.feed(tool_loop, out, fail(error)).await;
        }
        let mut decoder = StreamDecoder::new(self.config, round, self.secrets.clone());
        let mut body = Box::pin(upstream.take_body_stream());
        let mut upstream_failed = false;
        loop {
            let next = match self.within_idle(out, body.next(), idle_limit).await? {
                Some(next) => next,
                None => return self.feed(tool_loop, out, fail(timeout())).await,
            };
            match next {
                Some(Ok(chunk)) => {
                    let events = decoder.push(&chunk);
                    self.feed(tool_loop, out, events).await?;
                    if decoder.finished() {
                        return Ok(());
                    }
                }
                Some(Err(_)) => {
                    upstream_failed = true;
                    break;
                }
                None => break,
            }
        }
        let tail = decoder.finish(upstream_failed);
        self.feed(tool_loop, out, tail).await
    }

    /// Runs `work` with keep-alives; `None` when it stayed silent past `idle_limit`.
    async fn within_idle<T>(
        &self,
        out: &mut Out,
        work: impl Future<Output = T>,
        idle_limit: Duration,
    ) -> Result<Option<T>, Note> {
        let started = Instant::now();
        let mut work = std::pin::pin!(work);
        loop {
            match select(work.as_mut(), std::pin::pin!(Sleep::new(out.keepalive))).await {
                Either::Left((res, _)) => return Ok(Some(res)),
                Either::Right(_) if started.elapsed() >= idle_limit => return Ok(None),
                Either::Right(_) => {
                    if !out.raw(sse::KEEP_ALIVE.to_owned()).await {
                        return Err("the client went away".to_owned());
                    }
                }
            }
        }
    }

    async fn feed(
        &self,
        tool_loop: &mut ToolLoop,
        out: &mut Out,
        events: Vec<ModelEvent>,
    ) -> Result<(), Note> {
        let widget_events: Vec<StreamEvent> = events
            .into_iter()
            .flat_map(|e| tool_loop.on_model_event(e))
            .collect();
        out.events(widget_events).await
    }
}
