//! docker-compose.yaml: what it builds and pulls, the variables it takes from `.env`, how
//! Pomerium's routes reach its services, the settings it hands the edge and the MCP server, and
//! its health checks.
//!
//! A service's listening port is read from what configures it: the edge's `spin up --listen`
//! (compose `command` or the Dockerfile's CMD), northwind-mcp's own parser given the service's
//! environment, nginx's `listen` in the template the image copies.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;

use serde_json::Value;

use crate::cmd::root;
use crate::deploy_files::dockerfile::{Dockerfile, check_pinned, listen_port_in};
use crate::deploy_files::interpolate::{references, substitute};
use crate::deploy_files::pomerium::{mcp_role, routes};
use crate::deploy_files::yaml::document;
use crate::deploy_files::{env_example, is_edge_variable, origin, read, split_url};

/// The compose file, parsed, with its variables substituted.
pub(super) struct Compose {
    /// The services by name, after interpolation.
    pub(super) services: serde_json::Map<String, Value>,
}

impl Compose {
    /// Parses `text` and substitutes `vars` into every string.
    pub(super) fn load(text: &str, vars: &BTreeMap<String, String>) -> Result<Self, String> {
        let raw = document(text)?;
        let value = map_strings(&raw, &mut |s| substitute(s, vars))?;
        let services = value
            .get("services")
            .and_then(Value::as_object)
            .filter(|s| !s.is_empty())
            .ok_or("no services")?
            .clone();
        Ok(Self { services })
    }

    /// A service's environment as name -> value (compose takes a map or a `NAME=value` list).
    pub(super) fn environment(&self, service: &str) -> BTreeMap<String, String> {
        let env = self
            .services
            .get(service)
            .and_then(|s| s.get("environment"));
        match env {
            Some(Value::Object(map)) => map.iter().map(|(k, v)| (k.clone(), scalar(v))).collect(),
            Some(Value::Array(list)) => list
                .iter()
                .filter_map(Value::as_str)
                .filter_map(|pair| pair.split_once('='))
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
            _ => BTreeMap::new(),
        }
    }

    /// The Dockerfile a service builds from, and its build target.
    fn dockerfile(&self, service: &str) -> Option<Result<(String, Option<String>), String>> {
        let build = self.services.get(service)?.get("build")?;
        let context = build.get("context").and_then(Value::as_str).unwrap_or(".");
        let file = build
            .get("dockerfile")
            .and_then(Value::as_str)
            .unwrap_or("Dockerfile");
        let path = Path::new(context).join(file);
        let target = build
            .get("target")
            .and_then(Value::as_str)
            .map(str::to_owned);
        Some(
            std::fs::read_to_string(root().join(&path))
                .map(|text| (text, target))
                .map_err(|e| format!("{service}: {}: {e}", path.display())),
        )
    }

    /// Where a service listens, read from what configures it.
    pub(super) fn listen_addr(&self, service: &str) -> Result<SocketAddr, String> {
        let (text, target) = self
            .dockerfile(service)
            .ok_or_else(|| format!("{service} is not built here; its port is unknown"))??;
        let dockerfile = Dockerfile::parse(&text)?;
        let stage = dockerfile
            .target(target.as_deref())
            .ok_or_else(|| format!("{service}: no stage {target:?}"))?;
        let command: Option<Vec<String>> = self.services[service]
            .get("command")
            .and_then(Value::as_array)
            .map(|args| args.iter().map(scalar).collect());
        if stage.base.starts_with("ghcr.io/spinframework/spin:") {
            let args = command
                .or_else(|| stage.cmd())
                .ok_or_else(|| format!("{service}: no command"))?;
            return listen_port_in(&args).map(|port| SocketAddr::from(([0, 0, 0, 0], port)));
        }
        if stage.all("ENTRYPOINT").any(|e| e.contains("northwind-mcp")) {
            let mut env: BTreeMap<String, String> = stage.env().into_iter().collect();
            env.extend(self.environment(service));
            let args = command.unwrap_or_default();
            return match northwind_mcp::Command::parse(args, |name| env.get(name).cloned()) {
                Ok(northwind_mcp::Command::Run(config)) => Ok(config.addr),
                Ok(northwind_mcp::Command::Help) => Err(format!("{service} only prints --help")),
                Err(e) => Err(format!("{service}: {e}")),
            };
        }
        if stage.base.starts_with("nginx:") {
            let template = stage
                .all("COPY")
                .filter_map(|c| c.split_whitespace().find(|w| w.ends_with(".template")))
                .next()
                .ok_or_else(|| format!("{service}: no nginx template"))?;
            let port = read(template)
                .lines()
                .find_map(|l| {
                    l.trim()
                        .strip_prefix("listen ")?
                        .trim_end_matches(';')
                        .parse()
                        .ok()
                })
                .ok_or_else(|| format!("{service}: no listen in {template}"))?;
            return Ok(SocketAddr::from(([0, 0, 0, 0], port)));
        }
        Err(format!("{service}: cannot tell how it listens"))
    }

    fn exposes(&self, service: &str, port: u16) -> bool {
        self.services[service]
            .get("expose")
            .and_then(Value::as_array)
            .is_some_and(|ports| ports.iter().any(|p| scalar(p) == port.to_string()))
    }

    fn pomerium_service(&self) -> Option<&str> {
        self.services
            .iter()
            .find(|(_, s)| image(s).starts_with("pomerium/pomerium:"))
            .map(|(name, _)| name.as_str())
    }
}

fn image(service: &Value) -> &str {
    service.get("image").and_then(Value::as_str).unwrap_or("")
}

fn scalar(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// `value` with `f` applied to every string in it.
fn map_strings(
    value: &Value,
    f: &mut dyn FnMut(&str) -> Result<String, String>,
) -> Result<Value, String> {
    Ok(match value {
        Value::String(s) => Value::String(f(s)?),
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|v| map_strings(v, f))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| Ok((k.clone(), map_strings(v, f)?)))
                .collect::<Result<_, String>>()?,
        ),
        other => other.clone(),
    })
}

/// Every `build` names an existing context, Dockerfile and target; every pulled image is pinned.
pub(super) fn check_builds(compose: &Compose) -> Vec<String> {
    let mut problems = Vec::new();
    for (name, service) in &compose.services {
        let Some(build) = service.get("build") else {
            if let Err(e) = check_pinned(image(service)) {
                problems.push(format!("{name}: {e}"));
            }
            continue;
        };
        let context = build.get("context").and_then(Value::as_str).unwrap_or(".");
        if !root().join(context).is_dir() {
            problems.push(format!("{name}: build context {context} does not exist"));
            continue;
        }
        match compose.dockerfile(name).expect("it has a build") {
            Err(e) => problems.push(e),
            Ok((text, target)) => match Dockerfile::parse(&text) {
                Err(e) => problems.push(format!("{name}: {e}")),
                Ok(d) if d.target(target.as_deref()).is_none() => {
                    problems.push(format!("{name}: the Dockerfile has no stage {target:?}"));
                }
                Ok(_) => {}
            },
        }
    }
    problems
}

/// Every `${VAR}` in compose is guarded, listed in `.env.example` and documented in README.md;
/// every `.env.example` variable is used; no secret has a value in `.env.example`.
pub(super) fn check_variables(compose_text: &str, env_text: &str, readme: &str) -> Vec<String> {
    let raw = match document(compose_text) {
        Ok(v) => v,
        Err(e) => return vec![e],
    };
    let mut found = Vec::new();
    let collected = map_strings(&raw, &mut |s| {
        found.extend(references(s)?);
        Ok(String::new())
    });
    if let Err(e) = collected {
        return vec![e];
    }
    let declared = env_example(env_text);
    let mut problems = Vec::new();
    for reference in &found {
        let name = &reference.name;
        if !reference.is_guarded() {
            problems.push(format!(
                "${{{name}}} has no default and no error: write ${{{name}:?...}} or ${{{name}:-...}}"
            ));
        }
        if !declared.contains_key(name) {
            problems.push(format!("{name} is not in .env.example"));
        }
        if !readme.contains(&format!("`{name}`")) {
            problems.push(format!("{name} is not documented in README.md"));
        }
    }
    for (name, value) in &declared {
        if !found.iter().any(|r| &r.name == name) {
            problems.push(format!(
                "{name} in .env.example is not used by docker-compose.yaml"
            ));
        }
        let secret = ["KEY", "SECRET", "PASSWORD", "TOKEN"]
            .iter()
            .any(|w| name.contains(w));
        if secret && !value.is_empty() {
            problems.push(format!("{name} has a value in .env.example: ship it empty"));
        }
    }
    problems
}

/// Each route's `to` is a service and a port it listens on and exposes; each `from` host is one
/// of Pomerium's network aliases, so the edge reaches route hosts inside the network.
pub(super) fn check_routes_reach_services(compose: &Compose, pomerium: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    let Some(proxy) = compose.pomerium_service() else {
        return vec!["no pomerium/pomerium service".to_owned()];
    };
    let aliases: Vec<String> = compose.services[proxy]
        .pointer("/networks/default/aliases")
        .and_then(Value::as_array)
        .map(|a| a.iter().map(scalar).collect())
        .unwrap_or_default();
    for route in routes(pomerium) {
        let from = route.get("from").and_then(Value::as_str).unwrap_or("");
        if let Some((_, host, _, _)) = split_url(from)
            && !aliases.iter().any(|a| a == host)
        {
            problems.push(format!("{host} is not a network alias of {proxy}"));
        }
        let to = route.get("to").and_then(Value::as_str).unwrap_or("");
        let Some((_, service, port, _)) = split_url(to) else {
            problems.push(format!("{from}: cannot read to {to}"));
            continue;
        };
        if !compose.services.contains_key(service) {
            problems.push(format!("{from}: to {to}: no service {service}"));
            continue;
        }
        match compose.listen_addr(service) {
            Err(e) => problems.push(e),
            Ok(addr) if !addr.ip().is_unspecified() => problems.push(format!(
                "{service} listens on {addr}: Pomerium cannot reach it from another container"
            )),
            Ok(addr) if addr.port() != port => problems.push(format!(
                "{from}: to {to}, but {service} listens on port {}",
                addr.port()
            )),
            Ok(_) if !compose.exposes(service, port) => {
                problems.push(format!("{service} does not expose {port}"));
            }
            Ok(_) => {}
        }
    }
    problems
}

/// The edge's settings: Spin variables it knows, the secret and origins it needs, Pomerium's
/// URL equal to the chat route's origin, and every page that embeds the chat allowed by CORS.
pub(super) fn check_edge_settings(compose: &Compose, pomerium: &Value) -> Vec<String> {
    let Some(chat) = routes(pomerium)
        .into_iter()
        .find(|r| mcp_role(r) == Some("client"))
    else {
        return vec!["no mcp.client route".to_owned()];
    };
    let chat_origin = chat
        .get("from")
        .and_then(Value::as_str)
        .and_then(origin)
        .unwrap_or_default();
    let Some((_, edge, _, _)) = chat.get("to").and_then(Value::as_str).and_then(split_url) else {
        return vec!["the chat route has no readable to".to_owned()];
    };
    let env = compose.environment(edge);
    let mut problems = Vec::new();
    let mut vars = BTreeMap::new();
    for (name, value) in &env {
        match name.strip_prefix("SPIN_VARIABLE_") {
            Some(var) if is_edge_variable(&var.to_lowercase()) => {
                vars.insert(var.to_lowercase(), value.clone());
            }
            _ => problems.push(format!("{edge}: {name} is not a setting of the edge")),
        }
    }
    for needed in [
        "openai_api_key",
        "seal_secret",
        "provider_origin",
        "pomerium_url",
        "allowed_origins",
    ] {
        if !vars.contains_key(needed) {
            problems.push(format!(
                "{edge}: SPIN_VARIABLE_{} is missing",
                needed.to_uppercase()
            ));
        }
    }
    if let Some(url) = vars.get("pomerium_url")
        && url.trim_end_matches('/') != chat_origin
    {
        problems.push(format!(
            "pomerium_url is {url}, the chat route is {chat_origin}"
        ));
    }
    if vars.get("jwt_assertion").map(String::as_str) != Some("required") {
        problems.push("behind Pomerium the edge must require the JWT assertion".to_owned());
    }
    let allowed: Vec<&str> = vars
        .get("allowed_origins")
        .map(|a| a.split(',').map(str::trim).collect())
        .unwrap_or_default();
    for (page, _) in compose
        .services
        .iter()
        .filter(|(name, _)| compose.environment(name).contains_key("CHAT_ORIGIN"))
    {
        let embedded = &compose.environment(page)["CHAT_ORIGIN"];
        if *embedded != chat_origin {
            problems.push(format!(
                "{page}: CHAT_ORIGIN {embedded} is not {chat_origin}"
            ));
        }
        for route in routes(pomerium) {
            let to_page = route
                .get("to")
                .and_then(Value::as_str)
                .and_then(split_url)
                .is_some_and(|(_, host, _, _)| host == page);
            let page_origin = route.get("from").and_then(Value::as_str).and_then(origin);
            if let Some(page_origin) = page_origin.filter(|_| to_page)
                && !allowed.contains(&page_origin.as_str())
            {
                problems.push(format!(
                    "allowed_origins lacks {page_origin}, which embeds the chat"
                ));
            }
        }
    }
    problems
}

/// northwind-mcp accepts the Host header that reaches it through its route: the public host when
/// the route preserves it, else the upstream's.
pub(super) fn check_northwind_hosts(compose: &Compose, pomerium: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    for route in routes(pomerium)
        .into_iter()
        .filter(|r| mcp_role(r) == Some("server"))
    {
        let from = route.get("from").and_then(Value::as_str).unwrap_or("");
        let to = route.get("to").and_then(Value::as_str).unwrap_or("");
        let (Some((_, public, _, _)), Some((_, service, _, _))) = (split_url(from), split_url(to))
        else {
            continue;
        };
        if !compose.services.contains_key(service) {
            continue;
        }
        let seen = match route.get("preserve_host_header") {
            Some(Value::Bool(true)) => public,
            _ => service,
        };
        let env = compose.environment(service);
        let config = northwind_mcp::Command::parse(Vec::new(), |name| env.get(name).cloned());
        let hosts = match config {
            Ok(northwind_mcp::Command::Run(config)) => config.allowed_hosts,
            other => {
                problems.push(format!("{service}: {other:?}"));
                continue;
            }
        };
        if !hosts.iter().any(|h| h.split(':').next() == Some(seen)) {
            problems.push(format!(
                "{service} refuses Host {seen}, which its route sends: {hosts:?}"
            ));
        }
    }
    problems
}

/// Pomerium's own service: secrets from variables, the databroker on a healthy postgres, the
/// config and certificates mounted, and the only service that publishes ports.
pub(super) fn check_pomerium_service(
    raw_compose: &str,
    compose: &Compose,
    config: &Value,
) -> Vec<String> {
    let Some(proxy) = compose.pomerium_service() else {
        return vec!["no pomerium/pomerium service".to_owned()];
    };
    let mut problems = Vec::new();
    let raw = document(raw_compose).unwrap_or_default();
    for secret in ["SHARED_SECRET", "COOKIE_SECRET"] {
        let value = raw
            .pointer(&format!("/services/{proxy}/environment/{secret}"))
            .and_then(Value::as_str)
            .unwrap_or("");
        if !(value.starts_with("${") && value.ends_with('}')) {
            problems.push(format!(
                "{proxy}: {secret} must come from .env, got {value:?}"
            ));
        }
    }
    if config
        .get("databroker_storage_type")
        .and_then(Value::as_str)
        == Some("postgres")
    {
        let dsn = compose
            .environment(proxy)
            .remove("DATABROKER_STORAGE_CONNECTION_STRING")
            .unwrap_or_default();
        let host = dsn
            .split('@')
            .nth(1)
            .and_then(|rest| rest.split([':', '/']).next())
            .unwrap_or("");
        let is_postgres = compose
            .services
            .get(host)
            .is_some_and(|s| image(s).starts_with("postgres:"));
        let healthy = compose.services[proxy]
            .pointer(&format!("/depends_on/{host}/condition"))
            .and_then(Value::as_str)
            == Some("service_healthy");
        if !is_postgres || !healthy {
            problems.push(format!(
                "{proxy}: the databroker needs a postgres service it waits for (service_healthy), got {host:?}"
            ));
        }
    }
    let volumes: Vec<String> = compose.services[proxy]
        .get("volumes")
        .and_then(Value::as_array)
        .map(|v| v.iter().map(scalar).collect())
        .unwrap_or_default();
    if !volumes
        .iter()
        .any(|v| v.starts_with("./pomerium-config.yaml:/pomerium/config.yaml"))
    {
        problems.push(format!(
            "{proxy}: pomerium-config.yaml is not mounted at /pomerium/config.yaml"
        ));
    }
    if let Some(dir) = config.get("autocert_dir").and_then(Value::as_str)
        && !volumes.iter().any(|v| v.split(':').nth(1) == Some(dir))
    {
        problems.push(format!(
            "{proxy}: no volume at {dir}: certificates would be lost"
        ));
    }
    for (name, service) in &compose.services {
        if name != proxy && service.get("ports").is_some() {
            problems.push(format!("{name} publishes ports: only Pomerium should"));
        }
    }
    problems
}

/// Every service has a health check.
pub(super) fn check_healthchecks(compose: &Compose) -> Vec<String> {
    compose
        .services
        .iter()
        .filter(|(_, s)| {
            let test = s.pointer("/healthcheck/test");
            test.is_none_or(|t| {
                t.as_array()
                    .is_none_or(|a| a.first() == Some(&Value::from("NONE")))
            })
        })
        .map(|(name, _)| format!("{name} has no health check"))
        .collect()
}

#[cfg(test)]
mod tests;
