//! The MCP tool table: [`Northwind`] serves `list_tables`, `describe_table` and `read_query`,
//! plus three that show MCP beyond plain tool calls: `chart_query` (its result drawn by the
//! MCP App view of [`crate::mcp_app`]), `slow_query` (reports `notifications/progress` when the call
//! carries a progress token) and `sales_for_year` (asks the user which year through elicitation
//! when the caller did not say and the client can be asked).
//!
//! Each tool runs its database work on `spawn_blocking` and answers with one text item holding
//! compact JSON. A tool that ran and failed (bad SQL, unknown table, a write) answers with a
//! result marked `isError`, so the model can read the message and try again. rmcp does the same
//! for arguments that do not fit the schema; only a malformed request (an unknown tool, broken
//! JSON-RPC) becomes a protocol error. All tools are read-only and say so in their annotations.
//! The server also lists and reads the chart view as a resource, and offers the prompts of
//! [`crate::prompts`].

use std::sync::Arc;
use std::time::Duration;

use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{
    CallToolResult, ContentBlock, GetPromptRequestParams, GetPromptResponse, Implementation,
    ListPromptsResult, ListResourcesResult, PaginatedRequestParams, ProgressNotificationParam,
    ReadResourceRequestParams, ReadResourceResponse, RequestMetaObject, ServerCapabilities,
    ServerConfig,
};
use rmcp::service::{ElicitationError, RequestContext};
use rmcp::{ErrorData, Peer, RoleServer, ServerHandler, schemars, tool, tool_handler, tool_router};
use serde::{Deserialize, Serialize};

use crate::db::{Database, DbError};
use crate::{mcp_app, prompts};

/// How long each of `slow_query`'s steps takes (the point of the tool is to be slow enough to
/// show progress).
pub const SLOW_STEP: Duration = Duration::from_millis(250);

/// The years the orders cover.
pub const YEARS: std::ops::RangeInclusive<i64> = 1996..=1998;

/// What the model is told about this server when it connects.
pub const INSTRUCTIONS: &str = "\
Read-only access to the Northwind sample database (SQLite 3): a small food trading company's \
customers, suppliers, products, employees, orders (830 orders from July 1996 to May 1998), \
order lines in \"Order Details\" and shippers, plus regions and territories, and four views \
such as \"Sales by Category\". Start with list_tables, then describe_table for the columns you \
need, then read_query with one SELECT. Quote names that contain spaces with double quotes \
(\"Order Details\"). Dates are TEXT like '1997-03-15 00:00:00': use strftime() or compare as \
strings. Money is REAL: round with ROUND(x, 2). A line's value is \
UnitPrice * Quantity * (1 - Discount).";

/// The server: the database and the table of tools.
#[derive(Debug, Clone)]
pub struct Northwind {
    db: Arc<Database>,
    tool_router: ToolRouter<Self>,
}

/// Arguments of `describe_table`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct DescribeTableParams {
    /// The table or view name exactly as list_tables shows it, without SQL quotes, for example
    /// `Order Details` or `Products`. Case does not matter.
    pub table: String,
}

/// Arguments of `read_query`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct ReadQueryParams {
    /// One SQLite query that starts with SELECT or WITH, for example
    /// `SELECT CategoryName, COUNT(*) AS products FROM Categories JOIN Products USING (CategoryID) GROUP BY CategoryName`.
    /// Exactly one statement; no INSERT, UPDATE, DELETE, PRAGMA or ATTACH. Double-quote names
    /// with spaces ("Order Details"). At most 500 rows and 64 KiB come back: aggregate or use
    /// LIMIT for big tables.
    pub query: String,
}

/// Arguments of `chart_query`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct ChartQueryParams {
    /// One SQLite SELECT whose first column labels the bars and whose first numeric column
    /// after it gives their lengths, for example
    /// `SELECT CategoryName, COUNT(*) AS products FROM Categories JOIN Products USING (CategoryID) GROUP BY CategoryName`.
    /// Same rules as read_query; at most 40 bars are drawn.
    pub query: String,
    /// The chart's title, for example `Products per category`.
    #[serde(default)]
    pub title: Option<String>,
}

/// Arguments of `sales_for_year`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct SalesForYearParams {
    /// The year, 1996, 1997 or 1998. Leave it out when the user did not say: the user is asked.
    #[serde(default)]
    pub year: Option<i64>,
}

/// What the user is asked for when `sales_for_year` gets no year.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct YearChoice {
    /// The year of the orders (1996 to 1998).
    #[schemars(range(min = 1996, max = 1998))]
    pub year: i64,
}

rmcp::elicit_safe!(YearChoice);

#[tool_router]
impl Northwind {
    /// A server over `db`.
    pub fn new(db: Arc<Database>) -> Self {
        Self {
            db,
            tool_router: Self::tool_router(),
        }
    }

    /// List every table and view in the Northwind database with its row count. Returns JSON
    /// `{"tables":[{"name","type","rows"}]}`.
    #[tool(name = "list_tables", annotations(read_only_hint = true))]
    async fn list_tables(&self) -> Result<CallToolResult, ErrorData> {
        let db = Arc::clone(&self.db);
        Ok(blocking(move || db.list_tables().map(|list| json_text(&list))).await)
    }

    /// Describe one table or view: its columns (name, type, not_null, primary_key) and its
    /// foreign keys (column, references_table, references_column). Returns JSON.
    #[tool(name = "describe_table", annotations(read_only_hint = true))]
    async fn describe_table(
        &self,
        Parameters(params): Parameters<DescribeTableParams>,
    ) -> Result<CallToolResult, ErrorData> {
        let db = Arc::clone(&self.db);
        Ok(blocking(move || {
            db.describe_table(&params.table)
                .map(|table| json_text(&table))
        })
        .await)
    }

    /// Run one read-only SQLite query (SELECT or WITH ... SELECT) on the Northwind database.
    /// Returns JSON `{"columns":[...],"rows":[[...]],"row_count":N,"truncated":bool}`, plus a
    /// `note` when the result was cut at 500 rows or 64 KiB.
    #[tool(name = "read_query", annotations(read_only_hint = true))]
    async fn read_query(
        &self,
        Parameters(params): Parameters<ReadQueryParams>,
    ) -> Result<CallToolResult, ErrorData> {
        let db = Arc::clone(&self.db);
        Ok(blocking(move || db.read_query(&params.query).map(|rows| rows.to_json())).await)
    }

    /// Run one read-only SQLite query and show its result to the user as a bar chart (an
    /// interactive view in clients that render MCP Apps). Returns the same JSON as read_query.
    #[tool(
        name = "chart_query",
        annotations(read_only_hint = true),
        meta = mcp_app::chart_tool_meta()
    )]
    async fn chart_query(
        &self,
        Parameters(params): Parameters<ChartQueryParams>,
    ) -> Result<CallToolResult, ErrorData> {
        let db = Arc::clone(&self.db);
        Ok(blocking(move || db.read_query(&params.query).map(|rows| rows.to_json())).await)
    }

    /// Run one read-only SQLite query the slow way (about a second), reporting progress as it
    /// goes. Same arguments and answer as read_query; use read_query unless asked to be slow.
    #[tool(name = "slow_query", annotations(read_only_hint = true))]
    async fn slow_query(
        &self,
        Parameters(params): Parameters<ReadQueryParams>,
        meta: RequestMetaObject,
        client: Peer<RoleServer>,
    ) -> Result<CallToolResult, ErrorData> {
        const STEPS: [&str; 4] = [
            "checking the query",
            "reading the tables",
            "adding up",
            "formatting the answer",
        ];
        let token = meta.get_progress_token();
        let total = STEPS.len() as f64;
        let report = |done: usize, message: &str| {
            let client = client.clone();
            let token = token.clone();
            let message = message.to_owned();
            async move {
                if let Some(token) = token {
                    let note = ProgressNotificationParam::new(token, done as f64)
                        .with_total(total)
                        .with_message(message);
                    // A client that went away does not stop the query.
                    let _ = client.notify_progress(note).await;
                }
            }
        };
        for (done, step) in STEPS.iter().enumerate() {
            report(done, step).await;
            tokio::time::sleep(SLOW_STEP).await;
        }
        let db = Arc::clone(&self.db);
        let result =
            blocking(move || db.read_query(&params.query).map(|rows| rows.to_json())).await;
        report(STEPS.len(), "done").await;
        Ok(result)
    }

    /// Total sales (after discounts) and order count of one year. Without a year, the user is
    /// asked which one (when the client supports elicitation); otherwise the answer says which
    /// years exist.
    #[tool(name = "sales_for_year", annotations(read_only_hint = true))]
    async fn sales_for_year(
        &self,
        Parameters(params): Parameters<SalesForYearParams>,
        client: Peer<RoleServer>,
    ) -> Result<CallToolResult, ErrorData> {
        let year = match params.year {
            Some(year) => year,
            None => match client
                .elicit::<YearChoice>("Which year of Northwind orders: 1996, 1997 or 1998?")
                .await
            {
                Ok(Some(choice)) => choice.year,
                Ok(None) | Err(ElicitationError::NoContent) => {
                    return Ok(tool_error("no year was given"));
                }
                Err(ElicitationError::UserDeclined | ElicitationError::UserCancelled) => {
                    return Ok(tool_error("the user did not choose a year"));
                }
                Err(_) => {
                    return Ok(tool_error(
                        "which year? The orders cover 1996, 1997 and 1998: call again with year",
                    ));
                }
            },
        };
        if !YEARS.contains(&year) {
            return Ok(tool_error(&format!(
                "there are no orders in {year}: the orders cover 1996, 1997 and 1998"
            )));
        }
        // `year` is a checked integer, so formatting it into the SQL is safe.
        let query = format!(
            "SELECT '{year}' AS year, COUNT(DISTINCT o.OrderID) AS orders, \
             ROUND(SUM(od.UnitPrice*od.Quantity*(1-od.Discount)),2) AS sales \
             FROM Orders o JOIN \"Order Details\" od ON od.OrderID=o.OrderID \
             WHERE strftime('%Y', o.OrderDate) = '{year}'"
        );
        let db = Arc::clone(&self.db);
        Ok(blocking(move || db.read_query(&query).map(|rows| rows.to_json())).await)
    }
}

#[tool_handler(router = self.tool_router)]
impl ServerHandler for Northwind {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(
            ServerCapabilities::builder()
                .enable_tools()
                .enable_resources()
                .enable_prompts()
                .build(),
        )
        .with_server_info(Implementation::new(
            "northwind-mcp",
            env!("CARGO_PKG_VERSION"),
        ))
        .with_instructions(INSTRUCTIONS)
    }

    async fn list_prompts(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListPromptsResult, ErrorData> {
        Ok(ListPromptsResult::with_all_items(prompts::list()))
    }

    async fn get_prompt(
        &self,
        request: GetPromptRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<GetPromptResponse, ErrorData> {
        prompts::get(&request.name, request.arguments.as_ref()).map(GetPromptResponse::from)
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        Ok(ListResourcesResult::with_all_items(vec![
            mcp_app::chart_resource(),
        ]))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        mcp_app::read(&request.uri)
            .map(ReadResourceResponse::from)
            .ok_or_else(|| ErrorData::resource_not_found("no such resource", None))
    }
}

/// A tool result that tells the model what went wrong.
fn tool_error(message: &str) -> CallToolResult {
    CallToolResult::error(vec![ContentBlock::text(message)])
}

/// Compact JSON text of a tool's answer.
fn json_text(value: &impl Serialize) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| r#"{"error":"unencodable"}"#.to_owned())
}

/// Runs `job` on the blocking pool and turns its outcome into a tool result.
async fn blocking(
    job: impl FnOnce() -> Result<String, DbError> + Send + 'static,
) -> CallToolResult {
    match tokio::task::spawn_blocking(job).await {
        Ok(Ok(text)) => CallToolResult::success(vec![ContentBlock::text(text)]),
        Ok(Err(err)) => CallToolResult::error(vec![ContentBlock::text(err.to_string())]),
        Err(_) => CallToolResult::error(vec![ContentBlock::text("the tool failed unexpectedly")]),
    }
}
