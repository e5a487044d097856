//! The edge's errors: each knows its HTTP status, its stable code and a message safe to show.
//!
//! Every route renders an [`EdgeError`] the same way ([`EdgeError::api_error`]), so no token,
//! key or upstream body reaches the widget through an error.

use protocol::{ApiError, ErrorCode, ErrorResponse, RequestError};

/// What can go wrong before a chat stream starts, or on the non-streaming routes.
#[derive(Debug, thiserror::Error)]
pub enum EdgeError {
    /// The request carried no `Authorization: Bearer` token.
    #[error("no bearer token on the request: sign in through Pomerium")]
    MissingToken,
    /// The body is not JSON of the expected shape.
    #[error("the request body is not a valid chat request: {0}")]
    BadRequestBody(String),
    /// The chat request breaks a limit.
    #[error("{0}")]
    InvalidChatRequest(#[from] RequestError),
    /// A server id is not in the user's Pomerium server list.
    #[error("unknown server id {0:?}: it is not in your Pomerium server list")]
    UnknownServer(String),
    /// The requested model is not in the allow-list.
    #[error("the model {0:?} is not offered here; GET /api/models lists the models")]
    ModelNotAllowed(String),
    /// The request's `Origin` is not allowed.
    #[error("requests from this origin are not allowed")]
    OriginRefused,
    /// Local mode serves loopback `Host`s only (a page whose DNS name rebinds to this machine
    /// must not read it).
    #[error(
        "this edge runs in local mode and answers only loopback hosts (localhost, 127.0.0.1, [::1])"
    )]
    HostRefused,
    /// The caller is a Pomerium user the edge cannot name (`jwt_assertion = off`).
    #[error(
        "the edge cannot tell who you are: it needs Pomerium's identity assertion (jwt_assertion = required)"
    )]
    IdentityUnknown,
    /// The body is larger than the limit.
    #[error("the request body is larger than {0} bytes")]
    PayloadTooLarge(usize),
    /// The body is not JSON.
    #[error("the request body must be application/json")]
    UnsupportedMediaType,
    /// Pomerium's identity assertion is required and missing or invalid.
    #[error("the request did not come through Pomerium: {0}")]
    Assertion(#[from] crate::incoming::jwt::AssertionError),
    /// The assertion header is required and absent.
    #[error("the request did not come through Pomerium: no identity assertion")]
    AssertionMissing,
    /// A `redirect_url` that is not an absolute https URL.
    #[error("redirect_url must be an absolute https URL")]
    BadRedirectUrl,
    /// No route for the path.
    #[error("no such route")]
    NotFound,
    /// The route does not take this method.
    #[error("method not allowed on this route")]
    MethodNotAllowed,
    /// `POMERIUM_URL` is unset.
    #[error("the edge is not configured with POMERIUM_URL, so it cannot list your MCP servers")]
    PomeriumNotConfigured,
    /// Pomerium could not be reached.
    #[error("pomerium's server list could not be reached")]
    PomeriumUnreachable,
    /// Pomerium answered with a failure status.
    #[error("pomerium's server list answered with status {0}")]
    PomeriumStatus(u16),
    /// Pomerium's answer was not the documented JSON.
    #[error("pomerium's server list answered with malformed JSON")]
    PomeriumMalformed,
    /// A continuation from the browser did not open (see [`crate::incoming::seal`]).
    #[error("{0}: start a new answer")]
    Continuation(#[from] crate::incoming::seal::SealError),
    /// A resume the edge cannot do (edge tool mode, background mode off, another server set).
    #[error("this answer cannot be resumed ({0}): ask again")]
    NotResumable(&'static str),
    /// A setting the request needs is missing or does not parse; names the setting.
    #[error(
        "the edge's setting {0} is missing or invalid, so this request is refused; see /api/health"
    )]
    InvalidConfiguration(&'static str),
    /// An MCP App asked for a tool its server's policy, or the tool's visibility, keeps from
    /// apps (or that the server does not list).
    #[error("the app may not call the tool {0:?}")]
    ToolNotAllowed(String),
    /// An MCP App asked for a tool that needs the user's approval.
    #[error("the tool {0:?} needs the user's approval, so an app may not call it")]
    ToolNeedsApproval(String),
    /// Talking to an MCP server for an app's call failed.
    #[error("{0}")]
    McpServer(crate::mcp::client::McpError),
    /// An attachment breaks a limit or is malformed (see [`crate::incoming::attachments`]).
    #[error("{0}")]
    Attachment(#[from] crate::incoming::attachments::AttachmentError),
    /// The request names a hosted tool the edge does not enable for its model.
    #[error(
        "the hosted tool {0:?} is not enabled for this model; GET /api/models lists the hosted tools"
    )]
    HostedToolNotEnabled(String),
    /// Neither `OPENAI_API_KEY` nor `OPENAI_BASE_URL` is set.
    #[error(
        "no model provider is configured: set OPENAI_API_KEY (and optionally OPENAI_BASE_URL for an OpenAI-compatible server) in the edge's environment"
    )]
    ProviderNotConfigured,
    /// An MCP server the edge asked for prompts failed; the message is scrubbed.
    #[error("{0}")]
    PromptServer(String),
    /// The user's answer to an elicitation does not fit the server's form; names the field.
    #[error("the answer does not fit the form: {0}")]
    InvalidElicitation(String),
}

impl EdgeError {
    /// The stable code.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::MissingToken
            | Self::Assertion(_)
            | Self::AssertionMissing
            | Self::IdentityUnknown => ErrorCode::Unauthorized,
            Self::BadRequestBody(_) | Self::InvalidChatRequest(_) | Self::BadRedirectUrl => {
                ErrorCode::BadRequest
            }
            Self::ModelNotAllowed(_) => ErrorCode::ModelNotAllowed,
            Self::OriginRefused | Self::HostRefused => ErrorCode::Forbidden,
            Self::PayloadTooLarge(_) => ErrorCode::PayloadTooLarge,
            Self::UnsupportedMediaType => ErrorCode::UnsupportedMediaType,
            Self::UnknownServer(_) => ErrorCode::UnknownServer,
            Self::NotFound => ErrorCode::NotFound,
            Self::MethodNotAllowed => ErrorCode::MethodNotAllowed,
            Self::PomeriumNotConfigured
            | Self::PomeriumUnreachable
            | Self::PomeriumStatus(_)
            | Self::PomeriumMalformed => ErrorCode::PomeriumUnavailable,
            Self::ProviderNotConfigured => ErrorCode::ProviderNotConfigured,
            Self::Continuation(_) | Self::NotResumable(_) => ErrorCode::InvalidContinuation,
            Self::InvalidConfiguration(_) => ErrorCode::InvalidConfiguration,
            Self::InvalidElicitation(_) => ErrorCode::InvalidElicitation,
            Self::ToolNotAllowed(_) => ErrorCode::ToolNotAllowed,
            Self::ToolNeedsApproval(_) => ErrorCode::ToolNeedsApproval,
            Self::McpServer(crate::mcp::client::McpError::TooLarge(_)) => {
                ErrorCode::UpstreamTooLarge
            }
            Self::McpServer(_) | Self::PromptServer(_) => ErrorCode::McpServerUnreachable,
            Self::Attachment(err) => err.code(),
            Self::HostedToolNotEnabled(_) => ErrorCode::HostedToolNotEnabled,
        }
    }

    /// Whether the same request may succeed later.
    pub fn retryable(&self) -> bool {
        match self {
            Self::PomeriumUnreachable | Self::PomeriumMalformed | Self::PromptServer(_) => true,
            Self::PomeriumStatus(status) => *status >= 500,
            Self::McpServer(err) => matches!(
                err,
                crate::mcp::client::McpError::Transport | crate::mcp::client::McpError::Timeout(_)
            ),
            _ => false,
        }
    }

    /// The HTTP status; a Pomerium 401 means the user's session is gone.
    pub fn status(&self) -> u16 {
        match self {
            Self::PomeriumStatus(401) => 401,
            _ => self.code().http_status(),
        }
    }

    /// The error as the widget sees it.
    pub fn api_error(&self) -> ApiError {
        let code = match self {
            Self::PomeriumStatus(401) => ErrorCode::Unauthorized,
            _ => self.code(),
        };
        ApiError {
            code,
            message: self.to_string(),
            retryable: self.retryable(),
        }
    }

    /// The JSON body of the error response.
    pub fn body(&self) -> String {
        serde_json::to_string(&ErrorResponse {
            error: self.api_error(),
        })
        .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_and_codes() {
        let check = |err: EdgeError, status: u16, code: &str| {
            assert_eq!(err.status(), status, "{err:?}");
            let body: serde_json::Value = serde_json::from_str(&err.body()).unwrap();
            assert_eq!(body["error"]["code"], code, "{err:?}");
        };
        check(EdgeError::MissingToken, 401, "unauthorized");
        check(EdgeError::UnknownServer("x".into()), 400, "unknown_server");
        check(EdgeError::PomeriumStatus(401), 401, "unauthorized");
        check(EdgeError::PomeriumStatus(503), 502, "pomerium_unavailable");
        check(
            EdgeError::ProviderNotConfigured,
            503,
            "provider_not_configured",
        );
        check(
            EdgeError::Continuation(crate::incoming::seal::SealError::Foreign),
            403,
            "invalid_continuation",
        );
        check(
            EdgeError::InvalidElicitation("year: required".into()),
            400,
            "invalid_elicitation",
        );
        check(
            EdgeError::ToolNotAllowed("drop_table".into()),
            403,
            "tool_not_allowed",
        );
        check(
            EdgeError::ToolNeedsApproval("send_mail".into()),
            403,
            "tool_needs_approval",
        );
        check(
            EdgeError::McpServer(crate::mcp::client::McpError::TooLarge(9)),
            502,
            "upstream_too_large",
        );
        check(
            EdgeError::InvalidConfiguration("seal_secret"),
            503,
            "invalid_configuration",
        );
    }
}
