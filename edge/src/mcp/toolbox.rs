//! The function tools the edge offers the model in edge tool mode, and the way back from a
//! function name to a server and tool.
//!
//! Each listed MCP tool becomes one function named `<server>__<tool>`, reduced to what
//! providers accept (letters, digits, `_`, `-`; at most [`MAX_NAME`] characters) and made
//! unique, so two servers may both have a `search` tool. The schema is the tool's `inputSchema`.
//! Naming stays linear in the number of tools however many names collide: the names taken are
//! a set, and each base name remembers the next suffix to try. Each function also knows whether
//! its calls wait for the user's approval (the server's policy, informed by the tool's hints).

use std::collections::HashMap;

use serde_json::Value;

use crate::config::Approval;
use crate::mcp::client::ToolDef;

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
    /// Calls wait for the user's approval.
    pub needs_approval: bool,
}

/// Every function offered in one answer.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Toolbox {
    tools: Vec<FunctionTool>,
    /// Function name -> index in `tools`.
    by_name: HashMap<String, usize>,
    /// Base name -> the next suffix to try for it.
    next_suffix: HashMap<String, usize>,
}

impl Toolbox {
    /// Adds a server's tools, whose calls wait for approval as `approval` says.
    pub fn add_server(&mut self, server: &str, tools: &[ToolDef], approval: Approval) {
        for tool in tools {
            let name = self.unique(&function_name(server, &tool.name));
            self.by_name.insert(name.clone(), self.tools.len());
            let needs_approval = match approval {
                Approval::Always => true,
                Approval::Never => false,
                Approval::Annotations => tool.hints.needs_approval(),
            };
            self.tools.push(FunctionTool {
                name,
                server: server.to_owned(),
                tool: tool.name.clone(),
                description: tool.description.clone(),
                parameters: tool.input_schema.clone(),
                needs_approval,
            });
        }
    }

    /// The function for `tool` of `server`, if offered.
    pub fn find_tool(&self, server: &str, tool: &str) -> Option<&FunctionTool> {
        self.tools
            .iter()
            .find(|t| t.server == server && t.tool == tool)
    }

    /// The functions, in the order added.
    pub fn tools(&self) -> &[FunctionTool] {
        &self.tools
    }

    /// The function the model named.
    pub fn find(&self, name: &str) -> Option<&FunctionTool> {
        self.by_name.get(name).map(|at| &self.tools[*at])
    }

    /// `name`, or `name` cut and suffixed `_2`, `_3`, ... until it is free.
    fn unique(&mut self, name: &str) -> String {
        if !self.by_name.contains_key(name) {
            return name.to_owned();
        }
        let taken: &HashMap<String, usize> = &self.by_name;
        let next = self.next_suffix.entry(name.to_owned()).or_insert(2);
        loop {
            let suffix = format!("_{next}");
            let keep = name.len().min(MAX_NAME - suffix.len());
            let candidate = format!("{}{suffix}", &name[..keep]);
            *next += 1;
            if !taken.contains_key(&candidate) {
                return candidate;
            }
        }
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

/// A toolbox for tests: server `northwind` with one tool, `name`, described as `description`,
/// that takes an object and needs no approval.
#[cfg(test)]
pub(crate) fn northwind_with(name: &str, description: &str) -> Toolbox {
    let mut toolbox = Toolbox::default();
    toolbox.add_server(
        "northwind",
        &[ToolDef {
            name: name.to_owned(),
            description: description.to_owned(),
            input_schema: serde_json::json!({"type":"object"}),
            hints: crate::mcp::client::ToolHints::default(),
        }],
        Approval::Never,
    );
    toolbox
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use serde_json::json;

    use super::*;

    fn tool(name: &str) -> ToolDef {
        ToolDef {
            name: name.to_owned(),
            description: format!("does {name}"),
            input_schema: json!({"type":"object"}),
            hints: crate::mcp::client::ToolHints::default(),
        }
    }

    #[test]
    fn thousands_of_colliding_names_stay_unique_in_linear_time() {
        // 5000 tools whose names all reduce to the same function name, plus tools named like
        // the suffixed names, added first so the suffix search must skip them.
        let mut tools: Vec<ToolDef> = (2..500).map(|n| tool(&format!("x_{n}"))).collect();
        tools.extend((0..5000).map(|_| tool("x.")));
        tools.extend((0..5000).map(|_| tool("x")));
        let started = std::time::Instant::now();
        let mut toolbox = Toolbox::default();
        toolbox.add_server("s", &tools, Approval::Never);
        let elapsed = started.elapsed();
        println!("{} tools named in {elapsed:?}", tools.len());
        let names: HashSet<&str> = toolbox.tools().iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names.len(), tools.len(), "every name is unique");
        assert!(names.iter().all(|n| n.len() <= MAX_NAME));
        for function in toolbox.tools() {
            assert_eq!(toolbox.find(&function.name), Some(function));
        }
        // Quadratic naming took seconds here; linear takes milliseconds even on a busy machine.
        assert!(elapsed < std::time::Duration::from_secs(2), "{elapsed:?}");
    }

    #[test]
    fn approval_follows_the_policy_and_the_hints() {
        let mut read_only = tool("read");
        read_only.hints.read_only = Some(true);
        let write = tool("write");
        let mut toolbox = Toolbox::default();
        toolbox.add_server(
            "a",
            &[read_only.clone(), write.clone()],
            Approval::Annotations,
        );
        toolbox.add_server("b", &[read_only.clone()], Approval::Always);
        toolbox.add_server("c", &[write], Approval::Never);
        let asks: Vec<bool> = toolbox.tools().iter().map(|t| t.needs_approval).collect();
        assert_eq!(asks, [false, true, true, false]);
        assert_eq!(toolbox.find_tool("a", "write").unwrap().name, "a__write");
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
            Approval::Never,
        );
        toolbox.add_server("northwind", &[tool("read_query")], Approval::Never);
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
