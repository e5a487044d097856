//! The Chat Completions fake (`POST /v1/chat/completions`, `shared/protocols.md` §3), with the
//! same mind as the Responses fake's function mode ([`crate::provider::functions`]).
//!
//! It streams as the open-source servers do: a first chunk with the role, text in small
//! `content` deltas, or a tool call whose first fragment carries `id` and `function.name` and
//! whose `arguments` follow in several fragments; then a chunk with `finish_reason`
//! (`tool_calls` or `stop`) and `data: [DONE]`.

use serde_json::{Value, json};

use crate::provider::events;
use crate::provider::functions::{Decision, FunctionTurn};

/// Characters per content delta.
const TEXT_CHUNK: usize = 8;
/// About how many argument fragments a call takes.
const ARGUMENT_FRAGMENTS: usize = 5;

/// What the model sees in a Chat Completions request.
pub(crate) fn turn(body: &Value) -> FunctionTurn {
    let functions = body["tools"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t["function"]["name"].as_str())
        .map(str::to_owned)
        .collect();
    let messages = body["messages"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    let last_user = messages.iter().rposition(|m| m["role"] == "user");
    let message = last_user
        .map(|at| content_text(&messages[at]["content"]))
        .unwrap_or_default();
    let since_user = last_user.map_or(messages, |at| &messages[at + 1..]);
    let results = since_user
        .iter()
        .filter(|m| m["role"] == "tool")
        .map(|m| {
            let name = since_user
                .iter()
                .flat_map(|a| a["tool_calls"].as_array().into_iter().flatten())
                .find(|c| c["id"] == m["tool_call_id"])
                .and_then(|c| c["function"]["name"].as_str())
                .unwrap_or_default();
            (name.to_owned(), content_text(&m["content"]))
        })
        .collect();
    FunctionTurn {
        message,
        functions,
        results,
        demo: false,
    }
}

/// Every `data:` frame of the completion for `decision`; with `usage_of` (the request asked
/// `stream_options.include_usage`: the user's message), every chunk has `"usage": null` and one
/// more chunk with empty `choices` carries the totals before `[DONE]`.
pub(crate) fn frames(
    decision: &Decision,
    n: usize,
    model: &str,
    usage_of: Option<&str>,
) -> Vec<String> {
    let id = format!("chatcmpl-{n}");
    let chunk = |delta: Value, finish: Option<&str>| {
        let mut data = json!({"id": id, "object": "chat.completion.chunk",
                          "created": 0, "model": model,
                          "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]});
        if usage_of.is_some() {
            data["usage"] = Value::Null;
        }
        crate::frames::chunk(&data)
    };
    let mut res = vec![chunk(json!({"role": "assistant", "content": ""}), None)];
    let finish = match decision {
        Decision::Call { name, arguments } => {
            res.push(chunk(
                json!({"tool_calls": [{"index": 0, "id": format!("call_{n}"), "type": "function",
                                       "function": {"name": name, "arguments": ""}}]}),
                None,
            ));
            for fragment in events::fragments(arguments, ARGUMENT_FRAGMENTS) {
                res.push(chunk(
                    json!({"tool_calls": [{"index": 0, "function": {"arguments": fragment}}]}),
                    None,
                ));
            }
            "tool_calls"
        }
        Decision::Answer(text) => {
            for delta in events::chunks(text, TEXT_CHUNK) {
                res.push(chunk(json!({ "content": delta }), None));
            }
            "stop"
        }
    };
    res.push(chunk(json!({}), Some(finish)));
    if let Some(message) = usage_of {
        let output = match decision {
            Decision::Call { arguments, .. } => arguments,
            Decision::Answer(text) => text,
        };
        let data = json!({"id": id, "object": "chat.completion.chunk", "created": 0,
                          "model": model, "choices": [],
                          "usage": events::chat_usage(message, output)});
        res.push(crate::frames::chunk(&data));
    }
    res.push(crate::frames::DONE.to_owned());
    res
}

fn content_text(content: &Value) -> String {
    match content {
        Value::String(text) => text.clone(),
        Value::Array(parts) => parts.iter().filter_map(|p| p["text"].as_str()).collect(),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_tools_and_results_since_the_last_user_message() {
        let body = json!({
            "tools": [{"type":"function","function":{"name":"northwind__read_query"}}],
            "messages": [
                {"role":"system","content":"sys"},
                {"role":"user","content":"sales by year"},
                {"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"northwind__read_query","arguments":"{}"}}]},
                {"role":"tool","tool_call_id":"call_1","content":"rows"}
            ]
        });
        crate::provider::functions::tests::assert_sales_turn_with_rows(&turn(&body));
    }

    #[test]
    fn a_call_streams_argument_fragments_and_done() {
        let frames = frames(
            &Decision::Call {
                name: "northwind__read_query".into(),
                arguments: r#"{"query":"SELECT 1"}"#.into(),
            },
            2,
            "llama",
            Some("sales by year please"),
        );
        assert_eq!(frames.last().unwrap(), "data: [DONE]\n\n");
        let chunks: Vec<Value> = frames[..frames.len() - 1]
            .iter()
            .map(|f| serde_json::from_str(f.trim().strip_prefix("data: ").unwrap()).unwrap())
            .collect();
        let fragments: Vec<&str> = chunks
            .iter()
            .filter_map(|c| {
                c["choices"][0]["delta"]["tool_calls"][0]["function"]["arguments"].as_str()
            })
            .filter(|a| !a.is_empty())
            .collect();
        assert!(fragments.len() >= 3, "{fragments:?}");
        assert_eq!(fragments.concat(), r#"{"query":"SELECT 1"}"#);
        // The usage chunk comes last, with empty choices; every other chunk has null usage.
        let (last, rest) = chunks.split_last().unwrap();
        assert_eq!(last["choices"], json!([]));
        assert_eq!(
            last["usage"],
            json!({"prompt_tokens": 4, "completion_tokens": 2, "total_tokens": 6,
                   "prompt_tokens_details": {"cached_tokens": 2},
                   "completion_tokens_details": {"reasoning_tokens": 0}})
        );
        assert!(rest.iter().all(|c| c["usage"].is_null()));
        assert_eq!(
            chunks[1]["choices"][0]["delta"]["tool_calls"][0]["id"],
            "call_2"
        );
        assert_eq!(
            rest.last().unwrap()["choices"][0]["finish_reason"],
            "tool_calls"
        );
    }
}
