//! The MCP tool table: [`Northwind`] serves `list_tables`, `describe_table` and `read_query`.
//!
//! Each tool runs its database work on `spawn_blocking` and answers with one text item holding
//! compact JSON. A tool that ran and failed (bad SQL, unknown table, a write) answers with a
//! result marked `isError`, so the model can read the message and try again. rmcp does the same
//! for arguments that do not fit the schema; only a malformed request (an unknown tool, broken
//! JSON-RPC) becomes a protocol error. All three tools are read-only and say so in their
//! annotations.

use std::sync::Arc;

use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{CallToolResult, ContentBlock, Implementation, ServerCapabilities, ServerConfig};
use rmcp::{ErrorData, ServerHandler, schemars, tool, tool_handler, tool_router};
use serde::{Deserialize, Serialize};

use crate::db::{Database, DbError};

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
}

#[tool_handler(router = self.tool_router)]
impl ServerHandler for Northwind {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new(
                "northwind-mcp",
                env!("CARGO_PKG_VERSION"),
            ))
            .with_instructions(INSTRUCTIONS)
    }
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
