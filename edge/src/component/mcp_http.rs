//! The MCP client's I/O: one Streamable HTTP session with one server over Spin's outgoing HTTP.
//!
//! Messages and answers are built and read by [`crate::mcp::client`]; this module only posts
//! them, each within the tool timeout (a request past its deadline is dropped, which cancels
//! it). Answers are read chunk by chunk and only until the response arrives, so a server that
//! keeps its event stream open does not hold the edge, and at most `max_mcp_reply_bytes` of
//! each, so a server cannot fill the edge's memory. A tool call carries a progress token; the
//! server's `notifications/progress` for it are handed to the caller as they arrive, through a
//! bounded channel (when the caller lags, the newest that do not fit are dropped: the next one
//! supersedes them).
//!
//! The edge declares form and link elicitation. A server's `elicitation/create` on a call's
//! stream, or a 2026-07-28 `input_required` result, ends the call as [`Called::Asks`] (the
//! stream is dropped; in those revisions that is not a cancel); [`McpConnection::resume`]
//! later delivers the user's answer in the same session and reads the call's result
//! (`crate::answer::elicit` says how, and what it needs from the server). Other requests
//! from the server are refused with a JSON-RPC error.

use std::time::Duration;

use futures::StreamExt;
use futures::channel::mpsc::Sender;
use futures::future::{Either, select};
use serde_json::Value;
use spin_sdk::http::{IncomingResponse, Method, Request, send};

use super::timer::Sleep;
use crate::answer::elicit::{Asked, Called, Resume};
use crate::mcp::client::apps::{self, AppView, ToolEntry};
use crate::mcp::client::elicitation::{self, Answer, InputRequired};
use crate::mcp::client::messages::{respond, respond_error};
use crate::mcp::client::prompts::{self, PromptDef, PromptMessage};
use crate::mcp::client::results::{Limits, parse_call_result};
use crate::mcp::client::{
    self as mcp_client, Capabilities, McpError, Progress, ReplyReader, ServerMessage, Session,
};

/// What the edge tells servers it can do: ask the user (a form, or a link to open) and show
/// MCP App views.
const CAPABILITIES: Capabilities = Capabilities {
    elicitation_form: true,
    elicitation_url: true,
    apps: true,
};

/// How long the edge waits for a session's `DELETE` to be answered.
const CLOSE_WAIT: Duration = Duration::from_secs(2);

/// Request ids of a rejoined session start above this (the first request used small ones).
const REJOINED_IDS: u64 = 1 << 20;

/// The first of two reads that succeeds; the other's error only when both fail.
async fn first_ok<T>(
    a: impl std::future::Future<Output = Result<T, McpError>>,
    b: impl std::future::Future<Output = Result<T, McpError>>,
) -> Result<T, McpError> {
    match select(std::pin::pin!(a), std::pin::pin!(b)).await {
        Either::Left((Ok(done), _)) | Either::Right((Ok(done), _)) => Ok(done),
        Either::Left((Err(_), other)) => other.await,
        Either::Right((Err(_), other)) => other.await,
    }
}

/// What a request's reply held.
enum Reply {
    /// The response's `result`.
    Result(Value),
    /// An `elicitation/create` came first (only while a call runs).
    Asks {
        /// Its JSON-RPC id.
        request: Value,
        /// Its params.
        params: Value,
        /// The SSE id of the stream's last event read.
        last_event_id: Option<String>,
    },
}

/// An open session with one MCP server.
pub(super) struct McpConnection {
    url: String,
    /// The full `Authorization` value for this server, if any.
    authorization: Option<String>,
    session: Session,
    timeout: Duration,
    /// Most bytes read of one reply.
    max_reply_bytes: usize,
    /// The id of the tool call in flight, until its answer is read.
    running: Option<u64>,
}

impl McpConnection {
    /// `initialize` (declaring MCP Apps views), then `notifications/initialized`.
    pub(super) async fn open(
        url: &str,
        authorization: Option<String>,
        timeout: Duration,
        max_reply_bytes: usize,
    ) -> Result<Self, McpError> {
        let mut conn = Self {
            url: url.to_owned(),
            authorization,
            session: Session::with_capabilities(CAPABILITIES),
            timeout,
            max_reply_bytes,
            running: None,
        };
        conn.handshake().await?;
        Ok(conn)
    }

    /// `initialize`, then `notifications/initialized`.
    async fn handshake(&mut self) -> Result<(), McpError> {
        let (id, body) = self.session.initialize();
        let (session_id, result) = match self.exchange_once(body, id, None).await? {
            (session_id, Reply::Result(result)) => (session_id, result),
            (_, Reply::Asks { .. }) => {
                return Err(McpError::Protocol(
                    "the server asked the user during initialize".into(),
                ));
            }
        };
        self.session.initialized(session_id, &result);
        self.notify(mcp_client::initialized()).await
    }

    /// Ends the session (`DELETE` with its id), when there is one; the answer does not matter
    /// (`405`: the server does not let clients end sessions).
    pub(super) async fn close(&self) {
        let Some(headers) = self.session.end_headers(self.authorization.as_deref()) else {
            return;
        };
        let mut request = Request::builder();
        request.method(Method::Delete).uri(self.url.as_str());
        for (name, value) in headers {
            request.header(name, value);
        }
        let delete = send::<_, IncomingResponse>(request.body(Vec::<u8>::new()).build());
        let _ = select(
            std::pin::pin!(delete),
            std::pin::pin!(Sleep::new(CLOSE_WAIT)),
        )
        .await;
    }

    /// Every tool the server lists with its title and MCP App view (at most 20 pages).
    pub(super) async fn list_tool_entries(&mut self) -> Result<Vec<ToolEntry>, McpError> {
        let mut tools = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..20 {
            let id = self.session.next_id();
            let (_, result) = self
                .request(mcp_client::list_tools(id, cursor.as_deref()), id)
                .await?;
            let (page, next) = apps::parse_tool_entries(&result)?;
            tools.extend(page);
            match next {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        Ok(tools)
    }

    /// Reads the MCP App view `uri` (`resources/read`): only HTML of the app MIME type, at
    /// most `max_bytes`.
    pub(super) async fn read_app_view(
        &mut self,
        uri: &str,
        max_bytes: usize,
    ) -> Result<AppView, McpError> {
        let id = self.session.next_id();
        let (_, result) = self.request(apps::read_resource(id, uri), id).await?;
        apps::parse_app_view(&result, uri, max_bytes)
    }

    /// Calls a tool for an MCP App view: the whole `CallToolResult`.
    pub(super) async fn call_for_app(
        &mut self,
        tool: &str,
        arguments: &str,
    ) -> Result<Value, McpError> {
        let id = self.session.next_id();
        let body = mcp_client::call_tool(id, tool, arguments)?;
        self.running = Some(id);
        let answer = self.request(body, id).await;
        self.running = None;
        Ok(answer?.1)
    }

    /// Calls a tool: its parsed result (media within the default size limits; a tool error has
    /// `is_error`), the server's question for the user, or the failure to call at all. The
    /// call asks for progress; what the server reports for it goes to `progress` while the
    /// call runs.
    pub(super) async fn call(
        &mut self,
        tool: &str,
        arguments: &str,
        progress: Sender<Progress>,
    ) -> Result<Called, McpError> {
        let id = self.session.next_id();
        let token = format!("pchat-{id}");
        let body = mcp_client::call_tool_with_progress(id, tool, arguments, &token)?;
        let params = serde_json::from_str::<Value>(&body).map_or(Value::Null, |mut message| {
            let mut params = message["params"].take();
            if let Some(params) = params.as_object_mut() {
                params.remove("_meta");
            }
            params
        });
        self.running = Some(id);
        let answer = self
            .exchange(body, id, Some((token.as_str(), progress)))
            .await;
        self.running = None;
        let (_, reply) = answer?;
        self.called(id, reply, params)
    }

    /// Every prompt the server lists, following `nextCursor` (at most 5 pages).
    pub(super) async fn list_prompts(&mut self) -> Result<Vec<PromptDef>, McpError> {
        let mut prompts = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..5 {
            let id = self.session.next_id();
            let (_, result) = self
                .request(prompts::list_prompts(id, cursor.as_deref()), id)
                .await?;
            let (page, next) = prompts::parse_prompts(&result)?;
            prompts.extend(page);
            match next {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        Ok(prompts)
    }

    /// `prompts/get` for `prompt` with `arguments` (checked against its definition first).
    pub(super) async fn get_prompt(
        &mut self,
        prompt: &PromptDef,
        arguments: &serde_json::Map<String, Value>,
    ) -> Result<Vec<PromptMessage>, McpError> {
        let id = self.session.next_id();
        let body = prompts::get_prompt(id, prompt, arguments)?;
        let (_, result) = self.request(body, id).await?;
        prompts::parse_prompt_messages(&result, Limits::default())
    }

    /// Delivers the user's `answer` to the question a call asked (in the session it asked in)
    /// and reads the call's outcome, which may be another question. With the stream form the
    /// call's stream is reopened first (`GET` with `Last-Event-ID`, so nothing sent after the
    /// answer is lost), then the response is posted; with the retry form the call is repeated.
    pub(super) async fn resume(
        url: &str,
        authorization: Option<String>,
        (timeout, max_reply_bytes): (Duration, usize),
        resume: &Resume,
        answer: &Answer,
        progress: Sender<Progress>,
    ) -> Result<Called, McpError> {
        let (session_id, version) = resume.session();
        let mut conn = Self {
            url: url.to_owned(),
            authorization,
            session: Session::rejoin(session_id, version, REJOINED_IDS),
            timeout,
            max_reply_bytes,
            running: None,
        };
        match resume {
            Resume::Stream {
                call,
                request,
                last_event_id,
                ..
            } => {
                let last = last_event_id.as_deref().ok_or_else(|| {
                    McpError::Protocol(
                        "the server's events have no ids, so its stream cannot be resumed".into(),
                    )
                })?;
                let token = format!("pchat-{call}");
                // Servers differ in what a reopened stream gets. rmcp sends it what follows,
                // live, but forgets the call once answered: the stream must be reopened before
                // the answer goes. The reference server's event store replays only what it
                // stored before the reopening and sends later events to no stream: reopened
                // after the answer, it replays the result. So the stream is reopened before
                // and after the answer, and whichever brings the result wins. Some servers
                // (rmcp) also replay the event with the given id: the question just answered
                // is not asked again.
                let work = async {
                    let before = conn.reopen(last).await?;
                    conn.post(respond(request, answer.to_result())).await?;
                    let token = token.as_str();
                    let first = conn.read(
                        before,
                        *call,
                        Some((token, progress.clone())),
                        Some(request),
                    );
                    match conn.reopen(last).await {
                        Ok(after) => {
                            let second =
                                conn.read(after, *call, Some((token, progress)), Some(request));
                            first_ok(first, second).await
                        }
                        Err(_) => first.await,
                    }
                };
                let (_, reply) = conn.within_timeout(work).await?;
                conn.ended(conn.called(*call, reply, Value::Null)).await
            }
            Resume::Retry {
                params,
                request_state,
                key,
                others,
                ..
            } => {
                let input = InputRequired {
                    request_state: request_state.clone(),
                    requests: vec![],
                    unsupported: vec![],
                };
                let mut answers = vec![(key.clone(), answer.clone())];
                answers.extend(others.iter().map(|k| (k.clone(), Answer::Cancel)));
                let id = conn.session.next_id();
                let token = format!("pchat-{id}");
                let mut retry = input.retry_params(params, &answers);
                retry["_meta"] = serde_json::json!({ "progressToken": token });
                let body = serde_json::json!({"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": retry});
                let (_, reply) = conn
                    .exchange(body.to_string(), id, Some((token.as_str(), progress)))
                    .await?;
                let called = conn.called(id, reply, params.clone());
                conn.ended(called).await
            }
        }
    }

    /// `called`, after ending the session unless the call asks the user again.
    async fn ended(&self, called: Result<Called, McpError>) -> Result<Called, McpError> {
        if !matches!(called, Ok(Called::Asks(_))) {
            self.close().await;
        }
        called
    }

    /// A call's reply as its outcome: the result, or the question it asks (`params`: the
    /// call's, to repeat it after an `input_required`).
    fn called(&self, call: u64, reply: Reply, params: Value) -> Result<Called, McpError> {
        let (session_id, version) = (
            self.session.session_id.clone(),
            self.session.protocol_version.clone().unwrap_or_default(),
        );
        match reply {
            Reply::Result(result) => {
                let Some(input) = elicitation::parse_input_required(&result) else {
                    return Ok(Called::Done(parse_call_result(&result, Limits::default())));
                };
                let Some((key, question)) = input.requests.first().cloned() else {
                    return Err(McpError::Protocol(
                        "the server asks for input the edge cannot give".into(),
                    ));
                };
                let question_params = result["inputRequests"][&key]["params"].clone();
                let others = input.requests[1..]
                    .iter()
                    .map(|(k, _)| k.clone())
                    .chain(input.unsupported.iter().cloned())
                    .collect();
                Ok(Called::Asks(Box::new(Asked {
                    question,
                    params: question_params,
                    resume: Resume::Retry {
                        session_id,
                        version,
                        params,
                        request_state: input.request_state,
                        key,
                        others,
                    },
                })))
            }
            Reply::Asks {
                request,
                params,
                last_event_id,
            } => Ok(Called::Asks(Box::new(Asked {
                question: elicitation::parse(&params)?,
                params,
                resume: Resume::Stream {
                    session_id,
                    version,
                    call,
                    request,
                    last_event_id,
                },
            }))),
        }
    }

    /// Tells the server that the tool call the edge stopped waiting for (its future was
    /// dropped: the client went away or a time limit passed) is cancelled, with
    /// `notifications/cancelled`; nothing when no call was left in flight.
    pub(super) async fn cancel_running(&mut self, reason: &str) -> Result<(), McpError> {
        match self.running.take() {
            Some(id) => {
                self.notify(mcp_client::messages::cancelled(id, Some(reason)))
                    .await
            }
            None => Ok(()),
        }
    }

    /// Posts a request and reads its response; also returns the `Mcp-Session-Id` header.
    async fn request(
        &mut self,
        body: String,
        id: u64,
    ) -> Result<(Option<String>, Value), McpError> {
        match self.exchange(body, id, None).await? {
            (session_id, Reply::Result(result)) => Ok((session_id, result)),
            (_, Reply::Asks { .. }) => Err(McpError::Protocol(
                "the server asked the user outside a tool call".into(),
            )),
        }
    }

    /// Posts `body` and reads the reply to request `id` ([`Self::read`]). A session the server
    /// no longer knows is initialized again, once, and `body` sent again.
    async fn exchange(
        &mut self,
        body: String,
        id: u64,
        progress: Option<(&str, Sender<Progress>)>,
    ) -> Result<(Option<String>, Reply), McpError> {
        let again = (body.clone(), progress.clone());
        match self.exchange_once(body, id, progress).await {
            Err(McpError::SessionExpired) if self.session.renew() => {
                self.handshake().await?;
                self.exchange_once(again.0, id, again.1).await
            }
            res => res,
        }
    }

    /// [`Self::exchange`] without renewing the session.
    async fn exchange_once(
        &self,
        body: String,
        id: u64,
        progress: Option<(&str, Sender<Progress>)>,
    ) -> Result<(Option<String>, Reply), McpError> {
        self.within_timeout(async {
            let response = self.post(body).await?;
            self.read(response, id, progress, None).await
        })
        .await
    }

    /// Reads the reply to request `id` (also returns the `Mcp-Session-Id` header). With
    /// `progress` (a tool call), the progress reported for its token is passed on and an
    /// `elicitation/create` ends the reading ([`Reply::Asks`]); other requests from the server
    /// are refused; a request with the id `answered` (already answered) is skipped.
    async fn read(
        &self,
        response: IncomingResponse,
        id: u64,
        mut progress: Option<(&str, Sender<Progress>)>,
        answered: Option<&Value>,
    ) -> Result<(Option<String>, Reply), McpError> {
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .into_iter()
                .next()
                .and_then(|v| String::from_utf8(v).ok())
        };
        let session_id = header("mcp-session-id");
        let content_type = header("content-type").unwrap_or_default();
        let mut reader = ReplyReader::new(id, &content_type, self.max_reply_bytes);
        let mut stream = response.take_body_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|_| McpError::Transport)?;
            let answer = reader.push(&chunk);
            for message in reader.take_messages() {
                match message {
                    ServerMessage::Progress(p) => {
                        if let Some((token, sender)) = &mut progress
                            && p.is_for(token)
                        {
                            // Full: the caller lags, and a later report supersedes this one.
                            let _ = sender.try_send(p);
                        }
                    }
                    ServerMessage::Request { id: request, .. } if Some(&request) == answered => {}
                    ServerMessage::Request {
                        id: request,
                        method,
                        params,
                    } if method == "elicitation/create" && progress.is_some() => {
                        if let Err(err) = elicitation::parse(&params) {
                            let refusal = respond_error(&request, -32602, &err.to_string());
                            self.post(refusal).await?;
                            continue;
                        }
                        let last_event_id = reader.last_event_id().map(str::to_owned);
                        return Ok((
                            session_id,
                            Reply::Asks {
                                request,
                                params,
                                last_event_id,
                            },
                        ));
                    }
                    ServerMessage::Request { id: request, .. } => {
                        let refusal = respond_error(&request, -32601, "not handled by this client");
                        self.post(refusal).await?;
                    }
                    ServerMessage::Notification { .. } => {}
                }
            }
            if let Some(answer) = answer {
                return answer.map(|result| (session_id, Reply::Result(result)));
            }
        }
        reader
            .finish()
            .map(|result| (session_id, Reply::Result(result)))
    }

    /// Reopens a call's event stream after the event `last_event_id` (`GET`, `Last-Event-ID`).
    async fn reopen(&self, last_event_id: &str) -> Result<IncomingResponse, McpError> {
        let mut request = Request::builder();
        request.method(Method::Get).uri(self.url.as_str());
        for (name, value) in self.session.headers(self.authorization.as_deref()) {
            match name {
                "content-type" => {}
                "accept" => {
                    request.header(name, "text/event-stream");
                }
                _ => {
                    request.header(name, value);
                }
            }
        }
        request.header("last-event-id", last_event_id);
        let response: IncomingResponse = send(request.body(Vec::<u8>::new()).build())
            .await
            .map_err(|_| McpError::Transport)?;
        match response.status() {
            200..=299 => Ok(response),
            status => Err(McpError::Protocol(format!(
                "the server could not resume the call's stream (status {status})"
            ))),
        }
    }

    /// Posts a notification; any 2xx will do.
    async fn notify(&self, body: String) -> Result<(), McpError> {
        self.within_timeout(async { self.post(body).await.map(drop) })
            .await
    }

    async fn post(&self, body: String) -> Result<IncomingResponse, McpError> {
        let mut request = Request::builder();
        request.method(Method::Post).uri(self.url.as_str());
        for (name, value) in self.session.headers(self.authorization.as_deref()) {
            request.header(name, value);
        }
        let response: IncomingResponse = send(request.body(body).build())
            .await
            .map_err(|_| McpError::Transport)?;
        let status = response.status();
        if (200..300).contains(&status) {
            return Ok(response);
        }
        if matches!(status, 400 | 404) && self.session.session_id.is_some() {
            // Is it the session the server forgot? Its error body says (read up to 4 KiB).
            let mut body = Vec::new();
            let mut stream = response.take_body_stream();
            while body.len() < 4096
                && let Some(Ok(chunk)) = stream.next().await
            {
                body.extend_from_slice(&chunk);
            }
            if self.session.expired(status, &body) {
                return Err(McpError::SessionExpired);
            }
        }
        Err(mcp_client::status_error(status))
    }

    async fn within_timeout<T>(
        &self,
        work: impl std::future::Future<Output = Result<T, McpError>>,
    ) -> Result<T, McpError> {
        let work = std::pin::pin!(work);
        match select(work, std::pin::pin!(Sleep::new(self.timeout))).await {
            Either::Left((res, _)) => res,
            Either::Right(_) => Err(McpError::Timeout(
                u64::try_from(self.timeout.as_millis()).unwrap_or(u64::MAX),
            )),
        }
    }
}
