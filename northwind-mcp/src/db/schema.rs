//! What the database holds: [`list_tables`] and [`describe_table`], as JSON-ready values.
//!
//! Table names come from the data, so every name put into SQL text goes through
//! [`quote_ident`]; names given by the model are bound as parameters instead.

use rusqlite::{Connection, OptionalExtension};
use serde::Serialize;

/// Every table and view, for `list_tables`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TableList {
    /// Tables first, then views, each by name.
    pub tables: Vec<TableSummary>,
}

/// One table or view and its row count.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TableSummary {
    /// The name as SQL needs it, before quoting.
    pub name: String,
    /// `table` or `view`.
    #[serde(rename = "type")]
    pub kind: String,
    /// How many rows it holds (for a view, how many it yields).
    pub rows: i64,
}

/// The columns and foreign keys of one table or view, for `describe_table`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TableDescription {
    /// The name as stored (the lookup ignores case).
    pub name: String,
    /// `table` or `view`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The columns in order.
    pub columns: Vec<Column>,
    /// Columns that refer to another table's key.
    pub foreign_keys: Vec<ForeignKey>,
}

/// One column.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Column {
    /// Its name.
    pub name: String,
    /// Its declared type (`INTEGER`, `TEXT`, `REAL`, `BLOB`; empty for some view columns).
    #[serde(rename = "type")]
    pub declared_type: String,
    /// Whether it is declared NOT NULL.
    pub not_null: bool,
    /// Whether it is part of the primary key.
    pub primary_key: bool,
}

/// One foreign key column.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ForeignKey {
    /// The column in this table.
    pub column: String,
    /// The table it refers to.
    pub references_table: String,
    /// The column it refers to.
    pub references_column: String,
}

/// Lists user tables and views (not SQLite's own) with their row counts.
pub(crate) fn list_tables(conn: &Connection) -> rusqlite::Result<TableList> {
    let mut stmt = conn.prepare(
        "SELECT name, type FROM sqlite_schema \
         WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' \
         ORDER BY type, name",
    )?;
    let names = stmt
        .query_map([], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let tables = names
        .into_iter()
        .map(|(name, kind)| {
            let sql = format!("SELECT COUNT(*) FROM {}", quote_ident(&name));
            let rows = conn.query_row(&sql, [], |row| row.get(0))?;
            Ok(TableSummary { name, kind, rows })
        })
        .collect::<rusqlite::Result<_>>()?;
    Ok(TableList { tables })
}

/// Describes the table or view called `name` (any case), or `None` when there is none.
pub(crate) fn describe_table(
    conn: &Connection,
    name: &str,
) -> rusqlite::Result<Option<TableDescription>> {
    let found = conn
        .query_row(
            "SELECT name, type FROM sqlite_schema \
             WHERE type IN ('table', 'view') AND name = ?1 COLLATE NOCASE",
            [name],
            |row| Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?)),
        )
        .optional()?;
    let Some((name, kind)) = found else {
        return Ok(None);
    };
    let columns = conn
        .prepare("SELECT name, type, \"notnull\", pk FROM pragma_table_info(?1) ORDER BY cid")?
        .query_map([&name], |row| {
            Ok(Column {
                name: row.get(0)?,
                declared_type: row.get(1)?,
                not_null: row.get::<_, i64>(2)? != 0,
                primary_key: row.get::<_, i64>(3)? > 0,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    // SQLite numbers foreign keys from the last declared one: `id DESC` gives source order.
    let foreign_keys = conn
        .prepare("SELECT \"from\", \"table\", \"to\" FROM pragma_foreign_key_list(?1) ORDER BY id DESC, seq")?
        .query_map([&name], |row| {
            Ok(ForeignKey {
                column: row.get(0)?,
                references_table: row.get(1)?,
                // NULL when the key refers to the other table's primary key implicitly.
                references_column: row.get::<_, Option<String>>(2)?.unwrap_or_default(),
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(Some(TableDescription {
        name,
        kind,
        columns,
        foreign_keys,
    }))
}

/// Quotes an identifier for SQL text: `Order Details` becomes `"Order Details"`, and an
/// embedded `"` is doubled.
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use rusqlite::Connection;

    use super::{describe_table, list_tables, quote_ident};

    #[test]
    fn quotes_identifiers() {
        for (name, quoted) in [
            ("Orders", r#""Orders""#),
            ("Order Details", r#""Order Details""#),
            (r#"a"b"#, r#""a""b""#),
            ("", r#""""#),
        ] {
            assert_eq!(quote_ident(name), quoted, "name: {name}");
        }
    }

    fn odd_database() -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            r#"CREATE TABLE "we""ird" (id INTEGER PRIMARY KEY, "my col" TEXT NOT NULL);
               INSERT INTO "we""ird" VALUES (1, 'a'), (2, 'b');
               CREATE TABLE child (id INTEGER, parent INTEGER REFERENCES "we""ird" (id));
               CREATE VIEW "two rows" AS SELECT * FROM "we""ird";"#,
        )
        .unwrap();
        conn
    }

    #[test]
    fn lists_tables_and_views_with_awkward_names() {
        let list = list_tables(&odd_database()).unwrap();
        let got: Vec<_> = list
            .tables
            .iter()
            .map(|t| (t.name.as_str(), t.kind.as_str(), t.rows))
            .collect();
        assert_eq!(
            got,
            [
                ("child", "table", 0),
                (r#"we"ird"#, "table", 2),
                ("two rows", "view", 2)
            ]
        );
    }

    #[test]
    fn describes_columns_and_foreign_keys_ignoring_case() {
        let conn = odd_database();
        let table = describe_table(&conn, r#"WE"IRD"#).unwrap().unwrap();
        assert_eq!(table.name, r#"we"ird"#);
        let json = serde_json::to_string(&table.columns).unwrap();
        assert_eq!(
            json,
            r#"[{"name":"id","type":"INTEGER","not_null":false,"primary_key":true},{"name":"my col","type":"TEXT","not_null":true,"primary_key":false}]"#
        );
        let child = describe_table(&conn, "child").unwrap().unwrap();
        let json = serde_json::to_string(&child.foreign_keys).unwrap();
        assert_eq!(
            json,
            r#"[{"column":"parent","references_table":"we\"ird","references_column":"id"}]"#
        );
        assert_eq!(describe_table(&conn, "nope").unwrap(), None);
    }
}
