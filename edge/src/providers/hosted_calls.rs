//! The provider's own tool calls (`web_search_call`, `code_interpreter_call`) as tool cards.
//!
//! Responses streams each as an output item (`shared/protocols-next.md` §7): added, then its
//! own progress events, then done with a `status` (`failed` for a failure). A call becomes
//! `tool_call_started` (server [`SERVER`], tool `web_search` or `code_interpreter`), its
//! arguments (the search's `action`, the interpreter's `code` as it streams), and
//! `tool_call_result` (the interpreter's logs, the search's sources, or its status) or
//! `tool_call_failed`. The caller scrubs the text ([`crate::redact`]); model output is data.

use protocol::StreamEvent;
use serde_json::Value;

/// The server name the widget shows for the provider's own tools.
pub const SERVER: &str = "provider";

/// The events of one Responses event about a hosted tool call; `None` when it is not one.
/// `scrub` cleans provider text.
pub fn translate(event: &Value, scrub: impl Fn(&str) -> String) -> Option<Vec<StreamEvent>> {
    let kind = event["type"].as_str()?;
    let item = &event["item"];
    let tool = match item["type"].as_str() {
        Some("web_search_call") => "web_search",
        Some("code_interpreter_call") => "code_interpreter",
        _ if kind == "response.code_interpreter_call_code.delta" => {
            let call_id = event["item_id"].as_str()?.to_owned();
            let delta = scrub(event["delta"].as_str()?);
            return Some(vec![StreamEvent::ToolCallArgumentsDelta { call_id, delta }]);
        }
        _ => return None,
    };
    let call_id = item["id"].as_str()?.to_owned();
    match kind {
        "response.output_item.added" => Some(vec![StreamEvent::ToolCallStarted {
            call_id,
            server: SERVER.to_owned(),
            tool: tool.to_owned(),
        }]),
        "response.output_item.done" => {
            let mut res = Vec::new();
            if tool == "web_search" && item["action"].is_object() {
                let delta = scrub(&item["action"].to_string());
                res.push(StreamEvent::ToolCallArgumentsDelta {
                    call_id: call_id.clone(),
                    delta,
                });
            }
            let status = item["status"].as_str().unwrap_or("completed");
            res.push(if matches!(status, "failed" | "incomplete") {
                StreamEvent::ToolCallFailed {
                    call_id,
                    error: format!("the provider's {tool} call {status}"),
                }
            } else {
                StreamEvent::ToolCallResult {
                    call_id,
                    output: scrub(&output(item, status)),
                    parts: Vec::new(),
                }
            });
            Some(res)
        }
        _ => Some(Vec::new()),
    }
}

/// What a finished call shows: the interpreter's logs and image URLs, the search's sources, or
/// else its status.
fn output(item: &Value, status: &str) -> String {
    let lines: Vec<String> = item["outputs"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|o| o["logs"].as_str().or(o["url"].as_str()).map(str::to_owned))
        .chain(
            item["action"]["sources"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|s| s["url"].as_str().map(str::to_owned)),
        )
        .collect();
    if lines.is_empty() {
        status.to_owned()
    } else {
        lines.join("\n")
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn run(event: Value) -> Option<Vec<StreamEvent>> {
        translate(&event, |t| t.replace("sk-secret", "[redacted]"))
    }

    #[test]
    fn web_search_becomes_a_tool_card() {
        let item = json!({"type":"web_search_call","id":"ws_1","status":"in_progress"});
        let started = run(json!({"type":"response.output_item.added","item":item})).unwrap();
        assert_eq!(
            started,
            vec![StreamEvent::ToolCallStarted {
                call_id: "ws_1".into(),
                server: SERVER.into(),
                tool: "web_search".into()
            }]
        );
        assert_eq!(
            run(json!({"type":"response.web_search_call.searching","item_id":"ws_1"})),
            None
        );
        let done = json!({"type":"response.output_item.done","item":{"type":"web_search_call","id":"ws_1",
            "status":"completed","action":{"type":"search","query":"pomerium sk-secret",
            "sources":[{"type":"url","url":"https://www.pomerium.com/"}]}}});
        let events = run(done).unwrap();
        let StreamEvent::ToolCallArgumentsDelta { delta, .. } = &events[0] else {
            panic!()
        };
        assert!(delta.contains("pomerium [redacted]"));
        assert_eq!(
            events[1],
            StreamEvent::ToolCallResult {
                call_id: "ws_1".into(),
                output: "https://www.pomerium.com/".into(),
                parts: Vec::new(),
            }
        );
    }

    #[test]
    fn code_interpreter_streams_code_and_logs_or_fails() {
        let code = run(
            json!({"type":"response.code_interpreter_call_code.delta","item_id":"ci_1","delta":"print(1)"}),
        );
        assert_eq!(
            code,
            Some(vec![StreamEvent::ToolCallArgumentsDelta {
                call_id: "ci_1".into(),
                delta: "print(1)".into()
            }])
        );
        let done = run(json!({"type":"response.output_item.done","item":{"type":"code_interpreter_call","id":"ci_1",
            "status":"completed","outputs":[{"type":"logs","logs":"1\n"}]}})).unwrap();
        assert_eq!(
            done,
            vec![StreamEvent::ToolCallResult {
                call_id: "ci_1".into(),
                output: "1\n".into(),
                parts: Vec::new(),
            }]
        );
        let failed = run(json!({"type":"response.output_item.done","item":{"type":"code_interpreter_call","id":"ci_2","status":"failed"}})).unwrap();
        assert!(
            matches!(&failed[0], StreamEvent::ToolCallFailed { call_id, .. } if call_id == "ci_2")
        );
        assert_eq!(
            run(json!({"type":"response.output_text.delta","delta":"x"})),
            None
        );
    }
}
