//! A Kubernetes structural OpenAPI v3 schema, as a CRD's `openAPIV3Schema` holds it, applied to an
//! object the way the API server and `kubectl apply` (field validation `Strict`, kubectl's
//! default since 1.25) apply it: types, `required`, `enum`, `properties` with unknown fields
//! refused, `additionalProperties`, `items`, `anyOf`, `minLength`, `minItems`, the `pattern`s and
//! `format`s these CRDs use, and `x-kubernetes-int-or-string` / `preserve-unknown-fields`.
//!
//! `x-kubernetes-validations` are CEL rules; a schema's rules are returned to the caller by their
//! text ([`Schema::validate`] collects them), so each can be written as a Rust check that quotes
//! it. A rule no check knows is a problem, so a newer CRD cannot add one silently.

use serde_json::Value;

use crate::deploy_files::yaml::kind;

/// A CEL rule of `x-kubernetes-validations`, at the path of the object it applies to.
#[derive(Debug, Clone)]
pub(super) struct Rule<'a> {
    /// Where the object is, e.g. `spec`.
    pub(super) path: String,
    /// The object the rule reads as `self`.
    pub(super) object: &'a Value,
    /// The rule's CEL text, exactly as in the CRD.
    pub(super) rule: &'a str,
    /// The message the API server gives when the rule is false.
    pub(super) message: &'a str,
}

/// The schema of one CRD version.
pub(super) struct Schema<'s>(pub(super) &'s Value);

impl<'s> Schema<'s> {
    /// Checks `value` against the schema; the problems, and every CEL rule met on the way.
    pub(super) fn validate<'v>(&self, value: &'v Value) -> (Vec<String>, Vec<Rule<'v>>)
    where
        's: 'v,
    {
        let mut walk = Walk::default();
        walk.check(self.0, value, "");
        (walk.problems, walk.rules)
    }
}

#[derive(Default)]
struct Walk<'v> {
    problems: Vec<String>,
    rules: Vec<Rule<'v>>,
}

impl<'v> Walk<'v> {
    fn problem(&mut self, path: &str, what: String) {
        let at = if path.is_empty() { "<root>" } else { path };
        self.problems.push(format!("{at}: {what}"));
    }

    fn check(&mut self, schema: &'v Value, value: &'v Value, path: &str) {
        if let Some(options) = schema.get("anyOf").and_then(Value::as_array) {
            let fits = options.iter().any(|option| {
                let mut trial = Walk::default();
                trial.check(option, value, path);
                trial.problems.is_empty()
            });
            if !fits {
                self.problem(path, format!("{value} fits none of anyOf"));
            }
        }
        if flag(schema, "x-kubernetes-int-or-string") {
            if !(value.is_string() || value.is_i64() || value.is_u64()) {
                self.problem(
                    path,
                    format!("must be an integer or a string, got {}", kind(value)),
                );
            }
        } else if let Some(want) = schema.get("type").and_then(Value::as_str)
            && !has_type(value, want)
        {
            self.problem(path, format!("must be {want}, got {}", kind(value)));
            return;
        }
        if let Some(allowed) = schema.get("enum").and_then(Value::as_array)
            && !allowed.contains(value)
        {
            self.problem(path, format!("{value} is not one of {allowed:?}"));
        }
        if let Some(text) = value.as_str() {
            self.check_string(schema, text, path);
        }
        if let Some(items) = value.as_array() {
            if let Some(min) = schema.get("minItems").and_then(Value::as_u64)
                && (items.len() as u64) < min
            {
                self.problem(path, format!("needs at least {min} items"));
            }
            if let Some(item_schema) = schema.get("items") {
                for (i, item) in items.iter().enumerate() {
                    self.check(item_schema, item, &format!("{path}[{i}]"));
                }
            }
        }
        if let Some(map) = value.as_object() {
            self.check_object(schema, map, path);
        }
        if let Some(rules) = schema
            .get("x-kubernetes-validations")
            .and_then(Value::as_array)
        {
            for rule in rules {
                self.rules.push(Rule {
                    path: path.to_owned(),
                    object: value,
                    rule: rule.get("rule").and_then(Value::as_str).unwrap_or(""),
                    message: rule.get("message").and_then(Value::as_str).unwrap_or(""),
                });
            }
        }
    }

    fn check_object(
        &mut self,
        schema: &'v Value,
        map: &'v serde_json::Map<String, Value>,
        path: &str,
    ) {
        let join = |key: &str| {
            if path.is_empty() {
                key.to_owned()
            } else {
                format!("{path}.{key}")
            }
        };
        for required in schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            if !map.contains_key(required) {
                self.problem(path, format!("{required} is required"));
            }
        }
        let properties = schema.get("properties").and_then(Value::as_object);
        let additional = schema.get("additionalProperties");
        let open = flag(schema, "x-kubernetes-preserve-unknown-fields");
        for (key, field) in map {
            match (properties.and_then(|p| p.get(key)), additional) {
                (Some(field_schema), _) => self.check(field_schema, field, &join(key)),
                (None, Some(Value::Bool(true))) => {}
                (None, Some(Value::Bool(false))) => {
                    self.problem(path, format!("unknown field \"{key}\""));
                }
                (None, Some(other @ Value::Object(_))) => self.check(other, field, &join(key)),
                // A schema without properties (`type: object` alone) takes anything.
                _ if open || properties.is_none() => {}
                _ => self.problem(path, format!("unknown field \"{key}\"")),
            }
        }
    }

    fn check_string(&mut self, schema: &Value, text: &str, path: &str) {
        if let Some(min) = schema.get("minLength").and_then(Value::as_u64)
            && (text.chars().count() as u64) < min
        {
            self.problem(path, format!("must be at least {min} characters"));
        }
        if let Some(pattern) = schema.get("pattern").and_then(Value::as_str) {
            match matches_pattern(pattern, text) {
                Some(true) => {}
                Some(false) => self.problem(path, format!("{text:?} does not match {pattern}")),
                None => self.problem(path, format!("the pattern {pattern} has no check here")),
            }
        }
        if let Some(format) = schema.get("format").and_then(Value::as_str)
            && let Err(e) = check_format(format, text)
        {
            self.problem(path, format!("{text:?} is not a {format}: {e}"));
        }
    }
}

fn flag(schema: &Value, name: &str) -> bool {
    schema.get(name) == Some(&Value::Bool(true))
}

fn has_type(value: &Value, want: &str) -> bool {
    match want {
        "object" => value.is_object(),
        "array" => value.is_array(),
        "string" => value.is_string(),
        "boolean" => value.is_boolean(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        _ => false,
    }
}

/// The regular expressions the vendored CRDs use, each as the Rust check it means; `None` for a
/// pattern not in this table.
fn matches_pattern(pattern: &str, text: &str) -> Option<bool> {
    Some(match pattern {
        "^https://" => text.starts_with("https://"),
        QUANTITY_PATTERN => is_quantity(text),
        _ => return None,
    })
}

/// Kubernetes' resource.Quantity pattern, as the CRDs state it.
const QUANTITY_PATTERN: &str = r"^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$";

/// A resource quantity such as `256Mi`, `50m`, `1.5`, `1e3`.
pub(super) fn is_quantity(text: &str) -> bool {
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
    let (number, suffix) = split_decimal(unsigned);
    if number.is_empty() || number == "." {
        return false;
    }
    match suffix {
        "" | "n" | "u" | "m" | "k" | "M" | "G" | "T" | "P" | "E" => true,
        "Ki" | "Mi" | "Gi" | "Ti" | "Pi" | "Ei" => true,
        exponent => {
            let Some(rest) = exponent.strip_prefix(['e', 'E']) else {
                return false;
            };
            let rest = rest.strip_prefix(['+', '-']).unwrap_or(rest);
            let (number, tail) = split_decimal(rest);
            !number.is_empty() && number != "." && tail.is_empty()
        }
    }
}

/// `digits[.digits]` or `.digits` at the start of `text`, and the rest.
fn split_decimal(text: &str) -> (&str, &str) {
    let end = text
        .char_indices()
        .scan(false, |dot, (i, c)| match c {
            '0'..='9' => Some(i + 1),
            '.' if !*dot => {
                *dot = true;
                Some(i + 1)
            }
            _ => None,
        })
        .last()
        .unwrap_or(0);
    text.split_at(end)
}

/// The `format`s of the vendored CRDs that constrain a string.
fn check_format(format: &str, text: &str) -> Result<(), String> {
    match format {
        // Pomerium's controller: a Secret or Issuer reference.
        "namespace/name" => match text.split_once('/') {
            Some((ns, name)) if is_dns_label(ns) && !name.is_empty() => Ok(()),
            _ => Err("want namespace/name".to_owned()),
        },
        "uri" => match text.split_once("://") {
            Some((scheme, rest)) if !scheme.is_empty() && !rest.is_empty() => Ok(()),
            _ => Err("want an absolute URI".to_owned()),
        },
        "duration" => is_go_duration(text)
            .then_some(())
            .ok_or_else(|| "want a Go duration such as 30s or 5m".to_owned()),
        "byte" | "date-time" | "int32" | "int64" | "number" => Ok(()),
        other => Err(format!("the format {other} has no check here")),
    }
}

fn is_dns_label(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 63
        && text
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !text.starts_with('-')
        && !text.ends_with('-')
}

/// A Go `time.ParseDuration` text: `0`, or numbers each with a unit (`1h30m`, `0.5s`).
fn is_go_duration(text: &str) -> bool {
    let mut rest = text.strip_prefix(['+', '-']).unwrap_or(text);
    if rest == "0" {
        return true;
    }
    if rest.is_empty() {
        return false;
    }
    while !rest.is_empty() {
        let (number, tail) = split_decimal(rest);
        if number.is_empty() || number == "." {
            return false;
        }
        let Some(unit) = ["ns", "us", "µs", "ms", "s", "m", "h"]
            .iter()
            .filter(|u| tail.starts_with(**u))
            .max_by_key(|u| u.len())
        else {
            return false;
        };
        rest = &tail[unit.len()..];
    }
    true
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn problems(schema: Value, value: Value) -> Vec<String> {
        Schema(&schema).validate(&value).0
    }

    #[test]
    fn types_required_enums_and_unknown_fields() {
        let schema = json!({
            "type": "object",
            "required": ["a"],
            "properties": {
                "a": {"type": "string", "enum": ["x", "y"]},
                "n": {"type": "integer"},
                "free": {"type": "object"},
                "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                "closed": {"type": "object", "additionalProperties": false},
                "list": {"type": "array", "minItems": 1, "items": {"type": "boolean"}}
            }
        });
        let good =
            json!({"a": "x", "n": 2, "free": {"any": 1}, "labels": {"k": "v"}, "list": [true]});
        assert!(problems(schema.clone(), good).is_empty());
        for (bad, needle) in [
            (json!({}), "a is required"),
            (json!({"a": "z"}), "is not one of"),
            (json!({"a": "x", "n": "2"}), "n: must be integer"),
            (json!({"a": "x", "b": 1}), "unknown field \"b\""),
            (
                json!({"a": "x", "closed": {"k": 1}}),
                "closed: unknown field \"k\"",
            ),
            (
                json!({"a": "x", "labels": {"k": 1}}),
                "labels.k: must be string",
            ),
            (json!({"a": "x", "list": []}), "at least 1 items"),
            (json!({"a": "x", "list": [1]}), "list[0]: must be boolean"),
        ] {
            let found = problems(schema.clone(), bad.clone());
            assert!(found.iter().any(|p| p.contains(needle)), "{bad}: {found:?}");
        }
    }

    #[test]
    fn patterns_formats_and_int_or_string() {
        let schema = json!({"type": "object", "properties": {
            "q": {"anyOf": [{"type": "integer"}, {"type": "string"}],
                  "pattern": QUANTITY_PATTERN, "x-kubernetes-int-or-string": true},
            "url": {"type": "string", "pattern": "^https://", "format": "uri"},
            "ref": {"type": "string", "format": "namespace/name", "minLength": 1},
            "d": {"type": "string", "format": "duration"},
            "odd": {"type": "string", "pattern": "^[a-z]+$"}
        }});
        let good =
            json!({"q": "256Mi", "url": "https://a.example", "ref": "ns/name", "d": "1h30m"});
        assert!(problems(schema.clone(), good).is_empty());
        assert!(problems(schema.clone(), json!({"q": 2})).is_empty());
        for (bad, needle) in [
            (json!({"q": "256MB"}), "does not match"),
            (json!({"q": true}), "integer or a string"),
            (json!({"url": "http://a"}), "does not match ^https://"),
            (json!({"ref": "name-only"}), "is not a namespace/name"),
            (json!({"d": "5 minutes"}), "is not a duration"),
            (json!({"odd": "abc"}), "has no check here"),
        ] {
            let found = problems(schema.clone(), bad.clone());
            assert!(found.iter().any(|p| p.contains(needle)), "{bad}: {found:?}");
        }
    }

    #[test]
    fn quantities_follow_the_kubernetes_grammar() {
        for good in ["1", "50m", "256Mi", "1.5Gi", ".5", "+1", "1e3", "2E-2"] {
            assert!(is_quantity(good), "{good}");
        }
        for bad in ["", "Mi", "256MB", "1..5", "e3", "1e", "1 Gi"] {
            assert!(!is_quantity(bad), "{bad}");
        }
    }

    #[test]
    fn cel_rules_are_collected_with_their_object() {
        let schema = json!({"type": "object", "properties": {"spec": {
            "type": "object",
            "x-kubernetes-validations": [{"rule": "has(self.a)", "message": "a please"}]
        }}});
        let value = json!({"spec": {"b": 1}});
        let binding = Schema(&schema);
        let (found, rules) = binding.validate(&value);
        assert!(found.is_empty());
        assert_eq!(rules.len(), 1);
        assert_eq!(
            (rules[0].path.as_str(), rules[0].rule),
            ("spec", "has(self.a)")
        );
        assert_eq!(rules[0].object, &json!({"b": 1}));
    }
}
