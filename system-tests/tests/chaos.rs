//! Load with chaos: many simultaneous chats through the edge under `wasmtime serve`, the
//! provider failing on purpose (every fault of [`testkit::provider::chaos::FAULTS`], in turn) and a share
//! of clients leaving mid-answer. Every chat that was not abandoned ends with `done` or a coded
//! `error`; no provider stream outlives its client; the runtime's memory comes back down.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use protocol::{ErrorCode, StreamEvent, sse};
use testkit::process::{Artifacts, EdgeProcess};
use testkit::provider::{FakeProvider, Script};

use crate::support::{CHAT, client};

/// Simultaneous chats.
const CHATS: usize = 1000;
/// Storms in a row.
const STORMS: usize = 4;
/// Every fifth client leaves at the first text it gets.
const ABORT_EVERY: usize = 5;

/// How a chat ended, from the client's side.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum End {
    Done,
    Error(String),
    Aborted,
    NoFinalEvent,
}

async fn chat(base: String, abort: bool) -> anyhow::Result<End> {
    let res = client()
        .post(format!("{base}/api/chat"))
        .bearer_auth("pom_mat_chaos")
        .header("content-type", "application/json")
        .body(CHAT)
        .send()
        .await?;
    anyhow::ensure!(res.status() == 200, "status {}", res.status());
    let mut decoder = sse::Decoder::default();
    let mut body = res.bytes_stream();
    let mut last = None;
    while let Some(chunk) = body.next().await {
        for frame in decoder.push(&chunk?) {
            let event = StreamEvent::from_frame(&frame)?;
            if abort && matches!(event, StreamEvent::TextDelta { .. }) {
                return Ok(End::Aborted);
            }
            last = Some(event);
        }
    }
    Ok(match last {
        Some(StreamEvent::Done { .. }) => End::Done,
        Some(StreamEvent::Error(err)) => {
            anyhow::ensure!(
                err.code != ErrorCode::Unknown && !err.message.is_empty(),
                "uncoded error {err:?}"
            );
            End::Error(
                serde_json::to_value(err.code)?
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
            )
        }
        _ => End::NoFinalEvent,
    })
}

fn rss_mib(pid: u32) -> anyhow::Result<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let kib: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| anyhow::anyhow!("no VmRSS"))?;
    Ok(kib / 1024.0)
}

async fn run_all(base: &str, n: usize, abort_every: usize) -> anyhow::Result<BTreeMap<End, usize>> {
    let tasks: Vec<_> = (0..n)
        .map(|i| {
            tokio::spawn(chat(
                base.to_owned(),
                abort_every > 0 && i % abort_every == abort_every - 1,
            ))
        })
        .collect();
    let mut ends = BTreeMap::new();
    for task in tasks {
        *ends.entry(task.await??).or_insert(0) += 1;
    }
    Ok(ends)
}

/// One storm of [`CHATS`] chats, checked.
async fn storm_once(chaos: &FakeProvider, base: &str, storm: usize) -> anyhow::Result<()> {
    let abandoned_before = chaos.abandoned_streams();
    let started = Instant::now();
    let ends = run_all(base, CHATS, ABORT_EVERY).await?;
    eprintln!(
        "chaos: storm {storm}: {CHATS} chats in {:?}: {ends:?}",
        started.elapsed()
    );
    assert_eq!(
        ends.get(&End::NoFinalEvent),
        None,
        "a chat ended without done or error: {ends:?}"
    );
    // A leaving client leaves at its first text; chats whose fault comes before any text end
    // normally, so at most every fifth chat is abandoned.
    let aborted = ends.get(&End::Aborted).copied().unwrap_or(0);
    assert!(aborted > 0 && aborted <= CHATS / ABORT_EVERY, "{ends:?}");
    assert_eq!(ends.values().sum::<usize>(), CHATS);
    assert!(ends.get(&End::Done).is_some_and(|n| *n > 0), "{ends:?}");
    for code in [
        "stream_interrupted",
        "provider_timeout",
        "provider_unavailable",
        "provider_rate_limited",
        "mcp_server_unreachable",
    ] {
        assert!(
            ends.contains_key(&End::Error(code.to_owned())),
            "no chat met {code}: {ends:?}"
        );
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    while chaos.open_streams() > 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        chaos.open_streams(),
        0,
        "provider streams outlived their clients"
    );
    assert!(
        chaos.abandoned_streams() >= abandoned_before + aborted,
        "every abandoned chat closed its upstream stream"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chats_under_chaos_end_on_purpose_and_leave_nothing_open() -> anyhow::Result<()> {
    let chaos = FakeProvider::start(Script::Chaos {
        delta_gap: Duration::from_millis(20),
    })
    .await?;
    let base_url = chaos.base_url();
    // Room for every chat at once: wasmtime serve's default on-demand allocator stops at 1,000
    // core instances, and each request's component holds up to four; the Spin build composed
    // with its variables adapter (which `cargo xtask test` runs this against too) holds more
    // core instances and tables ("maximum concurrent limit of 5064 for core instances reached"
    // at four), and still at most four memories.
    let slots = CHATS + CHATS / 4 + 16;
    let pooling = format!(
        "pooling-allocator=y,pooling-total-component-instances={slots},pooling-total-core-instances={core},\
         pooling-total-memories={memories},pooling-total-tables={core},pooling-total-stacks={slots}",
        core = slots * 8,
        memories = slots * 4
    );
    let edge = EdgeProcess::start_with_runtime(
        &Artifacts::from_env()?,
        &["-O", &pooling],
        &[
            ("OPENAI_BASE_URL", &base_url),
            ("OPENAI_API_KEY", "sk-test-chaos"),
            ("TOOL_MODE", "hosted"),
            ("KEEPALIVE_MS", "100"),
            ("IDLE_TIMEOUT_MS", "500"),
        ],
    )?;
    let pid = edge.process.id();
    // Warm up (two rounds of every fault), then the baseline.
    run_all(&edge.base_url, 14, 0).await?;
    let baseline = rss_mib(pid)?;

    // Storm after storm: memory may rise while the runtime's pools and the host's allocator
    // fill, then must level off. A leak per chat would keep it rising with every storm.
    let mut after_storm = Vec::new();
    for storm in 1..=STORMS {
        storm_once(&chaos, &edge.base_url, storm).await?;
        run_all(&edge.base_url, 14, 0).await?;
        after_storm.push(rss_mib(pid)?);
    }
    eprintln!("chaos: runtime RSS {baseline:.1} MiB before, after each storm: {after_storm:.1?}");
    let (first_half, second_half) = after_storm.split_at(STORMS / 2);
    let early = first_half.iter().copied().fold(0.0, f64::max);
    let late = second_half.iter().copied().fold(0.0, f64::max);
    assert!(
        late <= early * 1.25 + 16.0,
        "runtime RSS kept growing: {baseline:.1} -> {after_storm:?} MiB"
    );
    Ok(())
}
