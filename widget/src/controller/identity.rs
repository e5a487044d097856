//! Who is signed in, and what the instance keeps because of it.
//!
//! The instance asks the edge who is signed in (`GET /api/me`) when it starts, when the server
//! list is reloaded and after a sign-in. Storage follows the answer (see [`crate::storage`]):
//! nothing is read or written until the edge has named the user; the first answer restores
//! that user's conversation, draft and preferences; an answer naming another user than the one
//! whose conversation is shown clears what is shown and everything stored. A 401 from any
//! request, and the Sign out link, forget everything stored for the endpoint. After a sign-in,
//! the question a 401 refused is sent again only when the same user signed back in.
//!
//! The page remembers (in memory, never in storage) whom the edge named for each endpoint, so
//! an element that replaces another in the same page starts as that user at once, with the
//! conversation so far; its own `/api/me` then confirms or switches.

use std::cell::RefCell;

use protocol::{ApiError, ErrorCode, Identity};

use crate::api;
use crate::controller::tasks::{Slot, send, shown};
use crate::controller::{Controller, Msg};
use crate::state::Servers;
use crate::storage::Store;

thread_local! {
    /// `(endpoint, user)`: whom the edge at each endpoint last named in this page.
    static KNOWN: RefCell<Vec<(String, Identity)>> = const { RefCell::new(Vec::new()) };
}

impl Controller {
    /// Starts as the user the edge named to another element of this page, if any.
    pub(crate) fn adopt_known_user(&self) {
        let endpoint = self.endpoint();
        let known = KNOWN.with_borrow(|known| {
            known
                .iter()
                .find(|(at, _)| *at == endpoint)
                .map(|(_, user)| user.clone())
        });
        if let Some(user) = known {
            self.owner.replace(Some(user.subject.clone()));
            *self.store.borrow_mut() = Store::claim(&endpoint, &user.subject);
            self.state.borrow_mut().user = Some(user);
            self.restore();
        }
    }

    /// Asks the edge who is signed in.
    pub(crate) fn load_me(&self) {
        let endpoint = self.endpoint();
        let me = self.me.clone();
        self.spawn(Slot::Me, move |id, signal| async move {
            let result = api::fetch_me(&endpoint, &signal).await;
            send(&me, Msg::MeLoaded(id, shown(result)));
        });
    }

    /// The edge named the signed-in user (or refused to).
    pub(crate) fn me_arrived(&self, result: Result<Identity, ApiError>) {
        let retry = self.retry_after_me.replace(false);
        let identity = match result {
            Ok(mut identity) => {
                identity.sign_out_url = identity
                    .sign_out_url
                    .as_deref()
                    .and_then(|url| sign_out_href(&self.endpoint(), url));
                remember(&self.endpoint(), Some(&identity));
                identity
            }
            Err(error) if error.code == ErrorCode::Unauthorized => return self.signed_out_now(),
            // An edge without `/api/me`, or no answer: nobody is known, so nothing is stored
            // (the refused question still goes again, as it did before `/api/me`).
            Err(_) => {
                remember(&self.endpoint(), None);
                *self.store.borrow_mut() = Store::closed();
                self.state.borrow_mut().user = None;
                if retry {
                    self.handle(Msg::Retry);
                }
                return;
            }
        };
        let before = self.owner.replace(Some(identity.subject.clone()));
        let switched = before
            .as_deref()
            .is_some_and(|subject| subject != identity.subject);
        if switched {
            // What is shown belongs to the user who was signed in before.
            self.forget_shown();
            self.load_servers();
            self.load_models();
        }
        *self.store.borrow_mut() = Store::claim(&self.endpoint(), &identity.subject);
        self.state.borrow_mut().user = Some(identity);
        if before.is_none() || switched {
            self.restore();
        }
        // Whatever this user has on screen is theirs to keep.
        self.chat_dirty.set(true);
        self.save_prefs();
        self.store.borrow().save_draft(&self.view.borrow().draft());
        if retry && !switched {
            self.handle(Msg::Retry);
        }
    }

    /// The edge answered 401: nobody is signed in now, so nothing stays stored. What is shown
    /// stays until someone signs in (the same user keeps it).
    pub(crate) fn signed_out_now(&self) {
        remember(&self.endpoint(), None);
        Store::forget(&self.endpoint());
        *self.store.borrow_mut() = Store::closed();
        self.state.borrow_mut().user = None;
    }

    /// The Sign out link was followed (it opened Pomerium's sign-out page): forget everything,
    /// shown and stored, and offer the sign-in.
    pub(crate) fn sign_out(&self) {
        self.signed_out_now();
        self.owner.replace(None);
        self.forget_shown();
        self.state.borrow_mut().servers = Servers::Failed(ApiError {
            code: ErrorCode::Unauthorized,
            message: String::new(),
            retryable: true,
        });
    }

    /// Clears the conversation, the draft and the preferences shown (not the storage).
    fn forget_shown(&self) {
        self.tasks.borrow_mut()[Slot::Chat as usize] = None;
        let mut state = self.state.borrow_mut();
        state.exchanges.clear();
        state.selected.clear();
        state.model = None;
        state.always_allowed.clear();
        drop(state);
        let mut view = self.view.borrow_mut();
        view.reset_log();
        view.take_draft();
        self.chat_dirty.set(false);
    }
}

/// Remembers `user` as the one the edge at `endpoint` named (`None`: nobody).
fn remember(endpoint: &str, user: Option<&Identity>) {
    KNOWN.with_borrow_mut(|known| {
        known.retain(|(at, _)| at != endpoint);
        if let Some(user) = user {
            known.push((endpoint.to_owned(), user.clone()));
        }
    });
}

/// The Sign out link's target: `url` when it is an `http(s)` URL, or a path on the edge at
/// `endpoint` (this page's origin when empty); nothing else (no `javascript:`).
fn sign_out_href(endpoint: &str, url: &str) -> Option<String> {
    if url.starts_with("https://") || url.starts_with("http://") {
        return Some(url.to_owned());
    }
    if !url.starts_with('/') || url.starts_with("//") {
        return None;
    }
    let res = match endpoint.trim_end_matches('/') {
        "" => web_sys::window()?.location().origin().ok()?,
        base => base.to_owned(),
    };
    Some(res + url)
}
