//! Fuzz target: the widget's streaming markdown renderer (its pure part) never panics, keeps
//! every link's destination safe, and streaming in any piece size gives the whole parse.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&seed, text)) = data.split_first() else { return };
    let Ok(text) = std::str::from_utf8(text) else { return };
    widget::fuzzing::markdown(text, usize::from(seed % 17) + 1);
});
