//! `test-vectors/epochs.json` (spec/key-management.md §6): group key epochs and sender key
//! validity windows.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::sign1::{KeyEntry, PolicyEntry};

/// The whole file.
#[derive(Debug, Serialize, Deserialize)]
#[serde(bound(deserialize = "S: Deserialize<'de> + Ord"))]
pub struct EpochFile<S: Ord = String> {
    /// The profile (`payseal/1`).
    pub profile: S,
    /// How the file was made.
    pub source: S,
    /// Signing keys by name.
    pub keys: BTreeMap<S, KeyEntry>,
    /// The verifier's trust store, with validity windows.
    pub trust: Vec<ValidityTrustEntry<S>>,
    /// The verifier's policy.
    pub policy: PolicyEntry,
    /// The verifier's groups, with epochs.
    pub groups: Vec<GroupState<S>>,
    /// The vectors, in order.
    pub vectors: Vec<EpochVector<S>>,
}

/// A trusted sender with an optional validity window.
#[derive(Debug, Serialize, Deserialize)]
pub struct ValidityTrustEntry<S = String> {
    /// The key's name in `keys`.
    pub key: S,
    /// The topic filters it may publish on.
    pub topics: Vec<S>,
    /// First second the key is accepted.
    pub not_before: Option<u64>,
    /// Last second the key is accepted.
    pub not_after: Option<u64>,
}

/// One group as the verifier holds it.
#[derive(Debug, Serialize, Deserialize)]
pub struct GroupState<S = String> {
    /// The group id, hex.
    pub group: String,
    /// Content algorithm name.
    pub alg: S,
    /// The current epoch.
    pub current: u32,
    /// The epochs held, ascending.
    pub epochs: Vec<EpochEntry>,
}

/// One epoch held.
#[derive(Debug, Serialize, Deserialize)]
pub struct EpochEntry {
    /// The epoch.
    pub epoch: u32,
    /// Its secret, hex.
    pub secret: String,
    /// Last second a past epoch is accepted; null for current and future epochs.
    pub accept_until: Option<u64>,
}

/// One vector.
#[derive(Debug, Serialize, Deserialize)]
pub struct EpochVector<S = String> {
    /// Unique id.
    pub id: S,
    /// What it checks.
    pub description: S,
    /// The signing key's name.
    pub signer: S,
    /// The topic the verifier receives it on.
    pub topic: S,
    /// What the payload decrypts to (or is), hex.
    pub plaintext: String,
    /// The sequence number.
    pub seq: u64,
    /// The timestamp (iat).
    pub timestamp: u64,
    /// The envelope, hex.
    pub envelope: String,
    /// The verifier's clock.
    pub now: u64,
    /// The epoch the payload is sealed under (group id of `groups[0]`), or null: signed only.
    pub epoch: Option<u32>,
    /// The group id sealed under, hex, when not the first group's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// `valid` or a reason code.
    pub expected: S,
}
