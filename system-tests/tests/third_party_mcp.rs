//! The edge's MCP client core (`edge::mcp::client`) against third-party MCP servers, over plain
//! HTTP: the official reference server (`@modelcontextprotocol/server-everything`, Node.js,
//! stateful, SSE answers) and a server written with the official Python SDK
//! (`testkit/servers/stateless_mcp.py`: stateless, JSON answers, also 2026-07-28).
//!
//! `cargo xtask test` installs both first and passes `PCHAT_MCP_EVERYTHING` (the server's
//! `dist/index.js`) and `PCHAT_MCP_PYTHON` (a Python with the SDK); without them the tests look
//! in the tools cache, and fail when the install is not there (they never pass by skipping).

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use edge::mcp::client::{
    self as mcp, Capabilities, McpError, Recovery, ReplyReader, ServerMessage, Session,
    elicitation::{self, Answer, Elicitation},
    messages, prompts,
    results::{Limits, PartKind, parse_call_result},
    versions,
};
use serde_json::{Value, json};
use testkit::process::{ChildProcess, free_local_addr};

/// The largest reply these tests read.
const MAX_REPLY: usize = 4 << 20;

/// How long one exchange may take (the slowest is a 1 s long-running operation).
const DEADLINE: Duration = Duration::from_secs(30);

/// A third-party tool: `$env`, else `cached` under the tools directory; an error when neither
/// exists.
fn installed(env: &str, cached: &str) -> anyhow::Result<PathBuf> {
    if let Some(path) = std::env::var_os(env) {
        return Ok(path.into());
    }
    let tools = std::env::var_os("PCHAT_TOOLS_DIR")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/pomerium-chat/tools"))
        })
        .unwrap_or_default();
    let path = tools.join(cached);
    anyhow::ensure!(
        path.exists(),
        "{env} is not set and {} is not installed (cargo xtask test installs it)",
        path.display()
    );
    Ok(path)
}

/// The reference server on a free port.
pub(crate) fn everything() -> anyhow::Result<(ChildProcess, String)> {
    let script = installed(
        "PCHAT_MCP_EVERYTHING",
        "mcp-everything/node_modules/@modelcontextprotocol/server-everything/dist/index.js",
    )?;
    let addr = free_local_addr()?;
    let mut command = Command::new("node");
    command
        .arg(script)
        .arg("streamableHttp")
        .env("PORT", addr.port().to_string());
    let (process, _) = ChildProcess::start(
        "server-everything",
        command,
        "listening on port",
        Duration::from_secs(60),
    )?;
    Ok((process, format!("http://{addr}/mcp")))
}

/// The Python SDK server on a free port.
fn python_server() -> anyhow::Result<(ChildProcess, String)> {
    let python = installed("PCHAT_MCP_PYTHON", "mcp-python/bin/python")?;
    let addr = free_local_addr()?;
    let script =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../testkit/servers/stateless_mcp.py");
    let mut command = Command::new(python);
    command.arg(script).arg(addr.port().to_string());
    let (process, _) = ChildProcess::start(
        "python-mcp",
        command,
        "Uvicorn running on",
        Duration::from_secs(60),
    )?;
    Ok((process, format!("http://{addr}/mcp")))
}

/// One answer, read to its end.
pub(crate) struct Reply {
    status: u16,
    content_type: String,
    session_id: Option<String>,
    pub(crate) result: Result<Value, McpError>,
    /// What the server interleaved before the response, oldest first.
    messages: Vec<ServerMessage>,
}

/// A native transport over the client core, as the component's wasi one does it (also used
/// by `northwind_app`).
pub(crate) struct Conn {
    pub(crate) http: reqwest::Client,
    url: String,
    pub(crate) session: Session,
}

impl Conn {
    pub(crate) fn new(url: &str, session: Session) -> Self {
        Self {
            http: reqwest::Client::new(),
            url: url.to_owned(),
            session,
        }
    }

    /// Posts `body` (request `id`), answering server requests with `answer` while reading;
    /// fails after [`DEADLINE`].
    async fn request(
        &mut self,
        id: u64,
        body: String,
        answer: &mut dyn FnMut(&ServerMessage) -> Option<String>,
    ) -> anyhow::Result<Reply> {
        tokio::time::timeout(DEADLINE, self.exchange(id, body, answer))
            .await
            .map_err(|_| anyhow::anyhow!("request {id}: no answer within {DEADLINE:?}"))?
    }

    async fn exchange(
        &mut self,
        id: u64,
        body: String,
        answer: &mut dyn FnMut(&ServerMessage) -> Option<String>,
    ) -> anyhow::Result<Reply> {
        let body = self.session.stamp(body);
        let mut post = self.http.post(&self.url);
        for (name, value) in self.session.headers_for(&body, None) {
            post = post.header(name, value);
        }
        let mut response = post.body(body).send().await?;
        let status = response.status().as_u16();
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let content_type = header("content-type").unwrap_or_default();
        let session_id = header("mcp-session-id");
        if !(200..300).contains(&status) {
            let bytes = response.bytes().await?;
            let result = match self.session.recover(status, &bytes) {
                Recovery::Reinitialize => Err(McpError::Status(status)),
                Recovery::Fail(err) => Err(err),
            };
            return Ok(Reply {
                status,
                content_type,
                session_id,
                result,
                messages: vec![],
            });
        }
        let mut reader = ReplyReader::new(id, &content_type, MAX_REPLY);
        let mut messages = Vec::new();
        let mut result = None;
        while result.is_none() {
            let Some(chunk) = response.chunk().await? else {
                break;
            };
            result = reader.push(&chunk);
            for message in reader.take_messages() {
                if let Some(reply) = answer(&message) {
                    let status = self.notify(reply).await?;
                    anyhow::ensure!(status == 202, "the answer to the server got {status}");
                }
                messages.push(message);
            }
        }
        let result = match result {
            Some(result) => result,
            None => reader.finish(),
        };
        Ok(Reply {
            status,
            content_type,
            session_id,
            result,
            messages,
        })
    }

    pub(crate) async fn call(&mut self, id: u64, body: String) -> anyhow::Result<Reply> {
        self.request(id, body, &mut |_| None).await
    }

    /// Posts a notification or a response; returns the status.
    async fn notify(&self, body: String) -> anyhow::Result<u16> {
        let mut post = self.http.post(&self.url);
        for (name, value) in self.session.headers_for(&body, None) {
            post = post.header(name, value);
        }
        Ok(post.body(body).send().await?.status().as_u16())
    }

    /// `initialize` (negotiated) and `notifications/initialized`.
    pub(crate) async fn open(&mut self) -> anyhow::Result<Reply> {
        let (id, body) = self.session.initialize();
        let reply = self.call(id, body).await?;
        let result = reply.result.clone()?;
        self.session
            .accept_initialize(reply.session_id.clone(), &result)?;
        let status = self.notify(mcp::initialized()).await?;
        anyhow::ensure!(status == 202, "notifications/initialized got {status}");
        Ok(reply)
    }

    async fn tools(&mut self) -> anyhow::Result<Vec<mcp::ToolDef>> {
        let id = self.session.next_id();
        let reply = self.call(id, mcp::list_tools(id, None)).await?;
        Ok(mcp::parse_tools(&reply.result?)?.0)
    }
}

#[tokio::test]
async fn reference_server_negotiates_lists_and_calls() -> anyhow::Result<()> {
    let (_server, url) = everything()?;
    let mut conn = Conn::new(&url, Session::default());
    let init = conn.open().await?;
    assert_eq!(
        conn.session.protocol_version.as_deref(),
        Some(mcp::PROTOCOL_VERSION)
    );
    assert!(
        conn.session.session_id.is_some(),
        "the reference server is stateful"
    );
    assert!(versions::is_supported(mcp::PROTOCOL_VERSION));
    assert_eq!(init.status, 200);

    let tools = conn.tools().await?;
    let names: Vec<&str> = tools.iter().map(|t| t.name.as_str()).collect();
    for name in [
        "echo",
        "get-tiny-image",
        "get-resource-links",
        "trigger-long-running-operation",
    ] {
        assert!(names.contains(&name), "{name} missing from {names:?}");
    }
    // No elicitation declared, so the server does not offer its elicitation tool.
    assert!(!names.contains(&"trigger-elicitation-request"), "{names:?}");

    let id = conn.session.next_id();
    let echo = conn
        .call(id, mcp::call_tool(id, "echo", r#"{"message":"hi there"}"#)?)
        .await?;
    assert!(
        echo.content_type.starts_with("text/event-stream"),
        "{}",
        echo.content_type
    );
    assert_eq!(
        mcp::call_output(&echo.result?),
        Ok("Echo: hi there".to_owned())
    );
    Ok(())
}

#[tokio::test]
async fn reference_server_reports_progress_while_the_call_runs() -> anyhow::Result<()> {
    let (_server, url) = everything()?;
    let mut conn = Conn::new(&url, Session::default());
    conn.open().await?;
    let id = conn.session.next_id();
    let body = mcp::call_tool_with_progress(
        id,
        "trigger-long-running-operation",
        r#"{"duration":1,"steps":4}"#,
        "call-1",
    )?;
    let reply = conn.call(id, body).await?;
    let progress: Vec<_> = reply
        .messages
        .iter()
        .filter_map(|m| match m {
            ServerMessage::Progress(p) => Some(p),
            _ => None,
        })
        .collect();
    assert_eq!(progress.len(), 4, "{:?}", reply.messages);
    assert!(
        progress
            .iter()
            .all(|p| p.is_for("call-1") && p.total == Some(4.0))
    );
    let fractions: Vec<f64> = progress.iter().filter_map(|p| p.fraction()).collect();
    assert_eq!(fractions, [0.25, 0.5, 0.75, 1.0]);
    let text = mcp::call_output(&reply.result?).unwrap();
    assert!(text.contains("Long running operation completed"), "{text}");
    Ok(())
}

#[tokio::test]
async fn reference_server_images_and_links_are_typed() -> anyhow::Result<()> {
    let (_server, url) = everything()?;
    let mut conn = Conn::new(&url, Session::default());
    conn.open().await?;
    let id = conn.session.next_id();
    let image = conn
        .call(id, mcp::call_tool(id, "get-tiny-image", "")?)
        .await?;
    let image = parse_call_result(&image.result?, Limits::default());
    let media: Vec<_> = image
        .parts
        .iter()
        .filter_map(|p| match &p.kind {
            PartKind::Image(m) => Some(m),
            _ => None,
        })
        .collect();
    assert_eq!(media.len(), 1, "{:?}", image.parts);
    assert_eq!(media[0].mime_type, "image/png");
    assert!(media[0].n_bytes > 0);
    assert!(
        image.model_text().contains("[image image/png,"),
        "{}",
        image.model_text()
    );

    let id = conn.session.next_id();
    let links = conn
        .call(
            id,
            mcp::call_tool(id, "get-resource-links", r#"{"count":3}"#)?,
        )
        .await?;
    let links = parse_call_result(&links.result?, Limits::default());
    let references: Vec<_> = links
        .parts
        .iter()
        .filter_map(|p| match &p.kind {
            PartKind::Reference(l) => Some(l),
            PartKind::Link(l) => panic!("a demo:// link became clickable: {l:?}"),
            _ => None,
        })
        .collect();
    assert_eq!(references.len(), 3, "{:?}", links.parts);
    assert!(
        references
            .iter()
            .all(|l| l.uri.starts_with("demo://") && !l.title.is_empty())
    );
    Ok(())
}

#[tokio::test]
async fn reference_server_elicits_and_gets_the_answer() -> anyhow::Result<()> {
    let (_server, url) = everything()?;
    let capabilities = Capabilities {
        elicitation_form: true,
        ..Capabilities::default()
    };
    let mut conn = Conn::new(&url, Session::with_capabilities(capabilities));
    conn.open().await?;
    let names: Vec<String> = conn.tools().await?.into_iter().map(|t| t.name).collect();
    assert!(
        names.iter().any(|n| n == "trigger-elicitation-request"),
        "{names:?}"
    );

    let mut asked = None;
    let mut answer = |message: &ServerMessage| {
        let ServerMessage::Request { id, method, params } = message else {
            return None;
        };
        assert_eq!(method, "elicitation/create");
        let Ok(Elicitation::Form(form)) = elicitation::parse(params) else {
            panic!("not a flat form: {params}");
        };
        let content = json!({"name": "Ada Lovelace", "check": true, "integer": 7});
        let content = content.as_object().cloned().unwrap_or_default();
        assert_eq!(form.check(&content), Ok(()));
        asked = Some(form.fields.len());
        Some(messages::respond(id, Answer::Accept(content).to_result()))
    };
    let id = conn.session.next_id();
    let reply = conn
        .request(
            id,
            mcp::call_tool(id, "trigger-elicitation-request", "")?,
            &mut answer,
        )
        .await?;
    assert!(
        asked.is_some_and(|n| n >= 10),
        "the server's form: {asked:?}"
    );
    let text = mcp::call_output(&reply.result?).unwrap();
    assert!(text.contains("Ada Lovelace"), "{text}");
    Ok(())
}

#[tokio::test]
async fn reference_server_sessions_end_and_expire() -> anyhow::Result<()> {
    let (_server, url) = everything()?;
    let mut conn = Conn::new(&url, Session::default());
    conn.open().await?;
    let old = conn.session.clone();
    let mut delete = conn.http.delete(&url);
    for (name, value) in old.end_headers(None).expect("a stateful session") {
        delete = delete.header(name, value);
    }
    assert_eq!(delete.send().await?.status().as_u16(), 200);

    // The ended session is refused (this server answers 400 "No valid session ID", not the
    // specification's 404): the client initializes again, once.
    let id = conn.session.next_id();
    let gone = conn.call(id, mcp::list_tools(id, None)).await?;
    assert_eq!(gone.status, 400);
    assert_eq!(conn.session.session_id, None);
    conn.open().await?;
    assert_ne!(conn.session.session_id, old.session_id);
    assert!(!conn.tools().await?.is_empty());
    Ok(())
}

#[tokio::test]
async fn python_sdk_server_answers_json_statelessly() -> anyhow::Result<()> {
    let (_server, url) = python_server()?;
    let mut conn = Conn::new(&url, Session::default());
    let init = conn.open().await?;
    assert_eq!(init.session_id, None, "stateless: no session id");
    assert!(
        init.content_type.starts_with("application/json"),
        "{}",
        init.content_type
    );
    assert_eq!(conn.session.protocol_version.as_deref(), Some("2025-11-25"));
    assert!(conn.session.end_headers(None).is_none());
    let tools = conn.tools().await?;
    assert!(tools.iter().any(|t| t.name == "add"), "{tools:?}");
    let id = conn.session.next_id();
    let sum = conn
        .call(id, mcp::call_tool(id, "add", r#"{"a":2,"b":40}"#)?)
        .await?;
    assert!(sum.content_type.starts_with("application/json"));
    let sum = parse_call_result(&sum.result?, Limits::default());
    assert_eq!(sum.structured, Some(json!({"result": 42})));
    assert_eq!(sum.model_text(), "42");

    // Prompts: listed with their arguments, fetched with string arguments.
    let id = conn.session.next_id();
    let listed = conn.call(id, prompts::list_prompts(id, None)).await?;
    let (listed, _) = prompts::parse_prompts(&listed.result?)?;
    let summarize = listed
        .iter()
        .find(|p| p.name == "summarize")
        .expect("summarize");
    assert_eq!(summarize.arguments.len(), 1);
    assert!(summarize.arguments[0].required);
    let arguments = json!({"topic": "orders"});
    let arguments = arguments.as_object().cloned().unwrap_or_default();
    let id = conn.session.next_id();
    let got = conn
        .call(id, prompts::get_prompt(id, summarize, &arguments)?)
        .await?;
    let messages = prompts::parse_prompt_messages(&got.result?, Limits::default())?;
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].role, "user");
    assert_eq!(
        messages[0].content.kind,
        PartKind::Text("Summarize orders in three sentences.".to_owned())
    );
    Ok(())
}

#[tokio::test]
async fn python_sdk_server_speaks_the_stateless_revision() -> anyhow::Result<()> {
    let (_server, url) = python_server()?;
    // The probe finds a modern server; 2026-07-28 has no initialize: every request carries
    // the revision itself.
    let mut conn = Conn::new(&url, Session::modern(Capabilities::default()));
    let id = conn.session.next_id();
    let probe = conn.call(id, versions::discover(id)).await?;
    assert_eq!(
        versions::era_of_discover(&probe.result?),
        versions::Era::Modern(versions::MODERN_VERSION)
    );
    let tools = conn.tools().await?;
    assert!(tools.iter().any(|t| t.name == "shout"), "{tools:?}");
    let id = conn.session.next_id();
    let reply = conn
        .call(id, mcp::call_tool(id, "shout", r#"{"text":"hé"}"#)?)
        .await?;
    let result = reply.result?;
    assert_eq!(result["resultType"], "complete");
    assert!(!elicitation::is_input_required(&result));
    assert_eq!(mcp::call_output(&result), Ok("HÉ".to_owned()));

    // A revision the server does not speak comes back as -32022 with the ones it does.
    let bogus = json!({"jsonrpc":"2.0","id":99,"method":"tools/list","params":{"_meta":{
        "io.modelcontextprotocol/protocolVersion":"2099-01-01",
        "io.modelcontextprotocol/clientCapabilities":{}}}});
    let response = conn
        .http
        .post(&url)
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", "2099-01-01")
        .header("mcp-method", "tools/list")
        .body(bogus.to_string())
        .send()
        .await?;
    assert_eq!(response.status().as_u16(), 400);
    let offered = versions::modern_versions_offered(&response.bytes().await?).expect("-32022");
    assert_eq!(versions::choose(&offered), Some(versions::MODERN_VERSION));
    Ok(())
}
