//! HTTP to the edge: the server list, the chat request, and the refusal of either.
//!
//! Every request carries the session cookie (`credentials: "include"`) and an `Accept` header
//! whose best match is not `text/html`, so that Pomerium answers an expired session with 401
//! instead of a redirect to the identity provider. A non-2xx answer becomes the edge's
//! [`ApiError`] when its body is an [`ErrorResponse`], or a safe one made from the status when
//! it is not (a proxy's HTML page, for example). The streamed body of an answer is read by
//! [`stream::EventReader`].

pub(crate) mod stream;

use gloo_net::http::{Request, Response};
use protocol::{ApiError, ChatRequest, ErrorCode, ErrorResponse, ServerList};
use web_sys::{AbortSignal, ReadableStream, RequestCredentials};

/// The message shown for a 401: the session is missing or has expired.
pub(crate) const SIGN_IN: &str = "Sign in to continue";

/// Why a request to the edge gave no usable answer.
#[derive(Debug, thiserror::Error)]
pub(crate) enum RequestError {
    /// The edge (or a proxy in front of it) answered with a non-2xx status.
    #[error("the chat service refused the request: {}", .0.message)]
    Refused(ApiError),
    /// The request never got an answer: offline, DNS, CORS, or the connection broke.
    #[error("could not reach the chat service")]
    Unreachable,
    /// A 2xx answer whose body is not what the edge sends.
    #[error("the chat service sent an answer the widget cannot read")]
    Unreadable,
}

impl RequestError {
    /// The error as the widget shows it.
    pub(crate) fn into_api_error(self) -> ApiError {
        let retryable = !matches!(self, Self::Unreadable);
        let code = match self {
            Self::Refused(error) => return error,
            Self::Unreachable | Self::Unreadable => ErrorCode::Unknown,
        };
        ApiError {
            code,
            message: self.to_string(),
            retryable,
        }
    }
}

/// `GET {endpoint}/api/servers`.
pub(crate) async fn fetch_servers(
    endpoint: &str,
    signal: &AbortSignal,
) -> Result<ServerList, RequestError> {
    let response = Request::get(&url(endpoint, "/api/servers"))
        .credentials(RequestCredentials::Include)
        .header("Accept", "application/json")
        .abort_signal(Some(signal))
        .send()
        .await
        .map_err(|_| RequestError::Unreachable)?;
    if !response.ok() {
        return Err(RequestError::Refused(refusal(&response).await));
    }
    response
        .json::<ServerList>()
        .await
        .map_err(|_| RequestError::Unreadable)
}

/// `POST {endpoint}/api/chat`; on 2xx, the body to read the answer's events from.
pub(crate) async fn post_chat(
    endpoint: &str,
    chat_request: &ChatRequest,
    signal: &AbortSignal,
) -> Result<ReadableStream, RequestError> {
    let body = serde_json::to_string(chat_request).map_err(|_| RequestError::Unreadable)?;
    let response = Request::post(&url(endpoint, "/api/chat"))
        .credentials(RequestCredentials::Include)
        .header("Content-Type", "application/json")
        .header("Accept", "application/json, text/event-stream")
        .abort_signal(Some(signal))
        .body(body)
        .map_err(|_| RequestError::Unreadable)?
        .send()
        .await
        .map_err(|_| RequestError::Unreachable)?;
    if !response.ok() {
        return Err(RequestError::Refused(refusal(&response).await));
    }
    response.body().ok_or(RequestError::Unreadable)
}

/// The URL of `path` on the edge; `endpoint` is a base URL, or empty for this page's origin.
pub(crate) fn url(endpoint: &str, path: &str) -> String {
    format!("{}{path}", endpoint.trim_end_matches('/'))
}

async fn refusal(response: &Response) -> ApiError {
    // A body that cannot be read is treated like one that is not an `ErrorResponse`.
    let body = response.text().await.unwrap_or_default();
    refusal_from(response.status(), &body)
}

/// The error for a non-2xx answer with this status and body.
fn refusal_from(status: u16, body: &str) -> ApiError {
    if status == 401 {
        return ApiError {
            code: ErrorCode::Unauthorized,
            message: SIGN_IN.to_owned(),
            retryable: true,
        };
    }
    if let Ok(ErrorResponse { error }) = serde_json::from_str::<ErrorResponse>(body) {
        return error;
    }
    let code = match status {
        404 => ErrorCode::NotFound,
        405 => ErrorCode::MethodNotAllowed,
        _ => ErrorCode::Unknown,
    };
    ApiError {
        code,
        message: format!("the chat service answered with HTTP status {status}"),
        retryable: status == 429 || status >= 500,
    }
}

/// The wire name of an error code, as in the JSON (`stream_interrupted`).
pub(crate) fn code_name(code: ErrorCode) -> String {
    // A unit variant serializes as a JSON string: `"stream_interrupted"`.
    match serde_json::to_string(&code) {
        Ok(json) => json.trim_matches('"').to_owned(),
        Err(_) => "unknown".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use wasm_bindgen_test::wasm_bindgen_test;

    use super::*;

    fn check(status: u16, body: &str, code: &str, message: &str, retryable: bool) {
        let error = refusal_from(status, body);
        assert_eq!(
            (
                code_name(error.code).as_str(),
                error.message.as_str(),
                error.retryable
            ),
            (code, message, retryable),
            "status {status}, body {body:?}"
        );
    }

    #[wasm_bindgen_test]
    fn refusals_come_from_the_body_or_the_status() {
        check(
            400,
            r#"{"error":{"code":"unknown_server","message":"no server x","retryable":false}}"#,
            "unknown_server",
            "no server x",
            false,
        );
        check(
            503,
            r#"{"error":{"code":"provider_unavailable","message":"down","retryable":true,"extra":1}}"#,
            "provider_unavailable",
            "down",
            true,
        );
        check(
            401,
            r#"{"error":{"code":"unauthorized","message":"no token","retryable":false}}"#,
            "unauthorized",
            SIGN_IN,
            true,
        );
        check(401, "<html>sign in</html>", "unauthorized", SIGN_IN, true);
        check(
            502,
            "<html>bad gateway</html>",
            "unknown",
            "the chat service answered with HTTP status 502",
            true,
        );
        check(
            403,
            "forbidden",
            "unknown",
            "the chat service answered with HTTP status 403",
            false,
        );
        check(
            404,
            "",
            "not_found",
            "the chat service answered with HTTP status 404",
            false,
        );
    }

    #[wasm_bindgen_test]
    fn urls_join_the_endpoint_and_path() {
        assert_eq!(url("", "/api/chat"), "/api/chat");
        assert_eq!(
            url("https://chat.example/", "/api/chat"),
            "https://chat.example/api/chat"
        );
        assert_eq!(
            url("https://chat.example", "/api/servers"),
            "https://chat.example/api/servers"
        );
    }

    #[wasm_bindgen_test]
    fn transport_failures_are_retryable_unknowns() {
        let error = RequestError::Unreachable.into_api_error();
        assert_eq!(error.code, ErrorCode::Unknown);
        assert_eq!(error.message, "could not reach the chat service");
        assert!(error.retryable);
        assert_eq!(
            code_name(ErrorCode::StreamInterrupted),
            "stream_interrupted"
        );
    }
}
