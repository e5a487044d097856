//! Fuzz target: any provider byte stream, in any chunking, makes the edge's relay write valid
//! protocol events that end with exactly one `done` or `error`, and never a secret.
#![no_main]

use edge::answer::feed::Relay;
use libfuzzer_sys::fuzz_target;
use protocol::{StreamEvent, sse};

const SECRET: &str = "pom_mat_fuzz_secret";

fuzz_target!(|data: &[u8]| {
    let Some((&seed, stream)) = data.split_first() else { return };
    let mut relay = Relay::new(vec![SECRET.to_owned()], 1 << 20);
    let mut out = String::new();
    for chunk in stream.chunks(usize::from(seed % 13) + 1) {
        out.push_str(&relay.on_chunk(chunk));
    }
    out.push_str(&relay.finish(seed % 2 == 0));
    let events: Vec<StreamEvent> = sse::Decoder::default()
        .push(out.as_bytes())
        .iter()
        .map(|f| StreamEvent::from_frame(f).expect("the relay writes valid events"))
        .collect();
    assert_eq!(events.iter().filter(|e| e.is_terminal()).count(), 1);
    assert!(events.last().is_some_and(StreamEvent::is_terminal));
    assert!(!out.contains(SECRET));
});
