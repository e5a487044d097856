//! Edge tool mode over the Responses API: `function` tools, `function_call` items in the
//! stream, `function_call_output` items in the next request.
//!
//! The request sets `store: false`, so the provider keeps nothing: each round sends the
//! conversation, then each earlier round's text, `function_call` items and their
//! `function_call_output`s. The stream's events become [`ModelEvent`]s directly (the tool loop
//! scrubs their text); failures are read by [`failure`], as in hosted mode.

use protocol::{ChatRequest, sse};
use serde_json::{Value, json};

use crate::answer::tool_loop::{ModelEvent, Round};
use crate::mcp::toolbox::Toolbox;
use crate::providers::translate::failure;
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
        let mut res = Vec::new();
        for frame in self.sse.push(chunk) {
            if self.finished() {
                break;
            }
            res.extend(self.event(&frame.data));
        }
        if self.sse.over_limit() && !self.finished() {
            self.too_large = true;
            res.push(super::tools::too_large());
        }
        res
    }

    fn event(&mut self, data: &str) -> Vec<ModelEvent> {
        let Ok(event) = serde_json::from_str::<Value>(data) else {
            return Vec::new();
        };
        if let Some(events) = super::hosted_calls::translate(&event, |t| self.secrets.redact(t)) {
            return events.into_iter().map(ModelEvent::Hosted).collect();
        }
        let item = &event["item"];
        let is_function_item = item["type"] == "function_call";
        let key = |v: &Value| v.as_str().unwrap_or_default().to_owned();
        match event["type"].as_str().unwrap_or_default() {
            "response.output_item.added" if is_function_item => {
                let call_id = item["call_id"].as_str().or(item["id"].as_str());
                vec![ModelEvent::CallStarted {
                    key: key(&item["id"]),
                    call_id: call_id.unwrap_or_default().to_owned(),
                    name: key(&item["name"]),
                }]
            }
            "response.function_call_arguments.delta" => vec![ModelEvent::CallArguments {
                key: key(&event["item_id"]),
                delta: key(&event["delta"]),
            }],
            "response.output_item.done" if is_function_item => {
                vec![ModelEvent::CallArgumentsDone {
                    key: key(&item["id"]),
                    arguments: key(&item["arguments"]),
                }]
            }
            "response.output_text.delta" => vec![ModelEvent::Text(key(&event["delta"]))],
            "response.reasoning_summary_text.delta" => {
                vec![ModelEvent::Reasoning(key(&event["delta"]))]
            }
            "response.completed" => {
                self.ended = true;
                let usage = super::usage::responses(&event).map(ModelEvent::Usage);
                usage.into_iter().chain([ModelEvent::Finished]).collect()
            }
            kind => match failure(kind, &event, &self.secrets) {
                Some(error) => {
                    self.ended = true;
                    vec![ModelEvent::Failed(error)]
                }
                None => Vec::new(),
            },
        }
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
                ModelEvent::Hosted(event) => Some(event),
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
