//! The bearer token check in front of `/mcp`: [`require_bearer`] and its pure core [`check`].
//!
//! A request passes only with `Authorization: Bearer <token>` carrying exactly the configured
//! token, compared in constant time. Anything else gets 401 with a `WWW-Authenticate` challenge
//! that points at the protected resource metadata, and a JSON body. Each rejection is logged as
//! one line that says why, never with the token that was sent or expected.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use protocol::{ApiError, ErrorCode, ErrorResponse};

/// The token `/mcp` requires. `Debug` never shows it.
#[derive(Clone)]
pub struct BearerToken(Arc<str>);

/// Why a request was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AuthFailure {
    /// No `Authorization` header, or not a `Bearer` one.
    #[error("missing bearer token")]
    Missing,
    /// A bearer token that is not the configured one.
    #[error("wrong bearer token")]
    Wrong,
}

impl BearerToken {
    /// Wraps the configured token.
    pub fn new(token: &str) -> Self {
        Self(token.into())
    }
}

impl std::fmt::Debug for BearerToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BearerToken(<redacted>)")
    }
}

/// Axum middleware: passes the request on when [`check`] accepts it, or answers 401.
pub async fn require_bearer(
    State(token): State<BearerToken>,
    req: Request,
    next: Next,
) -> Response {
    match check(&token, req.headers().get(header::AUTHORIZATION)) {
        Ok(()) => next.run(req).await,
        Err(failure) => {
            eprintln!("northwind-mcp: rejected request: {failure}");
            unauthorized(failure, req.headers())
        }
    }
}

/// Accepts `Bearer <token>` (the scheme in any case, RFC 9110 §11.1) with exactly `expected`.
pub fn check(
    expected: &BearerToken,
    authorization: Option<&HeaderValue>,
) -> Result<(), AuthFailure> {
    let value = authorization.map(HeaderValue::as_bytes).unwrap_or_default();
    let Some((scheme, presented)) = value.split_first_chunk::<7>() else {
        return Err(AuthFailure::Missing);
    };
    if !scheme.eq_ignore_ascii_case(b"Bearer ") || presented.is_empty() {
        return Err(AuthFailure::Missing);
    }
    match constant_time_eq(presented, expected.0.as_bytes()) {
        true => Ok(()),
        false => Err(AuthFailure::Wrong),
    }
}

/// The 401 answer: challenge header plus `{"error":{"code":"unauthorized",...}}`.
fn unauthorized(failure: AuthFailure, headers: &HeaderMap) -> Response {
    let body = ErrorResponse {
        error: ApiError {
            code: ErrorCode::Unauthorized,
            message: failure.to_string(),
            retryable: false,
        },
    };
    let challenge = challenge(headers);
    (
        StatusCode::UNAUTHORIZED,
        [(header::WWW_AUTHENTICATE, challenge)],
        axum::Json(body),
    )
        .into_response()
}

/// `Bearer resource_metadata="<scheme>://<host>/.well-known/oauth-protected-resource/mcp"`,
/// with the host from `Host` and the scheme from `X-Forwarded-Proto` (default `http`). A host
/// that is not a plain `name[:port]` is left out rather than echoed into the header.
pub fn challenge(headers: &HeaderMap) -> HeaderValue {
    let host = headers
        .get(header::HOST)
        .and_then(|host| host.to_str().ok())
        .filter(|host| is_plain_authority(host));
    let Some(host) = host else {
        return HeaderValue::from_static("Bearer");
    };
    let scheme = match headers.get("x-forwarded-proto").map(HeaderValue::as_bytes) {
        Some(b"https") => "https",
        _ => "http",
    };
    let value = format!(
        "Bearer resource_metadata=\"{scheme}://{host}/.well-known/oauth-protected-resource/mcp\""
    );
    HeaderValue::from_str(&value).unwrap_or_else(|_| HeaderValue::from_static("Bearer"))
}

/// Letters, digits, `.`, `-`, `:` and IPv6 brackets only.
fn is_plain_authority(host: &str) -> bool {
    !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'))
}

/// Compares two byte strings in time that depends only on their lengths.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(diff) == 0
}

#[cfg(test)]
mod tests {
    use axum::http::{HeaderMap, HeaderValue, header};

    use super::{AuthFailure, BearerToken, challenge, check, constant_time_eq};

    fn check_header(header: Option<&str>, expected: Result<(), AuthFailure>) {
        let token = BearerToken::new("s3cret");
        let value = header.map(|h| HeaderValue::from_str(h).unwrap());
        assert_eq!(
            check(&token, value.as_ref()),
            expected,
            "header: {header:?}"
        );
    }

    #[test]
    fn accepts_only_the_exact_token() {
        check_header(Some("Bearer s3cret"), Ok(()));
        check_header(Some("bearer s3cret"), Ok(()));
        check_header(None, Err(AuthFailure::Missing));
        check_header(Some(""), Err(AuthFailure::Missing));
        check_header(Some("Bearer "), Err(AuthFailure::Missing));
        check_header(Some("Basic czNjcmV0"), Err(AuthFailure::Missing));
        check_header(Some("s3cret"), Err(AuthFailure::Missing));
        check_header(Some("Bearer s3cre"), Err(AuthFailure::Wrong));
        check_header(Some("Bearer s3cret "), Err(AuthFailure::Wrong));
        check_header(Some("Bearer S3CRET"), Err(AuthFailure::Wrong));
        check_header(Some("Bearer  s3cret"), Err(AuthFailure::Wrong));
    }

    #[test]
    fn compares_bytes() {
        assert!(constant_time_eq(b"", b""));
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
    }

    fn check_challenge(headers: &[(&str, &str)], expected: &str) {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.insert(
                header::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        assert_eq!(challenge(&map), expected, "headers: {headers:?}");
    }

    #[test]
    fn challenge_points_at_the_resource_metadata() {
        check_challenge(
            &[("host", "127.0.0.1:8931")],
            r#"Bearer resource_metadata="http://127.0.0.1:8931/.well-known/oauth-protected-resource/mcp""#,
        );
        check_challenge(
            &[
                ("host", "db-mcp.example.com"),
                ("x-forwarded-proto", "https"),
            ],
            r#"Bearer resource_metadata="https://db-mcp.example.com/.well-known/oauth-protected-resource/mcp""#,
        );
        check_challenge(&[], "Bearer");
        check_challenge(&[("host", r#"evil" x="1"#)], "Bearer");
    }

    #[test]
    fn messages_and_debug_never_carry_the_token() {
        let token = BearerToken::new("s3cret");
        assert!(!format!("{token:?}").contains("s3cret"));
        assert_eq!(AuthFailure::Missing.to_string(), "missing bearer token");
        assert_eq!(AuthFailure::Wrong.to_string(), "wrong bearer token");
    }
}
