//! Concurrency: 1, 100 and 1,000 simultaneous streaming chats through the edge, each a
//! scripted answer of [`Plan::stream_events`](crate::plan::Plan) deltas a fixed gap apart.
//!
//! Per level and run, a fresh runtime (so its peak memory is that level's), then every stream
//! started at once. Figures: delta events per second over the level's wall time, the added
//! latency of every event (its arrival minus the instant the [`Tap`](crate::tap::Tap) wrote it
//! towards the edge) at p50 and p99, the runtime's peak RSS (`VmHWM`), and the streams that
//! failed (a non-200, a broken body, a missing event, or an end other than `done`). With
//! enough events, also the CPU time per event of the runtime and of the bench process (the
//! fake provider, the tap and the clients: the load).
//!
//! The runtime uses the pooling allocator with a slot per stream and no limit on concurrent
//! requests or connections ([`RuntimeConfig::pooling`]). The fake provider, the tap and the
//! clients share the bench process, and everything shares the machine's cores.

use std::collections::BTreeMap;
use std::sync::Arc;

use protocol::EventKind;

use crate::client::ms;
use crate::edge_overhead::{Chain, latencies, pct};
use crate::results::Results;
use crate::runtime::{Context, RuntimeConfig};
use crate::system::cpu_seconds;
use crate::transcript::{Transcript, TranscriptBuilder};

/// The runtime configuration of every level: room for the largest level plus spare slots.
pub(crate) fn runtime_config(ctx: &Context) -> RuntimeConfig {
    let largest = ctx.plan.stream_levels.iter().copied().max().unwrap_or(1);
    RuntimeConfig::pooling(largest + largest / 4 + 16)
}

/// Fewest events in a level for its CPU time per event to be recorded.
const MIN_EVENTS_FOR_CPU: usize = 5_000;

pub(crate) async fn run(ctx: &Context, results: &mut Results) -> anyhow::Result<()> {
    let plan = &ctx.plan;
    let tokens: Vec<String> = (0..plan.stream_events).map(|i| format!("w{i} ")).collect();
    let transcript = TranscriptBuilder::new()
        .deltas(plan.stream_gap, &tokens)
        .completed(plan.stream_gap);
    let config = runtime_config(ctx);
    eprintln!(
        "bench: streams of {} events {:?} apart; runtime: {}",
        plan.stream_events, plan.stream_gap, config.name
    );
    for &level in &plan.stream_levels {
        for _ in 0..plan.runs {
            let chain = Chain::start(ctx, &config).await?;
            chain.play(&transcript);
            level_run(ctx, chain, level, &transcript, results).await?;
        }
    }
    Ok(())
}

async fn level_run(
    ctx: &Context,
    mut chain: Chain,
    level: usize,
    transcript: &Transcript,
    results: &mut Results,
) -> anyhow::Result<()> {
    let markers: Vec<u64> = (0..level).map(|_| chain.next_marker()).collect();
    let runtime_pid = chain.edge.process.id();
    let cpu_before = (cpu_seconds(runtime_pid)?, cpu_seconds(std::process::id())?);
    let chain = Arc::new(chain);
    let tasks: Vec<_> = markers
        .iter()
        .map(|&n| {
            let chain = chain.clone();
            let http = ctx.http.clone();
            tokio::spawn(async move { chain.through_edge(&http, n).await })
        })
        .collect();
    let mut streams = Vec::new();
    let mut errors: BTreeMap<String, usize> = BTreeMap::new();
    for (task, n) in tasks.into_iter().zip(&markers) {
        let outcome = task.await.map_err(anyhow::Error::from).and_then(|r| r);
        let checked = outcome.and_then(|stream| {
            let arrivals = stream.arrivals(EventKind::TextDelta.as_str());
            let written = chain.tap.take(*n);
            let lat = latencies(&arrivals, &written, transcript)?;
            Ok((stream, lat))
        });
        match checked {
            Ok(ok) => streams.push(ok),
            Err(err) => *errors.entry(format!("{err:#}")).or_default() += 1,
        }
    }
    let cpu_after = (cpu_seconds(runtime_pid)?, cpu_seconds(std::process::id())?);
    for (error, count) in &errors {
        eprintln!("bench: {level} streams: {count} failed: {error}");
    }
    if !errors.is_empty() {
        report_runtime_errors(&chain.edge.process.output());
    }
    let name = format!("edge.streams_{level}");
    results.record(
        &format!("{name}.errors"),
        "count",
        errors.values().sum::<usize>() as f64,
    );
    results.record(
        &format!("{name}.peak_rss_mb"),
        "MiB",
        chain.edge.peak_rss_mib()?,
    );
    let all: Vec<f64> = streams.iter().flat_map(|(_, lat)| lat.clone()).collect();
    if all.is_empty() {
        return Ok(());
    }
    let first_sent = streams.iter().map(|(s, _)| s.sent_at).min();
    let last_arrival = streams
        .iter()
        .filter_map(|(s, _)| s.frames.last().map(|(at, _)| *at))
        .max();
    if let (Some(from), Some(to)) = (first_sent, last_arrival) {
        let seconds = ms(from, to) / 1000.0;
        results.record(
            &format!("{name}.events_per_s"),
            "1/s",
            all.len() as f64 / seconds,
        );
    }
    // CPU times come in 10 ms ticks: per event they mean something only over many events.
    if all.len() >= MIN_EVENTS_FOR_CPU {
        let per_event = |before: f64, after: f64| (after - before) * 1e6 / all.len() as f64;
        results.record(
            &format!("{name}.runtime_cpu_us_per_event"),
            "us",
            per_event(cpu_before.0, cpu_after.0),
        );
        results.record(
            &format!("{name}.runtime_cpu_ms_per_answer"),
            "ms",
            (cpu_after.0 - cpu_before.0) * 1e3 / streams.len() as f64,
        );
        results.record(
            &format!("{name}.load_cpu_us_per_event"),
            "us",
            per_event(cpu_before.1, cpu_after.1),
        );
    }
    results.record(&format!("{name}.added_ms.p50"), "ms", pct(&all, 50.0));
    results.record(&format!("{name}.added_ms.p99"), "ms", pct(&all, 99.0));
    Ok(())
}

/// Prints the distinct error lines the runtime logged (the fake credentials are no secrets).
fn report_runtime_errors(output: &[String]) {
    let mut seen = std::collections::BTreeSet::new();
    for line in output {
        let text = line.split("::").last().unwrap_or(line).trim().to_owned();
        if text.to_lowercase().contains("error") && seen.insert(text.clone()) && seen.len() <= 5 {
            eprintln!("bench: runtime: {text}");
        }
    }
}
