//! spin.toml parses as a Spin manifest (version 2, an application name, at least one component),
//! and README.md's configuration table names every variable it declares.
//!
//! Its routes, sources and `files` are the edge's to check (edge/tests/spin_manifest.rs); its
//! outbound hosts, resolved in each way of running it, are `outbound`'s. The deployment tests
//! read it where a deployment must agree with it (the edge image's files, the SpinApp's image
//! name, the variables compose and the edge's Kubernetes Deployment set).

use serde_json::Value;

use crate::deploy_files::yaml::toml_document;

/// The parse-level rules of a spin.toml text.
pub(super) fn check_manifest(text: &str) -> Vec<String> {
    let manifest = match toml_document(text) {
        Ok(m) => m,
        Err(e) => return vec![format!("spin.toml: {e}")],
    };
    let mut problems = Vec::new();
    if manifest.get("spin_manifest_version") != Some(&Value::from(2)) {
        problems.push("spin_manifest_version must be 2".to_owned());
    }
    if manifest
        .pointer("/application/name")
        .and_then(Value::as_str)
        .is_none()
    {
        problems.push("no [application] name".to_owned());
    }
    if manifest
        .get("component")
        .and_then(Value::as_object)
        .is_none_or(|c| c.is_empty())
    {
        problems.push("no [component.*]".to_owned());
    }
    problems
}

/// Every variable of spin.toml appears (as `` `name` ``) in README.md's "Configuration (edge)".
pub(super) fn check_documented(manifest_text: &str, readme: &str) -> Vec<String> {
    let Ok(manifest) = toml_document(manifest_text) else {
        return vec!["spin.toml does not parse".to_owned()];
    };
    let section = readme
        .split("## Configuration (edge)")
        .nth(1)
        .map(|s| s.split("\n## ").next().unwrap_or(s))
        .unwrap_or("");
    manifest
        .get("variables")
        .and_then(Value::as_object)
        .into_iter()
        .flat_map(|v| v.keys())
        .filter(|name| !section.contains(&format!("`{name}`")))
        .map(|name| format!("README.md's configuration table does not name {name}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deploy_files::{assert_fails, assert_ok, broken, read};

    #[test]
    fn spin_toml_parses_as_a_version_2_manifest() {
        let text = read("spin.toml");
        assert_ok(check_manifest(&text));
        assert_fails(
            check_manifest(&broken(&text, "[application]", "[application")),
            "spin.toml:",
        );
        let v1 = broken(
            &text,
            "spin_manifest_version = 2",
            "spin_manifest_version = 1",
        );
        assert_fails(check_manifest(&v1), "must be 2");
    }
}

#[cfg(test)]
mod documented {
    use super::*;
    use crate::deploy_files::{assert_fails, assert_ok, broken, read};

    #[test]
    fn the_readme_names_every_spin_variable() {
        let (manifest, readme) = (read("spin.toml"), read("README.md"));
        assert_ok(check_documented(&manifest, &readme));
        let missing = broken(&readme, "| `mcp_origin` |", "| `mcp-origin` |");
        assert_fails(
            check_documented(&manifest, &missing),
            "does not name mcp_origin",
        );
    }
}
