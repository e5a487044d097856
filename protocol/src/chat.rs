//! The chat request the widget sends to `POST /api/chat`.
//!
//! A conversation travels as structured turns, never as one flattened string, and servers are
//! named by the ids that `GET /api/servers` handed out: the browser never names a URL that the
//! edge will call.

use serde::{Deserialize, Serialize};

/// Longest conversation, in turns, that the edge accepts in one request.
pub const MAX_TURNS: usize = 200;
/// Longest single turn, in bytes.
pub const MAX_TURN_BYTES: usize = 64 * 1024;
/// Most servers one request may select.
pub const MAX_SERVERS: usize = 16;

/// The body of `POST /api/chat`. Unknown fields are refused, so a typo never passes silently.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChatRequest {
    /// The conversation so far, oldest first; the last turn is the user's new message.
    pub messages: Vec<Turn>,
    /// Ids of the MCP servers (from `GET /api/servers`) the answer may use.
    #[serde(default)]
    pub servers: Vec<String>,
    /// The model to use; the edge's default when absent. Must be one of `GET /api/models`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// With [`ChatRequest::approvals`]: the response (from its `done` event) that asked for
    /// approval and is to be continued.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_response_id: Option<String>,
    /// The user's answers to `approval_request` events of the previous response.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub approvals: Vec<ApprovalDecision>,
    /// The user's answer to the `elicitation_request` of the previous response (edge tool mode).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub elicitation: Option<crate::ElicitationReply>,
    /// The provider's own tools to offer the model (`web_search`, `code_interpreter`); each
    /// must be enabled for the model in the edge's configuration (`GET /api/models` lists them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hosted_tools: Vec<String>,
    /// Continue the answer to the last turn whose stream broke off, from this point, instead of
    /// asking anew (see [`crate::resume`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resume: Option<crate::ResumeFrom>,
}

/// The user's answer to one approval request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApprovalDecision {
    /// The `approval_request_id` of the `approval_request` event.
    pub approval_request_id: String,
    /// Whether the tool call may run.
    pub approve: bool,
}

/// One turn of the conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Turn {
    /// Who said it.
    pub role: Role,
    /// What was said, as plain text (markdown for the assistant).
    pub content: String,
    /// Files attached to a user's turn (limits in [`crate::attachment`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<crate::Attachment>,
}

/// The author of a turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The person using the widget.
    User,
    /// The model's earlier answers.
    Assistant,
}

/// Why a [`ChatRequest`] was refused before anything was sent upstream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestError {
    /// The request has no turns.
    Empty,
    /// The last turn is not the user's.
    LastTurnNotUser,
    /// More than [`MAX_TURNS`] turns.
    TooManyTurns,
    /// A turn is longer than [`MAX_TURN_BYTES`].
    TurnTooLong,
    /// More than [`MAX_SERVERS`] servers.
    TooManyServers,
    /// The same server id twice.
    DuplicateServer,
    /// Approvals without the response they continue, or the other way round.
    ApprovalsWithoutResponse,
    /// A prompt request with too many or too long arguments.
    PromptArguments,
    /// A resume together with approvals: a resumed answer continues as it was.
    ResumeWithApprovals,
}

impl std::fmt::Display for RequestError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let msg = match self {
            Self::Empty => "the conversation has no messages".to_owned(),
            Self::LastTurnNotUser => "the last message must be the user's".to_owned(),
            Self::TooManyTurns => format!("the conversation has more than {MAX_TURNS} messages"),
            Self::TurnTooLong => format!("a message is longer than {MAX_TURN_BYTES} bytes"),
            Self::TooManyServers => format!("more than {MAX_SERVERS} servers were selected"),
            Self::DuplicateServer => "a server is selected twice".to_owned(),
            Self::ApprovalsWithoutResponse => {
                "approvals (or an elicitation reply) need the previous_response_id they answer, and a previous_response_id needs them".to_owned()
            }
            Self::PromptArguments => format!(
                "a prompt takes at most {} arguments of at most {} bytes",
                crate::prompts::MAX_PROMPT_ARGUMENTS,
                crate::prompts::MAX_PROMPT_ARGUMENT_BYTES
            ),
            Self::ResumeWithApprovals => {
                "a resumed answer takes no approvals or elicitation reply".to_owned()
            }
        };
        f.write_str(&msg)
    }
}

impl std::error::Error for RequestError {}

impl ChatRequest {
    /// Checks the limits and the shape of the conversation.
    pub fn validate(&self) -> Result<(), RequestError> {
        let Some(last) = self.messages.last() else {
            return Err(RequestError::Empty);
        };
        if last.role != Role::User {
            return Err(RequestError::LastTurnNotUser);
        }
        if self.messages.len() > MAX_TURNS {
            return Err(RequestError::TooManyTurns);
        }
        if self
            .messages
            .iter()
            .any(|t| t.content.len() > MAX_TURN_BYTES)
        {
            return Err(RequestError::TurnTooLong);
        }
        if self.servers.len() > MAX_SERVERS {
            return Err(RequestError::TooManyServers);
        }
        if self
            .servers
            .iter()
            .enumerate()
            .any(|(i, id)| self.servers[..i].contains(id))
        {
            return Err(RequestError::DuplicateServer);
        }
        let answering = !self.approvals.is_empty() || self.elicitation.is_some();
        if answering != self.previous_response_id.is_some() {
            return Err(RequestError::ApprovalsWithoutResponse);
        }
        if self.resume.is_some() && answering {
            return Err(RequestError::ResumeWithApprovals);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(json: &str) -> ChatRequest {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn an_elicitation_reply_needs_the_response_it_continues() {
        let reply =
            r#""elicitation":{"elicitation_id":"e","action":"accept","content":{"year":1997}}"#;
        let with = request(&format!(
            r#"{{"messages":[{{"role":"user","content":"hi"}}],"previous_response_id":"p",{reply}}}"#
        ));
        assert_eq!(with.validate(), Ok(()));
        let without = request(&format!(
            r#"{{"messages":[{{"role":"user","content":"hi"}}],{reply}}}"#
        ));
        assert_eq!(
            without.validate(),
            Err(RequestError::ApprovalsWithoutResponse)
        );
    }

    #[test]
    fn parses_minimal_request_with_defaults() {
        let req = request(r#"{"messages":[{"role":"user","content":"hi"}]}"#);
        assert_eq!(req.servers, Vec::<String>::new());
        assert_eq!(req.model, None);
        assert_eq!(req.validate(), Ok(()));
    }

    #[test]
    fn refuses_bad_conversations() {
        let check =
            |json: &str, want: RequestError| assert_eq!(request(json).validate(), Err(want));
        check(r#"{"messages":[]}"#, RequestError::Empty);
        check(
            r#"{"messages":[{"role":"user","content":"a"},{"role":"assistant","content":"b"}]}"#,
            RequestError::LastTurnNotUser,
        );
        let long = "x".repeat(MAX_TURN_BYTES + 1);
        check(
            &format!(r#"{{"messages":[{{"role":"user","content":"{long}"}}]}}"#),
            RequestError::TurnTooLong,
        );
    }

    #[test]
    fn unknown_role_is_a_parse_error() {
        let res = serde_json::from_str::<ChatRequest>(
            r#"{"messages":[{"role":"system","content":"x"}]}"#,
        );
        assert!(res.is_err());
    }
}
