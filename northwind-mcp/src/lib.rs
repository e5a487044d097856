//! A demo MCP server over the Northwind sample database, speaking MCP Streamable HTTP.
//!
//! [`app`] builds the axum router: the rmcp service at `/mcp` (behind the bearer check when a
//! token is configured) and `GET /health`. [`serve`] runs it until the shutdown token fires.
//! Tests drive both in-process; `main.rs` only adds the command line, the start-up line and
//! signal handling.
//!
//! | module | job |
//! |---|---|
//! | [`config`] | flags and environment variables |
//! | [`db`] | the SQLite file, read-only connections, the query check, values to JSON |
//! | [`tools`] | the MCP tool table |
//! | [`mcp_app`] | the chart view (an MCP App `ui://` resource) |
//! | [`prompts`] | the prompts a client offers as `/` commands |
//! | [`auth`] | the bearer token middleware |
//! | [`limit`] | the request body cap |

pub mod auth;
pub mod config;
pub mod db;
pub mod limit;
pub mod mcp_app;
pub mod prompts;
pub mod tools;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::routing::get;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

pub use config::{Command, Config};
pub use limit::MAX_REQUEST_BYTES;

/// Host names rmcp accepts by default (DNS rebinding protection); the configured ones are added.
const LOOPBACK_HOSTS: [&str; 3] = ["localhost", "127.0.0.1", "::1"];

/// Why the server could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The database could not be built or opened.
    #[error("cannot open the database: {0}")]
    Database(#[from] db::DbError),
    /// The HTTP server failed.
    #[error("http server failed: {0}")]
    Serve(#[source] std::io::Error),
}

/// Builds the router: `/mcp` (MCP Streamable HTTP, stateful sessions) and `GET /health`.
///
/// Opens the database first, building the file when it is missing. Cancelling `shutdown` ends
/// every MCP session, so [`serve`] can stop without waiting on open streams.
pub fn app(config: &Config, shutdown: CancellationToken) -> Result<Router, Error> {
    let db = Arc::new(db::Database::open(&config.db)?);
    let allowed_hosts = LOOPBACK_HOSTS
        .iter()
        .map(|host| (*host).to_owned())
        .chain(config.allowed_hosts.iter().cloned());
    let mcp_config = StreamableHttpServerConfig::default()
        .with_allowed_hosts(allowed_hosts)
        .with_cancellation_token(shutdown.child_token());
    let mcp = StreamableHttpService::new(
        move || Ok(tools::Northwind::new(Arc::clone(&db))),
        Arc::new(LocalSessionManager::default()),
        mcp_config,
    );
    let mut mcp_routes = Router::new()
        .route_service("/mcp", mcp)
        .layer(axum::middleware::from_fn(limit::cap_body));
    if let Some(token) = &config.token {
        let token = auth::BearerToken::new(token);
        mcp_routes = mcp_routes.layer(axum::middleware::from_fn_with_state(
            token,
            auth::require_bearer,
        ));
    }
    Ok(Router::new()
        .route("/health", get(|| async { "ok" }))
        .merge(mcp_routes))
}

/// Serves `app` on `listener` until `shutdown` is cancelled, then drains open connections.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    shutdown: CancellationToken,
) -> Result<(), Error> {
    use axum::serve::ListenerExt;
    // Without TCP_NODELAY a small SSE write waits for the previous one's ACK (~40 ms).
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown.cancelled_owned())
        .await
        .map_err(Error::Serve)
}

/// The one line printed to stdout once bound: `northwind-mcp listening on http://<addr>/mcp`.
pub fn listening_line(addr: SocketAddr) -> String {
    format!("northwind-mcp listening on http://{addr}/mcp")
}

#[cfg(test)]
mod tests {
    use super::listening_line;

    #[test]
    fn listening_line_names_the_mcp_url() {
        assert_eq!(
            listening_line("127.0.0.1:8931".parse().unwrap()),
            "northwind-mcp listening on http://127.0.0.1:8931/mcp"
        );
        assert_eq!(
            listening_line("[::1]:40000".parse().unwrap()),
            "northwind-mcp listening on http://[::1]:40000/mcp"
        );
    }
}
