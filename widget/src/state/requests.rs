//! Which request of each kind is current: the ids behind the widget's requests in flight.
//!
//! An instance makes at most one request of each [`Slot`] at a time. [`Requests`] hands out a
//! fresh id for every request started and remembers the current one per slot, so a message from
//! a request that was replaced, stopped or finished is recognised as stale and dropped. The
//! controller keeps the real fetches (one per current id) and aborts any whose id is no longer
//! current here, so stopping a request is a change of state like any other.

/// The kinds of request an instance makes; at most one of each is in flight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Slot {
    /// `POST /api/chat` and its stream.
    Chat = 0,
    /// `GET /api/servers`.
    Servers = 1,
    /// `GET /api/models`.
    Models = 2,
    /// `POST /api/servers/disconnect`.
    Disconnect = 3,
    /// `GET /api/servers` to learn whether the user has signed in.
    Session = 4,
    /// `GET /api/me`.
    Me = 5,
    /// `GET /api/prompts` and `POST /api/prompts/get`.
    Prompts = 6,
}

/// How many slots there are.
pub(crate) const N_SLOTS: usize = 7;

/// The current request id of each slot.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Requests {
    last_id: u64,
    current: [Option<u64>; N_SLOTS],
}

impl Requests {
    /// Starts a request in `slot`, replacing the one there, and returns its id.
    pub(crate) fn start(&mut self, slot: Slot) -> u64 {
        self.last_id += 1;
        self.current[slot as usize] = Some(self.last_id);
        self.last_id
    }

    /// The id of the request in flight in `slot`.
    pub(crate) fn current(&self, slot: Slot) -> Option<u64> {
        self.current[slot as usize]
    }

    /// The id of the request in flight in the slot numbered `slot`.
    pub(crate) fn current_at(&self, slot: usize) -> Option<u64> {
        self.current.get(slot).copied().flatten()
    }

    /// Whether `id` is the request in flight in `slot`.
    pub(crate) fn is_current(&self, slot: Slot, id: u64) -> bool {
        self.current(slot) == Some(id)
    }

    /// Ends request `id` of `slot`; false when it is not the current one (its message is stale).
    pub(crate) fn finish(&mut self, slot: Slot, id: u64) -> bool {
        let current = self.is_current(slot, id);
        if current {
            self.current[slot as usize] = None;
        }
        current
    }

    /// Drops the request of `slot` (it is aborted); true when one was in flight.
    pub(crate) fn cancel(&mut self, slot: Slot) -> bool {
        self.current[slot as usize].take().is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_latest_request_of_a_slot_is_current() {
        let mut requests = Requests::default();
        let first = requests.start(Slot::Servers);
        let second = requests.start(Slot::Servers);
        let chat = requests.start(Slot::Chat);
        assert!(!requests.finish(Slot::Servers, first), "replaced: stale");
        assert!(requests.is_current(Slot::Chat, chat));
        assert!(requests.finish(Slot::Servers, second));
        assert!(!requests.finish(Slot::Servers, second), "finished once");
        assert!(requests.cancel(Slot::Chat));
        assert!(!requests.cancel(Slot::Chat));
    }
}
