//! MCP App views after the answer: `GET /api/app/view` serves a view's document to its
//! sandboxed frame, and `POST /api/app/tool-call` runs a tool call the view makes through the
//! widget, under the same user's identity and tool policy as the model's calls.
//!
//! The view's document is read again from its server (`resources/read`, only HTML of the app
//! MIME type, size-capped) with the user's token, and served with a policy of its own
//! ([`headers::app_view_headers`]: a sandbox, nothing outside the document, framed only by the
//! chat's origins). Its own URL gives the frame a fresh policy, where a `srcdoc` frame would
//! inherit the embedding page's (a page that allows no inline script would block every view).
//!
//! In order, before anything leaves the edge: the caller's token (not in local mode), the body
//! (JSON, an [`AppToolCall`] with object arguments of at most
//! [`protocol::apps::MAX_APP_ARGUMENT_BYTES`]), the view's handle opened for this user
//! ([`AppHandle`]), the policy settings. Then the handle's server is resolved against the
//! user's Pomerium list again (it must still be there, at the same URL), the policy must allow
//! the tool, and a fresh MCP session with the user's token lists the tools: the tool must be
//! listed, visible to apps and need no approval ([`app_policy::check`]). The answer is the
//! server's `CallToolResult`, scrubbed of secrets and at most
//! [`protocol::apps::MAX_APP_RESULT_BYTES`].

use std::time::Duration;

use protocol::apps::{MAX_APP_ARGUMENT_BYTES, MAX_APP_RESULT_BYTES};
use protocol::{AppToolCall, AppToolResult};
use serde_json::Value;
use spin_sdk::http::IncomingRequest;

use super::incoming;
use super::mcp_http::McpConnection;
use super::pomerium_http;
use super::reply::Reply;
use crate::answer::runner;
use crate::config::Config;
use crate::config::ServerPolicy;
use crate::error::EdgeError;
use crate::incoming::app_handle::AppHandle;
use crate::incoming::auth::BearerToken;
use crate::incoming::continuation::Sealer;
use crate::incoming::identity::Identity;
use crate::incoming::{headers, urls};
use crate::mcp::client::McpError;
use crate::redact::{self, Secrets};
use crate::servers::{app_policy, pomerium};

pub(super) async fn handle(
    config: &Config,
    identity: &Identity,
    req: IncomingRequest,
    reply: Reply,
) -> u16 {
    let token = match incoming::required_bearer(config, &req) {
        Ok(token) => token,
        Err(err) => return reply.error(&err).await,
    };
    match call(config, identity, req, token.as_ref()).await {
        Ok(result) => reply.json(200, &AppToolResult { result }).await,
        Err(err) => {
            if let EdgeError::McpServer(_) = err {
                let log = Secrets::new(redact::secrets(config, token.as_ref()));
                eprintln!(
                    "edge: an app's tool call failed: {}",
                    log.for_log(&err.to_string())
                );
            }
            reply.error(&err).await
        }
    }
}

/// `GET /api/app/view?handle=…`: the view's document for its frame.
pub(super) async fn view(
    config: &Config,
    identity: &Identity,
    req: &IncomingRequest,
    path: &str,
    reply: Reply,
) -> u16 {
    let token = match incoming::required_bearer(config, req) {
        Ok(token) => token,
        Err(err) => return reply.error(&err).await,
    };
    let query = path.split_once('?').map_or("", |(_, q)| q);
    let sealed = urls::query_param(query, "handle").unwrap_or_default();
    let read = async {
        let sealer = Sealer::new(config, identity, incoming::now())?;
        let uri = AppHandle::open(&sealer, &sealed)?.uri;
        let (_, connect) = open(config, identity, &sealed, token.as_ref()).await?;
        let mut connection = connect.await.map_err(EdgeError::McpServer)?;
        let max = protocol::apps::MAX_APP_VIEW_BYTES;
        let view = connection.read_app_view(&uri, max).await;
        connection.close().await;
        view.map_err(EdgeError::McpServer)
    };
    match read.await {
        Ok(view) => {
            let own = headers::app_view_headers(&config.allowed_origins);
            reply.with_headers(200, &own, view.html.into_bytes()).await
        }
        Err(err) => reply.error(&err).await,
    }
}

/// Opens the view's handle for this user and finds its server in the user's Pomerium list
/// again (at the same URL); gives the server's policy and the MCP session to open with it as
/// the user (nothing is sent until it is awaited).
async fn open<'a>(
    config: &'a Config,
    identity: &Identity,
    sealed: &str,
    token: Option<&BearerToken>,
) -> Result<
    (
        ServerPolicy,
        impl std::future::Future<Output = Result<McpConnection, McpError>> + 'a,
    ),
    EdgeError,
> {
    let sealer = Sealer::new(config, identity, incoming::now())?;
    let handle = AppHandle::open(&sealer, sealed)?;
    config.policies.valid()?;
    let listed = pomerium_http::list_servers(config, token).await?;
    let server = pomerium::resolve(&listed, std::slice::from_ref(&handle.server))?
        .into_iter()
        .next()
        .filter(|s| s.info.url == handle.url)
        .ok_or_else(|| EdgeError::UnknownServer(handle.server.clone()))?;
    let policy = config.policies.for_server(&server.info)?;
    let authorization = runner::mcp_authorization(config, server, token);
    let timeout = Duration::from_millis(config.tools.timeout_ms);
    let max_reply_bytes = config.bounds.max_reply_bytes;
    let url = server.info.url.clone();
    let connect =
        async move { McpConnection::open(&url, authorization, timeout, max_reply_bytes).await };
    Ok((policy, connect))
}

async fn call(
    config: &Config,
    identity: &Identity,
    req: IncomingRequest,
    token: Option<&BearerToken>,
) -> Result<Value, EdgeError> {
    let body = incoming::json_body(req, incoming::MAX_BODY_BYTES).await?;
    let call: AppToolCall =
        serde_json::from_slice(&body).map_err(|e| EdgeError::BadRequestBody(e.to_string()))?;
    let arguments = match call.arguments {
        None => "{}".to_owned(),
        Some(args @ Value::Object(_)) => args.to_string(),
        Some(_) => {
            return Err(EdgeError::BadRequestBody(
                "arguments must be a JSON object".to_owned(),
            ));
        }
    };
    if arguments.len() > MAX_APP_ARGUMENT_BYTES {
        return Err(EdgeError::PayloadTooLarge(MAX_APP_ARGUMENT_BYTES));
    }
    let (policy, connect) = open(config, identity, &call.handle, token).await?;
    // A tool the policy keeps from the model is refused before any MCP request.
    if !policy.allows(&call.name) {
        return Err(EdgeError::ToolNotAllowed(
            call.name.chars().take(80).collect(),
        ));
    }
    let mut connection = connect.await.map_err(EdgeError::McpServer)?;
    let called = async {
        let tools = connection
            .list_tool_entries()
            .await
            .map_err(EdgeError::McpServer)?;
        app_policy::check(&policy, &tools, &call.name)?;
        connection
            .call_for_app(&call.name, &arguments)
            .await
            .map_err(EdgeError::McpServer)
    }
    .await;
    connection.close().await;
    let result = called?;
    let secrets = Secrets::new(redact::secrets(config, token));
    let text = result.to_string();
    if text.len() > MAX_APP_RESULT_BYTES {
        return Err(EdgeError::McpServer(McpError::TooLarge(
            MAX_APP_RESULT_BYTES,
        )));
    }
    if secrets.found_in(&text) {
        return serde_json::from_str(&secrets.redact(&text))
            .map_err(|_| EdgeError::McpServer(McpError::Protocol("unreadable result".into())));
    }
    Ok(result)
}
