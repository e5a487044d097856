//! Serving an axum router in the background (the one place the fakes bind and spawn), and the
//! signal the fake binaries stop on.
//!
//! [`Background`] owns the accept loop. Dropping it aborts the loop and closes the listener, so a
//! fake stops taking connections when its handle goes away (responses already streaming finish
//! on their own connection tasks).

use std::net::SocketAddr;

use axum::Router;
use axum::serve::ListenerExt;
use tokio::task::JoinHandle;

/// A router served on a bound address until dropped.
#[derive(Debug)]
pub(crate) struct Background {
    addr: SocketAddr,
    task: JoinHandle<()>,
}

impl Background {
    /// Binds `addr` (port 0 picks a free port) and serves `router` on the current runtime.
    pub(crate) async fn spawn(addr: SocketAddr, router: Router) -> anyhow::Result<Self> {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| anyhow::anyhow!("cannot bind {addr}: {e}"))?;
        let addr = listener.local_addr()?;
        // Small SSE frames go out at once, as a real streaming server sends them: without
        // TCP_NODELAY, Nagle's algorithm holds a frame until the previous one is acknowledged,
        // and a delayed ACK turns that into 40 ms.
        let listener = listener.tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        });
        let task = tokio::spawn(async move {
            // The loop ends only on an accept error that axum cannot recover from; a fake has
            // nobody to report it to, and the test sees the connection failures.
            let _ = axum::serve(listener, router).await;
        });
        Ok(Self { addr, task })
    }

    /// The address actually bound.
    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The loopback address with a free port, the default for every fake.
pub(crate) fn any_local_port() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

/// Resolves on SIGINT (Ctrl-C) or, on Unix, SIGTERM: how the fake binaries know to stop.
pub async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
