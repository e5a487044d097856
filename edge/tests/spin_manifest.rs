//! `spin.toml` agrees with the code: every configuration key is a declared and mapped Spin
//! variable, secrets are required and never defaulted, every route the code serves is routed,
//! every host the code can call is allowed for the default values, and every `files` mount is
//! one the static file server reads and the build produces.

use edge::config::{Config, DEFAULT_BASE_URL, KEYS};
use edge::incoming::gate::{Route, route};
use edge::incoming::urls;
use edge::static_files;

const MANIFEST: &str = include_str!("../../spin.toml");
/// What `cargo xtask dist` writes (xtask/src/dist.rs).
const DIST_OUTPUTS: &[&str] = &[
    "target/dist/site",
    "target/dist/widget",
    "target/dist/edge-spin.wasm",
];

fn manifest() -> toml::Table {
    MANIFEST.parse().expect("spin.toml parses")
}

fn table<'a>(value: &'a toml::Table, path: &[&str]) -> &'a toml::Table {
    path.iter().fold(value, |t, key| {
        t.get(*key)
            .and_then(toml::Value::as_table)
            .unwrap_or_else(|| panic!("spin.toml lacks {path:?}"))
    })
}

/// The default of each Spin variable.
fn defaults(m: &toml::Table) -> Vec<(String, Option<String>)> {
    table(m, &["variables"])
        .iter()
        .map(|(k, v)| {
            (
                k.clone(),
                v.get("default")
                    .and_then(toml::Value::as_str)
                    .map(str::to_owned),
            )
        })
        .collect()
}

#[test]
fn every_config_key_is_a_mapped_variable() {
    let m = manifest();
    let variables = table(&m, &["variables"]);
    let component = table(&m, &["component", "edge", "variables"]);
    for key in KEYS {
        assert!(variables.contains_key(*key), "[variables] lacks {key}");
        assert_eq!(
            component.get(*key).and_then(toml::Value::as_str),
            Some(format!("{{{{ {key} }}}}").as_str()),
            "[component.edge.variables] {key}"
        );
    }
    for key in component.keys() {
        assert!(
            KEYS.contains(&key.as_str()),
            "spin.toml maps {key}, which the code never reads"
        );
    }
    let api_key = variables["openai_api_key"].as_table().unwrap();
    assert_eq!(
        api_key.get("secret").and_then(toml::Value::as_bool),
        Some(true)
    );
    assert_eq!(
        api_key.get("required").and_then(toml::Value::as_bool),
        Some(true)
    );
    assert!(!api_key.contains_key("default"), "a secret has no default");
    for (name, v) in variables {
        let v = v.as_table().unwrap();
        assert!(
            v.contains_key("default")
                ^ (v.get("required").and_then(toml::Value::as_bool) == Some(true)),
            "{name}: needs a default or required = true"
        );
    }
}

#[test]
fn defaults_give_the_same_configuration_as_the_code() {
    let m = manifest();
    let defaults = defaults(&m);
    let from_manifest = Config::from_lookup(|key| {
        defaults
            .iter()
            .find(|(k, _)| k == key)
            .and_then(|(_, v)| v.clone())
    });
    let from_code = Config::from_lookup(|key| {
        (key == "pomerium_url").then(|| "http://127.0.0.1:3000".to_owned())
    });
    assert_eq!(from_manifest, from_code);
}

#[test]
fn every_route_is_routed_to_the_edge() {
    let m = manifest();
    let triggers = m["trigger"]["http"].as_array().expect("[[trigger.http]]");
    assert_eq!(triggers.len(), 1);
    assert_eq!(triggers[0]["component"].as_str(), Some("edge"));
    // "/..." matches every path, so each route below reaches the component.
    assert_eq!(triggers[0]["route"].as_str(), Some("/..."));
    for (method, path, want) in [
        ("GET", "/api/health", Route::Health),
        ("GET", "/api/servers", Route::Servers),
        ("POST", "/api/servers/disconnect", Route::Disconnect),
        ("GET", "/api/models", Route::Models),
        ("GET", "/api/me", Route::Me),
        ("POST", "/api/chat", Route::Chat),
        ("OPTIONS", "/api/chat", Route::Preflight),
        ("GET", "/", Route::Static("/".into())),
        (
            "GET",
            "/widget/pomerium-chat.js",
            Route::Static("/widget/pomerium-chat.js".into()),
        ),
    ] {
        assert_eq!(route(method, path), want);
    }
}

#[test]
fn outbound_hosts_cover_what_the_code_calls_by_default() {
    let m = manifest();
    let component = table(&m, &["component", "edge"]);
    let allowed: Vec<&str> = component["allowed_outbound_hosts"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(toml::Value::as_str)
        .collect();
    let defaults = defaults(&m);
    let expand = |entry: &str| -> String {
        defaults.iter().fold(entry.to_owned(), |acc, (k, v)| {
            acc.replace(&format!("{{{{ {k} }}}}"), v.as_deref().unwrap_or(""))
        })
    };
    let allowed: Vec<String> = allowed.iter().map(|e| expand(e)).collect();
    let config = Config::from_lookup(|key| {
        defaults
            .iter()
            .find(|(k, _)| k == key)
            .and_then(|(_, v)| v.clone())
    });
    for url in [
        config.base_url.as_str(),
        config.pomerium_url.as_deref().unwrap(),
    ] {
        let origin = urls::origin(url).unwrap();
        assert!(
            allowed.iter().any(|a| a == origin),
            "{origin} is not in allowed_outbound_hosts {allowed:?}"
        );
    }
    assert_eq!(
        urls::origin(DEFAULT_BASE_URL),
        defaults
            .iter()
            .find(|(k, _)| k == "provider_origin")
            .and_then(|(_, v)| v.as_deref())
    );
    assert!(
        allowed.iter().all(|a| !a.contains('*')),
        "no wildcards: {allowed:?}"
    );
}

#[test]
fn files_mounts_are_what_the_build_makes_and_the_server_reads() {
    let m = manifest();
    let component = table(&m, &["component", "edge"]);
    let source = component["source"].as_str().unwrap();
    assert!(
        DIST_OUTPUTS.contains(&source),
        "source {source} is not built by cargo xtask dist"
    );
    let files = component["files"].as_array().unwrap();
    let mut destinations = Vec::new();
    for mount in files {
        let (src, dst) = (
            mount["source"].as_str().unwrap(),
            mount["destination"].as_str().unwrap(),
        );
        assert!(
            DIST_OUTPUTS.contains(&src),
            "{src} is not built by cargo xtask dist"
        );
        destinations.push(dst.to_owned());
    }
    let root = Config::from_lookup(|_| None).static_root;
    for path in ["/", "/widget/pomerium-chat.js"] {
        let file = static_files::resolve(&root, path).unwrap();
        assert!(
            destinations
                .iter()
                .any(|d| file.path.starts_with(&format!("{d}/"))),
            "{} is outside every mount {destinations:?}",
            file.path
        );
    }
    // The dist outputs exist in the repository's layout: their sources do.
    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap();
    for dir in ["demo-site", "widget/js"] {
        assert!(repo.join(dir).is_dir(), "{dir} is missing");
    }
}
