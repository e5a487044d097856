//! The wire's JSON, read and written through the browser's own `JSON` instead of serde.
//!
//! The shapes are the ones `protocol/` defines (this module builds and reads those same types);
//! only the codec differs. serde_json with derived impls costs about 40 KB gzipped in the
//! bundle (generic deserializers, internally tagged enums, float formatting), while
//! `JSON.parse`/`JSON.stringify` plus a field lookup per value costs almost nothing. The tests
//! prove both codecs agree: every event kind, error code, server list and request is encoded
//! with serde and decoded here, or the other way round.
//!
//! Unknown fields are ignored; an unknown event `type` or a missing required field gives
//! `None`, so a newer edge can add events without breaking an older widget. Every name on the
//! wire (event types, error codes, tool statuses, roles) comes from `protocol::names`, never
//! from a list of our own.

use js_sys::{Array, JSON, Object, Reflect};
use protocol::{
    ApiError, ChatRequest, DisconnectRequest, ErrorCode, EventKind, Identity, ModelList,
    ServerInfo, ServerList, StreamEvent, ToolStatus, Usage,
};
use wasm_bindgen::{JsCast, JsValue};

/// The error code with this wire name; [`ErrorCode::Unknown`] for a name this version lacks
/// (as serde decodes it).
pub(crate) fn code_from_name(name: &str) -> ErrorCode {
    ErrorCode::from_name(name).unwrap_or(ErrorCode::Unknown)
}

/// Parses JSON text; `None` when it is not JSON.
pub(crate) fn parse(text: &str) -> Option<JsValue> {
    JSON::parse(text).ok()
}

/// `JSON.stringify(value)`.
pub(crate) fn stringify(value: &JsValue) -> String {
    JSON::stringify(value)
        .ok()
        .and_then(|s| s.as_string())
        .unwrap_or_default()
}

/// `obj[key]`, or `undefined`.
pub(crate) fn get(obj: &JsValue, key: &str) -> JsValue {
    if !obj.is_object() {
        return JsValue::UNDEFINED;
    }
    Reflect::get(obj, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

/// `obj[key]` when it is a string.
pub(crate) fn string(obj: &JsValue, key: &str) -> Option<String> {
    get(obj, key).as_string()
}

/// `obj[key]` when it is a boolean; `false` otherwise.
pub(crate) fn flag(obj: &JsValue, key: &str) -> bool {
    get(obj, key).as_bool().unwrap_or(false)
}

/// `obj[key]` as an array (empty when it is not one).
pub(crate) fn array(obj: &JsValue, key: &str) -> Vec<JsValue> {
    match get(obj, key).dyn_into::<Array>() {
        Ok(items) => items.iter().collect(),
        Err(_) => Vec::new(),
    }
}

/// `obj[key]` as a list of strings, skipping anything else.
pub(crate) fn strings(obj: &JsValue, key: &str) -> Vec<String> {
    array(obj, key)
        .iter()
        .filter_map(JsValue::as_string)
        .collect()
}

/// A fresh `{}`.
pub(crate) fn object() -> JsValue {
    Object::new().into()
}

/// `obj[key] = value`.
pub(crate) fn set(obj: &JsValue, key: &str, value: impl Into<JsValue>) {
    // Setting a property on a plain object cannot fail.
    let _ = Reflect::set(obj, &JsValue::from_str(key), &value.into());
}

/// A JS array of strings.
pub(crate) fn string_array(items: &[String]) -> Array {
    items.iter().map(|s| JsValue::from_str(s)).collect()
}

/// Decodes the `data` of one stream frame.
pub(crate) fn decode_event(data: &str) -> Option<StreamEvent> {
    let v = parse(data)?;
    let s = |key: &str| string(&v, key);
    let event = match EventKind::from_name(&s("type")?)? {
        EventKind::Started => StreamEvent::Started {
            request_id: s("request_id")?,
        },
        EventKind::TextDelta => StreamEvent::TextDelta { delta: s("delta")? },
        EventKind::ReasoningDelta => StreamEvent::ReasoningDelta { delta: s("delta")? },
        EventKind::ToolList => StreamEvent::ToolList {
            server: s("server")?,
            status: ToolStatus::from_name(&s("status")?)?,
            tools: strings(&v, "tools"),
        },
        EventKind::ToolCallStarted => StreamEvent::ToolCallStarted {
            call_id: s("call_id")?,
            server: s("server")?,
            tool: s("tool")?,
        },
        EventKind::ToolCallArgumentsDelta => StreamEvent::ToolCallArgumentsDelta {
            call_id: s("call_id")?,
            delta: s("delta")?,
        },
        EventKind::ToolCallResult => StreamEvent::ToolCallResult {
            call_id: s("call_id")?,
            output: s("output")?,
        },
        EventKind::ToolCallFailed => StreamEvent::ToolCallFailed {
            call_id: s("call_id")?,
            error: s("error")?,
        },
        EventKind::ToolProgress => StreamEvent::ToolProgress {
            call_id: s("call_id")?,
            percent: get(&v, "percent")
                .as_f64()
                .filter(|p| (0.0..=100.0).contains(p))
                .map(|p| p as u8),
            message: s("message"),
        },
        EventKind::ApprovalRequest => StreamEvent::ApprovalRequest {
            approval_request_id: s("approval_request_id")?,
            server: s("server")?,
            tool: s("tool")?,
            arguments: s("arguments")?,
        },
        EventKind::Error => StreamEvent::Error(decode_error(&v)?),
        EventKind::Done => StreamEvent::Done {
            response_id: s("response_id"),
            usage: decode_usage(&get(&v, "usage")),
        },
        EventKind::Resumable => StreamEvent::Resumable {
            handle: s("handle")?,
        },
    };
    Some(event)
}

/// A `done` event's usage (none unless an object). Each number is untrusted: anything but a
/// non-negative number reads as 0 (`first_token_ms`: none); fractions are cut and large
/// numbers saturate (the edge caps them at [`Usage::MAX`] already).
pub(crate) fn decode_usage(v: &JsValue) -> Option<Usage> {
    if !v.is_object() {
        return None;
    }
    let n = |key: &str| get(v, key).as_f64().filter(|n| *n >= 0.0).map(|n| n as u64);
    let z = |key: &str| n(key).unwrap_or(0);
    Some(Usage {
        input_tokens: z("input_tokens"),
        output_tokens: z("output_tokens"),
        reasoning_tokens: z("reasoning_tokens"),
        cached_tokens: z("cached_tokens"),
        first_token_ms: n("first_token_ms"),
        total_ms: z("total_ms"),
        tool_ms: z("tool_ms"),
    })
}

/// `u` as the wire's usage object (for the host page's `pomerium-chat:message`).
pub(crate) fn encode_usage(u: &Usage) -> JsValue {
    let v = object();
    let n = |n: u64| JsValue::from_f64(n as f64);
    set(&v, "input_tokens", n(u.input_tokens));
    set(&v, "output_tokens", n(u.output_tokens));
    set(&v, "reasoning_tokens", n(u.reasoning_tokens));
    set(&v, "cached_tokens", n(u.cached_tokens));
    set(
        &v,
        "first_token_ms",
        u.first_token_ms.map_or(JsValue::NULL, n),
    );
    set(&v, "total_ms", n(u.total_ms));
    set(&v, "tool_ms", n(u.tool_ms));
    v
}

/// An [`ApiError`] object.
pub(crate) fn decode_error(v: &JsValue) -> Option<ApiError> {
    Some(ApiError {
        code: code_from_name(&string(v, "code")?),
        message: string(v, "message")?,
        retryable: get(v, "retryable").as_bool()?,
    })
}

/// The error of an `ErrorResponse` body (`{"error": {...}}`).
pub(crate) fn decode_error_response(text: &str) -> Option<ApiError> {
    decode_error(&get(&parse(text)?, "error"))
}

/// A `ServerList` body.
pub(crate) fn decode_server_list(text: &str) -> Option<ServerList> {
    let v = parse(text)?;
    if !get(&v, "servers").is_array() {
        return None;
    }
    let servers = array(&v, "servers")
        .iter()
        .filter_map(|s| {
            Some(ServerInfo {
                id: string(s, "id")?,
                name: string(s, "name")?,
                description: string(s, "description"),
                logo_url: string(s, "logo_url"),
                url: string(s, "url").unwrap_or_default(),
                connected: flag(s, "connected"),
                needs_oauth: flag(s, "needs_oauth"),
                connect_url: string(s, "connect_url"),
            })
        })
        .collect();
    Some(ServerList { servers })
}

/// A `ModelList` body.
pub(crate) fn decode_model_list(text: &str) -> Option<ModelList> {
    let v = parse(text)?;
    if !get(&v, "models").is_array() {
        return None;
    }
    Some(ModelList {
        models: strings(&v, "models"),
        default: string(&v, "default")?,
        notice: string(&v, "notice"),
    })
}

/// The `Identity` of `GET /api/me`; `None` unless `subject` is a non-empty string.
pub(crate) fn decode_identity(text: &str) -> Option<Identity> {
    let v = parse(text)?;
    Some(Identity {
        subject: string(&v, "subject").filter(|s| !s.is_empty())?,
        email: string(&v, "email"),
        name: string(&v, "name"),
        sign_out_url: string(&v, "sign_out_url"),
    })
}

/// A `ChatRequest` as JSON text; empty optional fields are left out, as serde does.
pub(crate) fn encode_chat_request(request: &ChatRequest) -> String {
    let body = object();
    let messages: Array = request
        .messages
        .iter()
        .map(|turn| {
            let t = object();
            set(&t, "role", turn.role.as_str());
            set(&t, "content", turn.content.as_str());
            t
        })
        .collect();
    set(&body, "messages", messages);
    set(&body, "servers", string_array(&request.servers));
    if let Some(model) = &request.model {
        set(&body, "model", model.as_str());
    }
    if let Some(id) = &request.previous_response_id {
        set(&body, "previous_response_id", id.as_str());
    }
    if let Some(resume) = &request.resume {
        let r = object();
        set(&r, "handle", resume.handle.as_str());
        set(&r, "after", resume.after as f64);
        set(&body, "resume", r);
    }
    if !request.approvals.is_empty() {
        let approvals: Array = request
            .approvals
            .iter()
            .map(|a| {
                let d = object();
                set(&d, "approval_request_id", a.approval_request_id.as_str());
                set(&d, "approve", a.approve);
                d
            })
            .collect();
        set(&body, "approvals", approvals);
    }
    stringify(&body)
}

/// A `DisconnectRequest` as JSON text.
pub(crate) fn encode_disconnect(request: &DisconnectRequest) -> String {
    let body = object();
    set(&body, "servers", string_array(&request.servers));
    stringify(&body)
}

#[cfg(test)]
mod tests {
    use protocol::{ApprovalDecision, Role, Turn, sse};
    use wasm_bindgen_test::wasm_bindgen_test;

    use super::*;

    fn all_events() -> Vec<StreamEvent> {
        vec![
            StreamEvent::Started {
                request_id: "req_1".into(),
            },
            StreamEvent::TextDelta {
                delta: "Grüße \"quoted\" \\ 🚀\n".into(),
            },
            StreamEvent::ReasoningDelta {
                delta: "thinking".into(),
            },
            StreamEvent::ToolList {
                server: "northwind".into(),
                status: ToolStatus::Completed,
                tools: vec!["read_query".into(), "list_tables".into()],
            },
            StreamEvent::ToolList {
                server: "wiki".into(),
                status: ToolStatus::InProgress,
                tools: vec![],
            },
            StreamEvent::ToolList {
                server: "wiki".into(),
                status: ToolStatus::Failed,
                tools: vec![],
            },
            StreamEvent::ToolCallStarted {
                call_id: "c1".into(),
                server: "northwind".into(),
                tool: "read_query".into(),
            },
            StreamEvent::ToolCallArgumentsDelta {
                call_id: "c1".into(),
                delta: "{\"query\":".into(),
            },
            StreamEvent::ToolCallResult {
                call_id: "c1".into(),
                output: "[1]".into(),
            },
            StreamEvent::ToolCallFailed {
                call_id: "c1".into(),
                error: "boom".into(),
            },
            StreamEvent::ToolProgress {
                call_id: "c1".into(),
                percent: Some(75),
                message: Some("step 3 of 4".into()),
            },
            StreamEvent::ToolProgress {
                call_id: "c1".into(),
                percent: None,
                message: None,
            },
            StreamEvent::ApprovalRequest {
                approval_request_id: "mcpr_1".into(),
                server: "northwind".into(),
                tool: "read_query".into(),
                arguments: "{\"query\":\"select 1\"}".into(),
            },
            StreamEvent::error(ErrorCode::ProviderRateLimited, "slow down", true),
            StreamEvent::Done {
                response_id: None,
                usage: None,
            },
            StreamEvent::Done {
                response_id: Some("resp_1".into()),
                usage: Some(Usage::EXAMPLE),
            },
            StreamEvent::Resumable {
                handle: "v1.eyJyIjoicmVzcF8xIn0.1800000600.mac".into(),
            },
        ]
    }

    #[wasm_bindgen_test]
    fn every_event_the_protocol_encodes_decodes_to_itself() {
        let events = all_events();
        for kind in EventKind::ALL {
            assert!(
                events.iter().any(|e| e.kind() == kind),
                "no {kind:?} sample"
            );
        }
        for event in events {
            let frame = sse::encode(&event);
            let data = frame
                .lines()
                .find_map(|l| l.strip_prefix("data: "))
                .unwrap();
            assert_eq!(decode_event(data), Some(event.clone()), "{frame}");
        }
    }

    #[wasm_bindgen_test]
    fn unknown_or_incomplete_events_are_skipped() {
        assert_eq!(decode_event(r#"{"type":"brand_new","x":1}"#), None);
        assert_eq!(decode_event(r#"{"type":"text_delta"}"#), None);
        assert_eq!(decode_event("not json"), None);
        assert_eq!(
            decode_event(r#"{"type":"text_delta","delta":"a","extra":{"b":[1,2.5]}}"#),
            Some(StreamEvent::TextDelta { delta: "a".into() })
        );
    }

    #[wasm_bindgen_test]
    fn every_error_code_decodes_from_its_serde_name() {
        for code in ErrorCode::ALL {
            let body = serde_json::to_string(&ApiError {
                code,
                message: "m".into(),
                retryable: true,
            })
            .unwrap();
            assert_eq!(decode_error(&parse(&body).unwrap()).unwrap().code, code);
        }
        assert_eq!(code_from_name("brand_new"), ErrorCode::Unknown);
    }

    #[wasm_bindgen_test]
    fn server_and_model_lists_decode_like_serde() {
        let text = r#"{"servers":[
          {"id":"northwind","name":"Northwind","description":"Orders","logo_url":"https://l/x.png","url":"https://db/mcp","connected":true,"needs_oauth":true,"connect_url":"https://db/.pomerium/mcp/connect?x=1","extra":1},
          {"id":"wiki","name":"Wiki","url":"https://wiki/mcp"}]}"#;
        let serde: ServerList = serde_json::from_str(text).unwrap();
        assert_eq!(decode_server_list(text), Some(serde));
        assert_eq!(decode_server_list(r#"{"nope":1}"#), None);
        let models = r#"{"models":["gpt-a","gpt-b"],"default":"gpt-a"}"#;
        let serde: ModelList = serde_json::from_str(models).unwrap();
        assert_eq!(decode_model_list(models), Some(serde));
        let with_notice = r#"{"models":["demo"],"default":"demo","notice":"demo model"}"#;
        let serde: ModelList = serde_json::from_str(with_notice).unwrap();
        assert_eq!(serde.notice.as_deref(), Some("demo model"));
        assert_eq!(decode_model_list(with_notice), Some(serde));
        assert_eq!(decode_model_list("<html>"), None);
    }

    #[wasm_bindgen_test]
    fn requests_encode_like_serde() {
        let mut request = ChatRequest {
            messages: vec![
                Turn {
                    role: Role::User,
                    content: "héllo \"you\"\n".into(),
                },
                Turn {
                    role: Role::Assistant,
                    content: "hi".into(),
                },
                Turn {
                    role: Role::User,
                    content: "more".into(),
                },
            ],
            servers: vec!["northwind".into()],
            model: None,
            previous_response_id: None,
            approvals: vec![],
            resume: None,
        };
        let same = |r: &ChatRequest| {
            let ours: serde_json::Value = serde_json::from_str(&encode_chat_request(r)).unwrap();
            assert_eq!(ours, serde_json::to_value(r).unwrap());
        };
        same(&request);
        request.model = Some("gpt-b".into());
        request.previous_response_id = Some("resp_1".into());
        request.approvals = vec![
            ApprovalDecision {
                approval_request_id: "mcpr_1".into(),
                approve: true,
            },
            ApprovalDecision {
                approval_request_id: "mcpr_2".into(),
                approve: false,
            },
        ];
        same(&request);
        request.approvals.clear();
        request.previous_response_id = None;
        request.resume = Some(protocol::ResumeFrom {
            handle: "v1.h.1.m".into(),
            after: 9_007_199_254_740_991,
        });
        same(&request);
        let disconnect = DisconnectRequest {
            servers: vec!["a".into()],
        };
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&encode_disconnect(&disconnect)).unwrap(),
            serde_json::to_value(&disconnect).unwrap()
        );
    }

    #[wasm_bindgen_test]
    fn error_bodies_decode() {
        assert_eq!(
            decode_error_response(
                r#"{"error":{"code":"unknown_server","message":"no server x","retryable":false}}"#
            ),
            Some(ApiError {
                code: ErrorCode::UnknownServer,
                message: "no server x".into(),
                retryable: false
            })
        );
        assert_eq!(decode_error_response("<html>"), None);
        assert_eq!(decode_error_response(r#"{"error":"unauthorized"}"#), None);
    }
}
