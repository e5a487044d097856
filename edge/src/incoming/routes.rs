//! Which handler a request goes to, from its method and path alone.

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_requests() {
        let check = |method: &str, path: &str, want: Route| {
            assert_eq!(route(method, path), want, "{method} {path}")
        };
        check("GET", "/api/health", Route::Health);
        check("GET", "/api/servers?x=1", Route::Servers);
        check("POST", "/api/chat", Route::Chat);
        check("POST", "/api/chat/cancel", Route::Cancel);
        check("GET", "/api/chat/cancel", Route::MethodNotAllowed);
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
        check("OPTIONS", "/api/chat", Route::Preflight);
        check("OPTIONS", "/api/nope", Route::NotFound);
    }
}
