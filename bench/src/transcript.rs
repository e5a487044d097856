//! Scripted provider answers for the fake provider's `Script::Transcript`: a text answer
//! (`response.created`, text deltas on a schedule, `response.completed`) built with
//! [`TranscriptBuilder`], and [`markdown_tokens`], a long markdown answer cut into tokens.
//!
//! Each entry of a transcript is written by the fake as one chunk after its delay, so a delta
//! with a gap is its own chunk, and a burst puts many frames in one chunk.

use std::time::Duration;

use serde_json::json;
use testkit::frames::EventWriter;

/// Builds a text answer.
#[derive(Debug, Default)]
pub(crate) struct TranscriptBuilder {
    entries: Vec<(Duration, String)>,
    n_frames: usize,
    writer: EventWriter,
}

impl TranscriptBuilder {
    /// Starts with `response.created`, sent at once.
    pub(crate) fn new() -> Self {
        let mut builder = Self::default();
        let created = builder.frame(
            "response.created",
            json!({"response": {"id": "resp_bench", "status": "in_progress"}}),
        );
        builder.entries.push((Duration::ZERO, created));
        builder
    }

    /// One text delta, `gap` after the previous entry.
    pub(crate) fn delta(mut self, gap: Duration, text: &str) -> Self {
        let frame = self.text_delta(text);
        self.entries.push((gap, frame));
        self
    }

    /// `gap` then each text in turn, `gap` apart.
    pub(crate) fn deltas(self, gap: Duration, texts: &[String]) -> Self {
        texts.iter().fold(self, |b, text| b.delta(gap, text))
    }

    /// All of `texts` as deltas in one chunk, right after the previous entry.
    pub(crate) fn burst(mut self, texts: &[String]) -> Self {
        let frames: String = texts.iter().map(|t| self.text_delta(t)).collect();
        self.entries.push((Duration::ZERO, frames));
        self
    }

    /// Ends with `response.completed`, `gap` after the last delta.
    pub(crate) fn completed(mut self, gap: Duration) -> Transcript {
        let done = self.frame(
            "response.completed",
            json!({"response": {"id": "resp_bench", "status": "completed"}}),
        );
        self.entries.push((gap, done));
        Transcript {
            entries: self.entries,
            n_frames: self.n_frames,
        }
    }

    fn text_delta(&mut self, text: &str) -> String {
        self.frame(
            "response.output_text.delta",
            json!({"item_id": "msg_bench", "output_index": 0, "content_index": 0, "delta": text}),
        )
    }

    fn frame(&mut self, kind: &str, data: serde_json::Value) -> String {
        self.n_frames += 1;
        self.writer.frame(kind, data)
    }
}

/// A built answer.
#[derive(Debug, Clone)]
pub(crate) struct Transcript {
    /// `(delay, bytes)` as `Script::Transcript` takes them.
    pub(crate) entries: Vec<(Duration, String)>,
    /// How many SSE frames in all (`created`, the deltas, `completed`).
    pub(crate) n_frames: usize,
}

/// `n` tokens of a markdown answer (headings, paragraphs with emphasis and inline code, lists,
/// fenced code), each a word with its trailing space or newline, as a model streams them.
pub(crate) fn markdown_tokens(n: usize) -> Vec<String> {
    const WORDS: [&str; 12] = [
        "Revenue",
        "grew",
        "in",
        "every",
        "region",
        "while",
        "the",
        "**Nordic**",
        "stores",
        "`orders`",
        "table",
        "shows",
    ];
    let mut tokens = Vec::with_capacity(n);
    let mut section = 0usize;
    while tokens.len() < n {
        section += 1;
        tokens.extend(["## ".to_owned(), format!("Section {section}\n\n")]);
        for i in 0..48 {
            let end = if i % 16 == 15 { ".\n\n" } else { " " };
            tokens.push(format!("{}{end}", WORDS[(section + i) % WORDS.len()]));
        }
        for item in 0..3 {
            tokens.extend([
                "- ".to_owned(),
                format!("item {item} "),
                "with ".to_owned(),
                "a ".to_owned(),
                "value\n".to_owned(),
            ]);
        }
        tokens.extend([
            "\n```sql\n".to_owned(),
            "SELECT ".to_owned(),
            "year, ".to_owned(),
            "SUM(total) ".to_owned(),
            "FROM ".to_owned(),
            "orders\n".to_owned(),
            "```\n\n".to_owned(),
        ]);
    }
    tokens.truncate(n);
    tokens
}

#[cfg(test)]
mod tests {
    use super::*;
    use protocol::sse::Decoder;

    #[test]
    fn transcript_frames_decode_in_order() {
        let transcript = TranscriptBuilder::new()
            .delta(Duration::from_millis(5), "a")
            .burst(&["b".to_owned(), "c".to_owned()])
            .completed(Duration::ZERO);
        assert_eq!(transcript.entries.len(), 4);
        assert_eq!(transcript.n_frames, 5);
        let bytes: String = transcript.entries.iter().map(|(_, e)| e.as_str()).collect();
        let frames = Decoder::default().push(bytes.as_bytes());
        let kinds: Vec<&str> = frames.iter().map(|f| f.event.as_str()).collect();
        assert_eq!(
            kinds,
            [
                "response.created",
                "response.output_text.delta",
                "response.output_text.delta",
                "response.output_text.delta",
                "response.completed"
            ]
        );
        let data: serde_json::Value = serde_json::from_str(&frames[2].data).unwrap();
        assert_eq!(
            (data["delta"].as_str(), data["sequence_number"].as_u64()),
            (Some("b"), Some(2))
        );
    }

    #[test]
    fn markdown_tokens_have_the_length_asked_for() {
        for n in [0, 1, 77, 1000] {
            assert_eq!(markdown_tokens(n).len(), n);
        }
        let text = markdown_tokens(200).concat();
        assert!(text.starts_with("## Section 1\n\n"), "{text}");
        assert!(text.contains("\n- item 0 with a value\n") && text.contains("```sql\n"));
    }
}
