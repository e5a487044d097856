//! [`FakeProvider`]: a stand-in for the OpenAI Responses API (`POST /v1/responses`, also
//! `/responses`), behaving as its [`Script`] says (`shared/protocols.md` §2).
//!
//! - [`Script::Model`] plays a model: it really lists (and may call) the request's `mcp` tools
//!   over MCP, sending each tool's `headers` verbatim, and streams the documented event sequence.
//! - [`Script::Transcript`] replays raw SSE bytes, each frame after its delay.
//! - [`Script::Status`] answers one status and JSON body, e.g. a 429.
//!
//! Every request is recorded ([`ProviderRequest`]: body and bearer key) before it is answered.
//! Responses are real streams: each frame is written as it is produced. The fake counts the
//! streams still open and those the client abandoned before their end
//! ([`FakeProvider::open_streams`], [`FakeProvider::abandoned_streams`]), so a test can see a
//! Stop in the browser reach the provider.

mod events;
mod mcp_client;
mod model;
mod request;
mod rules;

use std::convert::Infallible;
use std::fmt;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::record::{Log, lock, redact};
use crate::serve::{Background, any_local_port};

/// How the fake answers.
#[derive(Clone, Debug)]
pub enum Script {
    /// A stand-in model (the default).
    Model(ModelOptions),
    /// Raw SSE frames replayed byte-exact with status 200 and `text/event-stream`; each waits
    /// its delay (counted from the previous frame, or from the request for the first).
    Transcript(Vec<(Duration, String)>),
    /// One status with a JSON body, and `Retry-After` when set.
    Status {
        /// The HTTP status.
        status: u16,
        /// The JSON body, sent as is.
        body: String,
        /// Seconds for `Retry-After`.
        retry_after: Option<u32>,
    },
}

/// Knobs of the stand-in model.
#[derive(Clone)]
pub struct ModelOptions {
    /// The pause between consecutive text deltas and between argument deltas (default 30 ms).
    pub delta_delay: Duration,
    /// When set, a request without `Authorization: Bearer <this key>` gets 401
    /// `invalid_api_key`, as OpenAI answers (default: any key or none is accepted).
    pub api_key: Option<String>,
}

/// One request the fake received.
#[derive(Clone, PartialEq)]
pub struct ProviderRequest {
    /// The key of `Authorization: Bearer <key>` (the whole value when the scheme is not
    /// `Bearer`); `None` without the header.
    pub authorization: Option<String>,
    /// The JSON body (a JSON string holding the raw text when the body is not JSON).
    pub body: Value,
}

/// The running fake. Dropping it stops the listener.
pub struct FakeProvider {
    server: Background,
    state: Arc<ProviderState>,
}

struct ProviderState {
    script: Mutex<Script>,
    requests: Log<ProviderRequest>,
    http: reqwest::Client,
    streams: Arc<StreamCount>,
}

/// Streamed responses: how many are being written, how many the client left before the end.
#[derive(Default)]
struct StreamCount {
    open: AtomicUsize,
    abandoned: AtomicUsize,
}

impl StreamCount {
    /// Watches a producer: open until it ends; abandoned when it ended because the client left.
    fn watch(self: &Arc<Self>, producer: tokio::task::JoinHandle<bool>) {
        self.open.fetch_add(1, Ordering::SeqCst);
        let count = Arc::clone(self);
        tokio::spawn(async move {
            // A producer that panicked counts as abandoned too: its client got no end.
            let client_left = producer.await.unwrap_or(true);
            if client_left {
                count.abandoned.fetch_add(1, Ordering::SeqCst);
            }
            count.open.fetch_sub(1, Ordering::SeqCst);
        });
    }
}

impl Default for Script {
    fn default() -> Self {
        Self::Model(ModelOptions::default())
    }
}

impl Default for ModelOptions {
    fn default() -> Self {
        Self {
            delta_delay: Duration::from_millis(30),
            api_key: None,
        }
    }
}

impl FakeProvider {
    /// Serves `script` on `127.0.0.1:<free port>` on the current tokio runtime.
    pub async fn start(script: Script) -> anyhow::Result<Self> {
        Self::start_at(any_local_port(), script).await
    }

    /// Serves `script` on `addr`.
    pub async fn start_at(addr: SocketAddr, script: Script) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        let state = Arc::new(ProviderState {
            script: Mutex::new(script),
            requests: Log::default(),
            http,
            streams: Arc::default(),
        });
        let router = Router::new()
            .route("/v1/responses", post(responses))
            .route("/responses", post(responses))
            .with_state(state.clone());
        let server = Background::spawn(addr, router).await?;
        Ok(Self { server, state })
    }

    /// The API base, e.g. `http://127.0.0.1:PORT/v1` (requests go to `{base}/responses`).
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.server.addr())
    }

    /// Every request so far, oldest first.
    pub fn requests(&self) -> Vec<ProviderRequest> {
        self.state.requests.snapshot()
    }

    /// How many requests arrived.
    pub fn request_count(&self) -> usize {
        self.state.requests.len()
    }

    /// How many streamed responses are still being written.
    pub fn open_streams(&self) -> usize {
        self.state.streams.open.load(Ordering::SeqCst)
    }

    /// How many streamed responses ended early because the client went away.
    pub fn abandoned_streams(&self) -> usize {
        self.state.streams.abandoned.load(Ordering::SeqCst)
    }

    /// Replaces the script for the following requests.
    pub fn set_script(&self, script: Script) {
        *lock(&self.state.script) = script;
    }
}

async fn responses(
    State(state): State<Arc<ProviderState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.strip_prefix("Bearer ").unwrap_or(v).to_owned());
    let parsed: Option<Value> = serde_json::from_slice(&body).ok();
    let recorded = parsed
        .clone()
        .unwrap_or_else(|| Value::String(String::from_utf8_lossy(&body).into_owned()));
    state.requests.push(ProviderRequest {
        authorization: authorization.clone(),
        body: recorded,
    });
    let n = state.requests.len();
    let script = lock(&state.script).clone();
    match script {
        Script::Status {
            status,
            body,
            retry_after,
        } => status_response(status, body, retry_after),
        Script::Transcript(frames) => transcript(&state, frames),
        Script::Model(options) => {
            if let Some(key) = &options.api_key
                && authorization.as_ref() != Some(key)
            {
                return openai_error(
                    StatusCode::UNAUTHORIZED,
                    "Incorrect API key provided.",
                    "invalid_request_error",
                    "invalid_api_key",
                );
            }
            let Some(body) = parsed else {
                return openai_error(
                    StatusCode::BAD_REQUEST,
                    "We could not parse the JSON body of your request.",
                    "invalid_request_error",
                    "invalid_json",
                );
            };
            model_turn(&state, options, &body, n).await
        }
    }
}

async fn model_turn(
    state: &Arc<ProviderState>,
    options: ModelOptions,
    body: &Value,
    n: usize,
) -> Response {
    let listed = match model::list_servers(&state.http, request::mcp_tools(body)).await {
        Ok(listed) => listed,
        Err(res) => return res,
    };
    let turn = model::Turn {
        n,
        model: body["model"].as_str().unwrap_or("gpt-fake").to_owned(),
        message: request::last_user_message(body),
        delta_delay: options.delta_delay,
    };
    let (tx, body) = channel_body();
    state.streams.watch(model::stream(listed, turn, tx));
    event_stream(body)
}

fn transcript(state: &Arc<ProviderState>, frames: Vec<(Duration, String)>) -> Response {
    let (tx, body) = channel_body();
    let producer = tokio::spawn(async move {
        for (delay, frame) in frames {
            tokio::time::sleep(delay).await;
            if tx.send(Bytes::from(frame)).await.is_err() {
                return true;
            }
        }
        false
    });
    state.streams.watch(producer);
    event_stream(body)
}

fn status_response(status: u16, body: String, retry_after: Option<u32>) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut res = (status, body).into_response();
    let headers = res.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let Some(seconds) = retry_after {
        headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    res
}

fn openai_error(status: StatusCode, message: &str, kind: &str, code: &str) -> Response {
    let body = json!({"error": {"message": message, "type": kind, "param": null, "code": code}});
    (status, axum::Json(body)).into_response()
}

/// A body fed by a channel: each `Bytes` sent is written out as one chunk when it is sent.
fn channel_body() -> (mpsc::Sender<Bytes>, Body) {
    let (tx, rx) = mpsc::channel::<Bytes>(1);
    let chunks = futures_util::stream::unfold(rx, |mut rx| async move {
        let chunk = rx.recv().await?;
        Some((Ok::<_, Infallible>(chunk), rx))
    });
    (tx, Body::from_stream(chunks))
}

fn event_stream(body: Body) -> Response {
    let mut res = Response::new(body);
    let headers = res.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    res
}

impl fmt::Debug for FakeProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FakeProvider")
            .field("base_url", &self.base_url())
            .field("request_count", &self.request_count())
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for ModelOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ModelOptions")
            .field("delta_delay", &self.delta_delay)
            .field("api_key", &self.api_key.as_deref().map(redact))
            .finish()
    }
}

impl fmt::Debug for ProviderRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProviderRequest")
            .field("authorization", &self.authorization.as_deref().map(redact))
            .field("body", &"<json>")
            .finish()
    }
}
