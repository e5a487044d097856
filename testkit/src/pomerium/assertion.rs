//! The identity assertion Pomerium adds to every request it forwards
//! (`X-Pomerium-Jwt-Assertion`, ES256), and the key set it publishes at
//! `/.well-known/pomerium/jwks.json`.
//!
//! Each fake has its own key, made from fresh randomness at start.

use std::hash::{BuildHasher, Hasher};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use serde_json::{Value, json};

/// The key id in the key set and in each assertion's header.
const KID: &str = "fake-pomerium-1";

/// A signing key and what it signs.
pub(crate) struct AssertionKey {
    key: SigningKey,
}

impl std::fmt::Debug for AssertionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AssertionKey(<secret>)")
    }
}

impl Default for AssertionKey {
    fn default() -> Self {
        loop {
            let mut seed = [0u8; 32];
            for chunk in seed.chunks_mut(8) {
                let random = std::collections::hash_map::RandomState::new()
                    .build_hasher()
                    .finish();
                chunk.copy_from_slice(&random.to_le_bytes());
            }
            if let Ok(key) = SigningKey::from_slice(&seed) {
                return Self { key };
            }
        }
    }
}

impl AssertionKey {
    /// The JSON of `/.well-known/pomerium/jwks.json`.
    pub(crate) fn jwks(&self) -> Value {
        let point = self.key.verifying_key().to_encoded_point(false);
        let coordinate =
            |c: Option<&p256::FieldBytes>| c.map(|c| URL_SAFE_NO_PAD.encode(c)).unwrap_or_default();
        json!({"keys": [{"kty": "EC", "crv": "P-256", "use": "sig", "alg": "ES256", "kid": KID,
                         "x": coordinate(point.x()), "y": coordinate(point.y())}]})
    }

    /// An assertion for `audience`, expiring `ttl_secs` from now (negative: already expired).
    pub(crate) fn assertion(&self, audience: &str, ttl_secs: i64) -> String {
        sign(&self.key, audience, ttl_secs)
    }
}

/// An assertion signed by a key no Pomerium published: it must be refused.
pub fn foreign_assertion(audience: &str) -> String {
    sign(&AssertionKey::default().key, audience, 300)
}

fn sign(key: &SigningKey, audience: &str, ttl_secs: i64) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default();
    let header = json!({"alg": "ES256", "kid": KID, "typ": "JWT"});
    let claims = json!({"iss": "authenticate.fake-pomerium", "aud": audience, "iat": now, "exp": now + ttl_secs,
                        "sub": "user-1", "email": "user@example.com", "name": "Test User", "groups": ["staff"]});
    let signed = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let signature: Signature = key.sign(signed.as_bytes());
    format!("{signed}.{}", URL_SAFE_NO_PAD.encode(signature.to_bytes()))
}
