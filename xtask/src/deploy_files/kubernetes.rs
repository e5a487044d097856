//! deploy/kubernetes/: the manifests parse, kustomize lists them in the order they must be
//! applied, no Secret is shipped, the custom resources pass their CRDs and admission webhooks
//! (`crds`), the Ingresses use only the Pomerium Ingress Controller's annotations with the chat
//! route's options and TLS, and images, names and ports agree with each other and with the code
//! that reads them. The edge's SpinApp, Deployment and autoscaler are `edge`'s.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::deploy_files::crds;
use crate::deploy_files::dockerfile::check_pinned;
use crate::deploy_files::read;
use crate::deploy_files::yaml::documents;

/// The manifests, by file name.
const DIR: &str = "deploy/kubernetes";

/// Annotation keys of the Pomerium Ingress Controller 0.33 (`pomerium/ingress_annotations.go`),
/// without the `ingress.pomerium.io/` prefix.
const ANNOTATIONS: &[&str] = &[
    "allow_any_authenticated_user",
    "allow_public_unauthenticated_access",
    "allow_spdy",
    "allow_websockets",
    "allowed_domains",
    "allowed_idp_claims",
    "allowed_users",
    "cors_allow_preflight",
    "description",
    "health_checks",
    "host_path_regex_rewrite_pattern",
    "host_path_regex_rewrite_substitution",
    "host_rewrite",
    "host_rewrite_header",
    "idle_timeout",
    "logo_url",
    "mcp_client",
    "mcp_server",
    "mcp_server_authorization_server_url",
    "mcp_server_max_request_bytes",
    "mcp_server_path",
    "mcp_server_upstream_oauth2_auth_style",
    "mcp_server_upstream_oauth2_auth_url",
    "mcp_server_upstream_oauth2_authorization_url_params",
    "mcp_server_upstream_oauth2_scopes",
    "mcp_server_upstream_oauth2_secret",
    "mcp_server_upstream_oauth2_token_url",
    "name",
    "pass_identity_headers",
    "path_regex",
    "policy",
    "prefix_rewrite",
    "preserve_host_header",
    "regex_rewrite_pattern",
    "regex_rewrite_substitution",
    "remove_request_headers",
    "rewrite_response_headers",
    "secure_upstream",
    "service_proxy_upstream",
    "set_request_headers",
    "set_response_headers",
    "timeout",
    "tls_client_secret",
    "tls_custom_ca_secret",
    "tls_downstream_client_ca_secret",
    "tls_server_name",
    "tls_skip_verify",
];

const PREFIX: &str = "ingress.pomerium.io/";

/// Every manifest as (file name, documents).
pub(super) type Manifests = BTreeMap<String, Vec<Value>>;

/// Reads and parses every `.yaml` file of the directory.
pub(super) fn load() -> Manifests {
    let dir = crate::cmd::root().join(DIR);
    let mut manifests = Manifests::new();
    for entry in std::fs::read_dir(&dir).expect("deploy/kubernetes exists") {
        let name = entry
            .expect("a directory entry")
            .file_name()
            .to_string_lossy()
            .into_owned();
        if name.ends_with(".yaml") {
            let docs = documents(&read(&format!("{DIR}/{name}")))
                .unwrap_or_else(|e| panic!("{DIR}/{name}: {e}"));
            manifests.insert(name, docs);
        }
    }
    manifests
}

/// The manifests with one file's text changed, for a deliberately broken copy.
#[cfg(test)]
pub(super) fn with(file: &str, from: &str, to: &str) -> Manifests {
    let mut manifests = load();
    let text = crate::deploy_files::broken(&read(&format!("{DIR}/{file}")), from, to);
    manifests.insert(
        file.to_owned(),
        documents(&text).expect("the broken copy parses"),
    );
    manifests
}

/// Every object of every file, except kustomization.yaml.
fn objects(manifests: &Manifests) -> impl Iterator<Item = &Value> {
    manifests
        .iter()
        .filter(|(name, _)| *name != "kustomization.yaml")
        .flat_map(|(_, docs)| docs.iter())
}

fn of_kind<'a>(manifests: &'a Manifests, kind: &'a str) -> impl Iterator<Item = &'a Value> {
    objects(manifests).filter(move |o| o["kind"] == kind)
}

fn name(object: &Value) -> &str {
    object
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("")
}

/// Each object has an apiVersion, kind and name; kustomize lists every file but the cluster-wide
/// `pomerium.yaml`; no Secret carries data.
pub(super) fn check_structure(manifests: &Manifests) -> Vec<String> {
    let mut problems = Vec::new();
    for (file, docs) in manifests {
        for doc in docs {
            for field in ["/apiVersion", "/kind"] {
                if doc.pointer(field).and_then(Value::as_str).is_none() {
                    problems.push(format!("{file}: an object without {field}"));
                }
            }
            if file != "kustomization.yaml" && name(doc).is_empty() {
                problems.push(format!("{file}: an object without a name"));
            }
        }
    }
    let listed: Vec<&str> = manifests
        .get("kustomization.yaml")
        .and_then(|d| d.first())
        .and_then(|k| k.get("resources"))
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    for file in manifests.keys() {
        let separate = file == "kustomization.yaml" || file == "pomerium.yaml";
        if !separate && !listed.contains(&file.as_str()) {
            problems.push(format!("kustomization.yaml does not list {file}"));
        }
    }
    // kustomize sorts resources by kind unless told otherwise, and SpinApp sorts before
    // SpinAppExecutor; the webhook refuses an app whose executor is not there yet. With
    // `sortOptions.order: fifo` (kustomize 5, kubectl 1.27+) objects go out in the listed order.
    let kustomization = manifests.get("kustomization.yaml").and_then(|d| d.first());
    if kustomization.and_then(|k| k.pointer("/sortOptions/order")) != Some(&Value::from("fifo")) {
        problems.push(
            "kustomization.yaml must keep the listed order (sortOptions.order: fifo)".to_owned(),
        );
    }
    let position = |f: &str| listed.iter().position(|l| *l == f);
    if let (Some(executor), Some(edge)) = (position("executor.yaml"), position("edge.yaml"))
        && executor > edge
    {
        problems.push("kustomization.yaml must list executor.yaml before edge.yaml".to_owned());
    }
    for file in listed {
        if !manifests.contains_key(file) {
            problems.push(format!(
                "kustomization.yaml lists {file}, which does not exist"
            ));
        }
    }
    for secret in of_kind(manifests, "Secret") {
        if secret.get("data").is_some() || secret.get("stringData").is_some() {
            problems.push(format!(
                "Secret {} ships values: create it with kubectl",
                name(secret)
            ));
        }
    }
    problems
}

/// The custom resources against their CRDs (schema and CEL rules), and spin-operator's admission
/// webhooks over the objects kustomize puts in one namespace.
pub(super) fn check_custom_resources(manifests: &Manifests) -> Vec<String> {
    let mut problems = Vec::new();
    let listed: Vec<String> = manifests
        .get("kustomization.yaml")
        .and_then(|d| d.first())
        .and_then(|k| k.get("resources"))
        .and_then(Value::as_array)
        .map(|r| {
            r.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    let mut namespace_objects = Vec::new();
    for (file, docs) in manifests {
        for object in docs {
            let api_version = object["apiVersion"].as_str().unwrap_or("");
            let kind = object["kind"].as_str().unwrap_or("");
            if !crds::is_custom(api_version) {
                continue;
            }
            problems.extend(
                crds::check_custom_resource(object)
                    .into_iter()
                    .map(|p| format!("{file}: {p}")),
            );
            let in_kustomization = listed.contains(file);
            match crds::is_namespaced(api_version, kind) {
                Some(true) if in_kustomization => namespace_objects.push(object),
                Some(true) => problems.push(format!(
                    "{file}: {kind} is namespaced: list it in kustomization.yaml"
                )),
                Some(false) if in_kustomization => problems.push(format!(
                    "{file}: {kind} is cluster-scoped: keep it out of the namespaced kustomization"
                )),
                _ => {}
            }
        }
    }
    problems.extend(crds::check_spin_admission(&namespace_objects));
    problems
}

/// The Ingresses: class `pomerium`, known annotations, one MCP role at most, the chat route's
/// options, and backends that exist (a Service's port, or a SpinApp's Service on port 80).
pub(super) fn check_ingresses(manifests: &Manifests) -> Vec<String> {
    let mut problems = Vec::new();
    let mut roles = Vec::new();
    for ingress in of_kind(manifests, "Ingress") {
        let id = format!("Ingress {}", name(ingress));
        if ingress
            .pointer("/spec/ingressClassName")
            .and_then(Value::as_str)
            != Some("pomerium")
        {
            problems.push(format!("{id}: ingressClassName is not pomerium"));
        }
        let annotations = annotations(ingress);
        for key in annotations.keys() {
            if !ANNOTATIONS.contains(&key.as_str()) {
                problems.push(format!("{id}: unknown annotation {PREFIX}{key}"));
            }
        }
        let client = annotations.get("mcp_client").map(String::as_str) == Some("true");
        let server = annotations.get("mcp_server").map(String::as_str) == Some("true");
        if client && server {
            problems.push(format!("{id}: both mcp_client and mcp_server"));
        }
        if client {
            roles.push("client");
            for (key, want) in [
                ("timeout", "0s"),
                ("idle_timeout", "0s"),
                ("cors_allow_preflight", "true"),
                ("pass_identity_headers", "true"),
            ] {
                if annotations.get(key).map(String::as_str) != Some(want) {
                    problems.push(format!(
                        "{id}: the chat route needs {PREFIX}{key}: \"{want}\""
                    ));
                }
            }
        }
        if server {
            roles.push("server");
            let bytes = annotations
                .get("mcp_server_max_request_bytes")
                .and_then(|b| b.parse::<u64>().ok());
            // Pomerium buffers this much of a body for the policy check and passes a longer one
            // cut short (AllowPartialMessage), where mcp_tool rules cannot see the call: so at
            // least the largest body the server takes.
            let largest = match backends(ingress).iter().any(|(s, _)| s == "northwind-mcp") {
                true => northwind_mcp::MAX_REQUEST_BYTES as u64,
                false => 4097,
            };
            if bytes.is_none_or(|b| b < largest) {
                problems.push(format!(
                    "{id}: mcp_server_max_request_bytes must be at least {largest}, the largest \
                     body its server accepts, or longer tool calls escape mcp_tool rules"
                ));
            }
        }
        for (service, port) in backends(ingress) {
            if !service_has_port(manifests, &service, port) {
                problems.push(format!("{id}: no Service {service} with port {port}"));
            }
        }
        let tls_hosts: Vec<&str> = ingress
            .pointer("/spec/tls")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter(|t| t.get("secretName").and_then(Value::as_str).is_some())
            .filter_map(|t| t.get("hosts")?.as_array())
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        for host in hosts(ingress) {
            if !tls_hosts.contains(&host) {
                problems.push(format!(
                    "{id}: no TLS certificate for {host}: Pomerium would serve one nobody trusts"
                ));
            }
        }
        if annotations
            .get("allow_public_unauthenticated_access")
            .map(String::as_str)
            == Some("true")
            && !paths(ingress).iter().all(|p| p == "/widget/")
        {
            problems.push(format!("{id}: only the widget bundle (/widget/) is public"));
        }
    }
    let widget_ingresses: Vec<&Value> = of_kind(manifests, "Ingress")
        .filter(|i| {
            let a = annotations(i);
            a.get("allow_public_unauthenticated_access")
                .map(String::as_str)
                == Some("true")
                && paths(i).iter().any(|p| p == "/widget/")
                && a.get("set_response_headers")
                    .is_some_and(|h| h.contains("Access-Control-Allow-Origin"))
        })
        .collect();
    if widget_ingresses.is_empty() {
        problems.push(
            "no public Ingress for /widget/ with Access-Control-Allow-Origin: pages on other \
             origins cannot load the widget"
                .to_owned(),
        );
    }
    // The widget's endpoint is the host that serves it, and Connect returns there: Pomerium
    // accepts that redirect_url only on an MCP client route's host (isValidRedirectURL).
    let client_hosts: Vec<&str> = of_kind(manifests, "Ingress")
        .filter(|i| {
            annotations(i)
                .get("mcp_client")
                .is_some_and(|v| v == "true")
        })
        .flat_map(hosts)
        .collect();
    for host in widget_ingresses.into_iter().flat_map(hosts) {
        if !client_hosts.contains(&host) {
            problems.push(format!(
                "{host} serves the widget but has no mcp_client Ingress: Pomerium refuses the \
                 widget's Connect redirect_url there"
            ));
        }
    }
    for role in ["client", "server"] {
        if !roles.contains(&role) {
            problems.push(format!("no Ingress with {PREFIX}mcp_{role}"));
        }
    }
    problems
}

fn annotations(ingress: &Value) -> BTreeMap<String, String> {
    ingress
        .pointer("/metadata/annotations")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .filter_map(|(k, v)| Some((k.strip_prefix(PREFIX)?.to_owned(), v.as_str()?.to_owned())))
        .collect()
}

fn hosts(ingress: &Value) -> Vec<&str> {
    ingress
        .pointer("/spec/rules")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|r| r.get("host")?.as_str())
        .collect()
}

/// Every `spec.rules[].http.paths[]` entry of an Ingress.
fn http_paths(ingress: &Value) -> impl Iterator<Item = &Value> {
    ingress
        .pointer("/spec/rules")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|r| r.pointer("/http/paths")?.as_array())
        .flatten()
}

fn paths(ingress: &Value) -> Vec<String> {
    http_paths(ingress)
        .filter_map(|p| Some(p.get("path")?.as_str()?.to_owned()))
        .collect()
}

fn backends(ingress: &Value) -> Vec<(String, u64)> {
    http_paths(ingress)
        .filter_map(|p| {
            let service = p.pointer("/backend/service")?;
            Some((
                service.get("name")?.as_str()?.to_owned(),
                service.pointer("/port/number")?.as_u64()?,
            ))
        })
        .collect()
}

fn service_has_port(manifests: &Manifests, service: &str, port: u64) -> bool {
    let spin_app = of_kind(manifests, "SpinApp").any(|a| name(a) == service) && port == 80;
    let declared = of_kind(manifests, "Service")
        .filter(|s| name(s) == service)
        .any(|s| {
            s.pointer("/spec/ports")
                .and_then(Value::as_array)
                .is_some_and(|ports| ports.iter().any(|p| p["port"] == port))
        });
    spin_app || declared
}

/// The URLs of the MCP servers the Ingresses publish (`https://<host><mcp_server_path>`).
fn mcp_server_urls(manifests: &Manifests) -> Vec<String> {
    of_kind(manifests, "Ingress")
        .filter(|i| {
            annotations(i)
                .get("mcp_server")
                .is_some_and(|v| v == "true")
        })
        .flat_map(|i| {
            let path = annotations(i)
                .get("mcp_server_path")
                .cloned()
                .unwrap_or_else(|| "/".to_owned());
            hosts(i)
                .into_iter()
                .map(move |h| format!("https://{h}{path}"))
        })
        .collect()
}

/// The Northwind Deployment: a pinned northwind-mcp image, running as the Dockerfile's user,
/// listening (as its own parser reads the env) on the container port the Service targets, and
/// accepting the Host its Ingress sends.
pub(super) fn check_northwind(manifests: &Manifests, image_user: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let Some(deployment) = of_kind(manifests, "Deployment").find(|d| name(d) == "northwind-mcp")
    else {
        return vec!["no Deployment northwind-mcp".to_owned()];
    };
    let Some(container) = deployment.pointer("/spec/template/spec/containers/0") else {
        return vec!["northwind-mcp has no container".to_owned()];
    };
    let image = container.get("image").and_then(Value::as_str).unwrap_or("");
    if let Err(e) = check_pinned(image) {
        problems.push(e);
    }
    if !image
        .rsplit('/')
        .next()
        .unwrap_or("")
        .starts_with("northwind-mcp:")
    {
        problems.push(format!("{image} is not the northwind-mcp image"));
    }
    let user = deployment.pointer("/spec/template/spec/securityContext/runAsUser");
    if user.map(Value::to_string).as_deref() != Some(image_user) {
        problems.push(format!(
            "runAsUser {user:?} is not the image's user {image_user}"
        ));
    }
    let env: BTreeMap<String, String> = container
        .get("env")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|e| {
            Some((
                e.get("name")?.as_str()?.to_owned(),
                e.get("value")?.as_str()?.to_owned(),
            ))
        })
        .collect();
    let config = match northwind_mcp::Command::parse(Vec::new(), |n| env.get(n).cloned()) {
        Ok(northwind_mcp::Command::Run(config)) => config,
        other => return vec![format!("northwind-mcp's env does not parse: {other:?}")],
    };
    if !config.addr.ip().is_unspecified() {
        problems.push(format!(
            "northwind-mcp listens on {}: unreachable from the Service",
            config.addr
        ));
    }
    let ports = container
        .get("ports")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let port_named = |n: &str| {
        ports
            .iter()
            .find(|p| p["name"] == n)
            .and_then(|p| p["containerPort"].as_u64())
    };
    if !ports
        .iter()
        .any(|p| p["containerPort"] == u64::from(config.addr.port()))
    {
        problems.push(format!(
            "no containerPort {} (NORTHWIND_ADDR)",
            config.addr.port()
        ));
    }
    for service in of_kind(manifests, "Service").filter(|s| name(s) == "northwind-mcp") {
        for port in service
            .pointer("/spec/ports")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let target = match &port["targetPort"] {
                Value::String(n) => port_named(n),
                Value::Number(n) => n.as_u64(),
                _ => port["port"].as_u64(),
            };
            if target != Some(u64::from(config.addr.port())) {
                problems.push(format!(
                    "Service northwind-mcp targets {target:?}, the server listens on {}",
                    config.addr.port()
                ));
            }
        }
    }
    for ingress in of_kind(manifests, "Ingress")
        .filter(|i| backends(i).iter().any(|(s, _)| s == "northwind-mcp"))
    {
        let preserved = annotations(ingress)
            .get("preserve_host_header")
            .map(String::as_str)
            == Some("true");
        for host in hosts(ingress) {
            let seen = if preserved { host } else { "northwind-mcp" };
            if !config.allowed_hosts.iter().any(|h| h == seen) {
                problems.push(format!(
                    "northwind-mcp refuses Host {seen}, which Ingress {} sends",
                    name(ingress)
                ));
            }
        }
    }
    problems
}

/// The controller's global settings: the `global` Pomerium object with MCP on, persistent
/// storage and an explicit SameSite.
pub(super) fn check_global_settings(manifests: &Manifests) -> Vec<String> {
    let Some(global) = of_kind(manifests, "Pomerium").next() else {
        return vec!["no Pomerium global settings".to_owned()];
    };
    let mut problems = Vec::new();
    if global["apiVersion"] != "ingress.pomerium.io/v1" || name(global) != "global" {
        problems.push("the settings are ingress.pomerium.io/v1 Pomerium named global".to_owned());
    }
    if global.pointer("/spec/runtimeFlags/mcp") != Some(&Value::Bool(true)) {
        problems.push("spec.runtimeFlags.mcp must be true".to_owned());
    }
    if global
        .pointer("/spec/secrets")
        .and_then(Value::as_str)
        .is_none()
    {
        problems.push("spec.secrets names no bootstrap Secret".to_owned());
    }
    if global.pointer("/spec/storage").is_none() {
        problems.push(
            "spec.storage is unset: sessions and MCP tokens would live in memory and vanish on \
             restart"
                .to_owned(),
        );
    }
    // Pomerium's default leaves SameSite unset (config/options.go, GetCookieSameSite), which only
    // Chrome reads as Lax; README.md relies on Lax for the embedding page.
    if global.pointer("/spec/cookie/sameSite") != Some(&Value::from("lax")) {
        problems.push("spec.cookie.sameSite must be lax, as README.md says".to_owned());
    }
    problems
}

mod edge;
#[cfg(test)]
mod tests;

pub(super) use edge::{check_edge, edge_env};
