//! The external tokens (TE) the fake Pomerium mints, and the check that a token is one of them.
//!
//! A TE looks like a real one from a recent Pomerium: `pom_mat_<counter>_<16 random hex>`. The
//! counter makes every token unique; the random part makes it unguessable for a test that tries
//! to forge one. Like Pomerium's, a TE is valid for five minutes.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use crate::record::lock;

/// How long a minted TE is accepted.
pub(crate) const TE_LIFETIME: Duration = Duration::from_secs(5 * 60);

/// Mints TEs and remembers when each was issued.
#[derive(Debug, Default)]
pub(crate) struct TokenMint {
    counter: AtomicU64,
    issued: Mutex<HashMap<String, Instant>>,
}

impl TokenMint {
    /// A fresh TE, never the same twice.
    pub(crate) fn mint(&self) -> String {
        let n = self.counter.fetch_add(1, Ordering::Relaxed) + 1;
        let te = format!("pom_mat_{n}_{}", random_hex16(n));
        lock(&self.issued).insert(te.clone(), Instant::now());
        te
    }

    /// Whether `te` was minted here and has not expired.
    pub(crate) fn is_valid(&self, te: &str) -> bool {
        lock(&self.issued)
            .get(te)
            .is_some_and(|at| at.elapsed() < TE_LIFETIME)
    }
}

/// 64 random bits as 16 lower-case hex digits. `RandomState` is seeded from the OS once per
/// thread and changes its keys on every `new`, which is random enough for a fake's tokens.
fn random_hex16(n: u64) -> String {
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("{:016x}", RandomState::new().hash_one((n, nanos)))
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn tokens_are_unique_and_well_formed() {
        let mint = TokenMint::default();
        let tokens: Vec<String> = (0..2000).map(|_| mint.mint()).collect();
        let distinct: HashSet<&String> = tokens.iter().collect();
        assert_eq!(distinct.len(), tokens.len());
        for (i, te) in tokens.iter().enumerate() {
            let rest = te.strip_prefix("pom_mat_").expect("prefix");
            let (counter, random) = rest.split_once('_').expect("two parts");
            assert_eq!(counter, (i + 1).to_string());
            assert_eq!(random.len(), 16, "{te}");
            assert!(
                random
                    .bytes()
                    .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
            );
        }
    }

    #[test]
    fn random_parts_differ_between_mints() {
        // Two mints start their counters at 1: the random part alone must tell them apart.
        let (a, b) = (TokenMint::default(), TokenMint::default());
        let (ta, tb) = (a.mint(), b.mint());
        assert_ne!(ta, tb);
        assert!(a.is_valid(&ta) && !a.is_valid(&tb));
    }

    #[test]
    fn only_minted_tokens_are_valid() {
        let mint = TokenMint::default();
        let te = mint.mint();
        assert!(mint.is_valid(&te));
        assert!(!mint.is_valid("pom_mat_1_0000000000000000"));
        assert!(!mint.is_valid(""));
        assert!(!mint.is_valid(&format!("{te}x")));
    }
}
