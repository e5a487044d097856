//! The streaming reverse proxy both kinds of Pomerium route use.
//!
//! [`forward`] sends the incoming request to `upstream + path?query` with the given
//! `Authorization` (the incoming one is always dropped), and streams the answer back: the status
//! and headers go out as soon as the upstream sends them, then each body chunk as it arrives.
//! Request bodies stream the same way. Nothing is collected in memory, so SSE passes through live.

use axum::body::Body;
use axum::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use axum::http::{Request, StatusCode};
use axum::response::{IntoResponse, Response};

/// Headers that describe one hop, not the message (RFC 9110 §7.6.1), plus `Host`, which the
/// client sets for the upstream itself.
const HOP_BY_HOP: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "host",
];

/// Forwards `req` to `upstream` (a base URL; the request's path and query are appended) with
/// `Authorization: <authorization>` when given, and streams the response back.
pub(crate) async fn forward(
    http: &reqwest::Client,
    upstream: &str,
    req: Request<Body>,
    authorization: Option<&str>,
) -> Response {
    let (parts, body) = req.into_parts();
    let path_and_query = parts.uri.path_and_query().map_or("/", |pq| pq.as_str());
    let url = format!("{}{path_and_query}", upstream.trim_end_matches('/'));

    let mut headers = end_to_end(&parts.headers);
    headers.remove(header::AUTHORIZATION);
    if let Some(value) = authorization.and_then(|a| HeaderValue::from_str(a).ok()) {
        headers.insert(header::AUTHORIZATION, value);
    }
    if let Some(host) = parts.headers.get(header::HOST) {
        headers.insert(HeaderName::from_static("x-forwarded-host"), host.clone());
    }
    headers.insert(
        HeaderName::from_static("x-forwarded-proto"),
        HeaderValue::from_static("http"),
    );

    let has_body = parts.headers.contains_key(header::CONTENT_LENGTH)
        || parts.headers.contains_key(header::TRANSFER_ENCODING);
    let mut outgoing = http.request(parts.method, url).headers(headers);
    if has_body {
        outgoing = outgoing.body(reqwest::Body::wrap_stream(body.into_data_stream()));
    }
    let upstream_res = match outgoing.send().await {
        Ok(res) => res,
        Err(_) => return (StatusCode::BAD_GATEWAY, "upstream unreachable").into_response(),
    };

    let status = upstream_res.status();
    let headers = end_to_end(upstream_res.headers());
    let mut res = Response::new(Body::from_stream(upstream_res.bytes_stream()));
    *res.status_mut() = status;
    *res.headers_mut() = headers;
    res
}

/// A copy of `headers` without the hop-by-hop ones (including those named in `Connection`).
fn end_to_end(headers: &HeaderMap) -> HeaderMap {
    let named_in_connection: Vec<String> = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|name| name.trim().to_ascii_lowercase())
        .collect();
    let mut res = headers.clone();
    for name in HOP_BY_HOP
        .iter()
        .copied()
        .chain(named_in_connection.iter().map(String::as_str))
    {
        res.remove(name);
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hop_by_hop_headers_are_dropped() {
        let mut headers = HeaderMap::new();
        for (name, value) in [
            ("connection", "keep-alive, x-private"),
            ("x-private", "1"),
            ("transfer-encoding", "chunked"),
            ("host", "a.example"),
            ("content-type", "text/event-stream"),
            ("mcp-session-id", "s1"),
        ] {
            headers.append(name, HeaderValue::from_static(value));
        }
        let kept = end_to_end(&headers);
        let mut names: Vec<&str> = kept.keys().map(HeaderName::as_str).collect();
        names.sort_unstable();
        assert_eq!(names, ["content-type", "mcp-session-id"]);
    }
}
