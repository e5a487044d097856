//! Attaching files to the draft, and turning the provider's own tools on and off.
//!
//! Files come in a batch (picked, pasted, dropped): each is admitted or refused on its own
//! ([`crate::state::attach::admit`]); an admitted one becomes a chip at once and is read
//! ([`Effect::ReadFile`]); a refused one leaves the draft as it was and says why. Send waits
//! until every chip's bytes are read. A hosted tool's toggle is remembered by name; only those
//! the edge offers with the chosen model go with a question.

use protocol::ErrorCode;

use crate::state::ChatState;
use crate::state::attach::{self, Attached, FileMeta};
use crate::update::Effect;

/// True while a chip of the draft waits for its bytes.
pub(super) fn reading(state: &ChatState) -> bool {
    state.attachments.iter().any(|a| a.data.is_empty())
}

/// The user handed over `files`.
pub(super) fn files(state: &mut ChatState, files: Vec<FileMeta>, fx: &mut Vec<Effect>) {
    state.attach_error = None;
    for file in files {
        match attach::admit(&state.attachments, &file) {
            Ok(mime) => {
                state.attachments.push(Attached {
                    id: file.id,
                    name: file.name,
                    size: file.size as u32,
                    mime: mime.to_owned(),
                    data: String::new(),
                });
                fx.push(Effect::ReadFile(file.id));
            }
            Err(code) => state.attach_error = Some((code, file.name)),
        }
    }
    fx.push(Effect::Render);
}

/// File `id`'s bytes arrived (or could not be read: its chip goes, saying so).
pub(super) fn read(state: &mut ChatState, id: u32, data: Option<String>, fx: &mut Vec<Effect>) {
    let Some(at) = state
        .attachments
        .iter()
        .position(|a| a.id == id && a.data.is_empty())
    else {
        return;
    };
    match data {
        Some(data) => {
            let file = &mut state.attachments[at];
            file.data = attach::with_type(&data, &file.mime);
            file.id = 0;
        }
        None => {
            let file = state.attachments.remove(at);
            state.attach_error = Some((ErrorCode::AttachmentInvalid, file.name));
        }
    }
    fx.push(Effect::Render);
}

/// The user removed chip `index`.
pub(super) fn remove(state: &mut ChatState, index: usize, fx: &mut Vec<Effect>) {
    if index < state.attachments.len() {
        state.attachments.remove(index);
        state.attach_error = None;
        fx.push(Effect::Render);
    }
}

/// The user turned hosted tool `name` on or off.
pub(super) fn toggle_hosted(state: &mut ChatState, name: String, on: bool, fx: &mut Vec<Effect>) {
    state.hosted.retain(|t| *t != name);
    if on {
        state.hosted.push(name);
    }
    fx.push(Effect::Render);
}

#[cfg(test)]
mod tests {
    use protocol::{HostedToolOffer, ModelList};

    use super::*;
    use crate::update::{Msg, Request, update};

    fn meta(id: u32, name: &str, size: f64) -> FileMeta {
        FileMeta {
            id,
            name: name.into(),
            mime: String::new(),
            size,
        }
    }

    fn chat_request(fx: &[Effect]) -> Option<&protocol::ChatRequest> {
        fx.iter().find_map(|e| match e {
            Effect::Start {
                request: Request::Chat(request),
                ..
            } => Some(request),
            _ => None,
        })
    }

    #[test]
    fn an_attached_file_is_read_then_sent_with_the_question() {
        let mut state = ChatState::fresh(false);
        let fx = update(
            &mut state,
            Msg::AttachFiles(vec![meta(7, "a.png", 4.0), meta(8, "x.exe", 1.0)]),
        );
        assert!(fx.contains(&Effect::ReadFile(7)));
        assert!(!fx.contains(&Effect::ReadFile(8)));
        assert_eq!(state.attachments.len(), 1);
        assert_eq!(
            state.attach_error,
            Some((ErrorCode::AttachmentTypeNotAllowed, "x.exe".into()))
        );
        // Send waits for the bytes.
        assert!(chat_request(&update(&mut state, Msg::Send("what is it?".into()))).is_none());
        update(
            &mut state,
            Msg::FileRead {
                id: 7,
                data: Some("data:application/octet-stream;base64,iVBORw==".into()),
            },
        );
        let fx = update(&mut state, Msg::Send("what is it?".into()));
        let request = chat_request(&fx).expect("sent");
        let files = &request.messages[0].attachments;
        assert_eq!(files[0].name, "a.png");
        assert_eq!(files[0].data, "data:image/png;base64,iVBORw==");
        assert!(state.attachments.is_empty());
        assert_eq!(state.exchanges[0].attachments.len(), 1);
    }

    #[test]
    fn a_refused_question_gives_its_files_back_to_the_draft() {
        let mut state = ChatState::fresh(false);
        update(&mut state, Msg::AttachFiles(vec![meta(1, "t.txt", 2.0)]));
        update(
            &mut state,
            Msg::FileRead {
                id: 1,
                data: Some("data:text/plain;base64,aGk=".into()),
            },
        );
        let fx = update(&mut state, Msg::Send("read it".into()));
        let Some(Effect::Start { id, .. }) = fx.iter().find(|e| matches!(e, Effect::Start { .. }))
        else {
            panic!("no request");
        };
        let error = protocol::ApiError {
            code: ErrorCode::AttachmentTooLarge,
            message: "too large".into(),
            retryable: false,
        };
        update(
            &mut state,
            Msg::ChatRefused {
                request: *id,
                error,
            },
        );
        assert_eq!(state.attachments.len(), 1);
        update(&mut state, Msg::RemoveAttachment(0));
        assert!(state.attachments.is_empty());
    }

    #[test]
    fn hosted_tools_go_only_with_a_model_that_offers_them() {
        let mut state = ChatState::fresh(false);
        state.set_models(Some(ModelList {
            models: vec!["a".into(), "b".into()],
            default: "a".into(),
            notice: None,
            hosted_tools: vec![HostedToolOffer {
                name: "web_search".into(),
                models: vec!["b".into()],
            }],
        }));
        update(
            &mut state,
            Msg::HostedToolToggled {
                name: "web_search".into(),
                on: true,
            },
        );
        let fx = update(&mut state, Msg::Send("one".into()));
        assert!(chat_request(&fx).unwrap().hosted_tools.is_empty());
        state.exchanges.clear();
        state.requests = Default::default();
        update(&mut state, Msg::ModelChosen("b".into()));
        let fx = update(&mut state, Msg::Send("two".into()));
        assert_eq!(
            chat_request(&fx).unwrap().hosted_tools,
            vec!["web_search".to_owned()]
        );
    }
}
