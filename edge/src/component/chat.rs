//! `POST /api/chat`: checks, then the provider call relayed as an event stream.
//!
//! Nothing leaves the edge until the request is valid, its continuations open for this user
//! ([`Sealer`]), the model allowed, the caller's TE confirmed by Pomerium (when no assertion
//! named the user) and every server id resolved against the user's Pomerium list with a valid
//! policy. Then the stream's headers go out first, and each
//! provider chunk is translated and written the moment it arrives. While the provider is
//! silent, keep-alive comments flow; past the idle limit the answer fails. When the client goes
//! away, the edge stops reading and drops the upstream request. Past the answer's wall time
//! (`answer_timeout_ms`) the answer ends with `answer_timeout`; a provider line or event larger
//! than `max_upstream_event_bytes` ends it with `upstream_too_large`. The stream always ends
//! with `done` or `error`. When the edge is to run the tools itself (`tool_mode`), the checked
//! request goes to `tool_chat` instead.

use std::hash::{BuildHasher, Hasher};
use std::time::{Duration, Instant};

use futures::future::{Either, select};
use futures::{Stream, StreamExt};
use protocol::{ApiError, ChatRequest, ErrorCode, sse};
use spin_sdk::http::{IncomingRequest, IncomingResponse, Method, Request, send};

use super::reply::{self, EventSink, Reply};
use super::timer::Sleep;
use super::tool_chat;
use super::upstream;
use crate::auth::BearerToken;
use crate::config::Config;
use crate::continuation::{Continuation, Sealer};
use crate::error::EdgeError;
use crate::identity::{Identity, Proof};
use crate::pending;
use crate::pomerium::{self, McpServer};
use crate::provider;
use crate::redact::Secrets;
use crate::relay::Relay;
use crate::seal::SealError;
use crate::tool_mode::{self, Runner};

pub(super) async fn handle(
    config: &Config,
    identity: &Identity,
    req: IncomingRequest,
    reply: Reply,
) -> u16 {
    // Local mode (no Pomerium) needs no token; every other mode does.
    let token = upstream::bearer(&req);
    if token.is_none() && !config.is_local() {
        return reply.error(&EdgeError::MissingToken).await;
    }
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
    let runner = tool_mode::decide(config, &server_refs);
    let paused = match (runner, continuation) {
        (Runner::Edge, Continuation::Paused(payload)) => {
            match pending::decode(&payload, &chat) {
                Ok(paused) if paused.decided_by(&chat.approvals) => Some(paused),
                // Not the answer this conversation paused, or not its waiting calls.
                _ => {
                    return reply
                        .error(&EdgeError::Continuation(SealError::Foreign))
                        .await;
                }
            }
        }
        (Runner::Edge, Continuation::Response) | (Runner::Provider, Continuation::Paused(_)) => {
            return reply
                .error(&EdgeError::Continuation(SealError::Foreign))
                .await;
        }
        (_, Continuation::None | Continuation::Response) => None,
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
    let body = match provider::build_request(config, &chat, &server_refs, &token) {
        Ok(body) => body,
        Err(err) => return reply.error(&err).await,
    };
    let mut request = Request::builder();
    request
        .method(Method::Post)
        .uri(provider::responses_url(config))
        .header("content-type", "application/json")
        .header("accept", "text/event-stream");
    if let Some(key) = &config.api_key {
        request.header("authorization", key.header_value());
    }
    let request = request.body(body).build();

    let mut sink = reply.event_stream();
    if reply::send(&mut sink, Relay::start(&request_id)).await {
        let secrets = provider::secrets(config, Some(&token));
        let log = Secrets::new(secrets.iter().cloned());
        let answer = relay(config, request, &server_refs, secrets, sealer, &mut sink);
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
    let body = upstream::json_body(req).await?;
    let mut chat: ChatRequest =
        serde_json::from_slice(&body).map_err(|e| EdgeError::BadRequestBody(e.to_string()))?;
    chat.validate()?;
    let sealer = Sealer::new(config, identity, upstream::now())?;
    let continuation = sealer.open_request(&mut chat)?;
    if !config.provider_configured {
        return Err(EdgeError::ProviderNotConfigured);
    }
    provider::resolve_model(config, &chat)?;
    if chat.servers.is_empty() {
        // Without an assertion, Pomerium itself confirms the TE before anything is spent.
        if Proof::of(config) == Proof::Token {
            upstream::fetch_servers(config, token.ok_or(EdgeError::MissingToken)?).await?;
        }
        return Ok((chat, Vec::new(), sealer, continuation));
    }
    config.policies.valid()?;
    let listed = upstream::list_servers(config, token).await?;
    let picked: Vec<McpServer> = pomerium::resolve(&listed, &chat.servers)?
        .into_iter()
        .cloned()
        .collect();
    config
        .policies
        .check(&picked.iter().map(|s| &s.info).collect::<Vec<_>>())?;
    Ok((chat, picked, sealer, continuation))
}

/// Calls the provider and relays its stream; `Err` carries a note for the log (never a secret).
async fn relay(
    config: &Config,
    request: Request,
    servers: &[&McpServer],
    secrets: Vec<String>,
    sealer: Sealer,
    sink: &mut EventSink,
) -> Result<(), String> {
    let keepalive = Duration::from_millis(config.keepalive_ms);
    let idle_limit = Duration::from_millis(config.idle_timeout_ms);
    let deadline = Instant::now() + Duration::from_millis(config.bounds.answer_timeout_ms);
    let tick = || keepalive.min(deadline.saturating_duration_since(Instant::now()));
    let answer_timeout = || ApiError {
        code: ErrorCode::AnswerTimeout,
        message: format!(
            "the answer took longer than {} s, the limit of this edge",
            config.bounds.answer_timeout_ms / 1000
        ),
        retryable: true,
    };
    let timeout = || ApiError {
        code: ErrorCode::ProviderTimeout,
        message: format!(
            "the model provider sent nothing for {} s",
            idle_limit.as_secs()
        ),
        retryable: true,
    };

    let mut pending = Box::pin(send::<_, IncomingResponse>(request));
    let mut last_activity = Instant::now();
    let upstream = loop {
        match select(pending.as_mut(), Box::pin(Sleep::new(tick()))).await {
            Either::Left((Ok(upstream), _)) => break upstream,
            Either::Left((Err(_), _)) => {
                reply::send(sink, Relay::fail(&provider::transport_error())).await;
                return Err("the provider could not be reached".to_owned());
            }
            Either::Right(_) if Instant::now() >= deadline => {
                reply::send(sink, Relay::fail(&answer_timeout())).await;
                return Err("the answer's time limit passed".to_owned());
            }
            Either::Right(_) if last_activity.elapsed() >= idle_limit => {
                reply::send(sink, Relay::fail(&timeout())).await;
                return Err("the provider did not answer in time".to_owned());
            }
            Either::Right(_) => {
                if !reply::send(sink, sse::KEEP_ALIVE.to_owned()).await {
                    return Ok(());
                }
            }
        }
    };

    let status = upstream.status();
    if !(200..300).contains(&status) {
        let body = upstream::read_capped(&upstream).await.unwrap_or_default();
        let secret_refs: Vec<&str> = secrets.iter().map(String::as_str).collect();
        let error = provider::status_error(status, &body, servers, &secret_refs);
        reply::send(sink, Relay::fail(&error)).await;
        return Err(format!("the provider answered {status} ({:?})", error.code));
    }

    let mut relay = Relay::new(secrets, config.bounds.max_event_bytes).sealed_by(sealer);
    let mut body: std::pin::Pin<Box<dyn Stream<Item = Result<Vec<u8>, _>>>> =
        Box::pin(upstream.take_body_stream());
    last_activity = Instant::now();
    let mut upstream_failed = false;
    // One timer for the whole stream, re-armed when it fires: a fresh one per chunk would cost
    // a clock subscription per event.
    let mut keepalive_timer = Sleep::new(tick());
    loop {
        if Instant::now() >= deadline {
            reply::send(sink, relay.abort(&answer_timeout())).await;
            return Err("the answer's time limit passed".to_owned());
        }
        let next = match select(body.next(), &mut keepalive_timer).await {
            Either::Left((next, _)) => next,
            Either::Right(_) if Instant::now() >= deadline => continue,
            Either::Right(_) if last_activity.elapsed() >= idle_limit => {
                reply::send(sink, relay.abort(&timeout())).await;
                return Err("the provider went silent".to_owned());
            }
            Either::Right(_) => {
                // Keep-alives only after `keepalive` of silence, as before.
                let quiet = last_activity.elapsed();
                if quiet < keepalive {
                    let to_deadline = deadline.saturating_duration_since(Instant::now());
                    keepalive_timer = Sleep::new((keepalive - quiet).min(to_deadline));
                    continue;
                }
                keepalive_timer = Sleep::new(tick());
                if !reply::send(sink, sse::KEEP_ALIVE.to_owned()).await {
                    return Ok(());
                }
                continue;
            }
        };
        let chunk = match next {
            Some(Ok(chunk)) => chunk,
            Some(Err(_)) => {
                upstream_failed = true;
                break;
            }
            None => break,
        };
        last_activity = Instant::now();
        let text = relay.on_chunk(&chunk);
        // A failed write means the client went away: returning drops the upstream body and
        // response, which cancels the provider request.
        if !text.is_empty() && !reply::send(sink, text).await {
            return Ok(());
        }
        if relay.finished() {
            return Ok(());
        }
    }
    let tail = relay.finish(upstream_failed);
    reply::send(sink, tail).await;
    Err("the provider's stream ended without a final event".to_owned())
}
