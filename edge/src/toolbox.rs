//! The function tools the edge offers the model in edge tool mode, and the way back from a
//! function name to a server and tool.
//!
//! Each listed MCP tool becomes one function named `<server>__<tool>`, reduced to what
//! providers accept (letters, digits, `_`, `-`; at most [`MAX_NAME`] characters) and made
//! unique, so two servers may both have a `search` tool. The schema is the tool's `inputSchema`.

use serde_json::Value;

use crate::mcp_client::ToolDef;

/// The longest function name providers accept.
pub const MAX_NAME: usize = 64;

/// One function the model may call.
#[derive(Debug, Clone, PartialEq)]
pub struct FunctionTool {
    /// The unique function name the model sees.
    pub name: String,
    /// The server id.
    pub server: String,
    /// The tool's name on its server.
    pub tool: String,
    /// What it does.
    pub description: String,
    /// The JSON Schema of its arguments.
    pub parameters: Value,
}

/// Every function offered in one answer.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Toolbox {
    tools: Vec<FunctionTool>,
}

impl Toolbox {
    /// Adds a server's tools.
    pub fn add_server(&mut self, server: &str, tools: &[ToolDef]) {
        for tool in tools {
            let name = self.unique(&function_name(server, &tool.name));
            self.tools.push(FunctionTool {
                name,
                server: server.to_owned(),
                tool: tool.name.clone(),
                description: tool.description.clone(),
                parameters: tool.input_schema.clone(),
            });
        }
    }

    /// The functions, in the order added.
    pub fn tools(&self) -> &[FunctionTool] {
        &self.tools
    }

    /// The function the model named.
    pub fn find(&self, name: &str) -> Option<&FunctionTool> {
        self.tools.iter().find(|t| t.name == name)
    }

    fn unique(&self, name: &str) -> String {
        let taken = |candidate: &str| self.tools.iter().any(|t| t.name == candidate);
        let mut res = name.to_owned();
        let mut n = 2;
        while taken(&res) {
            let suffix = format!("_{n}");
            let keep = name.len().min(MAX_NAME - suffix.len());
            res = format!("{}{suffix}", &name[..keep]);
            n += 1;
        }
        res
    }
}

/// `<server>__<tool>` with every character outside `[A-Za-z0-9_-]` replaced by `_`, cut to
/// [`MAX_NAME`] characters.
pub fn function_name(server: &str, tool: &str) -> String {
    format!("{server}__{tool}")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .take(MAX_NAME)
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn tool(name: &str) -> ToolDef {
        ToolDef {
            name: name.to_owned(),
            description: format!("does {name}"),
            input_schema: json!({"type":"object"}),
        }
    }

    #[test]
    fn names_are_sanitized_cut_and_unique() {
        assert_eq!(
            function_name("northwind", "read_query"),
            "northwind__read_query"
        );
        assert_eq!(
            function_name("crm", "find.contact/v2 ü"),
            "crm__find_contact_v2__"
        );
        let long = "t".repeat(100);
        assert_eq!(function_name("s", &long).len(), MAX_NAME);

        let mut toolbox = Toolbox::default();
        toolbox.add_server(
            "crm",
            &[
                tool("a.b"),
                tool("a_b"),
                tool(&long),
                tool(&format!("{long}x")),
            ],
        );
        toolbox.add_server("northwind", &[tool("read_query")]);
        let names: Vec<&str> = toolbox.tools().iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names[..2], ["crm__a_b", "crm__a_b_2"]);
        assert_eq!(names[2].len(), MAX_NAME);
        assert!(
            names[3].ends_with("_2") && names[3].len() == MAX_NAME,
            "{}",
            names[3]
        );
        let mut unique = names.clone();
        unique.dedup();
        assert_eq!(unique.len(), names.len());
        for name in &names {
            assert!(
                name.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            );
        }
        let found = toolbox.find("crm__a_b_2").unwrap();
        assert_eq!((found.server.as_str(), found.tool.as_str()), ("crm", "a_b"));
        assert_eq!(
            toolbox.find("northwind__read_query").unwrap().description,
            "does read_query"
        );
        assert!(toolbox.find("nope").is_none());
    }
}
