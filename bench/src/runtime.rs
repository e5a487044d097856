//! The edge under `wasmtime serve`, started with a stated runtime configuration
//! ([`RuntimeConfig`]), and the environment every suite shares ([`Context`]).
//!
//! The runtime is testkit's `EdgeProcess` with the configuration's flags; the bench adds when
//! it was spawned and reads the runtime's memory.

use std::time::Instant;

use testkit::process::{Artifacts, EdgeProcess};

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

/// A running edge: testkit's [`EdgeProcess`] (its `base_url`, its `process`), and when it was
/// spawned.
pub(crate) struct Edge {
    edge: EdgeProcess,
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
        let flags: Vec<&str> = config.flags.iter().map(String::as_str).collect();
        let spawned_at = Instant::now();
        let edge = EdgeProcess::start_with_runtime(artifacts, &flags, env)?;
        Ok(Self { edge, spawned_at })
    }

    /// The runtime's peak resident memory so far, in MiB.
    pub(crate) fn peak_rss_mib(&self) -> anyhow::Result<f64> {
        crate::system::peak_rss_mib(self.edge.process.id())
    }
}

impl std::ops::Deref for Edge {
    type Target = EdgeProcess;

    fn deref(&self) -> &EdgeProcess {
        &self.edge
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
