//! Server-sent events: the encoder for [`StreamEvent`]s and an incremental decoder.
//!
//! The [`Decoder`] takes bytes as they arrive, in chunks of any size, and hands out complete
//! [`Frame`]s. It gives the same frames however a stream is split: a chunk may end inside a line,
//! inside a CRLF pair, or inside a multi-byte UTF-8 character, because lines are split on bytes
//! before they are decoded. Both ends use it: the edge on the provider's stream, the widget on
//! the edge's.
//!
//! A decoder made with [`Decoder::with_limit`] holds at most that many bytes of one line and of
//! one event's data: a stream that sends more is cut off there (its bytes are not kept), and
//! [`Decoder::over_limit`] says so, so a hostile upstream cannot exhaust the reader's memory.

use crate::StreamEvent;

/// The keep-alive comment the edge sends while a stream is idle.
pub const KEEP_ALIVE: &str = ": keep-alive\n\n";

/// Encodes one event as an SSE frame: `event: <kind>`, `data: <json>`, blank line.
pub fn encode(event: &StreamEvent) -> String {
    // serde_json's compact output never contains a raw newline, so one `data:` line suffices.
    let json = serde_json::to_string(event).unwrap_or_else(|_| {
        r#"{"type":"error","code":"internal","message":"event not encodable","retryable":false}"#.to_owned()
    });
    format!("event: {}\ndata: {json}\n\n", event.kind().as_str())
}

/// One dispatched SSE event.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Frame {
    /// The `event:` field; `message` when the frame had none.
    pub event: String,
    /// The `data:` lines joined with `\n`.
    pub data: String,
    /// The last `id:` seen on the stream, if any.
    pub id: Option<String>,
}

/// Incremental SSE parser (WHATWG HTML, "9.2.6 Interpreting an event stream").
#[derive(Debug, Default)]
pub struct Decoder {
    /// Bytes of the line being read.
    line: Vec<u8>,
    /// The previous chunk ended in CR: a leading LF in the next chunk belongs to that line end.
    after_cr: bool,
    /// The stream's start has been seen (a leading BOM is dropped once).
    started: bool,
    event: String,
    data: String,
    has_data: bool,
    last_id: Option<String>,
    /// Most bytes of one line and of one event's data; unlimited when `None`.
    limit: Option<usize>,
    /// The limit was passed: the stream is cut off and nothing more is read.
    over_limit: bool,
}

impl Decoder {
    /// A decoder that holds at most `max_bytes` of one line and of one event's data.
    pub fn with_limit(max_bytes: usize) -> Self {
        Self {
            limit: Some(max_bytes),
            ..Self::default()
        }
    }

    /// True once a line or an event passed the limit; every later chunk is ignored.
    pub fn over_limit(&self) -> bool {
        self.over_limit
    }

    /// Feeds the next chunk and returns the frames it completed.
    pub fn push(&mut self, chunk: &[u8]) -> Vec<Frame> {
        let mut frames = Vec::new();
        if self.over_limit {
            return frames;
        }
        let mut bytes = chunk;
        if !self.started && !bytes.is_empty() {
            // Wait for enough bytes to tell whether the stream starts with a UTF-8 BOM.
            const BOM: &[u8] = b"\xEF\xBB\xBF";
            let n_taken = (BOM.len() - self.line.len()).min(bytes.len());
            self.line.extend_from_slice(&bytes[..n_taken]);
            bytes = &bytes[n_taken..];
            if self.line.len() < BOM.len() && BOM.starts_with(&self.line) {
                return frames;
            }
            self.started = true;
            let pending = std::mem::take(&mut self.line);
            let pending = pending.strip_prefix(BOM).unwrap_or(&pending).to_vec();
            self.feed(&pending, &mut frames);
        }
        if bytes.is_empty() {
            return frames;
        }
        if let [b'\n', rest @ ..] = bytes
            && self.after_cr
        {
            bytes = rest;
        }
        self.after_cr = false;
        self.feed(bytes, &mut frames);
        frames
    }

    fn feed(&mut self, mut bytes: &[u8], frames: &mut Vec<Frame>) {
        // "Lines must be separated by either a U+000D CARRIAGE RETURN U+000A LINE FEED (CRLF)
        // character pair, a single U+000A LINE FEED (LF) character, or a single U+000D CARRIAGE
        // RETURN (CR) character."
        while let Some(pos) = bytes.iter().position(|b| *b == b'\n' || *b == b'\r') {
            if self.exceeds(self.line.len() + pos) {
                self.cut_off();
                return;
            }
            self.line.extend_from_slice(&bytes[..pos]);
            let line = std::mem::take(&mut self.line);
            self.process_line(&line, frames);
            if self.over_limit {
                return;
            }
            let is_cr = bytes[pos] == b'\r';
            bytes = &bytes[pos + 1..];
            if is_cr {
                match bytes.first() {
                    Some(b'\n') => bytes = &bytes[1..],
                    Some(_) => {}
                    None => self.after_cr = true,
                }
            }
        }
        if self.exceeds(self.line.len() + bytes.len()) {
            self.cut_off();
            return;
        }
        self.line.extend_from_slice(bytes);
    }

    fn exceeds(&self, n_bytes: usize) -> bool {
        self.limit.is_some_and(|limit| n_bytes > limit)
    }

    /// Drops everything held and stops reading.
    fn cut_off(&mut self) {
        self.over_limit = true;
        self.line = Vec::new();
        self.data = String::new();
        self.event = String::new();
        self.has_data = false;
    }

    /// Processes one complete line, as the spec's steps say.
    fn process_line(&mut self, line: &[u8], frames: &mut Vec<Frame>) {
        let line = String::from_utf8_lossy(line);
        // "If the line is empty (a blank line): Dispatch the event."
        if line.is_empty() {
            self.dispatch(frames);
            return;
        }
        // "If the line starts with a U+003A COLON character (:): Ignore the line."
        if line.starts_with(':') {
            return;
        }
        // "If the line contains a U+003A COLON character: collect the characters on the line
        // before the first colon, and let field be that string; collect the characters on the
        // line after the first colon, and let value be that string. If value starts with a
        // U+0020 SPACE character, remove it from value." Otherwise the whole line is the field.
        let (field, value) = match line.split_once(':') {
            Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
            None => (line.as_ref(), ""),
        };
        match field {
            "event" => value.clone_into(&mut self.event),
            "data" => {
                if self.exceeds(self.data.len() + value.len() + 1) {
                    self.cut_off();
                    return;
                }
                if self.has_data {
                    self.data.push('\n');
                }
                self.data.push_str(value);
                self.has_data = true;
            }
            "id" if !value.contains('\0') => self.last_id = Some(value.to_owned()),
            _ => {}
        }
    }

    /// "If the data buffer is an empty string, set the data buffer and the event type buffer to
    /// the empty string and return." Otherwise hand out the frame and reset both buffers.
    fn dispatch(&mut self, frames: &mut Vec<Frame>) {
        let event = std::mem::take(&mut self.event);
        if !self.has_data {
            return;
        }
        self.has_data = false;
        frames.push(Frame {
            event: if event.is_empty() {
                "message".to_owned()
            } else {
                event
            },
            data: std::mem::take(&mut self.data),
            id: self.last_id.clone(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ErrorCode, ToolStatus};

    /// A recorded-shape stream: LF, CRLF and lone-CR line ends, comments, a BOM, multi-line data,
    /// and multi-byte characters (2, 3 and 4 bytes) that a split may cut.
    const RECORDED: &[u8] = "\u{FEFF}: keep-alive\r\n\r\nevent: text_delta\r\ndata: {\"type\":\"text_delta\",\"delta\":\"Grüße 東京 🚀\"}\r\n\r\nid: 7\revent: a\rdata: one\rdata: two\r\rdata:no-space\n\nevent: done\ndata: {\"type\":\"done\"}\n\n".as_bytes();

    fn decode_chunks(chunks: &[&[u8]]) -> Vec<Frame> {
        let mut decoder = Decoder::default();
        chunks.iter().flat_map(|c| decoder.push(c)).collect()
    }

    fn expected() -> Vec<Frame> {
        let frame = |event: &str, data: &str, id: Option<&str>| Frame {
            event: event.to_owned(),
            data: data.to_owned(),
            id: id.map(str::to_owned),
        };
        vec![
            frame(
                "text_delta",
                r#"{"type":"text_delta","delta":"Grüße 東京 🚀"}"#,
                None,
            ),
            frame("a", "one\ntwo", Some("7")),
            frame("message", "no-space", Some("7")),
            frame("done", r#"{"type":"done"}"#, Some("7")),
        ]
    }

    #[test]
    fn whole_stream_decodes() {
        assert_eq!(decode_chunks(&[RECORDED]), expected());
    }

    #[test]
    fn every_two_and_three_way_split_gives_the_same_frames() {
        let want = expected();
        let n = RECORDED.len();
        for i in 0..=n {
            for j in i..=n {
                let (a, rest) = RECORDED.split_at(i);
                let (b, c) = rest.split_at(j - i);
                assert_eq!(decode_chunks(&[a, b, c]), want, "split at {i} and {j}");
            }
        }
    }

    #[test]
    fn byte_by_byte_gives_the_same_frames() {
        let chunks: Vec<&[u8]> = RECORDED.chunks(1).collect();
        assert_eq!(decode_chunks(&chunks), expected());
    }

    #[test]
    fn empty_chunks_change_nothing() {
        let (a, b) = RECORDED.split_at(40);
        assert_eq!(decode_chunks(&[b"", a, b"", b"", b, b""]), expected());
    }

    #[test]
    fn incomplete_frame_is_not_dispatched() {
        assert_eq!(decode_chunks(&[b"event: x\ndata: y\n"]), vec![]);
    }

    #[test]
    fn a_long_line_is_cut_off_wherever_the_stream_is_split() {
        let long_line = format!("data: {}\n\n", "x".repeat(200));
        let stream = format!("data: ok\n\n{long_line}data: after\n\n");
        for split in 0..=stream.len() {
            let (a, b) = stream.as_bytes().split_at(split);
            let mut decoder = Decoder::with_limit(100);
            let frames: Vec<Frame> = [a, b].iter().flat_map(|c| decoder.push(c)).collect();
            assert!(decoder.over_limit(), "split at {split}");
            assert!(frames.len() <= 1, "split at {split}: {frames:?}");
            assert!(
                decoder.line.is_empty(),
                "split at {split}: the cut bytes are dropped"
            );
        }
    }

    #[test]
    fn an_event_of_many_short_lines_is_cut_off() {
        let mut decoder = Decoder::with_limit(1000);
        let mut frames = Vec::new();
        for _ in 0..1000 {
            frames.extend(decoder.push(b"data: 0123456789\n"));
        }
        assert!(decoder.over_limit());
        assert!(frames.is_empty());
        assert!(decoder.data.len() <= 1000);
        assert!(
            decoder.push(b"\n\ndata: x\n\n").is_empty(),
            "nothing after the cut"
        );
    }

    #[test]
    fn within_the_limit_nothing_changes() {
        let mut decoder = Decoder::with_limit(RECORDED.len());
        assert_eq!(decoder.push(RECORDED), expected());
        assert!(!decoder.over_limit());
    }

    #[test]
    fn encoded_events_round_trip() {
        let events = vec![
            StreamEvent::Started {
                request_id: "req_1".into(),
            },
            StreamEvent::ToolList {
                server: "db".into(),
                status: ToolStatus::Completed,
                tools: vec!["q".into()],
            },
            StreamEvent::TextDelta {
                delta: "line\nbreak \"quoted\" ✓".into(),
            },
            StreamEvent::error(ErrorCode::ProviderRateLimited, "slow down", true),
        ];
        let bytes: String = events.iter().map(encode).collect();
        let frames = decode_chunks(&[bytes.as_bytes()]);
        let decoded: Vec<StreamEvent> = frames
            .iter()
            .map(|f| StreamEvent::from_frame(f).unwrap())
            .collect();
        assert_eq!(decoded, events);
        assert!(
            frames
                .iter()
                .zip(&events)
                .all(|(f, e)| f.event == e.kind().as_str())
        );
    }
}
