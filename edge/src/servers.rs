//! The user's MCP servers: Pomerium's list, local mode's list, and the tool policy of each.
//!
//! | module | owns |
//! |---|---|
//! | [`pomerium`] | Pomerium's server list: parsing, ids, resolving the widget's ids |
//! | [`local`] | local mode's configured servers, listed as Pomerium's would be |
//! | [`app_policy`] | which tools an MCP App may call: the policy, the tool's visibility, no approval |
//! | [`hosted_tools`] | the provider's own tools (web search, code interpreter) enabled per model |
//! | [`policy`] | which tool policy applies to a server (keyed by URL, failing closed), and its tool filter |

pub mod app_policy;
pub mod hosted_tools;
pub mod local;
pub mod policy;
pub mod pomerium;
