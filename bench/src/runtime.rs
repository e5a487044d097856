//! The edge under `wasmtime serve`, started with a stated runtime configuration
//! ([`RuntimeConfig`]), and the environment every suite shares ([`Context`]).
//!
//! `testkit::process::EdgeProcess` starts the runtime with its defaults; the bench needs to
//! choose the allocator and limits and to read the runtime's memory, so it builds the same
//! command with extra flags and keeps the process id.

use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use testkit::process::{Artifacts, ChildProcess, component_flags, with_test_seal_secret};

use crate::plan::Plan;

/// What every suite needs.
pub(crate) struct Context {
    pub(crate) artifacts: Artifacts,
    pub(crate) plan: Plan,
    pub(crate) http: reqwest::Client,
}

/// Flags given to `wasmtime serve` besides the component, its files and its environment.
#[derive(Debug, Clone)]
pub(crate) struct RuntimeConfig {
    /// How the README and the table name it.
    pub(crate) name: String,
    pub(crate) flags: Vec<String>,
}

impl RuntimeConfig {
    /// `wasmtime serve`'s defaults: the on-demand allocator, a fresh instance per request, no
    /// limit on concurrent requests.
    pub(crate) fn default_allocator() -> Self {
        Self {
            name: "on-demand allocator (wasmtime serve defaults)".to_owned(),
            flags: Vec::new(),
        }
    }

    /// The pooling allocator with room for `instances` live component instances (one per
    /// request in flight), a fresh instance per request, no limit on concurrent requests.
    ///
    /// The edge component holds several core instances (its module and the WASI adapter's),
    /// each with memories and tables, so those pools get [`CORE_PER_COMPONENT`] slots per
    /// component instance.
    pub(crate) fn pooling(instances: usize) -> Self {
        let core = instances * CORE_PER_COMPONENT;
        Self {
            name: format!(
                "pooling allocator: {instances} component instances, {core} core instances, memories and tables"
            ),
            flags: [
                "pooling-allocator=y".to_owned(),
                format!("pooling-total-component-instances={instances}"),
                format!("pooling-total-core-instances={core}"),
                format!("pooling-total-memories={core}"),
                format!("pooling-total-tables={core}"),
                format!("pooling-total-stacks={instances}"),
            ]
            .into_iter()
            .flat_map(|flag| ["-O".to_owned(), flag])
            .collect(),
        }
    }
}

/// Core-instance (and memory, table) slots per component instance in [`RuntimeConfig::pooling`].
const CORE_PER_COMPONENT: usize = 4;

/// A running edge.
pub(crate) struct Edge {
    /// e.g. `http://127.0.0.1:PORT`.
    pub(crate) base_url: String,
    pub(crate) process: ChildProcess,
    /// When the runtime was spawned.
    pub(crate) spawned_at: Instant,
}

impl Edge {
    /// Starts the edge serving `artifacts.dist` with `env` (and the test harness's
    /// `SEAL_SECRET` unless `env` sets one), and waits for the runtime's ready line.
    pub(crate) fn start(
        artifacts: &Artifacts,
        config: &RuntimeConfig,
        env: &[(&str, &str)],
    ) -> anyhow::Result<Self> {
        let mut command = Command::new(&artifacts.wasmtime);
        command
            .args(["serve", "-S", "cli", "--addr", "127.0.0.1:0", "--dir"])
            .arg(format!("{}::/", artifacts.dist.display()))
            .args(&config.flags);
        for (key, value) in with_test_seal_secret(env) {
            command.arg("--env").arg(format!("{key}={value}"));
        }
        command
            .args(component_flags(&artifacts.edge_wasm))
            .arg(&artifacts.edge_wasm);
        let spawned_at = Instant::now();
        let (process, line) = ChildProcess::start(
            "wasmtime serve",
            command,
            "Serving HTTP on",
            Duration::from_secs(60),
        )?;
        Ok(Self {
            base_url: base_url_in(&line)?,
            process,
            spawned_at,
        })
    }

    /// The runtime's peak resident memory so far, in MiB.
    pub(crate) fn peak_rss_mib(&self) -> anyhow::Result<f64> {
        crate::system::peak_rss_mib(self.process.id())
    }
}

/// `http://host:port` from a line such as `Serving HTTP on http://127.0.0.1:1234/`.
fn base_url_in(line: &str) -> anyhow::Result<String> {
    let start = line.find("http://").context("no URL in the ready line")?;
    let authority = line[start + "http://".len()..]
        .split(['/', ' '])
        .next()
        .unwrap_or_default();
    Ok(format!("http://{authority}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_url_from_the_ready_line() {
        assert_eq!(
            base_url_in("Serving HTTP on http://127.0.0.1:4321/").unwrap(),
            "http://127.0.0.1:4321"
        );
        assert!(base_url_in("starting").is_err());
    }

    #[test]
    fn pooling_flags_come_in_pairs() {
        let config = RuntimeConfig::pooling(2000);
        assert_eq!(config.flags[0], "-O");
        assert_eq!(config.flags[1], "pooling-allocator=y");
        let has = |flag: &str| config.flags.iter().any(|f| f == flag);
        assert!(has("pooling-total-component-instances=2000"));
        assert!(has("pooling-total-memories=8000"));
    }
}
