//! The checks every request passes before its handler, as one pure decision: route × host ×
//! origin × the configured proof of identity.
//!
//! The route comes from the method and path alone ([`route`]). Then, in order: the `Host` in
//! local mode (loopback only, against DNS rebinding), the origin of API requests (a refused
//! origin reaches nothing else), then which proof of the caller the route needs ([`Proof`]).
//! Only the assertion needs I/O (Pomerium's key set); the component does it when
//! [`Pass::VerifyAssertion`] says so.
//!
//! An origin is allowed ([`check_origin`]) when it is in the configured allow-list (exact
//! match), or when it is the edge's own public origin (Pomerium's, or the request's host;
//! `X-Forwarded-Host` and `X-Forwarded-Proto` count only with `trust_forwarded_headers`).
//! Requests without `Origin` (same-origin navigation, server-to-server) pass. The CORS headers
//! of the answer are [`crate::incoming::headers`]'.

use crate::config::Config;
use crate::error::EdgeError;
use crate::incoming::identity::{Identity, Proof};
use crate::incoming::urls;

/// What the gate lets through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pass {
    /// The route names no user and reaches no upstream (health, static files, preflight, errors).
    Anonymous,
    /// The caller is this identity (local mode's user, or token mode's unnamed user whose TE
    /// the handler confirms with Pomerium before anything is spent).
    As(Identity),
    /// The route needs Pomerium's signed assertion checked first.
    VerifyAssertion,
}

/// Decides a request's fate before its handler; `host` is the authority it was sent to.
pub fn check(
    config: &Config,
    route: &Route,
    host: Option<&str>,
    origin: &OriginCheck,
) -> Result<Pass, EdgeError> {
    if config.is_local() && !host.is_some_and(urls::is_loopback_authority) {
        return Err(EdgeError::HostRefused);
    }
    let is_api = !matches!(route, Route::Static(_));
    if is_api && *origin == OriginCheck::Refused {
        return Err(EdgeError::OriginRefused);
    }
    if !needs_identity(route) {
        return Ok(Pass::Anonymous);
    }
    Ok(match Proof::of(config) {
        Proof::Local => Pass::As(Identity::local()),
        Proof::Assertion => Pass::VerifyAssertion,
        Proof::Token => Pass::As(Identity::unnamed()),
    })
}

/// The routes that reach an upstream or name the user.
pub fn needs_identity(route: &Route) -> bool {
    matches!(
        route,
        Route::Servers
            | Route::Disconnect
            | Route::Chat
            | Route::Cancel
            | Route::Models
            | Route::Me
            | Route::Prompts
            | Route::PromptGet
            | Route::AppToolCall
            | Route::AppView
    )
}

/// A request's destination.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// `GET /api/health`.
    Health,
    /// `GET /api/servers`.
    Servers,
    /// `POST /api/chat`.
    Chat,
    /// `POST /api/chat/cancel`: stop a background answer at the provider.
    Cancel,
    /// `GET /api/models`.
    Models,
    /// `POST /api/servers/disconnect`.
    Disconnect,
    /// `GET /api/me`: the signed-in user.
    Me,
    /// `GET /api/prompts?servers=a,b`: the prompts of the user's servers.
    Prompts,
    /// `POST /api/prompts/get`: one prompt's messages.
    PromptGet,
    /// `POST /api/app/tool-call`: an MCP App view calls one of its server's tools.
    AppToolCall,
    /// `GET /api/app/view?handle=…`: an MCP App view's document, for its sandboxed frame.
    AppView,
    /// `OPTIONS` on an API path: a CORS preflight.
    Preflight,
    /// `GET` of a static file, by its request path (without query).
    Static(String),
    /// An `/api/` path that does not exist.
    NotFound,
    /// A known path with the wrong method.
    MethodNotAllowed,
}

/// Routes a request.
pub fn route(method: &str, path_and_query: &str) -> Route {
    let path = path_and_query.split(['?', '#']).next().unwrap_or("/");
    let api = match path {
        "/api/health" => Some(("GET", Route::Health)),
        "/api/servers" => Some(("GET", Route::Servers)),
        "/api/chat" => Some(("POST", Route::Chat)),
        "/api/chat/cancel" => Some(("POST", Route::Cancel)),
        "/api/models" => Some(("GET", Route::Models)),
        "/api/servers/disconnect" => Some(("POST", Route::Disconnect)),
        "/api/me" => Some(("GET", Route::Me)),
        "/api/prompts" => Some(("GET", Route::Prompts)),
        "/api/prompts/get" => Some(("POST", Route::PromptGet)),
        "/api/app/tool-call" => Some(("POST", Route::AppToolCall)),
        "/api/app/view" => Some(("GET", Route::AppView)),
        _ => None,
    };
    if api.is_some() && method.eq_ignore_ascii_case("OPTIONS") {
        return Route::Preflight;
    }
    let is_get = method.eq_ignore_ascii_case("GET") || method.eq_ignore_ascii_case("HEAD");
    match api {
        Some((want, route)) if method.eq_ignore_ascii_case(want) || (want == "GET" && is_get) => {
            route
        }
        Some(_) => Route::MethodNotAllowed,
        None if path == "/api" || path.starts_with("/api/") => Route::NotFound,
        None if is_get => Route::Static(path.to_owned()),
        None => Route::MethodNotAllowed,
    }
}

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

/// Decides whether the request's origin may call the edge.
pub fn check_origin(config: &Config, request: &RequestOrigin<'_>) -> OriginCheck {
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

#[cfg(test)]
mod tests {
    use super::*;

    use crate::config::of as config;

    const BEHIND: &[(&str, &str)] = &[("pomerium_url", "https://chat.example.com")];
    const TOKEN: &[(&str, &str)] = &[
        ("pomerium_url", "https://chat.example.com"),
        ("jwt_assertion", "off"),
    ];
    const ALL: [Route; 15] = [
        Route::Health,
        Route::Servers,
        Route::Chat,
        Route::Cancel,
        Route::Models,
        Route::Disconnect,
        Route::Me,
        Route::Prompts,
        Route::PromptGet,
        Route::AppToolCall,
        Route::AppView,
        Route::Preflight,
        Route::Static(String::new()),
        Route::NotFound,
        Route::MethodNotAllowed,
    ];
    const ALLOWED: OriginCheck = OriginCheck::Absent;

    /// The gate's verdict, its refusal by name.
    fn verdict(
        config: &Config,
        route: &Route,
        host: Option<&str>,
        origin: &OriginCheck,
    ) -> Result<Pass, String> {
        check(config, route, host, origin).map_err(|e| format!("{e:?}"))
    }

    #[test]
    fn local_mode_answers_only_on_a_loopback_host() {
        let local = config(&[]);
        for route in &ALL {
            for host in [None, Some("evil.example"), Some("127.0.0.1.evil.example")] {
                assert_eq!(
                    verdict(&local, route, host, &ALLOWED),
                    Err("HostRefused".to_owned()),
                    "{route:?} {host:?}"
                );
            }
            assert!(check(&local, route, Some("127.0.0.1:3000"), &ALLOWED).is_ok());
            assert!(check(&local, route, Some("localhost:3000"), &ALLOWED).is_ok());
        }
        // Behind Pomerium the host is Pomerium's business.
        assert!(
            check(
                &config(BEHIND),
                &Route::Health,
                Some("chat.example.com"),
                &ALLOWED
            )
            .is_ok()
        );
    }

    #[test]
    fn a_refused_origin_reaches_no_api_route_but_static_files() {
        let behind = config(BEHIND);
        for route in &ALL {
            let res = verdict(
                &behind,
                route,
                Some("chat.example.com"),
                &OriginCheck::Refused,
            );
            match route {
                Route::Static(_) => assert_eq!(res, Ok(Pass::Anonymous)),
                _ => assert_eq!(res, Err("OriginRefused".to_owned()), "{route:?}"),
            }
        }
    }

    #[test]
    fn each_route_asks_for_the_proof_the_mode_requires() {
        let host = Some("chat.example.com");
        let allowed = OriginCheck::Allowed("https://page.example".into());
        for route in &ALL {
            let (behind, token, local) = (
                verdict(&config(BEHIND), route, host, &allowed),
                verdict(&config(TOKEN), route, host, &allowed),
                verdict(&config(&[]), route, Some("[::1]:3000"), &allowed),
            );
            if needs_identity(route) {
                assert_eq!(behind, Ok(Pass::VerifyAssertion), "{route:?}");
                assert_eq!(token, Ok(Pass::As(Identity::unnamed())), "{route:?}");
                assert_eq!(local, Ok(Pass::As(Identity::local())), "{route:?}");
            } else {
                for res in [behind, token, local] {
                    assert_eq!(res, Ok(Pass::Anonymous), "{route:?}");
                }
            }
        }
        let needing: Vec<Route> = ALL.into_iter().filter(needs_identity).collect();
        assert_eq!(
            needing,
            [
                Route::Servers,
                Route::Chat,
                Route::Cancel,
                Route::Models,
                Route::Disconnect,
                Route::Me,
                Route::Prompts,
                Route::PromptGet,
                Route::AppToolCall,
                Route::AppView
            ]
        );
    }

    #[test]
    fn routes_requests() {
        let check = |method: &str, path: &str, want: Route| {
            assert_eq!(route(method, path), want, "{method} {path}")
        };
        check("GET", "/api/health", Route::Health);
        check("GET", "/api/servers?x=1", Route::Servers);
        check("POST", "/api/chat", Route::Chat);
        check("GET", "/api/chat", Route::MethodNotAllowed);
        check("POST", "/api/servers", Route::MethodNotAllowed);
        check("GET", "/api/nope", Route::NotFound);
        check("GET", "/", Route::Static("/".into()));
        check(
            "GET",
            "/widget/pomerium-chat.js?v=1",
            Route::Static("/widget/pomerium-chat.js".into()),
        );
        check("DELETE", "/", Route::MethodNotAllowed);
        check("GET", "/api/models", Route::Models);
        check("POST", "/api/servers/disconnect", Route::Disconnect);
        check("GET", "/api/me", Route::Me);
        check("POST", "/api/me", Route::MethodNotAllowed);
        check("GET", "/api/prompts?servers=a,b", Route::Prompts);
        check("POST", "/api/prompts/get", Route::PromptGet);
        check("GET", "/api/prompts/get", Route::MethodNotAllowed);
        check("OPTIONS", "/api/chat", Route::Preflight);
        check("OPTIONS", "/api/nope", Route::NotFound);
        check("POST", "/api/app/tool-call", Route::AppToolCall);
        check("GET", "/api/app/tool-call", Route::MethodNotAllowed);
        check("GET", "/api/app/view?handle=v1.x", Route::AppView);
        check("POST", "/api/app/view", Route::MethodNotAllowed);
        check("POST", "/api/chat/cancel", Route::Cancel);
        check("GET", "/api/chat/cancel", Route::MethodNotAllowed);
    }

    fn origin_config() -> Config {
        Config::from_lookup(|k| match k {
            "allowed_origins" => Some("https://intranet.example.com".to_owned()),
            "pomerium_url" => Some("https://chat.example.com".to_owned()),
            _ => None,
        })
    }

    #[test]
    fn decides_origins() {
        let check = |origin: Option<&str>, host: Option<&str>| {
            check_origin(
                &origin_config(),
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
        assert_eq!(
            check_origin(&origin_config(), &request),
            OriginCheck::Refused
        );
        let mut trusting = origin_config();
        trusting.trust_forwarded = true;
        assert_eq!(
            check_origin(&trusting, &request),
            OriginCheck::Allowed("https://evil.example".into())
        );
    }
}
