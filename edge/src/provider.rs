//! The model provider's side: the Responses API request the edge sends, and what a failed
//! answer means for the widget.
//!
//! One `mcp` tool goes out per selected server, each carrying the caller's token in its
//! `headers`; the server URL comes from Pomerium's list, never from the browser. These are the
//! provider's wire shapes, defined once here.

use protocol::{ApiError, ChatRequest, ErrorCode, Role};
use serde::{Deserialize, Serialize};

use crate::auth::BearerToken;
use crate::config::{Config, ServerPolicy};
use crate::error::EdgeError;
use crate::pomerium::McpServer;

/// The body of `POST {base}/responses`.
#[derive(Debug, Serialize)]
pub struct ResponsesRequest<'a> {
    model: &'a str,
    instructions: &'a str,
    input: Vec<InputItem<'a>>,
    tools: Vec<McpTool<'a>>,
    stream: bool,
    /// Kept server-side only when a continuation may be needed (approvals).
    store: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    previous_response_id: Option<&'a str>,
}

/// One item of `input`.
#[derive(Debug, Serialize)]
#[serde(untagged)]
enum InputItem<'a> {
    /// A structured conversation turn.
    Message {
        role: &'static str,
        content: &'a str,
    },
    /// The user's answer to an approval request.
    Approval {
        r#type: &'static str,
        approval_request_id: &'a str,
        approve: bool,
    },
}

/// A remote MCP server the provider should call.
#[derive(Debug, Serialize)]
struct McpTool<'a> {
    r#type: &'static str,
    server_label: &'a str,
    server_url: &'a str,
    headers: McpHeaders,
    require_approval: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    allowed_tools: Option<&'a [String]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    server_description: Option<&'a str>,
}

#[derive(Debug, Serialize)]
struct McpHeaders {
    #[serde(rename = "Authorization")]
    authorization: String,
}

/// The URL of the Responses endpoint.
pub fn responses_url(config: &Config) -> String {
    format!("{}/responses", config.base_url)
}

/// The model a request will use: its own choice if the allow-list has it, else the default.
pub fn resolve_model<'a>(config: &'a Config, chat: &'a ChatRequest) -> Result<&'a str, EdgeError> {
    match chat.model.as_deref() {
        None => Ok(&config.model),
        Some(model) if config.models.iter().any(|m| m == model) => Ok(model),
        Some(model) => Err(EdgeError::ModelNotAllowed(model.chars().take(80).collect())),
    }
}

/// Builds the JSON body for a chat request and the servers it resolved to.
///
/// A request carrying approvals continues `previous_response_id` with the decisions as input;
/// any other sends the whole conversation as structured turns. The tool list (with the token in
/// each tool's headers) goes out every time: the provider keeps neither.
pub fn build_request(
    config: &Config,
    chat: &ChatRequest,
    servers: &[&McpServer],
    token: &BearerToken,
) -> Result<String, EdgeError> {
    let model = resolve_model(config, chat)?;
    let input = if chat.approvals.is_empty() {
        chat.messages
            .iter()
            .map(|turn| InputItem::Message {
                role: match turn.role {
                    Role::User => "user",
                    Role::Assistant => "assistant",
                },
                content: &turn.content,
            })
            .collect()
    } else {
        chat.approvals
            .iter()
            .map(|a| InputItem::Approval {
                r#type: "mcp_approval_response",
                approval_request_id: &a.approval_request_id,
                approve: a.approve,
            })
            .collect()
    };
    let policies: Vec<ServerPolicy> = servers.iter().map(|s| config.policy(&s.info)).collect();
    let tools = servers
        .iter()
        .zip(&policies)
        .map(|(server, policy)| McpTool {
            r#type: "mcp",
            server_label: &server.info.id,
            server_url: &server.info.url,
            headers: McpHeaders {
                authorization: token.header_value(),
            },
            require_approval: if policy.require_approval {
                "always"
            } else {
                "never"
            },
            allowed_tools: policy.allowed_tools.as_deref(),
            server_description: server.info.description.as_deref(),
        })
        .collect();
    let request = ResponsesRequest {
        model,
        instructions: &config.instructions,
        input,
        tools,
        stream: true,
        store: policies.iter().any(|p| p.require_approval) || chat.previous_response_id.is_some(),
        previous_response_id: chat.previous_response_id.as_deref(),
    };
    Ok(serde_json::to_string(&request).unwrap_or_default())
}

/// The provider's error body: `{"error":{"message","type","param","code"}}`.
#[derive(Debug, Default, Deserialize)]
struct ProviderErrorBody {
    #[serde(default)]
    error: ProviderErrorDetail,
}

#[derive(Debug, Default, Deserialize)]
struct ProviderErrorDetail {
    #[serde(default)]
    message: Option<String>,
}

/// Maps a non-2xx answer from the provider to the error the widget sees.
///
/// `secrets` are scrubbed from any provider text that is passed on.
pub fn status_error(
    status: u16,
    body: &[u8],
    servers: &[&McpServer],
    secrets: &[&str],
) -> ApiError {
    let detail = serde_json::from_slice::<ProviderErrorBody>(body)
        .unwrap_or_default()
        .error
        .message
        .unwrap_or_default();
    let detail = redact(&detail, secrets);
    let (code, message, retryable) = match status {
        401 | 403 => (
            ErrorCode::ProviderAuth,
            "the model provider refused the edge's credentials".to_owned(),
            false,
        ),
        429 => (
            ErrorCode::ProviderRateLimited,
            "the model provider is rate limiting requests; try again shortly".to_owned(),
            true,
        ),
        424 => {
            let named = servers
                .iter()
                .find(|s| detail.contains(&format!("'{}'", s.info.id)));
            let message = match named {
                Some(server) => format!(
                    "the MCP server {:?} could not be reached by the model provider",
                    server.info.name
                ),
                None => "an MCP server could not be reached by the model provider".to_owned(),
            };
            (ErrorCode::McpServerUnreachable, message, true)
        }
        500..=599 => (
            ErrorCode::ProviderUnavailable,
            format!("the model provider is unavailable (status {status})"),
            true,
        ),
        _ => (
            ErrorCode::ProviderError,
            format!(
                "the model provider refused the request (status {status}): {}",
                truncate(&detail, 300)
            ),
            false,
        ),
    };
    ApiError {
        code,
        message,
        retryable,
    }
}

/// The error for a provider that could not be reached at all.
pub fn transport_error() -> ApiError {
    ApiError {
        code: ErrorCode::ProviderUnavailable,
        message: "the model provider could not be reached".to_owned(),
        retryable: true,
    }
}

/// The secrets of a request, to scrub from any provider text passed on: the caller's token and
/// the API key.
pub fn secrets(config: &Config, token: &BearerToken) -> Vec<String> {
    let mut secrets = vec![token.secret().to_owned()];
    if let Some(key) = &config.api_key {
        secrets.push(key.secret().to_owned());
    }
    secrets
}

/// Replaces every secret in `text` with `[redacted]`.
pub fn redact(text: &str, secrets: &[&str]) -> String {
    secrets
        .iter()
        .filter(|s| s.len() >= 4)
        .fold(text.to_owned(), |acc, secret| {
            acc.replace(secret, "[redacted]")
        })
}

fn truncate(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pomerium::parse_routes;

    fn servers() -> Vec<McpServer> {
        parse_routes(br#"{"servers":[{"name":"Northwind","description":"Sales","url":"https://db.corp.example/mcp"}]}"#).unwrap()
    }

    #[test]
    fn request_carries_structured_turns_and_one_mcp_tool_per_server() {
        let config = Config::from_lookup(|k| (k == "openai_api_key").then(|| "sk-x".to_owned()));
        let chat: ChatRequest = serde_json::from_str(
            r#"{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"hello"},{"role":"user","content":"sales?"}],"servers":["northwind"]}"#,
        )
        .unwrap();
        let servers = servers();
        let token = BearerToken::from_header_values(&["Bearer pom_mat_1"]).unwrap();
        let body: serde_json::Value = serde_json::from_str(
            &build_request(&config, &chat, &servers.iter().collect::<Vec<_>>(), &token).unwrap(),
        )
        .unwrap();
        assert_eq!(
            body,
            serde_json::json!({
                "model": crate::config::DEFAULT_MODEL,
                "instructions": crate::config::DEFAULT_INSTRUCTIONS,
                "input": [
                    {"role":"user","content":"hi"},
                    {"role":"assistant","content":"hello"},
                    {"role":"user","content":"sales?"}
                ],
                "tools": [{
                    "type":"mcp","server_label":"northwind","server_url":"https://db.corp.example/mcp",
                    "headers":{"Authorization":"Bearer pom_mat_1"},"require_approval":"never","server_description":"Sales"
                }],
                "stream": true,
                "store": false
            })
        );
    }

    #[test]
    fn approvals_continue_the_stored_response_with_the_server_policy() {
        let config = Config::from_lookup(|k| match k {
            "mcp_policies" => Some(
                r#"{"northwind":{"require_approval":"always","allowed_tools":["read_query"]}}"#
                    .to_owned(),
            ),
            _ => None,
        });
        let chat: ChatRequest = serde_json::from_str(
            r#"{"messages":[{"role":"user","content":"sales?"}],"servers":["northwind"],"previous_response_id":"resp_1","approvals":[{"approval_request_id":"mcpr_1","approve":true}]}"#,
        )
        .unwrap();
        let servers = servers();
        let token = BearerToken::from_header_values(&["Bearer pom_mat_1"]).unwrap();
        let body: serde_json::Value = serde_json::from_str(
            &build_request(&config, &chat, &servers.iter().collect::<Vec<_>>(), &token).unwrap(),
        )
        .unwrap();
        assert_eq!(body["previous_response_id"], "resp_1");
        assert_eq!(body["store"], true);
        assert_eq!(
            body["input"],
            serde_json::json!([{"type":"mcp_approval_response","approval_request_id":"mcpr_1","approve":true}])
        );
        assert_eq!(body["tools"][0]["require_approval"], "always");
        assert_eq!(
            body["tools"][0]["allowed_tools"],
            serde_json::json!(["read_query"])
        );
        assert_eq!(
            body["tools"][0]["headers"]["Authorization"],
            "Bearer pom_mat_1"
        );
    }

    #[test]
    fn models_outside_the_allow_list_are_refused() {
        let config = Config::from_lookup(|k| (k == "models").then(|| "a,b".to_owned()));
        let chat = |model: Option<&str>| ChatRequest {
            messages: vec![],
            servers: vec![],
            model: model.map(str::to_owned),
            previous_response_id: None,
            approvals: vec![],
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

    #[test]
    fn maps_provider_statuses() {
        let servers = servers();
        let servers: Vec<&McpServer> = servers.iter().collect();
        let check = |status: u16, body: &str, code: ErrorCode, retryable: bool| {
            let err = status_error(status, body.as_bytes(), &servers, &["pom_mat_secret"]);
            assert_eq!((err.code, err.retryable), (code, retryable), "{status}");
            assert!(!err.message.contains("pom_mat_secret"));
            err
        };
        check(401, "", ErrorCode::ProviderAuth, false);
        check(
            429,
            r#"{"error":{"message":"Rate limit reached","code":"rate_limit_exceeded"}}"#,
            ErrorCode::ProviderRateLimited,
            true,
        );
        let err = check(
            424,
            r#"{"error":{"message":"Error retrieving tool list from MCP server: 'northwind'. Http status code: 401"}}"#,
            ErrorCode::McpServerUnreachable,
            true,
        );
        assert!(err.message.contains("Northwind"), "{}", err.message);
        check(503, "oops", ErrorCode::ProviderUnavailable, true);
        let err = check(
            400,
            r#"{"error":{"message":"bad header Bearer pom_mat_secret"}}"#,
            ErrorCode::ProviderError,
            false,
        );
        assert!(err.message.contains("[redacted]"));
    }
}
