//! `test-vectors/kind.json`: the receiver rules of the signed message kind (spec/envelope.md
//! §3.7, spec/mqtt-adapters.md §3-4).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::sign1::{KeyEntry, PolicyEntry};

/// The whole file.
#[derive(Debug, Serialize, Deserialize)]
pub struct KindFile<S: Ord = String> {
    /// The profile (`payseal/1`).
    pub profile: S,
    /// How the file was made.
    pub source: S,
    /// Signing keys by name.
    pub keys: BTreeMap<S, KeyEntry>,
    /// The trust store: key name, the kid it is known by (hex), topic filters.
    pub trust: Vec<KindTrust<S>>,
    /// The verifier's policy.
    pub policy: PolicyEntry,
    /// The receiver's retained and will settings.
    pub receiver: Receiver<S>,
    /// The vectors, in order.
    pub vectors: Vec<KindVector<S>>,
}

/// A trusted sender known by a kid.
#[derive(Debug, Serialize, Deserialize)]
pub struct KindTrust<S = String> {
    /// The key's name in `keys`.
    pub key: S,
    /// The kid it is known by, hex.
    pub kid: String,
    /// Its topic filters.
    pub topics: Vec<S>,
}

/// A longer freshness limit for a topic filter.
#[derive(Debug, Serialize, Deserialize)]
pub struct Limit<S = String> {
    /// The topic filter.
    pub filter: S,
    /// Maximum age in seconds.
    pub max_age: u64,
}

/// The receiver's retained and will settings.
#[derive(Debug, Serialize, Deserialize)]
pub struct Receiver<S = String> {
    /// Retained-state limits.
    pub retained: Vec<Limit<S>>,
    /// Will limits.
    pub wills: Vec<Limit<S>>,
    /// Kids that may send wills, hex.
    pub will_kids: Vec<String>,
}

/// A message accepted before a vector.
#[derive(Debug, Serialize, Deserialize)]
pub struct Accepted<S = String> {
    /// Its kid, hex.
    pub kid: String,
    /// `live`, `retained` or `will`.
    pub kind: S,
    /// Its topic.
    pub topic: S,
    /// Its sequence number.
    pub seq: u64,
}

/// One vector.
#[derive(Debug, Serialize, Deserialize)]
pub struct KindVector<S = String> {
    /// Unique id.
    pub id: S,
    /// What it checks.
    pub description: S,
    /// The signing key's name.
    pub signer: S,
    /// The kid in the envelope, hex.
    pub kid: String,
    /// The topic it is received on.
    pub topic: S,
    /// The MQTT retain flag it is delivered with.
    pub retain: bool,
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
    /// Messages accepted before this vector.
    pub accepted_before: Vec<Accepted<S>>,
    /// `valid`, `replayed` (a duplicate) or a reason code.
    pub expected: S,
    /// For a valid vector: the signed kind.
    pub kind: S,
    /// For a valid vector: the replay window it is recorded in, hex.
    pub window: String,
}
