//! The demo MCP server: `tools/call read_query` latency (p50, p99) and throughput against the
//! real northwind-mcp binary, at 1 and 50 concurrent clients.
//!
//! Each client opens its own Streamable HTTP session ([`testkit::mcp::McpClient`]: `initialize`, then
//! `notifications/initialized`, untimed), then all clients start together and each makes its
//! calls one after another. Every call is the demo's question ("sales by year": a join and an
//! aggregate over the order lines) and must come back without `isError`. Throughput = calls /
//! wall time from the first call's start to the last call's end.

use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context as _, ensure};
use serde_json::json;
use testkit::mcp::McpClient;
use testkit::process::{NorthwindProcess, scratch_dir};
use tokio::sync::Barrier;

use crate::client::ms;
use crate::edge_overhead::pct;
use crate::results::Results;
use crate::runtime::Context;

/// The query every call runs.
const SALES_BY_YEAR: &str = "SELECT strftime('%Y', o.OrderDate) AS year, \
    ROUND(SUM(d.UnitPrice * d.Quantity * (1 - d.Discount)), 2) AS sales \
    FROM \"Order Details\" d JOIN Orders o ON o.OrderID = d.OrderID GROUP BY 1 ORDER BY 1";

pub(crate) async fn run(ctx: &Context, results: &mut Results) -> anyhow::Result<()> {
    let dir = scratch_dir("bench-mcp")?;
    let server = NorthwindProcess::start(&ctx.artifacts, None, &dir.join("northwind.db"))?;
    let url = format!("{}/mcp", server.base_url);
    // Warm up: the first session and call (database pages, allocations); not recorded.
    read_query(&mut McpClient::connect(&ctx.http, &url, &[]).await?).await?;
    for _ in 0..ctx.plan.runs {
        for &clients in &ctx.plan.mcp_clients {
            let (latencies, seconds) = load(ctx, &url, clients).await?;
            let name = match clients {
                1 => "mcp".to_owned(),
                n => format!("mcp.clients_{n}"),
            };
            results.record(
                &format!("{name}.read_query_ms.p50"),
                "ms",
                pct(&latencies, 50.0),
            );
            results.record(
                &format!("{name}.read_query_ms.p99"),
                "ms",
                pct(&latencies, 99.0),
            );
            results.record(
                &format!("{name}.read_query_per_s"),
                "1/s",
                latencies.len() as f64 / seconds,
            );
        }
    }
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

/// `clients` sessions calling at once; every call's latency in ms, and the wall time in s.
async fn load(ctx: &Context, url: &str, clients: usize) -> anyhow::Result<(Vec<f64>, f64)> {
    let barrier = Arc::new(Barrier::new(clients));
    let calls = ctx.plan.mcp_calls;
    let tasks: Vec<_> = (0..clients)
        .map(|_| {
            let (http, url, barrier) = (ctx.http.clone(), url.to_owned(), barrier.clone());
            tokio::spawn(async move {
                let mut client = McpClient::connect(&http, &url, &[]).await?;
                barrier.wait().await;
                let mut timings = Vec::with_capacity(calls);
                for _ in 0..calls {
                    let start = Instant::now();
                    read_query(&mut client).await?;
                    timings.push((start, Instant::now()));
                }
                anyhow::Ok(timings)
            })
        })
        .collect();
    let mut timings = Vec::new();
    for task in tasks {
        timings.extend(task.await??);
    }
    let first = timings.iter().map(|(s, _)| *s).min().context("no calls")?;
    let last = timings.iter().map(|(_, e)| *e).max().context("no calls")?;
    let latencies = timings.iter().map(|(s, e)| ms(*s, *e)).collect();
    Ok((latencies, ms(first, last) / 1000.0))
}

/// `tools/call read_query` with [`SALES_BY_YEAR`]; fails on a tool error.
async fn read_query(client: &mut McpClient) -> anyhow::Result<()> {
    let arguments = json!({"query": SALES_BY_YEAR});
    let result = client.call_tool("read_query", &arguments).await?;
    ensure!(
        result["isError"] != true,
        "read_query failed: {}",
        result["content"]
    );
    Ok(())
}
