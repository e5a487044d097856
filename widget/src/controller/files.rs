//! Files from the page into messages: the file input's picks, files pasted into or dropped on
//! the chat, and reading an admitted file as a `data:` URL.
//!
//! Each file is handed to [`crate::update`] as a [`FileMeta`] (name, type, size) with a handle;
//! the `File` itself waits here until the rules admit it and ask for it to be read
//! ([`read`]). The bytes stay in the browser until they go to the edge with the question.

use std::cell::{Cell, RefCell};
use std::rc::Weak;

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{
    ClipboardEvent, DragEvent, Event, EventTarget, File, FileList, FileReader, HtmlInputElement,
};

use crate::controller::tasks::send;
use crate::controller::{Controller, Msg};
use crate::dom::Listener;
use crate::state::attach::FileMeta;

/// Files handed over and not yet read, newest last (a few at most).
const MAX_WAITING: usize = 32;

thread_local! {
    static WAITING: RefCell<Vec<(u32, File)>> = const { RefCell::new(Vec::new()) };
    static NEXT_ID: Cell<u32> = const { Cell::new(1) };
}

/// The listeners for picked, pasted and dropped files under `root`.
pub(crate) fn listen(me: &Weak<Controller>, root: &EventTarget) -> Vec<Listener> {
    let on = |kind: &'static str, files: fn(&Event) -> Option<FileList>| {
        let me = me.clone();
        Listener::new(root, kind, move |event| {
            if let Some(msg) = files(&event).and_then(|list| batch(&list, &event)) {
                send(&me, msg);
            }
        })
    };
    vec![
        on("change", |event| {
            let input: HtmlInputElement = event.target()?.dyn_into().ok()?;
            input.files().filter(|_| input.type_() == "file")
        }),
        on("paste", |event| {
            let list = event
                .dyn_ref::<ClipboardEvent>()?
                .clipboard_data()?
                .files()?;
            // Files only: pasted text goes into the composer as usual.
            (list.length() > 0).then(|| {
                event.prevent_default();
                list
            })
        }),
        on("dragover", |event| {
            // Accepting the drag is what lets the drop happen.
            event.prevent_default();
            None
        }),
        on("drop", |event| {
            event.prevent_default();
            event.dyn_ref::<DragEvent>()?.data_transfer()?.files()
        }),
    ]
}

/// The files of `list` as one message; each `File` waits for its read. A file input is
/// cleared afterwards, so the same file can be picked again.
fn batch(list: &FileList, event: &Event) -> Option<Msg> {
    let files: Vec<FileMeta> = (0..list.length())
        .filter_map(|i| list.get(i))
        .map(|file| {
            let id = NEXT_ID.with(|n| n.replace(n.get().wrapping_add(1)));
            let meta = FileMeta {
                id,
                name: file.name(),
                mime: file.type_(),
                size: file.size(),
            };
            WAITING.with(|w| {
                let mut waiting = w.borrow_mut();
                waiting.push((id, file));
                let over = waiting.len().saturating_sub(MAX_WAITING);
                waiting.drain(..over);
            });
            meta
        })
        .collect();
    if let Some(input) = event
        .target()
        .and_then(|t| t.dyn_into::<HtmlInputElement>().ok())
    {
        input.set_value("");
    }
    (!files.is_empty()).then_some(Msg::AttachFiles(files))
}

/// Reads file `id` as a `data:` URL; the result comes back as [`Msg::FileRead`].
pub(crate) fn read(me: &Weak<Controller>, id: u32) {
    let file = WAITING.with(|w| {
        let mut waiting = w.borrow_mut();
        let at = waiting.iter().position(|(i, _)| *i == id)?;
        Some(waiting.remove(at).1)
    });
    let Some((file, reader)) = file.zip(FileReader::new().ok()) else {
        send(me, Msg::FileRead { id, data: None });
        return;
    };
    let (later, done) = (me.clone(), reader.clone());
    let on_end = Closure::once_into_js(move || {
        let data = done.result().ok().and_then(|r| r.as_string());
        send(&later, Msg::FileRead { id, data });
    });
    reader.set_onloadend(Some(on_end.unchecked_ref()));
    if reader.read_as_data_url(&file).is_err() {
        reader.set_onloadend(None);
        send(me, Msg::FileRead { id, data: None });
    }
}
