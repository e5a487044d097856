//! MCP in edge tool mode: the I/O-free client core ([`client`]: messages, versions, progress,
//! rich results, elicitation, prompts, MCP Apps) and the toolbox that offers MCP tools to the
//! model ([`toolbox`]), server prompts to and from the widget's `/api/prompts` routes
//! ([`prompt_wire`]), and which tools link MCP App views ([`views`]). The wasi transport is
//! `component/mcp_http.rs`; tests drive the same core
//! over a native transport (`testkit::mcp`).

pub mod client;
pub mod prompt_wire;
pub mod toolbox;
pub mod views;

use protocol::{ApiError, ErrorCode};

use crate::redact::Secrets;
use client::McpError;

/// The error for an MCP reply past the size limit (`max` bytes).
pub fn too_large(max: usize) -> ApiError {
    ApiError {
        code: ErrorCode::UpstreamTooLarge,
        message: format!(
            "an MCP server sent a reply larger than {max} bytes, the limit of this edge"
        ),
        retryable: false,
    }
}

/// The error that ends an answer when the server named `server_name` could not be listed; the
/// server's words are scrubbed of `secrets`.
pub fn listing_error(err: &McpError, server_name: &str, secrets: &Secrets) -> ApiError {
    match err {
        McpError::TooLarge(max) => too_large(*max),
        err => ApiError {
            code: ErrorCode::McpServerUnreachable,
            message: secrets.redact(&format!(
                "the MCP server {server_name:?} could not be listed: {err}"
            )),
            retryable: true,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_listing_failure_names_the_server_and_carries_no_secret() {
        let secrets = Secrets::new(["pom_mat_te"]);
        let err = McpError::Protocol("bad token pom_mat_te".into());
        let error = listing_error(&err, "Northwind", &secrets);
        assert_eq!(
            (error.code, error.retryable),
            (ErrorCode::McpServerUnreachable, true)
        );
        assert!(error.message.contains("\"Northwind\""), "{}", error.message);
        assert!(!error.message.contains("pom_mat_te"), "{}", error.message);
        let error = listing_error(&McpError::TooLarge(4096), "Northwind", &secrets);
        assert_eq!(
            (error.code, error.retryable),
            (ErrorCode::UpstreamTooLarge, false)
        );
        assert!(error.message.contains("4096"));
    }
}
