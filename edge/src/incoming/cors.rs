//! Cross-origin rules: which page origins may call the edge, and the headers that say so.
//!
//! An origin is allowed when it is in the configured allow-list (exact match), or when it is
//! the edge's own public origin (Pomerium's, or the request's host; `X-Forwarded-Host` and
//! `X-Forwarded-Proto` count only with `trust_forwarded_headers`). A request from any other
//! origin is refused before anything else happens, so it reaches no upstream. Requests without
//! `Origin` (same-origin navigation, server-to-server) pass.

use crate::config::Config;
use crate::incoming::urls;

/// The verdict on a request's `Origin`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OriginCheck {
    /// No `Origin` header.
    Absent,
    /// Allowed: answer with `Access-Control-Allow-Origin: <origin>`.
    Allowed(String),
    /// Not allowed: refuse with 403.
    Refused,
}

/// The headers of the request that bear on its origin.
#[derive(Debug, Clone, Default)]
pub struct RequestOrigin<'a> {
    /// `Origin`.
    pub origin: Option<&'a str>,
    /// `Host`.
    pub host: Option<&'a str>,
    /// `X-Forwarded-Host`.
    pub forwarded_host: Option<&'a str>,
    /// `X-Forwarded-Proto`.
    pub forwarded_proto: Option<&'a str>,
}

/// Methods a cross-origin caller may use.
pub const ALLOW_METHODS: &str = "GET, POST, OPTIONS";
/// Request headers a cross-origin caller may send.
pub const ALLOW_HEADERS: &str = "content-type, accept";

/// Decides whether the request's origin may call the edge.
pub fn check(config: &Config, request: &RequestOrigin<'_>) -> OriginCheck {
    let Some(origin) = request.origin else {
        return OriginCheck::Absent;
    };
    let origin = origin.trim_end_matches('/');
    let configured = config.allowed_origins.iter().any(|o| o == origin);
    let pomerium = config.pomerium_url.as_deref().and_then(urls::origin) == Some(origin);
    let (forwarded_host, forwarded_proto) = match config.trust_forwarded {
        true => (request.forwarded_host, request.forwarded_proto),
        false => (None, None),
    };
    let own = [forwarded_host, request.host]
        .into_iter()
        .flatten()
        .any(|host| {
            let proto = forwarded_proto.unwrap_or("http");
            origin == format!("{proto}://{host}") || origin == format!("https://{host}")
        });
    if configured || pomerium || own {
        OriginCheck::Allowed(origin.to_owned())
    } else {
        OriginCheck::Refused
    }
}

/// Headers for every answer to an allowed cross-origin request.
pub fn response_headers(check: &OriginCheck) -> Vec<(&'static str, String)> {
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
    let mut headers = response_headers(check);
    headers.push(("access-control-allow-methods", ALLOW_METHODS.to_owned()));
    headers.push(("access-control-allow-headers", ALLOW_HEADERS.to_owned()));
    headers.push(("access-control-max-age", "600".to_owned()));
    headers
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> Config {
        Config::from_lookup(|k| match k {
            "allowed_origins" => Some("https://intranet.example.com".to_owned()),
            "pomerium_url" => Some("https://chat.example.com".to_owned()),
            _ => None,
        })
    }

    #[test]
    fn decides_origins() {
        let check = |origin: Option<&str>, host: Option<&str>| {
            check(
                &config(),
                &RequestOrigin {
                    origin,
                    host,
                    ..Default::default()
                },
            )
        };
        assert_eq!(check(None, None), OriginCheck::Absent);
        assert_eq!(
            check(Some("https://intranet.example.com"), None),
            OriginCheck::Allowed("https://intranet.example.com".into())
        );
        assert_eq!(
            check(Some("https://chat.example.com"), Some("edge:3000")),
            OriginCheck::Allowed("https://chat.example.com".into())
        );
        assert_eq!(
            check(Some("http://127.0.0.1:3000"), Some("127.0.0.1:3000")),
            OriginCheck::Allowed("http://127.0.0.1:3000".into())
        );
        for bad in [
            "https://evil.example",
            "https://intranet.example.com.evil.example",
            "http://intranet.example.com",
            "null",
            "https://intranet.example.co",
        ] {
            assert_eq!(
                check(Some(bad), Some("chat.example.com")),
                OriginCheck::Refused,
                "{bad}"
            );
        }
    }

    #[test]
    fn forwarded_headers_count_only_when_trusted() {
        let request = RequestOrigin {
            origin: Some("https://evil.example"),
            host: Some("edge:3000"),
            forwarded_host: Some("evil.example"),
            forwarded_proto: Some("https"),
        };
        assert_eq!(check(&config(), &request), OriginCheck::Refused);
        let mut trusting = config();
        trusting.trust_forwarded = true;
        assert_eq!(
            check(&trusting, &request),
            OriginCheck::Allowed("https://evil.example".into())
        );
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
            !response_headers(&OriginCheck::Refused)
                .iter()
                .any(|(k, _)| k.starts_with("access-control"))
        );
    }
}
