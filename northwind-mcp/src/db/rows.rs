//! Query results as JSON: [`RowSet`] collects rows under the row and byte caps.
//!
//! A result never holds more than [`MAX_ROWS`] rows, and its JSON text never exceeds
//! [`MAX_BYTES`]. When a cap cuts the result, `truncated` is true and `note` says why, so the
//! model knows to narrow the query. SQLite values map to JSON as [`to_json`] describes.

use rusqlite::types::ValueRef;
use serde::Serialize;
use serde_json::Value;

/// The most rows one result carries.
pub const MAX_ROWS: usize = 500;
/// The most bytes of JSON one result takes.
pub const MAX_BYTES: usize = 64 * 1024;

/// Maps one SQLite value to JSON.
///
/// NULL is `null`, INTEGER and REAL are numbers (a REAL that is not finite becomes `null`,
/// which JSON cannot spell otherwise), TEXT is a string (invalid UTF-8 is replaced), and a BLOB
/// becomes the string `"<blob N bytes>"`.
pub fn to_json(value: ValueRef<'_>) -> Value {
    match value {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(n) => Value::from(n),
        ValueRef::Real(x) => serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number),
        ValueRef::Text(bytes) => Value::String(String::from_utf8_lossy(bytes).into_owned()),
        ValueRef::Blob(bytes) => Value::String(format!("<blob {} bytes>", bytes.len())),
    }
}

/// The rows of one query, collected under the caps.
#[derive(Debug, Clone, PartialEq)]
pub struct RowSet {
    columns: Vec<String>,
    rows: Vec<Vec<Value>>,
    /// Bytes the rows may still take.
    budget: usize,
    cut: Option<Cut>,
}

/// Which cap cut a result short.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cut {
    Rows,
    Bytes,
}

/// The JSON shape of a result, fields in the order the model reads them.
#[derive(Serialize)]
struct Output<'a> {
    columns: &'a [String],
    rows: &'a [Vec<Value>],
    row_count: usize,
    truncated: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<String>,
}

impl RowSet {
    /// Starts an empty result with these column names.
    pub fn new(columns: Vec<String>) -> Self {
        // Reserve room for everything but the rows, as if the longest note were present.
        let envelope = [Cut::Rows, Cut::Bytes]
            .into_iter()
            .map(|cut| {
                let output = Output {
                    columns: &columns,
                    rows: &[],
                    row_count: MAX_ROWS,
                    truncated: false,
                    note: Some(note(cut, MAX_ROWS)),
                };
                serde_json::to_string(&output).map_or(MAX_BYTES, |json| json.len())
            })
            .max()
            .unwrap_or(MAX_BYTES);
        Self {
            columns,
            rows: Vec::new(),
            budget: MAX_BYTES.saturating_sub(envelope),
            cut: None,
        }
    }

    /// Adds a row if it fits. Returns false when the result is full: the row was not added,
    /// the result is marked truncated, and the caller should stop reading.
    pub fn push(&mut self, row: Vec<Value>) -> bool {
        if self.cut.is_some() {
            return false;
        }
        if self.rows.len() == MAX_ROWS {
            self.cut = Some(Cut::Rows);
            return false;
        }
        // The row's JSON plus the comma that separates it from the previous one.
        let n_bytes = serde_json::to_string(&row).map_or(usize::MAX, |json| json.len() + 1);
        if n_bytes > self.budget {
            self.cut = Some(Cut::Bytes);
            return false;
        }
        self.budget -= n_bytes;
        self.rows.push(row);
        true
    }

    /// The column names.
    pub fn columns(&self) -> &[String] {
        &self.columns
    }

    /// The rows kept.
    pub fn rows(&self) -> &[Vec<Value>] {
        &self.rows
    }

    /// Whether a cap cut the result short.
    pub fn truncated(&self) -> bool {
        self.cut.is_some()
    }

    /// The compact JSON text sent to the model:
    /// `{"columns":[..],"rows":[[..],..],"row_count":N,"truncated":bool,"note"?:".."}`.
    pub fn to_json(&self) -> String {
        let output = Output {
            columns: &self.columns,
            rows: &self.rows,
            row_count: self.rows.len(),
            truncated: self.cut.is_some(),
            note: self.cut.map(|cut| note(cut, self.rows.len())),
        };
        serde_json::to_string(&output).unwrap_or_else(|_| r#"{"error":"unencodable"}"#.to_owned())
    }
}

/// Tells the model why the result stops after `n_rows` rows and what to do about it.
fn note(cut: Cut, n_rows: usize) -> String {
    match cut {
        Cut::Rows => format!(
            "result cut at {n_rows} rows (the limit); more rows matched. \
             Aggregate, filter, or page with LIMIT and OFFSET."
        ),
        Cut::Bytes => format!(
            "result cut at {n_rows} rows to stay under 64 KiB of JSON; more rows matched. \
             Select fewer or shorter columns, filter, or aggregate."
        ),
    }
}

#[cfg(test)]
mod tests {
    use rusqlite::types::ValueRef;
    use serde_json::{Value, json};

    use super::{MAX_BYTES, MAX_ROWS, RowSet, to_json};

    fn check_value(value: ValueRef<'_>, expected: Value) {
        assert_eq!(to_json(value), expected, "value: {value:?}");
    }

    #[test]
    fn maps_sqlite_values_to_json() {
        check_value(ValueRef::Null, Value::Null);
        check_value(ValueRef::Integer(42), json!(42));
        check_value(ValueRef::Integer(i64::MIN), json!(i64::MIN));
        check_value(ValueRef::Real(208083.97), json!(208083.97));
        check_value(ValueRef::Real(-0.5), json!(-0.5));
        check_value(ValueRef::Real(f64::INFINITY), Value::Null);
        check_value(ValueRef::Text(b"Chai"), json!("Chai"));
        check_value(ValueRef::Text("Québec".as_bytes()), json!("Québec"));
        check_value(ValueRef::Text(b"\xff"), json!("\u{fffd}"));
        check_value(ValueRef::Blob(&[0, 1, 2]), json!("<blob 3 bytes>"));
        check_value(ValueRef::Blob(&[]), json!("<blob 0 bytes>"));
    }

    #[test]
    fn reals_keep_serde_json_formatting_in_the_output() {
        let mut rows = RowSet::new(vec!["year".to_owned(), "sales".to_owned()]);
        rows.push(vec![json!("1996"), to_json(ValueRef::Real(208083.97))]);
        rows.push(vec![json!("1997"), to_json(ValueRef::Real(617085.2))]);
        assert_eq!(
            rows.to_json(),
            r#"{"columns":["year","sales"],"rows":[["1996",208083.97],["1997",617085.2]],"row_count":2,"truncated":false}"#
        );
    }

    #[test]
    fn stops_after_max_rows_and_says_so() {
        let mut rows = RowSet::new(vec!["n".to_owned()]);
        for n in 0..MAX_ROWS {
            assert!(rows.push(vec![json!(n)]), "row {n} should fit");
        }
        assert!(!rows.truncated(), "exactly MAX_ROWS rows is not a cut");
        assert!(!rows.push(vec![json!(MAX_ROWS)]));
        assert!(rows.truncated());
        let output: Value = serde_json::from_str(&rows.to_json()).unwrap();
        assert_eq!(output["row_count"], json!(MAX_ROWS));
        assert_eq!(output["rows"].as_array().unwrap().len(), MAX_ROWS);
        assert_eq!(output["truncated"], json!(true));
        assert!(output["note"].as_str().unwrap().contains("500 rows"));
    }

    #[test]
    fn stops_before_max_bytes_and_says_so() {
        let mut rows = RowSet::new(vec!["text".to_owned()]);
        let wide = "x".repeat(1000);
        let mut n_kept = 0;
        while rows.push(vec![json!(wide)]) {
            n_kept += 1;
        }
        assert!(n_kept > 50 && n_kept < 66, "kept {n_kept} rows of 1 KB");
        let json = rows.to_json();
        assert!(json.len() <= MAX_BYTES, "output is {} bytes", json.len());
        let output: Value = serde_json::from_str(&json).unwrap();
        assert_eq!(output["row_count"], json!(n_kept));
        assert_eq!(output["truncated"], json!(true));
        assert!(output["note"].as_str().unwrap().contains("64 KiB"));
    }

    #[test]
    fn a_row_wider_than_the_cap_is_left_out() {
        let mut rows = RowSet::new(vec!["text".to_owned()]);
        assert!(!rows.push(vec![json!("y".repeat(MAX_BYTES))]));
        assert!(rows.rows().is_empty());
        assert!(rows.truncated());
        assert!(rows.to_json().len() <= MAX_BYTES);
    }

    #[test]
    fn a_cut_result_with_its_note_fits_the_byte_cap() {
        let mut rows = RowSet::new(vec!["a".to_owned(), "b".to_owned()]);
        let row = vec![json!("z".repeat(120)), json!(1.5)];
        while rows.push(row.clone()) {}
        assert!(rows.to_json().len() <= MAX_BYTES);
    }
}
