//! Elicitation: a server asking the user for input during a tool call
//! (`shared/protocols-next.md` §4).
//!
//! Two shapes of the same question, both parsed into [`Elicitation`]:
//! - a JSON-RPC request `elicitation/create` on the call's SSE stream (2025-06-18, 2025-11-25),
//!   answered with [`super::messages::respond`] and [`Answer::to_result`];
//! - an `input_required` result (2026-07-28), answered by repeating the call with
//!   [`InputRequired::retry_params`].
//!
//! Form mode allows only a flat object of strings, numbers, integers, booleans and enums (single
//! or multi-select); anything else is refused ([`McpError::Protocol`]) so the widget only ever
//! renders simple fields. URL mode allows only `https` (or `http`) URLs; the widget shows the
//! domain and asks before opening. [`Form::check`] validates the user's answer before it goes
//! back to the server.

use serde_json::{Map, Value, json};

use super::McpError;
use super::results::is_web;

/// Most fields a form may have.
pub const MAX_FIELDS: usize = 20;

/// What a server asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum Elicitation {
    /// Fields to fill in.
    Form(Form),
    /// A page the user must open (consent only; the result arrives later).
    Url {
        /// Why.
        message: String,
        /// The page (`http`/`https` only).
        url: String,
        /// The id of a 2025-11-25 URL elicitation (absent in 2026-07-28).
        elicitation_id: Option<String>,
    },
}

/// A form-mode request.
#[derive(Debug, Clone, PartialEq)]
pub struct Form {
    /// The question.
    pub message: String,
    /// The fields, by name (the JSON object keeps no order).
    pub fields: Vec<Field>,
}

/// One field of a form.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// The property name (the key in the answer).
    pub name: String,
    /// The label: `title`, else the name.
    pub title: String,
    /// Help text.
    pub description: Option<String>,
    /// Whether an answer must include it.
    pub required: bool,
    /// Its type and constraints.
    pub kind: FieldKind,
}

/// The allowed field types.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldKind {
    /// Free text.
    Text {
        /// `minLength`.
        min_length: Option<u64>,
        /// `maxLength`.
        max_length: Option<u64>,
        /// `format` (`email|uri|date|date-time`).
        format: Option<String>,
        /// `default`.
        default: Option<String>,
    },
    /// A number (`integer` when only whole numbers).
    Number {
        /// Whole numbers only.
        integer: bool,
        /// `minimum`.
        minimum: Option<f64>,
        /// `maximum`.
        maximum: Option<f64>,
        /// `default`.
        default: Option<f64>,
    },
    /// Yes or no.
    Boolean {
        /// `default`.
        default: Option<bool>,
    },
    /// One of a list: `(value, label)`.
    Choice {
        /// The options.
        options: Vec<(String, String)>,
        /// `default`.
        default: Option<String>,
    },
    /// Several of a list: `(value, label)`.
    MultiChoice {
        /// The options.
        options: Vec<(String, String)>,
        /// `minItems`.
        min_items: Option<u64>,
        /// `maxItems`.
        max_items: Option<u64>,
    },
}

/// The user's answer.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// Submitted: the form's values (empty for URL mode, where accept means consent).
    Accept(Map<String, Value>),
    /// Said no.
    Decline,
    /// Dismissed without deciding.
    Cancel,
}

/// A 2026-07-28 `input_required` result.
#[derive(Debug, Clone, PartialEq)]
pub struct InputRequired {
    /// Opaque state to echo exactly on the retry.
    pub request_state: Option<String>,
    /// The questions, by key (only `elicitation/create` ones; see `unsupported`).
    pub requests: Vec<(String, Elicitation)>,
    /// Keys of requests the edge cannot answer (sampling, roots, malformed).
    pub unsupported: Vec<String>,
}

/// Parses `elicitation/create` params (or an `inputRequests` entry's params).
pub fn parse(params: &Value) -> Result<Elicitation, McpError> {
    let bad = |why: &str| McpError::Protocol(format!("elicitation: {why}"));
    let message = params["message"].as_str().unwrap_or_default().to_owned();
    match params["mode"].as_str().unwrap_or("form") {
        "form" => parse_form(message, &params["requestedSchema"]).map(Elicitation::Form),
        "url" => {
            let url = params["url"].as_str().ok_or_else(|| bad("no url"))?;
            if !is_web(url) {
                return Err(bad("the url is not http or https"));
            }
            Ok(Elicitation::Url {
                message,
                url: url.to_owned(),
                elicitation_id: params["elicitationId"].as_str().map(str::to_owned),
            })
        }
        _ => Err(bad("unknown mode")),
    }
}

fn parse_form(message: String, schema: &Value) -> Result<Form, McpError> {
    let bad = |why: String| McpError::Protocol(format!("elicitation: {why}"));
    if schema["type"] != "object" {
        return Err(bad("the schema is not an object".into()));
    }
    let properties = schema["properties"]
        .as_object()
        .ok_or_else(|| bad("the schema has no properties".into()))?;
    if properties.len() > MAX_FIELDS {
        return Err(bad(format!("more than {MAX_FIELDS} fields")));
    }
    let required: Vec<&str> = schema["required"]
        .as_array()
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let fields = properties
        .iter()
        .map(|(name, property)| {
            let kind = field_kind(property)
                .ok_or_else(|| bad(format!("field {name:?} is not a flat primitive")))?;
            Ok(Field {
                name: name.clone(),
                title: property["title"].as_str().unwrap_or(name).to_owned(),
                description: property["description"].as_str().map(str::to_owned),
                required: required.contains(&name.as_str()),
                kind,
            })
        })
        .collect::<Result<_, McpError>>()?;
    Ok(Form { message, fields })
}

fn field_kind(p: &Value) -> Option<FieldKind> {
    let uint = |k: &str| p[k].as_u64();
    match p["type"].as_str()? {
        "string" if p.get("enum").is_some() || p.get("oneOf").is_some() => {
            Some(FieldKind::Choice {
                options: options(p)?,
                default: p["default"].as_str().map(str::to_owned),
            })
        }
        "string" => Some(FieldKind::Text {
            min_length: uint("minLength"),
            max_length: uint("maxLength"),
            format: p["format"].as_str().map(str::to_owned),
            default: p["default"].as_str().map(str::to_owned),
        }),
        kind @ ("number" | "integer") => Some(FieldKind::Number {
            integer: kind == "integer",
            minimum: p["minimum"].as_f64(),
            maximum: p["maximum"].as_f64(),
            default: p["default"].as_f64(),
        }),
        "boolean" => Some(FieldKind::Boolean {
            default: p["default"].as_bool(),
        }),
        "array" if p["items"]["type"] == "string" || p["items"].get("anyOf").is_some() => {
            Some(FieldKind::MultiChoice {
                options: options(&p["items"])?,
                min_items: uint("minItems"),
                max_items: uint("maxItems"),
            })
        }
        _ => None,
    }
}

/// `enum` (+ legacy `enumNames`), `oneOf` or `anyOf` of `{const, title}`: `(value, label)`.
fn options(p: &Value) -> Option<Vec<(String, String)>> {
    if let Some(values) = p["enum"].as_array() {
        let names = p["enumNames"].as_array();
        return values
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let value = v.as_str()?.to_owned();
                let label = names
                    .and_then(|n| n.get(i))
                    .and_then(Value::as_str)
                    .unwrap_or(&value)
                    .to_owned();
                Some((value, label))
            })
            .collect();
    }
    let list = p["oneOf"].as_array().or(p["anyOf"].as_array())?;
    list.iter()
        .map(|o| {
            let value = o["const"].as_str()?.to_owned();
            let label = o["title"].as_str().unwrap_or(&value).to_owned();
            Some((value, label))
        })
        .collect()
}

impl Form {
    /// Checks an answer against the form: only its fields, required ones present, each value
    /// of its field's type and within its limits. `Err` names the first bad field.
    pub fn check(&self, content: &Map<String, Value>) -> Result<(), String> {
        if let Some(extra) = content
            .keys()
            .find(|k| !self.fields.iter().any(|f| &f.name == *k))
        {
            return Err(format!("{extra}: not a field of this form"));
        }
        for field in &self.fields {
            let Some(value) = content.get(&field.name) else {
                if field.required {
                    return Err(format!("{}: required", field.name));
                }
                continue;
            };
            if !field.kind.accepts(value) {
                return Err(format!("{}: not a valid value", field.name));
            }
        }
        Ok(())
    }
}

impl FieldKind {
    fn accepts(&self, value: &Value) -> bool {
        let within = |x: f64, lo: Option<f64>, hi: Option<f64>| {
            lo.is_none_or(|lo| x >= lo) && hi.is_none_or(|hi| x <= hi)
        };
        let count = |n: usize, lo: Option<u64>, hi: Option<u64>| {
            within(n as f64, lo.map(|v| v as f64), hi.map(|v| v as f64))
        };
        match (self, value) {
            (
                Self::Text {
                    min_length,
                    max_length,
                    ..
                },
                Value::String(s),
            ) => count(s.chars().count(), *min_length, *max_length),
            (
                Self::Number {
                    integer,
                    minimum,
                    maximum,
                    ..
                },
                Value::Number(n),
            ) => {
                let x = n.as_f64().unwrap_or(f64::NAN);
                (!integer || x.fract() == 0.0) && within(x, *minimum, *maximum)
            }
            (Self::Boolean { .. }, Value::Bool(_)) => true,
            (Self::Choice { options, .. }, Value::String(s)) => options.iter().any(|(v, _)| v == s),
            (
                Self::MultiChoice {
                    options,
                    min_items,
                    max_items,
                },
                Value::Array(items),
            ) => {
                count(items.len(), *min_items, *max_items)
                    && items
                        .iter()
                        .all(|i| options.iter().any(|(v, _)| i == v.as_str()))
            }
            _ => false,
        }
    }
}

impl Answer {
    /// The `ElicitResult` sent back: `{"action":"accept","content":{…}}`, `decline` or `cancel`
    /// (content only with a non-empty accept).
    pub fn to_result(&self) -> Value {
        match self {
            Self::Accept(content) if content.is_empty() => json!({"action": "accept"}),
            Self::Accept(content) => json!({"action": "accept", "content": content}),
            Self::Decline => json!({"action": "decline"}),
            Self::Cancel => json!({"action": "cancel"}),
        }
    }
}

/// Whether a result is a 2026-07-28 `input_required` one (a missing `resultType` is complete).
pub fn is_input_required(result: &Value) -> bool {
    result["resultType"] == "input_required"
}

/// Parses an `input_required` result; `None` when `result` is complete.
pub fn parse_input_required(result: &Value) -> Option<InputRequired> {
    if !is_input_required(result) {
        return None;
    }
    let mut requests = Vec::new();
    let mut unsupported = Vec::new();
    for (key, request) in result["inputRequests"].as_object().into_iter().flatten() {
        match (request["method"].as_str(), parse(&request["params"])) {
            (Some("elicitation/create"), Ok(elicitation)) => {
                requests.push((key.clone(), elicitation))
            }
            _ => unsupported.push(key.clone()),
        }
    }
    Some(InputRequired {
        request_state: result["requestState"].as_str().map(str::to_owned),
        requests,
        unsupported,
    })
}

impl InputRequired {
    /// The params of the retry: the original `params` plus `inputResponses` (by key) and the
    /// exact `requestState` (none if none was given). Send them under a new id.
    pub fn retry_params(&self, params: &Value, answers: &[(String, Answer)]) -> Value {
        let mut params = params.clone();
        if !params.is_object() {
            params = json!({});
        }
        let responses: Map<String, Value> = answers
            .iter()
            .map(|(key, answer)| (key.clone(), answer.to_result()))
            .collect();
        params["inputResponses"] = Value::Object(responses);
        match &self.request_state {
            Some(state) => params["requestState"] = json!(state),
            None => {
                if let Some(map) = params.as_object_mut() {
                    map.remove("requestState");
                }
            }
        }
        params
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(schema: Value) -> Result<Form, McpError> {
        match parse(&json!({"message":"Which year?","requestedSchema":schema}))? {
            Elicitation::Form(form) => Ok(form),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn flat_forms_parse_into_fields() {
        let form = form(json!({"type":"object","properties":{
            "year":{"type":"integer","title":"Year","minimum":1996,"maximum":1998,"default":1997},
            "email":{"type":"string","format":"email","maxLength":50},
            "confirm":{"type":"boolean","default":false},
            "region":{"type":"string","enum":["n","s"],"enumNames":["North","South"]},
            "size":{"type":"string","oneOf":[{"const":"s","title":"Small"},{"const":"l"}]},
            "tags":{"type":"array","maxItems":2,"items":{"type":"string","enum":["a","b","c"]}}
        },"required":["year"]}))
        .unwrap();
        assert_eq!(form.message, "Which year?");
        let names: Vec<_> = form.fields.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names.len(), 6);
        let year = form.fields.iter().find(|f| f.name == "year").unwrap();
        assert!(year.required);
        assert_eq!(year.title, "Year");
        assert_eq!(
            year.kind,
            FieldKind::Number {
                integer: true,
                minimum: Some(1996.0),
                maximum: Some(1998.0),
                default: Some(1997.0)
            }
        );
        let region = form.fields.iter().find(|f| f.name == "region").unwrap();
        assert_eq!(
            region.kind,
            FieldKind::Choice {
                options: vec![("n".into(), "North".into()), ("s".into(), "South".into())],
                default: None
            }
        );
        let size = form.fields.iter().find(|f| f.name == "size").unwrap();
        assert!(
            matches!(&size.kind, FieldKind::Choice { options, .. } if options[1] == ("l".into(), "l".into()))
        );
        assert!(
            !form
                .fields
                .iter()
                .find(|f| f.name == "email")
                .unwrap()
                .required
        );
    }

    #[test]
    fn nested_or_odd_schemas_are_refused() {
        for schema in [
            json!({"type":"object","properties":{"a":{"type":"object","properties":{}}}}),
            json!({"type":"object","properties":{"a":{"type":"array","items":{"type":"number"}}}}),
            json!({"type":"object","properties":{"a":{"type":"string","enum":[1,2]}}}),
            json!({"type":"object","properties":{"a":{}}}),
            json!({"type":"array"}),
            json!({"type":"object"}),
        ] {
            assert!(form(schema.clone()).is_err(), "{schema}");
        }
        let many: Map<String, Value> = (0..=MAX_FIELDS)
            .map(|i| (format!("f{i}"), json!({"type":"string"})))
            .collect();
        assert!(form(json!({"type":"object","properties":many})).is_err());
        assert!(parse(&json!({"mode":"telepathy"})).is_err());
    }

    #[test]
    fn answers_are_checked_before_they_go_back() {
        let form = form(json!({"type":"object","properties":{
            "year":{"type":"integer","minimum":1996,"maximum":1998},
            "name":{"type":"string","minLength":2},
            "ok":{"type":"boolean"},
            "tags":{"type":"array","maxItems":1,"items":{"anyOf":[{"const":"a"},{"const":"b"}]}}
        },"required":["year"]}))
        .unwrap();
        let check = |v: Value| form.check(v.as_object().unwrap());
        assert_eq!(
            check(json!({"year":1997,"name":"Al","ok":true,"tags":["b"]})),
            Ok(())
        );
        assert_eq!(check(json!({"name":"Al"})), Err("year: required".into()));
        assert_eq!(
            check(json!({"year":1997.5})),
            Err("year: not a valid value".into())
        );
        assert_eq!(
            check(json!({"year":2001})),
            Err("year: not a valid value".into())
        );
        assert_eq!(
            check(json!({"year":"1997"})),
            Err("year: not a valid value".into())
        );
        assert_eq!(
            check(json!({"year":1997,"name":"A"})),
            Err("name: not a valid value".into())
        );
        assert_eq!(
            check(json!({"year":1997,"tags":["a","b"]})),
            Err("tags: not a valid value".into())
        );
        assert_eq!(
            check(json!({"year":1997,"tags":["z"]})),
            Err("tags: not a valid value".into())
        );
        assert_eq!(
            check(json!({"year":1997,"password":"x"})),
            Err("password: not a field of this form".into())
        );

        let accept = Answer::Accept(json!({"year":1997}).as_object().unwrap().clone());
        assert_eq!(
            accept.to_result(),
            json!({"action":"accept","content":{"year":1997}})
        );
        assert_eq!(
            Answer::Accept(Map::new()).to_result(),
            json!({"action":"accept"})
        );
        assert_eq!(Answer::Decline.to_result(), json!({"action":"decline"}));
        assert_eq!(Answer::Cancel.to_result(), json!({"action":"cancel"}));
    }

    #[test]
    fn url_mode_accepts_only_web_urls() {
        assert_eq!(
            parse(&json!({"mode":"url","message":"Sign in","url":"https://idp.corp/x","elicitationId":"e1"})).unwrap(),
            Elicitation::Url { message: "Sign in".into(), url: "https://idp.corp/x".into(), elicitation_id: Some("e1".into()) }
        );
        for url in ["javascript:alert(1)", "data:text/html,x", ""] {
            assert!(
                parse(&json!({"mode":"url","message":"m","url":url})).is_err(),
                "{url}"
            );
        }
        assert!(parse(&json!({"mode":"url","message":"m"})).is_err());
    }

    #[test]
    fn input_required_retries_echo_the_state() {
        let result = json!({"resultType":"input_required","requestState":"opaque==",
        "inputRequests":{
            "gh":{"method":"elicitation/create","params":{"mode":"form","message":"GitHub user?","requestedSchema":{"type":"object","properties":{"name":{"type":"string"}},"required":["name"]}}},
            "llm":{"method":"sampling/createMessage","params":{}}
        }});
        let input = parse_input_required(&result).unwrap();
        assert_eq!(input.request_state.as_deref(), Some("opaque=="));
        assert_eq!(input.requests.len(), 1);
        assert_eq!(input.requests[0].0, "gh");
        assert_eq!(input.unsupported, ["llm"]);
        let params = json!({"name":"whoami","arguments":{},"requestState":"stale"});
        let answer = Answer::Accept(json!({"name":"octocat"}).as_object().unwrap().clone());
        let retry = input.retry_params(&params, &[("gh".into(), answer)]);
        assert_eq!(
            retry,
            json!({"name":"whoami","arguments":{},"requestState":"opaque==",
                   "inputResponses":{"gh":{"action":"accept","content":{"name":"octocat"}}}})
        );
        let stateless = InputRequired {
            request_state: None,
            requests: vec![],
            unsupported: vec![],
        };
        assert!(
            stateless
                .retry_params(&params, &[])
                .get("requestState")
                .is_none()
        );
        assert_eq!(parse_input_required(&json!({"content":[]})), None);
        assert_eq!(
            parse_input_required(&json!({"resultType":"complete"})),
            None
        );
    }
}
