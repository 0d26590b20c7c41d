//! `test-vectors/mac.json`: MAC envelopes (spec/mac.md §7).

use serde::{Deserialize, Serialize};

use crate::sign1::PolicyEntry;

/// The whole file.
#[derive(Debug, Serialize, Deserialize)]
pub struct MacFile<S = String> {
    /// The profile (`payseal/1`).
    pub profile: S,
    /// How the file was made.
    pub source: S,
    /// The receiver's secret (hex), from which every sender key is derived.
    pub secret: String,
    /// MAC senders by name; the receiver trusts those with topics.
    pub senders: Vec<MacSender<S>>,
    /// The verifier's policy.
    pub policy: PolicyEntry,
    /// The vectors, in order.
    pub vectors: Vec<MacVector<S>>,
}

/// A MAC sender: its kid, algorithm and derived key.
#[derive(Debug, Serialize, Deserialize)]
pub struct MacSender<S = String> {
    /// Its name in the vectors.
    pub name: S,
    /// Its kid, hex.
    pub kid: String,
    /// `HMAC 256/64` or `HMAC 256/256`.
    pub alg: S,
    /// COSE alg value (4 or 5).
    pub alg_id: i64,
    /// The derived sender key (hex): HKDF of the secret (spec/mac.md §2).
    pub key: String,
    /// The topic filters the receiver lets it publish on; empty: not trusted.
    pub topics: Vec<S>,
    /// First second the receiver accepts the key (spec/key-management.md §3); absent: open.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_before: Option<u64>,
    /// Last second the receiver accepts the key; absent: open.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_after: Option<u64>,
}

/// One vector.
#[derive(Debug, Serialize, Deserialize)]
pub struct MacVector<S = String> {
    /// Unique id.
    pub id: S,
    /// What it checks.
    pub description: S,
    /// The sender (name) whose key made the tag.
    pub stamper: S,
    /// The topic the verifier receives it on.
    pub topic: String,
    /// The payload, hex.
    pub payload: String,
    /// The sequence number.
    pub seq: u64,
    /// The timestamp.
    pub timestamp: u64,
    /// The envelope, hex.
    pub envelope: String,
    /// The verifier's clock.
    pub now: u64,
    /// Replay state: (sender name, seq) already accepted.
    pub accepted_before: Vec<(S, u64)>,
    /// `valid` or a reason code.
    pub expected: S,
}
