//! The provider's side of edge tool mode: the request for one round, and the decoding of its
//! stream into [`ModelEvent`]s, for either API the edge speaks ([`super::responses`]: OpenAI's
//! Responses API with `function` tools; [`super::chat_completions`]: Chat Completions streaming
//! with `tools`, `shared/protocols.md` §3).

use protocol::ChatRequest;
use serde_json::Value;

use super::{chat_completions, responses};

use crate::answer::tool_loop::{ModelEvent, Round};
use crate::config::{Config, ProviderKind};
use crate::error::EdgeError;
use crate::mcp::toolbox::{FunctionTool, Toolbox};

/// The URL a round's request goes to.
pub fn url(config: &Config) -> String {
    match config.tools.provider {
        ProviderKind::Responses => format!("{}/responses", config.base_url),
        ProviderKind::ChatCompletions => format!("{}/chat/completions", config.base_url),
    }
}

/// The JSON body of one round's request: the conversation, then every earlier round's calls
/// and results, and the functions.
pub fn build_request(
    config: &Config,
    chat: &ChatRequest,
    toolbox: &Toolbox,
    history: &[Round],
) -> Result<String, EdgeError> {
    let model = super::resolve_model(config, chat)?;
    let body = match config.tools.provider {
        ProviderKind::Responses => {
            responses::request(model, &config.instructions, chat, toolbox, history)
        }
        ProviderKind::ChatCompletions => {
            chat_completions::request(model, &config.instructions, chat, toolbox, history)
        }
    };
    Ok(body.to_string())
}

/// The conversation's turns as `{"role", "content"}` messages, a shape both APIs read; a turn
/// with attachments has `api`'s input parts ([`super::input_parts`]).
pub fn turns(chat: &ChatRequest, api: super::input_parts::Api) -> impl Iterator<Item = Value> + '_ {
    chat.messages
        .iter()
        .map(move |turn| super::input_parts::message(turn, api))
}

/// `body` with the toolbox's functions, each in the API's `shape`, as `tools` (left out when
/// there are none).
pub fn with_functions(
    mut body: Value,
    toolbox: &Toolbox,
    shape: impl Fn(&FunctionTool) -> Value,
) -> Value {
    if !toolbox.tools().is_empty() {
        body["tools"] = toolbox.tools().iter().map(shape).collect();
    }
    body
}

/// [`super::errors::too_large_error`] as a model event.
pub fn too_large() -> ModelEvent {
    ModelEvent::Failed(super::errors::too_large_error())
}

/// Either API's stream decoder.
#[derive(Debug)]
pub enum StreamDecoder {
    /// Responses API events.
    Responses(responses::Decoder),
    /// Chat Completions chunks.
    ChatCompletions(chat_completions::Decoder),
}

impl StreamDecoder {
    /// A decoder for round `round` of `config`'s provider, scrubbing `secrets` from errors and
    /// reading lines and events of at most `max_upstream_event_bytes`.
    pub fn new(config: &Config, round: usize, secrets: Vec<String>) -> Self {
        let bounds = &config.bounds;
        match config.tools.provider {
            ProviderKind::Responses => {
                Self::Responses(responses::Decoder::new(secrets, bounds.max_event_bytes))
            }
            ProviderKind::ChatCompletions => {
                Self::ChatCompletions(chat_completions::Decoder::new(round, secrets, bounds))
            }
        }
    }

    /// Feeds one chunk of the body.
    pub fn push(&mut self, chunk: &[u8]) -> Vec<ModelEvent> {
        match self {
            Self::Responses(d) => d.push(chunk),
            Self::ChatCompletions(d) => d.push(chunk),
        }
    }

    /// True once the round's stream has said its last word.
    pub fn finished(&self) -> bool {
        match self {
            Self::Responses(d) => d.finished(),
            Self::ChatCompletions(d) => d.finished(),
        }
    }

    /// The body ended: [`ModelEvent::Finished`] if the stream said it was complete, an
    /// interruption otherwise (nothing when it already ended).
    pub fn finish(&mut self, upstream_failed: bool) -> Vec<ModelEvent> {
        let complete = match self {
            Self::Responses(d) => d.finished(),
            Self::ChatCompletions(d) => d.finished() || d.saw_finish_reason(),
        };
        if self.finished() {
            return Vec::new();
        }
        if complete {
            return vec![ModelEvent::Finished];
        }
        vec![ModelEvent::Failed(super::errors::interrupted(
            upstream_failed,
        ))]
    }
}
