//! Resuming a hosted answer that runs in the provider's background mode
//! (`background_answers = on`; `protocol::resume` is the widget's side).
//!
//! The provider keeps such an answer running and stored for about ten minutes, and replays its
//! events after any `sequence_number` (`GET {base}/responses/{id}?stream=true&starting_after=N`).
//! The edge hands the widget a [`Handle`] (the response id and the answer's servers) sealed to
//! the user, and marks its stream ([`Marks`]): an SSE `id:` N goes on the last event of each
//! group, where N is the provider event after which everything translated is out, with nothing
//! held back by a scrubber. Groups are written whole and only at such points, so a resume after
//! N (by the widget, or by the edge itself once when the provider's stream breaks) gives the
//! rest exactly: no text repeated or lost. Output that stays unmarked longer than
//! [`MAX_UNMARKED_BYTES`] is sent with the mark `none`: the answer can no longer be resumed.
//!
//! Coming back, the opened handle is checked against the request ([`point`]): hosted mode with
//! background answers on, the same servers; edge tool mode and Chat Completions cannot resume.

use protocol::{ChatRequest, StreamEvent, sse};
use serde::{Deserialize, Serialize};

use crate::answer::feed::Relay;
use crate::answer::runner::Runner;
use crate::config::Config;
use crate::error::EdgeError;
use crate::incoming::continuation::Sealer;
use crate::incoming::seal::SealError;

/// How long a handle opens, in seconds: about as long as the provider keeps the answer.
pub const RESUME_TTL_SECS: u64 = 600;
/// Most bytes of widget events held back waiting for a mark.
pub const MAX_UNMARKED_BYTES: usize = 64 * 1024;
/// How often the edge resumes a provider stream that broke, on its own, per answer.
pub const SELF_RESUMES: u8 = 1;
/// The mark that says: no resuming from here on.
const NO_MARK: &str = "none";

/// What a resume handle holds (its sealed payload; in the clear, as every sealed value).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Handle {
    /// The provider's response id.
    #[serde(rename = "r")]
    pub response_id: String,
    /// The server ids the answer was asked with, sorted.
    #[serde(rename = "s")]
    pub servers: Vec<String>,
}

impl Handle {
    /// The handle of response `response_id` asked with `servers`.
    pub fn new(response_id: &str, servers: &[String]) -> Self {
        let mut servers = servers.to_vec();
        servers.sort();
        Self {
            response_id: response_id.to_owned(),
            servers,
        }
    }

    /// Sealed to the user of `sealer`; `None` for a user the edge cannot name.
    pub fn seal(&self, sealer: &Sealer) -> Option<String> {
        let payload = serde_json::to_vec(self).ok()?;
        sealer.seal_resume(&payload, RESUME_TTL_SECS)
    }

    /// A payload the seal opened; refused unless the id is a plain provider id.
    pub fn opened(payload: &str) -> Result<Self, EdgeError> {
        let handle: Self =
            serde_json::from_str(payload).map_err(|_| EdgeError::from(SealError::Malformed))?;
        let plain = !handle.response_id.is_empty()
            && handle.response_id.len() <= 128
            && handle
                .response_id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if !plain {
            return Err(SealError::Malformed.into());
        }
        Ok(handle)
    }
}

/// Where a resumed answer continues, checked against its request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Point {
    /// The answer.
    pub handle: Handle,
    /// The last mark the widget kept.
    pub after: u64,
}

/// The resume point of `chat` (its handle already opened by [`Sealer::open_request`]), for an
/// answer `runner` gives under `config`: `None` for a new answer. Refused where the answer
/// cannot be resumed, or the handle was made for other servers.
pub fn point(
    config: &Config,
    runner: Runner,
    chat: &ChatRequest,
) -> Result<Option<Point>, EdgeError> {
    let Some(resume) = &chat.resume else {
        return Ok(None);
    };
    if runner == Runner::Edge {
        return Err(EdgeError::NotResumable("edge tool mode"));
    }
    if !config.background_answers {
        return Err(EdgeError::NotResumable("background_answers is off"));
    }
    let handle = Handle::opened(&resume.handle)?;
    if handle != Handle::new(&handle.response_id, &chat.servers) {
        return Err(SealError::Foreign.into());
    }
    Ok(Some(Point {
        handle,
        after: resume.after,
    }))
}

/// The answer a `POST /api/chat/cancel` names (its handle opened by
/// [`Sealer::open_resume`]); refused unless background answers are on.
pub fn to_cancel(config: &Config, opened: &str) -> Result<Handle, EdgeError> {
    if !config.background_answers {
        return Err(EdgeError::NotResumable("background_answers is off"));
    }
    Handle::opened(opened)
}

/// `POST` this to stop response `id` at the provider.
pub fn cancel_url(config: &Config, id: &str) -> String {
    format!("{}/responses/{id}/cancel", config.base_url)
}

/// `GET` this to replay response `id` after event `after`, streamed.
pub fn resume_url(config: &Config, id: &str, after: u64) -> String {
    format!(
        "{}/responses/{id}?stream=true&starting_after={after}",
        config.base_url
    )
}

/// Hosted mode's `relay` for an answer: continuing `point`'s response after its mark, or marked
/// for resuming when background answers are on (sealing the handle with `sealer`), or as is.
pub fn relay_for(
    config: &Config,
    relay: Relay,
    point: Option<&Point>,
    sealer: &Sealer,
    servers: &[String],
) -> Relay {
    match point {
        Some(point) => relay
            .continuing(&point.handle.response_id)
            .marked(Marks::after(point.after)),
        None if config.background_answers => relay.marked(Marks::new(sealer.clone(), servers)),
        None => relay,
    }
}

/// The provider stream's state after one of its events, as [`Marks::event`] reads it (the
/// decoder gives the sequence, the tool loop the rest).
#[derive(Debug, Clone, Copy)]
pub struct After<'a> {
    /// The event's `sequence_number`, when it had one.
    pub sequence: Option<u64>,
    /// No scrubber holds text back: everything translated so far is out.
    pub holds_nothing: bool,
    /// The provider's response id, once known.
    pub response_id: Option<&'a str>,
}

/// The marks of one relayed answer (see the module docs).
#[derive(Debug)]
pub struct Marks {
    /// To seal the handle once the response id is known; `None` once sent (or for a resumed
    /// stream, whose widget has it).
    handle: Option<(Sealer, Vec<String>)>,
    /// The last mark sent.
    mark: Option<u64>,
    /// The last provider event after which nothing was held back: where the edge resumes.
    clean: Option<u64>,
    /// Events since the last mark, and their encoded size.
    waiting: Vec<StreamEvent>,
    waiting_bytes: usize,
    /// No marks any more (unknown user, too much unmarked output).
    off: bool,
    resumes_left: u8,
}

impl Marks {
    /// The marks of a new answer by the user of `sealer` with `servers`.
    pub fn new(sealer: Sealer, servers: &[String]) -> Self {
        Self {
            handle: Some((sealer, servers.to_vec())),
            mark: None,
            clean: None,
            waiting: Vec::new(),
            waiting_bytes: 0,
            off: false,
            resumes_left: SELF_RESUMES,
        }
    }

    /// The marks of an answer resumed after mark `after` (its widget has the handle).
    pub fn after(after: u64) -> Self {
        Self {
            handle: None,
            mark: Some(after),
            clean: Some(after),
            waiting: Vec::new(),
            waiting_bytes: 0,
            off: false,
            resumes_left: SELF_RESUMES,
        }
    }

    /// The widget events one provider event gave, and the decoder's state after it: the
    /// event's `sequence_number`, whether no scrubber holds text back, and the response id once
    /// known. Gives the SSE text to send now (maybe none: the events wait for a mark).
    pub fn event(&mut self, events: Vec<StreamEvent>, after: &After) -> String {
        if self.off {
            return encode(&events);
        }
        if let Some((sealer, servers)) = &self.handle
            && let Some(id) = after.response_id
        {
            let sealed = Handle::new(id, servers).seal(sealer);
            self.handle = None;
            match sealed {
                Some(handle) => self.wait(StreamEvent::Resumable { handle }),
                None => {
                    self.off = true;
                    let mut out = self.release();
                    out.push_str(&encode(&events));
                    return out;
                }
            }
        }
        for event in events {
            self.wait(event);
        }
        let at_mark = after
            .sequence
            .filter(|seq| after.holds_nothing && self.clean.is_none_or(|c| *seq > c));
        if let Some(seq) = at_mark {
            self.clean = Some(seq);
            if self.waiting.is_empty() {
                return String::new();
            }
            self.mark = Some(seq);
            return self.take(&seq.to_string());
        }
        if self.waiting_bytes > MAX_UNMARKED_BYTES {
            self.off = true;
            return self.take(NO_MARK);
        }
        String::new()
    }

    fn wait(&mut self, event: StreamEvent) {
        // The encoded size, roughly: what the widget will be sent.
        self.waiting_bytes += serde_json::to_string(&event).map_or(0, |s| s.len()) + 32;
        self.waiting.push(event);
    }

    /// What waits, with `mark` on its last event.
    fn take(&mut self, mark: &str) -> String {
        self.waiting_bytes = 0;
        let mut events = std::mem::take(&mut self.waiting);
        let Some(last) = events.pop() else {
            return String::new();
        };
        let mut out = encode(&events);
        out.push_str(&format!("id: {mark}\n{}", sse::encode(&last)));
        out
    }

    /// The answer ends here on the relay's own account: what waits, unmarked.
    pub fn release(&mut self) -> String {
        self.waiting_bytes = 0;
        encode(&std::mem::take(&mut self.waiting))
    }

    /// Whether the edge may resume the provider's broken stream itself.
    pub fn can_resume(&self) -> bool {
        !self.off && self.handle.is_none() && self.clean.is_some() && self.resumes_left > 0
    }

    /// No more resuming by the edge (what waits stays, for [`Marks::release`]).
    pub fn stop(&mut self) {
        self.resumes_left = 0;
    }

    /// The provider's stream broke: where to resume it (what waits is dropped: the resumed
    /// stream gives it again); `None` when the edge may not.
    pub fn resume(&mut self) -> Option<u64> {
        if !self.can_resume() {
            return None;
        }
        self.resumes_left -= 1;
        self.waiting.clear();
        self.waiting_bytes = 0;
        self.clean
    }
}

fn encode(events: &[StreamEvent]) -> String {
    events.iter().map(sse::encode).collect()
}

#[cfg(test)]
mod tests;
