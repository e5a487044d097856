//! Elicitation on the wire: an MCP server asks the user for input during a tool call (edge tool
//! mode). The edge sends an `elicitation_request` event (a form's fields, or a link to open) and
//! ends the answer paused; the widget answers with an [`ElicitationReply`] in the chat request
//! that continues the answer.

use serde::{Deserialize, Serialize};
/// The JSON types of a reply's values (re-exported so the widget needs no JSON crate of its own).
pub use serde_json::{Map, Number, Value};

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
    pub min: Option<Number>,
    /// The greatest value, length or number of items.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<Number>,
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
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub content: Map<String, Value>,
}
