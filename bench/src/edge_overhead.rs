//! Edge overhead: the same scripted provider stream read straight from the fake provider and
//! through the edge under `wasmtime serve`, in one run.
//!
//! - Time to first event: short answers (one delta), requested alternately each way; the time
//!   from sending the request to the first text delta. Added = through the edge minus direct
//!   (per run, of the p50s and of the p99s); ratio = edge p50 / direct p50.
//! - Delay per event: a stream of deltas a few milliseconds apart. Each delta's latency is its
//!   arrival at the client minus the instant the [`Tap`] wrote that frame on; added = the
//!   edge's latency minus the direct path's median latency.
//! - Coalescing: deltas 50 ms apart upstream, read through the edge; the spacing of their
//!   arrivals, and how many arrived less than half a gap after the previous one.
//!
//! The runtime runs with `wasmtime serve`'s defaults (a fresh instance per request).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail, ensure};
use protocol::EventKind;
use testkit::provider::{FakeProvider, Script};

use crate::client::{TimedStream, chat_body, ms, post_stream, provider_body};
use crate::results::Results;
use crate::runtime::{Context, Edge, RuntimeConfig};
use crate::stats::percentile;
use crate::tap::{Tap, marker};
use crate::transcript::{Transcript, TranscriptBuilder};

/// The provider-side delta frame and the edge's text event.
pub(crate) const PROVIDER_DELTA: &str = "response.output_text.delta";
const EDGE_DELTA: &str = EventKind::TextDelta.as_str();

/// The fake provider behind a tap, the edge in front, and a counter for stream markers.
pub(crate) struct Chain {
    pub(crate) provider: FakeProvider,
    pub(crate) tap: Tap,
    pub(crate) edge: Edge,
    next_marker: u64,
}

impl Chain {
    /// Starts the provider, the tap and the edge (configured by `config`).
    pub(crate) async fn start(ctx: &Context, config: &RuntimeConfig) -> anyhow::Result<Self> {
        Self::start_component(ctx, config, &ctx.artifacts.edge_wasm).await
    }

    /// The same with another component in the edge's place (the relay floor).
    pub(crate) async fn start_component(
        ctx: &Context,
        config: &RuntimeConfig,
        component: &std::path::Path,
    ) -> anyhow::Result<Self> {
        let provider = FakeProvider::start(Script::Transcript(Vec::new())).await?;
        let tap = Tap::start(provider_addr(&provider)?).await?;
        let tap_url = tap.base_url();
        let artifacts = testkit::process::Artifacts {
            edge_wasm: component.to_path_buf(),
            ..ctx.artifacts.clone()
        };
        let edge = Edge::start(
            &artifacts,
            config,
            &[
                ("OPENAI_BASE_URL", &tap_url),
                ("OPENAI_API_KEY", "sk-bench-edge-key"),
                // Local mode (no Pomerium): the edge serves its loopback caller without a token
                // or an identity assertion, so the bench measures the relay alone.
            ],
        )?;
        Ok(Self {
            provider,
            tap,
            edge,
            next_marker: 0,
        })
    }

    /// The next stream's marker number.
    pub(crate) fn next_marker(&mut self) -> u64 {
        self.next_marker += 1;
        self.next_marker
    }

    /// Plays `transcript` for the following requests.
    pub(crate) fn play(&self, transcript: &Transcript) {
        self.provider
            .set_script(Script::Transcript(transcript.entries.clone()));
    }

    /// One chat through the edge; fails unless it ends with `done`.
    pub(crate) async fn through_edge(
        &self,
        http: &reqwest::Client,
        n: u64,
    ) -> anyhow::Result<TimedStream> {
        let url = format!("{}/api/chat", self.edge.base_url);
        let stream = post_stream(http, &url, Some("pom_mat_bench"), chat_body(&marker(n))).await?;
        ensure_done(&stream)?;
        Ok(stream)
    }

    /// The same answer read straight from the provider (through the tap).
    pub(crate) async fn direct(
        &self,
        http: &reqwest::Client,
        n: u64,
    ) -> anyhow::Result<TimedStream> {
        self.provider_stream(http, &format!("{}/responses", self.tap.base_url()), n)
            .await
    }

    /// The provider's answer as a component started by [`Chain::start_component`] copies it.
    pub(crate) async fn through_component(
        &self,
        http: &reqwest::Client,
        n: u64,
    ) -> anyhow::Result<TimedStream> {
        self.provider_stream(http, &format!("{}/responses", self.edge.base_url), n)
            .await
    }

    async fn provider_stream(
        &self,
        http: &reqwest::Client,
        url: &str,
        n: u64,
    ) -> anyhow::Result<TimedStream> {
        let stream = post_stream(http, url, None, provider_body(&marker(n))).await?;
        ensure!(
            stream.frames.last().map(|(_, f)| f.event.as_str()) == Some("response.completed"),
            "the provider's stream did not complete"
        );
        Ok(stream)
    }
}

/// Fails unless the edge's stream ended with `done`.
pub(crate) fn ensure_done(stream: &TimedStream) -> anyhow::Result<()> {
    match stream.frames.last() {
        Some((_, frame)) if frame.event == EventKind::Done.as_str() => Ok(()),
        Some((_, frame)) => bail!("the stream ended with {}: {}", frame.event, frame.data),
        None => bail!("the stream was empty"),
    }
}

/// The fake provider's socket address.
fn provider_addr(provider: &FakeProvider) -> anyhow::Result<SocketAddr> {
    let base = provider.base_url();
    base.trim_start_matches("http://")
        .trim_end_matches("/v1")
        .parse()
        .with_context(|| format!("the provider's address in {base}"))
}

pub(crate) async fn run(ctx: &Context, results: &mut Results) -> anyhow::Result<()> {
    let plan = &ctx.plan;
    let mut chain = Chain::start(ctx, &RuntimeConfig::default_allocator()).await?;
    let short = TranscriptBuilder::new()
        .delta(Duration::ZERO, "Hello")
        .completed(Duration::ZERO);
    let tokens: Vec<String> = (0..plan.event_deltas).map(|i| format!("t{i} ")).collect();
    let long = TranscriptBuilder::new()
        .deltas(plan.event_gap, &tokens)
        .completed(plan.event_gap);
    let spaced = TranscriptBuilder::new()
        .deltas(plan.spacing_gap, &tokens[..plan.spacing_deltas])
        .completed(Duration::ZERO);

    // Warm up both paths (connections, caches); not recorded.
    chain.play(&short);
    for _ in 0..3 {
        let n = chain.next_marker();
        chain.direct(&ctx.http, n).await?;
        chain.through_edge(&ctx.http, n).await?;
    }

    for _ in 0..plan.runs {
        first_event(ctx, &mut chain, &short, results).await?;
        per_event(ctx, &mut chain, &long, results).await?;
        spacing(ctx, &mut chain, &spaced, results).await?;
    }
    Ok(())
}

async fn first_event(
    ctx: &Context,
    chain: &mut Chain,
    short: &Transcript,
    results: &mut Results,
) -> anyhow::Result<()> {
    chain.play(short);
    let (mut direct, mut edge) = (Vec::new(), Vec::new());
    for _ in 0..ctx.plan.first_event_requests {
        let n = chain.next_marker();
        let stream = chain.direct(&ctx.http, n).await?;
        direct.push(first_arrival(&stream, PROVIDER_DELTA)?);
        let n = chain.next_marker();
        let stream = chain.through_edge(&ctx.http, n).await?;
        edge.push(first_arrival(&stream, EDGE_DELTA)?);
    }
    for p in [50.0, 99.0] {
        let (d, e) = (pct(&direct, p), pct(&edge, p));
        results.record(&format!("direct.first_event_ms.p{p}"), "ms", d);
        results.record(&format!("edge.first_event_ms.p{p}"), "ms", e);
        results.record(&format!("edge.first_event_added_ms.p{p}"), "ms", e - d);
    }
    results.record(
        "edge.first_event_ratio.p50",
        "x",
        pct(&edge, 50.0) / pct(&direct, 50.0),
    );
    Ok(())
}

async fn per_event(
    ctx: &Context,
    chain: &mut Chain,
    long: &Transcript,
    results: &mut Results,
) -> anyhow::Result<()> {
    chain.play(long);
    let n = chain.next_marker();
    let stream = chain.direct(&ctx.http, n).await?;
    let direct = latencies(&stream.arrivals(PROVIDER_DELTA), &chain.tap.take(n), long)?;
    let n = chain.next_marker();
    let stream = chain.through_edge(&ctx.http, n).await?;
    let edge = latencies(&stream.arrivals(EDGE_DELTA), &chain.tap.take(n), long)?;
    let direct_p50 = pct(&direct, 50.0);
    let added: Vec<f64> = edge.iter().map(|l| l - direct_p50).collect();
    results.record("direct.event_ms.p50", "ms", direct_p50);
    results.record("edge.event_ms.p50", "ms", pct(&edge, 50.0));
    results.record("edge.event_added_ms.p50", "ms", pct(&added, 50.0));
    results.record("edge.event_added_ms.p99", "ms", pct(&added, 99.0));
    results.record("edge.event_ratio.p50", "x", pct(&edge, 50.0) / direct_p50);
    Ok(())
}

async fn spacing(
    ctx: &Context,
    chain: &mut Chain,
    spaced: &Transcript,
    results: &mut Results,
) -> anyhow::Result<()> {
    chain.play(spaced);
    let n = chain.next_marker();
    let stream = chain.through_edge(&ctx.http, n).await?;
    chain.tap.take(n);
    let arrivals = stream.arrivals(EDGE_DELTA);
    ensure!(
        arrivals.len() == ctx.plan.spacing_deltas,
        "{} of {} spaced deltas arrived",
        arrivals.len(),
        ctx.plan.spacing_deltas
    );
    let gap_ms = ctx.plan.spacing_gap.as_secs_f64() * 1000.0;
    let spacings: Vec<f64> = arrivals.windows(2).map(|w| ms(w[0], w[1])).collect();
    let coalesced = spacings.iter().filter(|s| **s < gap_ms / 2.0).count();
    let min = spacings.iter().copied().fold(f64::INFINITY, f64::min);
    results.record("edge.spacing_50ms.min_ms", "ms", min);
    results.record("edge.spacing_50ms.p50_ms", "ms", pct(&spacings, 50.0));
    results.record("edge.spacing_50ms.coalesced", "count", coalesced as f64);
    Ok(())
}

/// Milliseconds from the request to the first frame of `kind`.
fn first_arrival(stream: &TimedStream, kind: &str) -> anyhow::Result<f64> {
    let first = stream
        .arrivals(kind)
        .first()
        .copied()
        .with_context(|| format!("no {kind} in the stream"))?;
    Ok(ms(stream.sent_at, first))
}

/// Each delta's latency: its arrival minus the instant the tap wrote its frame on. Delta `k`
/// is frame `k + 1` of the transcript (after `response.created`).
pub(crate) fn latencies(
    arrivals: &[Instant],
    written: &[Instant],
    transcript: &Transcript,
) -> anyhow::Result<Vec<f64>> {
    ensure!(
        written.len() == transcript.n_frames,
        "the tap saw {} frames of {}",
        written.len(),
        transcript.n_frames
    );
    ensure!(
        arrivals.len() == transcript.n_frames - 2,
        "{} of {} deltas arrived",
        arrivals.len(),
        transcript.n_frames - 2
    );
    Ok(arrivals
        .iter()
        .zip(&written[1..])
        .map(|(arrived, sent)| ms(*sent, *arrived))
        .collect())
}

/// A percentile of samples that are known not to be empty.
pub(crate) fn pct(samples: &[f64], p: f64) -> f64 {
    percentile(samples, p).unwrap_or(f64::NAN)
}
