//! The JSON shape of `test-vectors/sign1.json` (spec/envelope.md §8).

use std::collections::BTreeMap;

use serde::Serialize;

#[derive(Serialize)]
pub(crate) struct VectorFile {
    pub(crate) profile: &'static str,
    pub(crate) source: &'static str,
    pub(crate) keys: BTreeMap<&'static str, KeyEntry>,
    pub(crate) trust: Vec<TrustEntry>,
    pub(crate) policy: PolicyEntry,
    pub(crate) vectors: Vec<Vector>,
}

#[derive(Serialize)]
pub(crate) struct KeyEntry {
    pub(crate) alg: String,
    pub(crate) kid: String,
    pub(crate) private_pkcs8_pem: String,
    pub(crate) public_spki_pem: String,
    pub(crate) cose_key: String,
    pub(crate) secret: String,
    pub(crate) public: String,
}

#[derive(Serialize)]
pub(crate) struct TrustEntry {
    pub(crate) key: &'static str,
    pub(crate) topics: Vec<&'static str>,
}

#[derive(Serialize)]
pub(crate) struct PolicyEntry {
    pub(crate) max_age: u64,
    pub(crate) max_future_skew: u64,
    pub(crate) window: usize,
    pub(crate) max_envelope_bytes: usize,
}

#[derive(Serialize)]
pub(crate) struct Vector {
    pub(crate) id: &'static str,
    pub(crate) description: &'static str,
    pub(crate) signer: &'static str,
    pub(crate) topic: String,
    pub(crate) payload: String,
    pub(crate) seq: u64,
    pub(crate) timestamp: u64,
    pub(crate) envelope: String,
    pub(crate) now: u64,
    pub(crate) accepted_before: Vec<(&'static str, u64)>,
    pub(crate) expected: &'static str,
}
