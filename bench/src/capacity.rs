//! Capacity: how many answers one runtime process holds open at once with zero errors, under
//! each documented deployment's instance-pool settings ([`Deployment`]).
//!
//! Every open answer holds one component instance for its whole stream, so the runtime's
//! instance pool is the ceiling: past it the runtime refuses the request itself (`wasmtime
//! serve` answers a bare 500). Per deployment, a fresh runtime per level; the fake provider
//! answers every request with a first delta, then holds the stream for [`HOLD`] before it
//! completes, and all of the level's chats start at once. A level is held when every chat ended
//! with `done` and the provider saw all of them open at the same time. The levels step up
//! ([`Plan::capacity_levels`](crate::plan::Plan)) and stop at the first one not held.
//!
//! Figures per deployment `<d>`: `edge.capacity.<d>.max_open_streams` (the largest level held;
//! 0 when none was), and when a level was not held, `.ceiling` (the most answers the provider
//! saw open at once in that level: the pool's real size) and `.refused` (its failed chats).
//! `.peak_rss_mb` is the runtime's peak memory at the largest level held; a deployment with a
//! memory limit (SpinKube's `limits.memory`) counts a level whose peak passes the limit as not
//! held (`.over_memory_limit_mb`). One run per level: these figures have no spread.
//!
//! Spin cannot run here. Its deployments run the same edge under `wasmtime serve` with the pool
//! Spin 3.6 would build from the deployment's environment ([`spin_pool_flags`], after
//! `crates/core/src/lib.rs` of Spin v3.6.3).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use testkit::provider::{FakeProvider, Script};

use crate::client::{chat_body, post_stream};
use crate::edge_overhead::ensure_done;
use crate::results::Results;
use crate::runtime::{Context, Edge, RuntimeConfig};
use crate::tap::marker;
use crate::transcript::TranscriptBuilder;

/// How long the provider holds each answer open after its first delta.
const HOLD: Duration = Duration::from_secs(20);

/// README's and the demo's `wasmtime serve` flags besides the component, its files and its
/// environment: the pool from the config file, and connection and request limits of twice the
/// pool (wasmtime's default is 1,000 of each), so that past the pool a chat gets a fast 500,
/// which the widget retries, rather than a connection left waiting.
pub(crate) const WASMTIME_SERVE_FLAGS: [&str; 6] = [
    "--config",
    "deploy/wasmtime-serve.toml",
    "--max-concurrent-connections",
    "5000",
    "--max-concurrent-requests",
    "5000",
];

/// Spin has no limit on connections or requests besides its pool (v3.6.3's HTTP trigger);
/// under `wasmtime serve` its deployments get limits high enough never to bind.
const NO_CONNECTION_LIMITS: [&str; 4] = [
    "--max-concurrent-connections",
    "100000",
    "--max-concurrent-requests",
    "100000",
];

/// The answers a documented deployment must hold open (issue 17).
const GOAL: usize = 2_000;

/// One way of running the edge, as the repository's files configure it.
#[derive(Debug)]
pub(crate) struct Deployment {
    /// The `<d>` in the metric names.
    pub(crate) name: &'static str,
    /// Documented in README (and held to [`GOAL`]), or measured for comparison only.
    pub(crate) documented: bool,
    pub(crate) config: RuntimeConfig,
    /// The memory limit of the process, in MiB, when the deployment sets one.
    pub(crate) memory_limit_mib: Option<f64>,
}

/// The deployments, read from the repository's files.
pub(crate) fn deployments(root: &Path) -> anyhow::Result<Vec<Deployment>> {
    let spin_env = parse_env_file(&read(&root.join("deploy/spin-runtime.env"))?);
    let spinkube = read(&root.join("deploy/kubernetes/edge.yaml"))?;
    // The shim copies the pod's environment into Spin's: the Deployment's env sizes the pool.
    let spinkube_env: BTreeMap<String, String> = yaml_env(&spinkube)
        .into_iter()
        .filter(|(name, _)| name.starts_with("SPIN_MAX_") || name.starts_with("SPIN_WASMTIME_"))
        .collect();
    let spinkube_limit = yaml_value_under(&spinkube, "limits:", "memory:")
        .map(|q| quantity_bytes(&q).map(|b| b as f64 / MIB as f64))
        .transpose()?;
    Ok(vec![
        Deployment {
            name: "wasmtime_defaults",
            documented: false,
            config: RuntimeConfig {
                name: "wasmtime serve with its default pool (README before issue 17)".to_owned(),
                flags: Vec::new(),
            },
            memory_limit_mib: None,
        },
        Deployment {
            name: "wasmtime_serve",
            documented: true,
            config: RuntimeConfig {
                name: format!(
                    "wasmtime serve {} (README, cargo xtask demo)",
                    WASMTIME_SERVE_FLAGS.join(" ")
                ),
                flags: WASMTIME_SERVE_FLAGS
                    .iter()
                    .map(|f| match *f {
                        "deploy/wasmtime-serve.toml" => root.join(f).display().to_string(),
                        other => other.to_owned(),
                    })
                    .collect(),
            },
            memory_limit_mib: None,
        },
        Deployment {
            name: "spin_up",
            documented: true,
            config: RuntimeConfig {
                name: "Spin 3.6's pool from deploy/spin-runtime.env (spin up, compose)".to_owned(),
                flags: spin_pool_flags(&spin_env)?,
            },
            memory_limit_mib: None,
        },
        Deployment {
            name: "spinkube",
            documented: true,
            config: RuntimeConfig {
                name: "Spin 3.6's pool from the edge Deployment in deploy/kubernetes/edge.yaml"
                    .to_owned(),
                flags: spin_pool_flags(&spinkube_env)?,
            },
            memory_limit_mib: spinkube_limit,
        },
    ])
}

pub(crate) async fn run(ctx: &Context, results: &mut Results) -> anyhow::Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .context("the workspace root")?;
    let mut short = Vec::new();
    for deployment in deployments(root)? {
        eprintln!(
            "bench: capacity {}: {}",
            deployment.name, deployment.config.name
        );
        let held = deployment_run(ctx, &deployment, results).await?;
        if deployment.documented && held < GOAL {
            short.push(format!("{} holds {held}", deployment.name));
        }
    }
    if !short.is_empty() {
        eprintln!(
            "bench: capacity below the goal of {GOAL} open answers: {}",
            short.join(", ")
        );
    }
    Ok(())
}

/// Steps through the levels; returns the largest one held.
async fn deployment_run(
    ctx: &Context,
    deployment: &Deployment,
    results: &mut Results,
) -> anyhow::Result<usize> {
    let name = format!("edge.capacity.{}", deployment.name);
    let mut held = 0;
    let mut held_rss = None;
    for &level in &ctx.plan.capacity_levels {
        let outcome = level_run(ctx, &deployment.config, level).await?;
        let over_memory = deployment
            .memory_limit_mib
            .is_some_and(|limit| outcome.peak_rss_mib > limit);
        eprintln!(
            "bench: capacity {} at {level}: {} done, {} failed, {} open at most, peak RSS {:.1} MiB{}",
            deployment.name,
            outcome.done,
            outcome.failed(),
            outcome.peak_open,
            outcome.peak_rss_mib,
            if over_memory {
                " (over the memory limit)"
            } else {
                ""
            }
        );
        for (error, count) in &outcome.errors {
            eprintln!("bench:   {count} x {error}");
        }
        if outcome.failed() == 0 && outcome.peak_open == level && !over_memory {
            held = level;
            held_rss = Some(outcome.peak_rss_mib);
            continue;
        }
        if outcome.failed() == 0 && !over_memory {
            bail!(
                "{}: only {} of {level} answers were open at once: the hold ({HOLD:?}) is too short for this machine",
                deployment.name,
                outcome.peak_open
            );
        }
        results.record(
            &format!("{name}.ceiling"),
            "count",
            outcome.peak_open as f64,
        );
        results.record(&format!("{name}.refused"), "count", outcome.failed() as f64);
        if over_memory {
            results.record(
                &format!("{name}.over_memory_limit_mb"),
                "MiB",
                outcome.peak_rss_mib,
            );
        }
        break;
    }
    results.record(&format!("{name}.max_open_streams"), "count", held as f64);
    if let Some(rss) = held_rss {
        results.record(&format!("{name}.peak_rss_mb"), "MiB", rss);
    }
    Ok(held)
}

/// What one level did.
#[derive(Debug, Default)]
struct LevelOutcome {
    done: usize,
    errors: BTreeMap<String, usize>,
    peak_open: usize,
    peak_rss_mib: f64,
}

impl LevelOutcome {
    fn failed(&self) -> usize {
        self.errors.values().sum()
    }
}

/// A fresh runtime, `level` chats at once, each held open by the provider.
async fn level_run(
    ctx: &Context,
    config: &RuntimeConfig,
    level: usize,
) -> anyhow::Result<LevelOutcome> {
    let transcript = TranscriptBuilder::new()
        .delta(Duration::ZERO, "held ")
        .completed(HOLD);
    let provider = FakeProvider::start(Script::Transcript(transcript.entries)).await?;
    let edge = Edge::start(
        &ctx.artifacts,
        config,
        &[
            ("OPENAI_BASE_URL", &provider.base_url()),
            ("OPENAI_API_KEY", "sk-bench-capacity-key"),
            // Local mode (no Pomerium), as the edge and streams suites: the edge serves its
            // loopback caller without an identity assertion, so a held chat is one open answer.
        ],
    )?;
    let url = format!("{}/api/chat", edge.base_url);
    let finished = Arc::new(AtomicUsize::new(0));
    let tasks: Vec<_> = (0..level as u64)
        .map(|n| {
            let (http, url, finished) = (ctx.http.clone(), url.clone(), finished.clone());
            tokio::spawn(async move {
                let res = post_stream(&http, &url, Some("pom_mat_bench"), chat_body(&marker(n)))
                    .await
                    .and_then(|stream| ensure_done(&stream));
                finished.fetch_add(1, Ordering::Relaxed);
                res
            })
        })
        .collect();
    // The most answers open at the provider at once, until every chat has ended.
    let mut outcome = LevelOutcome::default();
    let deadline = Instant::now() + HOLD * 4;
    while finished.load(Ordering::Relaxed) < level && Instant::now() < deadline {
        outcome.peak_open = outcome.peak_open.max(provider.open_streams());
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    for task in tasks {
        match task.await.map_err(anyhow::Error::from).and_then(|r| r) {
            Ok(()) => outcome.done += 1,
            Err(err) => *outcome.errors.entry(format!("{err:#}")).or_default() += 1,
        }
    }
    outcome.peak_rss_mib = edge.peak_rss_mib()?;
    Ok(outcome)
}

const MIB: u64 = 1024 * 1024;

/// The `wasmtime serve` flags for the pool Spin 3.6 builds from `env` (its defaults, and the
/// `SPIN_MAX_INSTANCE_COUNT` / `SPIN_WASMTIME_*` / `SPIN_MAX_INSTANCE_MEMORY` variables).
pub(crate) fn spin_pool_flags(env: &BTreeMap<String, String>) -> anyhow::Result<Vec<String>> {
    let number = |name: &str, default: u64| -> anyhow::Result<u64> {
        env.get(name).map_or(Ok(default), |v| {
            v.trim()
                .parse()
                .with_context(|| format!("{name}={v} is not a number"))
        })
    };
    let n = number("SPIN_MAX_INSTANCE_COUNT", 1_000)?;
    let mut flags = vec![
        "pooling-allocator=y".to_owned(),
        format!(
            "pooling-total-component-instances={}",
            number("SPIN_WASMTIME_INSTANCE_COUNT", n)?
        ),
        format!(
            "pooling-total-memories={}",
            number("SPIN_WASMTIME_TOTAL_MEMORIES", n)?
        ),
        format!(
            "pooling-total-tables={}",
            number("SPIN_WASMTIME_TOTAL_TABLES", 2 * n)?
        ),
        format!(
            "pooling-total-stacks={}",
            number("SPIN_WASMTIME_TOTAL_STACKS", n)?
        ),
        format!(
            "pooling-total-core-instances={}",
            number("SPIN_WASMTIME_TOTAL_CORE_INSTANCES", 4 * n)?
        ),
        format!(
            "pooling-table-elements={}",
            number("SPIN_WASMTIME_INSTANCE_TABLE_ELEMENTS", 100_000)?
        ),
        format!(
            "pooling-max-memories-per-module={}",
            number("SPIN_WASMTIME_MAX_MEMORIES_PER_MODULE", 2)?
        ),
        format!(
            "pooling-max-tables-per-module={}",
            number("SPIN_WASMTIME_MAX_TABLES_PER_MODULE", 2)?
        ),
        format!(
            "pooling-memory-keep-resident={}",
            number("SPIN_WASMTIME_LINEAR_MEMORY_KEEP_RESIDENT", 2 * MIB)?
        ),
        format!(
            "pooling-table-keep-resident={}",
            number("SPIN_WASMTIME_TABLE_KEEP_RESIDENT", MIB / 2)?
        ),
    ];
    // Spin caps each instance's memory through its store limits; the pool's per-memory cap has
    // the same effect on a component with one linear memory.
    if env.contains_key("SPIN_MAX_INSTANCE_MEMORY") {
        flags.push(format!(
            "pooling-max-memory-size={}",
            number("SPIN_MAX_INSTANCE_MEMORY", 0)?
        ));
    }
    Ok(flags
        .into_iter()
        .flat_map(|flag| ["-O".to_owned(), flag])
        .chain(NO_CONNECTION_LIMITS.iter().map(|f| (*f).to_owned()))
        .collect())
}

/// `KEY=VALUE` lines; blank lines and `#` comments are skipped.
fn parse_env_file(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect()
}

/// The value of the first `key` line indented under the first `parent` line of a YAML text
/// (enough for the edge Deployment's memory limit; `#` comments are skipped).
fn yaml_value_under(text: &str, parent: &str, key: &str) -> Option<String> {
    let mut lines = text.lines().filter(|l| !l.trim_start().starts_with('#'));
    let parent_line = lines.find(|l| l.trim() == parent)?;
    let indent = |l: &str| l.len() - l.trim_start().len();
    let parent_indent = indent(parent_line);
    lines
        .take_while(|l| l.trim().is_empty() || indent(l) > parent_indent)
        .find_map(|l| l.trim().strip_prefix(key))
        .map(|v| v.trim().trim_matches('"').to_owned())
}

/// The `- name: X` / `value: Y` pairs of a manifest's `env` lists (values unquoted; entries
/// with `valueFrom` are skipped; `#` comments are skipped).
fn yaml_env(text: &str) -> BTreeMap<String, String> {
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.starts_with('#'))
        .collect();
    lines
        .windows(2)
        .filter_map(|pair| {
            let name = pair[0].strip_prefix("- name:")?.trim();
            let value = pair[1].strip_prefix("value:")?.trim().trim_matches('"');
            Some((name.to_owned(), value.to_owned()))
        })
        .collect()
}

/// Bytes of a Kubernetes quantity such as `256Mi`, `1Gi` or `64M`.
fn quantity_bytes(quantity: &str) -> anyhow::Result<u64> {
    let split = quantity
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(quantity.len());
    let (digits, unit) = quantity.split_at(split);
    let number: u64 = digits
        .parse()
        .with_context(|| format!("the quantity {quantity:?}"))?;
    let factor = match unit {
        "" => 1,
        "Ki" => 1024,
        "Mi" => MIB,
        "Gi" => 1024 * MIB,
        "k" => 1_000,
        "M" => 1_000_000,
        "G" => 1_000_000_000,
        other => bail!("the quantity unit {other:?}"),
    };
    Ok(number * factor)
}

fn read(path: &PathBuf) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flag(flags: &[String], name: &str) -> Option<String> {
        flags
            .iter()
            .find_map(|f| f.strip_prefix(&format!("{name}=")))
            .map(str::to_owned)
    }

    #[test]
    fn spin_pool_follows_the_instance_count() {
        let defaults = spin_pool_flags(&BTreeMap::new()).unwrap();
        assert_eq!(
            flag(&defaults, "pooling-total-component-instances").as_deref(),
            Some("1000")
        );
        assert_eq!(
            flag(&defaults, "pooling-total-core-instances").as_deref(),
            Some("4000")
        );
        assert_eq!(flag(&defaults, "pooling-max-memory-size"), None);
        let env = parse_env_file(
            "# pool\nSPIN_MAX_INSTANCE_COUNT=2500\n\nSPIN_MAX_INSTANCE_MEMORY=67108864\n",
        );
        let raised = spin_pool_flags(&env).unwrap();
        assert_eq!(
            flag(&raised, "pooling-total-tables").as_deref(),
            Some("5000")
        );
        assert_eq!(
            flag(&raised, "pooling-max-memory-size").as_deref(),
            Some("67108864")
        );
        assert!(
            raised
                .chunks(2)
                .all(|pair| pair[0] == "-O" || pair[0].starts_with("--max-concurrent"))
        );
        let bad = parse_env_file("SPIN_MAX_INSTANCE_COUNT=many");
        assert!(spin_pool_flags(&bad).is_err());
    }

    #[test]
    fn reads_the_deployment_env() {
        let yaml = "env:\n  - name: SPIN_MAX_INSTANCE_COUNT\n    # pool\n    value: \"2500\"\n  - name: KEY\n    valueFrom:\n      secretKeyRef: {}\n  - name: B\n    value: x\n";
        let env = yaml_env(yaml);
        assert_eq!(env["SPIN_MAX_INSTANCE_COUNT"], "2500");
        assert_eq!(env["B"], "x");
        assert!(!env.contains_key("KEY"));
    }

    /// The SpinKube row's pool and memory limit come from the edge Deployment in edge.yaml.
    #[test]
    fn the_spinkube_row_reads_the_deployment() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        let all = deployments(root).unwrap();
        let spinkube = all.iter().find(|d| d.name == "spinkube").unwrap();
        let flags = &spinkube.config.flags;
        assert_eq!(
            flag(flags, "pooling-total-component-instances").as_deref(),
            Some("2500")
        );
        assert_eq!(
            flag(flags, "pooling-max-memory-size").as_deref(),
            Some("67108864")
        );
        assert_eq!(
            flag(flags, "pooling-table-keep-resident").as_deref(),
            Some("0")
        );
        assert_eq!(spinkube.memory_limit_mib, Some(768.0));
    }

    #[test]
    fn reads_yaml_values_and_quantities() {
        let yaml = "spec:\n  invocationLimits:\n    memory: 64Mi\n  resources:\n    requests:\n      memory: 64Mi\n    limits:\n      # per pod\n      memory: 1Gi\n";
        assert_eq!(
            yaml_value_under(yaml, "invocationLimits:", "memory:").as_deref(),
            Some("64Mi")
        );
        assert_eq!(
            yaml_value_under(yaml, "limits:", "memory:").as_deref(),
            Some("1Gi")
        );
        assert_eq!(yaml_value_under(yaml, "nothing:", "memory:"), None);
        assert_eq!(quantity_bytes("64Mi").unwrap(), 64 * MIB);
        assert_eq!(quantity_bytes("1Gi").unwrap(), 1024 * MIB);
        assert!(quantity_bytes("12Qi").is_err());
    }

    /// The figure of `wasmtime_serve` is the one of README's command and of the demo.
    #[test]
    fn readme_and_the_demo_run_the_measured_command() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
        let demo = std::fs::read_to_string(root.join("xtask/src/demo.rs")).unwrap();
        let command = WASMTIME_SERVE_FLAGS.join(" ");
        assert!(readme.contains(&command), "README lacks `{command}`");
        for flag in WASMTIME_SERVE_FLAGS {
            assert!(demo.contains(&format!("{flag:?}")), "the demo lacks {flag}");
        }
    }

    #[test]
    fn the_repository_files_give_every_deployment() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        let all = deployments(root).unwrap();
        let names: Vec<&str> = all.iter().map(|d| d.name).collect();
        assert_eq!(
            names,
            ["wasmtime_defaults", "wasmtime_serve", "spin_up", "spinkube"]
        );
    }
}
