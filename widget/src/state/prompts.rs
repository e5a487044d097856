//! The servers' prompts as `/` commands: the list for the selected servers, the menu the
//! composer shows while its text starts with `/`, and the argument form of the prompt picked.

use protocol::PromptInfo;

/// What the composer knows of prompts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Prompts {
    /// The prompts of [`Prompts::servers`].
    pub(crate) list: Vec<PromptInfo>,
    /// The servers the list was asked for; `None` until asked.
    pub(crate) servers: Option<Vec<String>>,
    /// The menu: what follows the `/`, while the draft is a command.
    pub(crate) query: Option<String>,
    /// The highlighted entry of the menu.
    pub(crate) active: usize,
    /// The prompt whose arguments are being asked for.
    pub(crate) form: Option<PromptInfo>,
    /// Why the last prompt could not be fetched.
    pub(crate) error: Option<String>,
}

impl Prompts {
    /// The menu's entries: the prompts whose name or title starts with the query (ASCII
    /// case-insensitive); none when the menu is closed.
    pub(crate) fn matching(&self) -> Vec<&PromptInfo> {
        let Some(query) = &self.query else {
            return Vec::new();
        };
        let query = query.to_ascii_lowercase();
        self.list
            .iter()
            .filter(|p| {
                p.name.to_ascii_lowercase().starts_with(&query)
                    || p.title.to_ascii_lowercase().starts_with(&query)
            })
            .collect()
    }
}
