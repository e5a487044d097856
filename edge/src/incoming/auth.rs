//! The bearer token Pomerium put on the request (the external token, TE).
//!
//! [`BearerToken`] never prints its value: its `Debug` is redacted and it has no `Display`, so a
//! log line or an error message cannot carry it by accident. Only [`BearerToken::header_value`]
//! gives the token out, for the `Authorization` header of a request to Pomerium or the provider.

/// The caller's token, as Pomerium injected it.
#[derive(Clone, PartialEq, Eq)]
pub struct BearerToken(String);

impl std::fmt::Debug for BearerToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BearerToken(<redacted>)")
    }
}

impl BearerToken {
    /// Finds the token among the values of the request's `Authorization` headers.
    ///
    /// The scheme is case-insensitive; a value that is not `Bearer <token>` with a non-empty
    /// token of visible ASCII is ignored.
    pub fn from_header_values<V: AsRef<[u8]>>(values: &[V]) -> Option<Self> {
        values.iter().find_map(|value| {
            let value = std::str::from_utf8(value.as_ref()).ok()?.trim();
            let (scheme, token) = value.split_once(' ')?;
            let token = token.trim();
            let valid = scheme.eq_ignore_ascii_case("bearer")
                && !token.is_empty()
                && token.bytes().all(|b| b.is_ascii_graphic());
            valid.then(|| Self(token.to_owned()))
        })
    }

    /// The `Authorization` header value: `Bearer <token>`.
    pub fn header_value(&self) -> String {
        format!("Bearer {}", self.0)
    }

    /// The raw token, for scrubbing it out of upstream text.
    pub(crate) fn secret(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_bearer_token() {
        let check = |values: &[&str], want: Option<&str>| {
            let got = BearerToken::from_header_values(values);
            assert_eq!(
                got.as_ref().map(BearerToken::header_value),
                want.map(|t| format!("Bearer {t}")),
                "{values:?}"
            );
        };
        check(&["Bearer abc"], Some("abc"));
        check(&["bearer  pom_mat_1 "], Some("pom_mat_1"));
        check(&["Basic dXNlcg==", "Bearer tok"], Some("tok"));
        check(&[], None);
        check(&["Bearer "], None);
        check(&["Bearer a b"], None);
        check(&["Token abc"], None);
    }

    #[test]
    fn debug_never_shows_the_token() {
        let token = BearerToken::from_header_values(&["Bearer s3cret"]).unwrap();
        assert!(!format!("{token:?}").contains("s3cret"));
    }
}
