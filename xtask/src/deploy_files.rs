//! Tests of the deployment files, which no machine here can run: docker-compose.yaml,
//! pomerium-config.yaml, .env.example, the Dockerfiles, deploy/kubernetes/ and spin.toml.
//!
//! Each rule is a function from file texts to a list of problems (empty when the files are
//! right). Every rule is tested twice: on the real files, which must pass, and on a copy broken in
//! memory, which must fail, so that no rule passes by checking nothing.
//!
//! | module | owns |
//! |---|---|
//! | `yaml` | YAML and TOML texts as JSON values, to walk them one way |
//! | `interpolate` | compose's `${VAR}` references and their substitution |
//! | `dockerfile` | the Dockerfiles: stages, pinned bases, what the edge image holds |
//! | `pomerium` | Pomerium 0.33 settings, routes and policies |
//! | `intranet` | the demo intranet site's nginx rewrites of the demo page |
//! | `compose` | the compose services, their ports, variables, aliases and health checks |
//! | `kubernetes` | the SpinApp and the edge's Deployment, the Northwind Deployment and Service, the Ingresses |
//! | `pool` | the instance-pool rule in every file that sizes a runtime's pool, and README's statement |
//! | `schema` | CRD OpenAPI schemas applied as the API server applies them |
//! | `crds` | the vendored CRDs (`upstream/`), their CEL rules and spin-operator's webhooks |
//! | `probes` | the health checks and Host allow-list run against real servers |
//! | `spin_manifest` | spin.toml: the manifest, and its outbound hosts as Spin parses them |
//! | `outbound` | Spin's `allowed_outbound_hosts` rules, and the documented modes resolved |

mod compose;
mod crds;
mod dockerfile;
mod interpolate;
mod intranet;
mod kubernetes;
mod outbound;
mod pomerium;
mod pool;
mod probes;
mod schema;
mod spin_manifest;
mod yaml;

use std::collections::BTreeMap;

use crate::cmd::root;

/// Whether `name` (lower_snake) is one of the Spin variables `spin.toml` declares for the edge
/// (`SPIN_VARIABLE_<UPPER>` in the environment). The edge's own tests check that list against
/// the keys its code reads (edge/tests/spin_manifest.rs).
fn is_edge_variable(name: &str) -> bool {
    static VARIABLES: std::sync::LazyLock<Vec<String>> = std::sync::LazyLock::new(|| {
        let manifest: toml::Table = read("spin.toml").parse().expect("spin.toml parses");
        manifest["variables"]
            .as_table()
            .expect("spin.toml has [variables]")
            .keys()
            .cloned()
            .collect()
    });
    VARIABLES.iter().any(|v| v == name)
}

/// The value of `DOMAIN` under which compose's host names match pomerium-config.yaml's.
const DOMAIN_PLACEHOLDER: &str = "YOUR-DOMAIN";

/// A file of the repository, by its path from the root.
fn read(path: &str) -> String {
    std::fs::read_to_string(root().join(path)).unwrap_or_else(|e| panic!("reading {path}: {e}"))
}

/// `text` with the first `from` replaced by `to`, for a deliberately broken copy. Panics when
/// `from` is absent, so a test never "breaks" a file by changing nothing.
fn broken(text: &str, from: &str, to: &str) -> String {
    assert!(
        text.contains(from),
        "the text to break does not contain {from:?}"
    );
    text.replacen(from, to, 1)
}

/// Asserts that a rule found no problem.
#[track_caller]
fn assert_ok(problems: Vec<String>) {
    assert!(
        problems.is_empty(),
        "problems:\n  {}",
        problems.join("\n  ")
    );
}

/// Asserts that a rule found a problem mentioning `needle`.
#[track_caller]
fn assert_fails(problems: Vec<String>, needle: &str) {
    assert!(
        problems.iter().any(|p| p.contains(needle)),
        "expected a problem mentioning {needle:?}, got: {problems:?}"
    );
}

/// `.env.example` as name -> value, in order of appearance.
fn env_example(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .filter_map(|line| line.split_once('='))
        .map(|(name, value)| (name.trim().to_owned(), value.trim().to_owned()))
        .collect()
}

/// The variables compose sees in the tests: `.env.example` with every empty value filled in and
/// `DOMAIN` set to the placeholder that pomerium-config.yaml uses.
fn test_env(env_example_text: &str) -> BTreeMap<String, String> {
    let mut vars = env_example(env_example_text);
    for (name, value) in vars.iter_mut() {
        if value.is_empty() {
            *value = format!("test-{}", name.to_lowercase());
        }
    }
    vars.insert("DOMAIN".to_owned(), DOMAIN_PLACEHOLDER.to_owned());
    vars
}

/// Splits `scheme://host[:port][/path]` into its parts; the port defaults from the scheme.
fn split_url(url: &str) -> Option<(&str, &str, u16, &str)> {
    let (scheme, rest) = url.split_once("://")?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port)) => (host, port.parse().ok()?),
        None => (
            authority,
            match scheme {
                "http" => 80,
                "https" => 443,
                _ => return None,
            },
        ),
    };
    (!host.is_empty()).then_some((scheme, host, port, path))
}

/// The origin (`scheme://host[:port]`) of a URL, without a default port.
fn origin(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split('/').next()?;
    Some(format!("{scheme}://{authority}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_urls() {
        assert_eq!(
            split_url("http://edge:3000"),
            Some(("http", "edge", 3000, ""))
        );
        assert_eq!(
            split_url("https://chat.x/a/b"),
            Some(("https", "chat.x", 443, "/a/b"))
        );
        assert_eq!(split_url("http://n:8931/mcp").map(|u| u.2), Some(8931));
        assert_eq!(split_url("edge:3000"), None);
        assert_eq!(split_url("http://:80"), None);
        assert_eq!(
            origin("https://chat.x/widget/").as_deref(),
            Some("https://chat.x")
        );
    }

    #[test]
    fn env_example_fills_the_blanks_and_sets_the_domain_placeholder() {
        let env = test_env("# c\nDOMAIN=example.com\nKEY=\nURL=https://x\n");
        assert_eq!(env["DOMAIN"], DOMAIN_PLACEHOLDER);
        assert_eq!(env["KEY"], "test-key");
        assert_eq!(env["URL"], "https://x");
    }
}
