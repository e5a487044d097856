//! The Pomerium rules on the real config, and on copies broken in memory.

use crate::deploy_files::pomerium::*;
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
fn every_host_and_email_domain_is_a_placeholder_compose_fills_in() {
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
}

#[test]
fn mcp_settings_mean_what_the_routes_need() {
    let text = config();
    let unset = broken(&text, "cookie_same_site: lax\n", "");
    assert_fails(check_config(&unset), "cookie_same_site is None");
    let odd = broken(&text, "cookie_same_site: lax", "cookie_same_site: relaxed");
    assert_fails(check_config(&odd), "is not strict, lax or none");
    let short = broken(
        &text,
        "max_request_bytes: 65536\n    policy",
        "max_request_bytes: 16384\n    policy",
    );
    assert_fails(
        check_config(&short),
        "is less than the 65536 bytes northwind-mcp accepts",
    );
    let default = broken(
        &text,
        "        max_request_bytes: 65536\n    policy",
        "    policy",
    );
    assert_fails(
        check_config(&default),
        "max_request_bytes 4096 is less than",
    );
    let no_client = broken(&text, "    mcp:\n      client: {}\n", "");
    assert_fails(
        check_config(&no_client),
        "Pomerium refuses the widget's Connect redirect_url",
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
