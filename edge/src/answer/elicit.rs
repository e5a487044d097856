//! Elicitation in edge tool mode: a server asks the user for input during a tool call, the
//! answer pauses, and the user's reply resumes it (`shared/protocols-next.md` §4). No I/O.
//!
//! The edge keeps nothing between requests, so the call's MCP state ([`Elicited`]) travels in the
//! paused loop (`crate::answer::pending`), sealed to the user with an expiry, like an approval:
//! the widget gets an `elicitation_request` event (its id sealed as `Purpose::Elicitation`) and
//! a `done` whose `response_id` is the paused loop; it continues with both ids and its
//! [`ElicitationReply`]. [`answer_for`] checks the reply against the server's form
//! ([`Form::check`]) before anything goes back to the server: a reply that does not fit is
//! refused with `invalid_elicitation`.
//!
//! Two ways to deliver the answer ([`Resume`]):
//! - **stream** (2025-06-18, 2025-11-25): the server's `elicitation/create` came on the call's
//!   SSE stream, which the pause closed. The resumed request rejoins the same MCP session:
//!   it first reopens that stream with `GET` and `Last-Event-ID` (the id of the event that
//!   carried the question), then POSTs the JSON-RPC response, then reads the call's result from
//!   the reopened stream. It needs a server that keeps events for resumption (an event store)
//!   and still holds the session and the waiting call (servers time their requests out).
//! - **retry** (2026-07-28 `input_required`): the call already ended; the resumed request
//!   repeats it with `inputResponses` and the exact `requestState`.

use protocol::{
    Bound, Content, ElicitAction, ElicitationReply, FieldInput, FieldOption, FormField, ReplyValue,
    StreamEvent,
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::answer::tool_loop::ToolJob;
use crate::mcp::client::elicitation::{self, Answer, Elicitation, FieldKind, Form};
use crate::mcp::client::results::ToolResult;

/// How a tool call ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Called {
    /// The tool's parsed result (`is_error` when the tool reported an error).
    Done(ToolResult),
    /// The server asks the user first.
    Asks(Box<Asked>),
}

/// A server's question during a call, and how to deliver the answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Asked {
    /// The question, parsed.
    pub question: Elicitation,
    /// Its params as sent.
    pub params: Value,
    /// Where the answer goes.
    pub resume: Resume,
}

/// A tool call paused on a server's question, with what resuming it needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Elicited {
    /// The call that asks.
    pub job: ToolJob,
    /// The round's calls that had not run yet (they run after it).
    pub queued: Vec<ToolJob>,
    /// The question's params as the server sent them (parsed again to check the reply).
    pub question: Value,
    /// How the answer reaches the server.
    pub resume: Resume,
}

/// How the user's answer reaches the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "form", rename_all = "snake_case")]
pub enum Resume {
    /// The server's request waits on the call's stream (2025-06-18, 2025-11-25).
    Stream {
        /// The MCP session (`Mcp-Session-Id`).
        session_id: Option<String>,
        /// The negotiated revision.
        version: String,
        /// The `tools/call` request's JSON-RPC id.
        call: u64,
        /// The server's `elicitation/create` id, echoed in the response.
        request: Value,
        /// The SSE id of the event that carried the question (`Last-Event-ID`).
        last_event_id: Option<String>,
    },
    /// The call returned `input_required` (2026-07-28): repeat it.
    Retry {
        /// The MCP session, if the server keeps one.
        session_id: Option<String>,
        /// The negotiated revision.
        version: String,
        /// The `tools/call` params to repeat.
        params: Value,
        /// The server's `requestState`, echoed exactly.
        request_state: Option<String>,
        /// The key of the question in `inputRequests`.
        key: String,
        /// Keys the edge cannot answer (answered `cancel`).
        others: Vec<String>,
    },
}

impl Resume {
    /// The session to rejoin and its revision.
    pub fn session(&self) -> (Option<&str>, &str) {
        match self {
            Self::Stream {
                session_id,
                version,
                ..
            }
            | Self::Retry {
                session_id,
                version,
                ..
            } => (session_id.as_deref(), version),
        }
    }
}

/// The `elicitation_request` event for `call_id` (its id still to be sealed: the call's id).
pub fn request_event(call_id: &str, question: &Elicitation) -> StreamEvent {
    let (message, fields, url) = match question {
        Elicitation::Form(form) => (form.message.clone(), fields(form), None),
        Elicitation::Url { message, url, .. } => (message.clone(), vec![], Some(url.clone())),
    };
    StreamEvent::ElicitationRequest {
        elicitation_id: call_id.to_owned(),
        call_id: call_id.to_owned(),
        message,
        fields,
        url,
    }
}

/// A form's fields as the widget renders them.
pub fn fields(form: &Form) -> Vec<FormField> {
    let number = |x: Option<f64>| x.filter(|x| x.is_finite()).map(Bound);
    let count = |x: Option<u64>| x.map(|n| Bound(n as f64));
    let opts = |options: &[(String, String)]| -> Vec<FieldOption> {
        options
            .iter()
            .map(|(value, label)| FieldOption {
                value: value.clone(),
                label: label.clone(),
            })
            .collect()
    };
    form.fields
        .iter()
        .map(|field| {
            let mut out = FormField {
                name: field.name.clone(),
                title: field.title.clone(),
                description: field.description.clone().unwrap_or_default(),
                required: field.required,
                input: FieldInput::Text,
                options: vec![],
                min: None,
                max: None,
                default: None,
            };
            match &field.kind {
                FieldKind::Text {
                    min_length,
                    max_length,
                    format,
                    default,
                } => {
                    out.input = match format.as_deref() {
                        Some("email") => FieldInput::Email,
                        Some("uri") => FieldInput::Url,
                        Some("date") => FieldInput::Date,
                        Some("date-time") => FieldInput::DateTime,
                        _ => FieldInput::Text,
                    };
                    (out.min, out.max) = (count(*min_length), count(*max_length));
                    out.default = default.clone();
                }
                FieldKind::Number {
                    integer,
                    minimum,
                    maximum,
                    default,
                } => {
                    out.input = if *integer {
                        FieldInput::Integer
                    } else {
                        FieldInput::Number
                    };
                    (out.min, out.max) = (number(*minimum), number(*maximum));
                    out.default = default.map(|d| d.to_string());
                }
                FieldKind::Boolean { default } => {
                    out.input = FieldInput::Boolean;
                    out.default = default.map(|d| d.to_string());
                }
                FieldKind::Choice { options, default } => {
                    out.input = FieldInput::Choice;
                    out.options = opts(options);
                    out.default = default.clone();
                }
                FieldKind::MultiChoice {
                    options,
                    min_items,
                    max_items,
                } => {
                    out.input = FieldInput::Multi;
                    out.options = opts(options);
                    (out.min, out.max) = (count(*min_items), count(*max_items));
                }
            }
            out
        })
        .collect()
}

/// Why a reply cannot resume the call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReplyError {
    /// The reply answers another call (or none was given).
    #[error("the reply does not answer the question that waits")]
    Mismatch,
    /// The values do not fit the form; names the first bad field.
    #[error("{0}")]
    Invalid(String),
}

/// The answer to send for `reply`, checked against the question: only the call that waits,
/// values only with `accept` of a form, and those values fitting the form.
pub fn answer_for(elicited: &Elicited, reply: &ElicitationReply) -> Result<Answer, ReplyError> {
    if reply.elicitation_id != elicited.job.call_id {
        return Err(ReplyError::Mismatch);
    }
    let question = elicitation::parse(&elicited.question).map_err(|_| ReplyError::Mismatch)?;
    let no_values = || {
        if reply.content.is_empty() {
            Ok(())
        } else {
            Err(ReplyError::Invalid(
                "values come only with accept of a form".to_owned(),
            ))
        }
    };
    match (reply.action, &question) {
        (ElicitAction::Accept, Elicitation::Form(form)) => {
            let content = to_json(&reply.content);
            form.check(&content).map_err(ReplyError::Invalid)?;
            Ok(Answer::Accept(content))
        }
        (ElicitAction::Accept, Elicitation::Url { .. }) => {
            no_values()?;
            Ok(Answer::Accept(Map::new()))
        }
        (ElicitAction::Decline, _) => no_values().map(|()| Answer::Decline),
        (ElicitAction::Cancel, _) => no_values().map(|()| Answer::Cancel),
    }
}

/// A reply's values as the JSON object the server gets (whole numbers as integers).
pub fn to_json(content: &Content) -> Map<String, Value> {
    content
        .0
        .iter()
        .map(|(name, value)| {
            let value = match value {
                ReplyValue::Bool(b) => Value::Bool(*b),
                ReplyValue::Number(Bound(x)) if x.fract() == 0.0 && x.abs() < 9e15 => {
                    Value::from(*x as i64)
                }
                ReplyValue::Number(Bound(x)) => Value::from(*x),
                ReplyValue::Text(text) => Value::String(text.clone()),
                ReplyValue::List(items) => Value::from(items.clone()),
            };
            (name.clone(), value)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn elicited(question: Value) -> Elicited {
        Elicited {
            job: ToolJob {
                call_id: "call_1".into(),
                server: "northwind".into(),
                tool: "sales_for_year".into(),
                arguments: "{}".into(),
            },
            queued: vec![],
            question,
            resume: Resume::Stream {
                session_id: Some("s1".into()),
                version: "2025-11-25".into(),
                call: 3,
                request: json!(0),
                last_event_id: Some("2/1".into()),
            },
        }
    }

    fn year() -> Value {
        json!({"message":"Which year?","requestedSchema":{"type":"object","properties":{
            "year":{"type":"integer","minimum":1996,"maximum":1998,"description":"The year"},
            "region":{"type":"string","enum":["n","s"],"enumNames":["North","South"]},
            "email":{"type":"string","format":"email","maxLength":50},
            "ok":{"type":"boolean","default":true}
        },"required":["year"]}})
    }

    fn reply(id: &str, action: ElicitAction, content: Value) -> ElicitationReply {
        ElicitationReply {
            elicitation_id: id.into(),
            action,
            content: serde_json::from_value(content).unwrap(),
        }
    }

    #[test]
    fn a_form_becomes_the_fields_the_widget_renders() {
        let question = elicitation::parse(&year()).unwrap();
        let StreamEvent::ElicitationRequest {
            elicitation_id,
            call_id,
            message,
            fields,
            url,
        } = request_event("call_1", &question)
        else {
            panic!("not an elicitation request")
        };
        assert_eq!(
            (elicitation_id.as_str(), call_id.as_str()),
            ("call_1", "call_1")
        );
        assert_eq!(message, "Which year?");
        assert_eq!(url, None);
        let field = |name: &str| fields.iter().find(|f| f.name == name).unwrap().clone();
        let year = field("year");
        assert!(year.required);
        assert_eq!(year.input, FieldInput::Integer);
        assert_eq!(
            (year.min, year.max),
            (Some(Bound(1996.0)), Some(Bound(1998.0)))
        );
        assert_eq!(year.description, "The year");
        let region = field("region");
        assert_eq!(region.input, FieldInput::Choice);
        assert_eq!(region.options[1].label, "South");
        assert_eq!(field("email").input, FieldInput::Email);
        assert_eq!(field("email").max, Some(Bound(50.0)));
        assert_eq!(field("ok").default.as_deref(), Some("true"));

        let link = elicitation::parse(
            &json!({"mode":"url","message":"Sign in","url":"https://idp.corp/x"}),
        )
        .unwrap();
        match request_event("call_2", &link) {
            StreamEvent::ElicitationRequest { url, fields, .. } => {
                assert_eq!(url.as_deref(), Some("https://idp.corp/x"));
                assert!(fields.is_empty());
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn replies_are_checked_against_the_form_before_they_go_back() {
        let paused = elicited(year());
        let accept =
            |content: Value| answer_for(&paused, &reply("call_1", ElicitAction::Accept, content));
        assert_eq!(
            accept(json!({"year":1997})),
            Ok(Answer::Accept(
                json!({"year":1997}).as_object().unwrap().clone()
            ))
        );
        assert_eq!(
            accept(json!({"region":"n"})),
            Err(ReplyError::Invalid("year: required".into()))
        );
        assert_eq!(
            accept(json!({"year":2001})),
            Err(ReplyError::Invalid("year: not a valid value".into()))
        );
        assert_eq!(
            accept(json!({"year":1997,"region":"east"})),
            Err(ReplyError::Invalid("region: not a valid value".into()))
        );
        assert_eq!(
            accept(json!({"year":1997,"password":"x"})),
            Err(ReplyError::Invalid(
                "password: not a field of this form".into()
            ))
        );
        assert_eq!(
            answer_for(&paused, &reply("call_1", ElicitAction::Decline, json!({}))),
            Ok(Answer::Decline)
        );
        assert_eq!(
            answer_for(&paused, &reply("call_1", ElicitAction::Cancel, json!({}))),
            Ok(Answer::Cancel)
        );
        assert!(matches!(
            answer_for(
                &paused,
                &reply("call_1", ElicitAction::Decline, json!({"year":1997}))
            ),
            Err(ReplyError::Invalid(_))
        ));
        // Another call's id.
        assert_eq!(
            answer_for(&paused, &reply("call_2", ElicitAction::Cancel, json!({}))),
            Err(ReplyError::Mismatch)
        );
        // A link: accept is consent, with no values.
        let link = elicited(json!({"mode":"url","message":"m","url":"https://a.example/"}));
        assert_eq!(
            answer_for(&link, &reply("call_1", ElicitAction::Accept, json!({}))),
            Ok(Answer::Accept(Map::new()))
        );
        assert!(
            answer_for(
                &link,
                &reply("call_1", ElicitAction::Accept, json!({"x":1}))
            )
            .is_err()
        );
    }

    #[test]
    fn the_paused_call_round_trips_through_json() {
        let paused = elicited(year());
        let text = serde_json::to_string(&paused).unwrap();
        assert!(text.contains(r#""form":"stream""#));
        assert_eq!(serde_json::from_str::<Elicited>(&text).unwrap(), paused);
        assert_eq!(paused.resume.session(), (Some("s1"), "2025-11-25"));
    }
}
