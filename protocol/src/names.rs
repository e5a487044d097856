//! The wire name of every enum value the protocol sends as a string: error codes, stream event
//! kinds, tool statuses and roles.
//!
//! Each type's names are written once, in one `wire_names!` table below, which gives the type
//! `ALL` (every value, in declaration order), `as_str` (the wire name) and `from_name` (its
//! inverse). `as_str` is an exhaustive `match` built from the same table as `ALL`, so a variant
//! added to a type does not compile until it has its name here, and then it is in `ALL` too.
//! The codecs that do not use serde (the widget's, through the browser's `JSON`) read and write
//! names only through these functions; the tests prove each name equals serde's.

use crate::{ElicitAction, ErrorCode, EventKind, FieldInput, Role, ToolStatus};

/// Implements `ALL`, `as_str` and `from_name` for a fieldless enum from one table of
/// `Variant => "wire_name"` rows.
macro_rules! wire_names {
    ($ty:ident { $($variant:ident => $name:literal,)+ }) => {
        impl $ty {
            /// Every value, in declaration order.
            pub const ALL: [Self; [$($name),+].len()] = [$(Self::$variant),+];

            /// The wire name, equal to serde's.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $name,)+
                }
            }

            /// The value with this wire name; `None` for a name this version does not know.
            pub fn from_name(name: &str) -> Option<Self> {
                Self::ALL.into_iter().find(|value| value.as_str() == name)
            }
        }
    };
}

wire_names!(ErrorCode {
    Unauthorized => "unauthorized",
    BadRequest => "bad_request",
    UnknownServer => "unknown_server",
    ModelNotAllowed => "model_not_allowed",
    Forbidden => "forbidden",
    PayloadTooLarge => "payload_too_large",
    UnsupportedMediaType => "unsupported_media_type",
    NotFound => "not_found",
    MethodNotAllowed => "method_not_allowed",
    PomeriumUnavailable => "pomerium_unavailable",
    ProviderNotConfigured => "provider_not_configured",
    ProviderAuth => "provider_auth",
    ProviderRateLimited => "provider_rate_limited",
    McpServerUnreachable => "mcp_server_unreachable",
    ProviderUnavailable => "provider_unavailable",
    ProviderError => "provider_error",
    ResponseIncomplete => "response_incomplete",
    StreamInterrupted => "stream_interrupted",
    ProviderTimeout => "provider_timeout",
    ToolRoundsExceeded => "tool_rounds_exceeded",
    ToolCallsPerRoundExceeded => "tool_calls_per_round_exceeded",
    ToolCallsExceeded => "tool_calls_exceeded",
    ToolOutputExceeded => "tool_output_exceeded",
    ToolArgumentsTooLarge => "tool_arguments_too_large",
    AnswerTimeout => "answer_timeout",
    UpstreamTooLarge => "upstream_too_large",
    InvalidContinuation => "invalid_continuation",
    InvalidElicitation => "invalid_elicitation",
    InvalidConfiguration => "invalid_configuration",
    ToolNotAllowed => "tool_not_allowed",
    ToolNeedsApproval => "tool_needs_approval",
    AttachmentTooLarge => "attachment_too_large",
    AttachmentTypeNotAllowed => "attachment_type_not_allowed",
    TooManyAttachments => "too_many_attachments",
    AttachmentInvalid => "attachment_invalid",
    HostedToolNotEnabled => "hosted_tool_not_enabled",
    NetworkError => "network_error",
    EdgeBusy => "edge_busy",
    Internal => "internal",
    Unknown => "unknown",
});

wire_names!(EventKind {
    Started => "started",
    TextDelta => "text_delta",
    ReasoningDelta => "reasoning_delta",
    ToolList => "tool_list",
    ToolCallStarted => "tool_call_started",
    ToolCallArgumentsDelta => "tool_call_arguments_delta",
    ToolCallResult => "tool_call_result",
    ToolCallFailed => "tool_call_failed",
    ToolProgress => "tool_progress",
    ApprovalRequest => "approval_request",
    ElicitationRequest => "elicitation_request",
    AppView => "app_view",
    Error => "error",
    Done => "done",
    Resumable => "resumable",
});

wire_names!(ToolStatus {
    InProgress => "in_progress",
    Completed => "completed",
    Failed => "failed",
});

wire_names!(FieldInput {
    Text => "text",
    Email => "email",
    Url => "url",
    Date => "date",
    DateTime => "date_time",
    Number => "number",
    Integer => "integer",
    Boolean => "boolean",
    Choice => "choice",
    Multi => "multi",
});

wire_names!(ElicitAction {
    Accept => "accept",
    Decline => "decline",
    Cancel => "cancel",
});

wire_names!(Role {
    User => "user",
    Assistant => "assistant",
});

#[cfg(test)]
mod tests {
    use serde::Serialize;
    use serde::de::DeserializeOwned;

    use super::*;
    use crate::StreamEvent;

    /// Every value of a serde enum: its name is serde's both ways, and `from_name` inverts
    /// `as_str` (so no two values share a name).
    fn agrees_with_serde<T>(
        all: &[T],
        as_str: fn(T) -> &'static str,
        from_name: fn(&str) -> Option<T>,
    ) where
        T: Copy + PartialEq + std::fmt::Debug + Serialize + DeserializeOwned,
    {
        for &value in all {
            let name = as_str(value);
            assert_eq!(serde_json::to_value(value).unwrap(), name, "{value:?}");
            assert_eq!(serde_json::from_value::<T>(name.into()).unwrap(), value);
            assert_eq!(from_name(name), Some(value), "{name}");
        }
        assert_eq!(from_name("brand_new"), None);
        assert_eq!(from_name(""), None);
    }

    #[test]
    fn error_codes_are_named_like_serde() {
        agrees_with_serde(&ErrorCode::ALL, ErrorCode::as_str, ErrorCode::from_name);
        assert_eq!(
            ErrorCode::from_name("tool_rounds_exceeded"),
            Some(ErrorCode::ToolRoundsExceeded)
        );
        assert_eq!(ErrorCode::ALL.last(), Some(&ErrorCode::Unknown));
    }

    #[test]
    fn tool_statuses_and_roles_are_named_like_serde() {
        agrees_with_serde(&ToolStatus::ALL, ToolStatus::as_str, ToolStatus::from_name);
        agrees_with_serde(&Role::ALL, Role::as_str, Role::from_name);
        agrees_with_serde(&FieldInput::ALL, FieldInput::as_str, FieldInput::from_name);
        agrees_with_serde(
            &ElicitAction::ALL,
            ElicitAction::as_str,
            ElicitAction::from_name,
        );
    }

    /// One event of each kind; the exhaustive `match` makes a new kind name its sample here.
    fn sample(kind: EventKind) -> StreamEvent {
        let s = |text: &str| text.to_owned();
        match kind {
            EventKind::Started => StreamEvent::Started { request_id: s("r") },
            EventKind::TextDelta => StreamEvent::TextDelta { delta: s("a") },
            EventKind::ReasoningDelta => StreamEvent::ReasoningDelta { delta: s("a") },
            EventKind::ToolList => StreamEvent::ToolList {
                server: s("s"),
                status: ToolStatus::Completed,
                tools: vec![s("t")],
            },
            EventKind::ToolCallStarted => StreamEvent::ToolCallStarted {
                call_id: s("c"),
                server: s("s"),
                tool: s("t"),
            },
            EventKind::ToolCallArgumentsDelta => StreamEvent::ToolCallArgumentsDelta {
                call_id: s("c"),
                delta: s("{"),
            },
            EventKind::ToolCallResult => StreamEvent::ToolCallResult {
                call_id: s("c"),
                output: s("o"),
                parts: Vec::new(),
            },
            EventKind::ToolCallFailed => StreamEvent::ToolCallFailed {
                call_id: s("c"),
                error: s("e"),
            },
            EventKind::ToolProgress => StreamEvent::ToolProgress {
                call_id: s("c"),
                percent: Some(50),
                message: Some(s("m")),
            },
            EventKind::ApprovalRequest => StreamEvent::ApprovalRequest {
                approval_request_id: s("a"),
                server: s("s"),
                tool: s("t"),
                arguments: s("{}"),
            },
            EventKind::ElicitationRequest => StreamEvent::ElicitationRequest {
                elicitation_id: s("e"),
                call_id: s("c"),
                message: s("Which year?"),
                fields: vec![crate::FormField {
                    name: s("year"),
                    title: s("Year"),
                    description: String::new(),
                    required: true,
                    input: FieldInput::Integer,
                    options: vec![],
                    min: Some(crate::Bound(1996.0)),
                    max: Some(crate::Bound(1998.0)),
                    default: None,
                }],
                url: None,
            },
            EventKind::AppView => StreamEvent::AppView {
                call_id: s("c"),
                uri: s("ui://s/v"),
                handle: s("h"),
            },
            EventKind::Error => StreamEvent::error(ErrorCode::Internal, "m", false),
            EventKind::Done => StreamEvent::Done {
                response_id: None,
                usage: None,
            },
            EventKind::Resumable => StreamEvent::Resumable { handle: s("h") },
        }
    }

    #[test]
    fn event_kinds_are_named_like_serde_type_tags() {
        for kind in EventKind::ALL {
            let event = sample(kind);
            assert_eq!(event.kind(), kind);
            let json = serde_json::to_value(&event).unwrap();
            assert_eq!(json["type"], kind.as_str(), "{event:?}");
            assert_eq!(EventKind::from_name(kind.as_str()), Some(kind));
        }
        assert_eq!(EventKind::from_name("brand_new"), None);
    }
}
