//! Sealing: ids the edge hands to the browser and later accepts back, bound to one user, one
//! purpose and an expiry by an HMAC the browser cannot forge.
//!
//! A sealed value is `v1.<b64url(payload)>.<expires_at>.<b64url(mac)>`, where `expires_at` is in
//! Unix seconds (decimal) and `mac` is HMAC-SHA256 with the edge's `seal_secret` over
//! `"v1" | purpose | subject | expires_at | payload`, each variable field preceded by its length
//! (8 bytes, big endian) so that no field can be shifted into another. The payload travels in
//! the clear: sealing proves who it was made for, it does not hide it.
//!
//! [`open`] refuses a value that is missing, not of that shape, sealed for another user, purpose
//! or secret (or tampered with: [`SealError::Foreign`]), or past its expiry. MACs are compared in
//! constant time. A secret shorter than [`MIN_SECRET_BYTES`] seals nothing that [`open`] accepts:
//! callers check [`secret_is_usable`] first and refuse to hand out continuations without one.
//!
//! The module is pure: the caller brings the secret, the subject and the clock.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Shortest secret the edge accepts, in bytes (256 bits, the HMAC-SHA256 key size).
pub const MIN_SECRET_BYTES: usize = 32;
/// Longest sealed value [`open`] reads (but see [`Purpose::max_len`]); anything longer is
/// [`SealError::Malformed`].
pub const MAX_SEALED_LEN: usize = 4096;
/// Longest sealed [`Purpose::PendingToolCall`]: a paused tool loop of at most
/// `pending::MAX_PENDING_BYTES`, in base64, with the other fields.
pub const MAX_PENDING_SEALED_LEN: usize = 132 * 1024;
/// The format's version, first field of every sealed value and of the MAC input.
const VERSION: &str = "v1";

/// What a sealed value is for; part of the MAC so one kind cannot be replayed as another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// The provider's response id in a `done` event (`previous_response_id` when it comes back).
    ResponseId,
    /// The id of an `approval_request` event (`approval_request_id` when it comes back).
    ApprovalRequest,
    /// Edge tool mode's pending tool call, held by the browser while the user decides.
    PendingToolCall,
    /// The id of an `elicitation_request` event (`elicitation_id` when it comes back).
    Elicitation,
    /// An MCP App view's handle: the server and tool its calls go to
    /// (`crate::incoming::app_handle`).
    AppView,
    /// A background answer's resume handle (`resumable` event; `resume.handle` when it comes
    /// back): the provider's response id and the answer's servers.
    ResumeHandle,
}

impl Purpose {
    /// The longest sealed value of this purpose that [`open`] reads.
    pub fn max_len(self) -> usize {
        match self {
            Self::PendingToolCall => MAX_PENDING_SEALED_LEN,
            Self::ResponseId
            | Self::ApprovalRequest
            | Self::Elicitation
            | Self::AppView
            | Self::ResumeHandle => MAX_SEALED_LEN,
        }
    }

    /// The purpose's name in the MAC input.
    fn name(self) -> &'static str {
        match self {
            Self::ResponseId => "response_id",
            Self::ApprovalRequest => "approval_request",
            Self::PendingToolCall => "pending_tool_call",
            Self::Elicitation => "elicitation",
            Self::AppView => "app_view",
            Self::ResumeHandle => "resume_handle",
        }
    }
}

/// Why a sealed value was refused (all answered with 403 `invalid_continuation`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    /// No value at all.
    #[error("the continuation is missing")]
    Missing,
    /// Not a sealed value of this format.
    #[error("the continuation is not a sealed value")]
    Malformed,
    /// Sealed for another user, purpose or secret, or altered.
    #[error("the continuation was not issued to you for this use")]
    Foreign,
    /// Past its expiry.
    #[error("the continuation has expired")]
    Expired,
}

/// Whether `secret` is long enough to seal with.
pub fn secret_is_usable(secret: &[u8]) -> bool {
    secret.len() >= MIN_SECRET_BYTES
}

/// Seals `payload` for `subject` and `purpose` until `expires_at` (Unix seconds).
pub fn seal(
    secret: &[u8],
    purpose: Purpose,
    subject: &str,
    expires_at: u64,
    payload: &[u8],
) -> String {
    let tag = mac(secret, purpose, subject, expires_at, payload)
        .map(|m| m.finalize().into_bytes().to_vec())
        .unwrap_or_default();
    format!(
        "{VERSION}.{}.{expires_at}.{}",
        URL_SAFE_NO_PAD.encode(payload),
        URL_SAFE_NO_PAD.encode(tag)
    )
}

/// Opens a value [`seal`]ed with `secret` for `subject` and `purpose`, at `now` (Unix seconds);
/// gives back its payload.
pub fn open(
    secret: &[u8],
    purpose: Purpose,
    subject: &str,
    now: u64,
    sealed: &str,
) -> Result<Vec<u8>, SealError> {
    if sealed.is_empty() {
        return Err(SealError::Missing);
    }
    if sealed.len() > purpose.max_len() {
        return Err(SealError::Malformed);
    }
    let mut parts = sealed.split('.');
    let (Some(VERSION), Some(payload), Some(expires), Some(tag), None) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return Err(SealError::Malformed);
    };
    let canonical_number =
        !expires.is_empty() && expires.len() <= 20 && expires.bytes().all(|b| b.is_ascii_digit());
    let expires_at: u64 = canonical_number
        .then(|| expires.parse().ok())
        .flatten()
        .filter(|n: &u64| n.to_string() == expires)
        .ok_or(SealError::Malformed)?;
    let payload = URL_SAFE_NO_PAD
        .decode(payload)
        .map_err(|_| SealError::Malformed)?;
    let tag = URL_SAFE_NO_PAD
        .decode(tag)
        .map_err(|_| SealError::Malformed)?;
    if !secret_is_usable(secret) {
        return Err(SealError::Foreign);
    }
    let verified = mac(secret, purpose, subject, expires_at, &payload)
        .is_some_and(|m| m.verify_slice(&tag).is_ok());
    if !verified {
        return Err(SealError::Foreign);
    }
    if now > expires_at {
        return Err(SealError::Expired);
    }
    Ok(payload)
}

/// The MAC state over the value's fields; `None` only for a secret HMAC cannot key (never, as
/// HMAC takes keys of any length, but a panic is not an option here).
fn mac(
    secret: &[u8],
    purpose: Purpose,
    subject: &str,
    expires_at: u64,
    payload: &[u8],
) -> Option<Hmac<Sha256>> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).ok()?;
    for field in [
        VERSION.as_bytes(),
        purpose.name().as_bytes(),
        subject.as_bytes(),
        &expires_at.to_be_bytes(),
        payload,
    ] {
        mac.update(&(field.len() as u64).to_be_bytes());
        mac.update(field);
    }
    Some(mac)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";
    const NOW: u64 = 1_800_000_000;

    fn sealed(payload: &[u8]) -> String {
        seal(SECRET, Purpose::ResponseId, "user-1", NOW + 60, payload)
    }

    #[test]
    fn round_trips_for_the_same_user_and_purpose() {
        for payload in [&b"resp_123"[..], b"", &[0u8, 255, 46, 46]] {
            let s = sealed(payload);
            assert!(s.starts_with("v1."), "{s}");
            assert_eq!(
                open(SECRET, Purpose::ResponseId, "user-1", NOW, &s),
                Ok(payload.to_vec())
            );
        }
        // Valid up to and including its expiry second.
        assert!(
            open(
                SECRET,
                Purpose::ResponseId,
                "user-1",
                NOW + 60,
                &sealed(b"x")
            )
            .is_ok()
        );
    }

    #[test]
    fn refuses_other_users_purposes_and_secrets() {
        let s = sealed(b"resp_123");
        let check = |secret: &[u8], purpose: Purpose, subject: &str, want: SealError| {
            assert_eq!(open(secret, purpose, subject, NOW, &s), Err(want));
        };
        check(SECRET, Purpose::ResponseId, "user-2", SealError::Foreign);
        check(SECRET, Purpose::ResponseId, "user-1 ", SealError::Foreign);
        check(SECRET, Purpose::ResponseId, "", SealError::Foreign);
        check(
            SECRET,
            Purpose::ApprovalRequest,
            "user-1",
            SealError::Foreign,
        );
        check(
            SECRET,
            Purpose::PendingToolCall,
            "user-1",
            SealError::Foreign,
        );
        check(
            b"another secret, also 32 bytes ..",
            Purpose::ResponseId,
            "user-1",
            SealError::Foreign,
        );
    }

    #[test]
    fn fields_cannot_be_shifted() {
        // Subject "ab" + payload "c" must not verify as subject "a" + payload "bc".
        let s = seal(SECRET, Purpose::ResponseId, "ab", NOW + 60, b"c");
        let shifted = s.replacen(
            &URL_SAFE_NO_PAD.encode(b"c"),
            &URL_SAFE_NO_PAD.encode(b"bc"),
            1,
        );
        assert_eq!(
            open(SECRET, Purpose::ResponseId, "a", NOW, &shifted),
            Err(SealError::Foreign)
        );
    }

    #[test]
    fn refuses_expired_values() {
        let s = seal(SECRET, Purpose::ResponseId, "user-1", NOW - 1, b"x");
        assert_eq!(
            open(SECRET, Purpose::ResponseId, "user-1", NOW, &s),
            Err(SealError::Expired)
        );
    }

    #[test]
    fn refuses_tampering_anywhere() {
        let s = sealed(b"resp_123");
        let parts: Vec<&str> = s.split('.').collect();
        let with = |i: usize, value: &str| {
            let mut p = parts.clone();
            p[i] = value;
            p.join(".")
        };
        let other_payload = URL_SAFE_NO_PAD.encode(b"resp_999");
        let later = (NOW + 99_999).to_string();
        let mut flipped_tag = URL_SAFE_NO_PAD.decode(parts[3]).unwrap();
        flipped_tag[0] ^= 1;
        let flipped_tag = URL_SAFE_NO_PAD.encode(flipped_tag);
        let short_tag = &parts[3][..parts[3].len() - 4];
        for (tampered, want) in [
            (with(1, &other_payload), SealError::Foreign),
            (with(2, &later), SealError::Foreign),
            (with(3, &flipped_tag), SealError::Foreign),
            (with(3, short_tag), SealError::Foreign),
            (with(3, ""), SealError::Foreign),
            (with(0, "v2"), SealError::Malformed),
            (with(2, &format!("0{}", NOW + 60)), SealError::Malformed),
            (with(2, &format!("+{}", NOW + 60)), SealError::Malformed),
            (with(2, "-1"), SealError::Malformed),
            (with(2, "99999999999999999999999"), SealError::Malformed),
            (with(1, "not base64!"), SealError::Malformed),
            (with(3, "a+b/"), SealError::Malformed),
            (format!("{s}."), SealError::Malformed),
            (parts[..3].join("."), SealError::Malformed),
            ("resp_123".to_owned(), SealError::Malformed),
            ("v1...".to_owned(), SealError::Malformed),
            ("x".repeat(MAX_SEALED_LEN + 1), SealError::Malformed),
            (String::new(), SealError::Missing),
        ] {
            assert_eq!(
                open(SECRET, Purpose::ResponseId, "user-1", NOW, &tampered),
                Err(want),
                "{tampered:.80}"
            );
        }
    }

    #[test]
    fn short_secrets_open_nothing() {
        let short = &SECRET[..MIN_SECRET_BYTES - 1];
        assert!(!secret_is_usable(short) && secret_is_usable(SECRET));
        let s = seal(short, Purpose::ResponseId, "user-1", NOW + 60, b"x");
        assert_eq!(
            open(short, Purpose::ResponseId, "user-1", NOW, &s),
            Err(SealError::Foreign)
        );
        let empty = seal(b"", Purpose::ResponseId, "user-1", NOW + 60, b"x");
        assert_eq!(
            open(b"", Purpose::ResponseId, "user-1", NOW, &empty),
            Err(SealError::Foreign)
        );
    }

    #[test]
    fn sealed_values_are_url_and_header_safe() {
        let s = seal(
            SECRET,
            Purpose::ApprovalRequest,
            "ü@x",
            u64::MAX,
            &[0xff; 40],
        );
        assert!(
            s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)),
            "{s}"
        );
        assert_eq!(
            open(SECRET, Purpose::ApprovalRequest, "ü@x", NOW, &s),
            Ok(vec![0xff; 40])
        );
    }
}
