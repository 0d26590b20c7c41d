//! Runs every vector of `test-vectors/mac.json` (spec/mac.md §7) through payseal's own opener,
//! after checking each sender key derives from the file's secret. `check_mac.py` in
//! `test-vectors/interop/` does the same with a stock COSE library.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::collections::BTreeSet;

use payseal::{
    KeyValidity, Kid, Limits, MacAlgorithm, MacSecret, ManualClock, MemoryReplayStore, Opener,
    Policy, ReplayStore, TrustStore,
};
use payseal_vector_model::mac::MacFile;

fn load() -> MacFile {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../test-vectors/mac.json");
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).expect("mac.json parses")
}

fn kid_of(file: &MacFile, name: &str) -> Kid {
    let sender = file.senders.iter().find(|s| s.name == name).unwrap();
    Kid::from_hex(&sender.kid).unwrap()
}

fn trust(file: &MacFile) -> TrustStore {
    let secret = MacSecret::from_bytes(&hex::decode(&file.secret).unwrap()).unwrap();
    let mut trust = TrustStore::new();
    for s in &file.senders {
        let alg = MacAlgorithm::from_cose_id(s.alg_id).unwrap();
        assert_eq!(alg.to_string(), s.alg, "{}", s.name);
        let key = secret.sender_key(Kid::from_hex(&s.kid).unwrap(), alg);
        assert_eq!(
            hex::encode(*key.to_bytes()),
            s.key,
            "{}: derived key",
            s.name
        );
        if !s.topics.is_empty() {
            trust.add_mac_sender(key, &s.topics).unwrap();
            let mut validity = KeyValidity::always();
            if let Some(not_before) = s.not_before {
                validity = validity.from(not_before);
            }
            if let Some(not_after) = s.not_after {
                validity = validity.until(not_after);
            }
            trust
                .set_validity(&Kid::from_hex(&s.kid).unwrap(), validity)
                .unwrap();
        }
    }
    trust
}

#[test]
fn every_mac_vector_has_its_expected_outcome() {
    let file = load();
    assert_eq!(file.profile, payseal::PROFILE);
    let mut codes = BTreeSet::new();
    let mut algs = BTreeSet::new();
    for v in &file.vectors {
        let mut replay = MemoryReplayStore::new(file.policy.window);
        for (name, seq) in &v.accepted_before {
            replay.check_and_record(&kid_of(&file, name), *seq).unwrap();
        }
        let policy = Policy::default()
            .with_max_age(file.policy.max_age)
            .unwrap()
            .with_max_future_skew(file.policy.max_future_skew)
            .with_window(file.policy.window)
            .unwrap()
            .with_limits(Limits::DEFAULT.with_max_envelope_bytes(file.policy.max_envelope_bytes));
        let mut opener =
            Opener::with_replay_store(trust(&file), replay, policy, ManualClock::new(v.now));
        let outcome = opener.open(&v.topic, &hex::decode(&v.envelope).unwrap());
        match (&outcome, v.expected.as_str()) {
            (Ok(verified), "valid") => {
                assert_eq!(hex::encode(verified.payload()), v.payload, "{}", v.id);
                assert_eq!(verified.seq(), v.seq, "{}", v.id);
                assert_eq!(verified.timestamp(), v.timestamp, "{}", v.id);
                assert_eq!(verified.sender(), &kid_of(&file, &v.stamper), "{}", v.id);
                algs.insert(verified.mac_algorithm().unwrap().cose_id());
            }
            (Err(rejection), expected) if rejection.code() == expected => {
                codes.insert(rejection.code());
            }
            _ => panic!("{}: expected {}, got {outcome:?}", v.id, v.expected),
        }
    }
    // A valid vector per algorithm, and every rejection a plain MAC receiver's §4 readings
    // touch.
    assert_eq!(algs, BTreeSet::from([4, 5]));
    for code in [
        "bad_signature",
        "unknown_sender",
        "key_not_yet_valid",
        "key_expired",
        "algorithm_mismatch",
        "topic_not_authorized",
        "stale",
        "from_the_future",
        "replayed",
        "below_window",
        "unsupported_algorithm",
        "invalid_structure",
        "invalid_header",
        "duplicate_label",
        "wrong_tag",
    ] {
        assert!(codes.contains(code), "no MAC vector for {code}");
    }
}
