//! The relay floor: what a component costs under `wasmtime serve` when it does the least an
//! edge must do for a streamed answer. It forwards the request body, as it is, to
//! `$OPENAI_BASE_URL/responses` and copies every chunk of the answer to its caller as it
//! arrives: no parsing, no translation, no checks (so it is never deployed; only
//! `cargo xtask bench` builds and runs it).
//!
//! It is built with the edge's runtime glue (spin-sdk's `http_component` over `wasi:http`),
//! so the difference between its figures and the edge's is the edge's own work.
#![cfg(target_arch = "wasm32")]
// `#[http_component]` expands to the component's `unsafe` export glue; no hand-written unsafe.
#![allow(unsafe_code)]

use futures::{SinkExt, StreamExt};
use spin_sdk::http::{
    Fields, IncomingRequest, IncomingResponse, Method, OutgoingResponse, Request, ResponseOutparam,
    send,
};
use spin_sdk::http_component;

#[http_component]
async fn handle(req: IncomingRequest, out: ResponseOutparam) {
    let base = std::env::var("OPENAI_BASE_URL").unwrap_or_default();
    let mut body = Vec::new();
    let mut incoming = req.into_body_stream();
    while let Some(Ok(chunk)) = incoming.next().await {
        body.extend_from_slice(&chunk);
    }
    let request = Request::builder()
        .method(Method::Post)
        .uri(format!("{}/responses", base.trim_end_matches('/')))
        .header("content-type", "application/json")
        .header("accept", "text/event-stream")
        .body(body)
        .build();
    let upstream = match send::<_, IncomingResponse>(request).await {
        Ok(upstream) => upstream,
        Err(_) => return reply(out, 502),
    };
    let headers = Fields::from_list(&[("content-type".to_owned(), b"text/event-stream".to_vec())]);
    let response = OutgoingResponse::new(headers.unwrap_or_else(|_| Fields::new()));
    let _ = response.set_status_code(upstream.status());
    let mut sink = response.take_body();
    out.set(response);
    let mut chunks = upstream.take_body_stream();
    while let Some(Ok(chunk)) = chunks.next().await {
        if sink.send(chunk).await.is_err() {
            break;
        }
    }
}

/// An empty answer with `status`.
fn reply(out: ResponseOutparam, status: u16) {
    let response = OutgoingResponse::new(Fields::new());
    let _ = response.set_status_code(status);
    out.set(response);
}
