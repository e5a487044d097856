//! [`FakeProvider`]: a stand-in for the OpenAI Responses API (`POST /v1/responses`, also
//! `/responses`) and for Chat Completions (`POST /v1/chat/completions`), behaving as its
//! [`Script`] says (`shared/protocols.md` §2, §3).
//!
//! - [`Script::Model`] plays a model: it checks the input parts (`input_parts`: 400
//!   `invalid_value` for a malformed one), really lists (and may call) the request's `mcp` tools
//!   over MCP, sending each tool's `headers` verbatim, and streams the documented event sequence.
//!   Offered `function` tools instead (the caller runs the tools), it asks for a call or answers
//!   from the results it was given, on either API (`functions`, `responses_functions`,
//!   `chat_completions`).
//! - [`Script::Transcript`] replays raw SSE bytes, each frame after its delay.
//! - [`Script::Status`] answers one status and JSON body, e.g. a 429.
//! - [`Script::Chaos`] fails on purpose, one fault of [`chaos::FAULTS`] per request.
//!
//! A Responses request with `"background": true` runs on its own and is kept; `GET
//! /v1/responses/{id}?stream=true&starting_after=N` replays it ([`FakeProvider::replays`]), and
//! scripted drops cut the next streams ([`FakeProvider::drop_streams_after`]).
//!
//! Every request is recorded ([`ProviderRequest`]: body and bearer key) before it is answered.
//! Responses are real streams: each frame is written as it is produced. The fake counts the
//! streams still open and those the client abandoned before their end
//! ([`FakeProvider::open_streams`], [`FakeProvider::abandoned_streams`]), so a test can see a
//! Stop in the browser reach the provider.

mod background;
pub mod chaos;
mod chat_completions;
mod events;
mod functions;
mod hosted_tools;
mod input_parts;
mod model;
mod request;
mod responses_functions;
mod rules;

use std::convert::Infallible;
use std::fmt;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::extract::{Path, Query};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

pub use background::Replay;
use serde_json::{Value, json};
use tokio::sync::mpsc;

pub use input_parts::parts_of_type;

use crate::record::{Log, lock, redact};
use crate::serve::{Background, any_local_port};

/// Largest request body the fake reads (room for a chat's attachments).
const MAX_REQUEST_BYTES: usize = 32 * 1024 * 1024;

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
    /// Faults on purpose, one per request, cycling through [`chaos::FAULTS`] by the request's
    /// number; streamed deltas are `delta_gap` apart.
    Chaos {
        /// The pause after each streamed frame.
        delta_gap: Duration,
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
    /// The demo model (`cargo xtask demo` without a key): a message that no rule matches gets
    /// the list of questions it answers instead of the echo (default: the echo, for tests).
    pub demo: bool,
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
    /// The last user message of each response, by response id, for approval continuations.
    messages: Mutex<std::collections::HashMap<String, String>>,
    streams: Arc<StreamCounters>,
    background: background::Background,
}

/// Streams in flight, and streams the client left before their end.
#[derive(Debug, Default)]
pub(crate) struct StreamCounters {
    open: std::sync::atomic::AtomicUsize,
    abandoned: std::sync::atomic::AtomicUsize,
}

/// Lives inside a streamed body: counts the stream open, and on drop closed (and abandoned, when
/// the client went away before the last chunk).
struct StreamGuard {
    counters: Arc<StreamCounters>,
    finished: bool,
}

impl StreamGuard {
    fn new(counters: &Arc<StreamCounters>) -> Self {
        counters
            .open
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Self {
            counters: Arc::clone(counters),
            finished: false,
        }
    }
}

impl StreamGuard {
    fn mark_finished(&mut self) {
        self.finished = true;
    }
}

impl Drop for StreamGuard {
    fn drop(&mut self) {
        use std::sync::atomic::Ordering::SeqCst;
        if !self.finished {
            self.counters.abandoned.fetch_add(1, SeqCst);
        }
        self.counters.open.fetch_sub(1, SeqCst);
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
            demo: false,
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
            messages: Mutex::default(),
            streams: Arc::default(),
            background: background::Background::default(),
        });
        let router = Router::new()
            .route("/v1/responses", post(responses))
            .route("/responses", post(responses))
            .route("/v1/responses/{id}", get(replay))
            .route("/v1/responses/{id}/cancel", post(cancel))
            .route("/responses/{id}", get(replay))
            .route("/v1/chat/completions", post(completions))
            .route("/chat/completions", post(completions))
            // Requests with attachments are larger than axum's default 2 MB.
            .layer(axum::extract::DefaultBodyLimit::max(MAX_REQUEST_BYTES))
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

    /// Streams being sent right now.
    pub fn open_streams(&self) -> usize {
        self.state
            .streams
            .open
            .load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Streams whose client went away before the end (the provider saw the cancel).
    pub fn abandoned_streams(&self) -> usize {
        self.state
            .streams
            .abandoned
            .load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Every replay of a background answer asked for so far, oldest first.
    pub fn replays(&self) -> Vec<Replay> {
        self.state.background.replays.snapshot()
    }

    /// The next `counts.len()` background streams (creating or replaying) break off after that
    /// many frames each, as a provider whose connection drops; the answers go on.
    pub fn drop_streams_after(&self, counts: &[usize]) {
        self.state.background.drop_streams_after(counts);
    }

    /// The response ids whose cancel was asked for (`POST /v1/responses/{id}/cancel`).
    pub fn cancels(&self) -> Vec<String> {
        self.state.background.cancels.snapshot()
    }

    /// Forgets every kept background answer (the provider's retention ran out).
    pub fn forget_background(&self) {
        self.state.background.forget();
    }

    /// Replaces the script for the following requests.
    pub fn set_script(&self, script: Script) {
        *lock(&self.state.script) = script;
    }
}

/// `POST /v1/responses`: recorded, then answered as the script says.
async fn responses(
    State(state): State<Arc<ProviderState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match admit(&state, &headers, &body) {
        Admitted::Model(options, body, n) => model_turn(&state, options, &body, n).await,
        Admitted::Answered(res) => res,
    }
}

/// `GET /v1/responses/{id}?stream=true&starting_after=N`: a background answer replayed.
async fn replay(
    State(state): State<Arc<ProviderState>>,
    Path(id): Path<String>,
    Query(query): Query<std::collections::HashMap<String, String>>,
) -> Response {
    state.background.replay(&id, &query, &state.streams)
}

/// `POST /v1/responses/{id}/cancel`: a background answer stopped.
async fn cancel(State(state): State<Arc<ProviderState>>, Path(id): Path<String>) -> Response {
    state.background.cancel(&id)
}

/// `POST /v1/chat/completions`: recorded, then answered as the script says.
async fn completions(
    State(state): State<Arc<ProviderState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (options, body, n) = match admit(&state, &headers, &body) {
        Admitted::Model(options, body, n) => (options, body, n),
        Admitted::Answered(res) => return res,
    };
    let model = body["model"].as_str().unwrap_or("llama-fake");
    let turn = chat_completions::turn(&body);
    let message = turn.message.clone();
    let usage_of = (body["stream_options"]["include_usage"] == true).then_some(message.as_str());
    function_answer(&state, &options, turn, 2, |decision| {
        chat_completions::frames(decision, n, model, usage_of)
    })
}

/// The stand-in model's move on a request that offers `function` tools, in one API's shape:
/// `render` writes the decision's frames; the first `unpaced` go at once, the rest
/// `delta_delay` apart.
fn function_answer(
    state: &ProviderState,
    options: &ModelOptions,
    mut turn: functions::FunctionTurn,
    unpaced: usize,
    render: impl FnOnce(&functions::Decision) -> Vec<String>,
) -> Response {
    turn.demo = options.demo;
    let (tx, stream) = channel_body(&state.streams);
    play(
        render(&functions::decide(&turn)),
        unpaced,
        options.delta_delay,
        tx,
    );
    event_stream(stream)
}

/// A request after [`admit`].
enum Admitted {
    /// Already answered (status, transcript, refusal).
    Answered(Response),
    /// For the stand-in model: its options, the JSON body and the request's number.
    Model(ModelOptions, Value, usize),
}

/// What both endpoints do first: record the request, then answer it whole unless the script
/// is the stand-in model (a status, a transcript, a wrong key, a body that is not JSON).
fn admit(state: &ProviderState, headers: &HeaderMap, body: &Bytes) -> Admitted {
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.strip_prefix("Bearer ").unwrap_or(v).to_owned());
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    state.requests.push(ProviderRequest {
        authorization: authorization.clone(),
        body: parsed
            .clone()
            .unwrap_or_else(|| Value::String(String::from_utf8_lossy(body).into_owned())),
    });
    let n = state.requests.len();
    let script = lock(&state.script).clone();
    let options = match script {
        Script::Status {
            status,
            body,
            retry_after,
        } => return Admitted::Answered(status_response(status, body, retry_after)),
        Script::Transcript(frames) => {
            return Admitted::Answered(transcript(frames, &state.streams));
        }
        Script::Chaos { delta_gap } => {
            return Admitted::Answered(chaos::answer(n - 1, delta_gap, &state.streams));
        }
        Script::Model(options) => options,
    };
    if let Some(key) = &options.api_key
        && authorization.as_ref() != Some(key)
    {
        return Admitted::Answered(openai_error(
            StatusCode::UNAUTHORIZED,
            "Incorrect API key provided.",
            "invalid_request_error",
            "invalid_api_key",
        ));
    }
    let Some(body) = parsed else {
        return Admitted::Answered(openai_error(
            StatusCode::BAD_REQUEST,
            "We could not parse the JSON body of your request.",
            "invalid_request_error",
            "invalid_json",
        ));
    };
    if let Err(message) = input_parts::check(&body) {
        return Admitted::Answered(openai_error(
            StatusCode::BAD_REQUEST,
            &message,
            "invalid_request_error",
            "invalid_value",
        ));
    }
    Admitted::Model(options, body, n)
}

async fn model_turn(
    state: &ProviderState,
    options: ModelOptions,
    body: &Value,
    n: usize,
) -> Response {
    let approval = request::approval_response(body);
    let message = match (approval, body["previous_response_id"].as_str()) {
        (Some(_), Some(previous)) => lock(&state.messages)
            .get(previous)
            .cloned()
            .unwrap_or_default(),
        _ => request::last_user_message(body),
    };
    lock(&state.messages).insert(format!("resp_{n}"), message.clone());
    if responses_functions::is_function_request(body) {
        let model = body["model"].as_str().unwrap_or("gpt-fake");
        let turn = responses_functions::turn(body);
        let message = turn.message.clone();
        return function_answer(state, &options, turn, 3, |decision| {
            responses_functions::frames(decision, n, model, &message)
        });
    }
    let listed = match model::list_servers(&state.http, request::mcp_tools(body)).await {
        Ok(listed) => listed,
        Err(res) => return res,
    };
    let turn = model::Turn {
        n,
        model: body["model"].as_str().unwrap_or("gpt-fake").to_owned(),
        message,
        delta_delay: options.delta_delay,
        approval,
        demo: options.demo,
        hosted: hosted_tools::offered(body),
    };
    if body["background"] == true {
        let (tx, produced) = mpsc::channel(64);
        model::stream(listed, turn, tx);
        return state
            .background
            .create(format!("resp_{n}"), produced, &state.streams);
    }
    let (tx, body) = channel_body(&state.streams);
    model::stream(listed, turn, tx);
    event_stream(body)
}

fn transcript(frames: Vec<(Duration, String)>, counters: &Arc<StreamCounters>) -> Response {
    let (tx, body) = channel_body(counters);
    tokio::spawn(async move {
        for (delay, frame) in frames {
            tokio::time::sleep(delay).await;
            if tx.send(Bytes::from(frame)).await.is_err() {
                return;
            }
        }
    });
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

pub(crate) fn openai_error(status: StatusCode, message: &str, kind: &str, code: &str) -> Response {
    let body = json!({"error": {"message": message, "type": kind, "param": null, "code": code}});
    (status, axum::Json(body)).into_response()
}

/// Sends `frames` to `tx` in a background producer, the first `unpaced` at once and each later
/// one `delay` after the previous; stops when the client goes away.
fn play(frames: Vec<String>, unpaced: usize, delay: Duration, tx: mpsc::Sender<Bytes>) {
    tokio::spawn(async move {
        for (i, frame) in frames.into_iter().enumerate() {
            if i >= unpaced {
                tokio::time::sleep(delay).await;
            }
            if tx.send(Bytes::from(frame)).await.is_err() {
                return;
            }
        }
    });
}

/// A body fed by a channel: each `Bytes` sent is written out as one chunk when it is sent.
/// The body counts itself in `counters` while it lives.
pub(crate) fn channel_body(counters: &Arc<StreamCounters>) -> (mpsc::Sender<Bytes>, Body) {
    let (tx, rx) = mpsc::channel::<Bytes>(1);
    let guard = StreamGuard::new(counters);
    let chunks = futures_util::stream::unfold((rx, guard), |(mut rx, mut guard)| async move {
        match rx.recv().await {
            Some(chunk) => Some((Ok::<_, Infallible>(chunk), (rx, guard))),
            None => {
                guard.mark_finished();
                None
            }
        }
    });
    (tx, Body::from_stream(chunks))
}

pub(crate) fn event_stream(body: Body) -> Response {
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
