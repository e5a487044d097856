//! The model provider: the requests the edge sends and the decoding of what comes back, for
//! both tool modes and both APIs. These are the provider's wire shapes, defined once here.
//!
//! | module | owns |
//! |---|---|
//! | [`hosted`] | hosted mode's Responses request (one `mcp` tool per server) |
//! | [`tools`] | edge mode's round: its URL, request and stream decoder, for either API |
//! | [`responses`] | edge mode over the Responses API (`function` tools, `store: false`) |
//! | [`chat_completions`] | edge mode over Chat Completions streaming with `tools` |
//! | [`hosted_calls`] | the provider's own tool calls (web search, code interpreter) as tool cards |
//! | [`input_parts`] | a user turn's attachments as either API's input parts |
//! | [`usage`] | the providers' usage blocks read, bounded, into the protocol's usage |
//! | [`errors`] | a failed provider answer (status, transport, interrupted, too large) as the widget's error |

pub mod chat_completions;
pub mod errors;
pub mod hosted;
pub mod hosted_calls;
pub mod input_parts;
pub mod responses;
pub mod tools;
pub mod usage;

use protocol::ChatRequest;

use crate::config::Config;
use crate::error::EdgeError;

/// The model a request will use: its own choice if the allow-list has it, else the default.
pub fn resolve_model<'a>(config: &'a Config, chat: &'a ChatRequest) -> Result<&'a str, EdgeError> {
    match chat.model.as_deref() {
        None => Ok(&config.model),
        Some(model) if config.models.iter().any(|m| m == model) => Ok(model),
        Some(model) => Err(EdgeError::ModelNotAllowed(model.chars().take(80).collect())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn models_outside_the_allow_list_are_refused() {
        let config = Config::from_lookup(|k| (k == "models").then(|| "a,b".to_owned()));
        let chat = |model: Option<&str>| ChatRequest {
            messages: vec![],
            servers: vec![],
            model: model.map(str::to_owned),
            previous_response_id: None,
            approvals: vec![],
            elicitation: None,
            hosted_tools: vec![],
            resume: None,
        };
        assert_eq!(resolve_model(&config, &chat(Some("b"))).unwrap(), "b");
        assert_eq!(
            resolve_model(&config, &chat(None)).unwrap(),
            crate::config::DEFAULT_MODEL
        );
        assert!(matches!(
            resolve_model(&config, &chat(Some("gpt-5-pro"))),
            Err(EdgeError::ModelNotAllowed(_))
        ));
    }
}
