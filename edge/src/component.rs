//! The Spin entry point: checks that apply to every request, then the route's handler (wasm32
//! only).
//!
//! Order of checks ([`gate`]): route, `Host` (local mode: loopback only), origin (CORS; a
//! refused origin reaches nothing else), the caller's identity (see [`crate::incoming::identity`]), then
//! the handler, which checks the content type, the body size, the token and the continuations
//! before any upstream call. Log lines name the method, path and status, never a header value.

mod app_call;
mod chat;
mod driver;
mod incoming;
mod mcp_http;
mod pomerium_http;
mod prompts;
mod reply;
mod resume;
mod servers;
mod timer;
mod tool_chat;

use spin_sdk::http::{IncomingRequest, ResponseOutparam};
use spin_sdk::http_component;

use crate::config::Config;
use crate::error::EdgeError;
use crate::incoming::gate::{self, OriginCheck, Pass, RequestOrigin, Route};
use crate::incoming::identity::Identity;
use crate::static_files;
use reply::Reply;

#[http_component]
async fn handle(req: IncomingRequest, out: ResponseOutparam) {
    let config = Config::load();
    let method = req.method().to_string();
    let path = req.path_with_query().unwrap_or_else(|| "/".to_owned());
    let route = gate::route(&method, &path);
    let headers = req.headers();
    let header = |name: &str| {
        headers
            .get(name)
            .into_iter()
            .next()
            .and_then(|v| String::from_utf8(v).ok())
    };
    let if_none_match = header("if-none-match");
    // The authority the request was sent to (HTTP/1.1: its `Host`).
    let host = req.authority().or_else(|| header("host"));
    let origin_check = {
        let (origin, forwarded_host, forwarded_proto) = (
            header("origin"),
            header("x-forwarded-host"),
            header("x-forwarded-proto"),
        );
        gate::check_origin(
            &config,
            &RequestOrigin {
                origin: origin.as_deref(),
                host: host.as_deref(),
                forwarded_host: forwarded_host.as_deref(),
                forwarded_proto: forwarded_proto.as_deref(),
            },
        )
    };
    drop(headers);
    let reply = Reply::new(out, &origin_check, &config.frame_ancestors);
    let status = match gate(&config, &req, &route, host.as_deref(), &origin_check).await {
        Err(err) => reply.error(&err).await,
        Ok(identity) => match route {
            Route::Preflight => reply.preflight(&origin_check).await,
            Route::Health => reply.json(config.health_status(), &config.health()).await,
            Route::Models => {
                reply
                    .json(
                        200,
                        &protocol::ModelList {
                            models: config.models.clone(),
                            default: config.model.clone(),
                            notice: config.model_notice.clone(),
                            hosted_tools: config.hosted_tool_offers(),
                        },
                    )
                    .await
            }
            Route::Me => match identity.filter(Identity::is_known) {
                Some(identity) => reply.json(200, &identity.to_wire(&config)).await,
                None => reply.error(&EdgeError::IdentityUnknown).await,
            },
            Route::Servers => servers::list(&config, &req, &path, reply).await,
            Route::Disconnect => servers::disconnect(&config, req, reply).await,
            Route::Prompts => prompts::list(&config, &req, &path, reply).await,
            Route::PromptGet => prompts::get(&config, req, reply).await,
            Route::Chat => {
                let identity = identity.unwrap_or_else(Identity::unnamed);
                chat::handle(&config, &identity, req, reply).await
            }
            Route::AppToolCall => {
                let identity = identity.unwrap_or_else(Identity::unnamed);
                app_call::handle(&config, &identity, req, reply).await
            }
            Route::AppView => {
                let identity = identity.unwrap_or_else(Identity::unnamed);
                app_call::view(&config, &identity, &req, &path, reply).await
            }
            Route::Cancel => {
                let identity = identity.unwrap_or_else(Identity::unnamed);
                resume::cancel(&config, &identity, req, reply).await
            }
            Route::Static(file) => {
                static_file(&config, &file, if_none_match.as_deref(), reply).await
            }
            Route::NotFound => reply.error(&EdgeError::NotFound).await,
            Route::MethodNotAllowed => reply.error(&EdgeError::MethodNotAllowed).await,
        },
    };
    let shown_path = crate::redact::escape_controls(path.split('?').next().unwrap_or("/"));
    let method = crate::redact::escape_controls(&method);
    eprintln!("edge: {method} {shown_path} -> {status}");
}

/// The gate ([`gate::check`]), then the assertion when the route needs one: gives the proven
/// identity, if the route needs one.
async fn gate(
    config: &Config,
    req: &IncomingRequest,
    route: &Route,
    host: Option<&str>,
    origin_check: &OriginCheck,
) -> Result<Option<Identity>, EdgeError> {
    match gate::check(config, route, host, origin_check)? {
        Pass::Anonymous => Ok(None),
        Pass::As(identity) => Ok(Some(identity)),
        Pass::VerifyAssertion => incoming::check_assertion(config, req).await.map(Some),
    }
}

async fn static_file(
    config: &Config,
    path: &str,
    if_none_match: Option<&str>,
    reply: Reply,
) -> u16 {
    let Some(file) = static_files::resolve(&config.static_root, path) else {
        return reply.error(&EdgeError::NotFound).await;
    };
    let Some(meta) = std::fs::metadata(&file.path).ok().filter(|m| m.is_file()) else {
        return reply.error(&EdgeError::NotFound).await;
    };
    let modified = meta
        .modified()
        .ok()
        .and_then(|m| m.duration_since(std::time::UNIX_EPOCH).ok());
    let etag = static_files::etag(meta.len(), modified);
    if static_files::not_modified(if_none_match, &etag) {
        return reply.not_modified(file.content_type, etag).await;
    }
    match std::fs::read(&file.path) {
        Ok(bytes) => reply.file(file.content_type, etag, bytes).await,
        Err(_) => reply.error(&EdgeError::NotFound).await,
    }
}
