//! `test-vectors/encrypt.json` (spec/encryption.md §8).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::sign1::{KeyEntry, PolicyEntry, TrustEntry};

/// The whole file.
#[derive(Debug, Serialize, Deserialize)]
#[serde(bound(deserialize = "S: Deserialize<'de> + Ord"))]
pub struct EncFile<S: Ord = String> {
    /// The profile (`payseal/1`).
    pub profile: S,
    /// How the file was made.
    pub source: S,
    /// Signing keys by name.
    pub keys: BTreeMap<S, KeyEntry>,
    /// Recipient (HPKE) keys by name.
    pub recipient_keys: BTreeMap<S, RecipientEntry<S>>,
    /// Group keys by name.
    pub group_keys: BTreeMap<S, GroupEntry<S>>,
    /// The verifier's trust store.
    pub trust: Vec<TrustEntry<S>>,
    /// The verifier's policy.
    pub policy: PolicyEntry,
    /// The verifier's keyring.
    pub receiver: Receiver<S>,
    /// The vectors, in order.
    pub vectors: Vec<EncVector<S>>,
}

/// A recipient key.
#[derive(Debug, Serialize, Deserialize)]
pub struct RecipientEntry<S = String> {
    /// `X25519` or `P-256`.
    pub kem: S,
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

/// A group key.
#[derive(Debug, Serialize, Deserialize)]
pub struct GroupEntry<S = String> {
    /// Its kid, hex.
    pub kid: String,
    /// Content algorithm name.
    pub alg: S,
    /// The group secret, hex.
    pub secret: String,
}

/// The verifier's keyring.
#[derive(Debug, Serialize, Deserialize)]
pub struct Receiver<S = String> {
    /// Recipient keys it holds.
    pub recipient_keys: Vec<S>,
    /// Group keys it holds.
    pub group_keys: Vec<S>,
    /// Topic filters on which it refuses plaintext.
    pub require_encryption: Vec<S>,
    /// Most recipient entries it parses.
    pub max_recipients: usize,
}

/// One vector.
#[derive(Debug, Serialize, Deserialize)]
#[serde(bound(deserialize = "S: Deserialize<'de>"))]
pub struct EncVector<S = String> {
    /// Unique id.
    pub id: S,
    /// What it checks.
    pub description: S,
    /// The signing key's name.
    pub signer: S,
    /// The topic the verifier receives it on.
    pub topic: S,
    /// `hpke`, `hpke-key-encryption`, `group` or `none`.
    pub mode: S,
    /// What the payload decrypts to, hex.
    pub plaintext: String,
    /// The sequence number.
    pub seq: u64,
    /// The timestamp (iat).
    pub timestamp: u64,
    /// The envelope, hex.
    pub envelope: String,
    /// The verifier's clock.
    pub now: u64,
    /// (key name, seq) pairs accepted before this vector.
    pub accepted_before: Vec<(S, u64)>,
    /// The key that decrypts it (valid vectors).
    pub decrypted_with: Option<S>,
    /// The receiver holds only these of its recipient keys for this vector (absent: all).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipient_keys: Option<Vec<S>>,
    /// `valid` or a reason code.
    pub expected: S,
}
