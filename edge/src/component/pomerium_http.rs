//! Calls to Pomerium over Spin's outgoing HTTP: the user's server list, disconnecting servers,
//! the key set that signs assertions; and reading any non-streaming upstream body within a cap.

use futures::StreamExt;
use spin_sdk::http::{IncomingResponse, Method, Request, send};

use crate::config::Config;
use crate::error::EdgeError;
use crate::incoming::auth::BearerToken;
use crate::incoming::jwt;
use crate::servers::pomerium::{self, McpServer};

/// Largest non-streaming upstream body the edge reads (Pomerium's list, provider errors).
const MAX_UPSTREAM_BYTES: usize = 1024 * 1024;

/// The user's servers: the configured list in local mode, else Pomerium's (which needs the
/// caller's token).
pub(super) async fn list_servers(
    config: &Config,
    token: Option<&BearerToken>,
) -> Result<Vec<McpServer>, EdgeError> {
    if config.is_local() {
        return Ok(crate::servers::local::local_servers(config));
    }
    fetch_servers(config, token.ok_or(EdgeError::MissingToken)?).await
}

/// The user's servers from Pomerium, fetched with their token.
pub(super) async fn fetch_servers(
    config: &Config,
    token: &BearerToken,
) -> Result<Vec<McpServer>, EdgeError> {
    pomerium_call(config, token, None).await
}

/// Disconnects servers at Pomerium; answers the new list.
pub(super) async fn disconnect(
    config: &Config,
    token: &BearerToken,
    servers: &[&McpServer],
) -> Result<Vec<McpServer>, EdgeError> {
    pomerium_call(config, token, Some(servers)).await
}

/// One call with the user's token that answers the server list: the list itself, or
/// disconnecting `disconnect` first.
async fn pomerium_call(
    config: &Config,
    token: &BearerToken,
    disconnect: Option<&[&McpServer]>,
) -> Result<Vec<McpServer>, EdgeError> {
    let base = config
        .pomerium_url
        .as_deref()
        .ok_or(EdgeError::PomeriumNotConfigured)?;
    let mut request = Request::builder();
    request
        .header("authorization", token.header_value())
        .header("accept", "application/json");
    let request = match disconnect {
        None => request
            .method(Method::Get)
            .uri(pomerium::routes_url(base))
            .build(),
        Some(servers) => request
            .method(Method::Post)
            .uri(pomerium::disconnect_url(base))
            .header("content-type", "application/json")
            .body(pomerium::disconnect_body(servers))
            .build(),
    };
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

/// Pomerium's published key set.
pub(super) async fn fetch_jwks(config: &Config) -> Result<Vec<u8>, EdgeError> {
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
