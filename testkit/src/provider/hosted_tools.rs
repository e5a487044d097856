//! The stand-in model's use of the provider's own tools (`shared/protocols-next.md` §7): when
//! the request offers `web_search` and the message asks to search the web, or offers
//! `code_interpreter` and the message asks to run or compute something, the model streams that
//! call (its item added, its progress events, its item done) before its answer.

use serde_json::{Value, json};

use crate::frames::EventWriter;

/// The hosted tool types the request's `tools` offer.
pub(crate) fn offered(body: &Value) -> Vec<String> {
    body["tools"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t["type"].as_str())
        .filter(|t| ["web_search", "code_interpreter"].contains(t))
        .map(str::to_owned)
        .collect()
}

/// The frames and the finished output items of the hosted calls `message` asks for, from
/// `output_index` on, for response `n`.
pub(crate) fn calls(
    w: &mut EventWriter,
    offered: &[String],
    message: &str,
    n: usize,
    output_index: usize,
) -> (Vec<String>, Vec<Value>) {
    let lower = message.to_lowercase();
    let has = |t: &str| offered.iter().any(|o| o == t);
    let mut frames = Vec::new();
    let mut items: Vec<Value> = Vec::new();
    if has("web_search") && lower.contains("search the web") {
        let id = format!("ws_{n}");
        let done = json!({"id": id, "type": "web_search_call", "status": "completed",
            "action": {"type": "search", "query": message,
                       "sources": [{"type": "url", "url": "https://www.pomerium.com/docs"}]}});
        let at = output_index + items.len();
        let steps = ["in_progress", "searching", "completed"];
        frames.extend(call(w, at, "web_search_call", &id, &steps, None, &done));
        items.push(done);
    }
    if has("code_interpreter") && (lower.contains("compute") || lower.contains("python")) {
        let id = format!("ci_{n}");
        let code = "print(6 * 7)";
        let done = json!({"id": id, "type": "code_interpreter_call", "status": "completed",
            "code": code, "container_id": "cntr_fake", "outputs": [{"type": "logs", "logs": "42\n"}]});
        let at = output_index + items.len();
        let steps = ["in_progress", "interpreting", "completed"];
        frames.extend(call(
            w,
            at,
            "code_interpreter_call",
            &id,
            &steps,
            Some(code),
            &done,
        ));
        items.push(done);
    }
    (frames, items)
}

/// One call's frames: added, its code's delta (the interpreter), its progress, done.
fn call(
    w: &mut EventWriter,
    at: usize,
    kind: &str,
    id: &str,
    steps: &[&str],
    code: Option<&str>,
    done: &Value,
) -> Vec<String> {
    let started = json!({"id": id, "type": kind, "status": "in_progress"});
    let mut frames = vec![w.frame(
        "response.output_item.added",
        json!({"output_index": at, "item": started}),
    )];
    if let Some(code) = code {
        let delta = json!({"output_index": at, "item_id": id, "delta": code});
        frames.push(w.frame("response.code_interpreter_call_code.delta", delta));
    }
    for step in steps {
        let event = format!("response.{kind}.{step}");
        frames.push(w.frame(&event, json!({"output_index": at, "item_id": id})));
    }
    frames.push(w.frame(
        "response.output_item.done",
        json!({"output_index": at, "item": done}),
    ));
    frames
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_follow_the_message_and_the_offered_tools() {
        let both = vec!["web_search".to_owned(), "code_interpreter".to_owned()];
        let mut w = EventWriter::default();
        let (frames, items) = calls(
            &mut w,
            &both,
            "Search the web, then compute it in python",
            3,
            1,
        );
        assert_eq!(items.len(), 2);
        assert_eq!(items[0]["type"], "web_search_call");
        assert_eq!(items[1]["outputs"][0]["logs"], "42\n");
        assert!(
            frames
                .iter()
                .any(|f| f.contains("response.web_search_call.searching"))
        );
        assert!(
            frames
                .iter()
                .any(|f| f.contains("response.code_interpreter_call_code.delta"))
        );
        let (frames, _) = calls(&mut w, &[], "search the web", 3, 1);
        assert!(frames.is_empty());
        let body = json!({"tools":[{"type":"mcp"},{"type":"web_search"}]});
        assert_eq!(offered(&body), vec!["web_search".to_owned()]);
    }
}
