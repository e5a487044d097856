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
//! At the largest level two more sets of runs read the same streams: straight from the tap,
//! with no edge in the path (`direct.streams_<level>.*`: the latency the load generator and
//! the shared cores add by themselves), and through the relay floor (`floor.streams_<level>.*`,
//! `bench/relay-floor`: a component under the same runtime that only copies the provider's
//! chunks, so its CPU per event and memory per stream are the runtime's share of the edge's).
//! While a level runs, the runtime's resident memory is sampled; at its largest the split
//! (`rss_at_peak.*`: private pages, the guest's shared initial-memory image, mapped files) and
//! the growth per open stream (`*_per_stream_kib`) are recorded, the profile behind
//! `peak_rss_mb`; and the p99 once more without each stream's first second
//! (`added_after_1s_ms.p99`), when the level's other streams are still being set up.
//!
//! The runtime uses the pooling allocator with a slot per stream and no limit on concurrent
//! requests or connections ([`RuntimeConfig::pooling`]). The fake provider, the tap and the
//! clients share the bench process, and everything shares the machine's cores.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use protocol::EventKind;

use crate::client::ms;
use crate::edge_overhead::{Chain, PROVIDER_DELTA, latencies, pct};
use crate::results::Results;
use crate::runtime::{Context, RuntimeConfig};
use crate::system::{Resident, cpu_seconds, resident};
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
    let largest = plan.stream_levels.iter().copied().max().unwrap_or(1);
    let floor = std::env::var_os("PCHAT_RELAY_FLOOR_WASM").map(std::path::PathBuf::from);
    if floor.is_none() {
        eprintln!("bench: no PCHAT_RELAY_FLOOR_WASM: the relay floor is left out");
    }
    let levels = plan.stream_levels.iter().map(|&level| (level, Path::Edge));
    let more = [(largest, Path::Direct)]
        .into_iter()
        .chain(floor.is_some().then_some((largest, Path::Floor)));
    for (level, path) in levels.chain(more) {
        for _ in 0..plan.runs {
            let chain = match (&floor, path) {
                (Some(floor), Path::Floor) => Chain::start_component(ctx, &config, floor).await?,
                _ => Chain::start(ctx, &config).await?,
            };
            chain.play(&transcript);
            level_run(ctx, chain, level, path, &transcript, results).await?;
        }
    }
    Ok(())
}

/// The way a level's streams take.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Path {
    /// Through the edge: the figures.
    Edge,
    /// Straight from the tap: what the load alone adds.
    Direct,
    /// Through the relay floor: what the runtime alone costs.
    Floor,
}

impl Path {
    /// The figures' name for `level` read this way.
    fn name(self, level: usize) -> String {
        match self {
            Self::Edge => format!("edge.streams_{level}"),
            Self::Direct => format!("direct.streams_{level}"),
            Self::Floor => format!("floor.streams_{level}"),
        }
    }

    /// The event each path relays text in.
    fn delta(self) -> &'static str {
        match self {
            Self::Edge => EventKind::TextDelta.as_str(),
            Self::Direct | Self::Floor => PROVIDER_DELTA,
        }
    }

    /// Whether a runtime relays this path's streams (so its memory and CPU are measured).
    fn has_runtime(self) -> bool {
        self != Self::Direct
    }
}

/// Samples a process's resident memory until stopped; keeps the sample with the most.
struct RssSampler {
    stop: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<anyhow::Result<Resident>>,
}

impl RssSampler {
    /// How often the sampler reads `/proc`.
    const EVERY: Duration = Duration::from_millis(20);

    fn start(pid: u32) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        let task = tokio::spawn(async move {
            let mut most = resident(pid)?;
            while !stopped.load(Ordering::Relaxed) {
                tokio::time::sleep(Self::EVERY).await;
                let now = resident(pid)?;
                if now.total > most.total {
                    most = now;
                }
            }
            Ok(most)
        });
        Self { stop, task }
    }

    /// The sample with the most resident memory.
    async fn most(self) -> anyhow::Result<Resident> {
        self.stop.store(true, Ordering::Relaxed);
        self.task.await?
    }
}

/// Records the resident memory at its largest, by kind, and its growth per stream over `idle`.
fn record_resident(results: &mut Results, name: &str, idle: Resident, most: Resident, n: usize) {
    let mib = |kib: u64| kib as f64 / 1024.0;
    let per_stream = |now: u64, before: u64| now.saturating_sub(before) as f64 / n.max(1) as f64;
    for (kind, now, before) in [
        ("anon", most.anon, idle.anon),
        ("shmem", most.shmem, idle.shmem),
        ("file", most.file, idle.file),
    ] {
        results.record(&format!("{name}.rss_at_peak.{kind}_mb"), "MiB", mib(now));
        results.record(
            &format!("{name}.{kind}_per_stream_kib"),
            "KiB",
            per_stream(now, before),
        );
    }
}

async fn level_run(
    ctx: &Context,
    mut chain: Chain,
    level: usize,
    path: Path,
    transcript: &Transcript,
    results: &mut Results,
) -> anyhow::Result<()> {
    let markers: Vec<u64> = (0..level).map(|_| chain.next_marker()).collect();
    let runtime_pid = chain.edge.process.id();
    let idle = resident(runtime_pid)?;
    let sampler = RssSampler::start(runtime_pid);
    let cpu_before = (cpu_seconds(runtime_pid)?, cpu_seconds(std::process::id())?);
    let chain = Arc::new(chain);
    let tasks: Vec<_> = markers
        .iter()
        .map(|&n| {
            let chain = chain.clone();
            let http = ctx.http.clone();
            tokio::spawn(async move {
                match path {
                    Path::Edge => chain.through_edge(&http, n).await,
                    Path::Direct => chain.direct(&http, n).await,
                    Path::Floor => chain.through_component(&http, n).await,
                }
            })
        })
        .collect();
    let mut streams = Vec::new();
    let mut errors: BTreeMap<String, usize> = BTreeMap::new();
    for (task, n) in tasks.into_iter().zip(&markers) {
        let outcome = task.await.map_err(anyhow::Error::from).and_then(|r| r);
        let checked = outcome.and_then(|stream| {
            let arrivals = stream.arrivals(path.delta());
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
    let most = sampler.most().await?;
    for (error, count) in &errors {
        eprintln!("bench: {level} streams: {count} failed: {error}");
    }
    if !errors.is_empty() {
        report_runtime_errors(&chain.edge.process.output());
    }
    let name = path.name(level);
    results.record(
        &format!("{name}.errors"),
        "count",
        errors.values().sum::<usize>() as f64,
    );
    if path.has_runtime() {
        record_resident(results, &name, idle, most, level);
        results.record(
            &format!("{name}.peak_rss_mb"),
            "MiB",
            chain.edge.peak_rss_mib()?,
        );
    }
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
    if all.len() >= MIN_EVENTS_FOR_CPU && path.has_runtime() {
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
    // The same without each stream's first second, while the level's other streams are still
    // being set up: whether the tail is the start's or the steady state's.
    let skip =
        (Duration::from_secs(1).as_millis() / ctx.plan.stream_gap.as_millis().max(1)) as usize;
    let steady: Vec<f64> = streams
        .iter()
        .flat_map(|(_, lat)| lat.iter().skip(skip).copied())
        .collect();
    if !steady.is_empty() {
        results.record(
            &format!("{name}.added_after_1s_ms.p99"),
            "ms",
            pct(&steady, 99.0),
        );
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_paths_name_their_figures_and_the_event_they_count() {
        assert_eq!(Path::Edge.name(1000), "edge.streams_1000");
        assert_eq!(Path::Direct.name(1000), "direct.streams_1000");
        assert_eq!(Path::Edge.delta(), "text_delta");
        assert_eq!(Path::Direct.delta(), "response.output_text.delta");
        assert_eq!(Path::Floor.name(1000), "floor.streams_1000");
        assert_eq!(Path::Floor.delta(), "response.output_text.delta");
        assert!(Path::Floor.has_runtime() && Path::Edge.has_runtime());
        assert!(!Path::Direct.has_runtime());
    }
}
