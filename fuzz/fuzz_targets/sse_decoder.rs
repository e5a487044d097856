//! Fuzz target: the incremental SSE decoder never panics, and gives the same frames however the
//! input is split (the first byte picks the split points).
#![no_main]

use libfuzzer_sys::fuzz_target;
use protocol::sse::Decoder;

fuzz_target!(|data: &[u8]| {
    let Some((&seed, stream)) = data.split_first() else { return };
    let whole = Decoder::default().push(stream);
    let mut decoder = Decoder::default();
    let mut split = Vec::new();
    let step = usize::from(seed % 7) + 1;
    for chunk in stream.chunks(step) {
        split.extend(decoder.push(chunk));
    }
    assert_eq!(whole, split);
});
