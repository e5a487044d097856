//! Elicitation on the wire: an MCP server asks the user for input during a tool call (edge tool
//! mode). The edge sends an `elicitation_request` event (a form's fields, or a link to open) and
//! ends the answer paused; the widget answers with an [`ElicitationReply`] in the chat request
//! that continues the answer.

use serde::de::{MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// One field of an elicitation form (a flat JSON Schema property, already checked by the edge).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormField {
    /// The key in the answer.
    pub name: String,
    /// The label.
    pub title: String,
    /// Help text.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Whether the answer must include it.
    #[serde(default)]
    pub required: bool,
    /// How it is entered.
    pub input: FieldInput,
    /// The choices of a `choice` or `multi` field.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<FieldOption>,
    /// The least value (numbers), length (text) or number of items (`multi`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<Bound>,
    /// The greatest value, length or number of items.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<Bound>,
    /// The initial value, as text (`true`/`false` for a boolean).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
}

/// How a field is entered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldInput {
    /// Free text.
    Text,
    /// An email address.
    Email,
    /// A URI.
    Url,
    /// A date.
    Date,
    /// A date and time.
    DateTime,
    /// A number.
    Number,
    /// A whole number.
    Integer,
    /// Yes or no.
    Boolean,
    /// One of [`FormField::options`].
    Choice,
    /// Several of [`FormField::options`].
    Multi,
}

/// One choice: the value sent, the label shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldOption {
    /// Sent in the answer.
    pub value: String,
    /// Shown.
    pub label: String,
}

/// What the user did with an elicitation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ElicitAction {
    /// Submitted the form (or, for a link, agreed to open it).
    Accept,
    /// Said no.
    Decline,
    /// Dismissed it without deciding.
    Cancel,
}

/// The user's answer to an `elicitation_request`, sent with the `previous_response_id` of the
/// paused answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ElicitationReply {
    /// The `elicitation_id` of the event (sealed to the user).
    pub elicitation_id: String,
    /// What the user did.
    pub action: ElicitAction,
    /// The form's values, by field name (only with `accept` of a form).
    #[serde(default, skip_serializing_if = "Content::is_empty")]
    pub content: Content,
}

/// A number bound of a field (`min`, `max`). Never NaN (the edge writes only finite numbers),
/// so equality is total.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Bound(pub f64);

impl Eq for Bound {}

impl From<i32> for Bound {
    fn from(n: i32) -> Self {
        Self(f64::from(n))
    }
}

/// One value of a reply: what a form's field holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ReplyValue {
    /// Yes or no.
    Bool(bool),
    /// A number.
    Number(Bound),
    /// Text, or one choice.
    Text(String),
    /// Several choices.
    List(Vec<String>),
}

/// A reply's values by field name, in order; a JSON object on the wire. Kept as a list so the
/// widget needs no map or JSON value type of its own (bundle size).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Content(pub Vec<(String, ReplyValue)>);

impl Content {
    /// True when it holds no value.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The value of field `name`.
    pub fn get(&self, name: &str) -> Option<&ReplyValue> {
        self.0.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }
}

impl Serialize for Content {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (name, value) in &self.0 {
            map.serialize_entry(name, value)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for Content {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Entries;
        impl<'de> Visitor<'de> for Entries {
            type Value = Content;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object of field values")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Content, A::Error> {
                let mut out = Vec::new();
                while let Some(entry) = map.next_entry::<String, ReplyValue>()? {
                    out.push(entry);
                }
                Ok(Content(out))
            }
        }
        deserializer.deserialize_map(Entries)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reply_is_a_json_object_of_typed_values() {
        let reply = ElicitationReply {
            elicitation_id: "e".into(),
            action: ElicitAction::Accept,
            content: Content(vec![
                ("year".into(), ReplyValue::Number(Bound(1997.0))),
                ("ok".into(), ReplyValue::Bool(true)),
                ("name".into(), ReplyValue::Text("Al".into())),
                ("tags".into(), ReplyValue::List(vec!["a".into()])),
            ]),
        };
        let json = serde_json::to_value(&reply).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"elicitation_id":"e","action":"accept",
                "content":{"year":1997.0,"ok":true,"name":"Al","tags":["a"]}})
        );
        let text = serde_json::to_string(&reply).unwrap();
        assert_eq!(
            serde_json::from_str::<ElicitationReply>(&text).unwrap(),
            reply
        );
        assert!(
            serde_json::from_value::<ElicitationReply>(
                serde_json::json!({"elicitation_id":"e","action":"accept","content":{"x":{"y":1}}})
            )
            .is_err()
        );
    }
}
