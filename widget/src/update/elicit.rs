//! The rule for a server's question (`elicitation_request`): Submit, Decline or Cancel answers
//! it and continues the answer (Submit only once the form's values fit, else the form says which
//! field is wrong); an accepted link is opened then, and only then.

use protocol::ElicitAction;

use super::{Effect, Focus, continue_answer};
use crate::state::ChatState;
use crate::state::elicitation::{Entered, Replied};

/// The user pressed Submit (or the link's button), Decline or Cancel on question `id`.
pub(super) fn answer(
    state: &mut ChatState,
    id: &str,
    action: ElicitAction,
    values: &[(String, Entered)],
    fx: &mut Vec<Effect>,
) {
    match state.answer_ask(id, action, values) {
        Replied::Nothing => {}
        Replied::Invalid => fx.push(Effect::Render),
        Replied::Answered(link) => {
            if let Some(url) = link {
                fx.push(Effect::OpenLink(url));
            }
            fx.push(Effect::Focus(Focus::KeepInput));
            state.unsaved = true;
            continue_answer(state, fx);
        }
    }
}

#[cfg(test)]
mod tests {
    use protocol::{ChatRequest, FieldInput, FormField, StreamEvent};

    use super::*;
    use crate::state::tests::asked;
    use crate::update::{Msg, Request, update};

    fn question(url: Option<&str>) -> StreamEvent {
        StreamEvent::ElicitationRequest {
            elicitation_id: "sealed_1".into(),
            call_id: "call_1".into(),
            message: "Which year?".into(),
            fields: match url {
                Some(_) => vec![],
                None => vec![FormField {
                    name: "year".into(),
                    title: "Year".into(),
                    description: String::new(),
                    required: true,
                    input: FieldInput::Integer,
                    options: vec![],
                    min: Some(protocol::Bound(1996.0)),
                    max: Some(protocol::Bound(1998.0)),
                    default: None,
                }],
            },
            url: url.map(str::to_owned),
        }
    }

    fn sent(fx: &[Effect]) -> Option<&ChatRequest> {
        fx.iter().find_map(|e| match e {
            Effect::Start {
                request: Request::Chat(chat),
                ..
            } => Some(chat),
            _ => None,
        })
    }

    fn elicit(id: &str, action: ElicitAction, values: &[(&str, f64)]) -> Msg {
        Msg::Elicit {
            id: id.into(),
            action,
            values: values
                .iter()
                .map(|(a, b)| (a.to_string(), Entered::Number(*b)))
                .collect(),
        }
    }

    #[test]
    fn a_filled_form_continues_the_answer_with_the_typed_values() {
        let mut state = asked(question(None));
        // A wrong value: the form says which field, nothing is sent.
        let fx = update(
            &mut state,
            elicit("sealed_1", ElicitAction::Accept, &[("year", 2001.0)]),
        );
        assert!(sent(&fx).is_none());
        let ask = &state.exchanges[0].answer.asks[0];
        assert_eq!(ask.invalid.as_deref(), Some("Year"));
        let fx = update(
            &mut state,
            elicit("sealed_1", ElicitAction::Accept, &[("year", 1997.0)]),
        );
        let chat = sent(&fx).expect("the answer continues");
        assert_eq!(chat.previous_response_id.as_deref(), Some("resp_paused"));
        let reply = chat.elicitation.as_ref().unwrap();
        assert_eq!(reply.elicitation_id, "sealed_1");
        assert_eq!(reply.action, ElicitAction::Accept);
        assert_eq!(
            reply.content.get("year"),
            Some(&protocol::ReplyValue::Number(protocol::Bound(1997.0)))
        );
        assert!(chat.approvals.is_empty());
        // Answered once: a second press does nothing.
        let fx = update(&mut state, elicit("sealed_1", ElicitAction::Cancel, &[]));
        assert!(sent(&fx).is_none());
        // The call that asked is still running while the answer continues.
        assert_eq!(
            state.exchanges[0].answer.tool_calls[0].status,
            crate::state::CallStatus::Running
        );
    }

    #[test]
    fn decline_and_cancel_send_no_values() {
        for action in [ElicitAction::Decline, ElicitAction::Cancel] {
            let mut state = asked(question(None));
            let fx = update(&mut state, elicit("sealed_1", action, &[("year", 1997.0)]));
            let reply = sent(&fx).unwrap().elicitation.clone().unwrap();
            assert_eq!(reply.action, action);
            assert!(reply.content.is_empty());
        }
        // An unknown id does nothing.
        let mut state = asked(question(None));
        assert!(
            sent(&update(
                &mut state,
                elicit("other", ElicitAction::Cancel, &[])
            ))
            .is_none()
        );
    }

    #[test]
    fn an_accepted_link_opens_then_and_only_web_links_do() {
        let mut state = asked(question(Some("https://idp.corp/consent")));
        let fx = update(&mut state, elicit("sealed_1", ElicitAction::Accept, &[]));
        assert!(fx.contains(&Effect::OpenLink("https://idp.corp/consent".into())));
        assert!(
            sent(&fx)
                .unwrap()
                .elicitation
                .as_ref()
                .unwrap()
                .content
                .is_empty()
        );

        let mut state = asked(question(Some("https://idp.corp/x")));
        let fx = update(&mut state, elicit("sealed_1", ElicitAction::Decline, &[]));
        assert!(!fx.iter().any(|e| matches!(e, Effect::OpenLink(_))));

        let mut state = asked(question(Some("javascript:alert(1)")));
        let fx = update(&mut state, elicit("sealed_1", ElicitAction::Accept, &[]));
        assert!(fx.is_empty());
    }
}
