//! The checks every request passes before its handler, as one pure decision: route × host ×
//! origin × the configured proof of identity.
//!
//! In order: the `Host` in local mode (loopback only, against DNS rebinding), the origin of API
//! requests (a refused origin reaches nothing else), then which proof of the caller the route
//! needs ([`Proof`]). Only the assertion needs I/O (Pomerium's key set); the component does it
//! when [`Pass::VerifyAssertion`] says so.

use crate::config::Config;
use crate::error::EdgeError;
use crate::incoming::cors::OriginCheck;
use crate::incoming::identity::{Identity, Proof};
use crate::incoming::routes::Route;
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
    )
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
    const ALL: [Route; 11] = [
        Route::Health,
        Route::Servers,
        Route::Chat,
        Route::Cancel,
        Route::Models,
        Route::Disconnect,
        Route::Me,
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
                Route::Me
            ]
        );
    }
}
