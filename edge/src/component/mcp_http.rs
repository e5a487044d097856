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

use std::time::Duration;

use futures::StreamExt;
use futures::channel::mpsc::Sender;
use futures::future::{Either, select};
use serde_json::Value;
use spin_sdk::http::{IncomingResponse, Method, Request, send};

use super::timer::Sleep;
use crate::mcp::client::apps::{self, AppView, ToolEntry};
use crate::mcp::client::{
    self as mcp_client, Capabilities, McpError, Progress, ReplyReader, ServerMessage, Session,
};

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
            session: Session::default(),
            timeout,
            max_reply_bytes,
            running: None,
        };
        let id = conn.session.next_id();
        let capabilities = Capabilities {
            apps: true,
            ..Capabilities::default()
        };
        let initialize = mcp_client::versions::initialize_with(id, &capabilities);
        let (session_id, result) = conn.request(initialize, id).await?;
        conn.session.initialized(session_id, &result);
        conn.notify(mcp_client::initialized()).await?;
        Ok(conn)
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

    /// Calls a tool: `Ok(Ok(text))`, `Ok(Err(text))` for a tool error (`isError`), or the
    /// failure to call at all. The call asks for progress; what the server reports for it goes
    /// to `progress` while the call runs.
    pub(super) async fn call(
        &mut self,
        tool: &str,
        arguments: &str,
        progress: Sender<Progress>,
    ) -> Result<Result<String, String>, McpError> {
        let id = self.session.next_id();
        let token = format!("pchat-{id}");
        let body = mcp_client::call_tool_with_progress(id, tool, arguments, &token)?;
        self.running = Some(id);
        let answer = self
            .exchange(body, id, Some((token.as_str(), progress)))
            .await;
        self.running = None;
        let (_, result) = answer?;
        Ok(mcp_client::call_output(&result))
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
    async fn request(&self, body: String, id: u64) -> Result<(Option<String>, Value), McpError> {
        self.exchange(body, id, None).await
    }

    /// [`Self::request`], passing on the progress reported for `token` when one is given.
    async fn exchange(
        &self,
        body: String,
        id: u64,
        mut progress: Option<(&str, Sender<Progress>)>,
    ) -> Result<(Option<String>, Value), McpError> {
        let exchange = async {
            let response = self.post(body).await?;
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
                if let Some((token, sender)) = &mut progress {
                    for message in reader.take_messages() {
                        if let ServerMessage::Progress(p) = message
                            && p.is_for(token)
                        {
                            // Full: the caller lags, and a later report supersedes this one.
                            let _ = sender.try_send(p);
                        }
                    }
                }
                if let Some(answer) = answer {
                    return answer.map(|result| (session_id, result));
                }
            }
            reader.finish().map(|result| (session_id, result))
        };
        self.within_timeout(exchange).await
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
        if !(200..300).contains(&status) {
            return Err(mcp_client::status_error(status));
        }
        Ok(response)
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
