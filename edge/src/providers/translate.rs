//! Translates the provider's Responses stream events into protocol events.
//!
//! [`Translator`] is a small state machine fed one decoded SSE frame at a time. It remembers
//! which output item belongs to which server, and the response id; it skips events it does not
//! know (the provider adds new ones) and scrubs secrets out of any provider text it passes on.
//! Streamed text (answer, reasoning, each call's arguments) is scrubbed over the joined
//! fragments ([`Scrubber`]); what a scrubber held back is released before the call's result and
//! before the terminal event ([`Translator::flush`]).

use protocol::{ApiError, ErrorCode, StreamEvent, ToolStatus};
use serde_json::Value;

use crate::redact::{Scrubber, Secrets};

/// Provider events in, protocol events out.
#[derive(Debug, Default)]
pub struct Translator {
    response_id: Option<String>,
    /// Output item id -> server label, for tool listings and calls.
    items: Vec<(String, String)>,
    finished: bool,
    secrets: Secrets,
    text: Scrubber,
    reasoning: Scrubber,
    /// Call item id -> the scrubber of its argument fragments.
    arguments: Vec<(String, Scrubber)>,
    /// The `sequence_number` of the event last translated, when it had one.
    sequence: Option<u64>,
}

impl Translator {
    /// A translator that scrubs these secrets from provider text.
    pub fn new(secrets: Vec<String>) -> Self {
        let secrets = Secrets::new(secrets);
        Self {
            text: secrets.scrubber(),
            reasoning: secrets.scrubber(),
            secrets,
            ..Self::default()
        }
    }

    /// Releases what the scrubbers held back: the last text, reasoning and argument fragments.
    /// Called before a terminal event; the relay calls it when the stream broke off.
    pub fn flush(&mut self) -> Vec<StreamEvent> {
        let mut res = Vec::new();
        for (call_id, mut scrubber) in std::mem::take(&mut self.arguments) {
            let delta = scrubber.finish();
            if !delta.is_empty() {
                res.push(StreamEvent::ToolCallArgumentsDelta { call_id, delta });
            }
        }
        let delta = self.reasoning.finish();
        if !delta.is_empty() {
            res.push(StreamEvent::ReasoningDelta { delta });
        }
        let delta = self.text.finish();
        if !delta.is_empty() {
            res.push(StreamEvent::TextDelta { delta });
        }
        res
    }

    /// Releases what the scrubber of one call's arguments held back.
    fn flush_arguments(&mut self, call_id: &str) -> Vec<StreamEvent> {
        let Some(at) = self.arguments.iter().position(|(id, _)| id == call_id) else {
            return Vec::new();
        };
        let (call_id, mut scrubber) = self.arguments.remove(at);
        let delta = scrubber.finish();
        if delta.is_empty() {
            return Vec::new();
        }
        vec![StreamEvent::ToolCallArgumentsDelta { call_id, delta }]
    }

    fn arguments_delta(&mut self, call_id: String, delta: &str) -> Vec<StreamEvent> {
        let at = match self.arguments.iter().position(|(id, _)| *id == call_id) {
            Some(at) => at,
            None => {
                self.arguments
                    .push((call_id.clone(), self.secrets.scrubber()));
                self.arguments.len() - 1
            }
        };
        let delta = self.arguments[at].1.push(delta);
        if delta.is_empty() {
            return Vec::new();
        }
        vec![StreamEvent::ToolCallArgumentsDelta { call_id, delta }]
    }

    /// True once a terminal event (`done` or `error`) was produced.
    pub fn finished(&self) -> bool {
        self.finished
    }

    /// The same translator continuing the provider's response `id` (a resumed stream starts
    /// after `response.created`).
    pub fn continuing(mut self, id: &str) -> Self {
        self.response_id = Some(id.to_owned());
        self
    }

    /// The secrets it scrubs.
    pub fn secrets(&self) -> Vec<String> {
        self.secrets.as_slice().to_vec()
    }

    /// The provider's response id, once known.
    pub fn response_id(&self) -> Option<&str> {
        self.response_id.as_deref()
    }

    /// The `sequence_number` of the event last translated (`None` without one).
    pub fn sequence(&self) -> Option<u64> {
        self.sequence
    }

    /// True when no scrubber holds text back: everything translated so far is out.
    pub fn holds_nothing(&self) -> bool {
        self.text.holds_nothing()
            && self.reasoning.holds_nothing()
            && self.arguments.iter().all(|(_, s)| s.holds_nothing())
    }

    /// Translates one provider event (the `data` JSON of one SSE frame).
    pub fn translate(&mut self, data: &str) -> Vec<StreamEvent> {
        self.sequence = None;
        if self.finished {
            return Vec::new();
        }
        let Ok(event) = serde_json::from_str::<Value>(data) else {
            return Vec::new();
        };
        self.sequence = event.get("sequence_number").and_then(Value::as_u64);
        let str_at = |v: &Value, key: &str| v.get(key).and_then(Value::as_str).map(str::to_owned);
        let kind = str_at(&event, "type").unwrap_or_default();
        let item = event.get("item").cloned().unwrap_or(Value::Null);
        let item_type = str_at(&item, "type").unwrap_or_default();
        let item_id = str_at(&item, "id")
            .or_else(|| str_at(&event, "item_id"))
            .unwrap_or_default();
        let out = match (kind.as_str(), item_type.as_str()) {
            ("response.created" | "response.in_progress", _) => {
                if let Some(id) = event.get("response").and_then(|r| str_at(r, "id")) {
                    self.response_id = Some(id);
                }
                vec![]
            }
            ("response.output_item.added", "mcp_list_tools") => {
                let server = self.remember(&item_id, str_at(&item, "server_label"));
                vec![StreamEvent::ToolList {
                    server,
                    status: ToolStatus::InProgress,
                    tools: vec![],
                }]
            }
            ("response.output_item.added", "mcp_call") => {
                let server = self.remember(&item_id, str_at(&item, "server_label"));
                let tool = str_at(&item, "name").unwrap_or_default();
                vec![StreamEvent::ToolCallStarted {
                    call_id: item_id,
                    server,
                    tool,
                }]
            }
            ("response.mcp_list_tools.failed", _) => {
                vec![StreamEvent::ToolList {
                    server: self.server_of(&item_id),
                    status: ToolStatus::Failed,
                    tools: vec![],
                }]
            }
            ("response.output_item.done", "mcp_list_tools") => {
                let server = self.remember(&item_id, str_at(&item, "server_label"));
                let tools = item
                    .get("tools")
                    .and_then(Value::as_array)
                    .map(|tools| tools.iter().filter_map(|t| str_at(t, "name")).collect())
                    .unwrap_or_default();
                let status = if item.get("error").is_some_and(|e| !e.is_null()) {
                    ToolStatus::Failed
                } else {
                    ToolStatus::Completed
                };
                vec![StreamEvent::ToolList {
                    server,
                    status,
                    tools,
                }]
            }
            ("response.output_item.done", "mcp_call") => {
                let mut res = self.flush_arguments(&item_id);
                res.push(match item.get("error").filter(|e| !e.is_null()) {
                    Some(error) => StreamEvent::ToolCallFailed {
                        call_id: item_id,
                        error: self.scrub(&error_text(error)),
                    },
                    None => {
                        let output = str_at(&item, "output").unwrap_or_default();
                        StreamEvent::ToolCallResult {
                            call_id: item_id,
                            output: self.scrub(&output),
                        }
                    }
                });
                res
            }
            ("response.output_item.done", "mcp_approval_request") => {
                let server = self.remember(&item_id, str_at(&item, "server_label"));
                vec![StreamEvent::ApprovalRequest {
                    approval_request_id: item_id,
                    server,
                    tool: str_at(&item, "name").unwrap_or_default(),
                    arguments: self.scrub(&str_at(&item, "arguments").unwrap_or_default()),
                }]
            }
            ("response.mcp_call_arguments.delta", _) => match str_at(&event, "delta") {
                Some(delta) => self.arguments_delta(item_id, &delta),
                None => vec![],
            },
            ("response.output_text.delta", _) => match str_at(&event, "delta") {
                Some(delta) => match self.text.push(&delta) {
                    delta if delta.is_empty() => vec![],
                    delta => vec![StreamEvent::TextDelta { delta }],
                },
                None => vec![],
            },
            ("response.reasoning_summary_text.delta", _) => match str_at(&event, "delta") {
                Some(delta) => match self.reasoning.push(&delta) {
                    delta if delta.is_empty() => vec![],
                    delta => vec![StreamEvent::ReasoningDelta { delta }],
                },
                None => vec![],
            },
            ("response.completed", _) => {
                let id = event
                    .get("response")
                    .and_then(|r| str_at(r, "id"))
                    .or_else(|| self.response_id.clone());
                vec![StreamEvent::Done {
                    response_id: id,
                    usage: super::usage::responses(&event),
                }]
            }
            (kind @ ("response.failed" | "response.incomplete" | "error"), _) => {
                failure(kind, &event, &self.secrets)
                    .map(StreamEvent::Error)
                    .into_iter()
                    .collect()
            }
            _ => vec![],
        };
        self.finished = out.iter().any(StreamEvent::is_terminal);
        if !self.finished {
            return out;
        }
        let mut res = self.flush();
        res.extend(out);
        res
    }

    fn remember(&mut self, item_id: &str, label: Option<String>) -> String {
        match label {
            Some(label) => {
                if !self.items.iter().any(|(id, _)| id == item_id) {
                    self.items.push((item_id.to_owned(), label.clone()));
                }
                label
            }
            None => self.server_of(item_id),
        }
    }

    fn server_of(&self, item_id: &str) -> String {
        self.items
            .iter()
            .find(|(id, _)| id == item_id)
            .map(|(_, s)| s.clone())
            .unwrap_or_default()
    }

    fn scrub(&self, text: &str) -> String {
        self.secrets.redact(text)
    }
}

/// The error a failure event of the Responses stream (`response.failed`, `response.incomplete`,
/// `error`) ends the answer with, its provider text scrubbed of `secrets`; `None` for any other
/// event. Both tool modes read failures through this.
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
mod tests;
