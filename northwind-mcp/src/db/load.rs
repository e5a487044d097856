//! Building the database file from the embedded Northwind SQL: [`ensure_built`].
//!
//! The file appears whole or not at all: the script runs into a temporary file in the same
//! folder, which is then renamed over the target. A crash halfway leaves only a stray temporary
//! file, never a half-built database that a later start would trust.

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use rusqlite::Connection;

/// The Northwind script (see `data/README.md` for its origin and licence).
pub const NORTHWIND_SQL: &str = include_str!("../../data/northwind.sql");

/// Why the database file could not be built.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// Creating, writing or renaming the file failed.
    #[error("cannot write {path}: {source}")]
    Io {
        /// The file that failed.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// SQLite could not run the script.
    #[error("cannot load the Northwind script into {path}: {source}")]
    Script {
        /// The temporary file the script ran into.
        path: PathBuf,
        /// SQLite's error.
        source: rusqlite::Error,
    },
}

/// Builds the database at `path` from [`NORTHWIND_SQL`] unless a file is already there.
/// Returns true when it built one.
pub(crate) fn ensure_built(path: &Path) -> Result<bool, LoadError> {
    if path.exists() {
        return Ok(false);
    }
    let temp = temp_path(path);
    let res = build_into(&temp).and_then(|()| {
        std::fs::rename(&temp, path).map_err(|source| LoadError::Io {
            path: path.to_owned(),
            source,
        })
    });
    if res.is_err() {
        // Best effort: the temporary file may not exist yet.
        let _ = std::fs::remove_file(&temp);
    }
    res.map(|()| true)
}

/// Runs the script into a new file at `temp` and closes it.
fn build_into(temp: &Path) -> Result<(), LoadError> {
    let script_error = |source| LoadError::Script {
        path: temp.to_owned(),
        source,
    };
    let conn = Connection::open(temp).map_err(script_error)?;
    conn.execute_batch(NORTHWIND_SQL).map_err(script_error)?;
    conn.close().map_err(|(_, source)| script_error(source))
}

/// A name beside `path` that no other process picks: `.<name>.<pid>.<nanos>.tmp`.
fn temp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map_or_else(|| "northwind.db".into(), |name| name.to_string_lossy());
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_nanos());
    let temp_name = format!(".{name}.{}.{nanos}.tmp", std::process::id());
    path.with_file_name(temp_name)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use rusqlite::Connection;

    use super::{ensure_built, temp_path};
    use crate::db::tests::TempDir;

    fn count(conn: &Connection, table: &str) -> i64 {
        conn.query_row(&format!("SELECT COUNT(*) FROM \"{table}\""), [], |row| {
            row.get(0)
        })
        .unwrap()
    }

    #[test]
    fn builds_the_whole_database_once() {
        let dir = TempDir::new("load-once");
        let path = dir.path().join("northwind.db");
        assert!(ensure_built(&path).unwrap());
        let conn = Connection::open(&path).unwrap();
        for (table, n_rows) in [("Orders", 830), ("Order Details", 2155), ("Region", 4)] {
            assert_eq!(count(&conn, table), n_rows, "rows in {table}");
        }
        // The second call trusts the file and leaves no temporary files behind.
        assert!(!ensure_built(&path).unwrap());
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|entry| entry.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(names, ["northwind.db"]);
    }

    #[test]
    fn fails_without_leaving_a_file_when_the_folder_is_missing() {
        let dir = TempDir::new("load-missing");
        let path = dir.path().join("no-such-folder").join("northwind.db");
        let err = ensure_built(&path).unwrap_err();
        assert!(err.to_string().contains("no-such-folder"), "{err}");
        assert!(!path.exists());
    }

    #[test]
    fn temp_file_sits_beside_the_target() {
        let temp = temp_path(Path::new("/data/northwind.db"));
        assert_eq!(temp.parent(), Some(Path::new("/data")));
        let name = temp.file_name().unwrap().to_str().unwrap();
        assert!(
            name.starts_with(".northwind.db.") && name.ends_with(".tmp"),
            "{name}"
        );
    }
}
