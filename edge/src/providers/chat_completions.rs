//! Edge tool mode over Chat Completions (`shared/protocols.md` §3): the request with `tools`,
//! and the streamed chunks, whose tool-call arguments arrive as fragments per `index`.
//!
//! Chunks are `data: {"choices":[{"delta":{"content"?,"tool_calls"?},"finish_reason"}]}`, then
//! `data: [DONE]`. A call's first fragment usually carries its `id` and `function.name`; later
//! ones only `arguments`. A call is announced once its name is known; fragments that came
//! before are held until then. A round's results go back as the assistant message with
//! `tool_calls` and one `role: tool` message per call.

use protocol::{ApiError, ChatRequest, ErrorCode, sse};
use serde_json::{Value, json};

use crate::answer::tool_loop::{ModelEvent, Round};
use crate::config::Bounds;
use crate::mcp::toolbox::Toolbox;
use crate::redact::redact;

/// The request body of one round.
pub fn request(
    model: &str,
    instructions: &str,
    chat: &ChatRequest,
    toolbox: &Toolbox,
    history: &[Round],
) -> Value {
    let mut messages = vec![json!({"role": "system", "content": instructions})];
    messages.extend(super::tools::turns(
        chat,
        super::input_parts::Api::ChatCompletions,
    ));
    for round in history {
        let tool_calls: Vec<Value> = round
            .calls
            .iter()
            .map(|call| {
                json!({"id": call.call_id, "type": "function",
                       "function": {"name": call.name, "arguments": call.arguments}})
            })
            .collect();
        let content = if round.text.is_empty() {
            Value::Null
        } else {
            json!(round.text)
        };
        messages.push(json!({"role": "assistant", "content": content, "tool_calls": tool_calls}));
        for call in &round.calls {
            messages.push(json!({"role": "tool", "tool_call_id": call.call_id,
                                 "content": call.output.as_deref().unwrap_or("error: no result")}));
        }
    }
    let body = json!({"model": model, "messages": messages, "stream": true,
                      "stream_options": {"include_usage": true}});
    super::tools::with_functions(body, toolbox, |t| {
        json!({"type": "function", "function": {"name": t.name, "description": t.description,
                                                 "parameters": t.parameters}})
    })
}

/// Chat Completions stream bytes in, model events out.
#[derive(Debug)]
pub struct Decoder {
    sse: sse::Decoder,
    round: usize,
    calls: Vec<PendingCall>,
    finish_reason: bool,
    done: bool,
    secrets: Vec<String>,
    /// Most calls (by `index`) one round may announce or hold.
    max_calls: usize,
    /// Most bytes of arguments held for a call whose name has not come.
    max_held_bytes: usize,
}

/// A call by its `index`: announced once its name came.
#[derive(Debug)]
struct PendingCall {
    index: u64,
    id: Option<String>,
    announced: bool,
    held: String,
}

impl Decoder {
    /// A decoder for round `round` (ids for calls that come without one name it), within
    /// `bounds` (event size; calls and argument bytes held before a call's name comes).
    pub fn new(round: usize, secrets: Vec<String>, bounds: &Bounds) -> Self {
        Self {
            sse: sse::Decoder::with_limit(bounds.max_event_bytes),
            round,
            calls: Vec::new(),
            finish_reason: false,
            done: false,
            secrets,
            max_calls: bounds.max_calls_per_round,
            max_held_bytes: bounds.max_argument_bytes,
        }
    }

    /// True after `[DONE]` or an error.
    pub fn finished(&self) -> bool {
        self.done
    }

    /// True once a choice carried a `finish_reason` (a stream may end without `[DONE]`).
    pub fn saw_finish_reason(&self) -> bool {
        self.finish_reason
    }

    /// Feeds one chunk.
    pub fn push(&mut self, chunk: &[u8]) -> Vec<ModelEvent> {
        let mut res = Vec::new();
        for frame in self.sse.push(chunk) {
            if self.done {
                break;
            }
            let data = frame.data.trim();
            if data == "[DONE]" {
                self.done = true;
                res.push(ModelEvent::Finished);
                continue;
            }
            let Ok(chunk) = serde_json::from_str::<Value>(data) else {
                continue;
            };
            res.extend(self.chunk(&chunk));
        }
        if self.sse.over_limit() && !self.done {
            self.done = true;
            res.push(super::tools::too_large());
        }
        res
    }

    /// Ends the round with a bound's error.
    fn bound(&mut self, code: ErrorCode, message: String) -> Vec<ModelEvent> {
        self.done = true;
        vec![ModelEvent::Failed(ApiError {
            code,
            message,
            retryable: false,
        })]
    }

    fn chunk(&mut self, chunk: &Value) -> Vec<ModelEvent> {
        if let Some(error) = chunk.get("error").filter(|e| !e.is_null()) {
            self.done = true;
            let text = error["message"]
                .as_str()
                .or(error.as_str())
                .unwrap_or("unknown error");
            let secrets: Vec<&str> = self.secrets.iter().map(String::as_str).collect();
            return vec![ModelEvent::Failed(ApiError {
                code: ErrorCode::ProviderError,
                message: format!(
                    "the model provider reported an error: {}",
                    redact(text, &secrets)
                ),
                retryable: false,
            })];
        }
        // The usage chunk (empty choices) or any chunk with usage: the last one counts.
        let mut res: Vec<ModelEvent> = super::usage::chat_completions(chunk)
            .map(ModelEvent::Usage)
            .into_iter()
            .collect();
        let Some(choice) = chunk["choices"].as_array().and_then(|c| c.first()) else {
            return res;
        };
        let delta = &choice["delta"];
        for key in ["reasoning_content", "reasoning"] {
            if let Some(text) = delta[key].as_str().filter(|t| !t.is_empty()) {
                res.push(ModelEvent::Reasoning(text.to_owned()));
            }
        }
        if let Some(text) = delta["content"].as_str().filter(|t| !t.is_empty()) {
            res.push(ModelEvent::Text(text.to_owned()));
        }
        for (position, fragment) in delta["tool_calls"]
            .as_array()
            .into_iter()
            .flatten()
            .enumerate()
        {
            res.extend(self.fragment(position, fragment));
            if self.done {
                return res;
            }
        }
        if choice["finish_reason"].as_str().is_some() {
            self.finish_reason = true;
        }
        res
    }

    fn fragment(&mut self, position: usize, fragment: &Value) -> Vec<ModelEvent> {
        let index = fragment["index"].as_u64().unwrap_or(position as u64);
        let round = self.round;
        let known = self.calls.iter().position(|c| c.index == index);
        if known.is_none() && self.calls.len() >= self.max_calls {
            let message = format!(
                "the model asked for more than {} tool calls in one round, the limit of this edge",
                self.max_calls
            );
            return self.bound(ErrorCode::ToolCallsPerRoundExceeded, message);
        }
        let max_held_bytes = self.max_held_bytes;
        let call = match known {
            Some(i) => &mut self.calls[i],
            None => {
                self.calls.push(PendingCall {
                    index,
                    id: None,
                    announced: false,
                    held: String::new(),
                });
                self.calls.last_mut().expect("just pushed")
            }
        };
        if let Some(id) = fragment["id"].as_str().filter(|i| !i.is_empty()) {
            call.id.get_or_insert_with(|| id.to_owned());
        }
        let key = index.to_string();
        let mut res = Vec::new();
        let arguments = fragment["function"]["arguments"]
            .as_str()
            .unwrap_or_default();
        if !call.announced {
            if call.held.len() + arguments.len() > max_held_bytes {
                let message = format!(
                    "the model's arguments for one tool call are larger than {max_held_bytes} bytes, the limit of this edge"
                );
                return self.bound(ErrorCode::ToolArgumentsTooLarge, message);
            }
            call.held.push_str(arguments);
            let Some(name) = fragment["function"]["name"]
                .as_str()
                .filter(|n| !n.is_empty())
            else {
                return res;
            };
            call.announced = true;
            let call_id = call
                .id
                .clone()
                .unwrap_or_else(|| format!("call_{round}_{index}"));
            res.push(ModelEvent::CallStarted {
                key: key.clone(),
                call_id,
                name: name.to_owned(),
            });
            let held = std::mem::take(&mut call.held);
            if !held.is_empty() {
                res.push(ModelEvent::CallArguments { key, delta: held });
            }
            return res;
        }
        if !arguments.is_empty() {
            res.push(ModelEvent::CallArguments {
                key,
                delta: arguments.to_owned(),
            });
        }
        res
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::answer::tool_loop::Call;

    fn data(v: Value) -> String {
        format!("data: {v}\n\n")
    }

    #[test]
    fn fragments_are_joined_per_index() {
        let stream = [
            data(json!({"choices":[{"index":0,"delta":{"role":"assistant","content":"Let me look."}}]})),
            data(json!({"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_x","type":"function","function":{"name":"northwind__read_query","arguments":""}}]}}]})),
            data(json!({"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"query\""}}]}}]})),
            // A second call whose arguments come before its name (held, then flushed).
            data(json!({"choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"function":{"arguments":"{"}}]}}]})),
            data(json!({"choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"function":{"name":"northwind__list_tables","arguments":"}"}}]}}]})),
            data(json!({"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":":\"SELECT 1\"}"}}]}}]})),
            data(json!({"choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]})),
            "data: [DONE]\n\n".to_owned(),
        ]
        .concat();
        let mut decoder = Decoder::new(3, vec![], &Bounds::default());
        let events: Vec<ModelEvent> = stream
            .as_bytes()
            .chunks(5)
            .flat_map(|c| decoder.push(c))
            .collect();
        let args = |key: &str, delta: &str| ModelEvent::CallArguments {
            key: key.into(),
            delta: delta.into(),
        };
        assert_eq!(
            events,
            vec![
                ModelEvent::Text("Let me look.".into()),
                ModelEvent::CallStarted {
                    key: "0".into(),
                    call_id: "call_x".into(),
                    name: "northwind__read_query".into()
                },
                args("0", "{\"query\""),
                ModelEvent::CallStarted {
                    key: "1".into(),
                    call_id: "call_3_1".into(),
                    name: "northwind__list_tables".into()
                },
                args("1", "{}"),
                args("0", ":\"SELECT 1\"}"),
                ModelEvent::Finished,
            ]
        );
        assert!(decoder.finished());
    }

    #[test]
    fn errors_and_reasoning() {
        let mut decoder = Decoder::new(0, vec!["sk-hidden".into()], &Bounds::default());
        let events = decoder.push(
            [
                data(json!({"choices":[{"delta":{"reasoning_content":"thinking"}}]})),
                data(json!({"error":{"message":"model sk-hidden not found"}})),
            ]
            .concat()
            .as_bytes(),
        );
        assert_eq!(events[0], ModelEvent::Reasoning("thinking".into()));
        match &events[1] {
            ModelEvent::Failed(e) => assert!(!e.message.contains("sk-hidden"), "{}", e.message),
            other => panic!("{other:?}"),
        }
        assert!(decoder.finished());
    }

    #[test]
    fn hostile_streams_stop_at_their_bounds() {
        let bounds = Bounds {
            max_calls_per_round: 3,
            max_argument_bytes: 300,
            ..Bounds::default()
        };
        let code = |events: &[ModelEvent]| match events.last() {
            Some(ModelEvent::Failed(e)) => e.code,
            other => panic!("{other:?}"),
        };
        // Calls that never get a name, each with a new index.
        let mut decoder = Decoder::new(0, vec![], &bounds);
        let mut events = Vec::new();
        for index in 0..1000 {
            events.extend(decoder.push(data(json!({"choices":[{"delta":{"tool_calls":[{"index":index,"function":{"arguments":"{"}}]}}]})).as_bytes()));
        }
        assert_eq!(code(&events), ErrorCode::ToolCallsPerRoundExceeded);
        assert!(decoder.calls.len() <= 3);
        // Arguments held forever for a call whose name never comes.
        let mut decoder = Decoder::new(0, vec![], &bounds);
        let mut events = Vec::new();
        for _ in 0..1000 {
            events.extend(decoder.push(data(json!({"choices":[{"delta":{"tool_calls":[{"index":0,"function":{"arguments":"aaaaaaaaaaaaaaaaaaaa"}}]}}]})).as_bytes()));
        }
        assert_eq!(code(&events), ErrorCode::ToolArgumentsTooLarge);
        assert!(decoder.calls[0].held.len() <= 300);
        assert!(decoder.finished());
        // One endless line.
        let mut decoder = Decoder::new(0, vec![], &Bounds::default());
        let mut events = decoder.push(b"data: {\"choices\":[");
        let chunk = "x".repeat(64 * 1024);
        for _ in 0..100 {
            events.extend(decoder.push(chunk.as_bytes()));
        }
        assert_eq!(code(&events), ErrorCode::UpstreamTooLarge);
        assert_eq!(events.len(), 1);
    }

    #[test]
    fn request_has_system_turns_tool_calls_and_results() {
        let chat: ChatRequest = serde_json::from_str(
            r#"{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"hello"},{"role":"user","content":"tables?"}]}"#,
        )
        .unwrap();
        let toolbox = crate::mcp::toolbox::northwind_with("list_tables", "Tables");
        let history = [Round {
            text: "Looking.".into(),
            calls: vec![Call::for_tests(
                "call_1",
                "northwind__list_tables",
                "{}",
                "Orders",
            )],
        }];
        let body = request("llama3", "sys", &chat, &toolbox, &history);
        assert_eq!(body["stream"], true);
        assert_eq!(body["stream_options"]["include_usage"], true);
        assert_eq!(
            body["tools"],
            json!([{"type":"function","function":{"name":"northwind__list_tables","description":"Tables","parameters":{"type":"object"}}}])
        );
        assert_eq!(
            body["messages"],
            json!([
                {"role":"system","content":"sys"},
                {"role":"user","content":"hi"},
                {"role":"assistant","content":"hello"},
                {"role":"user","content":"tables?"},
                {"role":"assistant","content":"Looking.","tool_calls":[{"id":"call_1","type":"function","function":{"name":"northwind__list_tables","arguments":"{}"}}]},
                {"role":"tool","tool_call_id":"call_1","content":"Orders"}
            ])
        );
    }
}
