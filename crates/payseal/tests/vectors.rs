//! Runs every vector of `test-vectors/sign1.json` through payseal's own opener and checks the
//! keys it lists. The Python checker in `test-vectors/interop/` does the same independently.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::collections::BTreeSet;

use payseal::{
    Kid, Limits, ManualClock, MemoryReplayStore, Opener, Policy, Rejection, ReplayStore,
    SigningKey, TrustStore, VerifyingKey,
};

use payseal_vector_model::sign1::VectorFile;

fn load() -> VectorFile {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../test-vectors/sign1.json");
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).expect("sign1.json parses")
}

#[test]
fn key_files_agree_with_each_other() {
    let file = load();
    assert_eq!(file.profile, payseal::PROFILE);
    for (name, entry) in &file.keys {
        let from_pem = SigningKey::from_pkcs8_pem(&entry.private_pkcs8_pem).unwrap();
        let from_cose = SigningKey::from_cose_key(&hex::decode(&entry.cose_key).unwrap()).unwrap();
        let public = VerifyingKey::from_public_key_pem(&entry.public_spki_pem).unwrap();
        assert_eq!(from_pem.verifying_key(), public, "{name}");
        assert_eq!(from_cose.verifying_key(), public, "{name}");
        assert_eq!(
            from_pem.expose_secret_bytes().as_ref(),
            hex::decode(&entry.secret).unwrap().as_slice()
        );
        assert_eq!(public.kid().to_string(), entry.kid, "{name}");
        assert_eq!(public.algorithm().to_string(), entry.alg, "{name}");
    }
}

fn opener_for(
    file: &VectorFile,
    replay: MemoryReplayStore,
    now: u64,
) -> Opener<MemoryReplayStore, ManualClock> {
    let mut trust = TrustStore::new();
    for t in &file.trust {
        let key = VerifyingKey::from_public_key_pem(&file.keys[&t.key].public_spki_pem).unwrap();
        trust.add_sender(key, &t.topics).unwrap();
    }
    let policy = Policy::default()
        .with_max_age(file.policy.max_age)
        .unwrap()
        .with_max_future_skew(file.policy.max_future_skew)
        .with_window(file.policy.window)
        .unwrap()
        .with_limits(Limits::DEFAULT.with_max_envelope_bytes(file.policy.max_envelope_bytes));
    Opener::with_replay_store(trust, replay, policy, ManualClock::new(now))
}

#[test]
fn every_vector_has_its_expected_outcome() {
    let file = load();
    let mut seen_codes = BTreeSet::new();
    let (mut valid, mut invalid) = (0, 0);
    for v in &file.vectors {
        let mut replay = MemoryReplayStore::new(file.policy.window);
        for (signer, seq) in &v.accepted_before {
            let kid = Kid::from_hex(&file.keys[signer].kid).unwrap();
            replay.check_and_record(&kid, *seq).unwrap();
        }
        let mut opener = opener_for(&file, replay, v.now);
        let envelope = hex::decode(&v.envelope).unwrap();
        let outcome = opener.open(&v.topic, &envelope);
        match (&outcome, v.expected.as_str()) {
            (Ok(verified), "valid") => {
                valid += 1;
                assert_eq!(hex::encode(verified.payload()), v.payload, "{}", v.id);
                assert_eq!(verified.seq(), v.seq, "{}", v.id);
                assert_eq!(verified.timestamp(), v.timestamp, "{}", v.id);
                assert_eq!(
                    verified.sender().to_string(),
                    file.keys[&v.signer].kid,
                    "{}",
                    v.id
                );
            }
            (Err(rejection), expected) if rejection.code() == expected => {
                invalid += 1;
                seen_codes.insert(rejection.code());
            }
            _ => panic!("{}: expected {}, got {outcome:?}", v.id, v.expected),
        }
    }
    println!("{valid} valid and {invalid} invalid vectors passed");
    assert!(valid >= 3 && invalid >= 15);
    // Every reason a signed envelope can be refused for is exercised by some vector; the
    // encryption-only reasons are covered by encrypt.json.
    const ENCRYPTION_ONLY: [&str; 7] = [
        "store_unavailable", // a receiver-side outage, not a property of an envelope
        "not_subscribed",    // the MQTT adapters' subscription check, not about an envelope
        "encryption_required",
        "too_many_recipients",
        "not_for_me",
        "decrypt_failed",
        "key_commitment_mismatch",
    ];
    // Certificate reasons need a PKI resolver (payseal-x509), not this file's trust store:
    // its tests and test-vectors/x5chain.json cover them.
    const PKI_ONLY: [&str; 6] = [
        "certificate_invalid",
        "certificate_expired",
        "certificate_not_yet_valid",
        "unknown_ca",
        "certificate_revoked",
        "key_usage",
    ];
    // Key validity windows and group epochs: test-vectors/epochs.json (spec/key-management.md).
    const KEY_LIFECYCLE: [&str; 2] = ["key_expired", "key_not_yet_valid"];
    let untested: Vec<_> = Rejection::CODES
        .iter()
        .filter(|c| {
            !seen_codes.contains(*c)
                && !ENCRYPTION_ONLY.contains(c)
                && !PKI_ONLY.contains(c)
                && !KEY_LIFECYCLE.contains(c)
        })
        .collect();
    assert!(untested.is_empty(), "no vector for {untested:?}");
}

/// Issue 17: plaintext on a protected topic was `trailing_bytes` ("21.5"), `invalid_cbor`
/// ("on", "") or `wrong_tag`, which told an operator nothing; bytes that do not begin with a
/// CBOR tag head are `not_an_envelope` (spec §4.1), and a tag other than 18 stays `wrong_tag`.
#[test]
fn plaintext_is_not_an_envelope() {
    let code = |bytes: &[u8]| {
        payseal::UnverifiedEnvelope::decode(bytes, &payseal::Limits::DEFAULT)
            .err()
            .map(|r| r.code())
    };
    for bytes in [
        &b"21.5"[..],
        b"hello world",
        b"on",
        b"",
        b"{\"a\":1}",
        b"\x83\x01\x02\x03",
        b"\xff",
    ] {
        assert_eq!(code(bytes), Some("not_an_envelope"), "{bytes:?}");
        assert!(
            payseal::Rejection::from(payseal::Malformed::NotAnEnvelope).is_alarm(),
            "junk a broker let through is an alarm"
        );
    }
    assert_eq!(code(b"\xd3\x80"), Some("wrong_tag"));
    assert_eq!(code(b"\xd2\xff"), Some("invalid_cbor"));
}
