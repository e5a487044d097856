//! Which tools an MCP App view may call through the edge (`POST /api/app/tool-call`): the same
//! tool policy as the model's calls ([`ServerPolicy`]), the tool's `visibility` (a tool without
//! `"app"` is refused, per the MCP Apps spec), and no call that would wait for the user's
//! approval (an app's call has nobody to ask, so it is refused rather than run).

use crate::config::{Approval, ServerPolicy};
use crate::error::EdgeError;
use crate::mcp::client::apps::ToolEntry;

/// Whether a view may call `name`, given its server's `policy` and the tools the server lists.
pub fn check(policy: &ServerPolicy, tools: &[ToolEntry], name: &str) -> Result<(), EdgeError> {
    let refused = || EdgeError::ToolNotAllowed(name.chars().take(80).collect());
    if !policy.allows(name) {
        return Err(refused());
    }
    let tool = tools
        .iter()
        .find(|t| t.def.name == name)
        .ok_or_else(refused)?;
    if tool.ui.as_ref().is_some_and(|ui| !ui.for_app) {
        return Err(refused());
    }
    let asks = match policy.require_approval {
        Approval::Always => true,
        Approval::Never => false,
        Approval::Annotations => tool.def.hints.needs_approval(),
    };
    if asks {
        return Err(EdgeError::ToolNeedsApproval(name.to_owned()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::mcp::client::apps::parse_tool_entries;

    fn tools() -> Vec<ToolEntry> {
        parse_tool_entries(&json!({"tools":[
            {"name":"chart_query","annotations":{"readOnlyHint":true},"_meta":{"ui":{"resourceUri":"ui://n/chart"}}},
            {"name":"model_only","annotations":{"readOnlyHint":true},"_meta":{"ui":{"resourceUri":"ui://n/c","visibility":["model"]}}},
            {"name":"refresh","annotations":{"readOnlyHint":true},"_meta":{"ui":{"resourceUri":"ui://n/c","visibility":["app"]}}},
            {"name":"delete_rows"}
        ]}))
        .unwrap()
        .0
    }

    fn verdict(policy: &ServerPolicy, name: &str) -> &'static str {
        match check(policy, &tools(), name) {
            Ok(()) => "ok",
            Err(err) => err.code().as_str(),
        }
    }

    #[test]
    fn apps_call_only_allowed_visible_tools_that_need_no_approval() {
        let default = ServerPolicy::default();
        assert_eq!(verdict(&default, "chart_query"), "ok");
        assert_eq!(verdict(&default, "refresh"), "ok");
        assert_eq!(verdict(&default, "model_only"), "tool_not_allowed");
        assert_eq!(verdict(&default, "not_listed"), "tool_not_allowed");
        // No annotations: the call would wait for the user, so the app is refused.
        assert_eq!(verdict(&default, "delete_rows"), "tool_needs_approval");

        let listed = ServerPolicy {
            allowed_tools: Some(vec!["refresh".into(), "delete_rows".into()]),
            ..ServerPolicy::default()
        };
        assert_eq!(verdict(&listed, "chart_query"), "tool_not_allowed");
        assert_eq!(verdict(&listed, "refresh"), "ok");

        let always = ServerPolicy {
            require_approval: Approval::Always,
            ..ServerPolicy::default()
        };
        assert_eq!(verdict(&always, "chart_query"), "tool_needs_approval");
        let never = ServerPolicy {
            require_approval: Approval::Never,
            ..ServerPolicy::default()
        };
        assert_eq!(verdict(&never, "delete_rows"), "ok");
    }
}
