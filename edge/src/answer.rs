//! One answer, from the checked request to the last event: who runs the tools, the driver's
//! rules, the tool loop and edge mode's orchestration. No I/O (the driver's is
//! `component/driver.rs`; edge mode's `component/tool_chat.rs`).
//!
//! | module | owns |
//! |---|---|
//! | [`runner`] | who runs the MCP tools of an answer: the provider (hosted) or the edge |
//! | [`deadline`] | keep-alive, idle limit and wall time as a state machine (clock passed in); why a wait stopped |
//! | [`feed`] | what the driver feeds a provider stream into: hosted mode's [`feed::Relay`] or edge mode's [`feed::ToolRound`] |
//! | [`tool_loop`] | model events to widget events, for both modes; edge mode's tool jobs, bounds and approvals |
//! | [`meter`] | one answer's token usage and timings, for the `usage` of its `done` event |
//! | [`orchestrate`] | edge mode's answer over an I/O trait: listings, model rounds, tool jobs, pauses, deadlines |
//! | [`progress`] | a running call's progress reports as `tool_progress` events, coalesced and scrubbed |
//! | [`result_parts`] | an MCP tool result as the model's text and the parts the user is shown |
//! | [`resume`] | resuming a hosted background answer: the sealed handle, the stream's marks, where to continue |
//! | [`pending`] | edge mode's paused tool loop, as the bytes sealed while a call waits for approval |

pub mod deadline;
pub mod elicit;
pub mod feed;
pub mod meter;
pub mod orchestrate;
pub mod pending;
pub mod progress;
pub mod result_parts;
pub mod resume;
pub mod runner;
pub mod tool_loop;
