//! The demo MCP server: `tools/call read_query` latency (p50, p99) and throughput against the
//! real northwind-mcp binary, at 1 and 50 concurrent clients.
//!
//! Each client opens its own Streamable HTTP session ([`McpClient`]: `initialize`, then
//! `notifications/initialized`, untimed), then all clients start together and each makes its
//! calls one after another. Every call is the demo's question ("sales by year": a join and an
//! aggregate over the order lines) and must come back without `isError`. Throughput = calls /
//! wall time from the first call's start to the last call's end.

use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context as _, bail, ensure};
use futures_util::StreamExt;
use protocol::sse::Decoder;
use serde_json::{Value, json};
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

/// The MCP revision the client asks for.
const PROTOCOL_VERSION: &str = "2025-06-18";

pub(crate) async fn run(ctx: &Context, results: &mut Results) -> anyhow::Result<()> {
    let dir = scratch_dir("bench-mcp")?;
    let server = NorthwindProcess::start(&ctx.artifacts, None, &dir.join("northwind.db"))?;
    let url = format!("{}/mcp", server.base_url);
    // Warm up: the first session and call (database pages, allocations); not recorded.
    McpClient::connect(&ctx.http, &url)
        .await?
        .read_query()
        .await?;
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
                let mut client = McpClient::connect(&http, &url).await?;
                barrier.wait().await;
                let mut timings = Vec::with_capacity(calls);
                for _ in 0..calls {
                    let start = Instant::now();
                    client.read_query().await?;
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

/// One MCP session over Streamable HTTP (`shared/protocols.md` §4).
struct McpClient {
    http: reqwest::Client,
    url: String,
    session_id: Option<String>,
    next_id: u64,
}

impl McpClient {
    /// `initialize`, then `notifications/initialized`.
    async fn connect(http: &reqwest::Client, url: &str) -> anyhow::Result<Self> {
        let mut client = Self {
            http: http.clone(),
            url: url.to_owned(),
            session_id: None,
            next_id: 0,
        };
        let params = json!({
            "protocolVersion": PROTOCOL_VERSION,
            "capabilities": {},
            "clientInfo": {"name": "pchat-bench", "version": env!("CARGO_PKG_VERSION")},
        });
        client.request("initialize", params).await?;
        let note = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
        let status = client.post(&note).await?.status();
        ensure!(
            status.is_success(),
            "notifications/initialized answered {status}"
        );
        Ok(client)
    }

    /// `tools/call read_query` with [`SALES_BY_YEAR`]; fails on a tool error.
    async fn read_query(&mut self) -> anyhow::Result<()> {
        let params = json!({"name": "read_query", "arguments": {"query": SALES_BY_YEAR}});
        let result = self.request("tools/call", params).await?;
        ensure!(
            result["isError"] != true,
            "read_query failed: {}",
            result["content"]
        );
        Ok(())
    }

    /// A JSON-RPC request; its `result`.
    async fn request(&mut self, method: &str, params: Value) -> anyhow::Result<Value> {
        self.next_id += 1;
        let id = self.next_id;
        let message = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
        let response = self.post(&message).await?;
        let status = response.status();
        ensure!(status.is_success(), "{method} answered {status}");
        if let Some(session) = response.headers().get("mcp-session-id") {
            self.session_id = Some(session.to_str()?.to_owned());
        }
        let is_sse = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/event-stream"));
        let answer = if is_sse {
            read_sse_answer(response, id).await?
        } else {
            response.json::<Value>().await?
        };
        if let Some(error) = answer.get("error") {
            bail!("{method} failed: {error}");
        }
        Ok(answer["result"].clone())
    }

    async fn post(&self, message: &Value) -> anyhow::Result<reqwest::Response> {
        let mut request = self
            .http
            .post(&self.url)
            .header("accept", "application/json, text/event-stream")
            .header("content-type", "application/json")
            .header("mcp-protocol-version", PROTOCOL_VERSION)
            .body(message.to_string());
        if let Some(session) = &self.session_id {
            request = request.header("mcp-session-id", session);
        }
        Ok(request.send().await?)
    }
}

/// Reads an SSE answer until the JSON-RPC response with `id` arrives.
async fn read_sse_answer(response: reqwest::Response, id: u64) -> anyhow::Result<Value> {
    let mut decoder = Decoder::default();
    let mut body = response.bytes_stream();
    while let Some(chunk) = body.next().await {
        for frame in decoder.push(&chunk?) {
            let Ok(message) = serde_json::from_str::<Value>(&frame.data) else {
                continue;
            };
            if message["id"] == id {
                return Ok(message);
            }
        }
    }
    bail!("the stream ended without the answer to request {id}")
}
