//! The request body cap: a tool call up to `MAX_REQUEST_BYTES` works, a longer body gets 413
//! whether it declares its length or streams in chunks.

use reqwest::StatusCode;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::support::{McpClient, TestServer};

/// A `tools/call` of `read_query` whose JSON body is exactly `size` bytes.
fn call_of_size(size: usize) -> String {
    let with = |sql: &str| {
        json!({"jsonrpc":"2.0","id":2,"method":"tools/call",
               "params":{"name":"read_query","arguments":{"sql":sql}}})
        .to_string()
    };
    let base = with("SELECT 1 --").len();
    with(&format!("SELECT 1 --{}", "x".repeat(size - base)))
}

#[tokio::test]
async fn bodies_over_the_cap_get_413_and_bodies_at_it_pass() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let mut client = McpClient::new(&server);
    client.initialize("2025-06-18").await?;
    let http = reqwest::Client::new();
    let post = |body: reqwest::Body| {
        http.post(server.mcp_url())
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream")
            .body(body)
    };
    let at_cap = call_of_size(northwind_mcp::MAX_REQUEST_BYTES);
    assert_eq!(at_cap.len(), northwind_mcp::MAX_REQUEST_BYTES);
    let answer = post(at_cap.into()).send().await?;
    assert_ne!(answer.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let over = call_of_size(northwind_mcp::MAX_REQUEST_BYTES + 1);
    let answer = post(over.clone().into()).send().await?;
    assert_eq!(answer.status(), StatusCode::PAYLOAD_TOO_LARGE);
    // Chunked: no Content-Length, the cap counts what arrives.
    assert_eq!(chunked_status(server.base(), &over).await?, 413);
    server.stop().await
}

/// The status of a POST to `/mcp` whose body is sent with `Transfer-Encoding: chunked`.
async fn chunked_status(base: &str, body: &str) -> anyhow::Result<u16> {
    let addr = base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await?;
    let mut request = String::from(
        "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
         Accept: application/json, text/event-stream\r\nTransfer-Encoding: chunked\r\n\
         Connection: close\r\n\r\n",
    );
    for chunk in body.as_bytes().chunks(4096) {
        request.push_str(&format!(
            "{:x}\r\n{}\r\n",
            chunk.len(),
            String::from_utf8_lossy(chunk)
        ));
    }
    request.push_str("0\r\n\r\n");
    // The server may answer and close before it has read everything; a reset is fine then.
    let _ = stream.write_all(request.as_bytes()).await;
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer).await;
    let text = String::from_utf8_lossy(&answer);
    text.split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| anyhow::anyhow!("not an HTTP answer: {text:?}"))
}
