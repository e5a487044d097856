//! The `northwind-mcp` binary: reads the config, binds, prints the listening line, serves.
//!
//! Run: `cargo run -p northwind-mcp -- --addr 127.0.0.1:8931` (see `--help`).
//! Test: `cargo test -p northwind-mcp`.

use std::io::Write;

use anyhow::Context;
use northwind_mcp::{Command, listening_line};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = match Command::from_env()? {
        Command::Help => {
            print!("{}", northwind_mcp::config::HELP);
            return Ok(());
        }
        Command::Run(config) => config,
    };
    if config.token.is_none() {
        eprintln!("northwind-mcp: no token set; /mcp accepts every request");
    }
    let shutdown = CancellationToken::new();
    let app = northwind_mcp::app(&config, shutdown.clone())?;
    let listener = TcpListener::bind(config.addr)
        .await
        .with_context(|| format!("cannot listen on {}", config.addr))?;
    // Handlers first: whoever reads the listening line may signal at once.
    tokio::spawn(cancel_on_signal(shutdown.clone(), terminate_signal()?));
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{}", listening_line(listener.local_addr()?))?;
    stdout.flush()?;
    drop(stdout);
    northwind_mcp::serve(listener, app, shutdown).await?;
    Ok(())
}

/// SIGTERM, registered now (Ctrl-C registers when first polled, which is early enough for a
/// person at a terminal).
#[cfg(unix)]
fn terminate_signal() -> anyhow::Result<tokio::signal::unix::Signal> {
    tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .context("installing the SIGTERM handler")
}

#[cfg(not(unix))]
fn terminate_signal() -> anyhow::Result<()> {
    Ok(())
}

/// Cancels `shutdown` on Ctrl-C or SIGTERM.
#[cfg(unix)]
async fn cancel_on_signal(shutdown: CancellationToken, mut term: tokio::signal::unix::Signal) {
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
    shutdown.cancel();
}

/// Cancels `shutdown` on Ctrl-C.
#[cfg(not(unix))]
async fn cancel_on_signal(shutdown: CancellationToken, (): ()) {
    let _ = tokio::signal::ctrl_c().await;
    shutdown.cancel();
}
