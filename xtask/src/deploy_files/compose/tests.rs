//! The compose rules on the real files, and on copies broken in memory.

use crate::deploy_files::compose::*;
use crate::deploy_files::{assert_fails, assert_ok, broken, test_env};

struct Files {
    compose: String,
    env: String,
    pomerium: String,
}

fn files() -> Files {
    Files {
        compose: read("docker-compose.yaml"),
        env: read(".env.example"),
        pomerium: read("pomerium-config.yaml"),
    }
}

fn load(compose: &str, env: &str) -> Compose {
    Compose::load(compose, &test_env(env)).expect("compose loads")
}

fn pomerium(text: &str) -> Value {
    document(text).expect("pomerium-config.yaml parses")
}

#[test]
fn compose_parses_and_fails_without_its_secrets() {
    let f = files();
    let compose = load(&f.compose, &f.env);
    assert!(compose.services.contains_key("pomerium"));
    let mut vars = test_env(&f.env);
    vars.insert("SHARED_SECRET".to_owned(), String::new());
    let err = Compose::load(&f.compose, &vars)
        .err()
        .expect("an empty secret stops compose");
    assert!(err.contains("set SHARED_SECRET in .env"), "{err}");
}

#[test]
fn every_build_exists_and_every_pulled_image_is_pinned() {
    let f = files();
    assert_ok(check_builds(&load(&f.compose, &f.env)));
    let missing = broken(
        &f.compose,
        "dockerfile: northwind-mcp/Dockerfile",
        "dockerfile: northwind-mcp/Containerfile",
    );
    assert_fails(check_builds(&load(&missing, &f.env)), "Containerfile");
    let target = broken(&f.compose, "target: intranet", "target: web");
    assert_fails(
        check_builds(&load(&target, &f.env)),
        "no stage Some(\"web\")",
    );
    let context = broken(
        &f.compose,
        "context: .\n      dockerfile: northwind",
        "context: ./nowhere\n      dockerfile: northwind",
    );
    assert_fails(
        check_builds(&load(&context, &f.env)),
        "build context ./nowhere",
    );
    let latest = broken(&f.compose, "postgres:17.6-alpine", "postgres:latest");
    assert_fails(check_builds(&load(&latest, &f.env)), "postgres:latest");
}

#[test]
fn every_variable_is_guarded_listed_and_documented() {
    let f = files();
    let readme = read("README.md");
    assert_ok(check_variables(&f.compose, &f.env, &readme));
    let unlisted = broken(&f.env, "PROVIDER_ORIGIN=", "PROVIDER_HOST=");
    let problems = check_variables(&f.compose, &unlisted, &readme);
    assert_fails(problems.clone(), "PROVIDER_ORIGIN is not in .env.example");
    assert_fails(problems, "PROVIDER_HOST in .env.example is not used");
    let bare = broken(
        &f.compose,
        "${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD in .env}@",
        "${POSTGRES_PASSWORD}@",
    );
    assert_fails(
        check_variables(&bare, &f.env, &readme),
        "has no default and no error",
    );
    let undocumented = broken(&readme, "`POSTGRES_PASSWORD`", "`PG_PASSWORD`");
    assert_fails(
        check_variables(&f.compose, &f.env, &undocumented),
        "POSTGRES_PASSWORD is not documented",
    );
    let leaked = broken(
        &f.env,
        "OPENAI_API_KEY=",
        "OPENAI_API_KEY=a-real-looking-key",
    );
    assert_fails(
        check_variables(&f.compose, &leaked, &readme),
        "OPENAI_API_KEY has a value",
    );
}

#[test]
fn every_route_reaches_a_service_port_and_every_host_is_an_alias() {
    let f = files();
    let config = pomerium(&f.pomerium);
    assert_ok(check_routes_reach_services(
        &load(&f.compose, &f.env),
        &config,
    ));
    let no_alias = broken(
        &f.compose,
        "          - intranet.${DOMAIN:?set DOMAIN in .env}\n",
        "",
    );
    assert_fails(
        check_routes_reach_services(&load(&no_alias, &f.env), &config),
        "intranet.YOUR-DOMAIN is not a network alias",
    );
    let wrong_port = pomerium(&broken(
        &f.pomerium,
        "to: http://northwind-mcp:8931",
        "to: http://northwind-mcp:8080",
    ));
    assert_fails(
        check_routes_reach_services(&load(&f.compose, &f.env), &wrong_port),
        "northwind-mcp listens on port 8931",
    );
    let no_service = pomerium(&broken(
        &f.pomerium,
        "to: http://intranet:8080",
        "to: http://www:8080",
    ));
    assert_fails(
        check_routes_reach_services(&load(&f.compose, &f.env), &no_service),
        "no service www",
    );
    let loopback = broken(
        &f.compose,
        "NORTHWIND_ADDR: 0.0.0.0:8931",
        "NORTHWIND_ADDR: 127.0.0.1:8931",
    );
    assert_fails(
        check_routes_reach_services(&load(&loopback, &f.env), &config),
        "cannot reach it from another container",
    );
    let moved = broken(
        &f.compose,
        "NORTHWIND_ADDR: 0.0.0.0:8931",
        "NORTHWIND_ADDR: 0.0.0.0:9000",
    );
    assert_fails(
        check_routes_reach_services(&load(&moved, &f.env), &config),
        "listens on port 9000",
    );
    let unexposed = broken(&f.compose, "    expose:\n      - \"8080\"\n", "");
    assert_fails(
        check_routes_reach_services(&load(&unexposed, &f.env), &config),
        "intranet does not expose 8080",
    );
    let command = broken(
        &f.compose,
        "    image: pomerium-chat-edge:local\n",
        "    image: pomerium-chat-edge:local\n    command: [up, --listen, \"0.0.0.0:3001\"]\n",
    );
    assert_fails(
        check_routes_reach_services(&load(&command, &f.env), &config),
        "edge listens on port 3001",
    );
}

#[test]
fn the_edge_gets_the_settings_it_reads() {
    let f = files();
    let config = pomerium(&f.pomerium);
    assert_ok(check_edge_settings(&load(&f.compose, &f.env), &config));
    let unknown = broken(
        &f.compose,
        "SPIN_VARIABLE_JWT_ASSERTION",
        "SPIN_VARIABLE_JWT_CHECK",
    );
    assert_fails(
        check_edge_settings(&load(&unknown, &f.env), &config),
        "SPIN_VARIABLE_JWT_CHECK is not a setting",
    );
    let plain = broken(&f.compose, "SPIN_VARIABLE_OPENAI_API_KEY", "OPENAI_API_KEY");
    let problems = check_edge_settings(&load(&plain, &f.env), &config);
    assert_fails(problems, "SPIN_VARIABLE_OPENAI_API_KEY is missing");
    let elsewhere = broken(
        &f.compose,
        "SPIN_VARIABLE_POMERIUM_URL: https://chat.",
        "SPIN_VARIABLE_POMERIUM_URL: https://intranet.",
    );
    assert_fails(
        check_edge_settings(&load(&elsewhere, &f.env), &config),
        "the chat route is https://chat.YOUR-DOMAIN",
    );
    let no_cors = broken(
        &f.compose,
        "SPIN_VARIABLE_ALLOWED_ORIGINS: https://intranet.",
        "SPIN_VARIABLE_ALLOWED_ORIGINS: https://www.",
    );
    assert_fails(
        check_edge_settings(&load(&no_cors, &f.env), &config),
        "allowed_origins lacks https://intranet.YOUR-DOMAIN",
    );
    let page = broken(
        &f.compose,
        "CHAT_ORIGIN: https://chat.",
        "CHAT_ORIGIN: http://chat.",
    );
    assert_fails(
        check_edge_settings(&load(&page, &f.env), &config),
        "CHAT_ORIGIN http://chat.YOUR-DOMAIN",
    );
    // Issue 19 item 9: without mcp_origin, Spin denies edge tool mode's calls to Northwind.
    let no_mcp = broken(
        &f.compose,
        "      SPIN_VARIABLE_MCP_ORIGIN: https://northwind.${DOMAIN:?set DOMAIN in .env}\n",
        "",
    );
    assert_fails(
        check_edge_settings(&load(&no_mcp, &f.env), &config),
        "the edge calls https://northwind.YOUR-DOMAIN/mcp, which allowed_outbound_hosts",
    );
    let no_origin = broken(
        &f.compose,
        "      SPIN_VARIABLE_POMERIUM_ORIGIN: https://chat.${DOMAIN:?set DOMAIN in .env}\n",
        "",
    );
    assert_fails(
        check_edge_settings(&load(&no_origin, &f.env), &config),
        "the edge calls https://chat.YOUR-DOMAIN, which",
    );
    let trusting = broken(
        &f.compose,
        "SPIN_VARIABLE_JWT_ASSERTION: required",
        "SPIN_VARIABLE_JWT_ASSERTION: \"off\"",
    );
    assert_fails(
        check_edge_settings(&load(&trusting, &f.env), &config),
        "must require the JWT assertion",
    );
}

#[test]
fn northwind_accepts_the_host_its_route_sends() {
    let f = files();
    let config = pomerium(&f.pomerium);
    assert_ok(check_northwind_hosts(&load(&f.compose, &f.env), &config));
    let other = broken(
        &f.compose,
        "NORTHWIND_ALLOWED_HOSTS: northwind.",
        "NORTHWIND_ALLOWED_HOSTS: mcp.",
    );
    assert_fails(
        check_northwind_hosts(&load(&other, &f.env), &config),
        "refuses Host northwind.YOUR-DOMAIN",
    );
    let rewritten = pomerium(&broken(&f.pomerium, "    preserve_host_header: true\n", ""));
    assert_fails(
        check_northwind_hosts(&load(&f.compose, &f.env), &rewritten),
        "refuses Host northwind-mcp",
    );
}

#[test]
fn pomerium_keeps_its_secrets_state_and_the_only_open_ports() {
    let f = files();
    let config = pomerium(&f.pomerium);
    let check = |compose: &str| check_pomerium_service(compose, &load(compose, &f.env), &config);
    assert_ok(check(&f.compose));
    let literal = broken(
        &f.compose,
        "COOKIE_SECRET: ${COOKIE_SECRET:?set COOKIE_SECRET in .env}",
        "COOKIE_SECRET: c2VjcmV0",
    );
    assert_fails(check(&literal), "COOKIE_SECRET must come from .env");
    let racing = broken(
        &f.compose,
        "        condition: service_healthy\n",
        "        condition: service_started\n",
    );
    assert_fails(check(&racing), "the databroker needs a postgres service");
    let no_certs = broken(&f.compose, "      - autocert:/data/autocert\n", "");
    assert_fails(check(&no_certs), "no volume at /data/autocert");
    let single_file = broken(
        &f.compose,
        "      - pomerium-config:/pomerium:ro\n",
        "      - ./pomerium-config.yaml:/pomerium/config.yaml:ro\n",
    );
    let problems = check(&single_file);
    assert_fails(problems.clone(), "single-file bind mount");
    assert_fails(problems, "no volume at /pomerium");
    let early = broken(
        &f.compose,
        "        condition: service_completed_successfully\n",
        "        condition: service_started\n",
    );
    assert_fails(check(&early), "does not wait for pomerium-config");
    let open = broken(
        &f.compose,
        "    expose:\n      - \"8931\"\n",
        "    ports:\n      - \"8931:8931\"\n",
    );
    assert_fails(check(&open), "northwind-mcp publishes ports");
}

#[test]
fn every_service_has_a_health_check() {
    let f = files();
    assert_ok(check_healthchecks(&load(&f.compose, &f.env)));
    let none = broken(
        &f.compose,
        "      test: [\"CMD\", \"pg_isready\"",
        "      test: [\"NONE\", \"pg_isready\"",
    );
    assert_fails(
        check_healthchecks(&load(&none, &f.env)),
        "postgres has no health check",
    );
}

/// The pomerium-config service's script, run here with its two paths moved to a scratch
/// directory: it writes the template with DOMAIN and EMAIL_DOMAIN filled in, which is a valid
/// config whose hosts are under DOMAIN; run again after an edit, it replaces the file.
#[test]
fn the_config_service_fills_in_the_domains_from_env() {
    let f = files();
    let compose = load(&f.compose, &f.env);
    let script = config_writer_script(&compose).expect("a sh -c script writes the config");
    assert!(
        !check_healthchecks(&compose)
            .iter()
            .any(|p| p.contains("pomerium-config"))
    );
    let dir = crate::dist::target_dir().join(format!("deploy-files-render-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("template")).unwrap();
    std::fs::create_dir_all(dir.join("pomerium")).unwrap();
    let render = |template: &str| {
        std::fs::write(dir.join("template/config.yaml"), template).unwrap();
        let script = script
            .replace("/template/", &format!("{}/template/", dir.display()))
            .replace("/pomerium/", &format!("{}/pomerium/", dir.display()));
        let status = std::process::Command::new("sh")
            .args(["-c", &script])
            .env("DOMAIN", "acme.test")
            .env("EMAIL_DOMAIN", "staff.acme.test")
            .status()
            .expect("sh runs");
        assert!(status.success(), "the script failed: {script}");
        std::fs::read_to_string(dir.join("pomerium/config.yaml")).unwrap()
    };
    let config = render(&f.pomerium);
    assert!(
        !config.contains("YOUR-DOMAIN") && !config.contains("YOUR-EMAIL-DOMAIN"),
        "a placeholder is left"
    );
    crate::deploy_files::assert_ok(crate::deploy_files::pomerium::check_config(&config));
    let parsed = pomerium(&config);
    let hosts: Vec<&str> = crate::deploy_files::pomerium::routes(&parsed)
        .iter()
        .filter_map(|r| r.get("from")?.as_str())
        .collect();
    assert!(hosts.iter().all(|h| h.ends_with(".acme.test")), "{hosts:?}");
    assert!(config.contains("is: staff.acme.test"));
    let edited = render(&broken(
        &f.pomerium,
        "cookie_same_site: lax",
        "cookie_same_site: strict",
    ));
    assert!(
        edited.contains("cookie_same_site: strict"),
        "the second run replaced the file"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
