//! Reading the incoming request: the caller's token, the JSON body within limits, and
//! Pomerium's assertion checked against its key set ([`crate::incoming::jwt`]).

use futures::StreamExt;
use spin_sdk::http::IncomingRequest;

use super::pomerium_http;
use crate::config::Config;
use crate::error::EdgeError;
use crate::incoming::auth::BearerToken;
use crate::incoming::identity::Identity;
use crate::incoming::jwt;

/// Largest request body the edge reads.
pub(super) const MAX_BODY_BYTES: usize = 1024 * 1024;
/// Largest `POST /api/chat` body: [`MAX_BODY_BYTES`] for the conversation, plus room for the
/// attachments' base64 ([`protocol::attachment::MAX_ATTACHMENTS_WIRE_BYTES`]).
pub(super) const MAX_CHAT_BODY_BYTES: usize =
    MAX_BODY_BYTES + protocol::attachment::MAX_ATTACHMENTS_WIRE_BYTES;

/// The caller's token, as Pomerium injected it.
pub(super) fn bearer(req: &IncomingRequest) -> Option<BearerToken> {
    BearerToken::from_header_values(&req.headers().get("authorization"))
}

/// The caller's token; only local mode (no Pomerium) goes without one.
pub(super) fn required_bearer(
    config: &Config,
    req: &IncomingRequest,
) -> Result<Option<BearerToken>, EdgeError> {
    match bearer(req) {
        None if !config.is_local() => Err(EdgeError::MissingToken),
        token => Ok(token),
    }
}

/// The request's JSON body: `application/json`, at most `limit` bytes.
pub(super) async fn json_body(req: IncomingRequest, limit: usize) -> Result<Vec<u8>, EdgeError> {
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
    let mut stream = req.into_body_stream();
    if declared.is_some_and(|n| n > limit) {
        drain(&mut stream, limit).await;
        return Err(EdgeError::PayloadTooLarge(limit));
    }
    let mut body = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk
            .map_err(|_| EdgeError::BadRequestBody("the body could not be read".to_owned()))?;
        body.extend_from_slice(&chunk);
        if body.len() > limit {
            drain(&mut stream, limit).await;
            return Err(EdgeError::PayloadTooLarge(limit));
        }
    }
    Ok(body)
}

/// Reads and drops up to `limit` more bytes of a body that is too large, so that a client
/// still sending gets the 413 instead of a reset connection; a larger one is cut off.
async fn drain<S, E>(stream: &mut S, limit: usize)
where
    S: futures::Stream<Item = Result<Vec<u8>, E>> + Unpin,
{
    let mut dropped = 0;
    while dropped <= limit {
        match stream.next().await {
            Some(Ok(chunk)) => dropped += chunk.len(),
            _ => return,
        }
    }
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
            let jwks = pomerium_http::fetch_jwks(config).await?;
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
