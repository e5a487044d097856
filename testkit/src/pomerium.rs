//! [`FakePomerium`]: a stand-in for Pomerium 0.33 with one MCP client route and any number of MCP
//! server routes (`shared/protocols.md` §1).
//!
//! - The client route (the chat edge's, `mcp: { client: {} }`) proxies every request to the edge
//!   upstream, replacing any incoming `Authorization` with `Bearer <TE>`, a fresh TE per request.
//!   It also serves `GET /.pomerium/mcp/routes` itself, for callers carrying a TE it issued.
//! - Each MCP server route (`mcp: { server: { path: /mcp } }`) accepts only a TE issued by this
//!   fake, removes it, and forwards with `Bearer <TI>` (the route's internal token), so the MCP
//!   server never sees a TE. Anything else gets 401 with `WWW-Authenticate`.
//!
//! Both proxy live (see [`proxy`]). Every TE issued, every routes call and every MCP route hit is
//! recorded for tests to check where each token went.
//!
//! With [`FakePomeriumConfig::sign_in`], the client route wants a session first, as Pomerium
//! does: a request without the `_pomerium` cookie gets 401 unless it is a page navigation
//! (`Accept: text/html`), which goes through `/.pomerium/sign_in` (a stand-in for the identity
//! provider's round trip: it sets the cookie at once) and back to the page.

mod assertion;
mod client_route;
mod mcp_route;
mod proxy;
mod token;

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::http::HeaderMap;
use axum::http::header;

pub use assertion::{Algorithm, User, claims, foreign_assertion};

use crate::record::{Log, redact};
use crate::serve::{Background, any_local_port};
use token::TokenMint;

/// The path of the MCP endpoint on every MCP server route.
pub const MCP_PATH: &str = "/mcp";

/// What the fake Pomerium routes.
#[derive(Clone, Debug, Default)]
pub struct FakePomeriumConfig {
    /// Base URL of the client route's upstream (the edge), e.g. `http://127.0.0.1:3001`.
    pub edge_upstream: String,
    /// One listener per MCP server route, in this order (`mcp_url(i)`, `mcp_hits(i)`).
    pub mcp_routes: Vec<McpRoute>,
    /// Where the client route listens; `127.0.0.1:0` when `None`.
    pub client_addr: Option<SocketAddr>,
    /// The client route wants a session cookie (see the module doc); off by default.
    pub sign_in: bool,
    /// How the identity assertions are signed (ES256 by default).
    pub algorithm: Algorithm,
    /// The signed-in user the assertions name ([`FakePomerium::set_user`] changes it).
    pub user: User,
}

/// One MCP server route.
#[derive(Clone, Default)]
pub struct McpRoute {
    /// Shown in `/.pomerium/mcp/routes` as `name`.
    pub name: String,
    /// Shown as `description` (absent when `None`).
    pub description: Option<String>,
    /// Shown as `logo_url` (absent when `None`).
    pub logo_url: Option<String>,
    /// Base URL of the MCP server; the request's path and query are appended (so an upstream
    /// `http://127.0.0.1:3002` receives `POST /mcp`).
    pub upstream: String,
    /// The TI sent upstream as `Authorization: Bearer <TI>`; empty means no `Authorization`
    /// (a route without upstream OAuth).
    pub internal_token: String,
    /// Shown as `connected`.
    pub connected: bool,
    /// Shown as `needs_oauth`.
    pub needs_oauth: bool,
    /// Where this route listens; `127.0.0.1:0` when `None`.
    pub addr: Option<SocketAddr>,
}

/// A TE the client route put on a request it forwarded.
#[derive(Clone, PartialEq, Eq)]
pub struct IssuedToken {
    /// The TE.
    pub te: String,
    /// The forwarded request's method.
    pub method: String,
    /// The forwarded request's path (no query).
    pub path: String,
}

/// One request that reached an MCP server route.
#[derive(Clone, PartialEq, Eq)]
pub struct McpHit {
    /// The bearer token presented, if any.
    pub te: Option<String>,
    /// Whether it was a valid TE (and the request was forwarded with the TI).
    pub accepted: bool,
    /// The request's path.
    pub path: String,
    /// The request's method (`POST`, `GET`, `DELETE`).
    pub method: String,
}

/// The running fake. Dropping it stops all its listeners.
pub struct FakePomerium {
    client: Background,
    mcp: Vec<Background>,
    records: Arc<Records>,
}

/// Everything the fake remembers, shared by all its listeners.
#[derive(Debug, Default)]
struct Records {
    mint: TokenMint,
    key: assertion::AssertionKey,
    user: std::sync::Mutex<User>,
    issued: Log<IssuedToken>,
    routes_calls: Log<Option<String>>,
    /// The `routes` list of each accepted `/.pomerium/mcp/routes/disconnect` call.
    disconnects: Log<Vec<String>>,
    mcp_hits: Vec<Log<McpHit>>,
    sessions: TokenMint,
    refused: Log<String>,
    /// A fault injected by the test: see [`Fault`].
    fault: std::sync::Mutex<Option<Fault>>,
}

/// A fault the fake can be told to show until cleared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// `/.pomerium/mcp/routes` answers 503.
    RoutesDown,
    /// `/.pomerium/mcp/routes` answers 200 with a body that is not the documented JSON.
    RoutesMalformed,
    /// The MCP server routes refuse every token (as when the session ended mid-conversation).
    McpTokensRejected,
    /// `/.pomerium/mcp/routes` answers, but only after [`SLOW`].
    RoutesSlow,
    /// The MCP server routes forward each request only after [`SLOW`].
    McpSlow,
    /// The MCP server routes answer the next `tools/call` of a session with `404` and the
    /// TypeScript SDK's "Session not found" error, as a server that forgot the session does;
    /// then the fault clears itself.
    McpSessionLost,
}

/// The delay of the slow faults.
pub const SLOW: std::time::Duration = std::time::Duration::from_millis(1500);

impl FakePomerium {
    /// Binds every listener and starts serving on the current tokio runtime.
    pub async fn start(cfg: FakePomeriumConfig) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        let records = Arc::new(Records {
            mcp_hits: cfg.mcp_routes.iter().map(|_| Log::default()).collect(),
            key: assertion::AssertionKey::new(cfg.algorithm),
            user: std::sync::Mutex::new(cfg.user.clone()),
            ..Records::default()
        });

        let mut mcp = Vec::with_capacity(cfg.mcp_routes.len());
        for (index, route) in cfg.mcp_routes.iter().enumerate() {
            let router = mcp_route::router(mcp_route::RouteState {
                index,
                upstream: route.upstream.clone(),
                internal_token: route.internal_token.clone(),
                records: records.clone(),
                http: http.clone(),
            });
            let addr = route.addr.unwrap_or_else(any_local_port);
            mcp.push(Background::spawn(addr, router).await?);
        }

        let listing = cfg
            .mcp_routes
            .iter()
            .zip(&mcp)
            .map(|(route, server)| client_route::listed(route, &mcp_url_of(server)))
            .collect();
        let router = client_route::router(client_route::RouteState {
            edge_upstream: cfg.edge_upstream,
            listing,
            records: records.clone(),
            http,
            sign_in: cfg.sign_in,
        });
        let client_addr = cfg.client_addr.unwrap_or_else(any_local_port);
        let client = Background::spawn(client_addr, router).await?;
        Ok(Self {
            client,
            mcp,
            records,
        })
    }

    /// The client route's base URL, e.g. `http://127.0.0.1:PORT` (no trailing slash).
    pub fn base_url(&self) -> String {
        format!("http://{}", self.client.addr())
    }

    /// The MCP endpoint URL of route `i`, e.g. `http://127.0.0.1:PORT2/mcp`.
    ///
    /// Panics when there is no route `i`.
    pub fn mcp_url(&self, i: usize) -> String {
        mcp_url_of(&self.mcp[i])
    }

    /// Every TE the client route issued, in order.
    pub fn issued(&self) -> Vec<IssuedToken> {
        self.records.issued.snapshot()
    }

    /// Shows `fault` from now on; `None` clears it.
    pub fn set_fault(&self, fault: Option<Fault>) {
        *crate::record::lock(&self.records.fault) = fault;
    }

    /// The fault shown now (a fault that clears itself is `None` once it struck).
    pub fn fault(&self) -> Option<Fault> {
        *crate::record::lock(&self.records.fault)
    }

    /// An identity assertion signed with this fake's key for the current user, for `audience`,
    /// expiring in `ttl_secs` (negative: already expired).
    pub fn assertion(&self, audience: &str, ttl_secs: i64) -> String {
        let user = crate::record::lock(&self.records.user).clone();
        self.records.key.assertion(audience, &user, ttl_secs)
    }

    /// A JWT with exactly these claims, signed with this fake's key (see [`claims`]).
    pub fn sign_claims(&self, claims: &serde_json::Value) -> String {
        self.records.key.sign(claims)
    }

    /// From now on, the client route's assertions name `user`.
    pub fn set_user(&self, user: User) {
        *crate::record::lock(&self.records.user) = user;
    }

    /// The bearer token carried by each `/.pomerium/mcp/routes` call, in order.
    pub fn routes_calls(&self) -> Vec<Option<String>> {
        self.records.routes_calls.snapshot()
    }

    /// The server URLs of each accepted disconnect call, in order.
    pub fn disconnects(&self) -> Vec<Vec<String>> {
        self.records.disconnects.snapshot()
    }

    /// The paths of the requests the client route refused for want of a session (401).
    pub fn refused(&self) -> Vec<String> {
        self.records.refused.snapshot()
    }

    /// Every request that reached MCP route `i`, in order.
    ///
    /// Panics when there is no route `i`.
    pub fn mcp_hits(&self, i: usize) -> Vec<McpHit> {
        self.records.mcp_hits[i].snapshot()
    }

    /// How many requests reached MCP route `i`, not counting the `DELETE`s that end sessions
    /// (the edge sends those after an answer's stream has ended, so they say nothing about a
    /// later request).
    pub fn mcp_requests(&self, i: usize) -> usize {
        self.mcp_hits(i)
            .iter()
            .filter(|h| h.method != "DELETE")
            .count()
    }
}

fn mcp_url_of(server: &Background) -> String {
    format!("http://{}{MCP_PATH}", server.addr())
}

/// The token of an `Authorization: Bearer <token>` header, if there is one.
fn bearer(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
}

impl fmt::Debug for FakePomerium {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FakePomerium")
            .field("base_url", &self.base_url())
            .field("mcp_routes", &self.mcp.len())
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for McpRoute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("McpRoute")
            .field("name", &self.name)
            .field("upstream", &self.upstream)
            .field("internal_token", &redact(&self.internal_token))
            .field("connected", &self.connected)
            .field("needs_oauth", &self.needs_oauth)
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for IssuedToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IssuedToken")
            .field("te", &redact(&self.te))
            .field("method", &self.method)
            .field("path", &self.path)
            .finish()
    }
}

impl fmt::Debug for McpHit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("McpHit")
            .field("te", &self.te.as_deref().map(redact))
            .field("accepted", &self.accepted)
            .field("method", &self.method)
            .field("path", &self.path)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    #[test]
    fn bearer_reads_only_bearer_tokens() {
        let check = |value: Option<&str>, want: Option<&str>| {
            let mut headers = HeaderMap::new();
            if let Some(v) = value {
                headers.insert(header::AUTHORIZATION, HeaderValue::from_str(v).unwrap());
            }
            assert_eq!(bearer(&headers).as_deref(), want, "{value:?}");
        };
        check(None, None);
        check(Some("Bearer abc"), Some("abc"));
        check(Some("bearer abc"), Some("abc"));
        check(Some("Basic abc"), None);
        check(Some("Bearer"), None);
    }

    #[test]
    fn debug_output_redacts_tokens() {
        let hit = McpHit {
            te: Some("pom_mat_1_0123456789abcdef".to_owned()),
            accepted: true,
            path: MCP_PATH.to_owned(),
            method: "POST".to_owned(),
        };
        let route = McpRoute {
            internal_token: "internal-secret-ti".to_owned(),
            ..McpRoute::default()
        };
        let shown = format!("{hit:?} {route:?}");
        assert!(!shown.contains("0123456789abcdef"), "{shown}");
        assert!(!shown.contains("internal-secret-ti"), "{shown}");
    }
}
