//! One answer, from the checked request to the last event: who runs the tools, the driver's
//! rules, and the tool loop. No I/O (the driver's I/O is `component/driver.rs`).
//!
//! | module | owns |
//! |---|---|
//! | [`runner`] | who runs the MCP tools of an answer: the provider (hosted) or the edge |
//! | [`deadline`] | keep-alive, idle limit and wall time as a state machine (clock passed in) |
//! | [`feed`] | what the driver feeds a provider stream into: [`relay::Relay`] or a [`feed::ToolRound`] |
//! | [`meter`] | one answer's token usage and timings, for the `usage` of its `done` event |
//! | [`relay`] | hosted mode's stream: provider bytes in, widget SSE bytes out, always ending on purpose |
//! | [`tool_loop`] | edge mode's tool loop as a state machine |
//! | [`resume`] | resuming a hosted background answer: the sealed handle, the stream's marks, where to continue |
//! | [`pending`] | edge mode's paused tool loop, as the bytes sealed while a call waits for approval |

pub mod deadline;
pub mod feed;
pub mod meter;
pub mod orchestrate;
pub mod pending;
pub mod progress;
pub mod relay;
pub mod resume;
pub mod runner;
pub mod tool_loop;
