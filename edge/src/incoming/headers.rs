//! The headers of every answer: the security headers (`X-Content-Type-Options: nosniff`
//! always; on HTML, `Content-Security-Policy: frame-ancestors <frame_ancestors>` (default
//! `'none'`: no page may frame the chat's pages, which would invite clickjacking) and
//! `Referrer-Policy: no-referrer`), and the CORS headers for an origin the gate allowed.

use crate::incoming::gate::OriginCheck;

/// The security headers for an answer of `content_type`.
pub fn headers(content_type: &str, frame_ancestors: &str) -> Vec<(&'static str, String)> {
    let mut headers = vec![("x-content-type-options", "nosniff".to_owned())];
    let html = content_type
        .split(';')
        .next()
        .is_some_and(|t| t.trim().eq_ignore_ascii_case("text/html"));
    if html {
        headers.push((
            "content-security-policy",
            format!("frame-ancestors {frame_ancestors}"),
        ));
        headers.push(("referrer-policy", "no-referrer".to_owned()));
    }
    headers
}

/// Methods a cross-origin caller may use.
pub const ALLOW_METHODS: &str = "GET, POST, OPTIONS";
/// Request headers a cross-origin caller may send.
pub const ALLOW_HEADERS: &str = "content-type, accept";

/// Headers for every answer to an allowed cross-origin request.
pub fn cors_headers(check: &OriginCheck) -> Vec<(&'static str, String)> {
    match check {
        OriginCheck::Allowed(origin) => vec![
            ("access-control-allow-origin", origin.clone()),
            ("access-control-allow-credentials", "true".to_owned()),
            ("vary", "Origin".to_owned()),
        ],
        OriginCheck::Absent | OriginCheck::Refused => vec![("vary", "Origin".to_owned())],
    }
}

/// Headers for the answer to a preflight (`OPTIONS`) from an allowed origin.
pub fn preflight_headers(check: &OriginCheck) -> Vec<(&'static str, String)> {
    let mut headers = cors_headers(check);
    headers.push(("access-control-allow-methods", ALLOW_METHODS.to_owned()));
    headers.push(("access-control-allow-headers", ALLOW_HEADERS.to_owned()));
    headers.push(("access-control-max-age", "600".to_owned()));
    headers
}

/// The policy of an MCP App view's document (`GET /api/app/view`): a sandbox of its own (an
/// opaque origin even if it is opened outside its frame), scripts and styles inline only, images,
/// media and fonts as `data:` only, no connection, frame, plugin, base or form target. Declared
/// `csp` domains of a view are not honoured.
pub const APP_VIEW_CSP: &str = "sandbox allow-scripts; default-src 'none'; \
script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; media-src data:; \
font-src data:; connect-src 'none'; frame-src 'none'; object-src 'none'; base-uri 'none'; \
form-action 'none'";

/// The headers of an MCP App view's document: [`APP_VIEW_CSP`] with `frame-ancestors` the
/// chat's own origin and the origins allowed to embed the widget; never cached or sniffed, no
/// referrer.
pub fn app_view_headers(allowed_origins: &[String]) -> Vec<(&'static str, String)> {
    let mut ancestors = "'self'".to_owned();
    for origin in allowed_origins {
        ancestors.push(' ');
        ancestors.push_str(origin);
    }
    vec![
        ("content-type", "text/html; charset=utf-8".to_owned()),
        ("cache-control", "no-store".to_owned()),
        ("x-content-type-options", "nosniff".to_owned()),
        ("referrer-policy", "no-referrer".to_owned()),
        (
            "content-security-policy",
            format!("{APP_VIEW_CSP}; frame-ancestors {ancestors}"),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_view_is_sandboxed_reaches_nothing_and_is_framed_only_by_the_chat() {
        let headers = app_view_headers(&["https://intranet.example".to_owned()]);
        let csp = &headers
            .iter()
            .find(|(k, _)| *k == "content-security-policy")
            .unwrap()
            .1;
        assert!(
            csp.starts_with("sandbox allow-scripts; default-src 'none';"),
            "{csp}"
        );
        assert!(!csp.contains("allow-same-origin") && csp.contains("connect-src 'none'"));
        assert!(
            csp.ends_with("frame-ancestors 'self' https://intranet.example"),
            "{csp}"
        );
        assert!(headers.contains(&("cache-control", "no-store".to_owned())));
    }

    #[test]
    fn every_answer_is_nosniff_and_html_is_unframeable() {
        let json = headers("application/json", "'none'");
        assert_eq!(json, [("x-content-type-options", "nosniff".to_owned())]);
        let html = headers("text/html; charset=utf-8", "'self' https://a.example");
        assert!(html.contains(&(
            "content-security-policy",
            "frame-ancestors 'self' https://a.example".to_owned()
        )));
        assert!(html.contains(&("referrer-policy", "no-referrer".to_owned())));
        assert!(html.contains(&("x-content-type-options", "nosniff".to_owned())));
    }

    #[test]
    fn allowed_origins_get_credentials_headers() {
        let headers = preflight_headers(&OriginCheck::Allowed("https://a.example".into()));
        assert!(headers.contains(&(
            "access-control-allow-origin",
            "https://a.example".to_owned()
        )));
        assert!(headers.contains(&("access-control-allow-credentials", "true".to_owned())));
        assert!(headers.contains(&("vary", "Origin".to_owned())));
        assert!(
            !cors_headers(&OriginCheck::Refused)
                .iter()
                .any(|(k, _)| k.starts_with("access-control"))
        );
    }
}
