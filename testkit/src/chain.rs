//! [`Chain`]: the whole product on one machine, assembled once for every end-to-end test and
//! the bench: northwind-mcp (optional) behind a fake Pomerium MCP route, the real edge under
//! `wasmtime serve` pointed at a provider, and the fake Pomerium's client route in front of the
//! edge.
//!
//! The provider is the caller's (a [`crate::provider::FakeProvider`] or anything else serving
//! the API), so a test keeps its handle and may swap its script. The edge starts first, on the
//! Pomerium address reserved for it, then Pomerium with the edge as its upstream. A browser, when
//! a test needs one, goes on top ([`crate::browser::Browser`]).

use std::path::PathBuf;

use crate::pomerium::{FakePomerium, FakePomeriumConfig, McpRoute};
use crate::process::{Artifacts, EdgeProcess, NorthwindProcess, free_local_addr, scratch_dir};

/// Pomerium's identity assertion header.
pub const ASSERTION: &str = "x-pomerium-jwt-assertion";

/// The host the fake Pomerium's assertions name for a route on loopback (`aud`, `iss`).
pub const ROUTE_HOST: &str = "127.0.0.1";

/// What stands behind the chain's one MCP route.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Northwind {
    /// The real northwind-mcp, started with its own database and internal token (the default).
    #[default]
    Real,
    /// A route named Northwind that nobody serves (for tests that never call a tool).
    Unserved,
    /// No MCP route at all.
    None,
}

/// How a chain starts.
#[derive(Default)]
pub struct ChainConfig {
    /// Names the scratch folder and the internal token (`ti_<name>_<pid>`).
    pub name: String,
    /// What serves the MCP route.
    pub northwind: Northwind,
    /// Edge configuration besides `OPENAI_BASE_URL` and `POMERIUM_URL` (which a key here
    /// replaces).
    pub edge_env: Vec<(String, String)>,
    /// `wasmtime serve` options for the edge (e.g. a tiny instance pool, another folder
    /// mounted in its static root).
    pub edge_runtime: Vec<String>,
    /// The fake Pomerium's settings; its edge upstream and address are set here, and the
    /// Northwind route (unless [`Northwind::None`]) goes before the routes it lists.
    pub pomerium: FakePomeriumConfig,
}

impl ChainConfig {
    /// A chain named `name` with the real Northwind and `edge_env`.
    pub fn new(name: &str, edge_env: &[(&str, &str)]) -> Self {
        Self {
            name: name.to_owned(),
            edge_env: edge_env
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            ..Self::default()
        }
    }
}

/// The running chain; dropping it stops everything (and checks the edge's output for tokens).
pub struct Chain {
    /// The edge, straight (Pomerium's upstream).
    pub edge: EdgeProcess,
    /// The fake Pomerium: `pomerium.base_url()` is where a browser goes.
    pub pomerium: FakePomerium,
    /// northwind-mcp, with [`Northwind::Real`].
    pub northwind: Option<NorthwindProcess>,
    /// The TI Pomerium sends to the MCP route.
    pub internal_token: String,
    /// The chain's scratch folder (northwind's database is `northwind.db` in it).
    pub dir: PathBuf,
}

impl Chain {
    /// Starts the chain with the provider at `provider_url` (an API base such as
    /// `http://127.0.0.1:PORT/v1`).
    pub async fn start(provider_url: &str, cfg: ChainConfig) -> anyhow::Result<Self> {
        let artifacts = Artifacts::from_env()?;
        let name = if cfg.name.is_empty() {
            "chain"
        } else {
            &cfg.name
        };
        let dir = scratch_dir(name)?;
        let internal_token = format!("ti_{name}_{}", std::process::id());
        let northwind = match cfg.northwind {
            Northwind::Real => Some(NorthwindProcess::start(
                &artifacts,
                Some(&internal_token),
                &dir.join("northwind.db"),
            )?),
            Northwind::Unserved | Northwind::None => None,
        };
        let pomerium_addr = free_local_addr()?;
        let pomerium_url = format!("http://{pomerium_addr}");
        let mut env = vec![
            ("OPENAI_BASE_URL", provider_url),
            ("POMERIUM_URL", pomerium_url.as_str()),
        ];
        env.retain(|(k, _)| !cfg.edge_env.iter().any(|(key, _)| key == k));
        env.extend(cfg.edge_env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        let runtime: Vec<&str> = cfg.edge_runtime.iter().map(String::as_str).collect();
        let edge = EdgeProcess::start_with_runtime(&artifacts, &runtime, &env)?;
        let mut pomerium_cfg = cfg.pomerium;
        pomerium_cfg.edge_upstream = edge.base_url.clone();
        pomerium_cfg.client_addr = Some(pomerium_addr);
        let route = |upstream: String, internal_token: String| McpRoute {
            name: "Northwind".into(),
            description: Some("The Northwind sales database".into()),
            upstream,
            internal_token,
            ..McpRoute::default()
        };
        let northwind_route = match (&northwind, cfg.northwind) {
            (Some(server), _) => Some(route(server.base_url.clone(), internal_token.clone())),
            (None, Northwind::Unserved) => {
                Some(route("http://127.0.0.1:9".into(), "ti_unused".into()))
            }
            (None, _) => None,
        };
        pomerium_cfg.mcp_routes.splice(0..0, northwind_route);
        let pomerium = FakePomerium::start(pomerium_cfg).await?;
        Ok(Self {
            edge,
            pomerium,
            northwind,
            internal_token,
            dir,
        })
    }

    /// northwind-mcp's database.
    pub fn db(&self) -> PathBuf {
        self.dir.join("northwind.db")
    }

    /// `request` with what Pomerium adds: `Authorization: Bearer <token>` and a valid identity
    /// assertion for the current user, for requests straight to the edge.
    pub fn direct(&self, request: reqwest::RequestBuilder, token: &str) -> reqwest::RequestBuilder {
        request
            .bearer_auth(token)
            .header(ASSERTION, self.pomerium.assertion(ROUTE_HOST, 300))
    }
}
