//! The one writer of provider stream frames (`shared/protocols.md` §2, §3): what the fake
//! provider streams, what tests script as transcripts, what the bench replays.
//!
//! - Responses: [`EventWriter`] stamps each event with `type` and the next `sequence_number`
//!   and renders `event: <type>\ndata: <json>\n\n`; [`event`] renders an event as given (the
//!   `event:` line named by its `type`), for transcripts that leave out the numbering.
//! - Chat Completions: [`chunk`] renders `data: <json>\n\n`; [`DONE`] ends the stream.

use serde_json::{Map, Value, json};

/// The Chat Completions stream's last frame.
pub const DONE: &str = "data: [DONE]\n\n";

/// Numbers Responses events and renders them as SSE frames.
#[derive(Debug, Default)]
pub struct EventWriter {
    next_sequence_number: u64,
}

impl EventWriter {
    /// The frame for event `kind` with `fields` (an object) plus `type` and `sequence_number`.
    pub fn frame(&mut self, kind: &str, fields: Value) -> String {
        let mut data = Map::new();
        data.insert("type".to_owned(), json!(kind));
        data.insert(
            "sequence_number".to_owned(),
            json!(self.next_sequence_number),
        );
        if let Value::Object(fields) = fields {
            data.extend(fields);
        }
        self.next_sequence_number += 1;
        event(&Value::Object(data))
    }

    /// One `kind` event per delta: `at`'s fields plus `delta`.
    pub fn frame_each(&mut self, kind: &str, at: &Value, deltas: Vec<String>) -> Vec<String> {
        deltas
            .into_iter()
            .map(|delta| {
                let mut fields = at.clone();
                fields["delta"] = json!(delta);
                self.frame(kind, fields)
            })
            .collect()
    }
}

/// A Responses event as it is: `event: <data.type>\ndata: <data>\n\n` (`message` without a
/// `type`).
pub fn event(data: &Value) -> String {
    format!(
        "event: {}\ndata: {data}\n\n",
        data["type"].as_str().unwrap_or("message")
    )
}

/// A Chat Completions chunk: `data: <data>\n\n`.
pub fn chunk(data: &Value) -> String {
    format!("data: {data}\n\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_are_numbered_sse() {
        let mut writer = EventWriter::default();
        let first = writer.frame("response.created", json!({"response": {"id": "resp_1"}}));
        let second = writer.frame("response.in_progress", json!({}));
        let check = |frame: &str, kind: &str, sequence_number: u64| {
            let data = frame
                .strip_prefix(&format!("event: {kind}\ndata: "))
                .and_then(|rest| rest.strip_suffix("\n\n"))
                .expect("one event line, one data line, blank line");
            let data: Value = serde_json::from_str(data).unwrap();
            assert_eq!(data["type"], kind);
            assert_eq!(data["sequence_number"], sequence_number);
            data
        };
        assert_eq!(
            check(&first, "response.created", 0)["response"]["id"],
            "resp_1"
        );
        check(&second, "response.in_progress", 1);
    }

    #[test]
    fn events_are_named_by_their_type() {
        assert_eq!(
            event(&json!({"type": "response.output_text.delta", "delta": "a"})),
            "event: response.output_text.delta\ndata: {\"delta\":\"a\",\"type\":\"response.output_text.delta\"}\n\n"
        );
        assert_eq!(
            event(&json!({"n": 1})),
            "event: message\ndata: {\"n\":1}\n\n"
        );
        assert_eq!(chunk(&json!({"n": 1})), "data: {\"n\":1}\n\n");
    }
}
