//! The rules of `/` commands: a draft that starts with `/` (one line, no space yet) opens the
//! menu of the selected servers' prompts (listed once per selection), filtered by what follows;
//! arrows move through it, Enter (or a click) picks, Escape closes. A prompt with arguments asks
//! for them in a small form first. The fetched prompt's text replaces the draft, for the user
//! to read, change and send: a prompt is a starting point, not a message sent on its own.

use protocol::{ApiError, PromptList, PromptMessages};

use super::{Effect, Focus, Request, start};
use crate::state::{ChatState, Slot};

/// The draft changed: open, filter or close the menu.
pub(super) fn draft_changed(state: &mut ChatState, draft: &str) -> Vec<Effect> {
    let mut fx = Vec::new();
    let command = draft
        .strip_prefix('/')
        .filter(|rest| !rest.bytes().any(|b| b.is_ascii_whitespace()));
    let prompts = &mut state.prompts;
    prompts.query = command.map(str::to_owned);
    prompts.active = 0;
    if command.is_some() && prompts.servers.as_ref() != Some(&state.selected) {
        prompts.servers = Some(state.selected.clone());
        prompts.list.clear();
        if !state.selected.is_empty() {
            start(state, Request::Prompts(state.selected.clone()), &mut fx);
        }
    }
    fx
}

/// Whether the menu is open with entries (then Enter picks instead of sending).
pub(super) fn menu_open(state: &ChatState) -> bool {
    !state.prompts.matching().is_empty()
}

/// An arrow key in the composer while the menu is open: `by` entries down (up when negative).
pub(super) fn move_active(state: &mut ChatState, by: i32) {
    let n = state.prompts.matching().len();
    if n > 0 {
        let at = state.prompts.active as i32 + by;
        state.prompts.active = at.rem_euclid(n as i32) as usize;
    }
}

/// The menu's entry `index` (or the highlighted one) was picked: its form, or the prompt.
pub(super) fn pick(state: &mut ChatState, index: Option<usize>, fx: &mut Vec<Effect>) {
    let index = index.unwrap_or(state.prompts.active);
    let Some(prompt) = state.prompts.matching().get(index).map(|p| (*p).clone()) else {
        return;
    };
    state.prompts.query = None;
    state.prompts.error = None;
    if prompt.arguments.is_empty() {
        fetch(state, &prompt.server, &prompt.name, Vec::new(), fx);
    } else {
        state.prompts.form = Some(prompt);
        fx.push(Effect::Render);
        fx.push(Effect::Focus(Focus::PromptForm));
    }
}

/// The form was sent with these values.
pub(super) fn submit(state: &mut ChatState, values: Vec<(String, String)>, fx: &mut Vec<Effect>) {
    if let Some(prompt) = state.prompts.form.clone() {
        fetch(state, &prompt.server, &prompt.name, values, fx);
    }
}

fn fetch(
    state: &mut ChatState,
    server: &str,
    name: &str,
    values: Vec<(String, String)>,
    fx: &mut Vec<Effect>,
) {
    let request = Request::Prompt {
        server: server.to_owned(),
        name: name.to_owned(),
        values,
    };
    start(state, request, fx);
}

/// Closes the menu and the form (Escape, Cancel); true when one was open.
pub(super) fn close(state: &mut ChatState) -> bool {
    let open = state.prompts.query.is_some() || state.prompts.form.is_some();
    state.prompts.query = None;
    state.prompts.form = None;
    state.prompts.error = None;
    open
}

/// The list arrived (a failure offers none).
pub(super) fn listed(state: &mut ChatState, id: u64, result: Result<PromptList, ApiError>) {
    if state.requests.finish(Slot::Prompts, id) {
        state.prompts.list = result.map(|l| l.prompts).unwrap_or_default();
    }
}

/// The prompt arrived: its text becomes the draft; a failure is shown in the form.
pub(super) fn fetched(
    state: &mut ChatState,
    id: u64,
    result: Result<PromptMessages, ApiError>,
    fx: &mut Vec<Effect>,
) {
    if !state.requests.finish(Slot::Prompts, id) {
        return;
    }
    match result {
        Ok(messages) => {
            close(state);
            let text = messages.composer_text();
            fx.push(Effect::SetDraft(text.clone()));
            fx.push(Effect::SaveDraft(text));
            fx.push(Effect::Focus(Focus::Input));
        }
        Err(error) => state.prompts.error = Some(error.message),
    }
}

#[cfg(test)]
mod tests {
    use protocol::{PromptArgument, PromptInfo, PromptText};

    use super::super::{Msg, update};
    use super::*;

    fn prompt(name: &str, arguments: &[&str]) -> PromptInfo {
        PromptInfo {
            server: "northwind".into(),
            name: name.into(),
            title: name.replace('_', " "),
            description: String::new(),
            arguments: arguments
                .iter()
                .map(|a| PromptArgument {
                    name: (*a).into(),
                    title: (*a).into(),
                    description: None,
                    required: true,
                })
                .collect(),
        }
    }

    /// A state with Northwind ticked whose prompt list arrived.
    fn listed_state() -> ChatState {
        let mut state = ChatState::default();
        state.select("northwind", true);
        let fx = update(&mut state, Msg::DraftChanged("/".into()));
        let Some(Effect::Start { id, request }) =
            fx.iter().find(|e| matches!(e, Effect::Start { .. }))
        else {
            panic!("no listing: {fx:?}");
        };
        assert_eq!(*request, Request::Prompts(vec!["northwind".into()]));
        let list = PromptList {
            prompts: vec![
                prompt("top_customers", &[]),
                prompt("sales_review", &["year"]),
            ],
        };
        update(&mut state, Msg::PromptsLoaded(*id, Ok(list)));
        state
    }

    fn names(state: &ChatState) -> Vec<&str> {
        state
            .prompts
            .matching()
            .iter()
            .map(|p| p.name.as_str())
            .collect()
    }

    #[test]
    fn a_slash_opens_the_menu_once_listed_and_typing_filters_it() {
        let mut state = listed_state();
        assert_eq!(names(&state), ["top_customers", "sales_review"]);
        let fx = update(&mut state, Msg::DraftChanged("/sal".into()));
        assert!(
            !fx.iter().any(|e| matches!(e, Effect::Start { .. })),
            "listed once: {fx:?}"
        );
        assert_eq!(names(&state), ["sales_review"]);
        update(&mut state, Msg::DraftChanged("/sales_review 1997".into()));
        assert_eq!(
            names(&state),
            Vec::<&str>::new(),
            "a space ends the command"
        );
        update(&mut state, Msg::DraftChanged("hello".into()));
        assert!(state.prompts.query.is_none());
        // Another selection lists again.
        state.select("wiki", true);
        let fx = update(&mut state, Msg::DraftChanged("/".into()));
        assert!(fx.iter().any(
            |e| matches!(e, Effect::Start { request: Request::Prompts(s), .. } if s.len() == 2)
        ));
    }

    #[test]
    fn arrows_move_enter_picks_and_escape_closes() {
        let mut state = listed_state();
        update(&mut state, Msg::MenuMove(1));
        assert_eq!(state.prompts.active, 1);
        update(&mut state, Msg::MenuMove(1));
        assert_eq!(state.prompts.active, 0, "wraps");
        update(&mut state, Msg::MenuMove(-1));
        assert_eq!(state.prompts.active, 1);
        // Enter picks the highlighted prompt instead of sending: it has an argument, so a form.
        let fx = update(&mut state, Msg::Send("/".into()));
        assert!(state.exchanges.is_empty(), "nothing sent");
        assert_eq!(
            state.prompts.form.as_ref().map(|p| p.name.as_str()),
            Some("sales_review")
        );
        assert!(fx.contains(&Effect::Focus(Focus::PromptForm)));
        let fx = update(
            &mut state,
            Msg::PromptSubmit(vec![("year".into(), "1997".into())]),
        );
        let Some(Effect::Start {
            id,
            request: Request::Prompt { values, .. },
        }) = fx.first()
        else {
            panic!("{fx:?}");
        };
        assert_eq!(*values, [("year".to_owned(), "1997".to_owned())]);
        let fetched = PromptMessages {
            messages: vec![PromptText {
                role: "user".into(),
                text: "Review 1997".into(),
            }],
        };
        let fx = update(&mut state, Msg::PromptFetched(*id, Ok(fetched)));
        assert!(
            fx.contains(&Effect::SetDraft("Review 1997".into())),
            "{fx:?}"
        );
        assert!(
            state.prompts.form.is_none() && state.exchanges.is_empty(),
            "not sent"
        );

        let mut state = listed_state();
        update(&mut state, Msg::Escape);
        assert!(
            state.prompts.query.is_none(),
            "Escape closes the menu first"
        );
    }

    #[test]
    fn a_prompt_without_arguments_is_fetched_at_once_and_a_failure_is_shown() {
        let mut state = listed_state();
        let fx = update(&mut state, Msg::PromptPicked(0));
        let Some(Effect::Start {
            id,
            request: Request::Prompt { name, .. },
        }) = fx.first()
        else {
            panic!("{fx:?}");
        };
        assert_eq!(name, "top_customers");
        let error = ApiError {
            code: protocol::ErrorCode::McpServerUnreachable,
            message: "down".into(),
            retryable: true,
        };
        update(&mut state, Msg::PromptFetched(*id, Err(error)));
        assert_eq!(state.prompts.error.as_deref(), Some("down"));
        // Without a server ticked, a slash asks nothing.
        let mut none = ChatState::default();
        let fx = update(&mut none, Msg::DraftChanged("/".into()));
        assert!(
            !fx.iter().any(|e| matches!(e, Effect::Start { .. })),
            "{fx:?}"
        );
    }
}
