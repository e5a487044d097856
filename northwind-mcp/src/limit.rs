//! The request body cap in front of `/mcp`: [`MAX_REQUEST_BYTES`] and [`cap_body`].
//!
//! Pomerium buffers at most `max_request_bytes` of a body for its policy check and lets a longer
//! one through cut short, where an `mcp_tool` rule cannot see the tool's name. A server that takes
//! no body longer than what Pomerium reads keeps every tool call visible to those rules; the
//! deployment files set `max_request_bytes` to at least this cap (a test checks it).

use axum::body::{Body, to_bytes};
use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// The largest request body `/mcp` accepts, in bytes.
pub const MAX_REQUEST_BYTES: usize = 64 * 1024;

/// Axum middleware: answers 413 to a body over [`MAX_REQUEST_BYTES`] (by its `Content-Length`, or
/// once a chunked body passes the cap), else passes the request on with its body read.
pub async fn cap_body(req: Request, next: Next) -> Response {
    let declared = req
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_REQUEST_BYTES as u64) {
        return too_large();
    }
    let (parts, body) = req.into_parts();
    match to_bytes(body, MAX_REQUEST_BYTES).await {
        Ok(bytes) => {
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
        Err(_) => too_large(),
    }
}

fn too_large() -> Response {
    eprintln!("northwind-mcp: refused a request body over {MAX_REQUEST_BYTES} bytes");
    (
        StatusCode::PAYLOAD_TOO_LARGE,
        format!("request body over {MAX_REQUEST_BYTES} bytes"),
    )
        .into_response()
}
