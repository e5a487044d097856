//! The fake model's mind when the caller offers `function` tools (the edge runs the tools):
//! which function to call next, or what to answer. Pure; shared by the Responses and the Chat
//! Completions fakes.
//!
//! The rule table of [`crate::provider::rules`] applies to functions named `<server>__<tool>`.
//! Two more phrases exist for tests of the edge's bounds: "call the tool `<function>`" calls
//! that function with `{}`, and "again and again" makes the model call the first function in
//! every round, forever.

use crate::provider::rules::{self, ListedServer};

/// Makes the model call a tool in every round.
pub(crate) const LOOP_PHRASE: &str = "again and again";
/// Followed by a function name: call it with `{}`.
pub(crate) const CALL_PHRASE: &str = "call the tool ";

/// What one round of the model sees.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct FunctionTurn {
    /// The last user message.
    pub(crate) message: String,
    /// The names of the functions offered.
    pub(crate) functions: Vec<String>,
    /// Results given since that message, oldest first: `(function name, output)`.
    pub(crate) results: Vec<(String, String)>,
    /// The model is the demo model (see `ModelOptions::demo`).
    pub(crate) demo: bool,
}

/// The model's move.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Decision {
    /// Call `name` with `arguments` (JSON text).
    Call { name: String, arguments: String },
    /// Answer with this text.
    Answer(String),
}

/// Decides the next move for `turn`.
pub(crate) fn decide(turn: &FunctionTurn) -> Decision {
    let message = turn.message.to_lowercase();
    if message.contains(LOOP_PHRASE)
        && let Some(first) = turn.functions.first()
    {
        return Decision::Call {
            name: first.clone(),
            arguments: "{}".to_owned(),
        };
    }
    let named = message.find(CALL_PHRASE).and_then(|at| {
        let rest = &turn.message[at + CALL_PHRASE.len()..];
        let name: String = rest
            .trim_start_matches('`')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
            .collect();
        turn.functions.iter().find(|f| **f == name).cloned()
    });
    let servers = servers(&turn.functions);
    let choice = rules::choose_tool(&turn.message, &servers);
    if let Some((name, output)) = turn.results.last() {
        let outcome = match output.strip_prefix("error: ") {
            Some(error) => Err(error.to_owned()),
            None => Ok(output.clone()),
        };
        return Decision::Answer(match (&choice, named) {
            (Some(choice), None) => rules::answer_after_tool(choice.rule, &outcome),
            _ => match outcome {
                Ok(output) => format!("The tool `{name}` returned:\n\n{output}"),
                Err(error) => format!("The tool `{name}` failed: {error}"),
            },
        });
    }
    if let Some(name) = named {
        return Decision::Call {
            name,
            arguments: "{}".to_owned(),
        };
    }
    match choice {
        Some(choice) => Decision::Call {
            name: format!("{}__{}", servers[choice.server].label, choice.rule.tool),
            arguments: choice.rule.arguments.to_owned(),
        },
        None => Decision::Answer(rules::answer_without_tool(
            &turn.message,
            &servers,
            turn.demo,
        )),
    }
}

/// Functions grouped by server (`<server>__<tool>`; a name without `__` is its own server).
fn servers(functions: &[String]) -> Vec<ListedServer> {
    let mut res: Vec<ListedServer> = Vec::new();
    for function in functions {
        let (server, tool) = function.split_once("__").unwrap_or((function, function));
        match res.iter_mut().find(|s| s.label == server) {
            Some(listed) => listed.tools.push(tool.to_owned()),
            None => res.push(ListedServer {
                label: server.to_owned(),
                tools: vec![tool.to_owned()],
            }),
        }
    }
    res
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::provider::rules::RULES;

    /// Asserts what either API's sample request reads as: "sales by year", with
    /// `northwind__read_query` offered and its one result `rows`.
    pub(crate) fn assert_sales_turn_with_rows(turn: &FunctionTurn) {
        assert_eq!(turn.message, "sales by year");
        assert_eq!(turn.functions, ["northwind__read_query"]);
        assert_eq!(
            turn.results,
            vec![("northwind__read_query".to_owned(), "rows".to_owned())]
        );
    }

    fn turn(message: &str, results: &[(&str, &str)]) -> FunctionTurn {
        FunctionTurn {
            message: message.to_owned(),
            functions: vec![
                "northwind__list_tables".to_owned(),
                "northwind__read_query".to_owned(),
            ],
            results: results
                .iter()
                .map(|(n, o)| ((*n).to_owned(), (*o).to_owned()))
                .collect(),
            demo: false,
        }
    }

    #[test]
    fn rules_apply_to_function_names() {
        assert_eq!(
            decide(&turn("What were our sales by year?", &[])),
            Decision::Call {
                name: "northwind__read_query".into(),
                arguments: RULES
                    .iter()
                    .find(|r| r.example == Some("What were our sales by year?"))
                    .unwrap()
                    .arguments
                    .into()
            }
        );
        let table = r#"{"columns":["year"],"rows":[["2016"]]}"#;
        assert_eq!(
            decide(&turn("What were our sales by year?", &[("northwind__read_query", table)])),
            Decision::Answer(
                "Here are the sales by year from the Northwind database:\n\n| year |\n|---|\n| 2016 |"
                    .into()
            )
        );
        assert_eq!(
            decide(&turn("hello", &[])),
            Decision::Answer("You said: hello\n\nTools available: northwind (2 tools).".into())
        );
    }

    #[test]
    fn test_phrases() {
        assert_eq!(
            decide(&turn(
                "please call the tool `northwind__list_tables` now",
                &[]
            )),
            Decision::Call {
                name: "northwind__list_tables".into(),
                arguments: "{}".into()
            }
        );
        assert_eq!(
            decide(&turn(
                "please call the tool northwind__list_tables",
                &[("northwind__list_tables", "error: timed out")]
            )),
            Decision::Answer("The tool `northwind__list_tables` failed: timed out".into())
        );
        let looping = turn("again and again", &[("northwind__list_tables", "x")]);
        assert!(
            matches!(decide(&looping), Decision::Call { name, .. } if name == "northwind__list_tables")
        );
    }
}
