//! `GET /api/prompts?servers=a,b` and `POST /api/prompts/get`: the prompts of the user's MCP
//! servers, for the composer's `/` commands (in either tool mode: the edge asks the servers
//! itself, with the same credentials as its tool calls).
//!
//! The servers are resolved against the user's Pomerium list only (an id that is not in it is
//! `unknown_server`), at most `MAX_PROMPT_SERVERS` per listing, each within the tool timeout
//! and the MCP reply cap. A server that cannot be listed is left out of the list (the others
//! still answer); a failed `prompts/get` is `mcp_server_unreachable`, scrubbed of secrets.

use std::time::Duration;

use protocol::{PromptList, PromptRequest};
use spin_sdk::http::IncomingRequest;

use super::incoming;
use super::mcp_http::McpConnection;
use super::pomerium_http;
use super::reply::Reply;
use crate::answer::runner;
use crate::config::Config;
use crate::error::EdgeError;
use crate::incoming::auth::BearerToken;
use crate::mcp::prompt_wire;
use crate::redact::{self, Secrets};
use crate::servers::pomerium::{self, McpServer};

/// The prompts of the servers named in the query.
pub(super) async fn list(config: &Config, req: &IncomingRequest, path: &str, reply: Reply) -> u16 {
    let res = async {
        let token = incoming::bearer(req);
        let query = path.split_once('?').map(|(_, q)| q).unwrap_or("");
        let ids = prompt_wire::server_ids(query)?;
        let servers = resolve(config, token.as_ref(), &ids).await?;
        let mut prompts = Vec::new();
        for server in &servers {
            let listed = async {
                let mut connection = open(config, server, token.as_ref()).await?;
                let listed = connection.list_prompts().await;
                connection.close().await;
                listed
            };
            // A server that has no prompts, or cannot list them, offers none.
            if let Ok(defs) = listed.await {
                prompts.extend(prompt_wire::listed(&server.info.id, &defs));
            }
        }
        Ok::<_, EdgeError>(PromptList { prompts })
    }
    .await;
    match res {
        Ok(list) => reply.json(200, &list).await,
        Err(err) => reply.error(&err).await,
    }
}

/// One prompt's messages, filled from the request's arguments.
pub(super) async fn get(config: &Config, req: IncomingRequest, reply: Reply) -> u16 {
    let res = async {
        let token = incoming::bearer(&req);
        let body = incoming::json_body(req, incoming::MAX_BODY_BYTES).await?;
        let request: PromptRequest =
            serde_json::from_slice(&body).map_err(|e| EdgeError::BadRequestBody(e.to_string()))?;
        request.validate()?;
        let servers = resolve(
            config,
            token.as_ref(),
            std::slice::from_ref(&request.server),
        )
        .await?;
        let server = &servers[0];
        let secrets = Secrets::new(redact::secrets(config, token.as_ref()));
        let failed = |err: crate::mcp::client::McpError| {
            EdgeError::PromptServer(secrets.redact(&format!(
                "the MCP server {:?} could not give the prompt: {err}",
                server.info.name
            )))
        };
        let mut connection = open(config, server, token.as_ref()).await.map_err(failed)?;
        let defs = connection.list_prompts().await.map_err(failed)?;
        let def = defs
            .iter()
            .find(|d| d.name == request.name)
            .ok_or_else(|| EdgeError::BadRequestBody("no such prompt".to_owned()))?;
        let arguments = prompt_wire::arguments(&request.arguments);
        prompt_wire::check_arguments(def, &arguments)?;
        let messages = connection.get_prompt(def, &arguments).await;
        connection.close().await;
        let messages = messages.map_err(failed)?;
        Ok::<_, EdgeError>(prompt_wire::messages(&messages, &secrets))
    }
    .await;
    match res {
        Ok(messages) => reply.json(200, &messages).await,
        Err(err) => reply.error(&err).await,
    }
}

/// The named servers from the user's list (local mode: the configured ones).
async fn resolve(
    config: &Config,
    token: Option<&BearerToken>,
    ids: &[String],
) -> Result<Vec<McpServer>, EdgeError> {
    if token.is_none() && !config.is_local() {
        return Err(EdgeError::MissingToken);
    }
    config.policies.valid()?;
    let listed = pomerium_http::list_servers(config, token).await?;
    Ok(pomerium::resolve(&listed, ids)?
        .into_iter()
        .cloned()
        .collect())
}

async fn open(
    config: &Config,
    server: &McpServer,
    token: Option<&BearerToken>,
) -> Result<McpConnection, crate::mcp::client::McpError> {
    let authorization = runner::mcp_authorization(config, server, token);
    let timeout = Duration::from_millis(config.tools.timeout_ms);
    McpConnection::open(
        &server.info.url,
        authorization,
        timeout,
        config.bounds.max_reply_bytes,
    )
    .await
}
