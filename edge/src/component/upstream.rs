//! Reading the incoming request (token, JSON body within limits) and calling Pomerium.

use futures::StreamExt;
use spin_sdk::http::{IncomingRequest, IncomingResponse, Method, Request, send};

use crate::auth::BearerToken;
use crate::config::Config;
use crate::error::EdgeError;
use crate::identity::Identity;
use crate::jwt;
use crate::pomerium::{self, McpServer};

/// Largest request body the edge reads.
pub(super) const MAX_BODY_BYTES: usize = 1024 * 1024;
/// Largest non-streaming upstream body the edge reads (Pomerium's list, provider errors).
const MAX_UPSTREAM_BYTES: usize = 1024 * 1024;

/// The caller's token, as Pomerium injected it.
pub(super) fn bearer(req: &IncomingRequest) -> Option<BearerToken> {
    BearerToken::from_header_values(&req.headers().get("authorization"))
}

/// The request's JSON body: `application/json`, at most [`MAX_BODY_BYTES`].
pub(super) async fn json_body(req: IncomingRequest) -> Result<Vec<u8>, EdgeError> {
    let headers = req.headers();
    let content_type = headers
        .get("content-type")
        .into_iter()
        .next()
        .unwrap_or_default();
    let is_json = String::from_utf8_lossy(&content_type)
        .split(';')
        .next()
        .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/json"));
    if !is_json {
        return Err(EdgeError::UnsupportedMediaType);
    }
    let declared = headers
        .get("content-length")
        .into_iter()
        .next()
        .and_then(|v| String::from_utf8(v).ok())
        .and_then(|v| v.trim().parse::<usize>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES) {
        return Err(EdgeError::PayloadTooLarge(MAX_BODY_BYTES));
    }
    let mut stream = req.into_body_stream();
    let mut body = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk
            .map_err(|_| EdgeError::BadRequestBody("the body could not be read".to_owned()))?;
        body.extend_from_slice(&chunk);
        if body.len() > MAX_BODY_BYTES {
            return Err(EdgeError::PayloadTooLarge(MAX_BODY_BYTES));
        }
    }
    Ok(body)
}

/// The user's servers: the configured list in local mode, else Pomerium's (which needs the
/// caller's token).
pub(super) async fn list_servers(
    config: &Config,
    token: Option<&BearerToken>,
) -> Result<Vec<McpServer>, EdgeError> {
    if config.is_local() {
        return Ok(crate::tool_mode::local_servers(config));
    }
    fetch_servers(config, token.ok_or(EdgeError::MissingToken)?).await
}

/// The user's servers from Pomerium, fetched with their token.
pub(super) async fn fetch_servers(
    config: &Config,
    token: &BearerToken,
) -> Result<Vec<McpServer>, EdgeError> {
    let base = config
        .pomerium_url
        .as_deref()
        .ok_or(EdgeError::PomeriumNotConfigured)?;
    let request = Request::builder()
        .method(Method::Get)
        .uri(pomerium::routes_url(base))
        .header("authorization", token.header_value())
        .header("accept", "application/json")
        .build();
    pomerium_call(request).await
}

/// Disconnects servers at Pomerium; answers the new list.
pub(super) async fn disconnect(
    config: &Config,
    token: &BearerToken,
    servers: &[&McpServer],
) -> Result<Vec<McpServer>, EdgeError> {
    let base = config
        .pomerium_url
        .as_deref()
        .ok_or(EdgeError::PomeriumNotConfigured)?;
    let request = Request::builder()
        .method(Method::Post)
        .uri(pomerium::disconnect_url(base))
        .header("authorization", token.header_value())
        .header("accept", "application/json")
        .header("content-type", "application/json")
        .body(pomerium::disconnect_body(servers))
        .build();
    pomerium_call(request).await
}

async fn pomerium_call(request: Request) -> Result<Vec<McpServer>, EdgeError> {
    let response: IncomingResponse = send(request)
        .await
        .map_err(|_| EdgeError::PomeriumUnreachable)?;
    let status = response.status();
    if !(200..300).contains(&status) {
        return Err(EdgeError::PomeriumStatus(status));
    }
    let body = read_capped(&response)
        .await
        .map_err(|_| EdgeError::PomeriumUnreachable)?;
    pomerium::parse_routes(&body)
}

/// A whole upstream body, refused past [`MAX_UPSTREAM_BYTES`].
pub(super) async fn read_capped(response: &IncomingResponse) -> Result<Vec<u8>, ()> {
    let mut stream = response.take_body_stream();
    let mut body = Vec::new();
    while let Some(chunk) = stream.next().await {
        body.extend_from_slice(&chunk.map_err(|_| ())?);
        if body.len() > MAX_UPSTREAM_BYTES {
            return Err(());
        }
    }
    Ok(body)
}

/// Pomerium's key set as last fetched by this instance (see [`jwt::JwksCache`]).
static JWKS: std::sync::Mutex<Option<jwt::JwksCache>> = std::sync::Mutex::new(None);

/// Seconds since the epoch.
pub(super) fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

/// Checks `X-Pomerium-Jwt-Assertion` against Pomerium's published keys; gives the user it
/// names. The key set is reused while fresh and holding the assertion's key, else fetched.
pub(super) async fn check_assertion(
    config: &Config,
    req: &IncomingRequest,
) -> Result<Identity, EdgeError> {
    let assertion = req
        .headers()
        .get("x-pomerium-jwt-assertion")
        .into_iter()
        .next()
        .and_then(|v| String::from_utf8(v).ok())
        .ok_or(EdgeError::AssertionMissing)?;
    let now = now();
    let cached = JWKS
        .lock()
        .ok()
        .and_then(|cache| cache.clone())
        .filter(|cache| cache.usable_for(&assertion, now));
    let jwks = match cached {
        Some(cache) => cache.jwks,
        None => {
            let jwks = fetch_jwks(config).await?;
            if let Ok(mut cache) = JWKS.lock() {
                *cache = Some(jwt::JwksCache {
                    jwks: jwks.clone(),
                    fetched_at: now,
                });
            }
            jwks
        }
    };
    let audience = config.jwt_audience.as_deref().unwrap_or_default();
    let expected = jwt::Expected {
        audience,
        issuer: config.jwt_issuer.as_deref().unwrap_or(audience),
    };
    Ok(jwt::verify(&assertion, &jwks, &expected, now)?)
}

async fn fetch_jwks(config: &Config) -> Result<Vec<u8>, EdgeError> {
    let base = config
        .pomerium_url
        .as_deref()
        .ok_or(EdgeError::PomeriumNotConfigured)?;
    let request = Request::builder()
        .method(Method::Get)
        .uri(format!("{base}{}", jwt::JWKS_PATH))
        .header("accept", "application/json")
        .build();
    let response: IncomingResponse = send(request)
        .await
        .map_err(|_| EdgeError::PomeriumUnreachable)?;
    if !(200..300).contains(&response.status()) {
        return Err(EdgeError::PomeriumStatus(response.status()));
    }
    read_capped(&response)
        .await
        .map_err(|_| EdgeError::PomeriumUnreachable)
}
