//! Resuming an answer whose stream broke off (the edge's background mode, README "Resume").
//!
//! When the provider keeps a running answer (OpenAI's background mode), the edge sends a
//! [`crate::StreamEvent::Resumable`] handle, and marks the points of its stream from which the
//! answer can be continued exactly with an SSE `id:` line: the provider's `sequence_number` of
//! the last provider event whose output is complete at that point. Events between two marks
//! belong together: the widget keeps them only once the next mark arrives ([`Groups`]), so a
//! connection cut inside a group loses the whole group, and the resumed stream, which starts
//! right after the last mark, sends it again whole. Nothing is repeated or lost.
//!
//! A chat request carrying [`ResumeFrom`] (the handle and the last mark) asks the edge to
//! continue; the edge checks the handle's seal before anything else. Stop sends the handle to
//! `POST /api/chat/cancel` ([`CancelRequest`]), so the provider stops the answer too.

use serde::{Deserialize, Serialize};

use crate::StreamEvent;
use crate::sse::Frame;

/// Where to continue a broken-off answer: the body field `resume` of a chat request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResumeFrom {
    /// The handle of the answer's `resumable` event.
    pub handle: String,
    /// The SSE `id:` of the last mark the widget kept.
    pub after: u64,
}

/// The body of `POST /api/chat/cancel`: the user stopped a resumable answer, which the
/// provider would otherwise finish on its own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CancelRequest {
    /// The handle of the answer's `resumable` event.
    pub handle: String,
}

/// The widget's side of the marks: frames in, the events that may be shown out.
///
/// Before the first mark (or on a stream without marks) every event passes at once. After a
/// mark, events wait until the next mark and then pass together; [`Groups::cursor`] is the last
/// mark passed. At the stream's regular end what waits passes too; when the stream breaks, the
/// caller drops this and resumes after [`Groups::cursor`].
#[derive(Debug, Default)]
pub struct Groups {
    cursor: Option<u64>,
    /// An `id:` that was not a number (the edge stopped marking): no resuming from here on.
    unmarked: bool,
    waiting: Vec<StreamEvent>,
}

impl Groups {
    /// The groups of a resumed stream, which continues after mark `after`: nothing passes before
    /// its first mark.
    pub fn after(after: u64) -> Self {
        Self {
            cursor: Some(after),
            ..Self::default()
        }
    }

    /// Takes one decoded frame and its event (`None`: not an event this version knows); gives
    /// the events that may be shown now, in order.
    pub fn push(&mut self, frame: &Frame, event: Option<StreamEvent>) -> Vec<StreamEvent> {
        self.waiting.extend(event);
        let mark = match frame.id.as_deref() {
            None => None,
            Some(id) => match id.parse::<u64>() {
                Ok(n) => Some(n),
                Err(_) => {
                    self.unmarked = true;
                    self.cursor = None;
                    None
                }
            },
        };
        let new_mark = mark.is_some_and(|n| self.cursor != Some(n)) && !self.unmarked;
        if new_mark {
            self.cursor = mark;
        }
        if new_mark || self.cursor.is_none() {
            return std::mem::take(&mut self.waiting);
        }
        Vec::new()
    }

    /// The stream ended regularly: whatever still waits.
    pub fn finish(&mut self) -> Vec<StreamEvent> {
        std::mem::take(&mut self.waiting)
    }

    /// The last mark passed: where a resumed stream continues.
    pub fn cursor(&self) -> Option<u64> {
        self.cursor
    }
}

/// The SSE frame of `event` marked with `id:` `mark` (the edge's encoder of marks).
pub fn encode_marked(event: &StreamEvent, mark: u64) -> String {
    format!("id: {mark}\n{}", crate::sse::encode(event))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sse::{Decoder, encode};

    fn text(s: &str) -> StreamEvent {
        StreamEvent::TextDelta { delta: s.into() }
    }

    /// The events `Groups` lets through for `bytes`, read whole.
    fn shown(bytes: &str) -> (Vec<StreamEvent>, Option<u64>) {
        let mut groups = Groups::default();
        let mut out = Vec::new();
        for frame in Decoder::default().push(bytes.as_bytes()) {
            let event = StreamEvent::from_frame(&frame).ok();
            out.extend(groups.push(&frame, event));
        }
        (out, groups.cursor())
    }

    #[test]
    fn unmarked_streams_pass_at_once() {
        let stream = format!("{}{}", encode(&text("a")), encode(&text("b")));
        assert_eq!(shown(&stream), (vec![text("a"), text("b")], None));
    }

    #[test]
    fn events_after_a_mark_wait_for_the_next_mark() {
        let stream = [
            encode(&StreamEvent::Started {
                request_id: "r".into(),
            }),
            encode_marked(&StreamEvent::Resumable { handle: "h".into() }, 1),
            encode(&text("a")),
            encode_marked(&text("b"), 4),
            encode(&text("c")),
        ]
        .concat();
        let (events, cursor) = shown(&stream);
        assert_eq!(cursor, Some(4));
        assert_eq!(events.len(), 4, "c waits: {events:?}");
        assert_eq!(events[2..], [text("a"), text("b")]);
        // Cut anywhere: what was shown ends at a mark, and the cursor is that mark.
        for cut in 0..stream.len() {
            let (events, cursor) = shown(&stream[..cut]);
            let expect = match cursor {
                None => events.len() <= 1,
                Some(1) => events.len() == 2,
                Some(4) => events.len() == 4,
                Some(_) => false,
            };
            assert!(expect, "cut {cut}: {events:?} {cursor:?}");
        }
    }

    #[test]
    fn an_id_that_is_not_a_number_stops_resuming() {
        let stream = [
            encode_marked(&text("a"), 2),
            encode(&text("b")),
            format!("id: none\n{}", encode(&text("c"))),
            encode(&text("d")),
        ]
        .concat();
        assert_eq!(
            shown(&stream),
            (vec![text("a"), text("b"), text("c"), text("d")], None)
        );
    }

    #[test]
    fn the_resume_field_is_strict() {
        let from: ResumeFrom = serde_json::from_str(r#"{"handle":"v1.x","after":7}"#).unwrap();
        assert_eq!(from.after, 7);
        assert!(serde_json::from_str::<ResumeFrom>(r#"{"handle":"h","after":-1}"#).is_err());
        assert!(serde_json::from_str::<ResumeFrom>(r#"{"handle":"h","after":1,"x":1}"#).is_err());
    }
}
