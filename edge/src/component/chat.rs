//! `POST /api/chat`: checks, then the provider call relayed as an event stream.
//!
//! Nothing leaves the edge until the request is valid, its continuations open for this user
//! ([`Sealer`]), the model allowed, the caller's TE confirmed by Pomerium (when no assertion
//! named the user) and every server id resolved against the user's Pomerium list with a valid
//! policy. Then the stream's headers go out first, and the provider's stream is relayed by the
//! one driver ([`driver::drive`]: keep-alives, idle limit, the answer's wall time, status
//! mapping) into hosted mode's [`Relay`]: each chunk decoded, through the tool loop and written
//! the moment it arrives; a provider line or event larger than `max_upstream_event_bytes` ends it with
//! `upstream_too_large`. The stream always ends with `done` or `error`. When the edge is to run
//! the tools itself (`tool_mode`), the checked request goes to `tool_chat` instead.

use std::hash::{BuildHasher, Hasher};

use protocol::ChatRequest;
use spin_sdk::http::IncomingRequest;

use super::driver::Out;
use super::incoming;
use super::pomerium_http;
use super::reply::Reply;
use super::resume;
use super::tool_chat;
use crate::answer::feed::Relay;
use crate::answer::pending;
use crate::answer::resume as answer_resume;
use crate::answer::runner::{self, Runner};
use crate::config::Config;
use crate::error::EdgeError;
use crate::incoming::auth::BearerToken;
use crate::incoming::continuation::{Continuation, Sealer};
use crate::incoming::identity::{Identity, Proof};
use crate::providers::{self, hosted};
use crate::redact::{self, Secrets};
use crate::servers::pomerium::{self, McpServer};

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
    let (chat, servers, sealer, continuation) =
        match prepare(config, identity, req, token.as_ref()).await {
            Ok(prepared) => prepared,
            Err(err) => return reply.error(&err).await,
        };
    let server_refs: Vec<&McpServer> = servers.iter().collect();
    let request_id = format!(
        "req_{:016x}",
        std::collections::hash_map::RandomState::new()
            .build_hasher()
            .finish()
    );
    let runner = runner::decide(config, &server_refs);
    let paused = match pending::resumed(runner, continuation, &chat) {
        Ok(paused) => paused,
        Err(err) => return reply.error(&err).await,
    };
    let point = match answer_resume::point(config, runner, &chat) {
        Ok(point) => point,
        Err(err) => return reply.error(&err).await,
    };
    if runner == Runner::Edge {
        let request = tool_chat::EdgeRequest {
            chat,
            servers,
            token,
            sealer,
            paused,
        };
        return tool_chat::run(config, request, reply, &request_id).await;
    }
    let Some(token) = token else {
        return reply.error(&EdgeError::MissingToken).await;
    };
    let start = match point {
        Some(point) => resume::Start::Resume(point),
        None => match hosted::build_request(config, &chat, &server_refs, &token) {
            Ok(body) => resume::Start::Ask {
                url: hosted::responses_url(config),
                body,
            },
            Err(err) => return reply.error(&err).await,
        },
    };
    let mut out = Out::new(config, reply.event_stream());
    if out.write(Relay::start(&request_id)).await.is_ok() {
        let secrets = redact::secrets(config, Some(&token));
        let log = Secrets::new(secrets.iter().cloned());
        let max_event_bytes = config.bounds.max_event_bytes;
        let relay = Relay::new(secrets.clone(), max_event_bytes).sealed_by(sealer.clone());
        let point = match &start {
            resume::Start::Resume(point) => Some(point),
            resume::Start::Ask { .. } => None,
        };
        let mut relay = answer_resume::relay_for(config, relay, point, &sealer, &chat.servers);
        let answer = resume::run(config, start, &server_refs, &secrets, &mut out, &mut relay);
        if let Err(note) = answer.await {
            eprintln!("edge: {request_id}: {}", log.for_log(&note));
        }
    }
    200
}

/// Everything that must hold before the provider is called; any failure means no request left.
/// Gives the request with its continuations opened, the servers, and the sealer for the ids
/// the answer hands out.
async fn prepare(
    config: &Config,
    identity: &Identity,
    req: IncomingRequest,
    token: Option<&BearerToken>,
) -> Result<(ChatRequest, Vec<McpServer>, Sealer, Continuation), EdgeError> {
    let body = incoming::json_body(req, incoming::MAX_CHAT_BODY_BYTES).await?;
    let mut chat: ChatRequest =
        serde_json::from_slice(&body).map_err(|e| EdgeError::BadRequestBody(e.to_string()))?;
    chat.validate()?;
    let responses = config.tools.provider == crate::config::ProviderKind::Responses;
    crate::incoming::attachments::check(&chat, responses)?;
    let sealer = Sealer::new(config, identity, incoming::now())?;
    let continuation = sealer.open_request(&mut chat)?;
    if !config.provider_configured {
        return Err(EdgeError::ProviderNotConfigured);
    }
    let model = providers::resolve_model(config, &chat)?;
    (config.hosted_tools).check(&chat.hosted_tools, model, &config.models, responses)?;
    if chat.servers.is_empty() {
        // Without an assertion, Pomerium itself confirms the TE before anything is spent.
        if Proof::of(config) == Proof::Token {
            pomerium_http::fetch_servers(config, token.ok_or(EdgeError::MissingToken)?).await?;
        }
        return Ok((chat, Vec::new(), sealer, continuation));
    }
    config.policies.valid()?;
    let listed = pomerium_http::list_servers(config, token).await?;
    let picked: Vec<McpServer> = pomerium::resolve(&listed, &chat.servers)?
        .into_iter()
        .cloned()
        .collect();
    config
        .policies
        .check(&picked.iter().map(|s| &s.info).collect::<Vec<_>>())?;
    Ok((chat, picked, sealer, continuation))
}
