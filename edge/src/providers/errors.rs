//! What a failed provider answer means for the widget, in both tool modes: a non-2xx status,
//! an unreachable provider, a stream that broke off or sent an event past the size limit.

use protocol::{ApiError, ErrorCode};
use serde::Deserialize;

use crate::redact::redact;
use crate::servers::pomerium::McpServer;

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

/// The error for a provider stream whose line or event passed the size limit.
pub fn too_large_error() -> ApiError {
    ApiError {
        code: ErrorCode::UpstreamTooLarge,
        message: "the model provider sent an event larger than this edge reads".to_owned(),
        retryable: false,
    }
}

/// The error for a provider stream that ended without its last word: the connection broke
/// (`upstream_failed`) or the body simply ended.
pub fn interrupted(upstream_failed: bool) -> ApiError {
    let message = if upstream_failed {
        "the connection to the model provider broke before the answer was complete"
    } else {
        "the model provider's stream ended before the answer was complete"
    };
    ApiError {
        code: ErrorCode::StreamInterrupted,
        message: message.to_owned(),
        retryable: true,
    }
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
    use crate::providers::hosted::tests::servers;

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
