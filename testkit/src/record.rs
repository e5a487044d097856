//! What the fakes remember: an append-only log per kind of record, and token redaction.
//!
//! Records hold real-looking secrets (API keys, TEs, TIs) so tests can assert where each one
//! went. They stay in memory: the `Debug` impls of record types go through [`redact`], so a
//! failing assertion never prints a whole token.

use std::sync::{Mutex, MutexGuard, PoisonError};

/// An append-only, thread-safe list of records.
#[derive(Debug)]
pub(crate) struct Log<T>(Mutex<Vec<T>>);

impl<T> Default for Log<T> {
    fn default() -> Self {
        Self(Mutex::new(Vec::new()))
    }
}

impl<T: Clone> Log<T> {
    /// Appends a record.
    pub(crate) fn push(&self, record: T) {
        lock(&self.0).push(record);
    }

    /// A copy of every record so far, oldest first.
    pub(crate) fn snapshot(&self) -> Vec<T> {
        lock(&self.0).clone()
    }

    /// How many records there are.
    pub(crate) fn len(&self) -> usize {
        lock(&self.0).len()
    }
}

/// Locks a mutex; a test thread that panicked while holding it leaves data that is still fine to
/// read.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A token shortened for `Debug` output: its first 8 characters and its length.
pub(crate) fn redact(token: &str) -> String {
    let head: String = token.chars().take(8).collect();
    format!("{head}…({} chars)", token.chars().count())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redact_keeps_only_a_prefix() {
        assert_eq!(redact("sk-test-secret-key"), "sk-test-…(18 chars)");
        assert_eq!(redact("abc"), "abc…(3 chars)");
    }

    #[test]
    fn log_keeps_order() {
        let log = Log::default();
        log.push(1);
        log.push(2);
        assert_eq!(log.snapshot(), vec![1, 2]);
        assert_eq!(log.len(), 2);
    }
}
