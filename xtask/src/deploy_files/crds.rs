//! The custom resources of deploy/kubernetes/ checked as the cluster checks them: against the
//! released CRDs of the Pomerium Ingress Controller v0.33.0 (`Pomerium`) and spin-operator v0.6.1
//! (`SpinApp`, `SpinAppExecutor`), vendored under `upstream/` with their licences, then their CEL
//! rules and spin-operator's admission webhooks, each written as a Rust check quoting its source.
//!
//! | CRD | from |
//! |---|---|
//! | `ingress.pomerium.io_pomerium.yaml` | pomerium/ingress-controller v0.33.0, `config/crd/bases/` |
//! | `core.spinkube.dev_spinapps.yaml`, `..._spinappexecutors.yaml` | spinframework/spin-operator v0.6.1, `config/crd/bases/` |

use std::sync::LazyLock;

use serde_json::Value;

use crate::deploy_files::schema::{Rule, Schema, is_quantity};
use crate::deploy_files::yaml::documents;

const VENDORED: &[(&str, &str)] = &[
    (
        "pomerium-ingress-controller-v0.33.0/ingress.pomerium.io_pomerium.yaml",
        include_str!(
            "upstream/pomerium-ingress-controller-v0.33.0/ingress.pomerium.io_pomerium.yaml"
        ),
    ),
    (
        "spin-operator-v0.6.1/core.spinkube.dev_spinapps.yaml",
        include_str!("upstream/spin-operator-v0.6.1/core.spinkube.dev_spinapps.yaml"),
    ),
    (
        "spin-operator-v0.6.1/core.spinkube.dev_spinappexecutors.yaml",
        include_str!("upstream/spin-operator-v0.6.1/core.spinkube.dev_spinappexecutors.yaml"),
    ),
];

/// One vendored CRD.
pub(super) struct Crd {
    group: String,
    kind: String,
    namespaced: bool,
    /// Served versions and their `openAPIV3Schema`.
    versions: Vec<(String, Value)>,
}

/// The vendored CRDs, parsed once.
pub(super) fn vendored() -> &'static [Crd] {
    static CRDS: LazyLock<Vec<Crd>> = LazyLock::new(|| {
        VENDORED
            .iter()
            .flat_map(|(file, text)| documents(text).unwrap_or_else(|e| panic!("{file}: {e}")))
            .map(|crd| parse_crd(&crd))
            .collect()
    });
    &CRDS
}

fn parse_crd(crd: &Value) -> Crd {
    let text = |p: &str| {
        crd.pointer(p)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned()
    };
    let versions = crd
        .pointer("/spec/versions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|v| v["served"] == true)
        .filter_map(|v| {
            Some((
                v.get("name")?.as_str()?.to_owned(),
                v.pointer("/schema/openAPIV3Schema")?.clone(),
            ))
        })
        .collect();
    Crd {
        group: text("/spec/group"),
        kind: text("/spec/names/kind"),
        namespaced: text("/spec/scope") == "Namespaced",
        versions,
    }
}

/// Whether objects of this `apiVersion`'s group are defined by a vendored CRD.
pub(super) fn is_custom(api_version: &str) -> bool {
    let group = api_version.split('/').next().unwrap_or("");
    vendored().iter().any(|c| c.group == group)
}

/// Whether `kind` of `api_version` is a namespaced custom resource.
pub(super) fn is_namespaced(api_version: &str, kind: &str) -> Option<bool> {
    let group = api_version.split('/').next().unwrap_or("");
    vendored()
        .iter()
        .find(|c| c.group == group && c.kind == kind)
        .map(|c| c.namespaced)
}

/// The schema and CEL checks of one custom resource.
pub(super) fn check_custom_resource(object: &Value) -> Vec<String> {
    let api_version = object["apiVersion"].as_str().unwrap_or("");
    let kind = object["kind"].as_str().unwrap_or("");
    let id = format!(
        "{kind} {}",
        object
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or("?")
    );
    let (group, version) = api_version.split_once('/').unwrap_or((api_version, ""));
    let Some(crd) = vendored()
        .iter()
        .find(|c| c.group == group && c.kind == kind)
    else {
        return vec![format!("{id}: no kind {kind} in the CRDs of {group}")];
    };
    let Some((_, schema)) = crd.versions.iter().find(|(v, _)| v == version) else {
        return vec![format!("{id}: {group} serves no version {version:?}")];
    };
    let (problems, rules) = Schema(schema).validate(object);
    let mut problems: Vec<String> = problems.into_iter().map(|p| format!("{id}: {p}")).collect();
    for rule in rules {
        match cel(&rule) {
            Some(true) => {}
            Some(false) => problems.push(format!(
                "{id}: {}: {} (rule {})",
                rule.path, rule.message, rule.rule
            )),
            None => problems.push(format!(
                "{id}: {}: the CRD's rule {} has no check here",
                rule.path, rule.rule
            )),
        }
    }
    problems
}

/// The CEL rules of the vendored CRDs, each as the Rust it means; `None` for one not here.
fn cel(rule: &Rule) -> Option<bool> {
    let has = |field: &str| rule.object.get(field).is_some();
    Some(match rule.rule {
        // ingress.pomerium.io Pomerium, spec: "authenticate is required if identityProvider is set".
        "!has(self.identityProvider) || has(self.authenticate)" => {
            !has("identityProvider") || has("authenticate")
        }
        // ... spec: "identityProvider is required if authenticate is set".
        "!has(self.authenticate) || has(self.identityProvider)" => {
            !has("authenticate") || has("identityProvider")
        }
        // ... spec.identityProvider: "secret is required unless provider is 'hosted'".
        "self.provider != 'hosted' ? has(self.secret) : true" => {
            rule.object.get("provider").and_then(Value::as_str) == Some("hosted") || has("secret")
        }
        _ => return None,
    })
}

/// spin-operator v0.6.1's admission webhooks (`internal/webhook/spinapp_validating.go`,
/// `spinappexecutor_validating.go`) for the objects of one namespace, after its defaulting
/// webhook (which fills only an empty `executor`, with the first executor in the cluster).
pub(super) fn check_spin_admission(objects: &[&Value]) -> Vec<String> {
    let of_kind = |kind: &'static str| objects.iter().filter(move |o| o["kind"] == kind);
    let name = |o: &Value| {
        o.pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned()
    };
    let mut problems = Vec::new();
    for executor in of_kind("SpinAppExecutor") {
        let config = executor.pointer("/spec/deploymentConfig");
        let set = |f: &str| config.is_some_and(|c| c.get(f).is_some());
        // validateRuntimeClassAndSpinImage.
        match (config.is_some(), set("runtimeClassName"), set("spinImage")) {
            (true, true, true) => problems.push(format!(
                "SpinAppExecutor {}: runtimeClassName and spinImage are mutually exclusive",
                name(executor)
            )),
            (true, false, false) => problems.push(format!(
                "SpinAppExecutor {}: either runtimeClassName or spinImage must be set",
                name(executor)
            )),
            _ => {}
        }
    }
    for app in of_kind("SpinApp") {
        let id = format!("SpinApp {}", name(app));
        let spec = &app["spec"];
        // validateExecutor: "executor does not exist in namespace" (looked up in the app's own).
        let wanted = spec["executor"].as_str().unwrap_or("");
        let executor = of_kind("SpinAppExecutor").find(|e| name(e) == wanted);
        if wanted.is_empty() {
            problems.push(format!("{id}: executor must be set"));
        } else if executor.is_none() {
            problems.push(format!(
                "{id}: executor {wanted} does not exist in namespace (a SpinAppExecutor is \
                 namespaced; create it beside the app)"
            ));
        }
        // validateReplicas.
        let autoscaling = spec["enableAutoscaling"] == true;
        let replicas = spec["replicas"].as_i64().unwrap_or(0);
        if autoscaling && replicas != 0 {
            problems.push(format!(
                "{id}: replicas cannot be set when autoscaling is enabled"
            ));
        }
        if !autoscaling && replicas < 1 {
            problems.push(format!("{id}: replicas must be > 0"));
        }
        // validateAnnotations: only executors that let the operator create deployments.
        let creates = executor
            .is_none_or(|e| e.pointer("/spec/createDeployment") == Some(&Value::Bool(true)));
        for field in ["deploymentAnnotations", "podAnnotations"] {
            if !creates
                && spec
                    .get(field)
                    .and_then(Value::as_object)
                    .is_some_and(|m| !m.is_empty())
            {
                problems.push(format!(
                    "{id}: {field} can't be set when the executor does not use operator deployments"
                ));
            }
        }
        // validateInvocationLimits: memory is a quantity, at most the memory limit (or request).
        if let Some(limit) = spec.pointer("/invocationLimits/memory") {
            let text = limit.as_str().unwrap_or("");
            let cap = spec
                .pointer("/resources/limits/memory")
                .or_else(|| spec.pointer("/resources/requests/memory"))
                .and_then(Value::as_str);
            match (bytes(text), cap.and_then(bytes)) {
                (None, _) => problems.push(format!(
                    "{id}: memory limit must be a valid memory quantity (e.g. 128Mi, 1Gi)"
                )),
                (Some(n), Some(max)) if n > max => problems.push(format!(
                    "{id}: invocation limit quantity cannot be greater than the memory limit"
                )),
                _ => {}
            }
        }
    }
    problems
}

/// A memory quantity in bytes (binary and decimal suffixes; no fractions or exponents).
pub(super) fn bytes(quantity: &str) -> Option<u128> {
    if !is_quantity(quantity) {
        return None;
    }
    let split = quantity
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(quantity.len());
    let (number, suffix) = quantity.split_at(split);
    let number: u128 = number.parse().ok()?;
    let scale: u128 = match suffix {
        "" => 1,
        "k" => 1_000,
        "M" => 1_000_000,
        "G" => 1_000_000_000,
        "Ki" => 1 << 10,
        "Mi" => 1 << 20,
        "Gi" => 1 << 30,
        "Ti" => 1 << 40,
        _ => return None,
    };
    Some(number * scale)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_vendored_crds_are_the_three_kinds() {
        let kinds: Vec<(&str, &str, bool)> = vendored()
            .iter()
            .map(|c| (c.group.as_str(), c.kind.as_str(), c.namespaced))
            .collect();
        assert_eq!(
            kinds,
            [
                ("ingress.pomerium.io", "Pomerium", false),
                ("core.spinkube.dev", "SpinApp", true),
                ("core.spinkube.dev", "SpinAppExecutor", true),
            ]
        );
        assert!(vendored().iter().all(|c| c.versions.len() == 1));
    }

    #[test]
    fn a_rule_without_a_check_is_a_problem() {
        let schema = json!({"type": "object",
            "x-kubernetes-validations": [{"rule": "self.x == 1", "message": "m"}]});
        let value = json!({});
        let binding = Schema(&schema);
        let (_, rules) = binding.validate(&value);
        assert_eq!(cel(&rules[0]), None);
    }

    #[test]
    fn memory_quantities_in_bytes() {
        assert_eq!(bytes("256Mi"), Some(256 << 20));
        assert_eq!(bytes("1G"), Some(1_000_000_000));
        assert_eq!(bytes("64"), Some(64));
        assert_eq!(bytes("1.5Gi"), None);
        assert_eq!(bytes("lots"), None);
    }
}
