//! The paused tool loop of edge mode, as the bytes that travel sealed through the browser
//! while a call waits for the user's approval or for the user's answer to a server's question
//! (`crate::answer::elicit`).
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

use protocol::{ApiError, ChatRequest, ErrorCode, StreamEvent};
use serde::{Deserialize, Serialize};

use crate::answer::elicit::{self, Elicited, ReplyError};
use crate::answer::runner::Runner;
use crate::answer::tool_loop::{Paused, ToolJob, ToolLoop};
use crate::error::EdgeError;
use crate::incoming::continuation::{Continuation, Sealer};
use crate::incoming::seal::SealError;
use crate::mcp::client::elicitation::Elicitation;
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

/// The events that end an answer whose `waiting` calls need the user: each call's
/// `approval_request` (its id sealed) went out with the round's events; now `done` carries the
/// paused loop, sealed to the user. Fails the answer when the state cannot be sealed (too
/// large, or a user the edge cannot name).
pub fn pause(
    tool_loop: &mut ToolLoop,
    waiting: Vec<ToolJob>,
    chat: &ChatRequest,
    secrets: &Secrets,
    sealer: &Sealer,
) -> Vec<StreamEvent> {
    let paused = tool_loop.pause(waiting);
    seal_paused(tool_loop, paused, vec![], chat, secrets, sealer)
}

/// The events that end an answer whose running call waits for the user's answer to a
/// server's `question`: the `elicitation_request` (its id sealed), then `done` carrying the
/// paused loop with the call's MCP state (`elicited`), sealed to the user. Fails the answer like
/// [`pause`] when the state cannot be sealed.
pub fn pause_for_answer(
    tool_loop: &mut ToolLoop,
    waiting: Vec<ToolJob>,
    (elicited, question): (Elicited, &Elicitation),
    chat: &ChatRequest,
    secrets: &Secrets,
    sealer: &Sealer,
) -> Vec<StreamEvent> {
    let request = sealer.seal_event(elicit::request_event(&elicited.job.call_id, question));
    let mut paused = tool_loop.pause(waiting);
    paused.elicited = Some(elicited);
    seal_paused(tool_loop, paused, vec![request], chat, secrets, sealer)
}

/// `first`, then `done` with `paused` sealed; or the loop's failure when it cannot be sealed.
fn seal_paused(
    tool_loop: &mut ToolLoop,
    paused: Paused,
    first: Vec<StreamEvent>,
    chat: &ChatRequest,
    secrets: &Secrets,
    sealer: &Sealer,
) -> Vec<StreamEvent> {
    let error = |code, message: String| ApiError {
        code,
        message,
        retryable: false,
    };
    let sealed = match encode(&paused, chat, secrets) {
        Ok(payload) => sealer.seal_pending(&payload).ok_or_else(|| {
            error(
                ErrorCode::InvalidConfiguration,
                "a tool call needs your answer, which needs a signed-in user: \
                 this edge cannot name you (jwt_assertion is off)"
                    .to_owned(),
            )
        }),
        Err(PendingError::TooLarge(n)) => Err(error(
            ErrorCode::ToolOutputExceeded,
            format!(
                "the answer's tool history ({n} bytes) is too large to wait for you; \
                 the limit is {MAX_PENDING_BYTES} bytes"
            ),
        )),
        Err(err) => Err(error(ErrorCode::Internal, err.to_string())),
    };
    match sealed {
        Ok(sealed) => {
            let mut events = first;
            events.push(StreamEvent::Done {
                response_id: Some(sealed),
                usage: None,
            });
            events
        }
        Err(error) => tool_loop.fail(error),
    }
}

/// What a request's opened continuation means for the answer `runner` will give: a new answer
/// (`None`), or edge mode's paused loop to resume, checked against this conversation and the
/// request's decisions. Any other pairing (a hosted response id in edge mode, a paused loop in
/// hosted mode, a loop of another conversation, decisions that do not answer exactly the waiting
/// calls) is refused before anything leaves the edge.
pub fn resumed(
    runner: Runner,
    continuation: Continuation,
    chat: &ChatRequest,
) -> Result<Option<Paused>, EdgeError> {
    let foreign = || EdgeError::Continuation(SealError::Foreign);
    match (runner, continuation) {
        (Runner::Edge, Continuation::Paused(payload)) => {
            let paused = decode(&payload, chat).map_err(|_| foreign())?;
            if paused.rounds.is_empty() {
                return Err(foreign());
            }
            match (&paused.elicited, &chat.elicitation) {
                (None, None) if paused.decided_by(&chat.approvals) => Ok(Some(paused)),
                (Some(elicited), Some(reply)) if chat.approvals.is_empty() => {
                    match elicit::answer_for(elicited, reply) {
                        Ok(_) => Ok(Some(paused)),
                        Err(ReplyError::Invalid(why)) => Err(EdgeError::InvalidElicitation(why)),
                        Err(ReplyError::Mismatch) => Err(foreign()),
                    }
                }
                _ => Err(foreign()),
            }
        }
        (Runner::Edge, Continuation::Response) | (Runner::Provider, Continuation::Paused(_)) => {
            Err(foreign())
        }
        (_, Continuation::None | Continuation::Response) if chat.elicitation.is_none() => Ok(None),
        (_, Continuation::None | Continuation::Response) => Err(foreign()),
    }
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
            elicited: None,
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

    #[test]
    fn a_continuation_resumes_only_its_own_paused_loop_in_edge_mode() {
        let question = || {
            let mut chat = chat("delete 7");
            chat.approvals =
                serde_json::from_str(r#"[{"approval_request_id":"call_1","approve":true}]"#)
                    .unwrap();
            chat
        };
        let secrets = Secrets::new(["pom_mat_te"]);
        let bytes = encode(&paused("x"), &question(), &secrets).unwrap();
        let refused = |res: Result<Option<Paused>, EdgeError>| {
            matches!(res, Err(EdgeError::Continuation(SealError::Foreign)))
        };
        let edge = Runner::Edge;
        assert_eq!(
            resumed(edge, Continuation::Paused(bytes.clone()), &question()).unwrap(),
            Some(paused("x"))
        );
        assert!(
            resumed(edge, Continuation::None, &question())
                .unwrap()
                .is_none()
        );
        assert!(
            resumed(Runner::Provider, Continuation::None, &question())
                .unwrap()
                .is_none()
        );
        assert!(
            resumed(Runner::Provider, Continuation::Response, &question())
                .unwrap()
                .is_none()
        );
        // Pairings that cannot be.
        assert!(refused(resumed(edge, Continuation::Response, &question())));
        let paused_bytes = Continuation::Paused(bytes.clone());
        assert!(refused(resumed(
            Runner::Provider,
            paused_bytes,
            &question()
        )));
        // Another conversation, or decisions that do not answer the waiting calls.
        let other = Continuation::Paused(bytes.clone());
        assert!(refused(resumed(edge, other, &chat("delete 8"))));
        let mut wrong = question();
        wrong.approvals[0].approval_request_id = "call_2".into();
        assert!(refused(resumed(
            edge,
            Continuation::Paused(bytes.clone()),
            &wrong
        )));
        let mut twice = question();
        twice.approvals.push(twice.approvals[0].clone());
        assert!(refused(resumed(edge, Continuation::Paused(bytes), &twice)));
    }

    #[test]
    fn a_question_resumes_only_with_a_fitting_reply_to_it() {
        use crate::answer::elicit::Resume;
        use protocol::{ElicitAction, ElicitationReply};
        use serde_json::json;
        let secrets = Secrets::new(["pom_mat_te"]);
        let mut asking = paused("x");
        asking.waiting = vec![];
        asking.elicited = Some(Elicited {
            job: paused("x").waiting[0].clone(),
            queued: vec![],
            question: json!({"message":"Which year?","requestedSchema":{"type":"object",
                "properties":{"year":{"type":"integer","minimum":1996,"maximum":1998}},
                "required":["year"]}}),
            resume: Resume::Stream {
                session_id: Some("s".into()),
                version: "2025-11-25".into(),
                call: 2,
                request: json!(0),
                last_event_id: Some("0/2".into()),
            },
        });
        let replying = |id: &str, content: serde_json::Value| {
            let mut chat = chat("delete 7");
            chat.elicitation = Some(ElicitationReply {
                elicitation_id: id.into(),
                action: ElicitAction::Accept,
                content: serde_json::from_value(content).unwrap(),
            });
            chat
        };
        let bytes = encode(&asking, &chat("delete 7"), &secrets).unwrap();
        let resume =
            |chat: &ChatRequest| resumed(Runner::Edge, Continuation::Paused(bytes.clone()), chat);
        assert_eq!(
            resume(&replying("call_1", json!({"year":1997}))).unwrap(),
            Some(asking.clone())
        );
        // Values that fail the form: a coded 400, nothing sent.
        match resume(&replying("call_1", json!({"year":2001}))) {
            Err(EdgeError::InvalidElicitation(why)) => assert_eq!(why, "year: not a valid value"),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            resume(&replying("call_1", json!({}))),
            Err(EdgeError::InvalidElicitation(_))
        ));
        let foreign = |res: Result<Option<Paused>, EdgeError>| {
            matches!(res, Err(EdgeError::Continuation(SealError::Foreign)))
        };
        // A reply to another call, no reply, approvals instead of a reply.
        assert!(foreign(resume(&replying("call_9", json!({"year":1997})))));
        assert!(foreign(resume(&chat("delete 7"))));
        let mut with_approvals = replying("call_1", json!({"year":1997}));
        with_approvals.approvals =
            serde_json::from_str(r#"[{"approval_request_id":"call_1","approve":true}]"#).unwrap();
        assert!(foreign(resume(&with_approvals)));
        // A reply to a loop paused for approvals, or with no paused loop at all.
        let approving = encode(&paused("x"), &chat("delete 7"), &secrets).unwrap();
        let mut both = replying("call_1", json!({"year":1997}));
        both.approvals = with_approvals.approvals.clone();
        assert!(foreign(resumed(
            Runner::Edge,
            Continuation::Paused(approving),
            &both
        )));
        assert!(foreign(resumed(
            Runner::Edge,
            Continuation::None,
            &replying("call_1", json!({"year":1997}))
        )));
    }

    #[test]
    fn a_pause_ends_with_the_sealed_loop_or_a_coded_error() {
        use crate::config::Config;
        use crate::incoming::identity::Identity;
        let config = Config::from_lookup(|k| {
            (k == "seal_secret").then(|| "0123456789abcdef0123456789abcdef".to_owned())
        });
        let secrets = Secrets::new(["pom_mat_te"]);
        let limits = crate::answer::tool_loop::Limits::from_config(&config);
        let toolbox = crate::mcp::toolbox::Toolbox::default();
        let pause_as = |identity: &Identity, waiting: Vec<ToolJob>| {
            let sealer = Sealer::new(&config, identity, 1_000).unwrap();
            let mut tool_loop = ToolLoop::new(toolbox.clone(), limits, vec![]);
            pause(&mut tool_loop, waiting, &chat("q"), &secrets, &sealer)
        };
        let waiting = paused("x").waiting;
        match pause_as(&Identity::local(), waiting.clone()).as_slice() {
            [
                StreamEvent::Done {
                    response_id: Some(id),
                    ..
                },
            ] => assert!(id.starts_with("v1.")),
            other => panic!("{other:?}"),
        }
        // Token mode names no user: nothing can be sealed to them.
        match pause_as(&Identity::unnamed(), waiting).as_slice() {
            [StreamEvent::Error(e)] => assert_eq!(e.code, ErrorCode::InvalidConfiguration),
            other => panic!("{other:?}"),
        }
        let huge = ToolJob {
            arguments: "y".repeat(MAX_PENDING_BYTES),
            ..paused("x").waiting[0].clone()
        };
        match pause_as(&Identity::local(), vec![huge]).as_slice() {
            [StreamEvent::Error(e)] => assert_eq!(e.code, ErrorCode::ToolOutputExceeded),
            other => panic!("{other:?}"),
        }
    }
}
