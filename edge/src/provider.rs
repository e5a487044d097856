//! The model provider's side: the Responses API request the edge sends, and what a failed
//! answer means for the widget.
//!
//! One `mcp` tool goes out per selected server, each carrying the caller's token in its
//! `headers`; the server URL comes from Pomerium's list, never from the browser. These are the
//! provider's wire shapes, defined once here.

use protocol::{ApiError, ChatRequest, ErrorCode, Role};
use serde::{Deserialize, Serialize};

use crate::auth::BearerToken;
use crate::config::Config;
use crate::pomerium::McpServer;

/// The body of `POST {base}/responses`.
#[derive(Debug, Serialize)]
pub struct ResponsesRequest<'a> {
    model: &'a str,
    instructions: &'a str,
    input: Vec<InputMessage<'a>>,
    tools: Vec<McpTool<'a>>,
    stream: bool,
    store: bool,
}

/// A structured conversation turn.
#[derive(Debug, Serialize)]
struct InputMessage<'a> {
    role: &'static str,
    content: &'a str,
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

/// Builds the JSON body for a chat request and the servers it resolved to.
pub fn build_request(
    config: &Config,
    chat: &ChatRequest,
    servers: &[&McpServer],
    token: &BearerToken,
) -> String {
    let request = ResponsesRequest {
        model: chat.model.as_deref().unwrap_or(&config.model),
        instructions: &config.instructions,
        input: chat
            .messages
            .iter()
            .map(|turn| InputMessage {
                role: match turn.role {
                    Role::User => "user",
                    Role::Assistant => "assistant",
                },
                content: &turn.content,
            })
            .collect(),
        tools: servers
            .iter()
            .map(|server| McpTool {
                r#type: "mcp",
                server_label: &server.info.id,
                server_url: &server.info.url,
                headers: McpHeaders {
                    authorization: token.header_value(),
                },
                require_approval: "never",
                server_description: server.info.description.as_deref(),
            })
            .collect(),
        stream: true,
        store: false,
    };
    serde_json::to_string(&request).unwrap_or_default()
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
        let config = Config::from_lookup(|k| (k == "OPENAI_API_KEY").then(|| "sk-x".to_owned()));
        let chat: ChatRequest = serde_json::from_str(
            r#"{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"hello"},{"role":"user","content":"sales?"}],"servers":["northwind"]}"#,
        )
        .unwrap();
        let servers = servers();
        let token = BearerToken::from_header_values(&["Bearer pom_mat_1"]).unwrap();
        let body: serde_json::Value = serde_json::from_str(&build_request(
            &config,
            &chat,
            &servers.iter().collect::<Vec<_>>(),
            &token,
        ))
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
