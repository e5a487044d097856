//! The contract between the widget and the edge of Pomerium Chat.
//!
//! Both ends depend on this crate and it depends on neither, so a wire shape is defined once,
//! here. It is pure Rust and builds for the host, `wasm32-wasip2` and `wasm32-unknown-unknown`.
//!
//! | module | owns |
//! |---|---|
//! | [`apps`] | MCP Apps: a view's tool call through the edge, and the bounds of views |
//! | [`chat`] | the chat request: structured turns, server ids, optional model |
//! | [`servers`] | the list of MCP servers the edge offers to the widget |
//! | [`event`] | the stream events and the error shape with its stable codes |
//! | [`prompts`] | server prompts as `/` commands: the list, the request, the fetched text |
//! | [`parts`] | the typed parts of a rich tool result (image, audio, link, table, ...) |
//! | [`names`] | the wire name of every error code, event kind, tool status and role |
//! | [`identity`] | the signed-in user the edge verified (`GET /api/me`) |
//! | [`usage`] | the tokens and timings of one answer, read from untrusted counts |
//! | [`resume`] | resuming a broken-off answer: where the widget continues ([`ResumeFrom`]) and which events it keeps ([`Groups`]) |
//! | [`sse`] | the SSE encoder and the incremental SSE decoder (bytes in, frames out) |
//!
//! ```
//! use protocol::{sse, StreamEvent};
//!
//! let bytes = sse::encode(&StreamEvent::TextDelta { delta: "Hé".into() });
//! let mut decoder = sse::Decoder::default();
//! let frames = decoder.push(bytes.as_bytes());
//! assert_eq!(StreamEvent::from_frame(&frames[0]).unwrap(), StreamEvent::TextDelta { delta: "Hé".into() });
//! ```
#![deny(missing_docs)]

pub mod apps;
pub mod attachment;
pub mod chat;
pub mod elicitation;
pub mod event;
pub mod identity;
pub mod names;
pub mod parts;
pub mod prompts;
pub mod resume;
pub mod servers;
pub mod sse;
pub mod usage;

pub use apps::{AppToolCall, AppToolResult};
pub use attachment::Attachment;
pub use chat::{ApprovalDecision, ChatRequest, RequestError, Role, Turn};
pub use elicitation::{
    Bound, Content, ElicitAction, ElicitationReply, FieldInput, FieldOption, FormField, ReplyValue,
};
pub use event::{ApiError, ErrorCode, ErrorResponse, EventKind, StreamEvent, ToolStatus};
pub use identity::Identity;
pub use parts::ResultPart;
pub use prompts::{
    PromptArgument, PromptInfo, PromptList, PromptMessages, PromptRequest, PromptText,
};
pub use resume::{CancelRequest, Groups, ResumeFrom};
pub use servers::{DisconnectRequest, HostedToolOffer, ModelList, ServerInfo, ServerList};
pub use sse::{Decoder, Frame};
pub use usage::Usage;
