//! The fixed keys the vectors are signed with, derived from their names.

use payseal::{Algorithm, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

use crate::model::KeyEntry;

/// Key names and algorithms. `untrusted` is left out of the verifier's trust store.
pub(crate) const KEYS: [(&str, Algorithm); 5] = [
    ("ed25519-a", Algorithm::Ed25519),
    ("ed25519-b", Algorithm::Ed25519),
    ("p256-a", Algorithm::EcdsaP256),
    ("k256-a", Algorithm::EcdsaSecp256k1),
    ("untrusted", Algorithm::Ed25519),
];

/// A key whose secret is SHA-256("payseal test key " || name): fixed, and obviously not secret.
pub(crate) fn key(name: &str) -> SigningKey {
    let (_, alg) = KEYS
        .iter()
        .find(|(n, _)| *n == name)
        .copied()
        .unwrap_or_else(|| panic!("no test key named {name}"));
    let secret = Sha256::digest(format!("payseal test key {name}").as_bytes());
    SigningKey::from_secret_bytes(alg, &secret).expect("a SHA-256 output is a valid scalar here")
}

pub(crate) fn entry(name: &str) -> KeyEntry {
    let key = key(name);
    let public = key.verifying_key();
    KeyEntry {
        alg: key.algorithm().to_string(),
        kid: key.kid().to_string(),
        private_pkcs8_pem: key.to_pkcs8_pem().expect("encodes").to_string(),
        public_spki_pem: public.to_public_key_pem().expect("encodes"),
        cose_key: hex::encode(key.to_cose_key().expect("encodes").as_slice()),
        secret: hex::encode(key.expose_secret_bytes().as_ref()),
        public: hex::encode(raw_public(&public)),
    }
}

/// Ed25519: the 32-byte key; ECDSA: the SEC1 uncompressed point.
pub(crate) fn raw_public(key: &VerifyingKey) -> Vec<u8> {
    match key {
        VerifyingKey::Ed25519(k) => k.to_bytes().to_vec(),
        VerifyingKey::P256(k) => k.to_sec1_point(false).as_bytes().to_vec(),
        VerifyingKey::K256(k) => k.to_sec1_point(false).as_bytes().to_vec(),
    }
}
