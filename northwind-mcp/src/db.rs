//! The Northwind database: [`Database`] opens it, hands out read-only connections, and runs the
//! three tools' work.
//!
//! Every connection is opened with `SQLITE_OPEN_READ_ONLY` and `PRAGMA query_only`, and a model's
//! query must pass [`check_read_only`] and SQLite's own read-only test on the prepared
//! statement, so nothing the model sends can change the file. A query that runs longer than
//! the timeout is interrupted. Calls block: run them on `spawn_blocking`.
//!
//! | module | job |
//! |---|---|
//! | `load` | builds the file from the embedded script, atomically |
//! | `statement` | the lexical check of a model's query |
//! | `rows` | SQLite values to JSON, under the row and byte caps |
//! | `schema` | table list and table descriptions |

mod load;
mod rows;
mod schema;
mod statement;

use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use rusqlite::{Connection, ErrorCode, OpenFlags};

pub use load::{LoadError, NORTHWIND_SQL};
pub use rows::{MAX_BYTES, MAX_ROWS, RowSet, to_json};
pub use schema::{Column, ForeignKey, TableDescription, TableList, TableSummary, quote_ident};
pub use statement::{Rejection, check_read_only};

/// How long one call may run before SQLite is told to stop.
pub const DEFAULT_QUERY_TIMEOUT: Duration = Duration::from_secs(10);

/// The most memory SQLite may take in this process (one query cannot exhaust the machine).
const HEAP_LIMIT_BYTES: i64 = 256 * 1024 * 1024;

/// Idle connections kept for reuse; more are opened on demand and closed after use.
const MAX_IDLE: usize = 4;

/// How many SQLite VM steps pass between two looks at the clock.
const PROGRESS_STEPS: i32 = 1000;

/// The database file and a small pool of read-only connections to it.
#[derive(Debug)]
pub struct Database {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
    query_timeout: Duration,
}

/// Why a database call failed. The message is written for the model: it says what to change.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The database file could not be built.
    #[error(transparent)]
    Load(#[from] LoadError),
    /// The query text was refused before it ran.
    #[error(transparent)]
    Rejected(#[from] Rejection),
    /// SQLite says the prepared statement would write.
    #[error("the statement would change the database; only reads are allowed")]
    NotReadOnly,
    /// `describe_table` was asked about a name that is not there.
    #[error("no table or view named {0:?}; call list_tables to see the names")]
    UnknownTable(String),
    /// The call ran past the timeout and was interrupted.
    #[error("the query ran longer than {} s and was stopped; make it cheaper", .0.as_secs_f32())]
    TimedOut(Duration),
    /// SQLite reported an error (bad SQL, unknown column, ...).
    #[error("sqlite error: {0}")]
    Sqlite(rusqlite::Error),
}

impl Database {
    /// Opens the database at `path`, building it from the embedded script if the file is
    /// missing, and checks that it can be read.
    pub fn open(path: &Path) -> Result<Self, DbError> {
        load::ensure_built(path)?;
        let conn = open_read_only(path)?;
        conn.query_row("SELECT COUNT(*) FROM sqlite_schema", [], |_| Ok(()))
            .map_err(DbError::Sqlite)?;
        conn.query_row(
            &format!("PRAGMA hard_heap_limit = {HEAP_LIMIT_BYTES}"),
            [],
            |_| Ok(()),
        )
        .map_err(DbError::Sqlite)?;
        Ok(Self {
            path: path.to_owned(),
            idle: Mutex::new(vec![conn]),
            query_timeout: DEFAULT_QUERY_TIMEOUT,
        })
    }

    /// Sets how long one call may run.
    pub fn with_query_timeout(mut self, query_timeout: Duration) -> Self {
        self.query_timeout = query_timeout;
        self
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Lists tables and views with their row counts.
    pub fn list_tables(&self) -> Result<TableList, DbError> {
        let conn = self.checkout()?;
        schema::list_tables(&conn).map_err(|err| self.sqlite_error(err))
    }

    /// Describes one table or view; the name is matched without regard to case.
    pub fn describe_table(&self, table: &str) -> Result<TableDescription, DbError> {
        let conn = self.checkout()?;
        schema::describe_table(&conn, table)
            .map_err(|err| self.sqlite_error(err))?
            .ok_or_else(|| DbError::UnknownTable(table.to_owned()))
    }

    /// Runs one read-only query from the model and collects its rows under the caps.
    pub fn read_query(&self, sql: &str) -> Result<RowSet, DbError> {
        check_read_only(sql)?;
        let conn = self.checkout()?;
        run_read_only(&conn, sql).map_err(|err| match err {
            DbError::Sqlite(err) => self.sqlite_error(err),
            other => other,
        })
    }

    /// Takes an idle connection or opens one, and arms its timeout.
    fn checkout(&self) -> Result<PooledConnection<'_>, DbError> {
        let idle = self
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        let mut conn = match idle {
            Some(conn) => conn,
            None => open_read_only(&self.path)?,
        };
        let deadline = Instant::now() + self.query_timeout;
        conn.progress_handler(PROGRESS_STEPS, Some(move || Instant::now() >= deadline))
            .map_err(DbError::Sqlite)?;
        Ok(PooledConnection {
            conn: Some(conn),
            db: self,
        })
    }

    /// Turns an interruption by the progress handler into [`DbError::TimedOut`].
    fn sqlite_error(&self, err: rusqlite::Error) -> DbError {
        match err.sqlite_error_code() {
            Some(ErrorCode::OperationInterrupted) => DbError::TimedOut(self.query_timeout),
            _ => DbError::Sqlite(err),
        }
    }
}

/// Prepares `sql`, refuses it unless SQLite calls it read-only, and collects its rows.
fn run_read_only(conn: &Connection, sql: &str) -> Result<RowSet, DbError> {
    let mut stmt = conn.prepare(sql).map_err(DbError::Sqlite)?;
    if !stmt.readonly() {
        return Err(DbError::NotReadOnly);
    }
    let columns = stmt.column_names().map(str::to_owned).collect();
    let n_columns = stmt.column_count();
    let mut row_set = RowSet::new(columns);
    let mut rows = stmt.query([]).map_err(DbError::Sqlite)?;
    while let Some(row) = rows.next().map_err(DbError::Sqlite)? {
        let values = (0..n_columns)
            .map(|i| row.get_ref(i).map(to_json))
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(DbError::Sqlite)?;
        if !row_set.push(values) {
            break;
        }
    }
    Ok(row_set)
}

/// Opens a connection that cannot write: read-only at open and `query_only` on top.
fn open_read_only(path: &Path) -> Result<Connection, DbError> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(DbError::Sqlite)?;
    conn.pragma_update(None, "query_only", true)
        .map_err(DbError::Sqlite)?;
    Ok(conn)
}

/// A connection on loan from the pool; it goes back when dropped.
struct PooledConnection<'a> {
    conn: Option<Connection>,
    db: &'a Database,
}

impl Deref for PooledConnection<'_> {
    type Target = Connection;

    fn deref(&self) -> &Connection {
        // Only `drop` takes the connection out.
        self.conn.as_ref().expect("connection present until drop")
    }
}

impl Drop for PooledConnection<'_> {
    fn drop(&mut self) {
        let Some(conn) = self.conn.take() else {
            return;
        };
        let mut idle = self.db.idle.lock().unwrap_or_else(PoisonError::into_inner);
        if idle.len() < MAX_IDLE {
            idle.push(conn);
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::path::{Path, PathBuf};
    use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

    use serde_json::{Value, json};

    use super::{Database, DbError, Rejection, run_read_only};

    /// A fresh folder under the OS temp dir, removed on drop.
    pub(crate) struct TempDir(PathBuf);

    impl TempDir {
        pub(crate) fn new(name: &str) -> Self {
            let nanos = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap()
                .as_nanos();
            let path = std::env::temp_dir()
                .join("northwind-mcp-tests")
                .join(format!("{name}-{}-{nanos}", std::process::id()));
            std::fs::create_dir_all(&path).unwrap();
            Self(path)
        }

        pub(crate) fn path(&self) -> &Path {
            &self.0
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn northwind(name: &str) -> (TempDir, Database) {
        let dir = TempDir::new(name);
        let db = Database::open(&dir.path().join("northwind.db")).unwrap();
        (dir, db)
    }

    const SALES_BY_YEAR: &str = "SELECT strftime('%Y', o.OrderDate) AS year, \
        ROUND(SUM(od.UnitPrice*od.Quantity*(1-od.Discount)),2) AS sales \
        FROM Orders o JOIN \"Order Details\" od ON od.OrderID=o.OrderID \
        GROUP BY year ORDER BY year";

    #[test]
    fn answers_sales_by_year() {
        let (_dir, db) = northwind("sales");
        let rows = db.read_query(SALES_BY_YEAR).unwrap();
        assert_eq!(
            rows.to_json(),
            r#"{"columns":["year","sales"],"rows":[["1996",208083.97],["1997",617085.2],["1998",440623.87]],"row_count":3,"truncated":false}"#
        );
    }

    #[test]
    fn maps_blobs_and_nulls_from_real_queries() {
        let (_dir, db) = northwind("values");
        let rows = db
            .read_query("SELECT x'000102' AS b, NULL AS n, 7 AS i, 'é' AS t")
            .unwrap();
        assert_eq!(
            rows.rows(),
            [vec![
                json!("<blob 3 bytes>"),
                Value::Null,
                json!(7),
                json!("é")
            ]]
        );
    }

    #[test]
    fn stops_reading_at_the_row_cap() {
        // An endless query: only the cap makes it return.
        let (_dir, db) = northwind("cap");
        let rows = db
            .read_query(
                "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n+1 FROM c) SELECT n FROM c",
            )
            .unwrap();
        assert_eq!(rows.rows().len(), super::MAX_ROWS);
        assert!(rows.truncated());
    }

    #[test]
    fn refuses_writes_at_every_layer() {
        let (_dir, db) = northwind("writes");
        let err = db.read_query("DELETE FROM Orders").unwrap_err();
        assert!(
            matches!(err, DbError::Rejected(Rejection::NotSelect(_))),
            "{err:?}"
        );
        let conn = db.checkout().unwrap();
        // Past the lexical check, SQLite's read-only test on the statement refuses it.
        let err = run_read_only(&conn, "DELETE FROM Orders").unwrap_err();
        assert!(matches!(err, DbError::NotReadOnly), "{err:?}");
        // And the connection itself cannot write.
        let err = conn.execute("DELETE FROM Region", []).unwrap_err();
        assert!(err.to_string().contains("readonly"), "{err}");
        drop(conn);
        assert_eq!(
            db.read_query("SELECT COUNT(*) FROM Orders").unwrap().rows(),
            [vec![json!(830)]]
        );
    }

    #[test]
    fn reports_sql_errors_for_the_model() {
        let (_dir, db) = northwind("errors");
        let err = db.read_query("SELECT nope FROM Orders").unwrap_err();
        assert_eq!(
            err.to_string(),
            "sqlite error: no such column: nope in SELECT nope FROM Orders at offset 7"
        );
    }

    #[test]
    fn interrupts_a_query_past_the_timeout() {
        let (_dir, db) = northwind("timeout");
        let db = db.with_query_timeout(Duration::from_millis(200));
        let started = Instant::now();
        let err = db
            .read_query("WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n+1 FROM c) SELECT COUNT(*) FROM c")
            .unwrap_err();
        assert!(matches!(err, DbError::TimedOut(_)), "{err:?}");
        assert!(started.elapsed() < Duration::from_secs(5));
        // The connection went back to the pool and works again with a fresh deadline.
        assert_eq!(db.read_query("SELECT 1").unwrap().rows(), [vec![json!(1)]]);
    }

    #[test]
    fn lists_and_describes_tables() {
        let (_dir, db) = northwind("schema");
        let list = db.list_tables().unwrap();
        let n_tables = list.tables.iter().filter(|t| t.kind == "table").count();
        let n_views = list.tables.iter().filter(|t| t.kind == "view").count();
        assert_eq!((n_tables, n_views), (13, 4));
        let details = list
            .tables
            .iter()
            .find(|t| t.name == "Order Details")
            .unwrap();
        assert_eq!(details.rows, 2155);

        let table = db.describe_table("order details").unwrap();
        assert_eq!(table.name, "Order Details");
        let keys: Vec<_> = table
            .columns
            .iter()
            .filter(|c| c.primary_key)
            .map(|c| c.name.as_str())
            .collect();
        assert_eq!(keys, ["OrderID", "ProductID"]);
        let targets: Vec<_> = table
            .foreign_keys
            .iter()
            .map(|fk| (fk.column.as_str(), fk.references_table.as_str()))
            .collect();
        assert_eq!(targets, [("OrderID", "Orders"), ("ProductID", "Products")]);

        let err = db.describe_table("Invoices").unwrap_err();
        assert_eq!(
            err.to_string(),
            r#"no table or view named "Invoices"; call list_tables to see the names"#
        );
    }
}
