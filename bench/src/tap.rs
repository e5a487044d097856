//! [`Tap`]: a loopback TCP relay in front of the fake provider that notes when each SSE frame
//! left it, per stream.
//!
//! The edge's added latency per event is the time between a frame leaving the provider side and
//! the matching event reaching the client. The tap gives the first instant on the bench's own
//! clock: it copies bytes both ways unchanged, finds the stream's [`marker`] in the request,
//! and as it writes each response chunk on, notes the time once per SSE frame that chunk
//! completes (`\n\n`). A stream read directly from the provider goes through the same tap, so
//! the tap's own hop is in both paths and cancels out.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// The text that names stream `n` in a request body (a user message, or a provider input).
pub(crate) fn marker(n: u64) -> String {
    format!("{MARKER_PREFIX}{n}.")
}

const MARKER_PREFIX: &str = "pchat-bench-";

/// The relay. Dropping it stops accepting connections.
pub(crate) struct Tap {
    addr: SocketAddr,
    frames: FrameLog,
    task: JoinHandle<()>,
}

/// Stream marker -> the instant each of its frames was written on, in order.
type FrameLog = Arc<Mutex<HashMap<u64, Vec<Instant>>>>;

impl Tap {
    /// Listens on a free loopback port and relays every connection to `upstream`.
    pub(crate) async fn start(upstream: SocketAddr) -> anyhow::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let frames = FrameLog::default();
        let log = frames.clone();
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let log = log.clone();
                // A broken connection shows up as a failed stream on the client's side.
                tokio::spawn(async move {
                    let _ = relay(client, upstream, log).await;
                });
            }
        });
        Ok(Self { addr, frames, task })
    }

    /// The provider API base through the tap, for `OPENAI_BASE_URL`.
    pub(crate) fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// Removes and returns the frame times of stream `n` (empty if it never came through).
    pub(crate) fn take(&self, n: u64) -> Vec<Instant> {
        lock(&self.frames).remove(&n).unwrap_or_default()
    }
}

impl Drop for Tap {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

async fn relay(client: TcpStream, upstream: SocketAddr, log: FrameLog) -> std::io::Result<()> {
    let upstream = TcpStream::connect(upstream).await?;
    client.set_nodelay(true)?;
    upstream.set_nodelay(true)?;
    let (mut client_read, mut client_write) = client.into_split();
    let (mut upstream_read, mut upstream_write) = upstream.into_split();
    // The marker of the request being answered on this connection (HTTP/1.1: one at a time).
    let current = Arc::new(Mutex::new(None::<u64>));
    let request_side = {
        let current = current.clone();
        async move {
            let mut buf = vec![0u8; 16 * 1024];
            let mut window = Vec::new();
            loop {
                let n = client_read.read(&mut buf).await?;
                if n == 0 {
                    return upstream_write.shutdown().await;
                }
                // Keep a little of the previous read, so a marker cut in two is still found.
                window.extend_from_slice(&buf[..n]);
                if let Some(id) = last_marker(&window) {
                    *lock(&current) = Some(id);
                }
                let keep = window.len().saturating_sub(32);
                window.drain(..keep);
                upstream_write.write_all(&buf[..n]).await?;
            }
        }
    };
    let response_side = async move {
        let mut buf = vec![0u8; 64 * 1024];
        let mut after_newline = false;
        loop {
            let n = upstream_read.read(&mut buf).await?;
            if n == 0 {
                return client_write.shutdown().await;
            }
            // Noted just before the write, so the note exists before the client can have the
            // bytes (a loopback write only copies them into the socket buffer).
            let now = Instant::now();
            let n_frames = count_frame_ends(&buf[..n], &mut after_newline);
            let id = *lock(&current);
            if let (Some(id), true) = (id, n_frames > 0) {
                let mut frames = lock(&log);
                frames
                    .entry(id)
                    .or_default()
                    .extend(std::iter::repeat_n(now, n_frames));
            }
            client_write.write_all(&buf[..n]).await?;
        }
    };
    tokio::try_join!(request_side, response_side)?;
    Ok(())
}

/// The last complete marker (`pchat-bench-<digits>.`) in `bytes`.
fn last_marker(bytes: &[u8]) -> Option<u64> {
    let prefix = MARKER_PREFIX.as_bytes();
    let mut found = None;
    let mut start = 0;
    while let Some(at) = find(&bytes[start..], prefix) {
        let digits_at = start + at + prefix.len();
        let digits: Vec<u8> = bytes[digits_at..]
            .iter()
            .copied()
            .take_while(u8::is_ascii_digit)
            .collect();
        let end = digits_at + digits.len();
        if !digits.is_empty() && bytes.get(end) == Some(&b'.') {
            found = std::str::from_utf8(&digits)
                .ok()
                .and_then(|d| d.parse().ok());
        }
        start = digits_at;
    }
    found
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// How many SSE frame ends (`\n\n`) `chunk` completes; `after_newline` carries whether the
/// previous chunk ended in `\n`.
fn count_frame_ends(chunk: &[u8], after_newline: &mut bool) -> usize {
    let mut n = 0;
    for &byte in chunk {
        if byte == b'\n' {
            if *after_newline {
                n += 1;
                *after_newline = false;
            } else {
                *after_newline = true;
            }
        } else {
            *after_newline = false;
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_last_complete_marker() {
        let check = |text: &str, want: Option<u64>| assert_eq!(last_marker(text.as_bytes()), want);
        check(r#"{"content":"pchat-bench-17."}"#, Some(17));
        check("pchat-bench-1. then pchat-bench-22.", Some(22));
        check("pchat-bench-3. then pchat-bench-4", Some(3));
        check("pchat-bench-.", None);
        check("nothing", None);
        assert_eq!(marker(5), "pchat-bench-5.");
    }

    #[test]
    fn counts_frames_across_chunks() {
        let mut after_newline = false;
        let mut count = |chunk: &str| count_frame_ends(chunk.as_bytes(), &mut after_newline);
        assert_eq!(count("event: a\ndata: 1\n\nevent: b\ndata: 2\n"), 1);
        assert_eq!(count("\nevent: c\n"), 1);
        assert_eq!(count("data: 3\n\n\n\n"), 2);
        assert_eq!(count("HTTP/1.1 200 OK\r\n\r\n1a\r\n"), 0);
    }
}
