//! The identity assertion Pomerium adds to every request it forwards
//! (`X-Pomerium-Jwt-Assertion`), and the key set it publishes at
//! `/.well-known/pomerium/jwks.json`.
//!
//! Each fake has its own key, made from fresh randomness at start: ES256 (P-256) as Pomerium's
//! default signing key, or RS256 (RSA 2048) as with an RSA `signing_key`. Claims are Pomerium's:
//! `iss` and `aud` are the route's host (`jwt_issuer_format: hostOnly`, the default), `exp` five
//! minutes on, and the signed-in [`User`]'s `sub`, `email` and `name`.

use std::hash::{BuildHasher, Hasher};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use p256::ecdsa::signature::{SignatureEncoding, Signer};
use serde_json::{Value, json};

/// The key id in the key set and in each assertion's header.
const KID: &str = "fake-pomerium-1";

/// The algorithm the fake signs with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Algorithm {
    /// ECDSA P-256 with SHA-256 (Pomerium's default key).
    #[default]
    Es256,
    /// RSASSA-PKCS1-v1_5 with SHA-256, 2048-bit key.
    Rs256,
}

/// The signed-in user the assertions name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// `sub`.
    pub subject: String,
    /// `email`.
    pub email: String,
    /// `name`.
    pub name: String,
}

impl Default for User {
    fn default() -> Self {
        Self::named("user-1")
    }
}

impl User {
    /// A user with this subject, and e-mail and name made from it.
    pub fn named(subject: &str) -> Self {
        Self {
            subject: subject.to_owned(),
            email: format!("{subject}@example.com"),
            name: format!("Test User {subject}"),
        }
    }
}

/// A signing key and what it signs.
pub(crate) enum AssertionKey {
    Es256(p256::ecdsa::SigningKey),
    Rs256(Box<(rsa::pkcs1v15::SigningKey<sha2::Sha256>, rsa::RsaPublicKey)>),
}

impl std::fmt::Debug for AssertionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AssertionKey(<secret>)")
    }
}

impl Default for AssertionKey {
    fn default() -> Self {
        Self::new(Algorithm::Es256)
    }
}

impl AssertionKey {
    /// A fresh key for `algorithm`.
    pub(crate) fn new(algorithm: Algorithm) -> Self {
        match algorithm {
            Algorithm::Es256 => loop {
                let mut seed = [0u8; 32];
                for chunk in seed.chunks_mut(8) {
                    let random = std::collections::hash_map::RandomState::new()
                        .build_hasher()
                        .finish();
                    chunk.copy_from_slice(&random.to_le_bytes());
                }
                if let Ok(key) = p256::ecdsa::SigningKey::from_slice(&seed) {
                    return Self::Es256(key);
                }
            },
            Algorithm::Rs256 => {
                let key = rsa::RsaPrivateKey::new(&mut rand_core::OsRng, 2048)
                    .expect("an RSA key for the fake Pomerium");
                let public = key.to_public_key();
                Self::Rs256(Box::new((rsa::pkcs1v15::SigningKey::new(key), public)))
            }
        }
    }

    /// The JSON of `/.well-known/pomerium/jwks.json`.
    pub(crate) fn jwks(&self) -> Value {
        match self {
            Self::Es256(key) => {
                let point = key.verifying_key().to_encoded_point(false);
                let coordinate = |c: Option<&p256::FieldBytes>| {
                    c.map(|c| URL_SAFE_NO_PAD.encode(c)).unwrap_or_default()
                };
                json!({"keys": [{"kty": "EC", "crv": "P-256", "use": "sig", "alg": "ES256", "kid": KID,
                                 "x": coordinate(point.x()), "y": coordinate(point.y())}]})
            }
            Self::Rs256(pair) => {
                use rsa::traits::PublicKeyParts;
                let public = &pair.1;
                json!({"keys": [{"kty": "RSA", "use": "sig", "alg": "RS256", "kid": KID,
                                 "n": URL_SAFE_NO_PAD.encode(public.n().to_bytes_be()),
                                 "e": URL_SAFE_NO_PAD.encode(public.e().to_bytes_be())}]})
            }
        }
    }

    /// Pomerium's assertion for `user` on the route host `audience`, expiring `ttl_secs` from
    /// now (negative: already expired).
    pub(crate) fn assertion(&self, audience: &str, user: &User, ttl_secs: i64) -> String {
        self.sign(&claims(audience, user, ttl_secs))
    }

    /// A JWT with exactly these claims, signed with this key.
    pub(crate) fn sign(&self, claims: &Value) -> String {
        let alg = match self {
            Self::Es256(_) => "ES256",
            Self::Rs256(_) => "RS256",
        };
        let header = json!({"alg": alg, "kid": KID, "typ": "JWT"});
        let signed = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let signature = match self {
            Self::Es256(key) => {
                let signature: p256::ecdsa::Signature = key.sign(signed.as_bytes());
                signature.to_bytes().to_vec()
            }
            Self::Rs256(pair) => pair.0.sign(signed.as_bytes()).to_vec(),
        };
        format!("{signed}.{}", URL_SAFE_NO_PAD.encode(signature))
    }
}

/// The claims Pomerium puts in an assertion for `user` on route host `audience`.
pub fn claims(audience: &str, user: &User, ttl_secs: i64) -> Value {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default();
    json!({"iss": audience, "aud": audience, "iat": now, "exp": now + ttl_secs,
           "sub": user.subject, "email": user.email, "name": user.name, "groups": ["staff"]})
}

/// An assertion signed by a key no Pomerium published: it must be refused.
pub fn foreign_assertion(audience: &str) -> String {
    AssertionKey::default().assertion(audience, &User::default(), 300)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_algorithms_publish_the_key_they_sign_with() {
        for (algorithm, kty) in [(Algorithm::Es256, "EC"), (Algorithm::Rs256, "RSA")] {
            let key = AssertionKey::new(algorithm);
            assert_eq!(key.jwks()["keys"][0]["kty"], kty);
            let token = key.assertion("chat.example", &User::named("ann"), 60);
            let claims = token.split('.').nth(1).unwrap();
            let claims: Value =
                serde_json::from_slice(&URL_SAFE_NO_PAD.decode(claims).unwrap()).unwrap();
            assert_eq!(
                (&claims["sub"], &claims["iss"], &claims["aud"]),
                (
                    &json!("ann"),
                    &json!("chat.example"),
                    &json!("chat.example")
                )
            );
        }
    }
}
