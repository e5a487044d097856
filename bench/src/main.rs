//! `pchat-bench`: the cost of every hop of Pomerium Chat, measured side by side.
//!
//! Run it with `cargo xtask bench [--quick]`, which builds the artifacts, this binary and
//! northwind-mcp first and passes their paths in the environment (as `cargo xtask test` does).
//! Directly: `pchat-bench [--quick] [--only SUITE,...] [--stream-levels N,...] [--out PATH]`
//! (`--stream-levels` replaces the plan's numbers of simultaneous streams), suites `edge`,
//! `streams`, `capacity`, `startup`, `widget`, `mcp`. Test it with `cargo test -p bench`.
//!
//! Every figure is the median of at least five runs, with their minimum and maximum. The table
//! goes to stdout, the figures to `target/bench/results.json` (see [`results`]). Times never
//! fail the bench; errors do (a stream that breaks, a count that does not add up), after the
//! figures are written.
//!
//! | module | owns |
//! |---|---|
//! | `plan` | how much work each suite does, full and `--quick` |
//! | `stats`, `results` | percentiles, median/min/max, `results.json` and the table |
//! | `client`, `tap`, `transcript` | the timed SSE client, the timestamping relay, scripted answers |
//! | `runtime`, `system` | the edge under `wasmtime serve` with a stated configuration; `/proc` |
//! | `edge_overhead` | direct vs through the edge: first event, per event, coalescing |
//! | `streams` | 1, 100 and 1,000 simultaneous streams through the edge |
//! | `capacity` | the most answers one runtime holds open, per documented deployment |
//! | `startup` | first response after the runtime starts; per-request instantiation |
//! | `widget` | bundle sizes, time to interactive, cost per token, heap, in headless Chromium |
//! | `mcp` | `tools/call read_query` against northwind-mcp at 1 and 50 clients |

mod capacity;
mod client;
mod edge_overhead;
mod mcp;
mod plan;
mod results;
mod runtime;
mod startup;
mod stats;
mod streams;
mod system;
mod tap;
mod transcript;
mod widget;

use std::path::PathBuf;

use anyhow::{Context as _, bail};
use testkit::process::Artifacts;

use crate::plan::Plan;
use crate::results::Results;
use crate::runtime::Context;

/// The suites, in the order they run.
const SUITES: [&str; 6] = ["edge", "streams", "capacity", "startup", "widget", "mcp"];

/// The command line.
#[derive(Debug)]
struct Options {
    quick: bool,
    only: Vec<String>,
    stream_levels: Option<Vec<usize>>,
    out: PathBuf,
}

fn main() -> anyhow::Result<()> {
    let options = parse(std::env::args().skip(1))?;
    let mut plan = if options.quick {
        Plan::quick()
    } else {
        Plan::full()
    };
    if let Some(levels) = options.stream_levels.clone() {
        plan.stream_levels = levels;
    }
    let open_files = system::raise_open_files(16_384)?;
    println!(
        "pchat-bench{}: {}; open-file limit {open_files}; {} runs per figure",
        if plan.quick { " --quick" } else { "" },
        system::describe_machine(),
        plan.runs
    );
    let ctx = Context {
        artifacts: Artifacts::from_env()?,
        plan,
        http: client::http(),
    };
    let runtime = tokio::runtime::Runtime::new().context("starting tokio")?;
    let mut results = Results::default();
    let mut failures = Vec::new();
    for suite in SUITES {
        if !options.only.is_empty() && !options.only.iter().any(|s| s == suite) {
            continue;
        }
        let started = std::time::Instant::now();
        eprintln!("bench: {suite} ...");
        let res = runtime.block_on(run_suite(suite, &ctx, &mut results));
        eprintln!(
            "bench: {suite} took {:.1} s",
            started.elapsed().as_secs_f64()
        );
        if let Err(err) = res {
            eprintln!("bench: {suite} failed: {err:#}");
            failures.push(format!("{suite}: {err:#}"));
        }
    }
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
    print!("\n{}", results.table());
    results.write(&options.out)?;
    println!("figures written to {}", options.out.display());
    let errors: Vec<String> = results
        .figures()
        .into_iter()
        .filter(|(name, figure)| name.ends_with(".errors") && figure.max > 0.0)
        .map(|(name, figure)| format!("{name}: up to {} in a run", figure.max))
        .collect();
    failures.extend(errors);
    if !failures.is_empty() {
        bail!("the bench met errors:\n  {}", failures.join("\n  "));
    }
    Ok(())
}

async fn run_suite(suite: &str, ctx: &Context, results: &mut Results) -> anyhow::Result<()> {
    match suite {
        "edge" => edge_overhead::run(ctx, results).await,
        "streams" => streams::run(ctx, results).await,
        "capacity" => capacity::run(ctx, results).await,
        "startup" => startup::run(ctx, results).await,
        "widget" => widget::run(ctx, results).await,
        "mcp" => mcp::run(ctx, results).await,
        other => bail!("unknown suite {other}"),
    }
}

fn parse(args: impl Iterator<Item = String>) -> anyhow::Result<Options> {
    let mut options = Options {
        quick: false,
        only: Vec::new(),
        stream_levels: None,
        out: default_out(),
    };
    let mut args = args;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--quick" => options.quick = true,
            "--only" => {
                let list = args.next().context("--only needs a list of suites")?;
                options.only = list.split(',').map(str::to_owned).collect();
                if let Some(bad) = options.only.iter().find(|s| !SUITES.contains(&s.as_str())) {
                    bail!("unknown suite {bad:?}; the suites are {SUITES:?}");
                }
            }
            "--stream-levels" => {
                let list = args.next().context("--stream-levels needs numbers")?;
                let levels = list
                    .split(',')
                    .map(|n| n.trim().parse::<usize>())
                    .collect::<Result<Vec<_>, _>>()
                    .with_context(|| format!("--stream-levels {list:?}"))?;
                options.stream_levels = Some(levels);
            }
            "--out" => options.out = args.next().context("--out needs a path")?.into(),
            other => bail!(
                "unknown argument {other:?}; usage: pchat-bench [--quick] [--only SUITE,...] [--stream-levels N,...] [--out PATH]"
            ),
        }
    }
    Ok(options)
}

/// `target/bench/results.json` in the workspace (or `$CARGO_TARGET_DIR`).
fn default_out() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .parent()
                .expect("bench lives in the workspace")
                .join("target")
        });
    target.join("bench/results.json")
}
