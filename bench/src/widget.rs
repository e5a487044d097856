//! The widget in headless Chromium: bundle size by part, time from the script tag to an
//! interactive widget, main-thread time per token of a long markdown answer, and memory after
//! many long answers.
//!
//! Each run starts a fresh browser (empty profile and cache) on the bench page of
//! [`site::BenchSite`], whose probe (`bench/page/bench.js`, documented there) records times on
//! the page's clock:
//!
//! - Interactive: from the widget's script tag to `data-ready="true"` on the element, which the
//!   widget sets once its server list has loaded (so it includes `GET /api/servers` through
//!   the fake Pomerium and the edge). Also: to the element's registration, from navigation
//!   start, and the phases in between (`widget.phase_ms.*`: each file and first GET loaded, the
//!   widget running). Then the same page in the now running browser, with its cache emptied
//!   (`widget.interactive_warm_browser_ms`) and kept (`widget.interactive_cached_ms`).
//! - Cost per token: one answer of `Plan::widget_tokens` markdown tokens (20,000), one per
//!   event. The first and last `Plan::widget_window` tokens (1,000) come
//!   `Plan::widget_token_gap` (1 ms) apart, about one chunk each; the middle comes in bursts.
//!   Per window (`first`, `last`): (script time of each chunk wholly inside it + style/layout
//!   time of each frame during it) / its tokens. The ratio last / first shows whether a token
//!   costs more as the answer grows.
//! - Memory: after `localStorage` is cleared and the page reloaded, `Plan::heap_answers` (50)
//!   answers of `Plan::heap_answer_tokens` (2,000) tokens in one conversation; then the JS
//!   heap after a full GC (`--enable-precise-memory-info`, `--js-flags=--expose-gc`), the
//!   widget's wasm memory and the shadow DOM's element count.

mod bundle;
mod site;

use std::time::Duration;

use anyhow::{Context as _, bail, ensure};
use serde_json::{Value, json};
use testkit::browser::Browser;

use crate::results::Results;
use crate::runtime::Context;
use crate::transcript::{Transcript, TranscriptBuilder, markdown_tokens};
use site::BenchSite;

/// Chromium flags for precise heap figures.
const FLAGS: [&str; 2] = ["--enable-precise-memory-info", "--js-flags=--expose-gc"];

/// Deltas per chunk where the answers come in bursts.
const BURST: usize = 200;

pub(crate) async fn run(ctx: &Context, results: &mut Results) -> anyhow::Result<()> {
    let sizes = bundle::measure(&ctx.artifacts.dist.join("widget"))?;
    for (file, size) in &sizes.files {
        eprintln!(
            "bench: widget/{file}: {} bytes, {} gzipped",
            size.raw, size.gzip
        );
    }
    let site = BenchSite::start(ctx).await?;
    let long = long_answer(ctx);
    let heap_answer = burst_answer(&markdown_tokens(ctx.plan.heap_answer_tokens));
    for _ in 0..ctx.plan.runs {
        for (name, size) in [
            ("bundle", sizes.total),
            ("wasm", sizes.wasm),
            ("js", sizes.js),
        ] {
            results.record(
                &format!("widget.{name}_raw_bytes"),
                "bytes",
                size.raw as f64,
            );
            results.record(
                &format!("widget.{name}_gzip_bytes"),
                "bytes",
                size.gzip as f64,
            );
        }
        let browser = Browser::start_with_args(&FLAGS).await?;
        let res = one_run(ctx, &site, &browser, &long, &heap_answer, results).await;
        let closed = browser.close().await;
        res?;
        closed?;
    }
    Ok(())
}

/// The long answer: spaced tokens at both ends, bursts in the middle.
fn long_answer(ctx: &Context) -> Transcript {
    let plan = &ctx.plan;
    let tokens = markdown_tokens(plan.widget_tokens);
    let window = plan.widget_window.min(tokens.len() / 2);
    let (head, rest) = tokens.split_at(window);
    let (middle, tail) = rest.split_at(rest.len() - window);
    let mut builder = TranscriptBuilder::new().deltas(plan.widget_token_gap, head);
    for burst in middle.chunks(BURST) {
        builder = builder.burst(burst);
    }
    builder
        .deltas(plan.widget_token_gap, tail)
        .completed(Duration::ZERO)
}

/// An answer sent as fast as the fake can: bursts of deltas.
fn burst_answer(tokens: &[String]) -> Transcript {
    tokens
        .chunks(BURST)
        .fold(TranscriptBuilder::new(), |b, burst| b.burst(burst))
        .completed(Duration::ZERO)
}

async fn one_run(
    ctx: &Context,
    site: &BenchSite,
    browser: &Browser,
    long: &Transcript,
    heap_answer: &Transcript,
    results: &mut Results,
) -> anyhow::Result<()> {
    browser.client.goto(&site.page_url()).await?;
    let times = wait_ready(browser).await?;
    let [tag, defined, ready] = [0, 1, 2].map(|i| times[i].as_f64().unwrap_or(f64::NAN));
    results.record("widget.interactive_ms", "ms", ready - tag);
    results.record("widget.defined_ms", "ms", defined - tag);
    results.record("widget.interactive_from_navigation_ms", "ms", ready);
    phases(browser, tag, results).await?;
    revisits(site, browser, results).await?;
    token_cost(ctx, site, browser, long, results).await?;
    memory_after_answers(ctx, site, browser, heap_answer, results).await
}

/// The same page again in the browser that is now running: first with its HTTP cache (and the
/// compiled code kept with it) emptied, as a user whose browser is open meets the widget for the
/// first time (`widget.interactive_warm_browser_ms`); then with it, as the same user on the next
/// page of the intranet (`widget.interactive_cached_ms`). The cold figure above also pays the
/// browser's own first-page work (its renderer's first style and paint), which these do not.
async fn revisits(
    site: &BenchSite,
    browser: &Browser,
    results: &mut Results,
) -> anyhow::Result<()> {
    browser.client.goto("about:blank").await?;
    browser.cdp("Network.clearBrowserCache", json!({})).await?;
    for name in ["warm_browser", "cached"] {
        browser.client.goto(&site.page_url()).await?;
        let times = wait_ready(browser).await?;
        let [tag, ready] = [0, 2].map(|i| times[i].as_f64().unwrap_or(f64::NAN));
        results.record(&format!("widget.interactive_{name}_ms"), "ms", ready - tag);
    }
    Ok(())
}

/// Where the time to interactive goes: when each file and first GET finished loading (Resource
/// Timing `responseEnd`), when the wasm was compiled, the glue imported and the widget ran (the
/// loader's `pomerium-chat:compiled`, `:imported` and `:running` marks; from `imported` to
/// `running` is instantiation plus the widget's start, which mounts the connected elements), in
/// ms after the script tag, as `widget.phase_ms.<step>`.
async fn phases(browser: &Browser, tag: f64, results: &mut Results) -> anyhow::Result<()> {
    const STEPS: [(&str, &str); 7] = [
        ("loader", "/widget/pomerium-chat.js"),
        ("glue", "/widget/widget.js"),
        ("snippet", "/widget/snippets/"),
        ("wasm", "/widget/widget_bg.wasm"),
        ("me", "/api/me"),
        ("servers", "/api/servers"),
        ("models", "/api/models"),
    ];
    let script = "const entries = performance.getEntriesByType('resource');
        const ends = arguments[0].map((part) => {
          const e = entries.find((e) => new URL(e.name).pathname.startsWith(part));
          return e ? e.responseEnd : null;
        });
        for (const mark of ['compiled', 'imported', 'running']) {
          const m = performance.getEntriesByName('pomerium-chat:' + mark)[0];
          ends.push(m ? m.startTime : null);
        }
        return ends;";
    let parts: Vec<&str> = STEPS.iter().map(|(_, part)| *part).collect();
    let ends = browser.eval(script, vec![json!(parts)]).await?;
    let names = STEPS
        .iter()
        .map(|(name, _)| *name)
        .chain(["compiled", "imported", "running"]);
    for (name, end) in names.zip(ends.as_array().into_iter().flatten()) {
        if let Some(end) = end.as_f64() {
            results.record(&format!("widget.phase_ms.{name}"), "ms", end - tag);
        }
    }
    Ok(())
}

/// Streams the long answer into the loaded page and records the cost per token.
async fn token_cost(
    ctx: &Context,
    site: &BenchSite,
    browser: &Browser,
    long: &Transcript,
    results: &mut Results,
) -> anyhow::Result<()> {
    site.play(long);
    browser
        .eval(
            "window.__bench.ask(arguments[0]); return true;",
            vec![json!("Write the long report.")],
        )
        .await?;
    let outcome = browser
        .wait_for(
            "the long answer to complete",
            "return window.__bench.answer || window.__bench.error;",
            Duration::from_secs(300),
        )
        .await?;
    ensure!(outcome == "true", "the long answer ended as {outcome}");
    let total = ctx.plan.widget_tokens;
    let window = ctx.plan.widget_window.min(total / 2);
    let stats = browser
        .eval(
            "return window.__bench.tokenStats(arguments[0], arguments[1]);",
            vec![json!(window), json!(total)],
        )
        .await?;
    eprintln!("bench: widget: probe windows {stats}");
    ensure!(
        stats["seen"] == total,
        "the probe counted {} text deltas of {total}",
        stats["seen"]
    );
    let first = WindowCost::from_json(&stats["first"]).context("no chunks in the first window")?;
    let last = WindowCost::from_json(&stats["last"]).context("no chunks in the last window")?;
    for (name, cost) in [("first", &first), ("last", &last)] {
        results.record(&format!("widget.token_ms.{name}"), "ms", cost.per_token());
        results.record(
            &format!("widget.token_script_ms.{name}"),
            "ms",
            cost.script / cost.tokens,
        );
        results.record(
            &format!("widget.frame_layout_ms.{name}"),
            "ms",
            cost.layout / cost.frames.max(1.0),
        );
    }
    results.record(
        "widget.token_cost_ratio",
        "x",
        last.per_token() / first.per_token(),
    );
    Ok(())
}

/// Reloads the page with an empty conversation, asks for many answers and records memory.
async fn memory_after_answers(
    ctx: &Context,
    site: &BenchSite,
    browser: &Browser,
    answer: &Transcript,
    results: &mut Results,
) -> anyhow::Result<()> {
    let n = ctx.plan.heap_answers;
    browser
        .eval(
            "localStorage.clear(); sessionStorage.clear(); return true;",
            vec![],
        )
        .await?;
    browser.client.goto(&site.page_url()).await?;
    wait_ready(browser).await?;
    let at_ready = memory(browser).await?;
    site.play(answer);
    browser
        .eval(
            "window.__bench.askMany(arguments[0], arguments[1]); return true;",
            vec![json!(n), json!("Another long report, please.")],
        )
        .await?;
    let outcome = browser
        .wait_for(
            "the answers to complete",
            "return window.__bench.manyDone || window.__bench.error;",
            Duration::from_secs(600),
        )
        .await?;
    ensure!(outcome == true, "the answers failed: {outcome}");
    let after = memory(browser).await?;
    ensure!(
        after["answers"] == n,
        "{} answers on the page, {n} asked",
        after["answers"]
    );
    let mib = |v: &Value| v.as_f64().unwrap_or(f64::NAN) / 1024.0 / 1024.0;
    results.record("widget.heap_mb.at_ready", "MiB", mib(&at_ready["heap"]));
    results.record(
        &format!("widget.heap_mb.after_{n}_answers"),
        "MiB",
        mib(&after["heap"]),
    );
    results.record(
        &format!("widget.wasm_memory_mb.after_{n}_answers"),
        "MiB",
        mib(&after["wasm"]),
    );
    results.record(
        &format!("widget.shadow_elements.after_{n}_answers"),
        "count",
        after["nodes"].as_f64().unwrap_or(f64::NAN),
    );
    Ok(())
}

/// Waits for `data-ready`; returns `[tagAt, definedAt, readyAt]`.
async fn wait_ready(browser: &Browser) -> anyhow::Result<Vec<Value>> {
    let times = browser
        .wait_for(
            "the widget to be ready",
            "const b = window.__bench; return b && b.readyAt !== null && b.definedAt !== null ? [b.tagAt, b.definedAt, b.readyAt] : null;",
            Duration::from_secs(60),
        )
        .await?;
    match times {
        Value::Array(times) if times.len() == 3 => Ok(times),
        other => bail!("unexpected probe times {other}"),
    }
}

/// The probe's memory figures.
async fn memory(browser: &Browser) -> anyhow::Result<Value> {
    let script = "const done = arguments[arguments.length - 1];
        window.__bench.memory().then(done, (e) => done({ error: String(e) }));";
    let value = browser.client.execute_async(script, vec![]).await?;
    if let Some(error) = value.get("error") {
        bail!("reading memory failed: {error}");
    }
    Ok(value)
}

/// What the probe measured over one window of tokens.
#[derive(Debug)]
struct WindowCost {
    tokens: f64,
    frames: f64,
    script: f64,
    layout: f64,
}

impl WindowCost {
    fn from_json(value: &Value) -> Option<Self> {
        let get = |key: &str| value.get(key)?.as_f64();
        Some(Self {
            tokens: get("tokens").filter(|t| *t > 0.0)?,
            frames: get("frames")?,
            script: get("script")?,
            layout: get("layout")?,
        })
    }

    /// Main-thread milliseconds per token: script plus style and layout.
    fn per_token(&self) -> f64 {
        (self.script + self.layout) / self.tokens
    }
}
