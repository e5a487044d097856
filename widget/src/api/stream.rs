//! The streamed body of an answer, read chunk by chunk into [`StreamEvent`]s.
//!
//! [`EventReader`] is the thin adapter between the browser's `ReadableStream` and the
//! protocol's incremental SSE [`Decoder`]: it pulls one chunk with a raw
//! `ReadableStreamDefaultReader` loop, hands its bytes to the decoder (which splits lines on
//! bytes, so a chunk that cuts a UTF-8 character is fine) and returns the events the chunk
//! completed. Frames that do not decode as a known event are skipped, so a newer edge can add
//! event types without breaking an older widget. Events of a resumable answer pass in whole
//! groups ([`Groups`]), so a cut never leaves half a group shown.

use js_sys::Uint8Array;
use protocol::{Decoder, Groups, StreamEvent};

use crate::json;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{ReadableStream, ReadableStreamDefaultReader, ReadableStreamReadResult};

/// Why reading the stream failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum StreamError {
    /// The browser reported an error while reading (connection cut, request aborted).
    #[error("reading the answer stream failed")]
    Transport(JsValue),
}

/// Reads the events of one answer from its body.
pub(crate) struct EventReader {
    reader: ReadableStreamDefaultReader,
    decoder: Decoder,
    groups: Groups,
}

impl EventReader {
    /// Locks `body` for reading.
    pub(crate) fn new(body: &ReadableStream) -> Self {
        Self {
            reader: body.get_reader().unchecked_into(),
            decoder: Decoder::default(),
            groups: Groups::default(),
        }
    }

    /// The same reader for a stream that resumes an answer after mark `after`.
    pub(crate) fn resuming(mut self, after: Option<u64>) -> Self {
        if let Some(after) = after {
            self.groups = Groups::after(after);
        }
        self
    }

    /// The last resume mark passed.
    pub(crate) fn cursor(&self) -> Option<u64> {
        self.groups.cursor()
    }

    /// The body ended regularly: the events still waiting for a mark.
    pub(crate) fn finish(&mut self) -> Vec<StreamEvent> {
        self.groups.finish()
    }

    /// Waits for the next chunk and returns the events it completed (maybe none); `None` once
    /// the body has ended.
    pub(crate) async fn next_chunk(&mut self) -> Result<Option<Vec<StreamEvent>>, StreamError> {
        let result: ReadableStreamReadResult = JsFuture::from(self.reader.read())
            .await
            .map_err(StreamError::Transport)?
            .unchecked_into();
        if result.get_done().unwrap_or(false) {
            return Ok(None);
        }
        let chunk: Uint8Array = result
            .get_value()
            .dyn_into()
            .map_err(StreamError::Transport)?;
        let frames = self.decoder.push(&chunk.to_vec());
        Ok(Some(
            frames
                .iter()
                .flat_map(|frame| self.groups.push(frame, json::decode_event(&frame.data)))
                .collect(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use js_sys::Array;
    use protocol::sse;
    use wasm_bindgen::prelude::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    use super::*;

    #[wasm_bindgen(inline_js = r#"
        export function chunkedResponse(chunks, fail) {
          // One chunk per read (pull with no queue), then the end or a network error.
          let next = 0;
          const body = new ReadableStream({
            pull(controller) {
              if (next < chunks.length) controller.enqueue(chunks[next++]);
              else if (fail) controller.error(new TypeError("network error"));
              else controller.close();
            },
          }, { highWaterMark: 0 });
          return new Response(body, { headers: { "content-type": "text/event-stream" } });
        }
    "#)]
    extern "C" {
        #[wasm_bindgen(js_name = chunkedResponse)]
        fn chunked_response(chunks: &Array, fail: bool) -> web_sys::Response;
    }

    /// The body of a real `Response` that delivers `bytes` in pieces cut at `cuts`.
    fn body(bytes: &[u8], cuts: &[usize], fail: bool) -> ReadableStream {
        let chunks = Array::new();
        let mut start = 0;
        for end in cuts.iter().copied().chain([bytes.len()]) {
            chunks.push(&Uint8Array::from(&bytes[start..end]));
            start = end;
        }
        chunked_response(&chunks, fail)
            .body()
            .expect("a response built from a stream has a body")
    }

    /// Reads the whole body: the events of each chunk, then how the body ended.
    async fn read_all(body: &ReadableStream) -> (Vec<Vec<StreamEvent>>, Result<(), String>) {
        let mut reader = EventReader::new(body);
        let mut chunks = Vec::new();
        loop {
            match reader.next_chunk().await {
                Ok(Some(events)) => chunks.push(events),
                Ok(None) => return (chunks, Ok(())),
                Err(err) => return (chunks, Err(err.to_string())),
            }
        }
    }

    fn transcript() -> (String, Vec<StreamEvent>) {
        let events = vec![
            StreamEvent::Started {
                request_id: "req_1".into(),
            },
            StreamEvent::TextDelta {
                delta: "Grüße 東京 🚀".into(),
            },
            StreamEvent::Done {
                response_id: None,
                usage: None,
            },
        ];
        let bytes = format!(
            "{}{}event: brand_new\ndata: {{\"type\":\"brand_new\"}}\n\n{}",
            sse::encode(&events[0]),
            sse::encode(&events[1]),
            sse::encode(&events[2])
        );
        (bytes, events)
    }

    #[wasm_bindgen_test]
    async fn events_arrive_per_chunk_even_when_a_chunk_cuts_a_character() {
        let (bytes, events) = transcript();
        let bytes = bytes.as_bytes();
        // Cut inside the first event, then inside the 4-byte rocket, then before `done`.
        let rocket = bytes.windows(4).position(|w| w == "🚀".as_bytes()).unwrap();
        let done_at = bytes.len() - sse::encode(&events[2]).len();
        let (chunks, end) = read_all(&body(bytes, &[10, rocket + 2, done_at], false)).await;
        assert_eq!(end, Ok(()));
        assert_eq!(
            chunks,
            vec![
                vec![],
                vec![events[0].clone()],
                vec![events[1].clone()],
                vec![events[2].clone()],
            ]
        );
    }

    #[wasm_bindgen_test]
    async fn a_broken_body_reports_a_transport_error_after_its_events() {
        let (bytes, events) = transcript();
        let first = sse::encode(&events[0]).len();
        let (chunks, end) = read_all(&body(&bytes.as_bytes()[..first + 5], &[first], true)).await;
        assert_eq!(chunks, vec![vec![events[0].clone()], vec![]]);
        assert_eq!(end, Err("reading the answer stream failed".to_owned()));
    }
}
