//! A server's question during a tool call (`elicitation_request`), as plain data, and the rules
//! that turn what the user entered into the answer the edge checks again ([`content`]).
//!
//! The form's values arrive as the browser's inputs hold them ([`Entered`]: `(name, value)`
//! pairs, a multi-select giving one pair per choice, a number input its number or NaN, an empty
//! one nothing); [`content`] types them by the field (numbers, whole numbers, booleans, lists),
//! leaves out empty optional fields and names the first field that is required and empty, not a
//! number, or out of range. A link is
//! opened only if it is `http(s)` ([`web_link`]), after the user pressed the button that shows
//! its domain.

use protocol::{Bound, Content, ElicitAction, FieldInput, FormField, ReplyValue};

/// What one control of a form holds.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Entered {
    /// Text (or a chosen option's value).
    Text(String),
    /// A number input's number (NaN when it is not one).
    Number(f64),
    /// A checkbox.
    Bool(bool),
}

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
    pub(crate) reply: Option<(ElicitAction, Content)>,
    /// The answer went to the edge (or can no longer go).
    pub(crate) sent: bool,
    /// The title of the field the last Submit found wrong.
    pub(crate) invalid: Option<String>,
}

/// The form's typed values, or the title of the first field that is wrong.
pub(crate) fn content(
    fields: &[FormField],
    values: &[(String, Entered)],
) -> Result<Content, String> {
    let mut out = Vec::new();
    for field in fields {
        let entered: Vec<&Entered> = values
            .iter()
            .filter(|(name, value)| {
                *name == field.name && !matches!(value, Entered::Text(t) if t.trim().is_empty())
            })
            .map(|(_, value)| value)
            .collect();
        let bad = || field.title.clone();
        let within = |x: f64| {
            field.min.is_none_or(|Bound(lo)| x >= lo) && field.max.is_none_or(|Bound(hi)| x <= hi)
        };
        let value = match (field.input, entered.first()) {
            (FieldInput::Boolean, first) => {
                ReplyValue::Bool(matches!(first, Some(Entered::Bool(true))))
            }
            (FieldInput::Multi, _) if !entered.is_empty() || !field.required => {
                if !within(entered.len() as f64) {
                    return Err(bad());
                }
                let texts = entered.iter().filter_map(|e| match e {
                    Entered::Text(t) => Some(t.trim().to_owned()),
                    _ => None,
                });
                ReplyValue::List(texts.collect())
            }
            (_, None) if field.required => return Err(bad()),
            (_, None) => continue,
            (FieldInput::Number | FieldInput::Integer, Some(Entered::Number(x))) => {
                let whole = x.fract() == 0.0;
                if !x.is_finite() || !within(*x) || (field.input == FieldInput::Integer && !whole) {
                    return Err(bad());
                }
                ReplyValue::Number(Bound(*x))
            }
            (_, Some(Entered::Text(text))) => ReplyValue::Text(text.trim().to_owned()),
            (_, Some(_)) => return Err(bad()),
        };
        out.push((field.name.clone(), value));
    }
    Ok(Content(out))
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

    fn pairs(list: &[(&str, Entered)]) -> Vec<(String, Entered)> {
        list.iter()
            .map(|(a, b)| (a.to_string(), b.clone()))
            .collect()
    }

    fn text(t: &str) -> Entered {
        Entered::Text(t.into())
    }

    #[test]
    fn values_are_typed_by_their_field() {
        let mut year = field("year", FieldInput::Integer, true);
        (year.min, year.max) = (Some(Bound(1996.0)), Some(Bound(1998.0)));
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
                ("year", Entered::Number(1997.0)),
                ("note", text(" ")),
                ("ok", Entered::Bool(true)),
                ("ratio", Entered::Number(0.5)),
                ("tags", text("a")),
                ("tags", text("b")),
            ]),
        )
        .unwrap();
        assert_eq!(
            got.0,
            vec![
                ("year".to_owned(), ReplyValue::Number(Bound(1997.0))),
                ("ok".to_owned(), ReplyValue::Bool(true)),
                ("ratio".to_owned(), ReplyValue::Number(Bound(0.5))),
                (
                    "tags".to_owned(),
                    ReplyValue::List(vec!["a".into(), "b".into()])
                ),
            ]
        );
        let unticked = content(
            &fields,
            &pairs(&[
                ("year", Entered::Number(1996.0)),
                ("ok", Entered::Bool(false)),
            ]),
        )
        .unwrap();
        assert_eq!(unticked.get("ok"), Some(&ReplyValue::Bool(false)));
        assert_eq!(unticked.get("tags"), Some(&ReplyValue::List(vec![])));
    }

    #[test]
    fn the_first_wrong_field_is_named() {
        let mut year = field("year", FieldInput::Integer, true);
        (year.min, year.max) = (Some(Bound(1996.0)), Some(Bound(1998.0)));
        let fields = vec![year, field("name", FieldInput::Text, true)];
        let check = |list: &[(&str, Entered)]| content(&fields, &pairs(list));
        let n = Entered::Number;
        assert_eq!(check(&[("name", text("Al"))]), Err("YEAR".into()));
        assert_eq!(
            check(&[("year", n(1997.5)), ("name", text("Al"))]),
            Err("YEAR".into())
        );
        assert_eq!(
            check(&[("year", n(2001.0)), ("name", text("Al"))]),
            Err("YEAR".into())
        );
        assert_eq!(
            check(&[("year", n(f64::NAN)), ("name", text("Al"))]),
            Err("YEAR".into())
        );
        assert_eq!(
            check(&[("year", n(1997.0)), ("name", text("  "))]),
            Err("NAME".into())
        );
        assert!(check(&[("year", n(1997.0)), ("name", text("Al"))]).is_ok());
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
    /// The user answered the question `id` of the waiting answer with `action` and what the
    /// form's controls hold (see [`content`]).
    pub(crate) fn answer_ask(
        &mut self,
        id: &str,
        action: ElicitAction,
        values: &[(String, Entered)],
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
                Content::default()
            }
            (ElicitAction::Accept, None) => match content(&ask.fields, values) {
                Ok(values) => values,
                Err(title) => {
                    ask.invalid = Some(title);
                    return Replied::Invalid;
                }
            },
            _ => Content::default(),
        };
        ask.invalid = None;
        ask.reply = Some((action, values));
        Replied::Answered(open)
    }
}
