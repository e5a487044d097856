//! Start-up: how long from starting the runtime to the edge's first response, and what each
//! request pays for a fresh component instance.
//!
//! Per run, a fresh `wasmtime serve` is spawned three times: with `-C cache=n` (the component
//! is compiled at start: a first deployment), with the defaults (compiled code comes from
//! wasmtime's cache: a restart), and with `--allow-precompiled` and `-C cache=n` on
//! `target/dist/edge.cwasm` (compiled by `cargo xtask dist`: a deployment that ships machine
//! code); the figures are the time to the ready line and to the first complete
//! `GET /api/health` answer. Then sequential health requests on one keep-alive connection,
//! against three runtimes: the defaults (a fresh instance per request, on-demand allocator),
//! the pooling allocator (fresh instance per request from pre-reserved slots), and instance
//! reuse (`--max-instance-reuse-count`, one instance for every request). Instantiation cost =
//! p50 with a fresh instance minus p50 with reuse.

use std::time::Instant;

use anyhow::ensure;
use testkit::process::Artifacts;

use crate::client::ms;
use crate::edge_overhead::pct;
use crate::results::Results;
use crate::runtime::{Context, Edge, RuntimeConfig};

/// Settings under which `/api/health` answers 200: a provider (a keyless local one, never
/// called here); without one the edge is not ready and answers 503.
const READY: &[(&str, &str)] = &[("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")];

pub(crate) async fn run(ctx: &Context, results: &mut Results) -> anyhow::Result<()> {
    let n = ctx.plan.startup_requests;
    let reuse = RuntimeConfig {
        name: "instance reuse".to_owned(),
        flags: vec![
            "--max-instance-reuse-count".to_owned(),
            (n + 10).to_string(),
        ],
    };
    let uncached = RuntimeConfig {
        name: "no compilation cache".to_owned(),
        flags: vec!["-C".to_owned(), "cache=n".to_owned()],
    };
    let precompiled = Artifacts {
        edge_wasm: ctx.artifacts.dist.join("edge.cwasm"),
        ..ctx.artifacts.clone()
    };
    ensure!(
        precompiled.edge_wasm.exists(),
        "{} is missing: `cargo xtask dist` builds it",
        precompiled.edge_wasm.display()
    );
    for _ in 0..ctx.plan.runs {
        let precompiled_ms = first_response(ctx, &precompiled, &uncached).await?;
        results.record(
            "startup.first_response_precompiled_ms",
            "ms",
            precompiled_ms,
        );
        let uncached_ms = first_response(ctx, &ctx.artifacts, &uncached).await?;
        results.record("startup.first_response_uncached_ms", "ms", uncached_ms);

        let edge = Edge::start(&ctx.artifacts, &RuntimeConfig::default_allocator(), READY)?;
        let ready = Instant::now();
        health(ctx, &edge).await?;
        let first = Instant::now();
        results.record("startup.ready_line_ms", "ms", ms(edge.spawned_at, ready));
        results.record(
            "startup.first_response_ms",
            "ms",
            ms(edge.spawned_at, first),
        );
        let fresh = latencies(ctx, &edge, n).await?;
        drop(edge);

        let edge = Edge::start(&ctx.artifacts, &RuntimeConfig::pooling(64), READY)?;
        let pooled = latencies(ctx, &edge, n).await?;
        drop(edge);

        let edge = Edge::start(&ctx.artifacts, &reuse, READY)?;
        let reused = latencies(ctx, &edge, n).await?;
        drop(edge);

        let (fresh, pooled, reused) = (pct(&fresh, 50.0), pct(&pooled, 50.0), pct(&reused, 50.0));
        results.record("startup.request_ms.p50", "ms", fresh);
        results.record("startup.request_pooling_ms.p50", "ms", pooled);
        results.record("startup.request_reused_instance_ms.p50", "ms", reused);
        results.record("startup.instantiation_ms.p50", "ms", fresh - reused);
        results.record(
            "startup.instantiation_pooling_ms.p50",
            "ms",
            pooled - reused,
        );
    }
    Ok(())
}

/// Milliseconds from spawning a fresh runtime on `artifacts` to its first complete health
/// answer.
async fn first_response(
    ctx: &Context,
    artifacts: &Artifacts,
    config: &RuntimeConfig,
) -> anyhow::Result<f64> {
    let edge = Edge::start(artifacts, config, READY)?;
    health(ctx, &edge).await?;
    Ok(ms(edge.spawned_at, Instant::now()))
}

/// One `GET /api/health`, read to the end.
async fn health(ctx: &Context, edge: &Edge) -> anyhow::Result<()> {
    let response = ctx
        .http
        .get(format!("{}/api/health", edge.base_url))
        .send()
        .await?;
    let status = response.status();
    let body = response.bytes().await?;
    ensure!(
        status == 200 && body.starts_with(b"{"),
        "health answered {status}"
    );
    Ok(())
}

/// Milliseconds of each of `n` sequential health requests, after two warm-up requests.
async fn latencies(ctx: &Context, edge: &Edge, n: usize) -> anyhow::Result<Vec<f64>> {
    for _ in 0..2 {
        health(ctx, edge).await?;
    }
    let mut samples = Vec::with_capacity(n);
    for _ in 0..n {
        let start = Instant::now();
        health(ctx, edge).await?;
        samples.push(ms(start, Instant::now()));
    }
    Ok(samples)
}
