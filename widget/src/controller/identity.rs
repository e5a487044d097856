//! Whom the edge named in this page, and what the store kept for them.
//!
//! The rules (who is signed in decides what is restored and stored) are in [`crate::update`];
//! this module holds the page-wide memory they use. The page remembers (in memory, never in
//! storage) whom the edge named for each endpoint, so an element that replaces another in the
//! same page starts as that user at once, with the conversation so far; its own `/api/me` then
//! confirms or switches.

use std::cell::RefCell;

use protocol::Identity;

use crate::storage::Store;
use crate::update::Saved;

thread_local! {
    /// `(endpoint, user)`: whom the edge at each endpoint last named in this page.
    static KNOWN: RefCell<Vec<(String, Identity)>> = const { RefCell::new(Vec::new()) };
}

/// The user the edge at `endpoint` named to another element of this page, if any.
pub(crate) fn known(endpoint: &str) -> Option<Identity> {
    KNOWN.with_borrow(|known| {
        known
            .iter()
            .find(|(at, _)| at == endpoint)
            .map(|(_, user)| user.clone())
    })
}

/// Remembers `user` as the one the edge at `endpoint` named (`None`: nobody).
pub(crate) fn remember(endpoint: &str, user: Option<&Identity>) {
    KNOWN.with_borrow_mut(|known| {
        known.retain(|(at, _)| at != endpoint);
        if let Some(user) = user {
            known.push((endpoint.to_owned(), user.clone()));
        }
    });
}

/// What `store` kept: the conversation, the draft and the preferences.
pub(crate) fn saved(store: &Store) -> Saved {
    let threads = store.threads();
    Saved {
        exchanges: store.exchanges(&threads.current),
        threads,
        draft: store.draft(),
        prefs: store.prefs(),
    }
}
