//! `test-vectors/sign1.json` (spec/envelope.md §8); its keys, trust and policy entries are
//! shared by the other files.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The whole file.
#[derive(Debug, Serialize, Deserialize)]
pub struct VectorFile<S: Ord = String> {
    /// The profile (`payseal/1`).
    pub profile: S,
    /// How the file was made.
    pub source: S,
    /// Signing keys by name.
    pub keys: BTreeMap<S, KeyEntry>,
    /// The verifier's trust store.
    pub trust: Vec<TrustEntry<S>>,
    /// The verifier's policy.
    pub policy: PolicyEntry,
    /// The vectors, in order.
    pub vectors: Vec<Vector<S>>,
}

/// A signing key in every encoding the spec names.
#[derive(Debug, Serialize, Deserialize)]
pub struct KeyEntry {
    /// Algorithm name (`Ed25519`, `ESP256`, `ES256K`).
    pub alg: String,
    /// Default kid, hex.
    pub kid: String,
    /// PKCS#8 PEM of the private key.
    pub private_pkcs8_pem: String,
    /// SPKI PEM of the public key.
    pub public_spki_pem: String,
    /// COSE_Key (private), hex.
    pub cose_key: String,
    /// Raw secret, hex.
    pub secret: String,
    /// Raw public key, hex.
    pub public: String,
}

/// A trusted sender: a key name and its topic filters.
#[derive(Debug, Serialize, Deserialize)]
pub struct TrustEntry<S = String> {
    /// The key's name in `keys`.
    pub key: S,
    /// The topic filters it may publish on.
    pub topics: Vec<S>,
}

/// The verifier's policy.
#[derive(Debug, Serialize, Deserialize)]
pub struct PolicyEntry {
    /// Maximum age in seconds.
    pub max_age: u64,
    /// Tolerated future skew in seconds.
    pub max_future_skew: u64,
    /// Replay window width.
    pub window: usize,
    /// Largest envelope in bytes.
    pub max_envelope_bytes: usize,
}

/// One vector: an envelope, how it was received, and the expected outcome.
#[derive(Debug, Serialize, Deserialize)]
pub struct Vector<S = String> {
    /// Unique id.
    pub id: S,
    /// What it checks.
    pub description: S,
    /// The signing key's name.
    pub signer: S,
    /// The topic the verifier receives it on.
    pub topic: String,
    /// The payload, hex.
    pub payload: String,
    /// The sequence number.
    pub seq: u64,
    /// The timestamp (iat).
    pub timestamp: u64,
    /// The envelope, hex.
    pub envelope: String,
    /// The verifier's clock.
    pub now: u64,
    /// (key name, seq) pairs the verifier accepted before this vector.
    pub accepted_before: Vec<(S, u64)>,
    /// `valid` or a reason code.
    pub expected: S,
}
