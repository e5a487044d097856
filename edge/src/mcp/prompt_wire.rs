//! Server prompts between the MCP core ([`crate::mcp::client::prompts`]) and the widget's
//! `/api/prompts` routes ([`protocol::prompts`]), I/O-free: which servers a listing asks, each
//! server's prompts on the wire (at most [`MAX_PROMPTS_PER_SERVER`]), the request's arguments as
//! MCP wants them, and a fetched prompt's messages as text for the composer (each part as the
//! model would read it, scrubbed of secrets, at most [`MAX_PROMPT_TEXT_BYTES`] in all).

use protocol::prompts::MAX_PROMPT_SERVERS;
use protocol::{PromptInfo, PromptMessages, PromptText};
use serde_json::{Map, Value};

use crate::error::EdgeError;
use crate::incoming::urls;
use crate::mcp::client::prompts::{PromptDef, PromptMessage};
use crate::redact::Secrets;

/// Most prompts listed of one server.
pub const MAX_PROMPTS_PER_SERVER: usize = 50;
/// Most bytes of a fetched prompt's text.
pub const MAX_PROMPT_TEXT_BYTES: usize = 32 << 10;

/// The server ids of `?servers=a,b` (none when absent); more than [`MAX_PROMPT_SERVERS`], or
/// one twice, is a bad request.
pub fn server_ids(query: &str) -> Result<Vec<String>, EdgeError> {
    let ids: Vec<String> = urls::query_param(query, "servers")
        .unwrap_or_default()
        .split(',')
        .filter(|id| !id.is_empty())
        .map(str::to_owned)
        .collect();
    if ids.len() > MAX_PROMPT_SERVERS {
        return Err(EdgeError::BadRequestBody(format!(
            "at most {MAX_PROMPT_SERVERS} servers"
        )));
    }
    if ids.iter().enumerate().any(|(i, id)| ids[..i].contains(id)) {
        return Err(EdgeError::BadRequestBody(
            "a server is named twice".to_owned(),
        ));
    }
    Ok(ids)
}

/// A server's prompts as the widget sees them.
pub fn listed(server: &str, defs: &[PromptDef]) -> Vec<PromptInfo> {
    defs.iter()
        .take(MAX_PROMPTS_PER_SERVER)
        .map(|d| PromptInfo {
            server: server.to_owned(),
            name: d.name.clone(),
            title: d.title.clone(),
            description: d.description.clone(),
            arguments: d
                .arguments
                .iter()
                .map(|a| protocol::PromptArgument {
                    name: a.name.clone(),
                    title: a.title.clone(),
                    description: a.description.clone(),
                    required: a.required,
                })
                .collect(),
        })
        .collect()
}

/// The request's argument values for `prompts/get`, without empty ones.
pub fn arguments(values: &std::collections::BTreeMap<String, String>) -> Map<String, Value> {
    values
        .iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect()
}

/// Refuses arguments the prompt does not take, or a required one left out (before anything is
/// sent to the server).
pub fn check_arguments(
    prompt: &PromptDef,
    arguments: &Map<String, Value>,
) -> Result<(), EdgeError> {
    if let Some(missing) = prompt
        .arguments
        .iter()
        .find(|a| a.required && !arguments.contains_key(&a.name))
    {
        return Err(EdgeError::BadRequestBody(format!(
            "the prompt needs {:?}",
            missing.title
        )));
    }
    if arguments
        .keys()
        .any(|k| !prompt.arguments.iter().any(|a| &a.name == k))
    {
        return Err(EdgeError::BadRequestBody(
            "the prompt takes no such argument".to_owned(),
        ));
    }
    Ok(())
}

/// A fetched prompt's messages as text, scrubbed of `secrets` and capped.
pub fn messages(messages: &[PromptMessage], secrets: &Secrets) -> PromptMessages {
    let mut left = MAX_PROMPT_TEXT_BYTES;
    let messages = messages
        .iter()
        .map_while(|m| {
            if left == 0 {
                return None;
            }
            let mut text = secrets.redact(&m.content.kind.model_text());
            if text.len() > left {
                let mut end = left;
                while !text.is_char_boundary(end) {
                    end -= 1;
                }
                text.truncate(end);
            }
            left -= text.len();
            Some(PromptText {
                role: m.role.clone(),
                text,
            })
        })
        .collect();
    PromptMessages { messages }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::mcp::client::prompts::{parse_prompt_messages, parse_prompts};
    use crate::mcp::client::results::Limits;

    #[test]
    fn server_ids_are_bounded_and_unique() {
        assert_eq!(
            server_ids("servers=northwind,wiki").unwrap(),
            ["northwind", "wiki"]
        );
        assert_eq!(server_ids("").unwrap(), Vec::<String>::new());
        assert!(server_ids("servers=a,a").is_err());
        assert!(server_ids("servers=a,b,c,d,e,f,g,h,i").is_err());
    }

    #[test]
    fn prompts_and_messages_go_to_the_wire() {
        let (defs, _) = parse_prompts(&json!({"prompts":[
            {"name":"sales_review","title":"Sales review","arguments":[{"name":"year","required":true}]}
        ]}))
        .unwrap();
        let wire = listed("northwind", &defs);
        assert_eq!(wire[0].server, "northwind");
        assert_eq!(wire[0].title, "Sales review");
        assert!(wire[0].arguments[0].required);
        let many = vec![defs[0].clone(); MAX_PROMPTS_PER_SERVER + 1];
        assert_eq!(listed("n", &many).len(), MAX_PROMPTS_PER_SERVER);

        let given = |v: Value| v.as_object().unwrap().clone();
        assert!(check_arguments(&defs[0], &given(json!({"year":"1997"}))).is_ok());
        assert!(check_arguments(&defs[0], &given(json!({}))).is_err());
        assert!(check_arguments(&defs[0], &given(json!({"year":"1997","x":"y"}))).is_err());
        let values = [
            ("year".to_owned(), "1997".to_owned()),
            ("x".to_owned(), " ".to_owned()),
        ];
        assert_eq!(
            arguments(&values.into()),
            *json!({"year":"1997"}).as_object().unwrap()
        );

        let fetched = parse_prompt_messages(
            &json!({"messages":[
                {"role":"user","content":{"type":"text","text":"Review 1997, key sk-1"}},
                {"role":"assistant","content":{"type":"resource_link","uri":"https://w/x","name":"x"}}
            ]}),
            Limits::default(),
        )
        .unwrap();
        let text = messages(&fetched, &Secrets::new(["sk-1"]));
        assert_eq!(
            text.composer_text(),
            "Review 1997, key [redacted]\n\n[link: x <https://w/x>]"
        );
        let long = parse_prompt_messages(
            &json!({"messages":[{"role":"user","content":{"type":"text","text":"é".repeat(MAX_PROMPT_TEXT_BYTES)}},
                                {"role":"user","content":{"type":"text","text":"more"}}]}),
            Limits::default(),
        )
        .unwrap();
        let capped = messages(&long, &Secrets::new(Vec::<String>::new()));
        assert_eq!(capped.messages.len(), 1);
        assert_eq!(capped.messages[0].text.len(), MAX_PROMPT_TEXT_BYTES);
    }
}
