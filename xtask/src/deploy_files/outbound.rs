//! spin.toml's `allowed_outbound_hosts` as Spin resolves and parses them, in every documented way
//! of running the edge ([`Mode`]): each template's variables resolve, each entry parses as Spin
//! 3.6 parses it, and every URL the edge will call in that mode is allowed.
//!
//! The rules are Spin v3.6.3's, `crates/outbound-networking-config/src/allowed_hosts.rs`
//! (`AllowedHostConfig::parse`, `SchemeConfig`, `HostConfig`, `PortConfig`), written anew here:
//! `<scheme>://<host>[:<port>]` with `*` allowed for each; `""`, `"*"` and a missing scheme are
//! errors ("is not an allowed outbound host format"); a path is an error ("has a path but is not
//! allowed to"); no port means the scheme's well-known one. Spin resolves the `{{ variable }}`
//! templates once at load time, and one entry that fails makes the component fail to load.

use std::collections::BTreeMap;
use std::net::IpAddr;

use serde_json::Value;

/// One parsed `allowed_outbound_hosts` entry.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct AllowedHost {
    /// `None` for `*`.
    scheme: Option<String>,
    host: HostRule,
    /// `None` for `*`.
    ports: Option<(u16, u16)>,
}

#[derive(Debug, PartialEq, Eq)]
enum HostRule {
    Any,
    /// `*.example.com`: the suffix `.example.com`.
    AnySubdomain(String),
    /// `self`: the app itself (relative URLs).
    ToSelf,
    Literal(String),
    Ip(IpAddr),
}

/// `scheme`'s well-known port (Spin's `well_known_port`).
fn well_known_port(scheme: &str) -> Option<u16> {
    Some(match scheme {
        "postgres" => 5432,
        "mysql" => 3306,
        "redis" => 6379,
        "mqtt" => 1883,
        "http" => 80,
        "https" => 443,
        _ => return None,
    })
}

/// Parses one entry as Spin does (`AllowedHostConfig::parse`).
pub(super) fn parse_allowed_host(entry: &str) -> Result<AllowedHost, String> {
    let url = entry.trim();
    let Some((scheme, rest)) = url.split_once("://") else {
        return Err(match url {
            "*" | ":" | "" | "?" => format!("{url:?} is not an allowed outbound host format"),
            _ => format!("{url:?} does not contain a scheme (e.g., 'http://' or '*://')"),
        });
    };
    let (host, rest) = rest.rsplit_once(':').unwrap_or((rest, ""));
    let port = match rest.split_once('/') {
        Some((_, path)) if !path.is_empty() => {
            return Err(format!("{url:?} has a path but is not allowed to"));
        }
        Some((port, _)) => port,
        None => rest,
    };
    let ports = match port {
        "" => {
            let p = well_known_port(scheme).ok_or_else(|| {
                format!("no port was provided and the scheme {scheme:?} has no known default port")
            })?;
            Some((p, p + 1))
        }
        "*" => None,
        range => Some(match range.split_once("..") {
            Some((a, b)) => (port_number(a)?, port_number(b)?),
            None => {
                let p = port_number(range)?;
                (p, p.saturating_add(1))
            }
        }),
    };
    let scheme = match scheme {
        "*" => None,
        s if s.starts_with('{') => return Err("scheme lists are not supported".to_owned()),
        s if s.is_empty() || !s.chars().all(char::is_alphabetic) => {
            return Err(format!("Invalid allowed host scheme {s:?}"));
        }
        s => Some(s.to_owned()),
    };
    Ok(AllowedHost {
        scheme,
        host: parse_host(host)?,
        ports,
    })
}

fn port_number(text: &str) -> Result<u16, String> {
    text.parse()
        .map_err(|_| format!("port {text:?} is not a number"))
}

fn parse_host(host: &str) -> Result<HostRule, String> {
    let host = host.trim();
    match host {
        "*" => return Ok(HostRule::Any),
        "self" | "self.alt" => return Ok(HostRule::ToSelf),
        _ => {}
    }
    if host.starts_with('{') {
        return Err("host lists are not yet supported".to_owned());
    }
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = bare.parse::<IpAddr>() {
        return Ok(HostRule::Ip(ip));
    }
    let host = host.trim_end_matches('/');
    if host.contains('/') {
        return Err(format!(
            "Invalid allowed host {host:?}: must not include a path"
        ));
    }
    if let Some(domain) = host.strip_prefix("*.") {
        if domain.contains('*') {
            return Err("wildcards are allowed only as prefixes".to_owned());
        }
        return Ok(HostRule::AnySubdomain(format!(
            ".{}",
            domain.to_ascii_lowercase()
        )));
    }
    if host.contains('*') {
        return Err("wildcards are allowed only as subdomains".to_owned());
    }
    let valid = !host.is_empty()
        && host
            .split('.')
            .all(|l| !l.is_empty() && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
    if !valid {
        return Err(format!("Invalid allowed host {host:?}"));
    }
    Ok(HostRule::Literal(host.to_ascii_lowercase()))
}

impl AllowedHost {
    /// Whether a request to the absolute `url` is allowed (Spin's `AllowedHostConfig::allows`).
    pub(super) fn allows(&self, url: &str) -> bool {
        let Some((scheme, rest)) = url.split_once("://") else {
            return false;
        };
        let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
        let (host, port) = match authority.rsplit_once(':') {
            Some((h, p)) if !h.ends_with(']') || authority.starts_with('[') => {
                (h, p.parse::<u16>().ok())
            }
            _ => (authority, None),
        };
        let Some(port) = port.or_else(|| well_known_port(scheme)) else {
            return false;
        };
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_ascii_lowercase();
        let host_ok = match &self.host {
            HostRule::Any => true,
            HostRule::AnySubdomain(suffix) => host.ends_with(suffix.as_str()),
            HostRule::Literal(literal) => host == *literal,
            HostRule::Ip(ip) => host.parse::<IpAddr>().is_ok_and(|h| h == *ip),
            HostRule::ToSelf => false,
        };
        self.scheme.as_deref().is_none_or(|s| s == scheme)
            && host_ok
            && self.ports.is_none_or(|(lo, hi)| (lo..hi).contains(&port))
    }
}

/// Resolves Spin's `{{ name }}` templates in `text` from `vars`.
pub(super) fn resolve(text: &str, vars: &BTreeMap<String, String>) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let end = rest[start..]
            .find("}}")
            .ok_or_else(|| format!("{text:?}: an unclosed {{{{"))?;
        let name = rest[start + 2..start + end].trim();
        let value = vars
            .get(name)
            .ok_or_else(|| format!("{text:?}: no value for the variable {name}"))?;
        out.push_str(value);
        rest = &rest[start + end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

/// One documented way of running the edge: the Spin variables it sets, and the URLs the edge
/// calls in it besides the provider, Pomerium and the local servers (which come from `vars`).
#[derive(Debug, Clone)]
pub(super) struct Mode {
    /// Where it is documented, for messages.
    pub(super) name: String,
    /// Spin variables set (over spin.toml's defaults).
    pub(super) vars: BTreeMap<String, String>,
    /// More URLs the edge calls in this mode (the MCP routes Pomerium lists, in edge tool mode).
    pub(super) calls: Vec<String>,
}

impl Mode {
    pub(super) fn new(name: &str, vars: &[(&str, &str)]) -> Self {
        Self {
            name: name.to_owned(),
            vars: vars
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            calls: Vec::new(),
        }
    }
}

/// Every rule for one mode, given spin.toml parsed.
pub(super) fn check_mode(manifest: &Value, mode: &Mode) -> Vec<String> {
    let at = |p: String| format!("{}: {p}", mode.name);
    let declared = manifest
        .get("variables")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let mut problems = Vec::new();
    let mut vars = BTreeMap::new();
    for (name, decl) in &declared {
        if let Some(default) = decl.get("default").and_then(Value::as_str) {
            vars.insert(name.clone(), default.to_owned());
        }
    }
    for (name, value) in &mode.vars {
        if !declared.contains_key(name) {
            problems.push(at(format!("sets {name}, which spin.toml does not declare")));
        }
        vars.insert(name.clone(), value.clone());
    }
    for (name, decl) in &declared {
        if decl.get("required") == Some(&Value::Bool(true)) && !vars.contains_key(name) {
            problems.push(at(format!("the required variable {name} has no value")));
        }
    }
    let mut allowed = Vec::new();
    let entries = manifest
        .get("component")
        .and_then(Value::as_object)
        .into_iter()
        .flat_map(|c| c.values())
        .filter_map(|c| c.get("allowed_outbound_hosts")?.as_array())
        .flatten()
        .filter_map(Value::as_str);
    for entry in entries {
        match resolve(entry, &vars).and_then(|e| {
            parse_allowed_host(&e).map_err(|err| format!("{entry:?} resolves to {e:?}: {err}"))
        }) {
            Ok(host) => allowed.push(host),
            Err(e) => problems.push(at(format!(
                "{e}; Spin refuses to load the component, so every outbound request is denied"
            ))),
        }
    }
    let mut calls: Vec<String> = mode.calls.clone();
    let get = |name: &str| vars.get(name).map(|v| v.trim()).filter(|v| !v.is_empty());
    calls.push(
        get("openai_base_url")
            .unwrap_or("https://api.openai.com/v1")
            .to_owned(),
    );
    match get("pomerium_url") {
        Some(url) => calls.push(url.to_owned()),
        None => {
            let servers: Vec<Value> = get("mcp_servers")
                .map(|json| serde_json::from_str(json).unwrap_or_default())
                .unwrap_or_default();
            if servers.is_empty() {
                problems.push(at("neither pomerium_url nor mcp_servers is set".to_owned()));
            }
            calls.extend(
                servers
                    .iter()
                    .filter_map(|s| s.get("url")?.as_str().map(str::to_owned)),
            );
        }
    }
    for url in calls {
        if !allowed.iter().any(|a| a.allows(&url)) {
            problems.push(at(format!(
                "the edge calls {url}, which allowed_outbound_hosts does not allow"
            )));
        }
    }
    problems
}

/// The Spin variables a README code block sets: `export SPIN_VARIABLE_X=...` and
/// `--variable name=value` (quotes removed).
pub(super) fn variables_in_commands(block: &str) -> Vec<(String, String)> {
    let unquote = |v: &str| v.trim().trim_matches(['"', '\'']).to_owned();
    let mut vars = Vec::new();
    let words: Vec<&str> = block.split_whitespace().collect();
    for (i, word) in words.iter().enumerate() {
        if let Some(assignment) = word.strip_prefix("SPIN_VARIABLE_")
            && let Some((name, value)) = assignment.split_once('=')
        {
            vars.push((name.to_ascii_lowercase(), unquote(value)));
        }
        if *word == "--variable"
            && let Some((name, value)) = words.get(i + 1).and_then(|w| w.split_once('='))
        {
            vars.push((name.to_owned(), unquote(value)));
        }
    }
    vars
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deploy_files::yaml::toml_document;
    use crate::deploy_files::{assert_fails, assert_ok, broken, read};

    #[test]
    fn entries_parse_as_spin_parses_them() {
        for (entry, url, allowed) in [
            (
                "https://api.openai.com",
                "https://api.openai.com/v1/responses",
                true,
            ),
            (
                "https://api.openai.com",
                "https://api.openai.com:8443/",
                false,
            ),
            ("http://127.0.0.1:3000", "http://127.0.0.1:3000/x", true),
            ("http://127.0.0.1:3000", "http://127.0.0.1:3001/x", false),
            ("https://*.example.com", "https://chat.example.com/", true),
            ("*://example.com:*", "http://example.com:9/", true),
            (
                "http://localhost:3000..3010",
                "http://localhost:3005/",
                true,
            ),
            (
                "https://chat.example.com/",
                "https://chat.example.com/",
                true,
            ),
        ] {
            let host = parse_allowed_host(entry).unwrap_or_else(|e| panic!("{entry}: {e}"));
            assert_eq!(host.allows(url), allowed, "{entry} / {url}");
        }
        for (entry, needle) in [
            ("", "is not an allowed outbound host format"),
            ("*", "is not an allowed outbound host format"),
            ("api.openai.com", "does not contain a scheme"),
            ("https://api.openai.com/v1", "must not include a path"),
            ("http://h:80/v1", "has a path"),
            ("https://", "Invalid allowed host"),
            ("ftp://files.example.com", "no known default port"),
            ("https://a.*.com", "wildcards"),
        ] {
            let err = parse_allowed_host(entry).expect_err(entry);
            assert!(err.contains(needle), "{entry}: {err}");
        }
    }

    #[test]
    fn templates_resolve_from_variables() {
        let vars = BTreeMap::from([("a".to_owned(), "x".to_owned())]);
        assert_eq!(resolve("p://{{ a }}:{{a}}", &vars).unwrap(), "p://x:x");
        assert!(
            resolve("{{ b }}", &vars)
                .unwrap_err()
                .contains("no value for the variable b")
        );
        assert!(resolve("{{ a", &vars).is_err());
    }

    #[test]
    fn readme_commands_give_their_variables() {
        let vars = variables_in_commands(
            "export SPIN_VARIABLE_OPENAI_API_KEY=\"<k>\"\nspin up --listen 1 \\\n  --variable pomerium_url=https://c.x --variable a=",
        );
        assert_eq!(
            vars,
            [
                ("openai_api_key".to_owned(), "<k>".to_owned()),
                ("pomerium_url".to_owned(), "https://c.x".to_owned()),
                ("a".to_owned(), String::new()),
            ]
        );
    }

    /// spin.toml's defaults, `spin up` as README shows it, and local mode as README and spin.toml
    /// describe it (the compose and Kubernetes modes are checked with their files).
    #[test]
    fn every_documented_spin_up_resolves_to_hosts_spin_accepts() {
        let text = read("spin.toml");
        let manifest = toml_document(&text).unwrap();
        let modes = documented_modes(&read("README.md"));
        assert!(modes.len() >= 3, "{modes:?}");
        for mode in &modes {
            assert_ok(check_mode(&manifest, mode));
        }
        // Item 10 of issue 19: the outbound list read pomerium_url, which local mode empties.
        let old = toml_document(&broken(
            &text,
            "\"{{ pomerium_origin }}\"",
            "\"{{ pomerium_url }}\"",
        ))
        .unwrap();
        let local = modes.iter().find(|m| m.name.contains("local")).unwrap();
        assert_eq!(
            local.vars.get("pomerium_url").map(String::as_str),
            Some(""),
            "{local:?}"
        );
        assert_fails(
            check_mode(&old, local),
            "is not an allowed outbound host format",
        );
        let path = toml_document(&broken(
            &text,
            "provider_origin = { default = \"https://api.openai.com\" }",
            "provider_origin = { default = \"https://api.openai.com/v1\" }",
        ))
        .unwrap();
        assert_fails(check_mode(&path, &modes[0]), "must not include a path");
        let readme = modes.iter().find(|m| m.name.contains("README")).unwrap();
        let mut elsewhere = readme.clone();
        elsewhere.vars.remove("pomerium_origin");
        assert_fails(
            check_mode(&manifest, &elsewhere),
            "which allowed_outbound_hosts does not allow",
        );
        let unknown = Mode::new("typo", &[("openai_api_key", ""), ("pomerium_orgin", "x")]);
        assert_fails(check_mode(&manifest, &unknown), "does not declare");
    }

    /// The modes README.md documents for `spin up`.
    fn documented_modes(readme: &str) -> Vec<Mode> {
        let section = readme
            .split("### Run the edge with `spin up`")
            .nth(1)
            .expect("README has the spin up section");
        let block = section
            .split("```sh")
            .nth(1)
            .and_then(|b| b.split("```").next())
            .expect("a sh block");
        let mut from_readme = Mode::new("README, Run the edge with `spin up`", &[]);
        from_readme.vars = variables_in_commands(block).into_iter().collect();
        let local_servers = readme
            .split("Local mode:")
            .nth(1)
            .and_then(|s| s.split('`').find(|part| part.starts_with("[{")))
            .expect("README shows a local-mode MCP_SERVERS value");
        let local_block = readme
            .split("Local mode:")
            .nth(1)
            .and_then(|s| s.split("```sh").nth(1))
            .and_then(|b| b.split("```").next())
            .unwrap_or("");
        let mut local = Mode::new("README, local mode", &[("mcp_servers", local_servers)]);
        local.vars.extend(variables_in_commands(local_block));
        local.vars.entry("openai_api_key".to_owned()).or_default();
        vec![
            // The required secrets come from the environment, never from the file.
            Mode::new(
                "spin.toml defaults",
                &[("openai_api_key", ""), ("seal_secret", "")],
            ),
            from_readme,
            local,
        ]
    }
}
