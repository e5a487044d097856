//! The Responses fake when the request offers `function` tools instead of `mcp` tools (the
//! edge runs the tools): the model asks for a function call, or answers from the
//! `function_call_output` items it was given (`store: false`, so the request carries them).
//!
//! The stream for a call is `response.created`, `response.in_progress`,
//! `response.output_item.added` (a `function_call` item), `response.function_call_arguments.delta`
//! fragments, `.done`, `response.output_item.done`, `response.completed`; an answer streams as a
//! `message` item with `response.output_text.delta`s.

use serde_json::{Value, json};

use crate::frames::EventWriter;
use crate::provider::events;
use crate::provider::functions::{Decision, FunctionTurn};
use crate::provider::request;

/// Characters per text delta.
const TEXT_CHUNK: usize = 12;
/// About how many argument fragments a call takes.
const ARGUMENT_FRAGMENTS: usize = 4;

/// True when the request offers `function` tools and no `mcp` tool.
pub(crate) fn is_function_request(body: &Value) -> bool {
    let tools = body["tools"].as_array().map(Vec::as_slice).unwrap_or(&[]);
    tools.iter().any(|t| t["type"] == "function") && !tools.iter().any(|t| t["type"] == "mcp")
}

/// What the model sees in a Responses request with function tools.
pub(crate) fn turn(body: &Value) -> FunctionTurn {
    let functions = body["tools"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|t| t["type"] == "function")
        .filter_map(|t| t["name"].as_str())
        .map(str::to_owned)
        .collect();
    let items = body["input"].as_array().map(Vec::as_slice).unwrap_or(&[]);
    let since_user = items
        .iter()
        .rposition(|item| item["role"] == "user")
        .map_or(items, |at| &items[at + 1..]);
    let results = since_user
        .iter()
        .filter(|item| item["type"] == "function_call_output")
        .map(|output| {
            let name = since_user
                .iter()
                .find(|i| i["type"] == "function_call" && i["call_id"] == output["call_id"])
                .and_then(|i| i["name"].as_str())
                .unwrap_or_default();
            (
                name.to_owned(),
                output["output"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    FunctionTurn {
        message: request::last_user_message(body),
        functions,
        results,
        demo: false,
    }
}

/// Every frame of the response for `decision` to the user's `message` (usage counted from it).
pub(crate) fn frames(decision: &Decision, n: usize, model: &str, message: &str) -> Vec<String> {
    let mut w = EventWriter::default();
    let id = format!("resp_{n}");
    let in_progress = events::response(&id, model, "in_progress", &[], None);
    let mut res = vec![
        w.frame("response.created", json!({ "response": in_progress })),
        w.frame("response.in_progress", json!({ "response": in_progress })),
    ];
    let item = match decision {
        Decision::Call { name, arguments } => {
            let item_id = format!("fc_{n}");
            let call_id = format!("call_{n}");
            let at = json!({"item_id": item_id, "output_index": 0});
            let item = json!({"id": item_id, "type": "function_call", "status": "in_progress",
                              "call_id": call_id, "name": name, "arguments": ""});
            res.push(w.frame(
                "response.output_item.added",
                json!({"output_index": 0, "item": item}),
            ));
            let fragments = events::fragments(arguments, ARGUMENT_FRAGMENTS);
            res.extend(w.frame_each("response.function_call_arguments.delta", &at, fragments));
            res.push(w.frame(
                "response.function_call_arguments.done",
                with(&at, "arguments", json!(arguments)),
            ));
            json!({"id": item_id, "type": "function_call", "status": "completed",
                   "call_id": call_id, "name": name, "arguments": arguments})
        }
        Decision::Answer(text) => {
            let item_id = format!("msg_{n}");
            let at = json!({"item_id": item_id, "output_index": 0, "content_index": 0});
            let item = json!({"id": item_id, "type": "message", "role": "assistant",
                              "status": "in_progress", "content": []});
            res.push(w.frame(
                "response.output_item.added",
                json!({"output_index": 0, "item": item}),
            ));
            let deltas = events::chunks(text, TEXT_CHUNK);
            res.extend(w.frame_each("response.output_text.delta", &at, deltas));
            res.push(w.frame("response.output_text.done", with(&at, "text", json!(text))));
            json!({"id": item_id, "type": "message", "role": "assistant", "status": "completed",
                   "content": [events::output_text(text)]})
        }
    };
    res.push(w.frame(
        "response.output_item.done",
        json!({"output_index": 0, "item": item}),
    ));
    let output = match decision {
        Decision::Call { arguments, .. } => arguments,
        Decision::Answer(text) => text,
    };
    let usage = events::usage(message, output);
    let done = events::response(&id, model, "completed", &[item], Some(usage));
    res.push(w.frame("response.completed", json!({ "response": done })));
    res
}

fn with(base: &Value, key: &str, value: Value) -> Value {
    let mut res = base.clone();
    res[key] = value;
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_functions_and_outputs_since_the_last_user_turn() {
        let body = json!({
            "tools": [{"type":"function","name":"northwind__read_query"}],
            "input": [
                {"role":"user","content":"old"},
                {"type":"function_call","call_id":"c0","name":"northwind__read_query","arguments":"{}"},
                {"type":"function_call_output","call_id":"c0","output":"stale"},
                {"role":"user","content":"sales by year"},
                {"type":"function_call","call_id":"c1","name":"northwind__read_query","arguments":"{}"},
                {"type":"function_call_output","call_id":"c1","output":"rows"}
            ]
        });
        assert!(is_function_request(&body));
        assert!(!is_function_request(
            &json!({"tools":[{"type":"mcp"},{"type":"function"}]})
        ));
        crate::provider::functions::tests::assert_sales_turn_with_rows(&turn(&body));
    }

    #[test]
    fn a_call_streams_as_a_function_call_item() {
        let frames = frames(
            &Decision::Call {
                name: "northwind__list_tables".into(),
                arguments: "{\"a\":1}".into(),
            },
            3,
            "m",
            "one two",
        )
        .concat();
        let datas: Vec<Value> = protocol::sse::Decoder::default()
            .push(frames.as_bytes())
            .iter()
            .map(|f| serde_json::from_str(&f.data).unwrap())
            .collect();
        let kinds: Vec<&str> = datas.iter().map(|d| d["type"].as_str().unwrap()).collect();
        assert_eq!(kinds[2], "response.output_item.added");
        assert_eq!(datas[2]["item"]["call_id"], "call_3");
        let args: String = datas
            .iter()
            .filter(|d| d["type"] == "response.function_call_arguments.delta")
            .map(|d| d["delta"].as_str().unwrap())
            .collect();
        assert_eq!(args, "{\"a\":1}");
        assert_eq!(kinds.last(), Some(&"response.completed"));
        let usage = &datas.last().unwrap()["response"]["usage"];
        assert_eq!(usage["input_tokens"], 2);
        assert_eq!(usage["input_tokens_details"]["cached_tokens"], 1);
    }
}
