//! The paused tool loop of edge mode, as the bytes that travel sealed through the browser
//! while a call waits for the user's approval.
//!
//! The edge keeps no state between requests, so when a call needs approval the loop's state
//! ([`Paused`]: the rounds so far, the waiting calls, the counters of the answer's bounds) goes
//! to the widget as the `response_id` of the `done` event, sealed with
//! `Purpose::PendingToolCall`, bound to the user's subject and an expiry ([`PENDING_TTL_SECS`]).
//! The widget sends it back as `previous_response_id` with its decisions.
//!
//! What this module promises about the payload: it is at most [`MAX_PENDING_BYTES`] (an answer
//! whose history is larger ends instead of waiting); it never carries a secret (everything in
//! it was scrubbed, and [`encode`] refuses a payload in which a secret still appears); and it
//! names the conversation it belongs to (a digest of the turns and servers), so it resumes only
//! the answer it paused. The digest is not a security boundary (the seal is): it keeps a user
//! from resuming one of their answers under another question by mistake.

use protocol::ChatRequest;
use serde::{Deserialize, Serialize};

use crate::answer::tool_loop::Paused;
use crate::redact::Secrets;

/// Largest payload the edge seals, in bytes.
pub const MAX_PENDING_BYTES: usize = 96 * 1024;
/// How long a paused answer can be resumed, in seconds.
pub const PENDING_TTL_SECS: u64 = 15 * 60;

/// Why a paused state cannot be sealed or resumed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PendingError {
    /// The state is larger than [`MAX_PENDING_BYTES`].
    #[error("the answer's tool history ({0} bytes) is too large to wait for an approval")]
    TooLarge(usize),
    /// A secret would travel to the browser (a scrubbing bug; refused, never sent).
    #[error("the answer's state would carry a secret")]
    CarriesSecret,
    /// The bytes are not a state this edge wrote.
    #[error("the continuation is not a paused answer")]
    Malformed,
    /// The state belongs to another conversation.
    #[error("the continuation belongs to another conversation")]
    OtherConversation,
}

/// What is sealed.
#[derive(Debug, Serialize, Deserialize)]
struct Payload {
    /// The format's version.
    v: u8,
    /// [`conversation_digest`] of the request that paused.
    conversation: String,
    paused: Paused,
}

/// The bytes to seal for `paused`, an answer to `chat`.
pub fn encode(
    paused: &Paused,
    chat: &ChatRequest,
    secrets: &Secrets,
) -> Result<Vec<u8>, PendingError> {
    let payload = Payload {
        v: 1,
        conversation: conversation_digest(chat),
        paused: paused.clone(),
    };
    let bytes = serde_json::to_vec(&payload).map_err(|_| PendingError::Malformed)?;
    if bytes.len() > MAX_PENDING_BYTES {
        return Err(PendingError::TooLarge(bytes.len()));
    }
    if secrets.found_in(&String::from_utf8_lossy(&bytes)) {
        return Err(PendingError::CarriesSecret);
    }
    Ok(bytes)
}

/// The paused state in `bytes` (opened from its seal), if it belongs to `chat`.
pub fn decode(bytes: &[u8], chat: &ChatRequest) -> Result<Paused, PendingError> {
    if bytes.len() > MAX_PENDING_BYTES {
        return Err(PendingError::TooLarge(bytes.len()));
    }
    let payload: Payload = serde_json::from_slice(bytes).map_err(|_| PendingError::Malformed)?;
    if payload.v != 1 {
        return Err(PendingError::Malformed);
    }
    if payload.conversation != conversation_digest(chat) {
        return Err(PendingError::OtherConversation);
    }
    Ok(payload.paused)
}

/// A digest (FNV-1a, 64 bits, hex) of the conversation's turns and selected servers.
fn conversation_digest(chat: &ChatRequest) -> String {
    let text = serde_json::to_string(&(&chat.messages, &chat.servers)).unwrap_or_default();
    let hash = text.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    format!("{hash:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::answer::tool_loop::{Call, Round, ToolJob};

    fn chat(question: &str) -> ChatRequest {
        serde_json::from_str(&format!(
            r#"{{"messages":[{{"role":"user","content":"{question}"}}],"servers":["crm"]}}"#
        ))
        .unwrap()
    }

    fn paused(output: &str) -> Paused {
        Paused {
            rounds: vec![Round {
                text: "Looking.".into(),
                calls: vec![Call::for_tests(
                    "call_1",
                    "crm__delete",
                    "{\"id\":7}",
                    output,
                )],
            }],
            waiting: vec![ToolJob {
                call_id: "call_1".into(),
                server: "crm".into(),
                tool: "delete".into(),
                arguments: "{\"id\":7}".into(),
            }],
            n_tool_rounds: 1,
            n_calls: 1,
            n_output_bytes: 0,
        }
    }

    #[test]
    fn a_paused_state_round_trips_for_its_conversation_only() {
        let secrets = Secrets::new(["pom_mat_te"]);
        let bytes = encode(&paused("x"), &chat("delete 7"), &secrets).unwrap();
        assert_eq!(decode(&bytes, &chat("delete 7")).unwrap(), paused("x"));
        assert_eq!(
            decode(&bytes, &chat("delete 8")),
            Err(PendingError::OtherConversation)
        );
        assert_eq!(decode(b"{}", &chat("x")), Err(PendingError::Malformed));
        assert_eq!(
            decode(b"not json", &chat("x")),
            Err(PendingError::Malformed)
        );
    }

    #[test]
    fn secrets_and_oversized_states_are_refused() {
        let secrets = Secrets::new(["pom_mat_te"]);
        assert_eq!(
            encode(&paused("leaked pom_mat_te"), &chat("q"), &secrets),
            Err(PendingError::CarriesSecret)
        );
        let huge = "y".repeat(MAX_PENDING_BYTES);
        assert!(matches!(
            encode(&paused(&huge), &chat("q"), &secrets),
            Err(PendingError::TooLarge(_))
        ));
        assert!(matches!(
            decode(format!("{huge}!").as_bytes(), &chat("q")),
            Err(PendingError::TooLarge(_))
        ));
    }
}
