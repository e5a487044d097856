//! The read-only statement check: [`check_read_only`] decides whether a query text may run.
//!
//! It accepts exactly one statement that starts with `SELECT` or `WITH` (after whitespace and
//! comments), optionally followed by `;`. A `WITH` must lead into `SELECT` or `VALUES`, not into
//! `INSERT`, `UPDATE`, `DELETE` or `REPLACE`. This is the first of three guards: the connection is
//! also opened read-only with `PRAGMA query_only`, and the prepared statement must report itself
//! read-only. The check is lexical: it skips comments, string literals and quoted identifiers
//! the way SQLite's tokenizer does, so a `;` or a keyword inside them does not count.

/// Why a query text was refused before it reached SQLite.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    /// Nothing but whitespace, comments or `;`.
    #[error("the query is empty; send one SELECT or WITH statement")]
    Empty,
    /// The first word is not `SELECT` or `WITH`.
    #[error("only SELECT or WITH queries are allowed, and this one starts with {0}")]
    NotSelect(String),
    /// Something other than comments follows the first `;`.
    #[error("only one statement is allowed; remove everything after the first `;`")]
    MultipleStatements,
    /// A `WITH` clause leads into a write.
    #[error("a WITH query must end in a SELECT, and this one runs {0}")]
    WithWrite(String),
    /// A string literal, quoted identifier or bracket is never closed.
    #[error("the query has an unterminated {0}")]
    Unterminated(&'static str),
}

/// Checks that `sql` is exactly one read-only `SELECT` or `WITH ... SELECT` statement.
pub fn check_read_only(sql: &str) -> Result<(), Rejection> {
    let tokens = tokenize(sql)?;
    let mut statement = tokens.split(|token| *token == Token::Semicolon);
    let first = statement.next().unwrap_or_default();
    // Empty statements after the first `;` are harmless; `; SELECT 1` counts as two.
    if statement.any(|rest| !rest.is_empty()) {
        return Err(Rejection::MultipleStatements);
    }
    let Some(lead) = first.first() else {
        return Err(Rejection::Empty);
    };
    match lead {
        Token::Word { text, .. } if text == "SELECT" => Ok(()),
        Token::Word { text, .. } if text == "WITH" => check_with_body(&first[1..]),
        Token::Word { text, .. } => Err(Rejection::NotSelect(text.clone())),
        other => Err(Rejection::NotSelect(other.describe())),
    }
}

/// After `WITH`, the common table expressions sit inside parentheses; the first keyword at
/// depth 0 that starts a statement is the statement the `WITH` belongs to.
fn check_with_body(tokens: &[Token]) -> Result<(), Rejection> {
    let main = tokens.iter().find_map(|token| match token {
        Token::Word { text, depth: 0 } if STATEMENT_WORDS.contains(&text.as_str()) => Some(text),
        _ => None,
    });
    match main.map(String::as_str) {
        Some("SELECT" | "VALUES") => Ok(()),
        Some(write) => Err(Rejection::WithWrite(write.to_owned())),
        // No main statement at all: SQLite reports the syntax error.
        None => Ok(()),
    }
}

/// Keywords that can follow a `WITH` clause as its main statement.
const STATEMENT_WORDS: &[&str] = &["SELECT", "VALUES", "INSERT", "UPDATE", "DELETE", "REPLACE"];

/// The tokens the check needs; literals, numbers and operators are dropped or lumped together.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    /// A bare word, upper-cased, with its parenthesis depth.
    Word { text: String, depth: usize },
    /// A `;` outside literals and comments.
    Semicolon,
    /// A literal, quoted identifier, number, parameter or operator.
    Other(char),
}

impl Token {
    fn describe(&self) -> String {
        match self {
            Token::Word { text, .. } => text.clone(),
            Token::Semicolon => "`;`".to_owned(),
            Token::Other(c) => format!("`{c}`"),
        }
    }
}

/// Splits `sql` into [`Token`]s, skipping whitespace, `--` and `/* */` comments.
fn tokenize(sql: &str) -> Result<Vec<Token>, Rejection> {
    let bytes = sql.as_bytes();
    let mut tokens = Vec::new();
    let mut depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            _ if b.is_ascii_whitespace() => i += 1,
            b'-' if bytes.get(i + 1) == Some(&b'-') => {
                i = find_from(bytes, i + 2, b"\n").map_or(bytes.len(), |end| end + 1);
            }
            // SQLite lets an unterminated block comment run to the end of the input.
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i = find_from(bytes, i + 2, b"*/").map_or(bytes.len(), |end| end + 2);
            }
            b'\'' | b'"' | b'`' | b'[' => {
                let (close, what) = match b {
                    b'\'' => (b'\'', "string literal"),
                    b'[' => (b']', "bracketed identifier"),
                    _ => (b, "quoted identifier"),
                };
                // A doubled quote inside is an escape: it closes and reopens, same result.
                let end = find_from(bytes, i + 1, &[close]).ok_or(Rejection::Unterminated(what))?;
                tokens.push(Token::Other(char::from(b)));
                i = end + 1;
            }
            b'(' => {
                depth += 1;
                tokens.push(Token::Other('('));
                i += 1;
            }
            b')' => {
                depth = depth.saturating_sub(1);
                tokens.push(Token::Other(')'));
                i += 1;
            }
            b';' => {
                tokens.push(Token::Semicolon);
                i += 1;
            }
            _ if b.is_ascii_digit() => {
                let end = scan(bytes, i, |c| c.is_ascii_alphanumeric() || c == b'.');
                tokens.push(Token::Other('0'));
                i = end;
            }
            _ if is_word_byte(b) => {
                let end = scan(bytes, i, |c| {
                    is_word_byte(c) || c.is_ascii_digit() || c == b'$'
                });
                let text = String::from_utf8_lossy(&bytes[i..end]).to_ascii_uppercase();
                tokens.push(Token::Word { text, depth });
                i = end;
            }
            _ => {
                tokens.push(Token::Other(char::from(b)));
                i += 1;
            }
        }
    }
    Ok(tokens)
}

/// Letters, `_` and every byte of a non-ASCII character start or continue an identifier.
fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_' || b >= 0x80
}

/// The index just past the run of bytes from `start` that satisfy `keep`.
fn scan(bytes: &[u8], start: usize, keep: impl Fn(u8) -> bool) -> usize {
    bytes[start..]
        .iter()
        .position(|&c| !keep(c))
        .map_or(bytes.len(), |n| start + n)
}

/// The index of the first `needle` at or after `start`.
fn find_from(bytes: &[u8], start: usize, needle: &[u8]) -> Option<usize> {
    bytes
        .get(start..)?
        .windows(needle.len())
        .position(|window| window == needle)
        .map(|n| start + n)
}

#[cfg(test)]
mod tests {
    use super::{Rejection, check_read_only};

    fn check(sql: &str, expected: Result<(), Rejection>) {
        assert_eq!(check_read_only(sql), expected, "query: {sql}");
    }

    fn not_select(word: &str) -> Result<(), Rejection> {
        Err(Rejection::NotSelect(word.to_owned()))
    }

    #[test]
    fn accepts_select_and_with_queries() {
        check("SELECT 1", Ok(()));
        check("select * from Orders", Ok(()));
        check("  \n\tSelect 1  ", Ok(()));
        check("SELECT 1;", Ok(()));
        check("SELECT 1 ;  \n", Ok(()));
        check("SELECT 1;;", Ok(()));
        check("SELECT 1; -- done", Ok(()));
        check("SELECT 1; /* done */", Ok(()));
        check("WITH t AS (SELECT 1 AS x) SELECT x FROM t", Ok(()));
        check(
            "with recursive c(n) as (select 1 union all select n+1 from c where n<5) select n from c",
            Ok(()),
        );
        check(
            "WITH a AS (SELECT 1), b AS (SELECT 2) SELECT * FROM a, b",
            Ok(()),
        );
        check("WITH a AS MATERIALIZED (SELECT 1) SELECT * FROM a", Ok(()));
        check("WITH v(x) AS (VALUES (1)) VALUES (2)", Ok(()));
    }

    #[test]
    fn accepts_leading_comments() {
        check("-- sales by year\nSELECT 1", Ok(()));
        check("/* a\nblock */ SELECT 1", Ok(()));
        check(
            "-- one\n-- two\n  /* three */\n\nWITH t AS (SELECT 1) SELECT * FROM t",
            Ok(()),
        );
    }

    #[test]
    fn ignores_semicolons_and_keywords_inside_literals_and_comments() {
        check("SELECT 'a;b' AS s", Ok(()));
        check("SELECT 'it''s; DELETE FROM Orders' AS s", Ok(()));
        check(r#"SELECT "x;y" FROM "Order Details""#, Ok(()));
        check("SELECT [a;b], `c;d` FROM t", Ok(()));
        check("SELECT 1 -- ; DELETE FROM Orders", Ok(()));
        check("SELECT /* ; DROP TABLE Orders; */ 1", Ok(()));
        check("SELECT delete_flag, updated FROM t", Ok(()));
    }

    #[test]
    fn rejects_statements_that_are_not_select() {
        check("INSERT INTO Region VALUES (9, 'x')", not_select("INSERT"));
        check("update Orders set Freight = 0", not_select("UPDATE"));
        check("DELETE FROM Orders", not_select("DELETE"));
        check("DROP TABLE Orders", not_select("DROP"));
        check("PRAGMA table_info(Orders)", not_select("PRAGMA"));
        check("ATTACH DATABASE '/tmp/x.db' AS x", not_select("ATTACH"));
        check("REPLACE INTO Region VALUES (1, 'x')", not_select("REPLACE"));
        check("VALUES (1)", not_select("VALUES"));
        check("EXPLAIN SELECT 1", not_select("EXPLAIN"));
        check("-- SELECT\nDELETE FROM Orders", not_select("DELETE"));
        check("(SELECT 1)", not_select("`(`"));
    }

    #[test]
    fn rejects_more_than_one_statement() {
        let two = Err(Rejection::MultipleStatements);
        check("SELECT 1; SELECT 2", two.clone());
        check("SELECT 1; DELETE FROM Orders", two.clone());
        check("SELECT 1;DELETE FROM Orders;", two.clone());
        check("; SELECT 1", two.clone());
        check("SELECT 'a'';'; DROP TABLE Orders", two);
    }

    #[test]
    fn rejects_with_clauses_that_lead_into_writes() {
        let write = |w: &str| Err(Rejection::WithWrite(w.to_owned()));
        check("WITH t AS (SELECT 1) DELETE FROM Orders", write("DELETE"));
        check(
            "WITH old AS (SELECT OrderID FROM Orders WHERE OrderDate < '1997-01-01') \
             DELETE FROM \"Order Details\" WHERE OrderID IN (SELECT OrderID FROM old)",
            write("DELETE"),
        );
        check(
            "with t as (select 1) update Orders set Freight = 0",
            write("UPDATE"),
        );
        check(
            "WITH t AS (SELECT 1) INSERT INTO Region SELECT * FROM t",
            write("INSERT"),
        );
        check(
            "WITH t AS (SELECT 1) REPLACE INTO Region SELECT * FROM t",
            write("REPLACE"),
        );
    }

    #[test]
    fn rejects_empty_and_unterminated_queries() {
        check("", Err(Rejection::Empty));
        check("  -- nothing\n /* here */ ", Err(Rejection::Empty));
        check(";", Err(Rejection::Empty));
        check(
            "SELECT 'oops",
            Err(Rejection::Unterminated("string literal")),
        );
        check(
            r#"SELECT "oops"#,
            Err(Rejection::Unterminated("quoted identifier")),
        );
        check(
            "SELECT [oops",
            Err(Rejection::Unterminated("bracketed identifier")),
        );
    }

    #[test]
    fn messages_name_the_offending_word() {
        let message = check_read_only("DELETE FROM Orders")
            .unwrap_err()
            .to_string();
        assert_eq!(
            message,
            "only SELECT or WITH queries are allowed, and this one starts with DELETE"
        );
    }
}
