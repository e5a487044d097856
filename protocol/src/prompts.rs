//! Server prompts offered as `/` commands in the composer: `GET /api/prompts?servers=a,b`
//! answers a [`PromptList`]; `POST /api/prompts/get` with a [`PromptRequest`] answers the
//! prompt's [`PromptMessages`], whose text the widget puts in the composer.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::chat::RequestError;

/// Most servers one listing asks.
pub const MAX_PROMPT_SERVERS: usize = 8;
/// Most arguments of one prompt request.
pub const MAX_PROMPT_ARGUMENTS: usize = 16;
/// Longest argument value, in bytes.
pub const MAX_PROMPT_ARGUMENT_BYTES: usize = 1024;

/// The prompts of the servers asked.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PromptList {
    /// Every prompt, by server in the order asked.
    pub prompts: Vec<PromptInfo>,
}

/// One prompt a server offers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PromptInfo {
    /// The server id.
    pub server: String,
    /// The prompt's name on the server (the `/` command).
    pub name: String,
    /// What to show.
    pub title: String,
    /// What it does.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Its arguments, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub arguments: Vec<PromptArgument>,
}

/// One argument of a prompt (a string).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PromptArgument {
    /// The key.
    pub name: String,
    /// The label.
    pub title: String,
    /// Help text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Whether it must be given.
    #[serde(default)]
    pub required: bool,
}

/// The body of `POST /api/prompts/get`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PromptRequest {
    /// The server id.
    pub server: String,
    /// The prompt's name.
    pub name: String,
    /// The argument values (empty ones are left out).
    #[serde(default)]
    pub arguments: BTreeMap<String, String>,
}

impl PromptRequest {
    /// Checks the request's bounds.
    pub fn validate(&self) -> Result<(), RequestError> {
        if self.arguments.len() > MAX_PROMPT_ARGUMENTS
            || self
                .arguments
                .iter()
                .any(|(k, v)| k.len() > 128 || v.len() > MAX_PROMPT_ARGUMENT_BYTES)
        {
            return Err(RequestError::PromptArguments);
        }
        Ok(())
    }
}

/// A fetched prompt: its messages as text.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PromptMessages {
    /// The messages, in order.
    pub messages: Vec<PromptText>,
}

/// One message of a fetched prompt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PromptText {
    /// `user` or `assistant`.
    pub role: String,
    /// Its text (a non-text part as a short note).
    pub text: String,
}

impl PromptMessages {
    /// The text the composer receives: every message's text, blank-line separated.
    pub fn composer_text(&self) -> String {
        let texts: Vec<&str> = self.messages.iter().map(|m| m.text.as_str()).collect();
        texts.join("\n\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_bounded_and_texts_joined() {
        let mut request: PromptRequest = serde_json::from_str(
            r#"{"server":"northwind","name":"sales_review","arguments":{"year":"1997"}}"#,
        )
        .unwrap();
        assert_eq!(request.validate(), Ok(()));
        request
            .arguments
            .insert("x".into(), "y".repeat(MAX_PROMPT_ARGUMENT_BYTES + 1));
        assert_eq!(request.validate(), Err(RequestError::PromptArguments));
        let messages = PromptMessages {
            messages: vec![
                PromptText {
                    role: "user".into(),
                    text: "a".into(),
                },
                PromptText {
                    role: "assistant".into(),
                    text: "b".into(),
                },
            ],
        };
        assert_eq!(messages.composer_text(), "a\n\nb");
    }
}
