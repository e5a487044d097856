//! The client route: TE injection in front of the edge, and Pomerium's own
//! `GET /.pomerium/mcp/routes`.
//!
//! Every request except the routes endpoint is forwarded to the edge with a fresh
//! `Authorization: Bearer <TE>` in place of whatever the caller sent. The routes endpoint is
//! answered here (never proxied) and only for a caller carrying a TE this fake issued, and so is
//! `POST /.pomerium/mcp/routes/disconnect` (`{"routes":[url, ...]}`, answered with the listing,
//! those servers marked `connected: false`), and `/.well-known/pomerium/jwks.json`. Forwarded
//! requests carry a fresh `X-Pomerium-Jwt-Assertion` for the route's host. When the route wants
//! a session, a request without one is refused with 401, or, for a page navigation, sent through
//! `/.pomerium/sign_in`, which sets the `_pomerium` cookie and redirects back.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Request, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use crate::pomerium::{Fault, IssuedToken, McpRoute, Records, bearer, proxy};

/// What the client route's handlers share.
pub(crate) struct RouteState {
    pub(crate) edge_upstream: String,
    /// One entry of the routes listing per MCP route, already in wire form.
    pub(crate) listing: Vec<Value>,
    pub(crate) records: Arc<Records>,
    pub(crate) http: reqwest::Client,
    /// Requests need the session cookie.
    pub(crate) sign_in: bool,
}

/// The session cookie's name.
const SESSION_COOKIE: &str = "_pomerium";

/// The client route's router.
pub(crate) fn router(state: RouteState) -> Router {
    Router::new()
        .route("/.pomerium/mcp/routes", get(routes))
        .route("/.pomerium/mcp/routes/disconnect", post(disconnect))
        .route("/.well-known/pomerium/jwks.json", get(jwks))
        .route("/.pomerium/sign_in", get(sign_in))
        .fallback(forward_to_edge)
        .with_state(Arc::new(state))
}

/// One server of the routes listing: `name`, `description` and `logo_url` only when set, as
/// Pomerium omits empty ones.
pub(crate) fn listed(route: &McpRoute, url: &str) -> Value {
    let mut server = json!({
        "name": route.name,
        "url": url,
        "connected": route.connected,
        "needs_oauth": route.needs_oauth,
    });
    if let Some(description) = &route.description {
        server["description"] = json!(description);
    }
    if let Some(logo_url) = &route.logo_url {
        server["logo_url"] = json!(logo_url);
    }
    server
}

async fn routes(State(state): State<Arc<RouteState>>, headers: HeaderMap) -> Response {
    let te = bearer(&headers);
    state.records.routes_calls.push(te.clone());
    let fault = *crate::record::lock(&state.records.fault);
    match fault {
        Some(Fault::RoutesDown) => {
            return (StatusCode::SERVICE_UNAVAILABLE, "upstream connect error").into_response();
        }
        Some(Fault::RoutesSlow) => tokio::time::sleep(crate::pomerium::SLOW).await,
        Some(Fault::RoutesMalformed) => {
            return (StatusCode::OK, "<html>not json</html>").into_response();
        }
        _ => {}
    }
    let authorized = te.is_some_and(|te| state.records.mint.is_valid(&te));
    if !authorized {
        let body = json!({"error": "unauthorized"});
        return (StatusCode::UNAUTHORIZED, axum::Json(body)).into_response();
    }
    let body = json!({ "servers": listing(&state.listing) });
    let mut res = axum::Json(body).into_response();
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

async fn disconnect(
    State(state): State<Arc<RouteState>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let authorized = bearer(&headers).is_some_and(|te| state.records.mint.is_valid(&te));
    if !authorized {
        return (
            StatusCode::UNAUTHORIZED,
            axum::Json(json!({"error": "unauthorized"})),
        )
            .into_response();
    }
    let Ok(request) = serde_json::from_slice::<Value>(&body) else {
        return (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({"error": "invalid json"})),
        )
            .into_response();
    };
    let urls: Vec<String> = request["routes"]
        .as_array()
        .map(|routes| {
            routes
                .iter()
                .filter_map(|r| r.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    state.records.disconnects.push(urls.clone());
    let servers: Vec<Value> = state
        .listing
        .iter()
        .map(|server| {
            let mut server = server.clone();
            if urls.iter().any(|u| server["url"] == u.as_str()) {
                server["connected"] = json!(false);
            }
            server
        })
        .collect();
    let mut res = axum::Json(json!({ "servers": listing(&servers) })).into_response();
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// The `servers` value: `null` for a user without MCP routes, as Pomerium (a Go nil slice).
fn listing(servers: &[Value]) -> Value {
    match servers {
        [] => Value::Null,
        servers => Value::Array(servers.to_vec()),
    }
}

async fn jwks(State(state): State<Arc<RouteState>>) -> Response {
    axum::Json(state.records.key.jwks()).into_response()
}

/// The identity provider's round trip, done at once: a session cookie, then back to the page.
async fn sign_in(State(state): State<Arc<RouteState>>, req: Request<Body>) -> Response {
    let session = state.records.sessions.mint();
    let back = req
        .uri()
        .query()
        .and_then(|q| q.strip_prefix("redirect_uri="))
        .filter(|path| path.starts_with('/') && !path.starts_with("//"))
        .unwrap_or("/")
        .to_owned();
    let cookie = format!("{SESSION_COOKIE}={session}; Path=/; HttpOnly; SameSite=Lax");
    let mut res = (StatusCode::FOUND, "signed in").into_response();
    let headers = res.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&back) {
        headers.insert(header::LOCATION, value);
    }
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        headers.insert(header::SET_COOKIE, value);
    }
    res
}

/// Whether the request carries a session cookie this fake set.
fn has_session(records: &Records, headers: &HeaderMap) -> bool {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .any(|(name, value)| name == SESSION_COOKIE && records.sessions.is_valid(value))
}

/// A signed-out request: a page navigation goes to sign in, anything else gets 401.
fn signed_out(state: &RouteState, req: &Request<Body>) -> Response {
    let wants_html = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"));
    if wants_html {
        let back = req.uri().path_and_query().map_or("/", |pq| pq.as_str());
        let location = format!("/.pomerium/sign_in?redirect_uri={back}");
        let mut res = (StatusCode::FOUND, "sign in").into_response();
        if let Ok(value) = HeaderValue::from_str(&location) {
            res.headers_mut().insert(header::LOCATION, value);
        }
        return res;
    }
    state.records.refused.push(req.uri().path().to_owned());
    let body = json!({"error": "unauthorized"});
    (StatusCode::UNAUTHORIZED, axum::Json(body)).into_response()
}

async fn forward_to_edge(State(state): State<Arc<RouteState>>, mut req: Request<Body>) -> Response {
    if state.sign_in && !has_session(&state.records, req.headers()) {
        return signed_out(&state, &req);
    }
    // As with `pass_identity_headers: true`: a fresh assertion for the route's host replaces
    // whatever the caller sent.
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(|h| h.rsplit_once(':').map_or(h, |(host, _)| host).to_owned())
        .unwrap_or_else(|| "localhost".to_owned());
    let user = crate::record::lock(&state.records.user).clone();
    if let Ok(value) = HeaderValue::from_str(&state.records.key.assertion(&host, &user, 300)) {
        req.headers_mut().insert("x-pomerium-jwt-assertion", value);
    }
    let te = state.records.mint.mint();
    state.records.issued.push(IssuedToken {
        te: te.clone(),
        method: req.method().to_string(),
        path: req.uri().path().to_owned(),
    });
    let authorization = format!("Bearer {te}");
    proxy::forward(&state.http, &state.edge_upstream, req, Some(&authorization)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listing_omits_unset_fields() {
        let route = McpRoute {
            name: "Northwind".to_owned(),
            description: Some("Orders".to_owned()),
            needs_oauth: true,
            ..McpRoute::default()
        };
        assert_eq!(
            listed(&route, "http://127.0.0.1:1/mcp"),
            json!({"name": "Northwind", "description": "Orders", "url": "http://127.0.0.1:1/mcp",
                   "connected": false, "needs_oauth": true})
        );
    }
}
