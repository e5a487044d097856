//! Hosted mode's part of the tool loop: the MCP listings, calls and approval requests that the
//! provider itself runs, reported in its stream, as widget events.
//!
//! The loop never gets a job for these: it only remembers which output item belongs to which
//! server, scrubs each call's argument fragments over the joined text (the tail is released
//! before the call's result and before the answer ends), and scrubs results, errors and the
//! arguments of an approval request.

use protocol::{StreamEvent, ToolStatus};

use crate::redact::{Scrubber, Secrets};

/// What the provider's stream says about a tool it runs (the Responses API's `mcp_list_tools`,
/// `mcp_call` and `mcp_approval_request` items). `item` is the output item's id; `label` the
/// item's `server_label` when it carries one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostedEvent {
    /// A server's listing started.
    ListStarted {
        /// The item.
        item: String,
        /// Its server label.
        label: Option<String>,
    },
    /// A listing failed while it ran.
    ListFailed {
        /// The item.
        item: String,
    },
    /// A listing ended: the tools' names, or it failed.
    Listed {
        /// The item.
        item: String,
        /// Its server label.
        label: Option<String>,
        /// The tools' names.
        tools: Vec<String>,
        /// The item carries an error.
        failed: bool,
    },
    /// A call started.
    CallStarted {
        /// The item (the call's id for the widget).
        item: String,
        /// Its server label.
        label: Option<String>,
        /// The tool's name.
        tool: String,
    },
    /// More of a call's JSON arguments.
    CallArguments {
        /// The item.
        item: String,
        /// The fragment.
        delta: String,
    },
    /// A call ended: its output, or its error's text.
    CallDone {
        /// The item.
        item: String,
        /// The output, or the error's text.
        outcome: Result<String, String>,
    },
    /// A call waits for the user's approval.
    Approval {
        /// The item (the id the user's decision answers).
        item: String,
        /// Its server label.
        label: Option<String>,
        /// The tool's name.
        tool: String,
        /// The call's JSON arguments.
        arguments: String,
    },
}

/// The items of one hosted answer.
#[derive(Debug, Default)]
pub(crate) struct HostedItems {
    /// Output item id -> server label.
    servers: Vec<(String, String)>,
    /// Call item id -> the scrubber of its argument fragments.
    arguments: Vec<(String, Scrubber)>,
}

impl HostedItems {
    /// True when no call's argument scrubber holds text back.
    pub(crate) fn holds_nothing(&self) -> bool {
        self.arguments.iter().all(|(_, s)| s.holds_nothing())
    }

    /// The widget's events for `event`, scrubbed of `secrets`.
    pub(crate) fn on_event(&mut self, event: HostedEvent, secrets: &Secrets) -> Vec<StreamEvent> {
        match event {
            HostedEvent::ListStarted { item, label } => vec![StreamEvent::ToolList {
                server: self.remember(&item, label),
                status: ToolStatus::InProgress,
                tools: vec![],
            }],
            HostedEvent::ListFailed { item } => vec![StreamEvent::ToolList {
                server: self.server_of(&item),
                status: ToolStatus::Failed,
                tools: vec![],
            }],
            HostedEvent::Listed {
                item,
                label,
                tools,
                failed,
            } => vec![StreamEvent::ToolList {
                server: self.remember(&item, label),
                status: if failed {
                    ToolStatus::Failed
                } else {
                    ToolStatus::Completed
                },
                tools,
            }],
            HostedEvent::CallStarted { item, label, tool } => {
                vec![StreamEvent::ToolCallStarted {
                    server: self.remember(&item, label),
                    call_id: item,
                    tool,
                }]
            }
            HostedEvent::CallArguments { item, delta } => {
                let at = match self.arguments.iter().position(|(id, _)| *id == item) {
                    Some(at) => at,
                    None => {
                        self.arguments.push((item.clone(), secrets.scrubber()));
                        self.arguments.len() - 1
                    }
                };
                match self.arguments[at].1.push(&delta) {
                    delta if delta.is_empty() => vec![],
                    delta => vec![StreamEvent::ToolCallArgumentsDelta {
                        call_id: item,
                        delta,
                    }],
                }
            }
            HostedEvent::CallDone { item, outcome } => {
                let mut res = self.flush_arguments(&item);
                res.push(match outcome {
                    Ok(output) => StreamEvent::ToolCallResult {
                        call_id: item,
                        output: secrets.redact(&output),
                        parts: Vec::new(),
                    },
                    Err(error) => StreamEvent::ToolCallFailed {
                        call_id: item,
                        error: secrets.redact(&error),
                    },
                });
                res
            }
            HostedEvent::Approval {
                item,
                label,
                tool,
                arguments,
            } => vec![StreamEvent::ApprovalRequest {
                server: self.remember(&item, label),
                approval_request_id: item,
                tool,
                arguments: secrets.redact(&arguments),
            }],
        }
    }

    /// Releases what the argument scrubbers hold, call by call.
    pub(crate) fn flush(&mut self) -> Vec<StreamEvent> {
        std::mem::take(&mut self.arguments)
            .into_iter()
            .filter_map(|(call_id, mut scrubber)| {
                let delta = scrubber.finish();
                (!delta.is_empty())
                    .then_some(StreamEvent::ToolCallArgumentsDelta { call_id, delta })
            })
            .collect()
    }

    /// Releases what the scrubber of one call's arguments holds.
    fn flush_arguments(&mut self, item: &str) -> Vec<StreamEvent> {
        let Some(at) = self.arguments.iter().position(|(id, _)| id == item) else {
            return Vec::new();
        };
        let (call_id, mut scrubber) = self.arguments.remove(at);
        let delta = scrubber.finish();
        if delta.is_empty() {
            return Vec::new();
        }
        vec![StreamEvent::ToolCallArgumentsDelta { call_id, delta }]
    }

    fn remember(&mut self, item: &str, label: Option<String>) -> String {
        match label {
            Some(label) => {
                if !self.servers.iter().any(|(id, _)| id == item) {
                    self.servers.push((item.to_owned(), label.clone()));
                }
                label
            }
            None => self.server_of(item),
        }
    }

    fn server_of(&self, item: &str) -> String {
        self.servers
            .iter()
            .find(|(id, _)| id == item)
            .map(|(_, s)| s.clone())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::answer::tool_loop::{Limits, ModelEvent, Step, ToolLoop};
    use crate::config::Config;
    use crate::mcp::toolbox::Toolbox;

    fn hosted_call() -> ModelEvent {
        ModelEvent::Hosted(HostedEvent::CallStarted {
            item: "mcp_1".into(),
            label: Some("northwind".into()),
            tool: "read_query".into(),
        })
    }

    fn function_call() -> ModelEvent {
        ModelEvent::CallStarted {
            key: "fc_1".into(),
            call_id: "call_1".into(),
            name: "northwind__read_query".into(),
        }
    }

    #[test]
    fn each_mode_ignores_the_other_modes_tool_events() {
        let config = Config::from_lookup(|_| None);
        let limits = Limits::from_config(&config);
        let mut edge = ToolLoop::new(Toolbox::default(), limits, vec![]);
        assert!(edge.on_model_event(hosted_call()).is_empty());
        assert!(
            edge.on_model_event(ModelEvent::ResponseId("resp_1".into()))
                .is_empty()
        );
        assert_eq!(
            edge.end_round(),
            Step::End(vec![StreamEvent::Done {
                response_id: None,
                usage: None
            }]),
            "edge mode stores nothing at the provider: no response id"
        );

        let mut hosted = ToolLoop::hosted(vec![]);
        assert!(hosted.on_model_event(function_call()).is_empty());
        assert_eq!(
            hosted.on_model_event(hosted_call()),
            [StreamEvent::ToolCallStarted {
                call_id: "mcp_1".into(),
                server: "northwind".into(),
                tool: "read_query".into(),
            }]
        );
        hosted.on_model_event(ModelEvent::ResponseId("resp_1".into()));
        assert_eq!(
            hosted.end_round(),
            Step::End(vec![StreamEvent::Done {
                response_id: Some("resp_1".into()),
                usage: None
            }]),
            "a hosted round never asks for a tool job"
        );
    }

    #[test]
    fn a_hosted_calls_argument_tail_is_released_before_its_result() {
        let mut items = HostedItems::default();
        let secrets = Secrets::new(["pom_mat_secret"]);
        let arguments = |delta: &str| HostedEvent::CallArguments {
            item: "mcp_1".into(),
            delta: delta.into(),
        };
        let mut out = items.on_event(arguments("{\"q\":\"pom_mat"), &secrets);
        out.extend(items.on_event(arguments("_secret x\"}"), &secrets));
        out.extend(items.on_event(
            HostedEvent::CallDone {
                item: "mcp_1".into(),
                outcome: Ok("pom_mat_secret".into()),
            },
            &secrets,
        ));
        let joined: String = out
            .iter()
            .filter_map(|e| match e {
                StreamEvent::ToolCallArgumentsDelta { delta, .. } => Some(delta.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(joined, "{\"q\":\"[redacted] x\"}");
        assert_eq!(
            out.last(),
            Some(&StreamEvent::ToolCallResult {
                call_id: "mcp_1".into(),
                output: "[redacted]".into(),
                parts: Vec::new(),
            })
        );
        assert!(items.flush().is_empty());
    }
}
