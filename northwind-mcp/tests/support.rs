//! Test harness: [`TestServer`] runs the real app in-process on `127.0.0.1:0`, and
//! [`McpClient`] speaks MCP Streamable HTTP to it (testkit's client: the edge's client core
//! over reqwest, with a raw `send` for odd requests). Every wait has a deadline.

use std::future::Future;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use anyhow::{Context, bail};
use northwind_mcp::Config;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// How long any one exchange may take.
pub(crate) const DEADLINE: Duration = Duration::from_secs(20);

/// The query the brief names, and its answer.
pub(crate) const SALES_BY_YEAR: &str = "SELECT strftime('%Y', o.OrderDate) AS year, \
    ROUND(SUM(od.UnitPrice*od.Quantity*(1-od.Discount)),2) AS sales \
    FROM Orders o JOIN \"Order Details\" od ON od.OrderID=o.OrderID \
    GROUP BY year ORDER BY year";

/// Awaits `future` or fails after [`DEADLINE`].
pub(crate) async fn within<T>(what: &str, future: impl Future<Output = T>) -> anyhow::Result<T> {
    tokio::time::timeout(DEADLINE, future)
        .await
        .with_context(|| format!("{what}: no answer within {DEADLINE:?}"))
}

/// A fresh folder under the test target's temp dir, removed on drop.
pub(crate) struct TempDir(PathBuf);

impl TempDir {
    pub(crate) fn new() -> anyhow::Result<Self> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("northwind-mcp-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&path)?;
        Ok(Self(path))
    }

    pub(crate) fn db_path(&self) -> PathBuf {
        self.0.join("northwind.db")
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The app serving on a free loopback port; stops when dropped.
pub(crate) struct TestServer {
    base: String,
    shutdown: CancellationToken,
    task: Option<JoinHandle<Result<(), northwind_mcp::Error>>>,
    _dir: TempDir,
}

impl TestServer {
    /// Starts with no token and no extra hosts.
    pub(crate) async fn start() -> anyhow::Result<Self> {
        Self::start_with(|_| {}).await
    }

    /// Starts with a config adjusted by `adjust` (its `addr` and `db` are set here).
    pub(crate) async fn start_with(adjust: impl FnOnce(&mut Config)) -> anyhow::Result<Self> {
        let dir = TempDir::new()?;
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let mut config = Config {
            addr: listener.local_addr()?,
            db: dir.db_path(),
            ..Config::default()
        };
        adjust(&mut config);
        let shutdown = CancellationToken::new();
        let app = northwind_mcp::app(&config, shutdown.clone())?;
        let task = tokio::spawn(northwind_mcp::serve(listener, app, shutdown.clone()));
        Ok(Self {
            base: format!("http://{}", config.addr),
            shutdown,
            task: Some(task),
            _dir: dir,
        })
    }

    /// `http://127.0.0.1:<port>`.
    pub(crate) fn base(&self) -> &str {
        &self.base
    }

    /// `http://127.0.0.1:<port>/mcp`.
    pub(crate) fn mcp_url(&self) -> String {
        format!("{}/mcp", self.base)
    }

    /// Stops the server and checks that it shut down cleanly.
    pub(crate) async fn stop(mut self) -> anyhow::Result<()> {
        self.shutdown.cancel();
        let task = self.task.take().context("server task present")?;
        within("graceful shutdown", task).await???;
        Ok(())
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// The tests' MCP client: testkit's (the edge's client core over reqwest), at this server,
/// every exchange within [`DEADLINE`].
pub(crate) struct McpClient(testkit::mcp::McpClient);

pub(crate) use testkit::mcp::Answer;

impl McpClient {
    pub(crate) fn new(server: &TestServer) -> Self {
        Self(testkit::mcp::McpClient::new(
            &reqwest::Client::new(),
            &server.mcp_url(),
        ))
    }

    /// Declares `capabilities` in `initialize`.
    pub(crate) fn with_capabilities(self, capabilities: Value) -> Self {
        Self(self.0.with_capabilities(capabilities))
    }

    /// Answers server requests on a request's stream with `answer(request)` as the result.
    pub(crate) fn with_answers(
        self,
        answer: impl Fn(&Value) -> Value + Send + Sync + 'static,
    ) -> Self {
        Self(self.0.with_answers(answer))
    }

    /// Sends `header: value` on every request.
    pub(crate) fn with_header(self, name: &'static str, value: &str) -> Self {
        Self(self.0.with_headers(&[(name.to_owned(), value.to_owned())]))
    }

    /// `initialize` with `version`, then `notifications/initialized`. Returns the result.
    pub(crate) async fn initialize(&mut self, version: &str) -> anyhow::Result<Value> {
        Ok(within("initialize", self.0.initialize_version(version)).await??)
    }

    /// Sends a request and returns its `result`; a JSON-RPC error fails.
    pub(crate) async fn request(&mut self, method: &str, params: Value) -> anyhow::Result<Value> {
        result_of(self.send(method, Some(params)).await?)
    }

    /// Calls a tool and returns the `CallToolResult`.
    pub(crate) async fn call_tool(
        &mut self,
        name: &str,
        arguments: Value,
    ) -> anyhow::Result<Value> {
        self.request("tools/call", json!({"name": name, "arguments": arguments}))
            .await
    }

    /// Sends a request and returns the whole HTTP answer.
    pub(crate) async fn send(
        &mut self,
        method: &str,
        params: Option<Value>,
    ) -> anyhow::Result<Answer> {
        within(method, self.0.send(method, params)).await?
    }
}

/// The `result` of a JSON-RPC answer, or an error naming the JSON-RPC error.
pub(crate) fn result_of(answer: Answer) -> anyhow::Result<Value> {
    let Some(message) = answer.message else {
        bail!(
            "HTTP {} without a JSON-RPC answer: {}",
            answer.status,
            answer.text
        );
    };
    match message.get("result") {
        Some(result) => Ok(result.clone()),
        None => bail!("JSON-RPC error: {message}"),
    }
}

/// The text of a tool result's single content item.
pub(crate) fn tool_text(result: &Value) -> anyhow::Result<&str> {
    let content = result["content"]
        .as_array()
        .context("content is an array")?;
    if content.len() != 1 || content[0]["type"] != "text" {
        bail!("expected one text item, got {result}");
    }
    content[0]["text"].as_str().context("text is a string")
}

/// Whether a tool result is marked as an error.
pub(crate) fn is_error(result: &Value) -> bool {
    result["isError"] == json!(true)
}
