//! Runs every vector of `test-vectors/epochs.json` (spec/key-management.md §6) through
//! payseal's opener: group epochs in a keyring, validity windows in the trust store.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use payseal::{
    ContentAlg, GroupEpochs, KeyValidity, Keyring, Kid, Limits, ManualClock, Opener, Policy,
    TrustStore, VerifyingKey,
};
use payseal_vector_model::epochs::EpochFile;

fn load() -> EpochFile {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../test-vectors/epochs.json"
    );
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).expect("epochs.json parses")
}

fn keyring(file: &EpochFile) -> Keyring {
    let mut keyring = Keyring::new();
    for g in &file.groups {
        assert_eq!(g.alg, "A128GCM");
        let secret = |e: u32| {
            let entry = g.epochs.iter().find(|x| x.epoch == e).unwrap();
            hex::decode(&entry.secret).unwrap()
        };
        let id = hex::decode(&g.group).unwrap();
        let mut epochs =
            GroupEpochs::new(&id, g.current, ContentAlg::A128Gcm, &secret(g.current)).unwrap();
        for e in &g.epochs {
            match (e.epoch.cmp(&g.current), e.accept_until) {
                (std::cmp::Ordering::Less, Some(until)) => {
                    epochs
                        .add_previous(e.epoch, &secret(e.epoch), until)
                        .unwrap();
                }
                (std::cmp::Ordering::Greater, None) => {
                    epochs.add_next(e.epoch, &secret(e.epoch)).unwrap();
                }
                (std::cmp::Ordering::Equal, None) => {}
                other => panic!("epoch entry {other:?}"),
            }
        }
        keyring.set_group_epochs(epochs);
    }
    keyring
}

#[test]
fn every_epoch_vector() {
    let file = load();
    assert!(!file.vectors.is_empty());
    for v in &file.vectors {
        let mut trust = TrustStore::new();
        for t in &file.trust {
            let key =
                VerifyingKey::from_public_key_pem(&file.keys[&t.key].public_spki_pem).unwrap();
            let kid = key.kid();
            trust.add_sender(key, &t.topics).unwrap();
            let mut validity = KeyValidity::always();
            if let Some(nb) = t.not_before {
                validity = validity.from(nb);
            }
            if let Some(na) = t.not_after {
                validity = validity.until(na);
            }
            trust.set_validity(&kid, validity).unwrap();
        }
        let policy = Policy::default()
            .with_max_age(file.policy.max_age)
            .unwrap()
            .with_max_future_skew(file.policy.max_future_skew)
            .with_window(file.policy.window)
            .unwrap()
            .with_limits(Limits::DEFAULT.with_max_envelope_bytes(file.policy.max_envelope_bytes));
        let mut opener =
            Opener::new(trust, policy, ManualClock::new(v.now)).with_keyring(keyring(&file));
        let outcome = opener.open(&v.topic, &hex::decode(&v.envelope).unwrap());
        match (&outcome, v.expected.as_str()) {
            (Ok(verified), "valid") => {
                assert_eq!(hex::encode(verified.payload()), v.plaintext, "{}", v.id);
                assert_eq!(
                    verified.sender(),
                    &Kid::from_hex(&file.keys[&v.signer].kid).unwrap()
                );
                if let Some(epoch) = v.epoch {
                    let key = verified.encryption().unwrap().key().as_bytes();
                    assert_eq!(key[key.len() - 4..], epoch.to_be_bytes(), "{}", v.id);
                }
            }
            (Err(r), expected) => assert_eq!(r.code(), expected, "{}", v.id),
            (Ok(_), expected) => panic!("{}: accepted, expected {expected}", v.id),
        }
    }
}
