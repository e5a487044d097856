//! Several conversations per user and endpoint: the list of threads (most recently used
//! first) and which one is shown.
//!
//! A thread gets its place in the list with its first question, titled by it (renamable); "New
//! chat" starts an unlisted one, so the list never holds empty threads. Asking moves a thread
//! to the front; beyond [`MAX_THREADS`] the one used longest ago is dropped. Ids are `t<n>`,
//! one more than the highest known, so they need no clock or randomness and stay pure.

use crate::state::ChatState;

/// Most threads kept per user and endpoint (each is capped at [`crate::storage::MAX_CHARS`]).
pub(crate) const MAX_THREADS: usize = 10;
/// Most characters of a title.
pub(crate) const MAX_TITLE: usize = 80;

/// One conversation in the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Thread {
    /// `t<n>`.
    pub(crate) id: String,
    /// Its first question, or what the user renamed it to.
    pub(crate) title: String,
}

/// The threads of the user shown, and the current one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Threads {
    /// Most recently used first.
    pub(crate) list: Vec<Thread>,
    /// The thread shown; empty until the first question or a restore named one.
    pub(crate) current: String,
}

impl Threads {
    /// A fresh id, one more than the highest of the list and the current one.
    pub(crate) fn next_id(&self) -> String {
        let n = self
            .list
            .iter()
            .map(|t| t.id.as_str())
            .chain([self.current.as_str()])
            .filter_map(|id| id.strip_prefix('t')?.parse::<u64>().ok())
            .max()
            .unwrap_or(0);
        format!("t{}", n + 1)
    }

    /// Whether thread `id` is listed.
    pub(crate) fn has(&self, id: &str) -> bool {
        self.list.iter().any(|t| t.id == id)
    }
}

/// `text` on one line (each run of whitespace one space), at most [`MAX_TITLE`] characters
/// and an ellipsis.
pub(crate) fn title_of(text: &str) -> String {
    let mut title = String::new();
    let mut chars = 0;
    for word in text.split_ascii_whitespace() {
        if chars > 0 {
            if chars >= MAX_TITLE {
                title.push('…');
                return title;
            }
            title.push(' ');
            chars += 1;
        }
        for c in word.chars() {
            if chars >= MAX_TITLE {
                title.push('…');
                return title;
            }
            title.push(c);
            chars += 1;
        }
    }
    title
}

impl ChatState {
    /// A question is asked in the current thread: it goes to the front of the list (listed
    /// with `question` as title the first time). Returns the ids dropped beyond the cap.
    pub(crate) fn touch_thread(&mut self, question: &str) -> Vec<String> {
        let threads = &mut self.threads;
        if threads.current.is_empty() {
            threads.current = threads.next_id();
        }
        let thread = match threads.list.iter().position(|t| t.id == threads.current) {
            Some(i) => threads.list.remove(i),
            None => Thread {
                id: threads.current.clone(),
                title: title_of(question),
            },
        };
        threads.list.insert(0, thread);
        let dropped = threads.list.split_off(threads.list.len().min(MAX_THREADS));
        dropped.into_iter().map(|t| t.id).collect()
    }

    /// Starts a new, unlisted thread (New chat). False when the current one is already empty.
    pub(crate) fn new_thread(&mut self) -> bool {
        self.clear();
        if !self.threads.has(&self.threads.current) {
            return false;
        }
        self.threads.current = self.threads.next_id();
        true
    }

    /// Shows thread `id` (its exchanges are loaded next). False for the current one or an
    /// unknown one.
    pub(crate) fn switch_thread(&mut self, id: &str) -> bool {
        if id == self.threads.current || !self.threads.has(id) {
            return false;
        }
        self.clear();
        self.threads.current = id.to_owned();
        true
    }

    /// Renames thread `id`; false for a blank title or an unknown thread.
    pub(crate) fn rename_thread(&mut self, id: &str, title: &str) -> bool {
        let title = title_of(title);
        let Some(thread) = self.threads.list.iter_mut().find(|t| t.id == id) else {
            return false;
        };
        if title.is_empty() {
            return false;
        }
        thread.title = title;
        true
    }

    /// Deletes thread `id`; deleting the current one starts a new thread. False when unknown.
    pub(crate) fn delete_thread(&mut self, id: &str) -> bool {
        let before = self.threads.list.len();
        self.threads.list.retain(|t| t.id != id);
        if self.threads.list.len() == before {
            return false;
        }
        if self.threads.current == id {
            self.clear();
            self.threads.current = self.threads.next_id();
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(state: &ChatState) -> Vec<&str> {
        state.threads.list.iter().map(|t| t.id.as_str()).collect()
    }

    #[test]
    fn a_thread_is_listed_with_its_first_question_and_moves_up_when_used() {
        let mut state = ChatState::default();
        assert!(!state.new_thread(), "nothing to leave yet");
        state.ask("How   many\norders?".into());
        assert_eq!(
            state.touch_thread("How   many\norders?"),
            Vec::<String>::new()
        );
        assert_eq!(
            state.threads.list,
            vec![Thread {
                id: "t1".into(),
                title: "How many orders?".into()
            }]
        );
        assert!(state.new_thread());
        assert!(state.exchanges.is_empty());
        assert_eq!(state.threads.current, "t2");
        assert!(!state.new_thread(), "the new thread is still empty");
        state.touch_thread("second");
        assert_eq!(ids(&state), ["t2", "t1"], "newest first");
        assert!(state.switch_thread("t1"));
        assert!(!state.switch_thread("t1"), "already shown");
        assert!(!state.switch_thread("t9"), "unknown");
        state.touch_thread("again");
        assert_eq!(ids(&state), ["t1", "t2"], "used last goes first");
        assert_eq!(
            state.threads.list[0].title, "How many orders?",
            "title kept"
        );
    }

    #[test]
    fn beyond_the_cap_the_thread_used_longest_ago_goes() {
        let mut state = ChatState::default();
        for i in 0..MAX_THREADS {
            state.touch_thread(&format!("q{i}"));
            state.new_thread();
        }
        let dropped = state.touch_thread("one too many");
        assert_eq!(dropped, vec!["t1".to_owned()]);
        assert_eq!(state.threads.list.len(), MAX_THREADS);
        assert_eq!(state.threads.list[0].id, format!("t{}", MAX_THREADS + 1));
    }

    #[test]
    fn rename_and_delete() {
        let mut state = ChatState::default();
        state.touch_thread("first");
        state.new_thread();
        state.touch_thread("second");
        assert!(state.rename_thread("t1", "  Sales\n"));
        assert_eq!(state.threads.list[1].title, "Sales");
        assert!(!state.rename_thread("t1", "  "), "blank");
        assert!(!state.rename_thread("t7", "x"));
        let long = "x".repeat(200);
        assert!(state.rename_thread("t1", &long));
        assert_eq!(state.threads.list[1].title.chars().count(), MAX_TITLE + 1);
        let words = "word ".repeat(40);
        let title = title_of(&words);
        assert!(
            title.ends_with('…') && title.chars().count() <= MAX_TITLE + 1,
            "{title}"
        );

        state.ask("in t2".into());
        assert!(state.delete_thread("t1"));
        assert_eq!(
            state.exchanges.len(),
            1,
            "another thread: the shown one stays"
        );
        assert!(state.delete_thread("t2"));
        assert!(state.exchanges.is_empty(), "the shown one went");
        assert_eq!(state.threads.current, "t3");
        assert!(state.threads.list.is_empty());
        assert!(!state.delete_thread("t2"));
    }
}
