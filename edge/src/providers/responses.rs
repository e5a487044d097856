//! The Responses API's stream, for both tool modes, and edge mode's request over it.
//!
//! [`Decoder`] turns the stream into [`ModelEvent`]s (the tool loop scrubs their text): text,
//! reasoning, `function_call` items (edge mode), the `mcp_list_tools`, `mcp_call` and
//! `mcp_approval_request` items of the tools the provider runs itself (hosted mode,
//! [`HostedEvent`]), the response's id and usage, and failures ([`failure`]). Events it does not
//! know are skipped (the provider adds new ones).
//!
//! Edge mode's request ([`request`]) offers `function` tools and sets `store: false`, so the
//! provider keeps nothing: each round sends the conversation, then each earlier round's text,
//! `function_call` items and their `function_call_output`s.

use protocol::{ApiError, ChatRequest, ErrorCode, sse};
use serde_json::{Value, json};

use crate::answer::tool_loop::{HostedEvent, ModelEvent, Round};
use crate::mcp::toolbox::Toolbox;
use crate::redact::Secrets;

/// The request body of one round.
pub fn request(
    model: &str,
    instructions: &str,
    chat: &ChatRequest,
    toolbox: &Toolbox,
    history: &[Round],
) -> Value {
    let mut input: Vec<Value> =
        super::tools::turns(chat, super::input_parts::Api::Responses).collect();
    for round in history {
        if !round.text.is_empty() {
            input.push(json!({"role": "assistant", "content": round.text}));
        }
        for call in &round.calls {
            input.push(json!({"type": "function_call", "call_id": call.call_id,
                              "name": call.name, "arguments": call.arguments}));
        }
        for call in &round.calls {
            input.push(
                json!({"type": "function_call_output", "call_id": call.call_id,
                              "output": call.output.as_deref().unwrap_or("error: no result")}),
            );
        }
    }
    let body = json!({
        "model": model,
        "instructions": instructions,
        "input": input,
        "stream": true,
        "store": false,
    });
    let mut body = super::tools::with_functions(body, toolbox, |t| {
        json!({"type": "function", "name": t.name, "description": t.description,
               "parameters": t.parameters, "strict": false})
    });
    if !chat.hosted_tools.is_empty() {
        let hosted = chat
            .hosted_tools
            .iter()
            .map(|n| crate::servers::hosted_tools::tool(n));
        match body["tools"].as_array_mut() {
            Some(tools) => tools.extend(hosted),
            None => body["tools"] = hosted.collect(),
        }
    }
    body
}

/// Responses stream bytes in, model events out.
#[derive(Debug)]
pub struct Decoder {
    sse: sse::Decoder,
    secrets: Secrets,
    /// The response completed or failed.
    ended: bool,
    /// An event passed the size limit.
    too_large: bool,
}

impl Decoder {
    /// A decoder that scrubs `secrets` from provider text and reads events of at most
    /// `max_event_bytes`.
    pub fn new(secrets: Vec<String>, max_event_bytes: usize) -> Self {
        Self {
            sse: sse::Decoder::with_limit(max_event_bytes),
            secrets: Secrets::new(secrets),
            ended: false,
            too_large: false,
        }
    }

    /// True once the response completed or failed.
    pub fn finished(&self) -> bool {
        self.too_large || self.ended
    }

    /// Feeds one chunk.
    pub fn push(&mut self, chunk: &[u8]) -> Vec<ModelEvent> {
        self.push_each(chunk)
            .into_iter()
            .flat_map(|(events, _)| events)
            .collect()
    }

    /// Feeds one chunk: the model events of each provider event in it, with that event's
    /// `sequence_number` (a background answer resumes after one; `None` without it). An event
    /// past the size limit ends the list with the failure.
    pub fn push_each(&mut self, chunk: &[u8]) -> Vec<(Vec<ModelEvent>, Option<u64>)> {
        let mut res = Vec::new();
        for frame in self.sse.push(chunk) {
            if self.finished() {
                break;
            }
            let Ok(event) = serde_json::from_str::<Value>(&frame.data) else {
                continue;
            };
            let sequence = event["sequence_number"].as_u64();
            res.push((self.event(&event), sequence));
        }
        if self.sse.over_limit() && !self.finished() {
            self.too_large = true;
            res.push((vec![super::tools::too_large()], None));
        }
        res
    }

    fn event(&mut self, event: &Value) -> Vec<ModelEvent> {
        if let Some(events) = super::hosted_calls::translate(event, |t| self.secrets.redact(t)) {
            return events.into_iter().map(ModelEvent::ProviderTool).collect();
        }
        let item = &event["item"];
        let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
        let label = || item["server_label"].as_str().map(str::to_owned);
        let item_id = item["id"]
            .as_str()
            .or(event["item_id"].as_str())
            .unwrap_or_default()
            .to_owned();
        let hosted = |event| vec![ModelEvent::Hosted(event)];
        let kind = event["type"].as_str().unwrap_or_default();
        match (kind, item["type"].as_str().unwrap_or_default()) {
            ("response.created" | "response.in_progress", _) => {
                response_id(event).into_iter().collect()
            }
            ("response.output_item.added", "function_call") => {
                let call_id = item["call_id"].as_str().or(item["id"].as_str());
                vec![ModelEvent::CallStarted {
                    key: text(&item["id"]),
                    call_id: call_id.unwrap_or_default().to_owned(),
                    name: text(&item["name"]),
                }]
            }
            ("response.function_call_arguments.delta", _) => vec![ModelEvent::CallArguments {
                key: text(&event["item_id"]),
                delta: text(&event["delta"]),
            }],
            ("response.output_item.done", "function_call") => {
                vec![ModelEvent::CallArgumentsDone {
                    key: text(&item["id"]),
                    arguments: text(&item["arguments"]),
                }]
            }
            ("response.output_item.added", "mcp_list_tools") => hosted(HostedEvent::ListStarted {
                item: item_id,
                label: label(),
            }),
            ("response.mcp_list_tools.failed", _) => {
                hosted(HostedEvent::ListFailed { item: item_id })
            }
            ("response.output_item.done", "mcp_list_tools") => hosted(HostedEvent::Listed {
                label: label(),
                tools: item["tools"]
                    .as_array()
                    .map(|tools| {
                        let names = tools.iter().filter_map(|t| t["name"].as_str());
                        names.map(str::to_owned).collect()
                    })
                    .unwrap_or_default(),
                failed: !item["error"].is_null(),
                item: item_id,
            }),
            ("response.output_item.added", "mcp_call") => hosted(HostedEvent::CallStarted {
                label: label(),
                tool: text(&item["name"]),
                item: item_id,
            }),
            ("response.mcp_call_arguments.delta", _) => match event["delta"].as_str() {
                Some(delta) => hosted(HostedEvent::CallArguments {
                    item: item_id,
                    delta: delta.to_owned(),
                }),
                None => vec![],
            },
            ("response.output_item.done", "mcp_call") => hosted(HostedEvent::CallDone {
                outcome: match &item["error"] {
                    Value::Null => Ok(text(&item["output"])),
                    error => Err(error_text(error)),
                },
                item: item_id,
            }),
            ("response.output_item.done", "mcp_approval_request") => {
                hosted(HostedEvent::Approval {
                    label: label(),
                    tool: text(&item["name"]),
                    arguments: text(&item["arguments"]),
                    item: item_id,
                })
            }
            ("response.output_text.delta", _) => match event["delta"].as_str() {
                Some(delta) => vec![ModelEvent::Text(delta.to_owned())],
                None => vec![],
            },
            ("response.reasoning_summary_text.delta", _) => match event["delta"].as_str() {
                Some(delta) => vec![ModelEvent::Reasoning(delta.to_owned())],
                None => vec![],
            },
            ("response.completed", _) => {
                self.ended = true;
                let id = response_id(event);
                let usage = super::usage::responses(event).map(ModelEvent::Usage);
                id.into_iter()
                    .chain(usage)
                    .chain([ModelEvent::Finished])
                    .collect()
            }
            (kind, _) => match failure(kind, event, &self.secrets) {
                Some(error) => {
                    self.ended = true;
                    vec![ModelEvent::Failed(error)]
                }
                None => Vec::new(),
            },
        }
    }
}

/// The response id an event carries, as a model event.
fn response_id(event: &Value) -> Option<ModelEvent> {
    let id = event["response"]["id"].as_str()?;
    Some(ModelEvent::ResponseId(id.to_owned()))
}

/// The error a failure event of the Responses stream (`response.failed`, `response.incomplete`,
/// `error`) ends the answer with, its provider text scrubbed of `secrets`; `None` for any other
/// event.
pub fn failure(kind: &str, event: &Value, secrets: &Secrets) -> Option<ApiError> {
    let str_at = |v: &Value, key: &str| v.get(key).and_then(Value::as_str).map(str::to_owned);
    let error = |code, message: String, retryable| ApiError {
        code,
        message,
        retryable,
    };
    match kind {
        "response.failed" => {
            let failed = event.pointer("/response/error").unwrap_or(&Value::Null);
            let message = secrets.redact(&error_text(failed));
            let retryable = str_at(failed, "code").is_some_and(|c| c == "server_error");
            Some(error(
                ErrorCode::ProviderError,
                format!("the model provider failed: {message}"),
                retryable,
            ))
        }
        "response.incomplete" => {
            let reason = event
                .pointer("/response/incomplete_details/reason")
                .and_then(Value::as_str)
                .unwrap_or("unknown reason");
            Some(error(
                ErrorCode::ResponseIncomplete,
                format!("the answer is incomplete: {reason}"),
                false,
            ))
        }
        "error" => {
            let reported = event
                .get("error")
                .filter(|e| e.is_object())
                .unwrap_or(event);
            let (code, retryable) = match str_at(reported, "code").unwrap_or_default().as_str() {
                "rate_limit_exceeded" => (ErrorCode::ProviderRateLimited, true),
                "server_error" | "server_overloaded" => (ErrorCode::ProviderUnavailable, true),
                _ => (ErrorCode::ProviderError, false),
            };
            let message = secrets.redact(&error_text(reported));
            Some(error(
                code,
                format!("the model provider reported an error: {message}"),
                retryable,
            ))
        }
        _ => None,
    }
}

/// The message of an error that is a string or an object (`{type, code, message, content}`).
fn error_text(error: &Value) -> String {
    match error {
        Value::String(s) => s.clone(),
        Value::Object(o) => o
            .get("message")
            .and_then(Value::as_str)
            .or_else(|| o.get("code").and_then(Value::as_str))
            .or_else(|| o.get("type").and_then(Value::as_str))
            .unwrap_or("unknown error")
            .to_owned(),
        _ => "unknown error".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use protocol::ErrorCode;

    use super::*;
    use crate::answer::tool_loop::Call;

    fn frame(data: Value) -> String {
        format!(
            "event: {}\ndata: {data}\n\n",
            data["type"].as_str().unwrap()
        )
    }

    #[test]
    fn hosted_tool_calls_pass_through_as_tool_cards_and_go_in_the_request() {
        let stream = [
            frame(json!({"type":"response.output_item.added","output_index":0,"item":{"id":"ws_1","type":"web_search_call","status":"in_progress"}})),
            frame(json!({"type":"response.output_item.done","output_index":0,"item":{"id":"ws_1","type":"web_search_call","status":"completed","action":{"type":"search","query":"sk-1"}}})),
            frame(json!({"type":"response.completed","response":{"id":"resp_1"}})),
        ]
        .concat();
        let mut decoder = Decoder::new(vec!["sk-1".into()], 1 << 20);
        let events = decoder.push(stream.as_bytes());
        let hosted: Vec<&protocol::StreamEvent> = events
            .iter()
            .filter_map(|e| match e {
                ModelEvent::ProviderTool(event) => Some(event),
                _ => None,
            })
            .collect();
        assert_eq!(hosted.len(), 3, "{events:?}");
        assert!(
            matches!(hosted[0], protocol::StreamEvent::ToolCallStarted { tool, .. } if tool == "web_search")
        );
        let protocol::StreamEvent::ToolCallArgumentsDelta { delta, .. } = hosted[1] else {
            panic!("{hosted:?}")
        };
        assert!(!delta.contains("sk-1"), "scrubbed: {delta}");
        let chat: ChatRequest = serde_json::from_str(
            r#"{"messages":[{"role":"user","content":"hi"}],"hosted_tools":["code_interpreter"]}"#,
        )
        .unwrap();
        let body = request("m", "i", &chat, &Toolbox::default(), &[]);
        assert_eq!(body["tools"][0]["type"], "code_interpreter");
    }

    #[test]
    fn function_calls_and_text_are_decoded() {
        let stream = [
            frame(json!({"type":"response.created","response":{"id":"resp_1"}})),
            frame(json!({"type":"response.output_item.added","output_index":0,"item":{"id":"fc_1","type":"function_call","call_id":"call_a","name":"northwind__read_query","arguments":""}})),
            frame(json!({"type":"response.function_call_arguments.delta","item_id":"fc_1","output_index":0,"delta":"{\"query\":"})),
            frame(json!({"type":"response.function_call_arguments.delta","item_id":"fc_1","output_index":0,"delta":"\"SELECT 1\"}"})),
            frame(json!({"type":"response.output_item.done","output_index":0,"item":{"id":"fc_1","type":"function_call","call_id":"call_a","name":"northwind__read_query","arguments":"{\"query\":\"SELECT 1\"}"}})),
            frame(json!({"type":"response.output_text.delta","delta":"Hi"})),
            frame(json!({"type":"response.completed","response":{"id":"resp_1"}})),
            frame(json!({"type":"response.output_text.delta","delta":"late"})),
        ]
        .concat();
        let mut decoder = Decoder::new(vec![], 1 << 20);
        let events: Vec<ModelEvent> = stream
            .as_bytes()
            .chunks(7)
            .flat_map(|c| decoder.push(c))
            .collect();
        assert_eq!(
            events,
            vec![
                ModelEvent::ResponseId("resp_1".into()),
                ModelEvent::CallStarted {
                    key: "fc_1".into(),
                    call_id: "call_a".into(),
                    name: "northwind__read_query".into()
                },
                ModelEvent::CallArguments {
                    key: "fc_1".into(),
                    delta: "{\"query\":".into()
                },
                ModelEvent::CallArguments {
                    key: "fc_1".into(),
                    delta: "\"SELECT 1\"}".into()
                },
                ModelEvent::CallArgumentsDone {
                    key: "fc_1".into(),
                    arguments: "{\"query\":\"SELECT 1\"}".into()
                },
                ModelEvent::Text("Hi".into()),
                ModelEvent::ResponseId("resp_1".into()),
                ModelEvent::Finished,
            ]
        );
        assert!(decoder.finished());
    }

    #[test]
    fn failures_are_decoded_and_scrubbed() {
        let mut decoder = Decoder::new(vec!["sk-secret-1".into()], 1 << 20);
        let events = decoder.push(
            frame(json!({"type":"error","code":"server_error","message":"bad key sk-secret-1"}))
                .as_bytes(),
        );
        match events.as_slice() {
            [ModelEvent::Failed(e)] => {
                assert_eq!(e.code, ErrorCode::ProviderUnavailable);
                assert!(!e.message.contains("sk-secret-1"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn request_replays_history_without_storing() {
        let chat: ChatRequest = serde_json::from_str(
            r#"{"messages":[{"role":"user","content":"sales by year?"}],"servers":["northwind"]}"#,
        )
        .unwrap();
        let toolbox = crate::mcp::toolbox::northwind_with("read_query", "SQL");
        let history = [Round {
            text: String::new(),
            calls: vec![Call::for_tests(
                "call_a",
                "northwind__read_query",
                "{}",
                "rows",
            )],
        }];
        let body = request("m", "be brief", &chat, &toolbox, &history);
        assert_eq!(
            (body["store"].as_bool(), body["stream"].as_bool()),
            (Some(false), Some(true))
        );
        assert_eq!(body["instructions"], "be brief");
        assert_eq!(
            body["tools"],
            json!([{"type":"function","name":"northwind__read_query","description":"SQL","parameters":{"type":"object"},"strict":false}])
        );
        assert_eq!(
            body["input"],
            json!([
                {"role":"user","content":"sales by year?"},
                {"type":"function_call","call_id":"call_a","name":"northwind__read_query","arguments":"{}"},
                {"type":"function_call_output","call_id":"call_a","output":"rows"}
            ])
        );
        let bare = request("m", "i", &chat, &Toolbox::default(), &[]);
        assert!(bare.get("tools").is_none());
    }
}
