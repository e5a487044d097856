//! The `Model` script: a stand-in model that lists the request's MCP servers, maybe calls one
//! tool, and streams its answer as the Responses API does.
//!
//! Every server is listed before anything is streamed, so a server that cannot be listed turns
//! the whole request into HTTP 424, as OpenAI does. Then [`stream`] spawns a producer that writes
//! each event to the response body the moment it exists: list items, the tool call (arguments in
//! fragments, then the real `tools/call`), and the answer in ~12-character deltas, pausing
//! `delta_delay` between consecutive deltas.

use std::time::Duration;

use axum::Json;
use axum::body::Bytes;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::frames::EventWriter;
use crate::mcp::{McpClient, McpError, call_output};
use crate::provider::events;
use crate::provider::request::McpTool;
use crate::provider::rules::{self, ListedServer, ToolChoice};

/// Characters per `response.output_text.delta`.
const TEXT_CHUNK: usize = 12;
/// About how many `response.mcp_call_arguments.delta` events a call's arguments take.
const ARGUMENT_FRAGMENTS: usize = 4;

/// One listed server: its tool entry, its tools (already in Responses form and filtered by
/// `allowed_tools`) and the open session for a later call.
pub(crate) struct Listed {
    pub(crate) label: String,
    /// The request asked for the user's approval before each call to this server.
    pub(crate) require_approval: bool,
    pub(crate) tools: Vec<Value>,
    pub(crate) session: McpClient,
}

/// What one streamed turn needs besides the listed servers.
pub(crate) struct Turn {
    /// The response number: ids are `resp_<n>`, `msg_<n>`, ...
    pub(crate) n: usize,
    pub(crate) model: String,
    pub(crate) message: String,
    pub(crate) delta_delay: Duration,
    /// For a continuation: the user's answer to the approval request; `None` otherwise.
    pub(crate) approval: Option<bool>,
    /// The model is the demo model (see `ModelOptions::demo`).
    pub(crate) demo: bool,
    /// The provider's own tools the request offers (`web_search`, `code_interpreter`).
    pub(crate) hosted: Vec<String>,
}

/// Opens a session with every server and lists its tools; the first failure becomes the 424
/// response OpenAI gives.
pub(crate) async fn list_servers(
    http: &reqwest::Client,
    mcp_tools: Vec<McpTool>,
) -> Result<Vec<Listed>, Response> {
    let mut res = Vec::with_capacity(mcp_tools.len());
    for mcp_tool in mcp_tools {
        let listed = list_one(http, &mcp_tool)
            .await
            .map_err(|e| list_failure(&mcp_tool.server_label, &e))?;
        res.push(listed);
    }
    Ok(res)
}

async fn list_one(http: &reqwest::Client, mcp_tool: &McpTool) -> Result<Listed, McpError> {
    let mut session = McpClient::connect(http, &mcp_tool.server_url, &mcp_tool.headers).await?;
    let tools = session
        .list_tools()
        .await?
        .iter()
        .filter(|tool| {
            let name = tool["name"].as_str().unwrap_or_default();
            mcp_tool
                .allowed_tools
                .as_ref()
                .is_none_or(|allowed| allowed.iter().any(|a| a == name))
        })
        .map(events::listed_tool)
        .collect();
    Ok(Listed {
        label: mcp_tool.server_label.clone(),
        require_approval: mcp_tool.require_approval,
        tools,
        session,
    })
}

/// HTTP 424 `external_connector_error`, worded as OpenAI words it.
fn list_failure(label: &str, error: &McpError) -> Response {
    let (code, reason) = match error {
        McpError::Status(status) => ("http_error", format!("Http status code: {status}")),
        McpError::Unauthorized => ("http_error", "Http status code: 401".to_owned()),
        McpError::Transport | McpError::Timeout(_) | McpError::SessionExpired => {
            ("http_error", error.to_string())
        }
        McpError::Protocol(_) | McpError::TooLarge(_) | McpError::UnsupportedVersion(_) => {
            ("mcp_protocol_error", error.to_string())
        }
    };
    let body = json!({"error": {
        "message": format!("Error retrieving tool list from MCP server: '{label}'. {reason}"),
        "type": "external_connector_error",
        "param": "tools",
        "code": code,
    }});
    (StatusCode::FAILED_DEPENDENCY, Json(body)).into_response()
}

/// Runs the turn in a background producer; frames go to `tx` as they are made. The producer
/// stops early when the client goes away; the task's result says whether it did (`true`).
pub(crate) fn stream(
    listed: Vec<Listed>,
    turn: Turn,
    tx: mpsc::Sender<Bytes>,
) -> tokio::task::JoinHandle<bool> {
    tokio::spawn(async move { produce(listed, turn, &tx).await.is_err() })
}

/// The receiver is gone.
struct Closed;

async fn send(tx: &mpsc::Sender<Bytes>, frame: String) -> Result<(), Closed> {
    tx.send(Bytes::from(frame)).await.map_err(|_| Closed)
}

/// Sends `frames` one after another, at once.
async fn send_all(
    tx: &mpsc::Sender<Bytes>,
    frames: impl IntoIterator<Item = String>,
) -> Result<(), Closed> {
    for frame in frames {
        send(tx, frame).await?;
    }
    Ok(())
}

/// Sends `frames` `delay` apart (the first at once).
async fn send_paced(
    tx: &mpsc::Sender<Bytes>,
    frames: Vec<String>,
    delay: Duration,
) -> Result<(), Closed> {
    for (i, frame) in frames.into_iter().enumerate() {
        if i > 0 {
            tokio::time::sleep(delay).await;
        }
        send(tx, frame).await?;
    }
    Ok(())
}

async fn produce(
    mut listed: Vec<Listed>,
    turn: Turn,
    tx: &mpsc::Sender<Bytes>,
) -> Result<(), Closed> {
    let mut w = EventWriter::default();
    let response_id = format!("resp_{}", turn.n);
    let mut output = Vec::new();
    let in_progress =
        json!({"response": events::response(&response_id, &turn.model, "in_progress", &[], None)});
    send_all(
        tx,
        [
            w.frame("response.created", in_progress.clone()),
            w.frame("response.in_progress", in_progress),
        ],
    )
    .await?;

    for (output_index, server) in listed.iter().enumerate() {
        let item_id = format!("mcpl_{}_{output_index}", turn.n);
        let item = json!({"id": item_id, "type": "mcp_list_tools", "server_label": server.label, "tools": []});
        let at = json!({"output_index": output_index, "item_id": item_id});
        let done = json!({"id": item_id, "type": "mcp_list_tools", "server_label": server.label,
                          "tools": server.tools, "error": null});
        send_all(
            tx,
            [
                w.frame("response.output_item.added", item_at(output_index, &item)),
                w.frame("response.mcp_list_tools.in_progress", at.clone()),
                w.frame("response.mcp_list_tools.completed", at),
                w.frame("response.output_item.done", item_at(output_index, &done)),
            ],
        )
        .await?;
        output.push(done);
    }

    let (frames, items) =
        super::hosted_tools::calls(&mut w, &turn.hosted, &turn.message, turn.n, output.len());
    send_all(tx, frames).await?;
    output.extend(items);

    let servers: Vec<ListedServer> = listed
        .iter()
        .map(|s| ListedServer {
            label: s.label.clone(),
            tools: s
                .tools
                .iter()
                .filter_map(|t| t["name"].as_str())
                .map(str::to_owned)
                .collect(),
        })
        .collect();
    let text = match rules::choose_tool(&turn.message, &servers) {
        // Approval needed and not yet given: ask, and end the response without calling.
        Some(choice) if listed[choice.server].require_approval && turn.approval.is_none() => {
            let output_index = output.len();
            let item = json!({"id": format!("mcpr_{}", turn.n), "type": "mcp_approval_request",
                              "name": choice.rule.tool, "server_label": listed[choice.server].label,
                              "arguments": choice.rule.arguments});
            let added = item_at(output_index, &item);
            output.push(item);
            let done = events::response(&response_id, &turn.model, "completed", &output, None);
            return send_all(
                tx,
                [
                    w.frame("response.output_item.added", added.clone()),
                    w.frame("response.output_item.done", added),
                    w.frame("response.completed", json!({ "response": done })),
                ],
            )
            .await;
        }
        Some(choice) if turn.approval == Some(false) => {
            format!(
                "The call to `{}` was not approved, so I did not run it.",
                choice.rule.tool
            )
        }
        Some(choice) => {
            let outcome = call(&mut listed, &choice, &turn, &mut w, &mut output, tx).await?;
            rules::answer_after_tool(choice.rule, &outcome)
        }
        None => rules::answer_without_tool(&turn.message, &servers, turn.demo),
    };

    let output_index = output.len();
    let item_id = format!("msg_{}", turn.n);
    let at = json!({"item_id": item_id, "output_index": output_index, "content_index": 0});
    let item = json!({"id": item_id, "type": "message", "role": "assistant", "status": "in_progress", "content": []});
    send_all(
        tx,
        [
            w.frame("response.output_item.added", item_at(output_index, &item)),
            w.frame(
                "response.content_part.added",
                with(&at, "part", events::output_text("")),
            ),
        ],
    )
    .await?;
    let deltas = events::chunks(&text, TEXT_CHUNK);
    let kind = "response.output_text.delta";
    send_paced(tx, w.frame_each(kind, &at, deltas), turn.delta_delay).await?;
    let item = json!({"id": item_id, "type": "message", "role": "assistant", "status": "completed",
                      "content": [events::output_text(&text)]});
    let item_done = item_at(output_index, &item);
    output.push(item);
    let usage = events::usage(&turn.message, &text);
    let done = events::response(&response_id, &turn.model, "completed", &output, Some(usage));
    send_all(
        tx,
        [
            w.frame("response.output_text.done", with(&at, "text", json!(text))),
            w.frame(
                "response.content_part.done",
                with(&at, "part", events::output_text(&text)),
            ),
            w.frame("response.output_item.done", item_done),
            w.frame("response.completed", json!({ "response": done })),
        ],
    )
    .await
}

/// Streams the tool call's item, runs the call over MCP, and returns its text output or error.
async fn call(
    listed: &mut [Listed],
    choice: &ToolChoice,
    turn: &Turn,
    w: &mut EventWriter,
    output: &mut Vec<Value>,
    tx: &mpsc::Sender<Bytes>,
) -> Result<Result<String, String>, Closed> {
    let server = &mut listed[choice.server];
    let (tool, arguments) = (choice.rule.tool, choice.rule.arguments);
    let output_index = output.len();
    let item_id = format!("mcp_{}_{output_index}", turn.n);
    let at = json!({"item_id": item_id, "output_index": output_index});
    let item = json!({"id": item_id, "type": "mcp_call", "name": tool, "server_label": server.label,
                      "arguments": "", "status": "in_progress"});
    send_all(
        tx,
        [
            w.frame("response.output_item.added", item_at(output_index, &item)),
            w.frame("response.mcp_call.in_progress", at.clone()),
        ],
    )
    .await?;
    let fragments = events::fragments(arguments, ARGUMENT_FRAGMENTS);
    let kind = "response.mcp_call_arguments.delta";
    send_paced(tx, w.frame_each(kind, &at, fragments), turn.delta_delay).await?;
    send(
        tx,
        w.frame(
            "response.mcp_call_arguments.done",
            with(&at, "arguments", json!(arguments)),
        ),
    )
    .await?;

    let parsed: Value = serde_json::from_str(arguments).unwrap_or_else(|_| json!({}));
    let outcome = match server.session.call_tool(tool, &parsed).await {
        Ok(result) => call_output(&result),
        Err(error) => Err(error.to_string()),
    };
    let (kind, status) = match outcome {
        Ok(_) => ("response.mcp_call.completed", "completed"),
        Err(_) => ("response.mcp_call.failed", "failed"),
    };
    send(tx, w.frame(kind, at)).await?;
    let item = json!({"id": item_id, "type": "mcp_call", "name": tool, "server_label": server.label,
                      "arguments": arguments, "status": status,
                      "output": outcome.as_ref().ok(), "error": outcome.as_ref().err()});
    send(
        tx,
        w.frame("response.output_item.done", item_at(output_index, &item)),
    )
    .await?;
    output.push(item);
    Ok(outcome)
}

/// The fields of `response.output_item.added` and `.done`.
fn item_at(output_index: usize, item: &Value) -> Value {
    json!({"output_index": output_index, "item": item})
}

/// `base` (an object) with one more field.
fn with(base: &Value, key: &str, value: Value) -> Value {
    let mut res = base.clone();
    res[key] = value;
    res
}
