//! Runs every vector of `test-vectors/encrypt.json` through payseal's opener and keyring.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::collections::BTreeSet;

use payseal::{
    ContentAlg, GroupKey, Keyring, Kid, Limits, ManualClock, MemoryReplayStore, Opener, Policy,
    RecipientKey, RecipientPublicKey, Rejection, ReplayStore, TrustStore, Verified, VerifyingKey,
};

use payseal_vector_model::encrypt::{EncFile, EncVector};

fn load() -> EncFile {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../test-vectors/encrypt.json"
    );
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).expect("encrypt.json parses")
}

fn keyring(file: &EncFile, only: Option<&Vec<String>>) -> Keyring {
    let mut keyring = Keyring::new();
    for name in &file.receiver.recipient_keys {
        if only.is_some_and(|only| !only.contains(name)) {
            continue;
        }
        let entry = &file.recipient_keys[name];
        let key = RecipientKey::from_pkcs8_pem(&entry.private_pkcs8_pem).unwrap();
        assert_eq!(key.kid().to_string(), entry.kid, "{name}");
        keyring.add_recipient_key(key).unwrap();
    }
    for name in &file.receiver.group_keys {
        let entry = &file.group_keys[name];
        let alg = match entry.alg.as_str() {
            "A128GCM" => ContentAlg::A128Gcm,
            "A256GCM" => ContentAlg::A256Gcm,
            other => panic!("group alg {other}"),
        };
        let kid = Kid::from_hex(&entry.kid).unwrap();
        let key = GroupKey::new(kid, alg, &hex::decode(&entry.secret).unwrap()).unwrap();
        keyring.add_group_key(key).unwrap();
    }
    for filter in &file.receiver.require_encryption {
        keyring.require_encryption(filter).unwrap();
    }
    keyring
}

#[test]
fn recipient_key_files_agree() {
    let file = load();
    for (name, entry) in &file.recipient_keys {
        let from_pem = RecipientKey::from_pkcs8_pem(&entry.private_pkcs8_pem).unwrap();
        let from_cose =
            RecipientKey::from_cose_key(&hex::decode(&entry.cose_key).unwrap()).unwrap();
        let public = RecipientPublicKey::from_public_key_pem(&entry.public_spki_pem).unwrap();
        assert_eq!(from_pem.public_key(), public, "{name}");
        assert_eq!(from_cose.public_key(), public, "{name}");
    }
}

/// Opens vector `v` as its receiver would.
fn open_vector(file: &EncFile, v: &EncVector) -> Result<Verified, Rejection> {
    let mut trust = TrustStore::new();
    for t in &file.trust {
        let key = VerifyingKey::from_public_key_pem(&file.keys[&t.key].public_spki_pem).unwrap();
        trust.add_sender(key, &t.topics).unwrap();
    }
    let mut limits = Limits::DEFAULT.with_max_envelope_bytes(file.policy.max_envelope_bytes);
    limits.max_recipients = file.receiver.max_recipients;
    let policy = Policy::default()
        .with_max_age(file.policy.max_age)
        .unwrap()
        .with_max_future_skew(file.policy.max_future_skew)
        .with_window(file.policy.window)
        .unwrap()
        .with_limits(limits);
    let mut replay = MemoryReplayStore::new(file.policy.window);
    for (signer, seq) in &v.accepted_before {
        replay
            .check_and_record(&Kid::from_hex(&file.keys[signer].kid).unwrap(), *seq)
            .unwrap();
    }
    let mut opener = Opener::with_replay_store(trust, replay, policy, ManualClock::new(v.now))
        .with_keyring(keyring(file, v.recipient_keys.as_ref()));
    opener.open(&v.topic, &hex::decode(&v.envelope).unwrap())
}

/// The code the vector named `id` is refused with, or "valid".
fn outcome_of(id: &str) -> &'static str {
    let file = load();
    let v = file
        .vectors
        .iter()
        .find(|v| v.id == id)
        .unwrap_or_else(|| panic!("no vector {id}"));
    match open_vector(&file, v) {
        Ok(_) => "valid",
        Err(r) => r.code(),
    }
}

/// Issue 17: an alg outside i64 was `invalid_header`, and a suite of 2^64-1 in ANOTHER
/// recipient's entry refused an envelope the receiver's own entry opens.
#[test]
fn integers_outside_i64_are_unsupported_algorithms() {
    assert_eq!(outcome_of("enc-valid-suite-other-2-64-minus-1"), "valid");
    for id in [
        "enc-unsupported-suite-mine-2-64-minus-1",
        "enc-unsupported-content-alg-2-64-minus-1",
        "enc-unsupported-inner-alg-minus-2-64",
    ] {
        assert_eq!(outcome_of(id), "unsupported_algorithm", "{id}");
    }
}

/// Issue 17: an empty inner protected header (h'') was `invalid_cbor`; encryption.md §6
/// step 5 says `invalid_header`.
#[test]
fn empty_inner_protected_header_is_invalid_header() {
    for id in [
        "enc-empty-protected-encrypt0",
        "enc-empty-map-protected-encrypt0",
        "enc-empty-protected-body",
        "enc-empty-protected-recipient",
    ] {
        assert_eq!(outcome_of(id), "invalid_header", "{id}");
    }
}

#[test]
fn every_encryption_vector_has_its_expected_outcome() {
    let file = load();
    let mut codes = BTreeSet::new();
    let mut modes = BTreeSet::new();
    for v in &file.vectors {
        let outcome = open_vector(&file, v);
        match (&outcome, v.expected.as_str()) {
            (Ok(verified), "valid") => {
                assert_eq!(hex::encode(verified.payload()), v.plaintext, "{}", v.id);
                assert_eq!(verified.seq(), v.seq, "{}", v.id);
                assert_eq!(verified.sender().to_string(), file.keys[&v.signer].kid);
                let used = verified.encryption().map(|e| e.key().to_string());
                let expected = v.decrypted_with.as_ref().map(|name| {
                    file.recipient_keys
                        .get(name)
                        .map(|r| r.kid.clone())
                        .unwrap_or_else(|| file.group_keys[name].kid.clone())
                });
                assert_eq!(used, expected, "{}", v.id);
                modes.insert(v.mode.clone());
            }
            (Err(r), expected) if r.code() == expected => {
                codes.insert(r.code());
            }
            _ => panic!("{}: expected {}, got {outcome:?}", v.id, v.expected),
        }
    }
    println!("{} encryption vectors passed", file.vectors.len());
    for code in [
        "encryption_required",
        "too_many_recipients",
        "not_for_me",
        "decrypt_failed",
        "key_commitment_mismatch",
    ] {
        assert!(codes.contains(code), "no vector for {code}");
    }
    assert_eq!(modes.len(), 4, "valid vectors for every mode: {modes:?}");
}
