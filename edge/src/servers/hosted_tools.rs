//! The provider's own tools (web search, code interpreter): which ones the edge enables for
//! which models, and their entries in a Responses request.
//!
//! The setting `hosted_tools` is JSON: `{"web_search": ["gpt-4.1"], "code_interpreter": "*"}`,
//! each tool with the models it is enabled for (`"*"`: every allowed model). It applies only
//! when the provider is the Responses API (Chat Completions has no hosted tools, so nothing is
//! offered there). A setting that does not parse, names an unknown tool or an empty model list
//! fails closed: nothing is offered, a request naming a hosted tool is refused with
//! `invalid_configuration`, and `/api/health` lists the problem.

use std::collections::BTreeMap;

use protocol::HostedToolOffer;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::error::EdgeError;

/// The hosted tools the edge knows, by their request names.
pub const NAMES: [&str; 2] = ["web_search", "code_interpreter"];

/// The setting, read.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum HostedTools {
    /// Unset: no hosted tools.
    #[default]
    None,
    /// Each enabled tool with its models (`None`: every allowed model).
    Enabled(BTreeMap<String, Option<Vec<String>>>),
    /// The setting did not parse: nothing is offered, requests naming one are refused.
    Invalid,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Models {
    All(String),
    Some(Vec<String>),
}

impl HostedTools {
    /// Reads `text` (the `hosted_tools` setting); a problem goes to `problems`.
    pub fn read(text: Option<&str>, problems: &mut Vec<String>) -> Self {
        let Some(text) = text else {
            return Self::None;
        };
        let parsed: Result<BTreeMap<String, Models>, _> = serde_json::from_str(text);
        let mut enabled = BTreeMap::new();
        let ok = parsed.is_ok_and(|map| {
            map.into_iter().all(|(name, models)| {
                let models = match models {
                    Models::All(star) if star == "*" => None,
                    Models::Some(list) if !list.is_empty() => Some(list),
                    _ => return false,
                };
                enabled.insert(name.clone(), models);
                NAMES.contains(&name.as_str())
            })
        });
        if ok {
            Self::Enabled(enabled)
        } else {
            problems.push(format!(
                "hosted_tools must be JSON naming {} each with a list of models or \"*\"; no hosted tools are offered",
                NAMES.join(" or ")
            ));
            Self::Invalid
        }
    }

    /// What `GET /api/models` offers: each enabled tool with its models among `models` (none
    /// when `responses` is false: the provider has no hosted tools).
    pub fn offers(&self, models: &[String], responses: bool) -> Vec<HostedToolOffer> {
        let Self::Enabled(enabled) = self else {
            return Vec::new();
        };
        if !responses {
            return Vec::new();
        }
        enabled
            .iter()
            .map(|(name, only)| HostedToolOffer {
                name: name.clone(),
                models: models
                    .iter()
                    .filter(|m| only.as_ref().is_none_or(|only| only.contains(m)))
                    .cloned()
                    .collect(),
            })
            .filter(|offer| !offer.models.is_empty())
            .collect()
    }

    /// Checks the tools a request names for `model`: each enabled and offered, none twice.
    pub fn check(
        &self,
        names: &[String],
        model: &str,
        models: &[String],
        responses: bool,
    ) -> Result<(), EdgeError> {
        if names.is_empty() {
            return Ok(());
        }
        if *self == Self::Invalid {
            return Err(EdgeError::InvalidConfiguration("hosted_tools"));
        }
        let offers = self.offers(models, responses);
        for (i, name) in names.iter().enumerate() {
            let offered = offers
                .iter()
                .any(|o| &o.name == name && o.models.iter().any(|m| m == model));
            if !offered || names[..i].contains(name) {
                return Err(EdgeError::HostedToolNotEnabled(
                    name.chars().take(40).collect(),
                ));
            }
        }
        Ok(())
    }
}

/// The Responses API tool entry of a (checked) hosted tool name.
pub fn tool(name: &str) -> Value {
    match name {
        "code_interpreter" => json!({"type": "code_interpreter", "container": {"type": "auto"}}),
        _ => json!({"type": "web_search"}),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn models() -> Vec<String> {
        vec!["small".into(), "large".into()]
    }

    fn read(text: &str) -> (HostedTools, Vec<String>) {
        let mut problems = Vec::new();
        (HostedTools::read(Some(text), &mut problems), problems)
    }

    #[test]
    fn offers_follow_the_setting_per_model() {
        let (tools, problems) = read(r#"{"web_search":"*","code_interpreter":["large","other"]}"#);
        assert!(problems.is_empty());
        let offers = tools.offers(&models(), true);
        assert_eq!(offers.len(), 2);
        assert_eq!(offers[0].name, "code_interpreter");
        assert_eq!(offers[0].models, vec!["large".to_owned()]);
        assert_eq!(offers[1].models, models());
        assert!(tools.offers(&models(), false).is_empty());
        let names = |n: &[&str]| n.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert!(
            tools
                .check(
                    &names(&["web_search", "code_interpreter"]),
                    "large",
                    &models(),
                    true
                )
                .is_ok()
        );
        let refused = |n: &[&str], model: &str, responses: bool| {
            tools
                .check(&names(n), model, &models(), responses)
                .unwrap_err()
                .code()
        };
        assert_eq!(
            refused(&["code_interpreter"], "small", true),
            protocol::ErrorCode::HostedToolNotEnabled
        );
        assert_eq!(
            refused(&["web_search"], "small", false),
            protocol::ErrorCode::HostedToolNotEnabled
        );
        assert_eq!(
            refused(&["file_search"], "small", true),
            protocol::ErrorCode::HostedToolNotEnabled
        );
        assert_eq!(
            refused(&["web_search", "web_search"], "small", true),
            protocol::ErrorCode::HostedToolNotEnabled
        );
    }

    #[test]
    fn a_setting_that_does_not_parse_fails_closed() {
        for bad in [
            r#"{"web_search":true}"#,
            r#"{"file_search":"*"}"#,
            "[",
            r#"{"web_search":[]}"#,
        ] {
            let (tools, problems) = read(bad);
            assert_eq!(tools, HostedTools::Invalid, "{bad}");
            assert_eq!(problems.len(), 1);
            assert!(tools.offers(&models(), true).is_empty());
            let err = tools
                .check(&["web_search".into()], "small", &models(), true)
                .unwrap_err();
            assert_eq!(err.code(), protocol::ErrorCode::InvalidConfiguration);
        }
        assert_eq!(HostedTools::read(None, &mut Vec::new()), HostedTools::None);
    }

    #[test]
    fn tools_have_the_documented_shapes() {
        assert_eq!(tool("web_search"), json!({"type":"web_search"}));
        assert_eq!(
            tool("code_interpreter"),
            json!({"type":"code_interpreter","container":{"type":"auto"}})
        );
    }
}
