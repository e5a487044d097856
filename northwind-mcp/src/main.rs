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
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{}", listening_line(listener.local_addr()?))?;
    stdout.flush()?;
    drop(stdout);
    tokio::spawn(cancel_on_signal(shutdown.clone()));
    northwind_mcp::serve(listener, app, shutdown).await?;
    Ok(())
}

/// Cancels `shutdown` on Ctrl-C or SIGTERM.
async fn cancel_on_signal(shutdown: CancellationToken) {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("SIGTERM handler installs");
    #[cfg(unix)]
    let terminate = term.recv();
    #[cfg(not(unix))]
    let terminate = std::future::pending::<Option<()>>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = terminate => {}
    }
    shutdown.cancel();
}
