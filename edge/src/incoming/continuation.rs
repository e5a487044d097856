//! Continuations: the ids a stream hands to the browser and a later chat request hands back
//! (`response_id` of `done` as `previous_response_id`, `approval_request_id`, `elicitation_id`),
//! sealed to the user who got them ([`crate::incoming::seal`]).
//!
//! Going out, [`Sealer::seal_event`] replaces each id with its sealed form; the provider's own
//! id never reaches the browser. In edge tool mode the `response_id` of an answer that waits for
//! approvals is the paused tool loop itself, sealed as [`Purpose::PendingToolCall`]
//! ([`Sealer::seal_pending`], `crate::answer::pending`); coming back it opens as
//! [`Continuation::Paused`], and the caller refuses it where the tool mode does not match.
//! Coming back, [`Sealer::open_request`] opens every id before
//! anything leaves the edge, so another user's id, an id for another use, an altered or an
//! expired one is refused (403 `invalid_continuation`) with no provider or Pomerium call; a
//! `resume.handle` ([`Purpose::ResumeHandle`]) opens in place the same way. A user
//! the edge cannot name (`jwt_assertion = off`) gets no ids and can continue nothing.

use protocol::{ChatRequest, StreamEvent};

use crate::config::Config;
use crate::error::EdgeError;
use crate::incoming::identity::Identity;
use crate::incoming::seal::{self, Purpose, SealError};

/// How long a continuation stays valid, in seconds.
pub const CONTINUATION_TTL_SECS: u64 = 3600;

/// What a request's `previous_response_id` continues, once opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Continuation {
    /// A new answer.
    None,
    /// A provider's stored response (hosted mode); the opened id is in the request.
    Response,
    /// Edge mode's paused tool loop: the opened payload (`crate::answer::pending`).
    Paused(Vec<u8>),
}

/// Seals and opens the ids of one request, for one user.
#[derive(Debug, Clone)]
pub struct Sealer {
    /// The key; empty when the user is unknown (nothing is sealed, nothing opens).
    secret: Vec<u8>,
    subject: String,
    now: u64,
}

impl Sealer {
    /// The sealer for `identity` at `now` (Unix seconds); refuses when `seal_secret` is not
    /// usable, since then no answer could be continued safely.
    pub fn new(config: &Config, identity: &Identity, now: u64) -> Result<Self, EdgeError> {
        let secret = config
            .seal_secret
            .as_ref()
            .ok_or(EdgeError::InvalidConfiguration("seal_secret"))?;
        Ok(Self {
            secret: if identity.is_known() {
                secret.bytes().to_vec()
            } else {
                Vec::new()
            },
            subject: identity.subject.clone(),
            now,
        })
    }

    fn seal(&self, purpose: Purpose, id: &str) -> Option<String> {
        (!self.secret.is_empty()).then(|| {
            seal::seal(
                &self.secret,
                purpose,
                &self.subject,
                self.now + CONTINUATION_TTL_SECS,
                id.as_bytes(),
            )
        })
    }

    fn open(&self, purpose: Purpose, sealed: &str) -> Result<String, SealError> {
        if self.secret.is_empty() {
            return Err(SealError::Foreign);
        }
        let payload = seal::open(&self.secret, purpose, &self.subject, self.now, sealed)?;
        String::from_utf8(payload).map_err(|_| SealError::Malformed)
    }

    /// `payload` sealed to the user for `purpose` until `ttl_secs` from now; `None` for a user
    /// the edge cannot name.
    pub fn seal_payload(&self, purpose: Purpose, ttl_secs: u64, payload: &[u8]) -> Option<String> {
        (!self.secret.is_empty()).then(|| {
            seal::seal(
                &self.secret,
                purpose,
                &self.subject,
                self.now + ttl_secs,
                payload,
            )
        })
    }

    /// Opens a value [`Sealer::seal_payload`] sealed to this user for `purpose`.
    pub fn open_payload(&self, purpose: Purpose, sealed: &str) -> Result<Vec<u8>, SealError> {
        if self.secret.is_empty() {
            return Err(SealError::Foreign);
        }
        seal::open(&self.secret, purpose, &self.subject, self.now, sealed)
    }

    /// The event as the browser may see it: ids sealed (withheld for an unknown user).
    pub fn seal_event(&self, event: StreamEvent) -> StreamEvent {
        match event {
            StreamEvent::Done { response_id, usage } => StreamEvent::Done {
                response_id: response_id.and_then(|id| self.seal(Purpose::ResponseId, &id)),
                usage,
            },
            StreamEvent::ApprovalRequest {
                approval_request_id,
                server,
                tool,
                arguments,
            } => StreamEvent::ApprovalRequest {
                approval_request_id: self
                    .seal(Purpose::ApprovalRequest, &approval_request_id)
                    .unwrap_or_default(),
                server,
                tool,
                arguments,
            },
            StreamEvent::ElicitationRequest {
                elicitation_id,
                call_id,
                message,
                fields,
                url,
            } => StreamEvent::ElicitationRequest {
                elicitation_id: self
                    .seal(Purpose::Elicitation, &elicitation_id)
                    .unwrap_or_default(),
                call_id,
                message,
                fields,
                url,
            },
            other => other,
        }
    }

    /// A paused tool loop's payload, sealed to the user for `pending::PENDING_TTL_SECS`;
    /// `None` for a user the edge cannot name.
    pub fn seal_pending(&self, payload: &[u8]) -> Option<String> {
        (!self.secret.is_empty()).then(|| {
            seal::seal(
                &self.secret,
                Purpose::PendingToolCall,
                &self.subject,
                self.now + crate::answer::pending::PENDING_TTL_SECS,
                payload,
            )
        })
    }

    /// A background answer's resume handle for `payload` (`crate::answer::resume`), sealed to
    /// the user for `ttl_secs`; `None` for a user the edge cannot name.
    pub fn seal_resume(&self, payload: &[u8], ttl_secs: u64) -> Option<String> {
        (!self.secret.is_empty()).then(|| {
            seal::seal(
                &self.secret,
                Purpose::ResumeHandle,
                &self.subject,
                self.now + ttl_secs,
                payload,
            )
        })
    }

    /// Opens a resume handle on its own (`POST /api/chat/cancel`).
    pub fn open_resume(&self, sealed: &str) -> Result<String, EdgeError> {
        Ok(self.open(Purpose::ResumeHandle, sealed)?)
    }

    /// Opens every continuation id of `chat` in place; the first that does not open refuses
    /// the whole request. A `previous_response_id` opens as a provider's response id or as a
    /// paused tool loop (the purpose is part of the seal, so at most one can open); a paused
    /// loop leaves the request as [`Continuation::Paused`], with `previous_response_id` unset.
    pub fn open_request(&self, chat: &mut ChatRequest) -> Result<Continuation, EdgeError> {
        let mut res = Continuation::None;
        if let Some(sealed) = chat.previous_response_id.take() {
            match self.open(Purpose::ResponseId, &sealed) {
                Ok(id) => {
                    chat.previous_response_id = Some(id);
                    res = Continuation::Response;
                }
                Err(SealError::Foreign | SealError::Malformed) if !self.secret.is_empty() => {
                    let payload = seal::open(
                        &self.secret,
                        Purpose::PendingToolCall,
                        &self.subject,
                        self.now,
                        &sealed,
                    )?;
                    res = Continuation::Paused(payload);
                }
                Err(err) => return Err(err.into()),
            }
        }
        for approval in &mut chat.approvals {
            approval.approval_request_id =
                self.open(Purpose::ApprovalRequest, &approval.approval_request_id)?;
        }
        if let Some(reply) = &mut chat.elicitation {
            reply.elicitation_id = self.open(Purpose::Elicitation, &reply.elicitation_id)?;
        }
        if let Some(resume) = &mut chat.resume {
            resume.handle = self.open(Purpose::ResumeHandle, &resume.handle)?;
        }
        Ok(res)
    }
}

#[cfg(test)]
mod tests {
    use protocol::{ApprovalDecision, Role, Turn};

    use super::*;

    const NOW: u64 = 1_800_000_000;

    fn config(secret: Option<&'static str>) -> Config {
        Config::from_lookup(move |k| {
            (k == "seal_secret")
                .then(|| secret.map(str::to_owned))
                .flatten()
        })
    }

    fn user(subject: &str) -> Identity {
        Identity {
            subject: subject.into(),
            email: None,
            name: None,
        }
    }

    const SECRET: &str = "0123456789abcdef0123456789abcdef!";

    fn continuing(response_id: &str, approval_id: &str) -> ChatRequest {
        ChatRequest {
            messages: vec![Turn {
                role: Role::User,
                content: "go".into(),
                attachments: vec![],
            }],
            servers: vec![],
            model: None,
            previous_response_id: Some(response_id.into()),
            approvals: vec![ApprovalDecision {
                approval_request_id: approval_id.into(),
                approve: true,
            }],
            elicitation: None,
            hosted_tools: vec![],
            resume: None,
        }
    }

    /// The sealed ids of a `done` and an `approval_request` that `sealer` sent out.
    fn handed_out(sealer: &Sealer) -> (String, String) {
        let done = sealer.seal_event(StreamEvent::Done {
            response_id: Some("resp_1".into()),
            usage: None,
        });
        let approval = sealer.seal_event(StreamEvent::ApprovalRequest {
            approval_request_id: "mcpr_1".into(),
            server: "s".into(),
            tool: "t".into(),
            arguments: "{}".into(),
        });
        match (done, approval) {
            (
                StreamEvent::Done {
                    response_id: Some(r),
                    ..
                },
                StreamEvent::ApprovalRequest {
                    approval_request_id: a,
                    ..
                },
            ) => (r, a),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn ids_go_out_sealed_and_come_back_opened_for_the_same_user() {
        let sealer = Sealer::new(&config(Some(SECRET)), &user("ann"), NOW).unwrap();
        let (response, approval) = handed_out(&sealer);
        assert!(!response.contains("resp_1") && response.starts_with("v1."));
        assert!(approval.starts_with("v1."));
        let mut chat = continuing(&response, &approval);
        sealer.open_request(&mut chat).unwrap();
        assert_eq!(chat.previous_response_id.as_deref(), Some("resp_1"));
        assert_eq!(chat.approvals[0].approval_request_id, "mcpr_1");
    }

    #[test]
    fn a_paused_loop_opens_only_for_its_user_within_its_time() {
        let ann = Sealer::new(&config(Some(SECRET)), &user("ann"), NOW).unwrap();
        // Larger than any id: a paused loop may be up to `pending::MAX_PENDING_BYTES`.
        let payload = "p".repeat(crate::answer::pending::MAX_PENDING_BYTES);
        let sealed = ann.seal_pending(payload.as_bytes()).unwrap();
        assert!(sealed.len() > seal::MAX_SEALED_LEN);
        let (_, approval) = handed_out(&ann);
        let mut chat = continuing(&sealed, &approval);
        assert_eq!(
            ann.open_request(&mut chat).unwrap(),
            Continuation::Paused(payload.into_bytes())
        );
        assert_eq!(chat.previous_response_id, None);
        let bob = Sealer::new(&config(Some(SECRET)), &user("bob"), NOW).unwrap();
        let later = crate::answer::pending::PENDING_TTL_SECS + 1;
        let late = Sealer::new(&config(Some(SECRET)), &user("ann"), NOW + later).unwrap();
        for (sealer, want) in [(&bob, SealError::Foreign), (&late, SealError::Expired)] {
            let err = sealer
                .open_request(&mut continuing(&sealed, &approval))
                .unwrap_err();
            assert!(
                matches!(err, EdgeError::Continuation(e) if e == want),
                "{err:?}"
            );
        }
        let unknown = Sealer::new(&config(Some(SECRET)), &Identity::unnamed(), NOW).unwrap();
        assert_eq!(unknown.seal_pending(b"x"), None);
    }

    #[test]
    fn foreign_swapped_raw_and_expired_ids_are_refused() {
        let ann = Sealer::new(&config(Some(SECRET)), &user("ann"), NOW).unwrap();
        let (response, approval) = handed_out(&ann);
        let bob = Sealer::new(&config(Some(SECRET)), &user("bob"), NOW).unwrap();
        let later = Sealer::new(
            &config(Some(SECRET)),
            &user("ann"),
            NOW + CONTINUATION_TTL_SECS + 1,
        )
        .unwrap();
        let unknown = Sealer::new(&config(Some(SECRET)), &Identity::unnamed(), NOW).unwrap();
        for (sealer, chat, want) in [
            (&bob, continuing(&response, &approval), SealError::Foreign),
            (&ann, continuing(&approval, &approval), SealError::Foreign),
            (&ann, continuing(&response, &response), SealError::Foreign),
            (&ann, continuing("resp_1", &approval), SealError::Malformed),
            (&ann, continuing(&response, "mcpr_1"), SealError::Malformed),
            (&ann, continuing(&response, ""), SealError::Missing),
            (&later, continuing(&response, &approval), SealError::Expired),
            (
                &unknown,
                continuing(&response, &approval),
                SealError::Foreign,
            ),
        ] {
            let mut chat = chat;
            let err = sealer.open_request(&mut chat).unwrap_err();
            assert!(
                matches!(err, EdgeError::Continuation(e) if e == want),
                "{err:?}, want {want:?}"
            );
        }
    }

    #[test]
    fn an_elicitation_id_opens_only_for_its_user_use_and_time() {
        use protocol::{ElicitAction, ElicitationReply};
        let ann = Sealer::new(&config(Some(SECRET)), &user("ann"), NOW).unwrap();
        let sealed = match ann.seal_event(StreamEvent::ElicitationRequest {
            elicitation_id: "call_1".into(),
            call_id: "call_1".into(),
            message: "Which year?".into(),
            fields: vec![],
            url: None,
        }) {
            StreamEvent::ElicitationRequest {
                elicitation_id,
                call_id,
                ..
            } => {
                assert_eq!(call_id, "call_1");
                elicitation_id
            }
            other => panic!("{other:?}"),
        };
        assert!(sealed.starts_with("v1.") && sealed != "call_1");
        let answering = |id: &str| {
            let mut chat = continuing("x", "y");
            chat.previous_response_id = None;
            chat.approvals.clear();
            chat.elicitation = Some(ElicitationReply {
                elicitation_id: id.into(),
                action: ElicitAction::Decline,
                content: Default::default(),
            });
            chat
        };
        let mut chat = answering(&sealed);
        ann.open_request(&mut chat).unwrap();
        assert_eq!(chat.elicitation.unwrap().elicitation_id, "call_1");
        let refused = |sealer: &Sealer, id: &str| {
            matches!(
                sealer.open_request(&mut answering(id)),
                Err(EdgeError::Continuation(_))
            )
        };
        let bob = Sealer::new(&config(Some(SECRET)), &user("bob"), NOW).unwrap();
        assert!(refused(&bob, &sealed), "another user");
        let later = Sealer::new(
            &config(Some(SECRET)),
            &user("ann"),
            NOW + CONTINUATION_TTL_SECS + 1,
        )
        .unwrap();
        assert!(refused(&later, &sealed), "expired");
        assert!(refused(&ann, "call_1"), "unsealed");
        let tampered = sealed.replacen("v1.", "v1.A", 1);
        assert!(refused(&ann, &tampered), "tampered");
        // An approval id is not an elicitation id.
        let (_, approval) = handed_out(&ann);
        assert!(refused(&ann, &approval), "another use");
    }

    #[test]
    fn no_secret_refuses_and_an_unknown_user_gets_no_ids() {
        assert!(matches!(
            Sealer::new(&config(None), &user("ann"), NOW),
            Err(EdgeError::InvalidConfiguration("seal_secret"))
        ));
        let unknown = Sealer::new(&config(Some(SECRET)), &Identity::unnamed(), NOW).unwrap();
        assert_eq!(
            unknown.seal_event(StreamEvent::Done {
                response_id: Some("resp_1".into()),
                usage: None,
            }),
            StreamEvent::Done {
                response_id: None,
                usage: None
            }
        );
    }
}
