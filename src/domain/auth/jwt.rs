//! The sandbox's token key: an RSA key pair derived from the seed, signing
//! access tokens as RS256 JWTs the way Kommo issues them (header `typ`, `alg`,
//! `jti`; claims `aud`, `jti`, `iat`, `nbf`, `exp`, `sub`, `grant_type`,
//! `account_id`, `base_domain`, `version`, `scopes`, `hash_uuid`, `api_domain`).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chacha20::rand_core::SeedableRng;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey};
use parking_lot::Mutex;
use rsa::pkcs1::EncodeRsaPrivateKey;
use rsa::pkcs8::{EncodePublicKey, LineEnding};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

/// Kommo's access tokens are signed by a 2048-bit key.
const KEY_BITS: usize = 2048;

/// The claims of an access token, in Kommo's order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Claims {
    /// The integration's client id.
    pub aud: String,
    pub jti: String,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
    /// The user the token acts for, as a string.
    pub sub: String,
    #[serde(default)]
    pub grant_type: String,
    /// The numeric account id.
    pub account_id: i64,
    pub base_domain: String,
    #[serde(default)]
    pub version: i64,
    #[serde(default)]
    pub scopes: Vec<String>,
    #[serde(default)]
    pub hash_uuid: String,
    pub api_domain: String,
}

#[derive(Serialize)]
struct JwtHeader<'a> {
    typ: &'static str,
    alg: &'static str,
    jti: &'a str,
}

/// Why a token string does not verify.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Invalid {
    /// Not three base64url parts of JSON.
    Malformed,
    /// The signature is not the sandbox key's over these bytes.
    Signature,
}

pub struct Signer {
    encoding: EncodingKey,
    decoding: DecodingKey,
    /// The public key, SPKI PEM.
    pub public_pem: String,
    /// How long generating the key took, in milliseconds.
    pub keygen_ms: u128,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer")
            .field("keygen_ms", &self.keygen_ms)
            .finish_non_exhaustive()
    }
}

impl Signer {
    /// The key of `seed`, generated once per process: the same seed gives the
    /// same key, so tokens are stable across runs and resets.
    pub fn for_seed(seed: u64) -> Arc<Signer> {
        static KEYS: OnceLock<Mutex<HashMap<u64, Arc<Signer>>>> = OnceLock::new();
        let keys = KEYS.get_or_init(Default::default);
        if let Some(found) = keys.lock().get(&seed) {
            return found.clone();
        }
        // Generated outside the lock; a rare race only generates it twice.
        let signer = Arc::new(Signer::generate(seed));
        keys.lock().entry(seed).or_insert(signer).clone()
    }

    fn generate(seed: u64) -> Signer {
        let started = std::time::Instant::now();
        let mut rng =
            chacha20::ChaCha20Rng::seed_from_u64(crate::ids::derive_seed(seed, "jwt-key"));
        let private = rsa::PrivateKey::new(&mut rng, KEY_BITS).expect("RSA key generation");
        let der = private.to_pkcs1_der().expect("PKCS#1 encoding");
        let public = private.to_public_key();
        let public_pem = public
            .to_public_key_pem(LineEnding::LF)
            .expect("SPKI encoding");
        let decoding = DecodingKey::from_rsa_pem(public_pem.as_bytes()).expect("public key");
        Signer {
            encoding: EncodingKey::from_rsa_der(der.as_bytes()),
            decoding,
            public_pem,
            keygen_ms: started.elapsed().as_millis(),
        }
    }

    pub fn sign(&self, claims: &Claims) -> String {
        let header = JwtHeader {
            typ: "JWT",
            alg: "RS256",
            jti: &claims.jti,
        };
        let message = format!("{}.{}", part(&header), part(claims));
        let signature =
            jsonwebtoken::crypto::sign(message.as_bytes(), &self.encoding, Algorithm::RS256)
                .expect("RS256 signing");
        format!("{message}.{signature}")
    }

    /// The claims of a token this key signed; the expiry is the caller's to judge
    /// (it follows the sandbox clock, not the host's).
    pub fn verify(&self, token: &str) -> Result<Claims, Invalid> {
        let mut parts = token.split('.');
        let (Some(header), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(Invalid::Malformed);
        };
        let decoded = |part: &str| {
            URL_SAFE_NO_PAD
                .decode(part)
                .ok()
                .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
                .ok_or(Invalid::Malformed)
        };
        if decoded(header)?["alg"] != "RS256" {
            return Err(Invalid::Signature);
        }
        let message = &token[..header.len() + 1 + payload.len()];
        let good = jsonwebtoken::crypto::verify(
            signature,
            message.as_bytes(),
            &self.decoding,
            Algorithm::RS256,
        )
        .unwrap_or(false);
        if !good {
            return Err(Invalid::Signature);
        }
        serde_json::from_value(decoded(payload)?).map_err(|_| Invalid::Malformed)
    }
}

/// One base64url JSON part of a token.
pub(super) fn part<T: Serialize>(value: &T) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).expect("JSON of a token part"))
}
