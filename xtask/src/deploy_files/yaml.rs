//! YAML and TOML texts as `serde_json::Value`s, so every rule walks one kind of tree.
//!
//! YAML goes through yaml-rust2 (YAML 1.2, so `0s`, `on` and `:443` stay strings, as compose,
//! Pomerium and Kubernetes read them), which also refuses duplicate keys. A file may hold several
//! documents (`---`); each becomes one value.

use serde_json::{Map, Number, Value};
use yaml_rust2::{Yaml, YamlLoader};

/// Every document of a YAML text.
pub(super) fn documents(text: &str) -> Result<Vec<Value>, String> {
    let docs = YamlLoader::load_from_str(text).map_err(|e| e.to_string())?;
    docs.iter().map(to_json).collect()
}

/// A YAML text that must hold exactly one document.
pub(super) fn document(text: &str) -> Result<Value, String> {
    let mut docs = documents(text)?;
    match docs.len() {
        1 => Ok(docs.remove(0)),
        n => Err(format!("expected one YAML document, found {n}")),
    }
}

/// A TOML text.
pub(super) fn toml_document(text: &str) -> Result<Value, String> {
    let table: toml::Table = text.parse().map_err(|e: toml::de::Error| e.to_string())?;
    serde_json::to_value(table).map_err(|e| e.to_string())
}

/// The JSON type of a value, for messages.
pub(super) fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a map",
    }
}

fn to_json(yaml: &Yaml) -> Result<Value, String> {
    Ok(match yaml {
        Yaml::Null => Value::Null,
        Yaml::Boolean(b) => Value::Bool(*b),
        Yaml::Integer(i) => Value::Number((*i).into()),
        Yaml::Real(text) => {
            let f: f64 = text.parse().map_err(|_| format!("bad number {text:?}"))?;
            Value::Number(Number::from_f64(f).ok_or_else(|| format!("bad number {text:?}"))?)
        }
        Yaml::String(s) => Value::String(s.clone()),
        Yaml::Array(items) => Value::Array(items.iter().map(to_json).collect::<Result<_, _>>()?),
        Yaml::Hash(hash) => {
            let mut map = Map::new();
            for (key, value) in hash {
                let key = match key {
                    Yaml::String(s) => s.clone(),
                    Yaml::Integer(i) => i.to_string(),
                    Yaml::Boolean(b) => b.to_string(),
                    other => return Err(format!("unsupported map key {other:?}")),
                };
                map.insert(key, to_json(value)?);
            }
            Value::Object(map)
        }
        Yaml::Alias(_) => return Err("YAML aliases are not used in these files".to_owned()),
        Yaml::BadValue => return Err("unreadable YAML value".to_owned()),
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn yaml_becomes_json_with_yaml_1_2_scalars() {
        let value = document("a: 0s\nb: on\nc: :443\nd: 65536\ne: true\nf: [1.5, ~]\n").unwrap();
        assert_eq!(
            value,
            json!({"a": "0s", "b": "on", "c": ":443", "d": 65536, "e": true, "f": [1.5, null]})
        );
    }

    #[test]
    fn yaml_refuses_duplicate_keys_and_bad_syntax() {
        assert!(document("a: 1\na: 2\n").is_err());
        assert!(document("a: [1, 2\n").is_err());
        assert!(document("a: 1\n---\nb: 2\n").is_err());
        assert_eq!(documents("a: 1\n---\nb: 2\n").unwrap().len(), 2);
    }

    #[test]
    fn toml_becomes_json() {
        let value = toml_document("x = 2\n[t]\ny = \"z\"\n").unwrap();
        assert_eq!(value, json!({"x": 2, "t": {"y": "z"}}));
        assert!(toml_document("x = \n").is_err());
    }
}
