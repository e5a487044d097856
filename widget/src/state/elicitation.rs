//! A server's question during a tool call (`elicitation_request`), as plain data, and the rules
//! that turn what the user entered into the answer the edge checks again ([`content`]).
//!
//! The form's values arrive as text, as the browser's inputs hold them (`(name, text)` pairs, a
//! multi-select giving one pair per choice, a checkbox `true`/`false`); [`content`] types them
//! by the field (numbers, whole numbers, booleans, lists), leaves out empty optional fields and
//! names the first field that is required and empty, not a number, or out of range. A link is
//! opened only if it is `http(s)` ([`web_link`]), after the user pressed the button that shows
//! its domain.

use protocol::elicitation::{Map, Number, Value};
use protocol::{ElicitAction, FieldInput, FormField};

/// One question of a server, waiting for (or given) the user's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Ask {
    /// The `elicitation_id` (sealed).
    pub(crate) id: String,
    /// The tool call that asks.
    pub(crate) call_id: String,
    /// The server's question.
    pub(crate) message: String,
    /// The form's fields (none for a link).
    pub(crate) fields: Vec<FormField>,
    /// The page to open, for a link.
    pub(crate) url: Option<String>,
    /// The user's answer, once given.
    pub(crate) reply: Option<(ElicitAction, Map<String, Value>)>,
    /// The answer went to the edge (or can no longer go).
    pub(crate) sent: bool,
    /// The title of the field the last Submit found wrong.
    pub(crate) invalid: Option<String>,
}

/// The form's typed values, or the title of the first field that is wrong.
pub(crate) fn content(
    fields: &[FormField],
    values: &[(String, String)],
) -> Result<Map<String, Value>, String> {
    let mut out = Map::new();
    for field in fields {
        let texts: Vec<&str> = values
            .iter()
            .filter(|(name, _)| *name == field.name)
            .map(|(_, text)| text.trim())
            .filter(|text| !text.is_empty())
            .collect();
        let bad = || field.title.clone();
        let within = |x: f64| {
            field
                .min
                .as_ref()
                .and_then(Number::as_f64)
                .is_none_or(|lo| x >= lo)
                && field
                    .max
                    .as_ref()
                    .and_then(Number::as_f64)
                    .is_none_or(|hi| x <= hi)
        };
        let value = match (field.input, texts.first()) {
            (FieldInput::Boolean, first) => Value::Bool(first == Some(&"true")),
            (FieldInput::Multi, _) if !texts.is_empty() || !field.required => {
                if !within(texts.len() as f64) {
                    return Err(bad());
                }
                Value::from(texts.iter().map(|t| t.to_string()).collect::<Vec<_>>())
            }
            (_, None) if field.required => return Err(bad()),
            (_, None) => continue,
            (FieldInput::Number | FieldInput::Integer, Some(text)) => {
                let x: f64 = text.parse().map_err(|_| bad())?;
                let whole = x.fract() == 0.0 && x.abs() < 9e15;
                if !x.is_finite() || !within(x) || (field.input == FieldInput::Integer && !whole) {
                    return Err(bad());
                }
                match whole {
                    true => Value::from(x as i64),
                    false => Value::from(x),
                }
            }
            (_, Some(text)) => Value::String((*text).to_owned()),
        };
        out.insert(field.name.clone(), value);
    }
    Ok(out)
}

/// `url` when it is an `http` or `https` link (what the widget may open).
pub(crate) fn web_link(url: &str) -> Option<&str> {
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    (lower.starts_with("https://") || lower.starts_with("http://")).then_some(url)
}

/// The host a link leads to (what the button shows before it is opened).
pub(crate) fn domain(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let host = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    host.rsplit_once('@').map_or(host, |(_, host)| host)
}

#[cfg(test)]
mod tests {
    use protocol::FieldOption;

    use super::*;

    fn field(name: &str, input: FieldInput, required: bool) -> FormField {
        FormField {
            name: name.into(),
            title: name.to_uppercase(),
            description: String::new(),
            required,
            input,
            options: vec![],
            min: None,
            max: None,
            default: None,
        }
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn values_are_typed_by_their_field() {
        let mut year = field("year", FieldInput::Integer, true);
        (year.min, year.max) = (Some(1996.into()), Some(1998.into()));
        let mut tags = field("tags", FieldInput::Multi, false);
        tags.options = vec![FieldOption {
            value: "a".into(),
            label: "A".into(),
        }];
        let fields = vec![
            year,
            field("note", FieldInput::Text, false),
            field("ok", FieldInput::Boolean, false),
            field("ratio", FieldInput::Number, false),
            tags,
        ];
        let got = content(
            &fields,
            &pairs(&[
                ("year", " 1997 "),
                ("note", ""),
                ("ok", "true"),
                ("ratio", "0.5"),
                ("tags", "a"),
                ("tags", "b"),
            ]),
        )
        .unwrap();
        assert_eq!(
            Value::Object(got),
            serde_json::json!({"year":1997,"ok":true,"ratio":0.5,"tags":["a","b"]})
        );
        let unticked = content(&fields, &pairs(&[("year", "1996"), ("ok", "false")])).unwrap();
        assert_eq!(unticked["ok"], Value::Bool(false));
        assert_eq!(unticked["tags"], serde_json::json!([]));
    }

    #[test]
    fn the_first_wrong_field_is_named() {
        let mut year = field("year", FieldInput::Integer, true);
        (year.min, year.max) = (Some(1996.into()), Some(1998.into()));
        let fields = vec![year, field("name", FieldInput::Text, true)];
        let check = |list: &[(&str, &str)]| content(&fields, &pairs(list));
        assert_eq!(check(&[("name", "Al")]), Err("YEAR".into()));
        assert_eq!(
            check(&[("year", "1997.5"), ("name", "Al")]),
            Err("YEAR".into())
        );
        assert_eq!(
            check(&[("year", "2001"), ("name", "Al")]),
            Err("YEAR".into())
        );
        assert_eq!(
            check(&[("year", "soon"), ("name", "Al")]),
            Err("YEAR".into())
        );
        assert_eq!(
            check(&[("year", "1997"), ("name", "  ")]),
            Err("NAME".into())
        );
        assert!(check(&[("year", "1997"), ("name", "Al")]).is_ok());
    }

    #[test]
    fn only_web_links_open_and_their_domain_is_shown() {
        assert_eq!(web_link("https://idp.corp/x"), Some("https://idp.corp/x"));
        assert_eq!(web_link("HTTP://a.example"), Some("HTTP://a.example"));
        for bad in [
            "javascript:alert(1)",
            "data:text/html,x",
            "//evil",
            "ftp://x",
        ] {
            assert_eq!(web_link(bad), None, "{bad}");
        }
        assert_eq!(domain("https://idp.corp:8443/x?y#z"), "idp.corp:8443");
        assert_eq!(domain("https://user@evil.example/x"), "evil.example");
    }
}

/// What a Submit, Decline or Cancel did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Replied {
    /// Nothing waits under that id (already answered, or the answer moved on).
    Nothing,
    /// A field is wrong: the form shows which, nothing is sent.
    Invalid,
    /// Answered; for an accepted link, the page to open now.
    Answered(Option<String>),
}

impl super::ChatState {
    /// The user answered the question `id` of the waiting answer with `action` and the form's
    /// `values` (see [`content`]).
    pub(crate) fn answer_ask(
        &mut self,
        id: &str,
        action: ElicitAction,
        values: &[(String, String)],
    ) -> Replied {
        let Some(exchange) = self.exchanges.last_mut() else {
            return Replied::Nothing;
        };
        if exchange.answer.status != super::AnswerStatus::AwaitingApproval {
            return Replied::Nothing;
        }
        let Some(ask) = exchange
            .answer
            .asks
            .iter_mut()
            .find(|a| a.id == id && !a.sent && a.reply.is_none())
        else {
            return Replied::Nothing;
        };
        let mut open = None;
        let values = match (action, &ask.url) {
            (ElicitAction::Accept, Some(url)) => {
                let Some(url) = web_link(url) else {
                    return Replied::Nothing;
                };
                open = Some(url.to_owned());
                Map::new()
            }
            (ElicitAction::Accept, None) => match content(&ask.fields, values) {
                Ok(values) => values,
                Err(title) => {
                    ask.invalid = Some(title);
                    return Replied::Invalid;
                }
            },
            _ => Map::new(),
        };
        ask.invalid = None;
        ask.reply = Some((action, values));
        Replied::Answered(open)
    }
}
