//! Verification of Pomerium's identity assertion (`X-Pomerium-Jwt-Assertion`).
//!
//! Pomerium signs a JWT with ES256 for every request it forwards on a route with
//! `pass_identity_headers: true`, and publishes its keys at
//! `/.well-known/pomerium/jwks.json` on every route host. When the edge is configured with
//! `jwt_assertion = required`, a request whose assertion is missing, badly signed, for another
//! audience or expired is refused: only traffic that came through Pomerium reaches the logic.
//! This module is pure: the caller fetches the key set.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use p256::ecdsa::signature::Verifier;
use p256::ecdsa::{Signature, VerifyingKey};
use serde::Deserialize;

/// The path of Pomerium's key set.
pub const JWKS_PATH: &str = "/.well-known/pomerium/jwks.json";

/// Why an assertion was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AssertionError {
    /// Not three base64url parts with JSON header and claims.
    #[error("the assertion is not a well-formed JWT")]
    Malformed,
    /// Another algorithm than ES256.
    #[error("the assertion is not signed with ES256")]
    Algorithm,
    /// No key of the set matches.
    #[error("no key of Pomerium's key set matches the assertion")]
    UnknownKey,
    /// The signature does not verify.
    #[error("the assertion's signature is invalid")]
    Signature,
    /// Expired (or not yet valid).
    #[error("the assertion has expired")]
    Expired,
    /// For another audience.
    #[error("the assertion is for another audience")]
    Audience,
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
    crv: Option<String>,
    #[serde(default)]
    x: Option<String>,
    #[serde(default)]
    y: Option<String>,
}

/// Clock skew tolerated on `exp` and `nbf`, in seconds.
const LEEWAY_SECS: u64 = 30;

/// Verifies `token` against the key set `jwks` (the JSON of [`JWKS_PATH`]), for `audience`, at
/// `now` (seconds since the epoch).
pub fn verify(token: &str, jwks: &[u8], audience: &str, now: u64) -> Result<(), AssertionError> {
    let mut parts = token.trim().split('.');
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
    if header.alg != "ES256" {
        return Err(AssertionError::Algorithm);
    }
    let signature =
        Signature::from_slice(&decode(signature_b64)?).map_err(|_| AssertionError::Signature)?;
    let key_set: KeySet = serde_json::from_slice(jwks).map_err(|_| AssertionError::UnknownKey)?;
    let signed = &token.trim()[..header_b64.len() + 1 + claims_b64.len()];
    let verified = key_set
        .keys
        .iter()
        .filter(|k| k.kty == "EC" && k.crv.as_deref() == Some("P-256"))
        .filter(|k| header.kid.is_none() || k.kid == header.kid)
        .filter_map(verifying_key)
        .any(|key| key.verify(signed.as_bytes(), &signature).is_ok());
    if !verified {
        let any_key = key_set
            .keys
            .iter()
            .any(|k| header.kid.is_none() || k.kid == header.kid);
        return Err(if any_key {
            AssertionError::Signature
        } else {
            AssertionError::UnknownKey
        });
    }
    let claims: Claims =
        serde_json::from_slice(&decode(claims_b64)?).map_err(|_| AssertionError::Malformed)?;
    if now > claims.exp + LEEWAY_SECS || claims.nbf.is_some_and(|nbf| nbf > now + LEEWAY_SECS) {
        return Err(AssertionError::Expired);
    }
    let audience_ok = match &claims.aud {
        Audience::One(aud) => aud == audience,
        Audience::Many(auds) => auds.iter().any(|a| a == audience),
        Audience::None => false,
    };
    if !audience_ok {
        return Err(AssertionError::Audience);
    }
    Ok(())
}

fn verifying_key(jwk: &Jwk) -> Option<VerifyingKey> {
    let x = URL_SAFE_NO_PAD.decode(jwk.x.as_deref()?).ok()?;
    let y = URL_SAFE_NO_PAD.decode(jwk.y.as_deref()?).ok()?;
    if x.len() != 32 || y.len() != 32 {
        return None;
    }
    let mut point = Vec::with_capacity(65);
    point.push(0x04);
    point.extend_from_slice(&x);
    point.extend_from_slice(&y);
    VerifyingKey::from_sec1_bytes(&point).ok()
}

#[cfg(test)]
mod tests {
    use p256::ecdsa::SigningKey;
    use p256::ecdsa::signature::Signer;

    use super::*;

    fn key(seed: u8) -> SigningKey {
        SigningKey::from_slice(&[seed; 32]).unwrap()
    }

    fn jwks(key: &SigningKey, kid: &str) -> Vec<u8> {
        let point = key.verifying_key().to_encoded_point(false);
        serde_json::json!({"keys":[{"kty":"EC","crv":"P-256","kid":kid,"use":"sig","alg":"ES256",
            "x": URL_SAFE_NO_PAD.encode(point.x().unwrap()), "y": URL_SAFE_NO_PAD.encode(point.y().unwrap())}]})
        .to_string()
        .into_bytes()
    }

    fn token(key: &SigningKey, header: serde_json::Value, claims: serde_json::Value) -> String {
        let signed = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let signature: Signature = key.sign(signed.as_bytes());
        format!("{signed}.{}", URL_SAFE_NO_PAD.encode(signature.to_bytes()))
    }

    const NOW: u64 = 1_800_000_000;

    fn good_claims() -> serde_json::Value {
        serde_json::json!({"iss":"authenticate.example.com","aud":"chat.example.com","exp":NOW + 300,"iat":NOW,"sub":"u1","email":"a@example.com"})
    }

    #[test]
    fn accepts_a_valid_assertion() {
        let k = key(7);
        let t = token(
            &k,
            serde_json::json!({"alg":"ES256","kid":"k1","typ":"JWT"}),
            good_claims(),
        );
        assert_eq!(verify(&t, &jwks(&k, "k1"), "chat.example.com", NOW), Ok(()));
        let many = token(
            &k,
            serde_json::json!({"alg":"ES256"}),
            serde_json::json!({"aud":["x","chat.example.com"],"exp":NOW + 1}),
        );
        assert_eq!(
            verify(&many, &jwks(&k, "k1"), "chat.example.com", NOW),
            Ok(())
        );
    }

    #[test]
    fn refuses_bad_assertions() {
        let k = key(7);
        let set = jwks(&k, "k1");
        let header = serde_json::json!({"alg":"ES256","kid":"k1"});
        let check = |t: &str, want: AssertionError| {
            assert_eq!(verify(t, &set, "chat.example.com", NOW), Err(want), "{t}")
        };
        check("", AssertionError::Malformed);
        check("a.b", AssertionError::Malformed);
        check("a.b.c.d", AssertionError::Malformed);
        check(
            &token(
                &k,
                serde_json::json!({"alg":"HS256","kid":"k1"}),
                good_claims(),
            ),
            AssertionError::Algorithm,
        );
        check(
            &token(&k, serde_json::json!({"alg":"none"}), good_claims()),
            AssertionError::Algorithm,
        );
        check(
            &token(&key(9), header.clone(), good_claims()),
            AssertionError::Signature,
        );
        check(
            &token(
                &k,
                serde_json::json!({"alg":"ES256","kid":"other"}),
                good_claims(),
            ),
            AssertionError::UnknownKey,
        );
        let mut expired = good_claims();
        expired["exp"] = serde_json::json!(NOW - 100);
        check(&token(&k, header.clone(), expired), AssertionError::Expired);
        let mut other = good_claims();
        other["aud"] = serde_json::json!("evil.example.com");
        check(&token(&k, header.clone(), other), AssertionError::Audience);
        // A valid token whose claims were swapped after signing.
        let t = token(&k, header, good_claims());
        let mut parts: Vec<&str> = t.split('.').collect();
        let forged = URL_SAFE_NO_PAD.encode(serde_json::json!({"aud":"chat.example.com","exp":NOW + 9999,"email":"boss@example.com"}).to_string());
        parts[1] = &forged;
        check(&parts.join("."), AssertionError::Signature);
    }
}
