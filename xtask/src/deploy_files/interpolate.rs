//! Compose's variable interpolation: the `${VAR}` references in a value, and the value with them
//! substituted, as `docker compose` does it.
//!
//! Forms: `$$` (a literal `$`), `$VAR`, `${VAR}`, `${VAR:-default}` / `${VAR-default}` (default
//! when unset or empty / unset), `${VAR:?message}` / `${VAR?message}` (an error when unset or
//! empty / unset), `${VAR:+other}` / `${VAR+other}`. Nested references are not used here and are
//! refused.

use std::collections::BTreeMap;

/// One `${...}` or `$VAR` in a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Reference {
    /// The variable's name.
    pub(super) name: String,
    /// What follows the name: `None` for a bare reference, else the operator and its word,
    /// such as `(":-", "https://...")` or `(":?", "set X in .env")`.
    pub(super) modifier: Option<(String, String)>,
}

impl Reference {
    /// True when compose stops with an error if the variable is unset or empty.
    pub(super) fn is_required(&self) -> bool {
        matches!(&self.modifier, Some((op, _)) if op == ":?")
    }

    /// True when the reference says what happens without the variable (a default or an error).
    pub(super) fn is_guarded(&self) -> bool {
        self.modifier.is_some()
    }
}

/// Every reference in `text`, in order.
pub(super) fn references(text: &str) -> Result<Vec<Reference>, String> {
    let mut found = Vec::new();
    walk(text, &mut |reference| {
        found.push(reference.clone());
        Ok(String::new())
    })?;
    Ok(found)
}

/// `text` with every reference replaced from `vars`.
pub(super) fn substitute(text: &str, vars: &BTreeMap<String, String>) -> Result<String, String> {
    walk(text, &mut |reference| {
        let value = vars.get(&reference.name);
        let empty = value.is_none_or(String::is_empty);
        match &reference.modifier {
            None => Ok(value.cloned().unwrap_or_default()),
            Some((op, word)) => match op.as_str() {
                ":-" if empty => Ok(word.clone()),
                "-" if value.is_none() => Ok(word.clone()),
                ":?" if empty => Err(format!("{}: {word}", reference.name)),
                "?" if value.is_none() => Err(format!("{}: {word}", reference.name)),
                ":+" => Ok(if empty { String::new() } else { word.clone() }),
                "+" => Ok(if value.is_none() {
                    String::new()
                } else {
                    word.clone()
                }),
                _ => Ok(value.cloned().unwrap_or_default()),
            },
        }
    })
}

/// Scans `text`, calling `on_reference` for each reference and splicing in what it returns.
fn walk(
    text: &str,
    on_reference: &mut dyn FnMut(&Reference) -> Result<String, String>,
) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        rest = &rest[i + 1..];
        if let Some(after) = rest.strip_prefix('$') {
            out.push('$');
            rest = after;
        } else if let Some(after) = rest.strip_prefix('{') {
            let end = after
                .find('}')
                .ok_or_else(|| format!("unclosed ${{ in {text:?}"))?;
            let inner = &after[..end];
            if inner.contains('$') {
                return Err(format!("nested reference in {text:?}"));
            }
            out.push_str(&on_reference(&parse_braced(inner)?)?);
            rest = &after[end + 1..];
        } else {
            let len = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            if len == 0 {
                return Err(format!("a lone $ in {text:?} (write $$ for a literal $)"));
            }
            let reference = Reference {
                name: rest[..len].to_owned(),
                modifier: None,
            };
            out.push_str(&on_reference(&reference)?);
            rest = &rest[len..];
        }
    }
    out.push_str(rest);
    Ok(out)
}

fn parse_braced(inner: &str) -> Result<Reference, String> {
    let len = inner
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(inner.len());
    let name = &inner[..len];
    if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
        return Err(format!("bad variable name in ${{{inner}}}"));
    }
    let tail = &inner[len..];
    if tail.is_empty() {
        return Ok(Reference {
            name: name.to_owned(),
            modifier: None,
        });
    }
    let op = [":-", ":?", ":+", "-", "?", "+"]
        .into_iter()
        .find(|op| tail.starts_with(op))
        .ok_or_else(|| format!("unknown modifier in ${{{inner}}}"))?;
    Ok(Reference {
        name: name.to_owned(),
        modifier: Some((op.to_owned(), tail[op.len()..].to_owned())),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn substitutes_like_compose() {
        let check = |text: &str, want: Result<&str, &str>| {
            let got = substitute(text, &vars(&[("SET", "v"), ("EMPTY", "")]));
            assert_eq!(got.as_deref().map_err(String::as_str), want, "{text}");
        };
        check("a ${SET} $SET b", Ok("a v v b"));
        check("$$SET costs $$5", Ok("$SET costs $5"));
        check(
            "${UNSET:-d} ${EMPTY:-d} ${EMPTY-d} ${UNSET-d}",
            Ok("d d  d"),
        );
        check("${SET:?must} ${EMPTY?fine}", Ok("v "));
        check("${EMPTY:?set EMPTY}", Err("EMPTY: set EMPTY"));
        check("${UNSET?set it}", Err("UNSET: set it"));
        check("${SET:+yes}${EMPTY:+no}${EMPTY+yes}", Ok("yesyes"));
        check("${UNSET}", Ok(""));
        check("${A:-${B}}", Err("nested reference in \"${A:-${B}}\""));
        check(
            "cost: 5$",
            Err("a lone $ in \"cost: 5$\" (write $$ for a literal $)"),
        );
        check("${OPEN", Err("unclosed ${ in \"${OPEN\""));
    }

    #[test]
    fn lists_references_with_their_guards() {
        let found = references("x${A} ${B:-d} ${C:?m} $D $$E").unwrap();
        let names: Vec<_> = found.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["A", "B", "C", "D"]);
        assert!(!found[0].is_guarded());
        assert!(found[1].is_guarded() && !found[1].is_required());
        assert!(found[2].is_required());
    }
}
