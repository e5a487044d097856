//! The Spin entry point and the HTTP I/O around the edge's pure modules (wasm32 only).
//!
//! Each handler reads the request, calls Pomerium or the provider through `spin_sdk::http`,
//! and writes the answer. The chat stream sets its headers first and then writes each
//! translated chunk the moment it arrives; nothing is collected in memory. Log lines name the
//! method, path and status, never a header value.

use std::hash::{BuildHasher, Hasher};

use futures::{SinkExt, StreamExt};
use protocol::ChatRequest;
use spin_sdk::http::{
    Fields, IncomingRequest, IncomingResponse, Method, OutgoingResponse, Request, ResponseOutparam,
    send,
};
use spin_sdk::http_component;

use crate::auth::BearerToken;
use crate::config::Config;
use crate::error::EdgeError;
use crate::pomerium::{self, McpServer};
use crate::provider;
use crate::relay::Relay;
use crate::routes::{self, Route};
use crate::static_files;

/// Largest chat request body the edge reads.
const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;
/// Largest non-streaming upstream body the edge reads (Pomerium's list, provider errors).
const MAX_UPSTREAM_BYTES: usize = 1024 * 1024;

#[http_component]
async fn handle(req: IncomingRequest, out: ResponseOutparam) {
    let config = Config::from_env();
    let method = req.method().to_string();
    let path = req.path_with_query().unwrap_or_else(|| "/".to_owned());
    let route = routes::route(&method, &path);
    let status = match route {
        Route::Health => health(&config, out).await,
        Route::Servers => servers(&config, &req, out).await,
        Route::Chat => chat(&config, req, out).await,
        Route::Static(file) => static_file(&config, &file, out).await,
        Route::NotFound => respond_error(out, &EdgeError::NotFound).await,
        Route::MethodNotAllowed => respond_error(out, &EdgeError::MethodNotAllowed).await,
    };
    let shown_path = path.split('?').next().unwrap_or("/");
    eprintln!("edge: {method} {shown_path} -> {status}");
}

async fn health(config: &Config, out: ResponseOutparam) -> u16 {
    let body = serde_json::json!({
        "status": "ok",
        "version": env!("CARGO_PKG_VERSION"),
        "provider_configured": config.provider_configured,
        "pomerium_configured": config.pomerium_url.is_some(),
    });
    respond(out, 200, "application/json", body.to_string().into_bytes()).await
}

async fn servers(config: &Config, req: &IncomingRequest, out: ResponseOutparam) -> u16 {
    let res = match bearer(req) {
        Some(token) => fetch_servers(config, &token).await,
        None => Err(EdgeError::MissingToken),
    };
    match res {
        Ok(servers) => {
            let body = serde_json::to_vec(&pomerium::server_list(&servers)).unwrap_or_default();
            respond(out, 200, "application/json", body).await
        }
        Err(err) => respond_error(out, &err).await,
    }
}

async fn chat(config: &Config, req: IncomingRequest, out: ResponseOutparam) -> u16 {
    let Some(token) = bearer(&req) else {
        return respond_error(out, &EdgeError::MissingToken).await;
    };
    let prepared = prepare_chat(config, req, &token).await;
    let (chat, servers) = match prepared {
        Ok(prepared) => prepared,
        Err(err) => return respond_error(out, &err).await,
    };
    let server_refs: Vec<&McpServer> = servers.iter().collect();
    let body = provider::build_request(config, &chat, &server_refs, &token);
    let mut request = Request::builder();
    request
        .method(Method::Post)
        .uri(provider::responses_url(config))
        .header("content-type", "application/json")
        .header("accept", "text/event-stream");
    if let Some(key) = &config.api_key {
        request.header("authorization", key.header_value());
    }
    let request = request.body(body).build();

    let request_id = format!(
        "req_{:016x}",
        std::collections::hash_map::RandomState::new()
            .build_hasher()
            .finish()
    );
    let response = OutgoingResponse::new(sse_headers());
    let _ = response.set_status_code(200);
    let mut sink = response.take_body();
    out.set(response);
    if sink
        .send(Relay::start(&request_id).into_bytes())
        .await
        .is_err()
    {
        return 200;
    }

    let secrets = provider::secrets(config, &token);
    let upstream: IncomingResponse = match send(request).await {
        Ok(upstream) => upstream,
        Err(_) => {
            let _ = sink
                .send(Relay::fail(&provider::transport_error()).into_bytes())
                .await;
            return 200;
        }
    };
    let status = upstream.status();
    if !(200..300).contains(&status) {
        let body = read_capped(&upstream).await.unwrap_or_default();
        let secret_refs: Vec<&str> = secrets.iter().map(String::as_str).collect();
        let error = provider::status_error(status, &body, &server_refs, &secret_refs);
        eprintln!(
            "edge: {request_id}: provider answered {status} ({:?})",
            error.code
        );
        let _ = sink.send(Relay::fail(&error).into_bytes()).await;
        return 200;
    }

    let mut relay = Relay::new(secrets);
    let mut stream = upstream.take_body_stream();
    let mut upstream_failed = false;
    while let Some(chunk) = stream.next().await {
        let Ok(chunk) = chunk else {
            upstream_failed = true;
            break;
        };
        let text = relay.on_chunk(&chunk);
        // A failed write means the client went away: stop reading the provider; dropping the
        // upstream response cancels it.
        if !text.is_empty() && sink.send(text.into_bytes()).await.is_err() {
            return 200;
        }
        if relay.finished() {
            break;
        }
    }
    let tail = relay.finish(upstream_failed);
    if !tail.is_empty() {
        eprintln!("edge: {request_id}: provider stream ended without a final event");
        let _ = sink.send(tail.into_bytes()).await;
    }
    200
}

/// Everything that must hold before the provider is called; any failure means no request left.
async fn prepare_chat(
    config: &Config,
    req: IncomingRequest,
    token: &BearerToken,
) -> Result<(ChatRequest, Vec<McpServer>), EdgeError> {
    let body = read_request_body(req).await?;
    let chat: ChatRequest =
        serde_json::from_slice(&body).map_err(|e| EdgeError::BadRequestBody(e.to_string()))?;
    chat.validate()?;
    if !config.provider_configured {
        return Err(EdgeError::ProviderNotConfigured);
    }
    if chat.servers.is_empty() {
        return Ok((chat, Vec::new()));
    }
    let listed = fetch_servers(config, token).await?;
    let picked: Vec<McpServer> = pomerium::resolve(&listed, &chat.servers)?
        .into_iter()
        .cloned()
        .collect();
    Ok((chat, picked))
}

async fn fetch_servers(config: &Config, token: &BearerToken) -> Result<Vec<McpServer>, EdgeError> {
    let Some(base) = &config.pomerium_url else {
        return Err(EdgeError::PomeriumNotConfigured);
    };
    let request = Request::builder()
        .method(Method::Get)
        .uri(pomerium::routes_url(base))
        .header("authorization", token.header_value())
        .header("accept", "application/json")
        .build();
    let response: IncomingResponse = send(request)
        .await
        .map_err(|_| EdgeError::PomeriumUnreachable)?;
    let status = response.status();
    if !(200..300).contains(&status) {
        return Err(EdgeError::PomeriumStatus(status));
    }
    let body = read_capped(&response)
        .await
        .map_err(|_| EdgeError::PomeriumUnreachable)?;
    pomerium::parse_routes(&body)
}

async fn static_file(config: &Config, path: &str, out: ResponseOutparam) -> u16 {
    let Some(file) = static_files::resolve(&config.static_root, path) else {
        return respond_error(out, &EdgeError::NotFound).await;
    };
    match std::fs::read(&file.path) {
        Ok(bytes) => respond(out, 200, file.content_type, bytes).await,
        Err(_) => respond_error(out, &EdgeError::NotFound).await,
    }
}

fn bearer(req: &IncomingRequest) -> Option<BearerToken> {
    BearerToken::from_header_values(&req.headers().get("authorization"))
}

async fn read_request_body(req: IncomingRequest) -> Result<Vec<u8>, EdgeError> {
    let mut stream = req.into_body_stream();
    let mut body = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk
            .map_err(|_| EdgeError::BadRequestBody("the body could not be read".to_owned()))?;
        body.extend_from_slice(&chunk);
        if body.len() > MAX_BODY_BYTES {
            return Err(EdgeError::BadRequestBody(format!(
                "the body is larger than {MAX_BODY_BYTES} bytes"
            )));
        }
    }
    Ok(body)
}

async fn read_capped(response: &IncomingResponse) -> Result<Vec<u8>, ()> {
    let mut stream = response.take_body_stream();
    let mut body = Vec::new();
    while let Some(chunk) = stream.next().await {
        body.extend_from_slice(&chunk.map_err(|_| ())?);
        if body.len() > MAX_UPSTREAM_BYTES {
            return Err(());
        }
    }
    Ok(body)
}

fn sse_headers() -> Fields {
    headers(&[
        ("content-type", "text/event-stream"),
        ("cache-control", "no-cache"),
        ("x-accel-buffering", "no"),
    ])
}

fn headers(list: &[(&str, &str)]) -> Fields {
    let list: Vec<(String, Vec<u8>)> = list
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.as_bytes().to_vec()))
        .collect();
    Fields::from_list(&list).unwrap_or_else(|_| Fields::new())
}

async fn respond(out: ResponseOutparam, status: u16, content_type: &str, body: Vec<u8>) -> u16 {
    let response = OutgoingResponse::new(headers(&[
        ("content-type", content_type),
        ("cache-control", "no-cache"),
    ]));
    let _ = response.set_status_code(status);
    let _ = out.set_with_body(response, body).await;
    status
}

async fn respond_error(out: ResponseOutparam, err: &EdgeError) -> u16 {
    respond(
        out,
        err.status(),
        "application/json",
        err.body().into_bytes(),
    )
    .await
}
