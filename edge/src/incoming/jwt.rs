//! Verification of Pomerium's identity assertion (`X-Pomerium-Jwt-Assertion`).
//!
//! Pomerium signs a JWT for every request it forwards on a route with
//! `pass_identity_headers: true` (ES256 with its default key; RS256 when its `signing_key` is an
//! RSA key), and publishes its keys at `/.well-known/pomerium/jwks.json` on every route host.
//! [`verify`] checks the signature against that key set (the key's type must match the
//! algorithm; RSA keys need at least 2048 bits), then `exp`/`nbf` with [`LEEWAY_SECS`] of skew,
//! `aud` and `iss` (the route's host: Pomerium's `jwt_issuer_format` `hostOnly` default, or its
//! `uri` form `https://host/`), and gives back the user ([`Identity`]): `sub` is required,
//! `email` and `name` are taken when present.
//!
//! [`JwksCache`] decides when the key set is fetched again: after [`JWKS_TTL_SECS`], or at once
//! when an assertion names a key id the cached set lacks (Pomerium rotated its key). The cache
//! lives as long as the component instance; Spin and `wasmtime serve` start one per request
//! today, so in practice each API request fetches the key set once. This module is pure: the
//! caller fetches the key set and keeps the cache.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use p256::ecdsa::signature::Verifier;
use serde::Deserialize;

use crate::incoming::identity::Identity;

/// The path of Pomerium's key set.
pub const JWKS_PATH: &str = "/.well-known/pomerium/jwks.json";
/// How long a fetched key set is used before it is fetched again, in seconds.
pub const JWKS_TTL_SECS: u64 = 300;
/// Clock skew tolerated on `exp` and `nbf`, in seconds.
pub const LEEWAY_SECS: u64 = 30;
/// Smallest RSA modulus accepted, in bits.
const MIN_RSA_BITS: usize = 2048;

/// Why an assertion was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AssertionError {
    /// Not three base64url parts with JSON header and claims.
    #[error("the assertion is not a well-formed JWT")]
    Malformed,
    /// Another algorithm than ES256 or RS256.
    #[error("the assertion is not signed with ES256 or RS256")]
    Algorithm,
    /// No key of the set matches.
    #[error("no key of Pomerium's key set matches the assertion")]
    UnknownKey,
    /// The signature does not verify.
    #[error("the assertion's signature is invalid")]
    Signature,
    /// Expired (or not yet valid).
    #[error("the assertion has expired or is not valid yet")]
    Expired,
    /// For another audience.
    #[error("the assertion is for another audience")]
    Audience,
    /// From another issuer.
    #[error("the assertion is from another issuer")]
    Issuer,
    /// No subject.
    #[error("the assertion names no user")]
    Subject,
}

/// What an assertion must say besides being signed.
#[derive(Debug, Clone, Copy)]
pub struct Expected<'a> {
    /// The `aud` it must name (the chat route's host).
    pub audience: &'a str,
    /// The `iss` host (the chat route's host); `https://<issuer>/` is accepted too.
    pub issuer: &'a str,
}

#[derive(Deserialize)]
struct Header {
    alg: String,
    #[serde(default)]
    kid: Option<String>,
}

#[derive(Deserialize)]
struct Claims {
    exp: u64,
    #[serde(default)]
    nbf: Option<u64>,
    #[serde(default)]
    aud: Audience,
    #[serde(default)]
    iss: Option<String>,
    #[serde(default)]
    sub: Option<String>,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    name: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(untagged)]
enum Audience {
    One(String),
    Many(Vec<String>),
    #[default]
    None,
}

#[derive(Deserialize)]
struct KeySet {
    keys: Vec<Jwk>,
}

#[derive(Deserialize)]
struct Jwk {
    #[serde(default)]
    kid: Option<String>,
    kty: String,
    #[serde(default)]
    alg: Option<String>,
    #[serde(default)]
    crv: Option<String>,
    #[serde(default)]
    x: Option<String>,
    #[serde(default)]
    y: Option<String>,
    #[serde(default)]
    n: Option<String>,
    #[serde(default)]
    e: Option<String>,
}

/// The signature algorithms accepted, each bound to one key type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Algorithm {
    Es256,
    Rs256,
}

impl Algorithm {
    fn from_name(name: &str) -> Option<Self> {
        match name {
            "ES256" => Some(Self::Es256),
            "RS256" => Some(Self::Rs256),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Es256 => "ES256",
            Self::Rs256 => "RS256",
        }
    }

    /// Whether `jwk` is a key of this algorithm's type (and, when it says, for this algorithm).
    fn fits(self, jwk: &Jwk) -> bool {
        let kind = match self {
            Self::Es256 => jwk.kty == "EC" && jwk.crv.as_deref() == Some("P-256"),
            Self::Rs256 => jwk.kty == "RSA",
        };
        kind && jwk.alg.as_deref().is_none_or(|a| a == self.name())
    }

    fn verifies(self, jwk: &Jwk, signed: &[u8], signature: &[u8]) -> bool {
        match self {
            Self::Es256 => {
                let Ok(signature) = p256::ecdsa::Signature::from_slice(signature) else {
                    return false;
                };
                es256_key(jwk).is_some_and(|key| key.verify(signed, &signature).is_ok())
            }
            Self::Rs256 => {
                let Ok(signature) = rsa::pkcs1v15::Signature::try_from(signature) else {
                    return false;
                };
                rs256_key(jwk).is_some_and(|key| key.verify(signed, &signature).is_ok())
            }
        }
    }
}

/// Verifies `token` against the key set `jwks` (the JSON of [`JWKS_PATH`]) at `now` (seconds
/// since the epoch); gives back the user it names.
pub fn verify(
    token: &str,
    jwks: &[u8],
    expected: &Expected<'_>,
    now: u64,
) -> Result<Identity, AssertionError> {
    let token = token.trim();
    let mut parts = token.split('.');
    let (Some(header_b64), Some(claims_b64), Some(signature_b64), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(AssertionError::Malformed);
    };
    let decode = |part: &str| {
        URL_SAFE_NO_PAD
            .decode(part)
            .map_err(|_| AssertionError::Malformed)
    };
    let header: Header =
        serde_json::from_slice(&decode(header_b64)?).map_err(|_| AssertionError::Malformed)?;
    let algorithm = Algorithm::from_name(&header.alg).ok_or(AssertionError::Algorithm)?;
    let signature = decode(signature_b64)?;
    let key_set: KeySet = serde_json::from_slice(jwks).map_err(|_| AssertionError::UnknownKey)?;
    let signed = &token.as_bytes()[..header_b64.len() + 1 + claims_b64.len()];
    let candidates: Vec<&Jwk> = key_set
        .keys
        .iter()
        .filter(|k| header.kid.is_none() || k.kid == header.kid)
        .filter(|k| algorithm.fits(k))
        .collect();
    if candidates.is_empty() {
        return Err(AssertionError::UnknownKey);
    }
    if !candidates
        .iter()
        .any(|key| algorithm.verifies(key, signed, &signature))
    {
        return Err(AssertionError::Signature);
    }
    let claims: Claims =
        serde_json::from_slice(&decode(claims_b64)?).map_err(|_| AssertionError::Malformed)?;
    if now > claims.exp.saturating_add(LEEWAY_SECS)
        || claims
            .nbf
            .is_some_and(|nbf| nbf > now.saturating_add(LEEWAY_SECS))
    {
        return Err(AssertionError::Expired);
    }
    let audience_ok = match &claims.aud {
        Audience::One(aud) => aud == expected.audience,
        Audience::Many(auds) => auds.iter().any(|a| a == expected.audience),
        Audience::None => false,
    };
    if !audience_ok {
        return Err(AssertionError::Audience);
    }
    let issuer_ok = claims.iss.as_deref().is_some_and(|iss| {
        iss == expected.issuer
            || iss
                .strip_prefix("https://")
                .map(|rest| rest.strip_suffix('/').unwrap_or(rest))
                == Some(expected.issuer)
    });
    if !issuer_ok {
        return Err(AssertionError::Issuer);
    }
    let subject = claims
        .sub
        .filter(|s| !s.is_empty())
        .ok_or(AssertionError::Subject)?;
    Ok(Identity {
        subject,
        email: claims.email.filter(|e| !e.is_empty()),
        name: claims.name.filter(|n| !n.is_empty()),
    })
}

/// The key id an assertion names in its header, if it is readable at all.
pub fn key_id(token: &str) -> Option<String> {
    let header = URL_SAFE_NO_PAD
        .decode(token.trim().split('.').next()?)
        .ok()?;
    serde_json::from_slice::<Header>(&header).ok()?.kid
}

/// Whether the key set `jwks` has a key with id `kid`.
pub fn has_key(jwks: &[u8], kid: &str) -> bool {
    serde_json::from_slice::<KeySet>(jwks)
        .is_ok_and(|set| set.keys.iter().any(|k| k.kid.as_deref() == Some(kid)))
}

/// A fetched key set and when it was fetched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JwksCache {
    /// The key set's JSON.
    pub jwks: Vec<u8>,
    /// When it was fetched (seconds since the epoch).
    pub fetched_at: u64,
}

impl JwksCache {
    /// Whether the cached set may verify `token` at `now`: not older than [`JWKS_TTL_SECS`]
    /// (nor from the future), and holding the key the token names.
    pub fn usable_for(&self, token: &str, now: u64) -> bool {
        let fresh = now >= self.fetched_at && now - self.fetched_at < JWKS_TTL_SECS;
        fresh && key_id(token).is_none_or(|kid| has_key(&self.jwks, &kid))
    }
}

fn es256_key(jwk: &Jwk) -> Option<p256::ecdsa::VerifyingKey> {
    let x = URL_SAFE_NO_PAD.decode(jwk.x.as_deref()?).ok()?;
    let y = URL_SAFE_NO_PAD.decode(jwk.y.as_deref()?).ok()?;
    if x.len() != 32 || y.len() != 32 {
        return None;
    }
    let mut point = Vec::with_capacity(65);
    point.push(0x04);
    point.extend_from_slice(&x);
    point.extend_from_slice(&y);
    p256::ecdsa::VerifyingKey::from_sec1_bytes(&point).ok()
}

fn rs256_key(jwk: &Jwk) -> Option<rsa::pkcs1v15::VerifyingKey<sha2::Sha256>> {
    use rsa::traits::PublicKeyParts;
    let n = URL_SAFE_NO_PAD.decode(jwk.n.as_deref()?).ok()?;
    let e = URL_SAFE_NO_PAD.decode(jwk.e.as_deref()?).ok()?;
    let key = rsa::RsaPublicKey::new(
        rsa::BigUint::from_bytes_be(&n),
        rsa::BigUint::from_bytes_be(&e),
    )
    .ok()?;
    (key.n().bits() >= MIN_RSA_BITS).then(|| rsa::pkcs1v15::VerifyingKey::new(key))
}

#[cfg(test)]
mod tests {
    use p256::ecdsa::SigningKey;
    use p256::ecdsa::signature::{SignatureEncoding, Signer};
    use serde_json::{Value, json};

    use super::*;

    const NOW: u64 = 1_800_000_000;
    const HOST: &str = "chat.example.com";
    const EXPECTED: Expected<'static> = Expected {
        audience: HOST,
        issuer: HOST,
    };

    fn key(seed: u8) -> SigningKey {
        SigningKey::from_slice(&[seed; 32]).unwrap()
    }

    fn ec_jwk(key: &SigningKey, kid: &str) -> Value {
        let point = key.verifying_key().to_encoded_point(false);
        json!({"kty":"EC","crv":"P-256","kid":kid,"use":"sig","alg":"ES256",
            "x": URL_SAFE_NO_PAD.encode(point.x().unwrap()), "y": URL_SAFE_NO_PAD.encode(point.y().unwrap())})
    }

    fn jwks(keys: &[Value]) -> Vec<u8> {
        json!({ "keys": keys }).to_string().into_bytes()
    }

    fn signed_part(header: &Value, claims: &Value) -> String {
        format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        )
    }

    fn token(key: &SigningKey, header: Value, claims: Value) -> String {
        let signed = signed_part(&header, &claims);
        let signature: p256::ecdsa::Signature = key.sign(signed.as_bytes());
        format!("{signed}.{}", URL_SAFE_NO_PAD.encode(signature.to_bytes()))
    }

    fn good_claims() -> Value {
        json!({"iss":HOST,"aud":HOST,"exp":NOW + 300,"iat":NOW,"sub":"u1","email":"a@example.com","name":"Ann"})
    }

    fn es_header() -> Value {
        json!({"alg":"ES256","kid":"k1","typ":"JWT"})
    }

    #[test]
    fn accepts_a_valid_assertion_and_reads_the_user() {
        let k = key(7);
        let set = jwks(&[ec_jwk(&k, "k1")]);
        let t = token(&k, es_header(), good_claims());
        assert_eq!(
            verify(&t, &set, &EXPECTED, NOW),
            Ok(Identity {
                subject: "u1".into(),
                email: Some("a@example.com".into()),
                name: Some("Ann".into()),
            })
        );
        // A list audience, no kid, the `uri` issuer format, no e-mail or name.
        let other = token(
            &k,
            json!({"alg":"ES256"}),
            json!({"aud":["x",HOST],"iss":format!("https://{HOST}/"),"exp":NOW + 1,"sub":"u2"}),
        );
        let user = verify(&other, &set, &EXPECTED, NOW).unwrap();
        assert_eq!((user.subject.as_str(), user.email), ("u2", None));
        // Skew: just expired or not valid yet, within the leeway.
        let mut skewed = good_claims();
        skewed["exp"] = json!(NOW - LEEWAY_SECS);
        skewed["nbf"] = json!(NOW + LEEWAY_SECS);
        assert!(verify(&token(&k, es_header(), skewed), &set, &EXPECTED, NOW).is_ok());
    }

    #[test]
    fn refuses_bad_assertions() {
        let k = key(7);
        let set = jwks(&[ec_jwk(&k, "k1")]);
        let check = |t: &str, want: AssertionError| {
            assert_eq!(verify(t, &set, &EXPECTED, NOW), Err(want), "{t}")
        };
        let with = |field: &str, value: Value| {
            let mut claims = good_claims();
            claims[field] = value;
            token(&k, es_header(), claims)
        };
        check("", AssertionError::Malformed);
        check("a.b", AssertionError::Malformed);
        check("a.b.c.d", AssertionError::Malformed);
        check(
            &token(&k, json!({"alg":"HS256","kid":"k1"}), good_claims()),
            AssertionError::Algorithm,
        );
        let unsigned = format!("{}.", signed_part(&json!({"alg":"none"}), &good_claims()));
        check(&unsigned, AssertionError::Algorithm);
        check(
            &token(&key(9), es_header(), good_claims()),
            AssertionError::Signature,
        );
        check(
            &token(&k, json!({"alg":"ES256","kid":"other"}), good_claims()),
            AssertionError::UnknownKey,
        );
        // An EC key cannot verify an RS256 assertion, whatever its signature.
        let rs_on_ec = format!(
            "{}.{}",
            signed_part(&json!({"alg":"RS256","kid":"k1"}), &good_claims()),
            URL_SAFE_NO_PAD.encode([1u8; 256])
        );
        check(&rs_on_ec, AssertionError::UnknownKey);
        check(
            &with("exp", json!(NOW - LEEWAY_SECS - 1)),
            AssertionError::Expired,
        );
        check(
            &with("nbf", json!(NOW + LEEWAY_SECS + 1)),
            AssertionError::Expired,
        );
        check(
            &with("aud", json!("evil.example.com")),
            AssertionError::Audience,
        );
        check(&with("aud", json!([])), AssertionError::Audience);
        check(
            &with("iss", json!("evil.example.com")),
            AssertionError::Issuer,
        );
        check(
            &with("iss", json!("http://chat.example.com")),
            AssertionError::Issuer,
        );
        check(&with("iss", Value::Null), AssertionError::Issuer);
        check(&with("sub", json!("")), AssertionError::Subject);
        check(&with("sub", Value::Null), AssertionError::Subject);
        check(&with("exp", json!("soon")), AssertionError::Malformed);
        // A valid token whose claims were swapped after signing.
        let t = token(&k, es_header(), good_claims());
        let mut parts: Vec<&str> = t.split('.').collect();
        let mut boss = good_claims();
        boss["sub"] = json!("boss");
        let forged = URL_SAFE_NO_PAD.encode(boss.to_string());
        parts[1] = &forged;
        check(&parts.join("."), AssertionError::Signature);
    }

    #[test]
    fn verifies_rs256_with_rsa_keys_of_2048_bits_or_more() {
        use rsa::traits::PublicKeyParts;
        let rsa_jwk = |key: &rsa::RsaPrivateKey, kid: &str| {
            json!({"kty":"RSA","kid":kid,"alg":"RS256",
                "n": URL_SAFE_NO_PAD.encode(key.n().to_bytes_be()),
                "e": URL_SAFE_NO_PAD.encode(key.e().to_bytes_be())})
        };
        let rs_token = |key: &rsa::RsaPrivateKey, kid: &str, claims: Value| {
            let signed = signed_part(&json!({"alg":"RS256","kid":kid}), &claims);
            let signer = rsa::pkcs1v15::SigningKey::<sha2::Sha256>::new(key.clone());
            let signature = signer.sign(signed.as_bytes()).to_vec();
            format!("{signed}.{}", URL_SAFE_NO_PAD.encode(signature))
        };
        let mut rng = rand_core::OsRng;
        let strong = rsa::RsaPrivateKey::new(&mut rng, 2048).unwrap();
        let weak = rsa::RsaPrivateKey::new(&mut rng, 1024).unwrap();
        let ec = key(7);
        let set = jwks(&[
            ec_jwk(&ec, "ec"),
            rsa_jwk(&strong, "rsa"),
            rsa_jwk(&weak, "weak"),
        ]);
        let user = verify(
            &rs_token(&strong, "rsa", good_claims()),
            &set,
            &EXPECTED,
            NOW,
        );
        assert_eq!(user.map(|u| u.subject), Ok("u1".to_owned()));
        // ES256 still verifies beside it.
        let es = token(&ec, json!({"alg":"ES256","kid":"ec"}), good_claims());
        assert!(verify(&es, &set, &EXPECTED, NOW).is_ok());
        for (t, want) in [
            (
                rs_token(&weak, "weak", good_claims()),
                AssertionError::Signature,
            ),
            (
                rs_token(&strong, "ec", good_claims()),
                AssertionError::UnknownKey,
            ),
            (
                rs_token(&weak, "rsa", good_claims()),
                AssertionError::Signature,
            ),
        ] {
            assert_eq!(verify(&t, &set, &EXPECTED, NOW), Err(want));
        }
    }

    #[test]
    fn the_cache_is_refetched_after_its_ttl_or_for_an_unknown_key() {
        let k = key(7);
        let cache = JwksCache {
            jwks: jwks(&[ec_jwk(&k, "k1")]),
            fetched_at: NOW,
        };
        let known = token(&k, es_header(), good_claims());
        let rotated = token(&k, json!({"alg":"ES256","kid":"k2"}), good_claims());
        let no_kid = token(&k, json!({"alg":"ES256"}), good_claims());
        assert!(cache.usable_for(&known, NOW));
        assert!(cache.usable_for(&no_kid, NOW + JWKS_TTL_SECS - 1));
        assert!(!cache.usable_for(&known, NOW + JWKS_TTL_SECS));
        assert!(!cache.usable_for(&known, NOW - 1), "fetched in the future");
        assert!(!cache.usable_for(&rotated, NOW));
        assert_eq!(key_id(&rotated).as_deref(), Some("k2"));
        assert_eq!(key_id("garbage"), None);
    }
}
