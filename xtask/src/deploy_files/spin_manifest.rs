//! spin.toml parses as a Spin manifest (version 2, an application name, at least one component).
//!
//! What it says (routes, sources, `files`, outbound hosts, variables) is the edge's to check; the
//! deployment tests read it only where a deployment must agree with it (the edge image's files,
//! the SpinApp's image name).

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
