//! The Spin entry point: checks that apply to every request, then the route's handler (wasm32
//! only).
//!
//! Order of checks: route, origin (CORS; a refused origin reaches nothing else), Pomerium's
//! identity assertion when required, preflight, then the handler, which checks the content type, the body size and the token before any
//! upstream call. Log lines name the method, path and status, never a header value.

mod chat;
mod mcp_http;
mod reply;
mod servers;
mod timer;
mod tool_chat;
mod upstream;

use spin_sdk::http::{IncomingRequest, ResponseOutparam};
use spin_sdk::http_component;

use crate::config::Config;
use crate::cors::{self, OriginCheck, RequestOrigin};
use crate::error::EdgeError;
use crate::routes::{self, Route};
use crate::static_files;
use reply::Reply;

#[http_component]
async fn handle(req: IncomingRequest, out: ResponseOutparam) {
    let config = Config::load();
    let method = req.method().to_string();
    let path = req.path_with_query().unwrap_or_else(|| "/".to_owned());
    let route = routes::route(&method, &path);
    let origin_check = {
        let headers = req.headers();
        let header = |name: &str| {
            headers
                .get(name)
                .into_iter()
                .next()
                .and_then(|v| String::from_utf8(v).ok())
        };
        let (origin, host, forwarded_host, forwarded_proto) = (
            header("origin"),
            header("host"),
            header("x-forwarded-host"),
            header("x-forwarded-proto"),
        );
        cors::check(
            &config,
            &RequestOrigin {
                origin: origin.as_deref(),
                host: host.as_deref(),
                forwarded_host: forwarded_host.as_deref(),
                forwarded_proto: forwarded_proto.as_deref(),
            },
        )
    };
    let reply = Reply::new(out, &origin_check);
    let is_api = !matches!(route, Route::Static(_));
    // Health and preflights stay open; everything else needs Pomerium's assertion when required.
    let needs_assertion = config.jwt_required
        && matches!(
            route,
            Route::Servers | Route::Disconnect | Route::Chat | Route::Models
        );
    let assertion = match needs_assertion && !(is_api && origin_check == OriginCheck::Refused) {
        true => upstream::check_assertion(&config, &req).await,
        false => Ok(()),
    };
    let status = if is_api && origin_check == OriginCheck::Refused {
        reply.error(&EdgeError::OriginRefused).await
    } else if let Err(err) = assertion {
        reply.error(&err).await
    } else {
        match route {
            Route::Preflight => reply.preflight(&origin_check).await,
            Route::Health => reply.json(200, &health(&config)).await,
            Route::Models => {
                reply
                    .json(
                        200,
                        &protocol::ModelList {
                            models: config.models.clone(),
                            default: config.model.clone(),
                            notice: config.model_notice.clone(),
                        },
                    )
                    .await
            }
            Route::Servers => servers::list(&config, &req, &path, reply).await,
            Route::Disconnect => servers::disconnect(&config, req, reply).await,
            Route::Chat => chat::handle(&config, req, reply).await,
            Route::Static(file) => static_file(&config, &file, reply).await,
            Route::NotFound => reply.error(&EdgeError::NotFound).await,
            Route::MethodNotAllowed => reply.error(&EdgeError::MethodNotAllowed).await,
        }
    };
    let shown_path = path.split('?').next().unwrap_or("/");
    eprintln!("edge: {method} {shown_path} -> {status}");
}

fn health(config: &Config) -> serde_json::Value {
    serde_json::json!({
        "status": if config.problems.is_empty() { "ok" } else { "degraded" },
        "version": env!("CARGO_PKG_VERSION"),
        "provider_configured": config.provider_configured,
        "pomerium_configured": config.pomerium_url.is_some(),
        "tool_mode": config.tools.mode.as_str(),
        "provider_api": config.tools.provider.as_str(),
        "problems": config.problems,
    })
}

async fn static_file(config: &Config, path: &str, reply: Reply) -> u16 {
    let Some(file) = static_files::resolve(&config.static_root, path) else {
        return reply.error(&EdgeError::NotFound).await;
    };
    match std::fs::read(&file.path) {
        Ok(bytes) => reply.bytes(200, file.content_type, bytes).await,
        Err(_) => reply.error(&EdgeError::NotFound).await,
    }
}
