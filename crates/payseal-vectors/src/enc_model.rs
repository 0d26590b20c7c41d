//! The JSON shape of `test-vectors/encrypt.json` (spec/encryption.md §8).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::model::{KeyEntry, PolicyEntry, TrustEntry};

#[derive(Serialize)]
pub(crate) struct EncFile {
    pub(crate) profile: &'static str,
    pub(crate) source: &'static str,
    pub(crate) keys: BTreeMap<&'static str, KeyEntry>,
    pub(crate) recipient_keys: BTreeMap<&'static str, RecipientEntry>,
    pub(crate) group_keys: BTreeMap<&'static str, GroupEntry>,
    pub(crate) trust: Vec<TrustEntry>,
    pub(crate) policy: PolicyEntry,
    pub(crate) receiver: Receiver,
    pub(crate) vectors: Vec<EncVector>,
}

#[derive(Serialize)]
pub(crate) struct RecipientEntry {
    pub(crate) kem: &'static str,
    pub(crate) kid: String,
    pub(crate) private_pkcs8_pem: String,
    pub(crate) public_spki_pem: String,
    pub(crate) cose_key: String,
    pub(crate) secret: String,
    pub(crate) public: String,
}

#[derive(Serialize)]
pub(crate) struct GroupEntry {
    pub(crate) kid: String,
    pub(crate) alg: &'static str,
    pub(crate) secret: String,
}

#[derive(Serialize)]
pub(crate) struct Receiver {
    pub(crate) recipient_keys: Vec<&'static str>,
    pub(crate) group_keys: Vec<&'static str>,
    pub(crate) require_encryption: Vec<&'static str>,
    pub(crate) max_recipients: usize,
}

#[derive(Serialize)]
pub(crate) struct EncVector {
    pub(crate) id: &'static str,
    pub(crate) description: &'static str,
    pub(crate) signer: &'static str,
    pub(crate) topic: &'static str,
    pub(crate) mode: &'static str,
    pub(crate) plaintext: String,
    pub(crate) seq: u64,
    pub(crate) timestamp: u64,
    pub(crate) envelope: String,
    pub(crate) now: u64,
    pub(crate) accepted_before: Vec<(&'static str, u64)>,
    pub(crate) decrypted_with: Option<&'static str>,
    /// The receiver holds only these of its recipient keys for this vector (absent: all).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) recipient_keys: Option<Vec<&'static str>>,
    pub(crate) expected: &'static str,
}
