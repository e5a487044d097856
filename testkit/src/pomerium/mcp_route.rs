//! An MCP server route: checks the caller's TE, then swaps it for the route's TI.
//!
//! A request whose `Authorization: Bearer <TE>` names a TE this fake issued (and that has not
//! expired) is forwarded with the incoming `Authorization` removed and `Bearer <TI>` set. Any
//! other request gets 401 with
//! `WWW-Authenticate: Bearer resource_metadata="http://<host>/.well-known/oauth-protected-resource/mcp"`
//! and never reaches the MCP server.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderValue, Request, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::pomerium::{Fault, MCP_PATH, McpHit, Records, bearer, proxy};

/// What one MCP route's handler needs.
pub(crate) struct RouteState {
    /// This route's position in the config (and in `Records::mcp_hits`).
    pub(crate) index: usize,
    pub(crate) upstream: String,
    pub(crate) internal_token: String,
    pub(crate) records: Arc<Records>,
    pub(crate) http: reqwest::Client,
}

/// The MCP route's router: every path goes through the TE check.
pub(crate) fn router(state: RouteState) -> Router {
    Router::new()
        .fallback(check_and_forward)
        .with_state(Arc::new(state))
}

async fn check_and_forward(State(state): State<Arc<RouteState>>, req: Request<Body>) -> Response {
    let te = bearer(req.headers());
    let fault = *crate::record::lock(&state.records.fault);
    if fault == Some(Fault::McpSlow) {
        tokio::time::sleep(crate::pomerium::SLOW).await;
    }
    let rejecting = fault == Some(Fault::McpTokensRejected);
    let accepted = !rejecting
        && te
            .as_deref()
            .is_some_and(|te| state.records.mint.is_valid(te));
    state.records.mcp_hits[state.index].push(McpHit {
        te,
        accepted,
        path: req.uri().path().to_owned(),
        method: req.method().to_string(),
    });
    if !accepted {
        let host = req
            .headers()
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("localhost");
        return unauthorized(host);
    }
    let req =
        if fault == Some(Fault::McpSessionLost) && req.headers().contains_key("mcp-session-id") {
            let (parts, body) = req.into_parts();
            let bytes = axum::body::to_bytes(body, 1 << 20)
                .await
                .unwrap_or_default();
            if bytes.windows(12).any(|w| w == b"\"tools/call\"") {
                *crate::record::lock(&state.records.fault) = None;
                let lost = json!({"jsonrpc": "2.0", "id": null,
                "error": {"code": -32001, "message": "Session not found"}});
                return (StatusCode::NOT_FOUND, axum::Json(lost)).into_response();
            }
            Request::from_parts(parts, Body::from(bytes))
        } else {
            req
        };
    let authorization =
        (!state.internal_token.is_empty()).then(|| format!("Bearer {}", state.internal_token));
    proxy::forward(&state.http, &state.upstream, req, authorization.as_deref()).await
}

fn unauthorized(host: &str) -> Response {
    let challenge = format!(
        "Bearer resource_metadata=\"http://{host}/.well-known/oauth-protected-resource{MCP_PATH}\""
    );
    let mut res = (
        StatusCode::UNAUTHORIZED,
        axum::Json(json!({"error": "invalid_token"})),
    )
        .into_response();
    if let Ok(value) = HeaderValue::from_str(&challenge) {
        res.headers_mut().insert(header::WWW_AUTHENTICATE, value);
    }
    res
}
