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
    ApiError, Bound, ChatRequest, DisconnectRequest, ErrorCode, EventKind, FieldInput, FieldOption,
    FormField, Identity, ModelList, PromptArgument, PromptInfo, PromptList, PromptMessages,
    PromptText, ReplyValue, ResultPart, ServerInfo, ServerList, StreamEvent, ToolStatus, Usage,
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
            parts: array(&v, "parts").iter().filter_map(decode_part).collect(),
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
        EventKind::ElicitationRequest => StreamEvent::ElicitationRequest {
            elicitation_id: s("elicitation_id")?,
            call_id: s("call_id")?,
            message: s("message").unwrap_or_default(),
            fields: array(&v, "fields")
                .iter()
                .map(decode_field)
                .collect::<Option<_>>()?,
            url: s("url"),
        },
        EventKind::AppView => StreamEvent::AppView {
            call_id: s("call_id")?,
            uri: s("uri")?,
            handle: s("handle")?,
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

/// One part of a rich tool result; `None` for an unknown `type` or a missing field.
pub(crate) fn decode_part(v: &JsValue) -> Option<ResultPart> {
    let s = |key: &str| string(v, key);
    Some(match s("type")?.as_str() {
        "text" => ResultPart::Text { text: s("text")? },
        "image" => ResultPart::Image {
            mime_type: s("mime_type")?,
            data: s("data")?,
        },
        "audio" => ResultPart::Audio {
            mime_type: s("mime_type")?,
            data: s("data")?,
        },
        "link" => ResultPart::Link {
            uri: s("uri")?,
            title: s("title")?,
        },
        "reference" => ResultPart::Reference {
            uri: s("uri")?,
            title: s("title")?,
        },
        "resource" => ResultPart::Resource {
            uri: s("uri")?,
            text: s("text")?,
        },
        "table" => ResultPart::Table {
            columns: strings(v, "columns"),
            rows: array(v, "rows")
                .into_iter()
                .map(|row| {
                    row.dyn_into::<Array>()
                        .map(|cells| cells.iter().filter_map(|c| c.as_string()).collect())
                        .unwrap_or_default()
                })
                .collect(),
        },
        "json" => ResultPart::Json { json: s("json")? },
        "omitted" => ResultPart::Omitted {
            kind: s("kind")?,
            reason: s("reason")?,
        },
        _ => return None,
    })
}

/// One field of an `elicitation_request` form.
fn decode_field(v: &JsValue) -> Option<FormField> {
    let number = |key: &str| get(v, key).as_f64().filter(|x| x.is_finite()).map(Bound);
    Some(FormField {
        name: string(v, "name")?,
        title: string(v, "title")?,
        description: string(v, "description").unwrap_or_default(),
        required: flag(v, "required"),
        input: FieldInput::from_name(&string(v, "input")?)?,
        options: array(v, "options")
            .iter()
            .filter_map(|o| {
                Some(FieldOption {
                    value: string(o, "value")?,
                    label: string(o, "label")?,
                })
            })
            .collect(),
        min: number("min"),
        max: number("max"),
        default: string(v, "default"),
    })
}

/// A reply's value as JSON (strings, numbers, booleans, lists of strings).
fn value_to_js(value: &ReplyValue) -> JsValue {
    match value {
        ReplyValue::Text(s) => JsValue::from_str(s),
        ReplyValue::Number(Bound(x)) => JsValue::from_f64(*x),
        ReplyValue::Bool(b) => JsValue::from_bool(*b),
        ReplyValue::List(items) => string_array(items).into(),
    }
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
        hosted_tools: array(&v, "hosted_tools")
            .iter()
            .filter_map(|o| {
                Some(protocol::HostedToolOffer {
                    name: string(o, "name")?,
                    models: strings(o, "models"),
                })
            })
            .collect(),
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

/// A `PromptList` body.
pub(crate) fn decode_prompt_list(text: &str) -> Option<PromptList> {
    let v = parse(text)?;
    let prompts = array(&v, "prompts")
        .iter()
        .filter_map(|p| {
            Some(PromptInfo {
                server: string(p, "server")?,
                name: string(p, "name")?,
                title: string(p, "title")?,
                description: string(p, "description").unwrap_or_default(),
                arguments: array(p, "arguments")
                    .iter()
                    .filter_map(|a| {
                        Some(PromptArgument {
                            name: string(a, "name")?,
                            title: string(a, "title")?,
                            description: string(a, "description"),
                            required: flag(a, "required"),
                        })
                    })
                    .collect(),
            })
        })
        .collect();
    Some(PromptList { prompts })
}

/// A `PromptMessages` body.
pub(crate) fn decode_prompt_messages(text: &str) -> Option<PromptMessages> {
    let v = parse(text)?;
    let messages = array(&v, "messages")
        .iter()
        .filter_map(|m| {
            Some(PromptText {
                role: string(m, "role")?,
                text: string(m, "text")?,
            })
        })
        .collect();
    Some(PromptMessages { messages })
}

/// A `PromptRequest` for prompt `name` of `server` with these argument values, as JSON text.
pub(crate) fn encode_prompt_request(
    server: &str,
    name: &str,
    values: &[(String, String)],
) -> String {
    let body = object();
    set(&body, "server", server);
    set(&body, "name", name);
    let arguments = object();
    for (key, value) in values {
        set(&arguments, key, value.as_str());
    }
    set(&body, "arguments", arguments);
    stringify(&body)
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
            if !turn.attachments.is_empty() {
                let files: Array = turn
                    .attachments
                    .iter()
                    .map(|a| {
                        let f = object();
                        set(&f, "name", a.name.as_str());
                        set(&f, "data", a.data.as_str());
                        f
                    })
                    .collect();
                set(&t, "attachments", files);
            }
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
    if !request.hosted_tools.is_empty() {
        set(&body, "hosted_tools", string_array(&request.hosted_tools));
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
    if let Some(reply) = &request.elicitation {
        let r = object();
        set(&r, "elicitation_id", reply.elicitation_id.as_str());
        set(&r, "action", reply.action.as_str());
        if !reply.content.is_empty() {
            let content = object();
            for (name, value) in &reply.content.0 {
                set(&content, name, value_to_js(value));
            }
            set(&r, "content", content);
        }
        set(&body, "elicitation", r);
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
            StreamEvent::ElicitationRequest {
                elicitation_id: "v1.e".into(),
                call_id: "call_1".into(),
                message: "Which year?".into(),
                fields: vec![
                    FormField {
                        name: "year".into(),
                        title: "Year".into(),
                        description: "The year".into(),
                        required: true,
                        input: FieldInput::Integer,
                        options: vec![],
                        min: Some(Bound(1996.0)),
                        max: Some(Bound(1998.5)),
                        default: Some("1997".into()),
                    },
                    FormField {
                        name: "region".into(),
                        title: "Region".into(),
                        description: String::new(),
                        required: false,
                        input: FieldInput::Multi,
                        options: vec![FieldOption {
                            value: "n".into(),
                            label: "North".into(),
                        }],
                        min: None,
                        max: None,
                        default: None,
                    },
                ],
                url: None,
            },
            StreamEvent::ElicitationRequest {
                elicitation_id: "v1.f".into(),
                call_id: "call_2".into(),
                message: "Sign in".into(),
                fields: vec![],
                url: Some("https://idp.example/x".into()),
            },
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
                parts: Vec::new(),
            },
            StreamEvent::ToolCallResult {
                call_id: "c2".into(),
                output: "rich".into(),
                parts: vec![
                    ResultPart::Text { text: "t".into() },
                    ResultPart::Image {
                        mime_type: "image/png".into(),
                        data: "AAAA".into(),
                    },
                    ResultPart::Audio {
                        mime_type: "audio/wav".into(),
                        data: "UklGRg==".into(),
                    },
                    ResultPart::Link {
                        uri: "https://a.example".into(),
                        title: "A".into(),
                    },
                    ResultPart::Reference {
                        uri: "file:///x".into(),
                        title: "x".into(),
                    },
                    ResultPart::Resource {
                        uri: "note://1".into(),
                        text: "hello".into(),
                    },
                    ResultPart::Table {
                        columns: vec!["a".into(), "b".into()],
                        rows: vec![vec!["1".into(), "".into()]],
                    },
                    ResultPart::Json {
                        json: "{\"n\":1}".into(),
                    },
                    ResultPart::Omitted {
                        kind: "video".into(),
                        reason: "an unknown content type".into(),
                    },
                ],
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
            StreamEvent::AppView {
                call_id: "c1".into(),
                uri: "ui://northwind/chart".into(),
                handle: "v1.x.1.y".into(),
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
    fn prompts_decode_and_encode_like_serde() {
        let text = r#"{"prompts":[{"server":"northwind","name":"sales_review","title":"Sales review",
          "description":"d","arguments":[{"name":"year","title":"Year","description":"1996..1998","required":true}]},
          {"server":"northwind","name":"top","title":"Top"}]}"#;
        let serde: PromptList = serde_json::from_str(text).unwrap();
        assert_eq!(decode_prompt_list(text), Some(serde));
        let messages = r#"{"messages":[{"role":"user","text":"Review 1997"}]}"#;
        let serde: PromptMessages = serde_json::from_str(messages).unwrap();
        assert_eq!(decode_prompt_messages(messages), Some(serde));
        let request = protocol::PromptRequest {
            server: "northwind".into(),
            name: "sales_review".into(),
            arguments: [("year".to_owned(), "1997".to_owned())].into(),
        };
        let values = [("year".to_owned(), "1997".to_owned())];
        let encoded = encode_prompt_request("northwind", "sales_review", &values);
        assert_eq!(
            serde_json::from_str::<protocol::PromptRequest>(&encoded).unwrap(),
            request
        );
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
        let with_notice = r#"{"models":["demo"],"default":"demo","notice":"demo model","hosted_tools":[{"name":"web_search","models":["demo"]}]}"#;
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
                    attachments: vec![protocol::Attachment {
                        name: "a.png".into(),
                        data: "data:image/png;base64,iVBORw0KGgo=".into(),
                    }],
                },
                Turn {
                    role: Role::Assistant,
                    content: "hi".into(),
                    attachments: vec![],
                },
                Turn {
                    role: Role::User,
                    content: "more".into(),
                    attachments: vec![],
                },
            ],
            servers: vec!["northwind".into()],
            model: None,
            previous_response_id: None,
            approvals: vec![],
            elicitation: None,
            hosted_tools: vec![],
            resume: None,
        };
        let same = |r: &ChatRequest| {
            let ours: serde_json::Value = serde_json::from_str(&encode_chat_request(r)).unwrap();
            assert_eq!(ours, serde_json::to_value(r).unwrap());
        };
        same(&request);
        request.model = Some("gpt-b".into());
        request.previous_response_id = Some("resp_1".into());
        request.hosted_tools = vec!["web_search".into()];
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
        request.approvals = vec![];
        request.elicitation = Some(protocol::ElicitationReply {
            elicitation_id: "v1.e".into(),
            action: protocol::ElicitAction::Accept,
            content: protocol::Content(vec![
                ("year".into(), ReplyValue::Number(Bound(1997.0))),
                ("ratio".into(), ReplyValue::Number(Bound(0.5))),
                ("ok".into(), ReplyValue::Bool(false)),
                ("name".into(), ReplyValue::Text("Al \"x\"".into())),
                (
                    "tags".into(),
                    ReplyValue::List(vec!["a".into(), "b".into()]),
                ),
            ]),
        });
        // Whole numbers are written `1997` by the browser and `1997.0` by serde: same value.
        let ours = encode_chat_request(&request);
        assert_eq!(serde_json::from_str::<ChatRequest>(&ours).unwrap(), request);
        request.elicitation = Some(protocol::ElicitationReply {
            elicitation_id: "v1.e".into(),
            action: protocol::ElicitAction::Decline,
            content: protocol::Content::default(),
        });
        same(&request);
        request.elicitation = None;
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
