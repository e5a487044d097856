//! An MCP App view shown under its tool call: its sealed handle (the frame loads the view by
//! it, and its tool calls go through it), and where its bridge stands (see `update/app.rs`).
//!
//! A view is not stored with the conversation: after a reload the call shows its text only.

use crate::app_bridge::{DEFAULT_HEIGHT, RpcId};

/// Most views one answer shows (more `app_view` events are ignored).
pub(crate) const MAX_APPS_PER_ANSWER: usize = 4;

/// One view and its bridge's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AppFrame {
    /// The `ui://` resource.
    pub(crate) uri: String,
    /// Sealed by the edge: what the view's tool calls name.
    pub(crate) handle: String,
    /// The frame's height in CSS pixels, within the bridge's bounds.
    pub(crate) height: u32,
    /// Its tool calls in flight.
    pub(crate) in_flight: u8,
    /// Its tool calls so far.
    pub(crate) calls: u32,
    /// A link it asked to open, waiting for the user: the request's id and the URL.
    pub(crate) link: Option<(RpcId, String)>,
}

impl AppFrame {
    /// A view that has not spoken yet.
    pub(crate) fn new(uri: String, handle: String) -> Self {
        Self {
            uri,
            handle,
            height: DEFAULT_HEIGHT,
            in_flight: 0,
            calls: 0,
            link: None,
        }
    }
}
