//! Hosted mode's provider request: the Responses API with one `mcp` tool per selected server
//! (the provider runs the tools).
//!
//! One `mcp` tool goes out per selected server, each carrying the caller's token in its
//! `headers`; the server URL comes from Pomerium's list, never from the browser. These are the
//! provider's wire shapes, defined once here.

use protocol::ChatRequest;
use serde::Serialize;

use crate::config::{Config, ServerPolicy};
use crate::error::EdgeError;
use crate::incoming::auth::BearerToken;
use crate::servers::pomerium::McpServer;

/// The body of `POST {base}/responses`.
#[derive(Debug, Serialize)]
pub struct ResponsesRequest<'a> {
    model: &'a str,
    instructions: &'a str,
    input: Vec<InputItem<'a>>,
    tools: Vec<Tool<'a>>,
    stream: bool,
    /// Kept server-side only when a continuation may be needed (approvals, background mode).
    store: bool,
    /// The provider runs the answer on its own and keeps it for a resume
    /// (`background_answers = on`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    background: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    previous_response_id: Option<&'a str>,
}

/// One item of `input`.
#[derive(Debug, Serialize)]
#[serde(untagged)]
enum InputItem<'a> {
    /// A structured conversation turn.
    Message {
        role: &'static str,
        content: &'a str,
    },
    /// A turn with attachments: its content as input parts.
    Parts {
        role: &'static str,
        content: serde_json::Value,
    },
    /// The user's answer to an approval request.
    Approval {
        r#type: &'static str,
        approval_request_id: &'a str,
        approve: bool,
    },
}

/// One entry of `tools`.
#[derive(Debug, Serialize)]
#[serde(untagged)]
enum Tool<'a> {
    /// A selected MCP server.
    Mcp(McpTool<'a>),
    /// A provider-hosted tool the request named ([`crate::servers::hosted_tools::tool`]).
    Hosted(serde_json::Value),
}

/// A remote MCP server the provider should call.
#[derive(Debug, Serialize)]
struct McpTool<'a> {
    r#type: &'static str,
    server_label: &'a str,
    server_url: &'a str,
    headers: McpHeaders,
    require_approval: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    allowed_tools: Option<&'a [String]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    server_description: Option<&'a str>,
}

#[derive(Debug, Serialize)]
struct McpHeaders {
    #[serde(rename = "Authorization")]
    authorization: String,
}

/// The URL of the Responses endpoint.
pub fn responses_url(config: &Config) -> String {
    format!("{}/responses", config.base_url)
}

/// Builds the JSON body for a chat request and the servers it resolved to.
///
/// A request carrying approvals continues `previous_response_id` with the decisions as input;
/// any other sends the whole conversation as structured turns. The tool list (with the token in
/// each tool's headers) goes out every time: the provider keeps neither.
pub fn build_request(
    config: &Config,
    chat: &ChatRequest,
    servers: &[&McpServer],
    token: &BearerToken,
) -> Result<String, EdgeError> {
    let model = super::resolve_model(config, chat)?;
    let input = if chat.approvals.is_empty() {
        chat.messages
            .iter()
            .map(|turn| match turn.attachments.is_empty() {
                true => InputItem::Message {
                    role: turn.role.as_str(),
                    content: &turn.content,
                },
                false => InputItem::Parts {
                    role: turn.role.as_str(),
                    content: super::input_parts::content(turn, super::input_parts::Api::Responses),
                },
            })
            .collect()
    } else {
        chat.approvals
            .iter()
            .map(|a| InputItem::Approval {
                r#type: "mcp_approval_response",
                approval_request_id: &a.approval_request_id,
                approve: a.approve,
            })
            .collect()
    };
    let policies: Vec<ServerPolicy> = servers.iter().map(|s| config.policy(&s.info)).collect();
    let tools = servers
        .iter()
        .zip(&policies)
        .map(|(server, policy)| {
            Tool::Mcp(McpTool {
                r#type: "mcp",
                server_label: &server.info.id,
                server_url: &server.info.url,
                headers: McpHeaders {
                    authorization: token.header_value(),
                },
                // Hosted mode cannot read the annotations before the provider lists the tools.
                require_approval: if policy.require_approval.always() {
                    "always"
                } else {
                    "never"
                },
                allowed_tools: policy.allowed_tools.as_deref(),
                server_description: server.info.description.as_deref(),
            })
        })
        .chain(
            chat.hosted_tools
                .iter()
                .map(|name| Tool::Hosted(crate::servers::hosted_tools::tool(name))),
        )
        .collect();
    let request = ResponsesRequest {
        model,
        instructions: &config.instructions,
        input,
        tools,
        stream: true,
        store: policies.iter().any(|p| p.require_approval.always())
            || chat.previous_response_id.is_some()
            || config.background_answers,
        background: config.background_answers,
        previous_response_id: chat.previous_response_id.as_deref(),
    };
    Ok(serde_json::to_string(&request).unwrap_or_default())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::servers::pomerium::parse_routes;

    /// One server, Northwind, as Pomerium lists it.
    pub(crate) fn servers() -> Vec<McpServer> {
        parse_routes(br#"{"servers":[{"name":"Northwind","description":"Sales","url":"https://db.corp.example/mcp"}]}"#).unwrap()
    }

    /// The request `chat` makes to Northwind with the token `pom_mat_1`, as JSON.
    fn request_json(config: &Config, chat: &ChatRequest) -> serde_json::Value {
        let servers = servers();
        let token = BearerToken::from_header_values(&["Bearer pom_mat_1"]).unwrap();
        let body = build_request(config, chat, &servers.iter().collect::<Vec<_>>(), &token);
        serde_json::from_str(&body.unwrap()).unwrap()
    }

    #[test]
    fn request_carries_structured_turns_and_one_mcp_tool_per_server() {
        let config = Config::from_lookup(|k| (k == "openai_api_key").then(|| "sk-x".to_owned()));
        let chat: ChatRequest = serde_json::from_str(
            r#"{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"hello"},{"role":"user","content":"sales?"}],"servers":["northwind"]}"#,
        )
        .unwrap();
        let body = request_json(&config, &chat);
        assert_eq!(
            body,
            serde_json::json!({
                "model": crate::config::DEFAULT_MODEL,
                "instructions": crate::config::DEFAULT_INSTRUCTIONS,
                "input": [
                    {"role":"user","content":"hi"},
                    {"role":"assistant","content":"hello"},
                    {"role":"user","content":"sales?"}
                ],
                "tools": [{
                    "type":"mcp","server_label":"northwind","server_url":"https://db.corp.example/mcp",
                    "headers":{"Authorization":"Bearer pom_mat_1"},"require_approval":"never","server_description":"Sales"
                }],
                "stream": true,
                "store": false
            })
        );
    }

    #[test]
    fn approvals_continue_the_stored_response_with_the_server_policy() {
        let config = Config::from_lookup(|k| match k {
            "mcp_policies" => Some(
                r#"{"northwind":{"require_approval":"always","allowed_tools":["read_query"]}}"#
                    .to_owned(),
            ),
            _ => None,
        });
        let chat: ChatRequest = serde_json::from_str(
            r#"{"messages":[{"role":"user","content":"sales?"}],"servers":["northwind"],"previous_response_id":"resp_1","approvals":[{"approval_request_id":"mcpr_1","approve":true}]}"#,
        )
        .unwrap();
        let body = request_json(&config, &chat);
        assert_eq!(body["previous_response_id"], "resp_1");
        assert_eq!(body["store"], true);
        assert_eq!(
            body["input"],
            serde_json::json!([{"type":"mcp_approval_response","approval_request_id":"mcpr_1","approve":true}])
        );
        assert_eq!(body["tools"][0]["require_approval"], "always");
        assert_eq!(
            body["tools"][0]["allowed_tools"],
            serde_json::json!(["read_query"])
        );
        assert_eq!(
            body["tools"][0]["headers"]["Authorization"],
            "Bearer pom_mat_1"
        );
    }

    #[test]
    fn hosted_tools_and_attachments_go_with_the_request() {
        let config = Config::from_lookup(|_| None);
        let chat: ChatRequest = serde_json::from_str(&format!(
            r#"{{"messages":[{{"role":"user","content":"see","attachments":[{{"name":"a.png","data":"{}"}}]}}],"servers":["northwind"],"hosted_tools":["web_search","code_interpreter"]}}"#,
            crate::incoming::attachments::tests::PNG
        ))
        .unwrap();
        let body = request_json(&config, &chat);
        assert_eq!(body["tools"][0]["type"], "mcp");
        assert_eq!(body["tools"][1], serde_json::json!({"type":"web_search"}));
        assert_eq!(body["tools"][2]["container"]["type"], "auto");
        assert_eq!(body["input"][0]["content"][1]["type"], "input_image");
    }
}
