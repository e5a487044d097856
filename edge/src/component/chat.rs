//! `POST /api/chat`: checks, then the provider call relayed as an event stream.
//!
//! Nothing leaves the edge until the request is valid, the model allowed and every server id
//! resolved against the user's Pomerium list. Then the stream's headers go out first, and each
//! provider chunk is translated and written the moment it arrives. While the provider is
//! silent, keep-alive comments flow; past the idle limit the answer fails. When the client goes
//! away, the edge stops reading and drops the upstream request. The stream always ends with
//! `done` or `error`. When the edge is to run the tools itself (`tool_mode`), the checked
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
use crate::error::EdgeError;
use crate::pomerium::{self, McpServer};
use crate::provider;
use crate::relay::Relay;
use crate::tool_mode::{self, Runner};

pub(super) async fn handle(config: &Config, req: IncomingRequest, reply: Reply) -> u16 {
    // Local mode (no Pomerium) needs no token; every other mode does.
    let token = upstream::bearer(&req);
    if token.is_none() && !config.is_local() {
        return reply.error(&EdgeError::MissingToken).await;
    }
    let (chat, servers) = match prepare(config, req, token.as_ref()).await {
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
    if tool_mode::decide(config, &server_refs) == Runner::Edge {
        return tool_chat::run(config, chat, servers, token, reply, &request_id).await;
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
        let secrets = provider::secrets(config, &token);
        if let Err(note) = relay(config, request, &server_refs, secrets, &mut sink).await {
            eprintln!("edge: {request_id}: {note}");
        }
    }
    200
}

/// Everything that must hold before the provider is called; any failure means no request left.
async fn prepare(
    config: &Config,
    req: IncomingRequest,
    token: Option<&BearerToken>,
) -> Result<(ChatRequest, Vec<McpServer>), EdgeError> {
    let body = upstream::json_body(req).await?;
    let chat: ChatRequest =
        serde_json::from_slice(&body).map_err(|e| EdgeError::BadRequestBody(e.to_string()))?;
    chat.validate()?;
    if !config.provider_configured {
        return Err(EdgeError::ProviderNotConfigured);
    }
    provider::resolve_model(config, &chat)?;
    if chat.servers.is_empty() {
        return Ok((chat, Vec::new()));
    }
    let listed = upstream::list_servers(config, token).await?;
    let picked: Vec<McpServer> = pomerium::resolve(&listed, &chat.servers)?
        .into_iter()
        .cloned()
        .collect();
    Ok((chat, picked))
}

/// Calls the provider and relays its stream; `Err` carries a note for the log (never a secret).
async fn relay(
    config: &Config,
    request: Request,
    servers: &[&McpServer],
    secrets: Vec<String>,
    sink: &mut EventSink,
) -> Result<(), String> {
    let keepalive = Duration::from_millis(config.keepalive_ms);
    let idle_limit = Duration::from_millis(config.idle_timeout_ms);
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
        match select(pending.as_mut(), Box::pin(Sleep::new(keepalive))).await {
            Either::Left((Ok(upstream), _)) => break upstream,
            Either::Left((Err(_), _)) => {
                reply::send(sink, Relay::fail(&provider::transport_error())).await;
                return Err("the provider could not be reached".to_owned());
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

    let mut relay = Relay::new(secrets);
    let mut body: std::pin::Pin<Box<dyn Stream<Item = Result<Vec<u8>, _>>>> =
        Box::pin(upstream.take_body_stream());
    last_activity = Instant::now();
    let mut upstream_failed = false;
    // One timer for the whole stream, re-armed when it fires: a fresh one per chunk would cost
    // a clock subscription per event.
    let mut keepalive_timer = Sleep::new(keepalive);
    loop {
        let next = match select(body.next(), &mut keepalive_timer).await {
            Either::Left((next, _)) => next,
            Either::Right(_) if last_activity.elapsed() >= idle_limit => {
                reply::send(sink, Relay::fail(&timeout())).await;
                return Err("the provider went silent".to_owned());
            }
            Either::Right(_) => {
                // Keep-alives only after `keepalive` of silence, as before.
                let quiet = last_activity.elapsed();
                if quiet < keepalive {
                    keepalive_timer = Sleep::new(keepalive - quiet);
                    continue;
                }
                keepalive_timer = Sleep::new(keepalive);
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
