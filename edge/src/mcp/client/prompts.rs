//! Server prompts: `prompts/list` and `prompts/get` (`shared/protocols-next.md` §5), for the
//! composer's `/` commands.
//!
//! A prompt's arguments are strings only; [`get_prompt`] refuses a missing required argument
//! before anything is sent. A `prompts/get` result's messages hold one content block each,
//! parsed with the same rules as tool results ([`super::results::parse_part`]).

use serde_json::{Map, Value, json};

use super::McpError;
use super::results::{Limits, Part, parse_part};

/// One prompt a server offers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PromptDef {
    /// Its name on the server (the `/` command).
    pub name: String,
    /// What to show: `title`, else the name.
    pub title: String,
    /// What it does.
    pub description: String,
    /// Its arguments, in order.
    pub arguments: Vec<PromptArgument>,
}

/// One argument of a prompt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PromptArgument {
    /// The key.
    pub name: String,
    /// The label: `title`, else the name.
    pub title: String,
    /// Help text.
    pub description: Option<String>,
    /// Whether it must be given.
    pub required: bool,
}

/// One message of a fetched prompt.
#[derive(Debug, Clone, PartialEq)]
pub struct PromptMessage {
    /// `user` or `assistant` (anything else is refused).
    pub role: String,
    /// Its content block.
    pub content: Part,
}

/// A `prompts/list` request, for the page after `cursor`.
pub fn list_prompts(id: u64, cursor: Option<&str>) -> String {
    let params = cursor.map_or_else(|| json!({}), |c| json!({ "cursor": c }));
    super::request(id, "prompts/list", params)
}

/// A `prompts/list` result: the prompts and the next page's cursor (nameless entries skipped).
pub fn parse_prompts(result: &Value) -> Result<(Vec<PromptDef>, Option<String>), McpError> {
    let prompts = result["prompts"]
        .as_array()
        .ok_or_else(|| McpError::Protocol("prompts/list result has no prompts".to_owned()))?;
    let prompts = prompts
        .iter()
        .filter_map(|p| {
            let name = p["name"].as_str().filter(|n| !n.is_empty())?;
            let arguments = p["arguments"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|a| {
                    let name = a["name"].as_str().filter(|n| !n.is_empty())?;
                    Some(PromptArgument {
                        name: name.to_owned(),
                        title: a["title"].as_str().unwrap_or(name).to_owned(),
                        description: a["description"].as_str().map(str::to_owned),
                        required: a["required"].as_bool() == Some(true),
                    })
                })
                .collect();
            Some(PromptDef {
                name: name.to_owned(),
                title: p["title"].as_str().unwrap_or(name).to_owned(),
                description: p["description"].as_str().unwrap_or_default().to_owned(),
                arguments,
            })
        })
        .collect();
    Ok((prompts, super::next_cursor(result)))
}

/// A `prompts/get` request for `prompt` with `arguments` (string values); `Err` when a
/// required argument is missing or an unknown one is given.
pub fn get_prompt(
    id: u64,
    prompt: &PromptDef,
    arguments: &Map<String, Value>,
) -> Result<String, McpError> {
    for argument in &prompt.arguments {
        if argument.required && !arguments.contains_key(&argument.name) {
            return Err(McpError::Protocol(format!(
                "the prompt needs the argument {:?}",
                argument.name
            )));
        }
    }
    if let Some((key, _)) = arguments
        .iter()
        .find(|(k, v)| !v.is_string() || !prompt.arguments.iter().any(|a| &a.name == *k))
    {
        return Err(McpError::Protocol(format!(
            "the prompt takes no argument {key:?} of that kind"
        )));
    }
    Ok(super::request(
        id,
        "prompts/get",
        json!({"name": prompt.name, "arguments": arguments}),
    ))
}

/// A `prompts/get` result's messages.
pub fn parse_prompt_messages(
    result: &Value,
    limits: Limits,
) -> Result<Vec<PromptMessage>, McpError> {
    let messages = result["messages"]
        .as_array()
        .ok_or_else(|| McpError::Protocol("prompts/get result has no messages".to_owned()))?;
    messages
        .iter()
        .map(|m| {
            let role = m["role"].as_str().unwrap_or_default();
            if role != "user" && role != "assistant" {
                return Err(McpError::Protocol(
                    "a prompt message has no valid role".to_owned(),
                ));
            }
            Ok(PromptMessage {
                role: role.to_owned(),
                content: parse_part(&m["content"], limits),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::results::PartKind;
    use super::*;

    fn summarize() -> PromptDef {
        let (prompts, cursor) = parse_prompts(&json!({"prompts":[
            {"name":"summarize","description":"Summarize a topic","arguments":[
                {"name":"topic","required":true},{"name":"style","title":"Style"}]},
            {"title":"nameless"}
        ],"nextCursor":"c2"}))
        .unwrap();
        assert_eq!(prompts.len(), 1);
        assert_eq!(cursor.as_deref(), Some("c2"));
        prompts.into_iter().next().unwrap()
    }

    #[test]
    fn prompts_are_listed_with_their_arguments() {
        let prompt = summarize();
        assert_eq!(prompt.title, "summarize");
        assert_eq!(prompt.arguments.len(), 2);
        assert!(prompt.arguments[0].required);
        assert_eq!(prompt.arguments[1].title, "Style");
        assert!(!prompt.arguments[1].required);
        assert!(parse_prompts(&json!({})).is_err());
        let list: Value = serde_json::from_str(&list_prompts(4, Some("c2"))).unwrap();
        assert_eq!(
            (list["method"].as_str(), &list["params"]["cursor"]),
            (Some("prompts/list"), &json!("c2"))
        );
    }

    #[test]
    fn a_prompt_is_fetched_with_string_arguments() {
        let prompt = summarize();
        let args = |v: Value| v.as_object().unwrap().clone();
        let get: Value = serde_json::from_str(
            &get_prompt(5, &prompt, &args(json!({"topic":"orders"}))).unwrap(),
        )
        .unwrap();
        assert_eq!(get["method"], "prompts/get");
        assert_eq!(
            get["params"],
            json!({"name":"summarize","arguments":{"topic":"orders"}})
        );
        assert!(get_prompt(5, &prompt, &args(json!({"style":"short"}))).is_err());
        assert!(get_prompt(5, &prompt, &args(json!({"topic":1}))).is_err());
        assert!(get_prompt(5, &prompt, &args(json!({"topic":"x","other":"y"}))).is_err());

        let messages = parse_prompt_messages(
            &json!({"messages":[{"role":"user","content":{"type":"text","text":"Summarize orders."}}]}),
            Limits::default(),
        )
        .unwrap();
        assert_eq!(messages[0].role, "user");
        assert_eq!(
            messages[0].content.kind,
            PartKind::Text("Summarize orders.".into())
        );
        assert!(
            parse_prompt_messages(
                &json!({"messages":[{"role":"system","content":{}}]}),
                Limits::default()
            )
            .is_err()
        );
        assert!(parse_prompt_messages(&json!({}), Limits::default()).is_err());
    }
}
