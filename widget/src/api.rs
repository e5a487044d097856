//! HTTP to the edge: who is signed in, the server list, the model list, disconnecting, the
//! servers' prompts, the chat request, and the refusal of any of them.
//!
//! Every request goes through the page's `fetch` with the session cookie
//! (`credentials: "include"`) and an `Accept` header whose best match is not `text/html`, so
//! that Pomerium answers an expired session with 401 instead of a redirect to the identity
//! provider. A non-2xx answer becomes the edge's [`ApiError`] when its body is an
//! `ErrorResponse`, or a safe one made from the status when it is not (a proxy's HTML page, for
//! example); no answer at all is `network_error`. A 5xx that is not the edge's JSON comes from
//! the runtime in front of it, which had no room for the request: `edge_busy`, which the chat
//! retries ([`busy`]). The streamed body of an answer is read by [`stream::EventReader`].

pub(crate) mod busy;
pub(crate) mod stream;

use protocol::{
    ApiError, ChatRequest, DisconnectRequest, ErrorCode, Identity, ModelList, PromptList,
    PromptMessages, ServerList,
};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortSignal, ReadableStream, Request, RequestCredentials, RequestInit, Response};

use crate::{element, json};

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
    /// The error as the widget shows it. The widget's own failures carry no message: the
    /// locale's message for the code is shown.
    pub(crate) fn into_api_error(self) -> ApiError {
        let (code, retryable) = match self {
            Self::Refused(error) => return error,
            Self::Unreachable => (ErrorCode::NetworkError, true),
            Self::Unreadable => (ErrorCode::Unknown, false),
        };
        ApiError {
            code,
            message: String::new(),
            retryable,
        }
    }
}

/// `GET {endpoint}/api/servers`, with `?redirect_url=` (where a Connect sign-in returns to)
/// when given.
pub(crate) async fn fetch_servers(
    endpoint: &str,
    redirect_url: Option<&str>,
    signal: &AbortSignal,
) -> Result<ServerList, RequestError> {
    let mut path = "/api/servers".to_owned();
    if let Some(redirect) = redirect_url {
        path.push_str("?redirect_url=");
        path.push_str(&String::from(js_sys::encode_uri_component(redirect)));
    }
    let response = send(endpoint, &path, "GET", None, signal).await?;
    let text = text(&response).await?;
    json::decode_server_list(&text).ok_or(RequestError::Unreadable)
}

/// `GET {endpoint}/api/me`: the user the edge verified.
pub(crate) async fn fetch_me(
    endpoint: &str,
    signal: &AbortSignal,
) -> Result<Identity, RequestError> {
    let response = send(endpoint, "/api/me", "GET", None, signal).await?;
    let text = text(&response).await?;
    json::decode_identity(&text).ok_or(RequestError::Unreadable)
}

/// `GET {endpoint}/api/models`.
pub(crate) async fn fetch_models(
    endpoint: &str,
    signal: &AbortSignal,
) -> Result<ModelList, RequestError> {
    let response = send(endpoint, "/api/models", "GET", None, signal).await?;
    let text = text(&response).await?;
    json::decode_model_list(&text).ok_or(RequestError::Unreadable)
}

/// `GET {endpoint}/api/prompts?servers=...`.
pub(crate) async fn fetch_prompts(
    endpoint: &str,
    servers: &[String],
    signal: &AbortSignal,
) -> Result<PromptList, RequestError> {
    let ids = String::from(js_sys::encode_uri_component(&servers.join(",")));
    let path = format!("/api/prompts?servers={ids}");
    let response = send(endpoint, &path, "GET", None, signal).await?;
    let text = text(&response).await?;
    json::decode_prompt_list(&text).ok_or(RequestError::Unreadable)
}

/// `POST {endpoint}/api/prompts/get` with `body` (a `PromptRequest`).
pub(crate) async fn fetch_prompt(
    endpoint: &str,
    body: &str,
    signal: &AbortSignal,
) -> Result<PromptMessages, RequestError> {
    let response = send(endpoint, "/api/prompts/get", "POST", Some(body), signal).await?;
    let text = text(&response).await?;
    json::decode_prompt_messages(&text).ok_or(RequestError::Unreadable)
}

/// `POST {endpoint}/api/servers/disconnect`; the answer is the new server list.
pub(crate) async fn disconnect(
    endpoint: &str,
    request: &DisconnectRequest,
    signal: &AbortSignal,
) -> Result<ServerList, RequestError> {
    let body = json::encode_disconnect(request);
    let response = send(
        endpoint,
        "/api/servers/disconnect",
        "POST",
        Some(&body),
        signal,
    )
    .await?;
    let text = text(&response).await?;
    json::decode_server_list(&text).ok_or(RequestError::Unreadable)
}

/// `POST {endpoint}/api/chat`; on 2xx, the body to read the answer's events from.
pub(crate) async fn post_chat(
    endpoint: &str,
    chat_request: &ChatRequest,
    signal: &AbortSignal,
) -> Result<ReadableStream, RequestError> {
    let body = json::encode_chat_request(chat_request);
    let response = send(endpoint, "/api/chat", "POST", Some(&body), signal).await?;
    response.body().ok_or(RequestError::Unreadable)
}

/// `POST {endpoint}/api/app/tool-call` with `body` (an `AppToolCall`); the `result` of the
/// answer as JSON text.
pub(crate) async fn app_tool_call(
    endpoint: &str,
    body: &str,
    signal: &AbortSignal,
) -> Result<String, RequestError> {
    let response = send(endpoint, "/api/app/tool-call", "POST", Some(body), signal).await?;
    let text = text(&response).await?;
    crate::app_bridge::app_result(&text).ok_or(RequestError::Unreadable)
}

/// `POST {endpoint}/api/chat/cancel` for the resumable answer `handle`.
pub(crate) async fn cancel_answer(endpoint: &str, handle: &str) -> Result<(), RequestError> {
    let body = json::object();
    json::set(&body, "handle", handle);
    let signal = web_sys::AbortController::new()
        .map_err(|_| RequestError::Unreadable)?
        .signal();
    let body = json::stringify(&body);
    send(endpoint, "/api/chat/cancel", "POST", Some(&body), &signal).await?;
    Ok(())
}

/// The URL of `path` on the edge; `endpoint` is a base URL, or empty for this page's origin.
pub(crate) fn url(endpoint: &str, path: &str) -> String {
    let mut res = endpoint.trim_end_matches('/').to_owned();
    res.push_str(path);
    res
}

/// Sends one request; a non-2xx answer is a [`RequestError::Refused`].
async fn send(
    endpoint: &str,
    path: &str,
    method: &str,
    body: Option<&str>,
    signal: &AbortSignal,
) -> Result<Response, RequestError> {
    let init = RequestInit::new();
    init.set_method(method);
    init.set_credentials(RequestCredentials::Include);
    init.set_signal(Some(signal));
    let headers = web_sys::Headers::new().map_err(|_| RequestError::Unreadable)?;
    let accept = match body {
        Some(body) => {
            init.set_body(&JsValue::from_str(body));
            let _ = headers.set("Content-Type", "application/json");
            "application/json, text/event-stream"
        }
        None => "application/json",
    };
    let _ = headers.set("Accept", accept);
    init.set_headers(&headers);
    let request = Request::new_with_str_and_init(&url(endpoint, path), &init)
        .map_err(|_| RequestError::Unreadable)?;
    let window = web_sys::window().ok_or(RequestError::Unreachable)?;
    // The loader may have sent this very GET while the wasm loaded; else fetch now. The glue
    // looks `fetch` up on each call, so a page (or a test) may wrap it.
    let early = (method == "GET")
        .then(|| element::take_early(&url(endpoint, path)))
        .flatten();
    let pending = early.unwrap_or_else(|| window.fetch_with_request(&request));
    let response: Response = JsFuture::from(pending)
        .await
        .map_err(|_| RequestError::Unreachable)?
        .unchecked_into();
    if !response.ok() {
        // A body that cannot be read is treated like one that is not an `ErrorResponse`.
        let body = text(&response).await.unwrap_or_default();
        return Err(RequestError::Refused(refusal_from(
            response.status(),
            &body,
        )));
    }
    Ok(response)
}

async fn text(response: &Response) -> Result<String, RequestError> {
    let promise = response.text().map_err(|_| RequestError::Unreachable)?;
    JsFuture::from(promise)
        .await
        .ok()
        .and_then(|t| t.as_string())
        .ok_or(RequestError::Unreachable)
}

/// The error for a non-2xx answer with this status and body.
fn refusal_from(status: u16, body: &str) -> ApiError {
    let from_body = json::decode_error_response(body);
    if status == 401 {
        // Pomerium's own 401 has no edge body; either way the user must sign in.
        return ApiError {
            code: ErrorCode::Unauthorized,
            message: from_body.map(|e| e.message).unwrap_or_default(),
            retryable: true,
        };
    }
    if let Some(error) = from_body {
        return error;
    }
    let code = match status {
        403 => ErrorCode::Forbidden,
        404 => ErrorCode::NotFound,
        405 => ErrorCode::MethodNotAllowed,
        413 => ErrorCode::PayloadTooLarge,
        415 => ErrorCode::UnsupportedMediaType,
        429 => ErrorCode::ProviderRateLimited,
        504 => ErrorCode::ProviderTimeout,
        // The edge answers its own 5xx with JSON: this one is the runtime's (or a proxy's).
        500..=599 => ErrorCode::EdgeBusy,
        _ => ErrorCode::Unknown,
    };
    // The status is the only detail, and it needs no translation.
    let mut message = "HTTP ".to_owned();
    message.push_str(&status.to_string());
    ApiError {
        code,
        message,
        retryable: status == 429 || status >= 500,
    }
}

#[cfg(test)]
mod tests {
    use wasm_bindgen_test::wasm_bindgen_test;

    use super::*;

    fn check(status: u16, body: &str, code: &str, message: &str, retryable: bool) {
        let error = refusal_from(status, body);
        assert_eq!(
            (error.code.as_str(), error.message.as_str(), error.retryable),
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
            "no token",
            true,
        );
        check(401, "<html>sign in</html>", "unauthorized", "", true);
        check(
            502,
            "<html>bad gateway</html>",
            "edge_busy",
            "HTTP 502",
            true,
        );
        check(500, "", "edge_busy", "HTTP 500", true);
        check(503, "Service Unavailable", "edge_busy", "HTTP 503", true);
        check(418, "", "unknown", "HTTP 418", false);
        check(403, "forbidden", "forbidden", "HTTP 403", false);
        check(404, "", "not_found", "HTTP 404", false);
        check(504, "", "provider_timeout", "HTTP 504", true);
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
    fn transport_failures_are_retryable_network_errors() {
        let error = RequestError::Unreachable.into_api_error();
        assert_eq!(error.code, ErrorCode::NetworkError);
        assert_eq!(error.message, "");
        assert!(error.retryable);
    }
}
