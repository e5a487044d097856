//! Which listed tools link an MCP App view, for one answer in edge tool mode: a tool whose
//! `_meta.ui.visibility` leaves out `"model"` is kept from the model's tool list (the MCP Apps
//! spec), and a finished call of a tool that links a `ui://` view gets an
//! [`StreamEvent::AppView`] with the view and its sealed handle ([`AppHandle`]).

use protocol::StreamEvent;

use crate::incoming::app_handle::AppHandle;
use crate::incoming::continuation::Sealer;
use crate::mcp::client::ToolDef;
use crate::mcp::client::apps::{AppView, ToolEntry};
use crate::servers::pomerium::McpServer;

/// The views the listed tools link, by server and tool.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ViewLinks {
    links: Vec<AppHandle>,
}

impl ViewLinks {
    /// Notes the views of `server`'s tools; gives the tools the model may see.
    pub fn keep(&mut self, server: &McpServer, entries: Vec<ToolEntry>) -> Vec<ToolDef> {
        let mut defs = Vec::with_capacity(entries.len());
        for entry in entries {
            let Some(ui) = entry.ui else {
                defs.push(entry.def);
                continue;
            };
            self.links.push(AppHandle {
                server: server.info.id.clone(),
                url: server.info.url.clone(),
                tool: entry.def.name.clone(),
                uri: ui.resource_uri,
            });
            if ui.for_model {
                defs.push(entry.def);
            }
        }
        defs
    }

    /// The view `tool` of `server` links, if any.
    pub fn view_of(&self, server: &str, tool: &str) -> Option<&AppHandle> {
        self.links
            .iter()
            .find(|l| l.server == server && l.tool == tool)
    }
}

/// The event that announces `view` (read and found a view) of call `call_id` to the widget,
/// with its handle sealed to the user; `None` for a user the edge cannot name.
pub fn app_view_event(
    call_id: &str,
    link: &AppHandle,
    view: AppView,
    sealer: &Sealer,
) -> Option<StreamEvent> {
    Some(StreamEvent::AppView {
        call_id: call_id.to_owned(),
        uri: view.uri,
        handle: link.seal(sealer)?,
    })
}

#[cfg(test)]
mod tests {
    use protocol::ServerInfo;
    use serde_json::{Value, json};

    use super::*;
    use crate::incoming::identity::Identity;
    use crate::mcp::client::apps::parse_tool_entries;

    fn server() -> McpServer {
        let info = ServerInfo {
            id: "northwind".into(),
            name: "Northwind".into(),
            description: None,
            logo_url: None,
            url: "https://northwind.example/mcp".into(),
            connected: true,
            needs_oauth: false,
            connect_url: None,
        };
        McpServer { info }
    }

    #[test]
    fn views_are_noted_and_app_only_tools_kept_from_the_model() {
        let (entries, _) = parse_tool_entries(&json!({"tools":[
            {"name":"chart_query","_meta":{"ui":{"resourceUri":"ui://northwind/chart"}}},
            {"name":"refresh","_meta":{"ui":{"resourceUri":"ui://northwind/chart","visibility":["app"]}}},
            {"name":"read_query"}
        ]}))
        .unwrap();
        let mut links = ViewLinks::default();
        let defs = links.keep(&server(), entries);
        let names: Vec<&str> = defs.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(names, ["chart_query", "read_query"]);
        let link = links.view_of("northwind", "chart_query").unwrap();
        assert_eq!(
            (link.uri.as_str(), link.url.as_str()),
            ("ui://northwind/chart", "https://northwind.example/mcp")
        );
        assert!(links.view_of("northwind", "read_query").is_none());
        assert!(links.view_of("other", "chart_query").is_none());

        let config = crate::config::of(&[("seal_secret", "0123456789abcdef0123456789abcdef")]);
        let alice = Identity {
            subject: "alice".into(),
            email: None,
            name: None,
        };
        let sealer = Sealer::new(&config, &alice, 1000).unwrap();
        let view = AppView {
            uri: link.uri.clone(),
            html: "<p>chart</p>".into(),
            csp: Value::Null,
            prefers_border: None,
        };
        let Some(StreamEvent::AppView {
            call_id,
            uri,
            handle,
        }) = app_view_event("c1", link, view, &sealer)
        else {
            panic!("no event");
        };
        assert_eq!(
            (call_id.as_str(), uri.as_str()),
            ("c1", "ui://northwind/chart")
        );
        assert_eq!(&AppHandle::open(&sealer, &handle).unwrap(), link);
    }
}
