//! Who is calling: the user the edge proved, and the rules for proving one.
//!
//! Every handler that spends anything gets the caller's [`Identity`] from the gate in the
//! component's entry point (`component::handle` passes `&Identity` to the handler), never from
//! the request body. How it is proven depends on the mode ([`Proof`]):
//! - **assertion** (the default whenever `pomerium_url` is set): Pomerium's signed
//!   `X-Pomerium-Jwt-Assertion` is verified ([`crate::incoming::jwt`]); its `sub` is the subject that
//!   continuations are sealed to ([`crate::incoming::seal`]).
//! - **token** (`jwt_assertion = off`, behind Pomerium): the TE is confirmed with Pomerium (a
//!   call to its server list) before the provider is called. The edge then knows the caller is a
//!   Pomerium user but not which one: [`Identity::subject`] is empty, so nothing is sealed for it
//!   and every continuation is refused, and `/api/me` answers 401.
//! - **local** (no `pomerium_url`): the edge serves loopback `Host`s only, and the one user of
//!   the machine is [`Identity::local`].

use crate::config::Config;

/// The caller, as far as the edge proved it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The user's stable id; empty when the mode proves no user (see the module doc).
    pub subject: String,
    /// The user's e-mail address, when known.
    pub email: Option<String>,
    /// The user's display name, when known.
    pub name: Option<String>,
}

/// How the edge proves the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proof {
    /// Pomerium's signed assertion on every API request.
    Assertion,
    /// The TE, confirmed with Pomerium before anything is spent.
    Token,
    /// No Pomerium: the loopback user.
    Local,
}

/// The subject of local mode's one user.
pub const LOCAL_SUBJECT: &str = "local";
/// Pomerium's sign-out endpoint, on every route host.
pub const SIGN_OUT_PATH: &str = "/.pomerium/sign_out";

impl Identity {
    /// Local mode's user.
    pub fn local() -> Self {
        Self {
            subject: LOCAL_SUBJECT.to_owned(),
            email: None,
            name: None,
        }
    }

    /// A Pomerium user whose identity the edge does not know (token mode).
    pub fn unnamed() -> Self {
        Self {
            subject: String::new(),
            email: None,
            name: None,
        }
    }

    /// Whether the edge knows who this is, so that values may be sealed to them.
    pub fn is_known(&self) -> bool {
        !self.subject.is_empty()
    }

    /// The answer of `GET /api/me`.
    pub fn to_wire(&self, config: &Config) -> protocol::Identity {
        protocol::Identity {
            subject: self.subject.clone(),
            email: self.email.clone(),
            name: self.name.clone(),
            sign_out_url: config
                .pomerium_url
                .as_deref()
                .and_then(crate::incoming::urls::origin)
                .map(|origin| format!("{origin}{SIGN_OUT_PATH}")),
        }
    }
}

impl Proof {
    /// The proof this configuration asks for.
    pub fn of(config: &Config) -> Self {
        match (&config.pomerium_url, config.jwt_required) {
            (None, _) => Self::Local,
            (Some(_), true) => Self::Assertion,
            (Some(_), false) => Self::Token,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::config::of as config;

    #[test]
    fn the_mode_decides_the_proof() {
        assert_eq!(Proof::of(&config(&[])), Proof::Local);
        let behind = config(&[("pomerium_url", "https://chat.example.com")]);
        assert_eq!(Proof::of(&behind), Proof::Assertion, "required by default");
        let off = config(&[
            ("pomerium_url", "https://chat.example.com"),
            ("jwt_assertion", "off"),
        ]);
        assert_eq!(Proof::of(&off), Proof::Token);
    }

    #[test]
    fn sign_out_is_on_the_chat_origin_and_absent_locally() {
        let behind = config(&[("pomerium_url", "https://chat.example.com/")]);
        let me = Identity::local().to_wire(&behind);
        assert_eq!(
            me.sign_out_url.as_deref(),
            Some("https://chat.example.com/.pomerium/sign_out")
        );
        assert_eq!(Identity::local().to_wire(&config(&[])).sign_out_url, None);
        assert!(!Identity::unnamed().is_known() && Identity::local().is_known());
    }
}
