//! The edge on SpinKube (deploy/kubernetes/edge.yaml): a SpinApp whose executor leaves the
//! Deployment to us (`createDeployment: false`), the Deployment that runs the app on the
//! containerd Spin shim with the environment that sizes Spin's pool, and its autoscaler.
//!
//! What spin-operator v0.6.1 does with such an app, and so what the Deployment must match:
//! it makes a Service named after the SpinApp, port 80, target port `http-app`, selecting
//! `core.spinkube.dev/app.<app>.status: ready` (`internal/controller/service.go`,
//! `pkg/spinapp/spinapp.go`); it reads nothing else of the SpinApp's spec; and it deletes any
//! Deployment named after the app (`spinapp_controller.go`, Reconcile -> deleteDeployment).

use std::collections::BTreeMap;

use serde_json::Value;

use super::{Manifests, annotations, hosts, mcp_server_urls, name, of_kind};
use crate::deploy_files::dockerfile::check_pinned;
use crate::deploy_files::outbound::{Mode, check_mode};
use crate::deploy_files::yaml::toml_document;
use crate::deploy_files::{is_edge_variable, read};

/// The RuntimeClass SpinKube's runtime-class-manager installs with the containerd Spin shim
/// (spin-operator's `config/samples/spin-shim-executor.yaml`).
const RUNTIME_CLASS: &str = "wasmtime-spin-v2";

/// The port name and number the operator's Service targets (`pkg/spinapp/spinapp.go`).
const PORT_NAME: &str = "http-app";
const PORT: u64 = 80;

/// SpinApp spec fields the operator reads only when it creates the Deployment itself.
const DEPLOYMENT_FIELDS: &[&str] = &[
    "variables",
    "checks",
    "resources",
    "invocationLimits",
    "enableAutoscaling",
    "runtimeConfig",
    "volumes",
    "volumeMounts",
    "components",
    "imagePullSecrets",
    "serviceAccountName",
    "podLabels",
];

/// The SpinApp, its Deployment and autoscaler: an OCI image named after the Spin app and
/// pinned, one image for both, pods the operator's Service selects on its port, only the edge's
/// variables, the keys from a Secret, Pomerium's URL on the chat Ingress's host, the edge's
/// readiness, at least two replicas, and spin.toml's outbound hosts resolved with these
/// variables allowing what the edge calls. The pool sizes are `pool`'s rule.
pub(in crate::deploy_files) fn check_edge(manifests: &Manifests, app_name: &str) -> Vec<String> {
    let apps: Vec<&Value> = of_kind(manifests, "SpinApp").collect();
    let [app] = apps.as_slice() else {
        return vec![format!("{} SpinApps: expected the edge's one", apps.len())];
    };
    let mut problems = check_spin_app(manifests, app, app_name);
    let Some(deployment) = edge_deployment(manifests) else {
        problems.push(format!(
            "no Deployment runs the SpinApp's image on the RuntimeClass {RUNTIME_CLASS}"
        ));
        return problems;
    };
    problems.extend(check_deployment(manifests, app, deployment));
    problems.extend(check_replicas(manifests, deployment));
    problems
}

/// The SpinApp: the image, and an executor that leaves the Deployment to us (the operator's
/// Deployment cannot set the pool), so no field the operator would then ignore.
fn check_spin_app(manifests: &Manifests, app: &Value, app_name: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let id = format!("SpinApp {}", name(app));
    let image = app
        .pointer("/spec/image")
        .and_then(Value::as_str)
        .unwrap_or("");
    if let Err(e) = check_pinned(image) {
        problems.push(format!("{id}: {e}"));
    }
    let repository = image
        .rsplit('/')
        .next()
        .unwrap_or("")
        .split(':')
        .next()
        .unwrap_or("");
    if repository != app_name {
        problems.push(format!(
            "{id}: image {image} is not the Spin app {app_name}"
        ));
    }
    let executor_name = app.pointer("/spec/executor").and_then(Value::as_str);
    let creates = of_kind(manifests, "SpinAppExecutor")
        .find(|e| Some(name(e)) == executor_name)
        .map(|e| e.pointer("/spec/createDeployment") == Some(&Value::Bool(true)));
    if creates != Some(false) {
        problems.push(format!(
            "{id}: its executor must have createDeployment: false: the operator's Deployment \
             cannot set SPIN_MAX_INSTANCE_COUNT, so Spin's pool would stay at 1,000 answers"
        ));
    }
    for field in DEPLOYMENT_FIELDS {
        if app.pointer(&format!("/spec/{field}")).is_some() {
            problems.push(format!(
                "{id}: spec.{field} is ignored when the executor creates no Deployment: set it \
                 on the Deployment"
            ));
        }
    }
    problems
}

/// The Deployment whose pods run on the shim's RuntimeClass.
fn edge_deployment(manifests: &Manifests) -> Option<&Value> {
    of_kind(manifests, "Deployment").find(|d| {
        d.pointer("/spec/template/spec/runtimeClassName")
            .and_then(Value::as_str)
            == Some(RUNTIME_CLASS)
    })
}

/// The edge Deployment's environment (plain values only), for the pool rule.
pub(in crate::deploy_files) fn edge_env(manifests: &Manifests) -> Option<BTreeMap<String, String>> {
    let container = edge_deployment(manifests)?.pointer("/spec/template/spec/containers/0")?;
    Some(
        env_entries(container)
            .filter_map(|(n, e)| Some((n.to_owned(), e.get("value")?.as_str()?.to_owned())))
            .collect(),
    )
}

fn env_entries(container: &Value) -> impl Iterator<Item = (&str, &Value)> {
    container
        .get("env")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|e| Some((e.get("name")?.as_str()?, e)))
}

fn check_deployment(manifests: &Manifests, app: &Value, deployment: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    let app_name = name(app);
    let id = format!("Deployment {}", name(deployment));
    if name(deployment) == app_name {
        problems.push(format!(
            "{id}: named after the SpinApp, which spin-operator deletes when its executor \
             creates no Deployment"
        ));
    }
    let labels = |pointer: &str| {
        deployment
            .pointer(pointer)
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default()
    };
    let pod_labels = labels("/spec/template/metadata/labels");
    let status_label = format!("core.spinkube.dev/app.{app_name}.status");
    if pod_labels.get(&status_label) != Some(&Value::from("ready")) {
        problems.push(format!(
            "{id}: the pods lack {status_label}: ready, which the operator's Service selects"
        ));
    }
    for (key, value) in labels("/spec/selector/matchLabels") {
        if pod_labels.get(&key) != Some(&value) {
            problems.push(format!("{id}: the selector's {key} is not a pod label"));
        }
    }
    let Some(container) = deployment.pointer("/spec/template/spec/containers/0") else {
        problems.push(format!("{id}: no container"));
        return problems;
    };
    if container.get("image") != app.pointer("/spec/image") {
        problems.push(format!("{id}: its image is not the SpinApp's"));
    }
    let ports = container
        .get("ports")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if !ports
        .iter()
        .any(|p| p["name"] == PORT_NAME && p["containerPort"] == PORT)
    {
        problems.push(format!(
            "{id}: no containerPort {PORT} named {PORT_NAME}, which the operator's Service targets"
        ));
    }
    let env: BTreeMap<&str, &Value> = env_entries(container).collect();
    let listen = env
        .get("SPIN_HTTP_LISTEN_ADDR")
        .and_then(|e| e.get("value")?.as_str());
    if listen.is_some_and(|l| l != format!("0.0.0.0:{PORT}")) {
        problems.push(format!(
            "{id}: Spin listens on {listen:?}, the Service targets 0.0.0.0:{PORT}"
        ));
    }
    problems.extend(check_settings(manifests, &id, &env));
    let probe = |kind: &str| {
        container
            .pointer(&format!("/{kind}/httpGet/path"))
            .and_then(Value::as_str)
    };
    // Readiness asks the edge itself: /api/health runs the component and answers 503 when it
    // cannot answer a chat; Spin's /.well-known/spin/health never runs it.
    if probe("readinessProbe") != Some("/api/health") {
        problems.push(format!(
            "{id}: the readiness check asks {:?}, not the edge's /api/health",
            probe("readinessProbe")
        ));
    }
    for (pointer, what) in [
        (
            "/resources/requests/cpu",
            "a CPU request (the autoscaler's base)",
        ),
        ("/resources/limits/memory", "a memory limit"),
    ] {
        if container.pointer(pointer).is_none() {
            problems.push(format!("{id}: needs {what}"));
        }
    }
    problems
}

/// The edge's settings in the environment: only spin.toml's variables, the keys from a Secret,
/// Pomerium's URL on the chat Ingress, the assertion required, and the outbound hosts.
fn check_settings(manifests: &Manifests, id: &str, env: &BTreeMap<&str, &Value>) -> Vec<String> {
    let mut problems = Vec::new();
    let mut seen = BTreeMap::new();
    for (env_name, entry) in env {
        let Some(var) = env_name.strip_prefix("SPIN_VARIABLE_") else {
            continue;
        };
        let var = var.to_lowercase();
        if !is_edge_variable(&var) {
            problems.push(format!("{id}: {env_name} is not a setting of the edge"));
        }
        seen.insert(var, *entry);
    }
    for secret in ["openai_api_key", "seal_secret"] {
        match seen.get(secret) {
            Some(entry) if entry.pointer("/valueFrom/secretKeyRef/name").is_some() => {}
            _ => problems.push(format!("{id}: {secret} must come from a secretKeyRef")),
        }
    }
    let value = |var: &str| seen.get(var).and_then(|e| e.get("value")?.as_str());
    let chat_host = of_kind(manifests, "Ingress")
        .find(|i| {
            annotations(i)
                .get("mcp_client")
                .is_some_and(|v| v == "true")
        })
        .and_then(|i| hosts(i).first().map(|h| format!("https://{h}")));
    if value("pomerium_url").is_none() || value("pomerium_url").map(str::to_owned) != chat_host {
        problems.push(format!(
            "{id}: pomerium_url {:?}, the chat Ingress is {chat_host:?}",
            value("pomerium_url")
        ));
    }
    if value("jwt_assertion") != Some("required") {
        problems.push(format!(
            "{id}: behind Pomerium the edge must require the JWT assertion"
        ));
    }
    // spin.toml's outbound hosts with these variables (a Secret's value stands in for the key):
    // they must allow the provider, Pomerium and the MCP server Ingresses.
    let manifest = toml_document(&read("spin.toml")).unwrap_or_default();
    let mut mode = Mode::new(id, &[]);
    for var in seen.keys() {
        mode.vars.insert(
            var.clone(),
            value(var).unwrap_or("from-a-secret").to_owned(),
        );
    }
    mode.calls = mcp_server_urls(manifests);
    problems.extend(check_mode(&manifest, &mode));
    problems
}

/// At least two replicas: an autoscaler on the Deployment (on CPU, minReplicas >= 2, and no
/// `replicas` in the Deployment, which would reset its count on every apply), or `replicas`.
fn check_replicas(manifests: &Manifests, deployment: &Value) -> Vec<String> {
    let id = format!("Deployment {}", name(deployment));
    let scalers: Vec<&Value> = of_kind(manifests, "HorizontalPodAutoscaler")
        .filter(|h| {
            h.pointer("/spec/scaleTargetRef/kind") == Some(&Value::from("Deployment"))
                && h.pointer("/spec/scaleTargetRef/name")
                    .and_then(Value::as_str)
                    == Some(name(deployment))
        })
        .collect();
    let replicas = deployment.pointer("/spec/replicas").and_then(Value::as_u64);
    let Some(hpa) = scalers.first() else {
        return match replicas {
            Some(r) if r >= 2 => Vec::new(),
            _ => vec![format!(
                "{id}: run at least 2 replicas (the edge is stateless), or scale it"
            )],
        };
    };
    let mut problems = Vec::new();
    let hpa_id = format!("HorizontalPodAutoscaler {}", name(hpa));
    if replicas.is_some() {
        problems.push(format!(
            "{id}: replicas is set, and every apply would reset what {hpa_id} chose"
        ));
    }
    let min = hpa.pointer("/spec/minReplicas").and_then(Value::as_u64);
    let max = hpa.pointer("/spec/maxReplicas").and_then(Value::as_u64);
    if min.is_none_or(|m| m < 2) {
        problems.push(format!(
            "{hpa_id}: minReplicas {min:?}: run at least 2 (one spare for a rolling update)"
        ));
    }
    if max.is_none_or(|m| Some(m) < min) {
        problems.push(format!("{hpa_id}: maxReplicas {max:?} below minReplicas"));
    }
    let on_cpu = hpa
        .pointer("/spec/metrics")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .any(|m| {
            m["type"] == "Resource"
                && m.pointer("/resource/name") == Some(&Value::from("cpu"))
                && m.pointer("/resource/target/type") == Some(&Value::from("Utilization"))
                && m.pointer("/resource/target/averageUtilization")
                    .and_then(Value::as_u64)
                    .is_some_and(|u| (1..=100).contains(&u))
        });
    if !on_cpu {
        problems.push(format!(
            "{hpa_id}: no CPU utilization target between 1 and 100 %"
        ));
    }
    problems
}
