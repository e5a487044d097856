//! The events of the widget<->edge stream and the error shape with its stable codes.
//!
//! A stream is a sequence of [`StreamEvent`]s sent as SSE frames (see [`crate::sse`]). The last
//! event is always [`StreamEvent::Done`] or [`StreamEvent::Error`], so a stream that ends without
//! one is a detected interruption, never a silent truncation.

use serde::{Deserialize, Serialize};

use crate::sse::Frame;

/// One meaningful change in an answer. The SSE `event:` name is its [`StreamEvent::kind`]; the
/// `data:` line is this value as JSON, with the same name in its `type` field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum StreamEvent {
    /// The edge accepted the request; the id names it in logs and error reports.
    Started {
        /// The edge's id for this request.
        request_id: String,
    },
    /// More text of the answer (markdown).
    TextDelta {
        /// The new text.
        delta: String,
    },
    /// More text of the model's reasoning summary.
    ReasoningDelta {
        /// The new text.
        delta: String,
    },
    /// The model is listing, or has listed, a server's tools.
    ToolList {
        /// The server id.
        server: String,
        /// Where the listing stands.
        status: ToolStatus,
        /// The tool names, once listed.
        #[serde(default)]
        tools: Vec<String>,
    },
    /// The model started calling a tool.
    ToolCallStarted {
        /// Id of the call, shared by the call's later events.
        call_id: String,
        /// The server id.
        server: String,
        /// The tool's name.
        tool: String,
    },
    /// More of a call's JSON arguments.
    ToolCallArgumentsDelta {
        /// The call.
        call_id: String,
        /// The next fragment of the arguments.
        delta: String,
    },
    /// A call finished; its output as the tool returned it.
    ToolCallResult {
        /// The call.
        call_id: String,
        /// The tool's output (usually JSON text): what the model received.
        output: String,
        /// What the user is shown instead of `output`, when the result holds more than text
        /// (edge tool mode; absent otherwise).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        parts: Vec<crate::ResultPart>,
    },
    /// How far a running call is, as its MCP server reports it (edge tool mode only; at most a
    /// few per second per call). Data from the tool, not authority: the message is scrubbed of
    /// secrets and short.
    ToolProgress {
        /// The call.
        call_id: String,
        /// Percent done (0..=100) when the server gave a total; `None` otherwise.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        percent: Option<u8>,
        /// What the tool says it is doing, when it says.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        message: Option<String>,
    },
    /// A call failed.
    ToolCallFailed {
        /// The call.
        call_id: String,
        /// What went wrong, safe to show.
        error: String,
    },
    /// The model wants to call a tool that needs the user's approval. The response then ends
    /// with `done`; the widget continues it with a chat request carrying the decisions.
    ApprovalRequest {
        /// Id to answer with, in [`crate::ApprovalDecision`].
        approval_request_id: String,
        /// The server id.
        server: String,
        /// The tool's name.
        tool: String,
        /// The call's JSON arguments, in full.
        arguments: String,
    },
    /// An MCP server asks the user for input during a tool call (edge tool mode): a form, or a
    /// link to open. The answer then ends paused (`done` with a `response_id`); the request that
    /// continues it carries the user's [`crate::ElicitationReply`].
    ElicitationRequest {
        /// Id to answer with (sealed to the user).
        elicitation_id: String,
        /// The tool call that asks.
        call_id: String,
        /// The server's question.
        message: String,
        /// The form's fields (none for a link).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        fields: Vec<crate::FormField>,
        /// The page to open (`http`/`https`), for a link.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        url: Option<String>,
    },
    /// An MCP App view for a finished call whose tool names one (`_meta.ui.resourceUri`; edge
    /// tool mode only), sent once the edge read it and found it a view (`text/html;profile=
    /// mcp-app`, at most [`crate::apps::MAX_APP_VIEW_BYTES`]). The widget frames
    /// `GET /api/app/view?handle=…` in a sandbox; the view's tool calls go through
    /// `POST /api/app/tool-call` with the same handle.
    AppView {
        /// The call whose tool links the view.
        call_id: String,
        /// The `ui://` resource.
        uri: String,
        /// Sealed to the user: the server, tool and view.
        handle: String,
    },
    /// The answer failed; last event of the stream.
    Error(ApiError),
    /// The answer is complete; last event of the stream.
    Done {
        /// The provider's response id, when it gave one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        response_id: Option<String>,
        /// Tokens and timings of the answer, when the edge measured them (absent from older
        /// edges and recorded traffic).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        usage: Option<crate::Usage>,
    },
    /// The answer runs in the provider's background mode and can be resumed if the stream breaks
    /// off: a chat request with [`crate::ResumeFrom`] carrying this handle and the SSE `id:` of
    /// the last event kept continues it (see [`crate::resume`]).
    Resumable {
        /// The sealed handle (sealed to the user; the provider's id is not in the clear).
        handle: String,
    },
}

/// The kind of a [`StreamEvent`], without its fields: one value per variant, named on the wire
/// as in [`crate::names`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventKind {
    /// [`StreamEvent::Started`].
    Started,
    /// [`StreamEvent::TextDelta`].
    TextDelta,
    /// [`StreamEvent::ReasoningDelta`].
    ReasoningDelta,
    /// [`StreamEvent::ToolList`].
    ToolList,
    /// [`StreamEvent::ToolCallStarted`].
    ToolCallStarted,
    /// [`StreamEvent::ToolCallArgumentsDelta`].
    ToolCallArgumentsDelta,
    /// [`StreamEvent::ToolCallResult`].
    ToolCallResult,
    /// [`StreamEvent::ToolCallFailed`].
    ToolCallFailed,
    /// [`StreamEvent::ToolProgress`].
    ToolProgress,
    /// [`StreamEvent::ApprovalRequest`].
    ApprovalRequest,
    /// [`StreamEvent::ElicitationRequest`].
    ElicitationRequest,
    /// [`StreamEvent::AppView`].
    AppView,
    /// [`StreamEvent::Error`].
    Error,
    /// [`StreamEvent::Done`].
    Done,
    /// [`StreamEvent::Resumable`].
    Resumable,
}

/// Where a tool listing or call stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ToolStatus {
    /// Still running.
    InProgress,
    /// Finished well.
    Completed,
    /// Finished badly.
    Failed,
}

/// An error as the widget sees it, in an `error` event or a JSON error body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    /// Stable, machine-readable code.
    pub code: ErrorCode,
    /// A message safe to show: never a token, a key or an upstream body.
    pub message: String,
    /// Trying the same request again may succeed.
    pub retryable: bool,
}

/// The JSON body of a non-2xx answer from the edge: `{"error": {...}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorResponse {
    /// The error.
    pub error: ApiError,
}

/// Stable error codes. New codes may appear; an unknown one decodes as [`ErrorCode::Unknown`].
/// Their wire names are listed in [`crate::names`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// No `Authorization: Bearer` token: the user must sign in through Pomerium.
    Unauthorized,
    /// The request body is not a valid chat request.
    BadRequest,
    /// A requested server id is not in the user's Pomerium server list.
    UnknownServer,
    /// The requested model is not in the edge's allow-list.
    ModelNotAllowed,
    /// The request's origin is not allowed (CORS), or an assertion check failed.
    Forbidden,
    /// The body is larger than the edge accepts.
    PayloadTooLarge,
    /// The body is not `application/json`.
    UnsupportedMediaType,
    /// No such route.
    NotFound,
    /// The route exists but not for this method.
    MethodNotAllowed,
    /// Pomerium's server list could not be fetched or read.
    PomeriumUnavailable,
    /// The edge has no model provider configured.
    ProviderNotConfigured,
    /// The provider refused the edge's credentials.
    ProviderAuth,
    /// The provider is rate limiting.
    ProviderRateLimited,
    /// The provider could not reach an MCP server.
    McpServerUnreachable,
    /// The provider is down or overloaded.
    ProviderUnavailable,
    /// The provider reported another error.
    ProviderError,
    /// The provider stopped before the answer was complete.
    ResponseIncomplete,
    /// The stream ended without a final event.
    StreamInterrupted,
    /// The provider did not answer in time.
    ProviderTimeout,
    /// The model kept asking for tools past the edge's round limit (edge tool mode).
    ToolRoundsExceeded,
    /// The model asked for more tool calls in one round than the edge allows.
    ToolCallsPerRoundExceeded,
    /// The model asked for more tool calls in one answer than the edge allows.
    ToolCallsExceeded,
    /// The tools of one answer returned more bytes in total than the edge allows.
    ToolOutputExceeded,
    /// The model's arguments for one tool call are larger than the edge allows.
    ToolArgumentsTooLarge,
    /// The answer took longer than the edge's wall-time limit.
    AnswerTimeout,
    /// An upstream (the provider's stream or an MCP server's reply) sent a line, event or body
    /// larger than the edge reads.
    UpstreamTooLarge,
    /// A continuation (`previous_response_id`, `approval_request_id`) is missing its seal, was
    /// sealed for another user or use, was altered, or has expired.
    InvalidContinuation,
    /// The answer to an elicitation does not fit the server's form (a missing required field, a
    /// value of the wrong type or out of range, a field the form does not have).
    InvalidElicitation,
    /// A setting of the edge does not parse or is missing, and the request needs it (the message
    /// names the setting; `/api/health` lists the problem).
    InvalidConfiguration,
    /// An MCP App asked to call a tool that the server's policy or the tool's visibility does
    /// not let an app call.
    ToolNotAllowed,
    /// An MCP App asked to call a tool that needs the user's approval (apps may call only
    /// tools that run without it).
    ToolNeedsApproval,
    /// An attachment is larger than `MAX_ATTACHMENT_BYTES`, or all of them together larger
    /// than `MAX_ATTACHMENTS_TOTAL_BYTES` (see [`crate::attachment`]).
    AttachmentTooLarge,
    /// An attachment's type is not one of `ATTACHMENT_TYPES` (or a PDF where the provider takes
    /// no files).
    AttachmentTypeNotAllowed,
    /// More than `MAX_ATTACHMENTS` attachments in one request.
    TooManyAttachments,
    /// An attachment is malformed: not a base64 `data:` URL, bytes that are not what its type
    /// says, a bad name, or attached to a turn that is not the user's.
    AttachmentInvalid,
    /// A hosted tool the edge does not enable for the chosen model.
    HostedToolNotEnabled,
    /// The browser could not reach the edge at all (set by the widget, never sent by the edge).
    NetworkError,
    /// The runtime in front of the edge refused the request before the edge ran: its instance
    /// pool is full (a 5xx whose body is not the edge's JSON, or a connection reset). Set by the
    /// widget, never sent by the edge; the widget retries with backoff and jitter.
    EdgeBusy,
    /// A fault inside the edge.
    Internal,
    /// A code this version does not know.
    #[serde(other)]
    Unknown,
}

/// Why an SSE frame did not decode into a [`StreamEvent`].
#[derive(Debug)]
pub struct EventDecodeError(serde_json::Error);

impl std::fmt::Display for EventDecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "invalid stream event: {}", self.0)
    }
}

impl std::error::Error for EventDecodeError {}

impl StreamEvent {
    /// The event's kind; its wire name ([`EventKind::as_str`]) is the SSE event name and the
    /// `type` field of the JSON.
    pub fn kind(&self) -> EventKind {
        match self {
            Self::Started { .. } => EventKind::Started,
            Self::TextDelta { .. } => EventKind::TextDelta,
            Self::ReasoningDelta { .. } => EventKind::ReasoningDelta,
            Self::ToolList { .. } => EventKind::ToolList,
            Self::ToolCallStarted { .. } => EventKind::ToolCallStarted,
            Self::ToolCallArgumentsDelta { .. } => EventKind::ToolCallArgumentsDelta,
            Self::ToolCallResult { .. } => EventKind::ToolCallResult,
            Self::ToolCallFailed { .. } => EventKind::ToolCallFailed,
            Self::ToolProgress { .. } => EventKind::ToolProgress,
            Self::ApprovalRequest { .. } => EventKind::ApprovalRequest,
            Self::ElicitationRequest { .. } => EventKind::ElicitationRequest,
            Self::AppView { .. } => EventKind::AppView,
            Self::Error(_) => EventKind::Error,
            Self::Done { .. } => EventKind::Done,
            Self::Resumable { .. } => EventKind::Resumable,
        }
    }

    /// True for the events that end a stream (`done`, `error`).
    pub fn is_terminal(&self) -> bool {
        matches!(self, Self::Done { .. } | Self::Error(_))
    }

    /// Decodes the `data` of one SSE frame.
    pub fn from_frame(frame: &Frame) -> Result<Self, EventDecodeError> {
        serde_json::from_str(&frame.data).map_err(EventDecodeError)
    }

    /// Shorthand for an [`StreamEvent::Error`].
    pub fn error(code: ErrorCode, message: impl Into<String>, retryable: bool) -> Self {
        Self::Error(ApiError {
            code,
            message: message.into(),
            retryable,
        })
    }
}

impl ErrorCode {
    /// The HTTP status the edge answers with when this error ends a request before streaming.
    pub fn http_status(self) -> u16 {
        match self {
            Self::Unauthorized => 401,
            Self::BadRequest
            | Self::UnknownServer
            | Self::ModelNotAllowed
            | Self::InvalidElicitation
            | Self::AttachmentTypeNotAllowed
            | Self::TooManyAttachments
            | Self::AttachmentInvalid
            | Self::HostedToolNotEnabled => 400,
            Self::Forbidden
            | Self::InvalidContinuation
            | Self::ToolNotAllowed
            | Self::ToolNeedsApproval => 403,
            Self::PayloadTooLarge | Self::AttachmentTooLarge => 413,
            Self::UnsupportedMediaType => 415,
            Self::ProviderTimeout | Self::AnswerTimeout => 504,
            Self::NotFound => 404,
            Self::MethodNotAllowed => 405,
            Self::PomeriumUnavailable | Self::McpServerUnreachable | Self::UpstreamTooLarge => 502,
            Self::ProviderNotConfigured
            | Self::ProviderUnavailable
            | Self::InvalidConfiguration
            | Self::EdgeBusy => 503,
            Self::ProviderRateLimited => 429,
            Self::ProviderAuth
            | Self::ProviderError
            | Self::ResponseIncomplete
            | Self::StreamInterrupted
            | Self::ToolRoundsExceeded
            | Self::ToolCallsPerRoundExceeded
            | Self::ToolCallsExceeded
            | Self::ToolOutputExceeded
            | Self::ToolArgumentsTooLarge
            | Self::NetworkError
            | Self::Internal
            | Self::Unknown => 500,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_event_is_flat_json() {
        let json = serde_json::to_string(&StreamEvent::error(
            ErrorCode::ProviderRateLimited,
            "slow down",
            true,
        ))
        .unwrap();
        assert_eq!(
            json,
            r#"{"type":"error","code":"provider_rate_limited","message":"slow down","retryable":true}"#
        );
    }

    #[test]
    fn done_with_usage_round_trips_and_old_done_still_parses() {
        let done = StreamEvent::Done {
            response_id: Some("r".into()),
            usage: Some(crate::Usage::EXAMPLE),
        };
        let frame = crate::sse::encode(&done);
        let frames = crate::sse::Decoder::default().push(frame.as_bytes());
        assert_eq!(StreamEvent::from_frame(&frames[0]).unwrap(), done);
        let old: StreamEvent = serde_json::from_str(r#"{"type":"done"}"#).unwrap();
        assert_eq!(
            old,
            StreamEvent::Done {
                response_id: None,
                usage: None
            }
        );
        let bare = serde_json::to_string(&old).unwrap();
        assert_eq!(bare, r#"{"type":"done"}"#);
    }

    #[test]
    fn unknown_error_code_decodes() {
        let err: ApiError =
            serde_json::from_str(r#"{"code":"brand_new","message":"m","retryable":false}"#)
                .unwrap();
        assert_eq!(err.code, ErrorCode::Unknown);
    }
}
