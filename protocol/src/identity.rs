//! Who the edge verified the caller to be: the answer of `GET /api/me`.

use serde::{Deserialize, Serialize};

/// The signed-in user, as the edge verified them (from Pomerium's identity assertion).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    /// The user's stable id (the assertion's `sub`; `local` in local mode).
    pub subject: String,
    /// The user's e-mail address, when Pomerium knows it.
    pub email: Option<String>,
    /// The user's display name, when Pomerium knows it.
    pub name: Option<String>,
    /// Pomerium's sign-out endpoint on the chat's origin (`/.pomerium/sign_out`); `null` in
    /// local mode.
    pub sign_out_url: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absent_fields_are_null() {
        let me = Identity {
            subject: "u1".into(),
            email: None,
            name: Some("Ann".into()),
            sign_out_url: None,
        };
        assert_eq!(
            serde_json::to_string(&me).unwrap(),
            r#"{"subject":"u1","email":null,"name":"Ann","sign_out_url":null}"#
        );
    }
}
