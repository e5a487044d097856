//! `fake-pomerium`: the fake Pomerium as a process.
//!
//! Run: `cargo run -p testkit --bin fake-pomerium -- --addr 127.0.0.1:3000
//! --edge http://127.0.0.1:3001 --mcp name=Northwind,upstream=http://127.0.0.1:3002,addr=127.0.0.1:3003,token=TI`
//! (`--mcp` repeats; its keys: `name`, `upstream`, `addr`, `token`, `description`, `logo_url`,
//! `connected`, `needs_oauth`). It prints `fake-pomerium listening on http://127.0.0.1:3000` and
//! one `fake-pomerium mcp route <name> on <url>` line per route, never a token, and serves until
//! SIGINT or SIGTERM. Tested by `cargo test -p testkit` (the library it wraps).

#[cfg(not(target_arch = "wasm32"))]
#[tokio::main]
async fn main() -> anyhow::Result<()> {
    use std::io::Write;

    use testkit::pomerium::{FakePomerium, FakePomeriumConfig};

    let mut cfg = FakePomeriumConfig::default();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || {
            args.next()
                .ok_or_else(|| anyhow::anyhow!("{arg} needs a value"))
        };
        match arg.as_str() {
            "--addr" => cfg.client_addr = Some(value()?.parse()?),
            "--edge" => cfg.edge_upstream = value()?,
            "--mcp" => cfg.mcp_routes.push(parse_route(&value()?)?),
            other => anyhow::bail!(
                "unknown argument {other}; usage: fake-pomerium --addr HOST:PORT --edge URL \
                 [--mcp name=N,upstream=URL,addr=HOST:PORT,token=TI]..."
            ),
        }
    }
    anyhow::ensure!(!cfg.edge_upstream.is_empty(), "--edge URL is required");

    let names: Vec<String> = cfg.mcp_routes.iter().map(|r| r.name.clone()).collect();
    let pomerium = FakePomerium::start(cfg).await?;
    let mut stdout = std::io::stdout();
    writeln!(stdout, "fake-pomerium listening on {}", pomerium.base_url())?;
    for (i, name) in names.iter().enumerate() {
        writeln!(
            stdout,
            "fake-pomerium mcp route {name} on {}",
            pomerium.mcp_url(i)
        )?;
    }
    stdout.flush()?;
    testkit::serve::shutdown_signal().await;
    Ok(())
}

/// `key=value,...` into a route; unknown keys are an error so a typo does not pass silently.
#[cfg(not(target_arch = "wasm32"))]
fn parse_route(spec: &str) -> anyhow::Result<testkit::pomerium::McpRoute> {
    let mut route = testkit::pomerium::McpRoute::default();
    for pair in spec.split(',') {
        let (key, value) = pair
            .split_once('=')
            .ok_or_else(|| anyhow::anyhow!("--mcp entry {pair:?} is not key=value"))?;
        match key {
            "name" => route.name = value.to_owned(),
            "upstream" => route.upstream = value.to_owned(),
            "addr" => route.addr = Some(value.parse()?),
            "token" => route.internal_token = value.to_owned(),
            "description" => route.description = Some(value.to_owned()),
            "logo_url" => route.logo_url = Some(value.to_owned()),
            "connected" => route.connected = value.parse()?,
            "needs_oauth" => route.needs_oauth = value.parse()?,
            other => anyhow::bail!("unknown --mcp key {other}"),
        }
    }
    anyhow::ensure!(!route.upstream.is_empty(), "--mcp needs upstream=URL");
    Ok(route)
}

#[cfg(target_arch = "wasm32")]
fn main() {}
