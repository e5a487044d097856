//! pomerium-config.yaml against Pomerium 0.33: known settings and route keys with the right
//! nesting, the MCP shapes (`mcp.client`, `mcp.server.path`) and what they mean (body buffering,
//! Connect's return host, SameSite), policies in PPL, the options the chat's route needs, no
//! secrets in the file, and the placeholders compose's `pomerium-config` service fills in.
//!
//! The key lists come from Pomerium's `config/options.go`, `config/policy.go` and
//! `pkg/policy/criteria/` (v0.33); the old `mcp: {}` and `pass_upstream_access_token` never
//! shipped and are refused.

use serde_json::{Map, Value};

use crate::deploy_files::pomerium::keys::{
    CRITERIA, ENDPOINT_KEYS, MCP_SERVER_KEYS, OPERATORS, ROUTE_KEYS, SECRET_SETTINGS, SETTINGS,
    STRING_CRITERIA, STRING_MATCHERS, UPSTREAM_OAUTH2_KEYS,
};
use crate::deploy_files::yaml::kind;

mod keys;

/// Every rule for a Pomerium config text.
pub(super) fn check_config(text: &str) -> Vec<String> {
    let config = match crate::deploy_files::yaml::document(text) {
        Ok(c) => c,
        Err(e) => return vec![format!("pomerium-config.yaml: {e}")],
    };
    let Some(settings) = config.as_object() else {
        return vec!["pomerium-config.yaml is not a map".to_owned()];
    };
    let mut problems = unknown_keys("setting", settings, SETTINGS);
    for secret in SECRET_SETTINGS {
        if settings.contains_key(*secret) {
            problems.push(format!("{secret} is a secret: set it in the environment"));
        }
    }
    if config.pointer("/runtime_flags/mcp") != Some(&Value::Bool(true)) {
        problems.push("runtime_flags.mcp must be true".to_owned());
    }
    let routes = routes(&config);
    if routes.is_empty() {
        problems.push("no routes".to_owned());
    }
    for (i, route) in routes.iter().enumerate() {
        let name = route
            .get("from")
            .and_then(Value::as_str)
            .map_or_else(|| format!("route {i}"), str::to_owned);
        problems.extend(
            check_route(route)
                .into_iter()
                .map(|p| format!("{name}: {p}")),
        );
    }
    let has = |role: &str| routes.iter().any(|r| mcp_role(r) == Some(role));
    for role in ["client", "server"] {
        if !has(role) {
            problems.push(format!("no route with mcp.{role}"));
        }
    }
    problems.extend(check_route_order(&routes));
    problems.extend(check_mcp_semantics(settings, &routes));
    problems
}

/// What Pomerium 0.33 does with the MCP settings, beyond their shape:
/// - `cookie_same_site` unset leaves SameSite off the cookie (`GetCookieSameSite` in
///   `config/options.go` falls back to `http.SameSiteDefaultMode`), which only Chrome reads as
///   Lax; README.md relies on Lax, so it is set, to one of the values `ValidateCookieSameSite`
///   takes.
/// - `mcp.server.max_request_bytes` is how much of a body the authorizer sees
///   (`config/envoyconfig/per_filter_config.go`: `WithRequestBody` with `AllowPartialMessage`),
///   not a body limit: it must cover the largest body the server accepts, or a longer tool call
///   is judged with `mcp_tool` false. For northwind-mcp that is its `MAX_REQUEST_BYTES`.
/// - Connect's `redirect_url` must be https on the MCP server's host or an MCP client route's
///   (`isValidRedirectURL`, `internal/mcp/handler_connect.go`); the widget sends its chat origin,
///   the host that serves `/widget/`, so that host carries the `mcp.client` route.
fn check_mcp_semantics(settings: &Map<String, Value>, routes: &[&Value]) -> Vec<String> {
    let mut problems = Vec::new();
    match settings.get("cookie_same_site").and_then(Value::as_str) {
        Some("lax") => {}
        Some(other) if !["strict", "none"].contains(&other) => {
            problems.push(format!(
                "cookie_same_site {other:?} is not strict, lax or none"
            ));
        }
        other => problems.push(format!(
            "cookie_same_site is {other:?}: set it to lax, which README.md relies on (unset \
             leaves SameSite off the cookie)"
        )),
    }
    for route in routes.iter().filter(|r| mcp_role(r) == Some("server")) {
        let to = route.get("to").and_then(Value::as_str).unwrap_or("");
        let is_northwind = crate::deploy_files::split_url(to)
            .is_some_and(|(_, host, _, _)| host.starts_with("northwind"));
        let bytes = route
            .pointer("/mcp/server/max_request_bytes")
            .and_then(Value::as_u64)
            .unwrap_or(4096);
        if is_northwind && bytes < northwind_mcp::MAX_REQUEST_BYTES as u64 {
            problems.push(format!(
                "{to}: max_request_bytes {bytes} is less than the {} bytes northwind-mcp \
                 accepts: longer tool calls reach the authorizer cut short and escape mcp_tool \
                 rules",
                northwind_mcp::MAX_REQUEST_BYTES
            ));
        }
    }
    let client_hosts: Vec<&str> = routes
        .iter()
        .filter(|r| mcp_role(r) == Some("client"))
        .filter_map(|r| r.get("from")?.as_str())
        .collect();
    for route in routes {
        if route.get("prefix").and_then(Value::as_str) == Some("/widget/") {
            let from = route.get("from").and_then(Value::as_str).unwrap_or("");
            if !client_hosts.contains(&from) {
                problems.push(format!(
                    "{from} serves the widget but has no mcp.client route: Pomerium refuses the \
                     widget's Connect redirect_url there"
                ));
            }
        }
    }
    problems
}

/// The routes of a parsed config.
pub(super) fn routes(config: &Value) -> Vec<&Value> {
    config
        .get("routes")
        .and_then(Value::as_array)
        .map(|r| r.iter().collect())
        .unwrap_or_default()
}

/// `"client"` or `"server"` for an MCP route.
pub(super) fn mcp_role(route: &Value) -> Option<&'static str> {
    let mcp = route.get("mcp")?;
    if mcp.get("client").is_some() {
        Some("client")
    } else if mcp.get("server").is_some() {
        Some("server")
    } else {
        None
    }
}

/// The rules of one route.
pub(super) fn check_route(route: &Value) -> Vec<String> {
    let Some(keys) = route.as_object() else {
        return vec![format!("a route is {}", kind(route))];
    };
    let mut problems = unknown_keys("route key", keys, ROUTE_KEYS);
    if keys.contains_key("pass_upstream_access_token") {
        problems
            .push("pass_upstream_access_token never shipped: use mcp: { client: {} }".to_owned());
    }
    match keys.get("from").and_then(Value::as_str) {
        Some(from) if from.starts_with("https://") && !from["https://".len()..].contains('/') => {}
        other => problems.push(format!("from must be https://host, got {other:?}")),
    }
    let to: Vec<&str> = match keys.get("to") {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(list)) => list.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if to.is_empty()
        || to
            .iter()
            .any(|t| !(t.starts_with("http://") || t.starts_with("https://")))
    {
        problems.push(format!("to must be http(s) URLs, got {:?}", keys.get("to")));
    }
    if let Some(mcp) = keys.get("mcp") {
        problems.extend(check_mcp(mcp));
    }
    let public = keys.get("allow_public_unauthenticated_access") == Some(&Value::Bool(true));
    match (public, keys.get("policy")) {
        (true, Some(_)) => problems.push("a public route with a policy".to_owned()),
        (true, None) if keys.contains_key("mcp") => {
            problems.push("an MCP route must not be public".to_owned());
        }
        (false, None) => problems.push("no policy: nobody could use it".to_owned()),
        (_, Some(policy)) => problems.extend(check_policy(policy)),
        (true, None) => {}
    }
    match mcp_role(route) {
        Some("client") => problems.extend(check_client_route(keys)),
        Some("server") => {
            let bytes = route
                .pointer("/mcp/server/max_request_bytes")
                .and_then(Value::as_u64);
            if bytes.is_none_or(|b| b <= 4096) {
                problems.push(
                    "mcp.server.max_request_bytes must exceed the 4096 default, or tool-call \
                     bodies escape mcp_tool rules"
                        .to_owned(),
                );
            }
        }
        _ => {}
    }
    problems
}

/// The chat edge's route: no route timeout (streamed answers), preflights through (embedding
/// pages), identity headers (the JWT assertion the edge checks).
fn check_client_route(keys: &Map<String, Value>) -> Vec<String> {
    let want = [
        ("timeout", Value::from("0s")),
        ("idle_timeout", Value::from("0s")),
        ("cors_allow_preflight", Value::Bool(true)),
        ("pass_identity_headers", Value::Bool(true)),
    ];
    want.into_iter()
        .filter(|(key, value)| keys.get(*key) != Some(value))
        .map(|(key, value)| format!("the mcp.client route needs {key}: {value}"))
        .collect()
}

fn check_mcp(mcp: &Value) -> Vec<String> {
    let Some(map) = mcp.as_object() else {
        return vec![format!("mcp is {}", kind(mcp))];
    };
    let mut problems = unknown_keys("mcp key", map, &["client", "server"]);
    match (map.get("client"), map.get("server")) {
        (None, None) => problems.push("mcp must have either server or client set".to_owned()),
        (Some(_), Some(_)) => problems.push("mcp has both server and client".to_owned()),
        (Some(client), None) => {
            if client.as_object().is_none_or(|c| !c.is_empty()) {
                problems.push(format!("mcp.client must be {{}}, got {client}"));
            }
        }
        (None, Some(server)) => match server.as_object() {
            None => problems.push(format!("mcp.server is {}", kind(server))),
            Some(server) => {
                problems.extend(unknown_keys("mcp.server key", server, MCP_SERVER_KEYS));
                if let Some(path) = server.get("path")
                    && !path.as_str().is_some_and(|p| p.starts_with('/'))
                {
                    problems.push(format!("mcp.server.path must start with /, got {path}"));
                }
                if let Some(oauth) = server.get("upstream_oauth2") {
                    problems.extend(check_upstream_oauth2(oauth));
                }
            }
        },
    }
    problems
}

fn check_upstream_oauth2(oauth: &Value) -> Vec<String> {
    let Some(map) = oauth.as_object() else {
        return vec![format!("upstream_oauth2 is {}", kind(oauth))];
    };
    let mut problems = unknown_keys("upstream_oauth2 key", map, UPSTREAM_OAUTH2_KEYS);
    if let Some(endpoint) = map.get("endpoint") {
        match endpoint.as_object() {
            Some(e) => problems.extend(unknown_keys("endpoint key", e, ENDPOINT_KEYS)),
            None => problems.push(format!("endpoint is {}", kind(endpoint))),
        }
    }
    problems
}

/// A PPL policy: one rule or a list of rules, each `allow` and/or `deny`.
pub(super) fn check_policy(policy: &Value) -> Vec<String> {
    let rules: Vec<&Value> = match policy {
        Value::Array(list) => list.iter().collect(),
        other => vec![other],
    };
    let mut problems = Vec::new();
    for rule in rules {
        let Some(actions) = rule.as_object() else {
            problems.push(format!("a policy rule is {}", kind(rule)));
            continue;
        };
        problems.extend(unknown_keys("policy action", actions, &["allow", "deny"]));
        for (action, body) in actions {
            problems.extend(check_operator_block(body, action));
        }
    }
    problems
}

/// `{and|or|not|nor: [criteria...]}` under an action.
fn check_operator_block(body: &Value, action: &str) -> Vec<String> {
    let Some(map) = body.as_object() else {
        return vec![format!("{action} is {}", kind(body))];
    };
    let mut problems = unknown_keys("logical operator", map, OPERATORS);
    for list in map.values() {
        let Some(items) = list.as_array() else {
            problems.push(format!("a logical operator under {action} needs a list"));
            continue;
        };
        for item in items {
            problems.extend(check_criterion(item, action));
        }
    }
    problems
}

fn check_criterion(item: &Value, action: &str) -> Vec<String> {
    let Some((name, value)) = item
        .as_object()
        .filter(|m| m.len() == 1)
        .and_then(|m| m.iter().next())
    else {
        return vec![format!("a criterion must be a one-key map, got {item}")];
    };
    if OPERATORS.contains(&name.as_str()) {
        return check_operator_block(item, action);
    }
    let base = name.split('/').next().unwrap_or(name);
    if !CRITERIA.contains(&base) {
        return vec![format!("unknown criterion {name}")];
    }
    let mut problems = Vec::new();
    if base == "mcp_tool" && action == "allow" {
        problems.push(
            "mcp_tool under allow blocks every request that is not a tool call: put it under deny"
                .to_owned(),
        );
    }
    if STRING_CRITERIA.contains(&base)
        && let Some(matcher) = value.as_object()
    {
        problems.extend(unknown_keys("string matcher", matcher, STRING_MATCHERS));
    }
    problems
}

/// On a host, routes that match part of the paths must come before the one that matches all.
fn check_route_order(routes: &[&Value]) -> Vec<String> {
    let mut problems = Vec::new();
    for (i, route) in routes.iter().enumerate() {
        let from = route.get("from");
        let narrow = ["prefix", "path", "regex"]
            .iter()
            .any(|k| route.get(*k).is_some());
        let shadowed_by = routes[..i].iter().find(|earlier| {
            earlier.get("from") == from
                && !["prefix", "path", "regex"]
                    .iter()
                    .any(|k| earlier.get(*k).is_some())
        });
        if narrow && shadowed_by.is_some() {
            problems.push(format!(
                "route {i} ({from:?} with a path match) comes after the host's catch-all route"
            ));
        }
    }
    problems
}

/// The placeholders the README's `sed` replaces: every route host under YOUR-DOMAIN, every
/// e-mail domain in a policy YOUR-EMAIL-DOMAIN.
pub(super) fn check_placeholders(text: &str) -> Vec<String> {
    let config = match crate::deploy_files::yaml::document(text) {
        Ok(c) => c,
        Err(e) => return vec![e],
    };
    let mut problems = Vec::new();
    for route in routes(&config) {
        let from = route.get("from").and_then(Value::as_str).unwrap_or("");
        if !from.ends_with(".YOUR-DOMAIN") {
            problems.push(format!("{from} is not under YOUR-DOMAIN"));
        }
        let policy = route
            .get("policy")
            .map(Value::to_string)
            .unwrap_or_default();
        let mut rest = policy.as_str();
        while let Some(i) = rest.find("\"domain\":{\"is\":\"") {
            rest = &rest[i + "\"domain\":{\"is\":\"".len()..];
            let domain = rest.split('"').next().unwrap_or("");
            if domain != "YOUR-EMAIL-DOMAIN" {
                problems.push(format!(
                    "{from}: policy domain {domain} is not YOUR-EMAIL-DOMAIN"
                ));
            }
        }
    }
    problems
}

/// The commented-out routes (lines `  # - from: ...` and what follows), uncommented.
pub(super) fn commented_routes(text: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        let uncommented = line
            .strip_prefix("  # ")
            .filter(|_| current.is_some() || line.starts_with("  # - from:"));
        match uncommented {
            Some(rest) => {
                let block = current.get_or_insert_with(String::new);
                block.push_str(rest);
                block.push('\n');
            }
            None => blocks.extend(current.take()),
        }
    }
    blocks.extend(current);
    blocks
}

fn unknown_keys(what: &str, map: &Map<String, Value>, known: &[&str]) -> Vec<String> {
    map.keys()
        .filter(|k| !known.contains(&k.as_str()))
        .map(|k| format!("unknown {what} {k}"))
        .collect()
}

#[cfg(test)]
mod tests;
