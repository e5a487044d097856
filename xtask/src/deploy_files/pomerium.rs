//! pomerium-config.yaml against Pomerium 0.33: known settings and route keys with the right
//! nesting, the MCP shapes (`mcp.client`, `mcp.server.path`), policies in PPL, the options the
//! chat's route needs, no secrets in the file, and the placeholders the README's `sed` replaces.
//!
//! The key lists come from Pomerium's `config/options.go`, `config/policy.go` and
//! `pkg/policy/criteria/` (v0.33); the old `mcp: {}` and `pass_upstream_access_token` never
//! shipped and are refused.

use serde_json::{Map, Value};

use crate::deploy_files::yaml::kind;

/// Top-level settings of Pomerium 0.33's config file.
pub(super) const SETTINGS: &[&str] = &[
    "access_log_fields",
    "address",
    "authenticate_callback_path",
    "authenticate_internal_service_url",
    "authenticate_service_url",
    "authorize_internal_service_url",
    "authorize_log_fields",
    "authorize_service_url",
    "authorize_service_urls",
    "autocert",
    "autocert_ca",
    "autocert_dir",
    "autocert_eab_key_id",
    "autocert_eab_mac_key",
    "autocert_email",
    "autocert_must_staple",
    "autocert_trusted_ca",
    "autocert_trusted_ca_file",
    "autocert_use_staging",
    "bearer_token_format",
    "certificate",
    "certificate_authority",
    "certificate_authority_file",
    "certificate_file",
    "certificate_key",
    "certificate_key_file",
    "certificates",
    "circuit_breaker_thresholds",
    "codec_type",
    "cookie_domain",
    "cookie_expire",
    "cookie_http_only",
    "cookie_name",
    "cookie_same_site",
    "cookie_secret",
    "cookie_secret_file",
    "databroker_internal_service_url",
    "databroker_service_url",
    "databroker_service_urls",
    "databroker_storage_connection_string",
    "databroker_storage_connection_string_file",
    "databroker_storage_type",
    "default_upstream_timeout",
    "dns_lookup_family",
    "downstream_mtls",
    "envoy_admin_access_log_path",
    "envoy_admin_address",
    "envoy_admin_profile_path",
    "envoy_bind_config_freebind",
    "envoy_bind_config_source_address",
    "google_cloud_serverless_authentication_service_account",
    "grpc_address",
    "grpc_client_timeout",
    "grpc_insecure",
    "health_check_addr",
    "health_check_systemd_disabled",
    "http_redirect_addr",
    "idp_access_token_allowed_audiences",
    "idp_client_id",
    "idp_client_secret",
    "idp_client_secret_file",
    "idp_provider",
    "idp_provider_url",
    "idp_request_params",
    "idp_scopes",
    "insecure_server",
    "installation_id",
    "jwt_claims_headers",
    "jwt_groups_filter",
    "jwt_issuer_format",
    "log_level",
    "mcp_allowed_as_metadata_domains",
    "mcp_allowed_client_id_domains",
    "metrics_address",
    "metrics_basic_auth",
    "metrics_certificate",
    "metrics_certificate_file",
    "metrics_certificate_key",
    "metrics_certificate_key_file",
    "metrics_client_ca",
    "metrics_client_ca_file",
    "pass_identity_headers",
    "programmatic_redirect_domain_whitelist",
    "proxy_log_level",
    "routes",
    "runtime_flags",
    "services",
    "set_response_headers",
    "shared_secret",
    "shared_secret_file",
    "signing_key",
    "signing_key_file",
    "signout_redirect_url",
    "skip_xff_append",
    "timeout_idle",
    "timeout_read",
    "timeout_write",
    "tls_derive",
    "tracing_otlp_endpoint",
    "tracing_otlp_protocol",
    "tracing_provider",
    "tracing_sample_rate",
    "use_proxy_protocol",
    "xff_num_trusted_hops",
];

/// Keys of one route.
pub(super) const ROUTE_KEYS: &[&str] = &[
    "allow_any_authenticated_user",
    "allow_public_unauthenticated_access",
    "allow_spdy",
    "allow_websockets",
    "allowed_domains",
    "allowed_idp_claims",
    "allowed_users",
    "bearer_token_format",
    "circuit_breaker_thresholds",
    "cors_allow_preflight",
    "depends_on",
    "description",
    "enable_google_cloud_serverless_authentication",
    "from",
    "health_checks",
    "healthy_panic_threshold",
    "host_path_regex_rewrite_pattern",
    "host_path_regex_rewrite_substitution",
    "host_rewrite",
    "host_rewrite_header",
    "idle_timeout",
    "idp_access_token_allowed_audiences",
    "idp_client_id",
    "idp_client_secret",
    "jwt_groups_filter",
    "jwt_issuer_format",
    "kubernetes_service_account_token",
    "kubernetes_service_account_token_file",
    "load_balancing_policy",
    "logo_url",
    "mcp",
    "name",
    "outlier_detection",
    "pass_identity_headers",
    "path",
    "policy",
    "prefix",
    "prefix_rewrite",
    "preserve_host_header",
    "redirect",
    "regex",
    "regex_priority_order",
    "regex_rewrite_pattern",
    "regex_rewrite_substitution",
    "remove_request_headers",
    "response",
    "rewrite_response_headers",
    "set_request_headers",
    "set_response_headers",
    "show_error_details",
    "sub_policies",
    "timeout",
    "tls_client_cert",
    "tls_client_cert_file",
    "tls_client_key",
    "tls_client_key_file",
    "tls_custom_ca",
    "tls_custom_ca_file",
    "tls_downstream_client_ca",
    "tls_downstream_client_ca_file",
    "tls_downstream_server_name",
    "tls_server_name",
    "tls_skip_verify",
    "tls_upstream_allow_renegotiation",
    "tls_upstream_server_name",
    "to",
];

/// Keys of `mcp.server`.
const MCP_SERVER_KEYS: &[&str] = &[
    "authorization_server_url",
    "max_request_bytes",
    "path",
    "upstream_oauth2",
];
/// Keys of `mcp.server.upstream_oauth2`.
const UPSTREAM_OAUTH2_KEYS: &[&str] = &[
    "authorization_url_params",
    "client_id",
    "client_secret",
    "endpoint",
    "scopes",
];
/// Keys of `mcp.server.upstream_oauth2.endpoint`.
const ENDPOINT_KEYS: &[&str] = &["auth_style", "auth_url", "token_url"];

/// PPL criteria (a name may carry a sub-path, as in `claim/groups`).
const CRITERIA: &[&str] = &[
    "accept",
    "authenticated_user",
    "claim",
    "client_certificate",
    "cors_preflight",
    "date",
    "day_of_week",
    "device",
    "domain",
    "email",
    "groups",
    "http_method",
    "http_path",
    "invalid_client_certificate",
    "mcp_tool",
    "pomerium_routes",
    "record",
    "reject",
    "source_ip",
    "time_of_day",
    "user",
];
/// Criteria whose value is a string matcher.
const STRING_CRITERIA: &[&str] = &[
    "domain",
    "email",
    "http_method",
    "http_path",
    "mcp_tool",
    "user",
];
/// String matcher operators.
const STRING_MATCHERS: &[&str] = &[
    "contains",
    "ends_with",
    "in",
    "is",
    "not",
    "not_in",
    "starts_with",
];
/// PPL logical operators.
const OPERATORS: &[&str] = &["and", "nor", "not", "or"];
/// Settings that hold secrets: they come from the environment, never from this file.
const SECRET_SETTINGS: &[&str] = &[
    "cookie_secret",
    "databroker_storage_connection_string",
    "idp_client_secret",
    "shared_secret",
    "signing_key",
];

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
mod tests {
    use super::*;
    use crate::deploy_files::{assert_fails, assert_ok, broken, read};

    fn config() -> String {
        read("pomerium-config.yaml")
    }

    #[test]
    fn the_config_uses_only_pomerium_0_33_settings_and_route_keys() {
        let text = config();
        assert_ok(check_config(&text));
        let typo = broken(&text, "autocert_dir:", "autocert_directory:");
        assert_fails(check_config(&typo), "unknown setting autocert_directory");
        let old_key = broken(&text, "cors_allow_preflight: true", "cors_preflight: true");
        assert_fails(check_config(&old_key), "unknown route key cors_preflight");
        let bad_nesting = broken(
            &text,
            "      server:\n        path: /mcp\n",
            "      path: /mcp\n      server:\n",
        );
        assert_fails(check_config(&bad_nesting), "unknown mcp key path");
    }

    #[test]
    fn mcp_routes_take_the_shapes_that_shipped() {
        let text = config();
        let empty_mcp = broken(&text, "    mcp:\n      client: {}\n", "    mcp: {}\n");
        assert_fails(
            check_config(&empty_mcp),
            "mcp must have either server or client set",
        );
        let old_flag = broken(
            &text,
            "    mcp:\n      client: {}\n",
            "    pass_upstream_access_token: true\n",
        );
        assert_fails(
            check_config(&old_flag),
            "pass_upstream_access_token never shipped",
        );
        let client_options = broken(&text, "      client: {}", "      client: { path: /x }");
        assert_fails(check_config(&client_options), "mcp.client must be {}");
        let relative = broken(&text, "path: /mcp", "path: mcp");
        assert_fails(check_config(&relative), "must start with /");
        let small = broken(&text, "max_request_bytes: 65536", "max_request_bytes: 4096");
        assert_fails(check_config(&small), "max_request_bytes must exceed");
        let oauth = "        client_id: YOUR-GITHUB-CLIENT-ID\n";
        let route = commented_routes(&text).concat();
        let bad_oauth = broken(&route, oauth, "        clientid: x\n");
        let parsed = crate::deploy_files::yaml::document(&bad_oauth).unwrap();
        assert_fails(
            check_route(&parsed[0]),
            "unknown upstream_oauth2 key clientid",
        );
    }

    #[test]
    fn the_chat_route_streams_embeds_and_identifies() {
        let text = config();
        for (from, to, needle) in [
            (
                "    timeout: 0s\n    idle_timeout: 0s\n",
                "    idle_timeout: 0s\n",
                "timeout: \"0s\"",
            ),
            (
                "    idle_timeout: 0s\n    cors",
                "    idle_timeout: 5m\n    cors",
                "idle_timeout",
            ),
            (
                "    cors_allow_preflight: true\n    pass",
                "    pass",
                "cors_allow_preflight",
            ),
            (
                "    pass_identity_headers: true\n",
                "",
                "pass_identity_headers",
            ),
        ] {
            assert_fails(check_config(&broken(&text, from, to)), needle);
        }
    }

    #[test]
    fn policies_are_ppl_with_tool_rules_under_deny() {
        let text = config();
        let criterion = broken(&text, "- domain:", "- domains_of:");
        assert_fails(check_config(&criterion), "unknown criterion domains_of");
        let matcher = broken(&text, "starts_with: admin_", "prefix: admin_");
        assert_fails(check_config(&matcher), "unknown string matcher prefix");
        let allow_tool = crate::deploy_files::yaml::document(
            "allow:\n  and:\n    - mcp_tool:\n        is: read_query\n",
        )
        .unwrap();
        assert_fails(check_policy(&allow_tool), "put it under deny");
        let open = broken(
            &text,
            "    to: http://intranet:8080\n    policy:",
            "    to: http://intranet:8080\n    show_error_details: true\n    other:",
        );
        assert_fails(check_config(&open), "no policy");
    }

    #[test]
    fn public_routes_are_static_and_come_before_the_catch_all() {
        let text = config();
        let public_mcp = broken(
            &text,
            "    allow_public_unauthenticated_access: true\n",
            "    allow_public_unauthenticated_access: true\n    mcp:\n      client: {}\n",
        );
        assert_fails(check_config(&public_mcp), "must not be public");
        let start = text
            .find("  # The widget bundle")
            .expect("the /widget/ route");
        let end = start + text[start..].find("\n\n").expect("a blank line after it") + 2;
        let reordered = format!("{}{}{}", &text[..start], &text[end..], &text[start..end]);
        assert_fails(check_config(&reordered), "comes after the host's catch-all");
    }

    #[test]
    fn secrets_stay_out_of_the_file() {
        let text = config();
        for secret in [
            "shared_secret",
            "cookie_secret",
            "databroker_storage_connection_string",
        ] {
            let leaked = broken(
                &text,
                "autocert: true\n",
                &format!("autocert: true\n{secret}: x\n"),
            );
            assert_fails(check_config(&leaked), &format!("{secret} is a secret"));
        }
    }

    #[test]
    fn every_host_and_email_domain_is_a_placeholder_the_readme_replaces() {
        let text = config();
        assert_ok(check_placeholders(&text));
        let literal_host = broken(
            &text,
            "https://northwind.YOUR-DOMAIN",
            "https://northwind.acme.com",
        );
        assert_fails(check_placeholders(&literal_host), "not under YOUR-DOMAIN");
        let literal_mail = broken(&text, "is: YOUR-EMAIL-DOMAIN", "is: acme.com");
        assert_fails(
            check_placeholders(&literal_mail),
            "acme.com is not YOUR-EMAIL-DOMAIN",
        );
        let readme = read("README.md");
        assert!(
            readme.contains("'s/YOUR-EMAIL-DOMAIN/example.com/g' -e 's/YOUR-DOMAIN/example.com/g'"),
            "README.md shows the sed command that fills in both placeholders"
        );
    }

    #[test]
    fn the_commented_upstream_oauth2_example_is_a_valid_route() {
        let blocks = commented_routes(&config());
        assert_eq!(blocks.len(), 1, "one commented route: {blocks:?}");
        let routes = crate::deploy_files::yaml::document(&blocks[0]).expect("it parses");
        let route = &routes[0];
        assert_ok(check_route(route));
        assert!(
            route
                .pointer("/mcp/server/upstream_oauth2/endpoint/token_url")
                .is_some()
        );
    }
}
