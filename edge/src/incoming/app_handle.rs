//! The handle of an MCP App view: which server and tool a view belongs to, sealed to the user
//! who got the view ([`Purpose::AppView`]), so a call the view makes through the widget
//! (`POST /api/app/tool-call`) names no URL the browser chose and cannot be replayed by another
//! user, for another use, or after an hour.
//!
//! The payload carries the server's id and URL as Pomerium listed them when the view was read:
//! the call resolves the id against the user's list again (a server the user lost access to is
//! gone) and refuses it when the URL changed.

use serde::{Deserialize, Serialize};

use crate::error::EdgeError;
use crate::incoming::continuation::Sealer;
use crate::incoming::seal::{Purpose, SealError};

/// How long a view may call tools, in seconds.
pub const APP_HANDLE_TTL_SECS: u64 = 3600;

/// What a view's handle names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppHandle {
    /// The server's id.
    #[serde(rename = "s")]
    pub server: String,
    /// The server's MCP URL.
    #[serde(rename = "u")]
    pub url: String,
    /// The tool that linked the view.
    #[serde(rename = "t")]
    pub tool: String,
    /// The view's `ui://` URI.
    #[serde(rename = "v")]
    pub uri: String,
}

impl AppHandle {
    /// The handle sealed to the sealer's user; `None` for a user the edge cannot name.
    pub fn seal(&self, sealer: &Sealer) -> Option<String> {
        let payload = serde_json::to_vec(self).ok()?;
        sealer.seal_payload(Purpose::AppView, APP_HANDLE_TTL_SECS, &payload)
    }

    /// Opens a handle sealed to the sealer's user.
    pub fn open(sealer: &Sealer, sealed: &str) -> Result<Self, EdgeError> {
        let payload = sealer.open_payload(Purpose::AppView, sealed)?;
        serde_json::from_slice(&payload).map_err(|_| SealError::Malformed.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::of as config;
    use crate::incoming::identity::Identity;

    const SECRET: &str = "0123456789abcdef0123456789abcdef";

    fn sealer(subject: &str, now: u64) -> Sealer {
        let config = config(&[("seal_secret", SECRET)]);
        let identity = Identity {
            subject: subject.to_owned(),
            email: None,
            name: None,
        };
        Sealer::new(&config, &identity, now).unwrap()
    }

    fn handle() -> AppHandle {
        AppHandle {
            server: "northwind".into(),
            url: "https://northwind.example/mcp".into(),
            tool: "chart_query".into(),
            uri: "ui://northwind/chart".into(),
        }
    }

    #[test]
    fn a_handle_opens_only_for_its_user_and_use_before_it_expires() {
        let alice = sealer("alice", 1000);
        let sealed = handle().seal(&alice).unwrap();
        assert_eq!(AppHandle::open(&alice, &sealed).unwrap(), handle());

        let code = |res: Result<AppHandle, EdgeError>| res.unwrap_err().code().as_str();
        assert_eq!(
            code(AppHandle::open(&sealer("bob", 1000), &sealed)),
            "invalid_continuation"
        );
        let late = sealer("alice", 1000 + APP_HANDLE_TTL_SECS + 1);
        assert_eq!(
            code(AppHandle::open(&late, &sealed)),
            "invalid_continuation"
        );
        // Another purpose's seal does not open as a handle, nor a handle as another purpose.
        let pending = alice
            .seal_pending(br#"{"s":"x","u":"y","t":"z","v":"w"}"#)
            .unwrap();
        assert!(AppHandle::open(&alice, &pending).is_err());
        assert!(
            alice
                .open_payload(Purpose::ApprovalRequest, &sealed)
                .is_err()
        );
        // The payload travels in the clear but cannot be changed.
        let mut parts: Vec<&str> = sealed.split('.').collect();
        let other = base64::Engine::encode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            br#"{"s":"hr","u":"https://hr.example/mcp","t":"x","v":"ui://hr/x"}"#,
        );
        parts[1] = &other;
        assert!(AppHandle::open(&alice, &parts.join(".")).is_err());
        // A user the edge cannot name gets no handle.
        assert_eq!(handle().seal(&sealer("", 1000)), None);
    }
}
