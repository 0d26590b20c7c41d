//! MAC mode (spec/mac.md) end to end: the same receive path as signed envelopes, per-sender
//! keys, and everything that must fail.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use payseal::{
    Algorithm, Audience, ContentAlg, Counter, EncryptionMode, GroupKey, KeyValidity, Keyring, Kid,
    MacAlgorithm, MacKey, MacSecret, ManualClock, MemoryReplayStore, MessageKind, Opener, Policy,
    Rejection, Sealer, SigningKey, TrustStore, UnverifiedEnvelope,
};
use payseal_testkit::envelope::{remac, resign};

const NOW: u64 = 1_700_000_000;
const TOPIC: &str = "plant/3/temp";

fn secret() -> MacSecret {
    MacSecret::from_bytes(&[0x42; 32]).unwrap()
}

fn kid(name: &str) -> Kid {
    Kid::new(name.as_bytes().to_vec()).unwrap()
}

fn key(name: &str, alg: MacAlgorithm) -> MacKey {
    secret().sender_key(kid(name), alg)
}

fn sealer(key: MacKey, clock: &ManualClock) -> Sealer<MacKey, Counter, &ManualClock> {
    Sealer::new(key, Counter::starting_at(1), clock)
}

fn signer() -> SigningKey {
    SigningKey::from_secret_bytes(Algorithm::Ed25519, &[1; 32]).unwrap()
}

/// A receiver holding the secret: MAC senders "a" (HMAC 256/64) and "b" (256/256) on plant/#,
/// and one Ed25519 sender.
fn opener(clock: &ManualClock) -> Opener<MemoryReplayStore, &ManualClock> {
    let mut trust = TrustStore::new();
    trust
        .add_mac_sender(key("a", MacAlgorithm::Hmac256_64), ["plant/#"])
        .unwrap()
        .add_mac_sender(key("b", MacAlgorithm::Hmac256_256), ["plant/+/temp"])
        .unwrap()
        .add_sender(signer().verifying_key(), ["plant/#"])
        .unwrap();
    Opener::new(trust, Policy::default(), clock)
}

#[test]
fn both_algorithms_round_trip_with_their_tag_length() {
    let clock = ManualClock::new(NOW);
    let mut receiver = opener(&clock);
    for (name, alg, tag_len) in [
        ("a", MacAlgorithm::Hmac256_64, 8),
        ("b", MacAlgorithm::Hmac256_256, 32),
    ] {
        let envelope = sealer(key(name, alg), &clock).seal(TOPIC, b"21.5").unwrap();
        assert_eq!(envelope[0], 0xd1, "tag 17: COSE_Mac0");
        let decoded = UnverifiedEnvelope::decode(&envelope, &Default::default()).unwrap();
        assert!(decoded.is_mac());
        assert_eq!(decoded.mac_tag().unwrap().len(), tag_len);
        assert_eq!(decoded.alg(), alg.cose_id());
        let verified = receiver.open(TOPIC, &envelope).unwrap();
        assert_eq!(verified.payload(), b"21.5");
        assert_eq!(verified.sender(), &kid(name));
        assert_eq!(verified.mac_algorithm(), Some(alg));
        assert_eq!(verified.algorithm(), None);
        // The same replay window rules as signed envelopes.
        assert_eq!(
            receiver.open(TOPIC, &envelope),
            Err(Rejection::Replayed { seq: 1 })
        );
    }
}

#[test]
fn topic_binding_freshness_and_authorization_are_the_signed_modes() {
    let clock = ManualClock::new(NOW);
    let mut receiver = opener(&clock);
    let mut a = sealer(key("a", MacAlgorithm::Hmac256_64), &clock);
    let moved = a.seal(TOPIC, b"21.5").unwrap();
    assert_eq!(
        receiver.open("plant/4/temp", &moved),
        Err(Rejection::BadSignature)
    );
    let mut b = sealer(key("b", MacAlgorithm::Hmac256_256), &clock);
    let valve = b.seal("plant/3/valve", b"open").unwrap();
    assert_eq!(
        receiver.open("plant/3/valve", &valve),
        Err(Rejection::TopicNotAuthorized)
    );
    let late = a.seal(TOPIC, b"21.6").unwrap();
    clock.advance(301);
    assert!(matches!(
        receiver.open(TOPIC, &late),
        Err(Rejection::Stale { .. })
    ));
    let early = sealer(
        key("a", MacAlgorithm::Hmac256_64),
        &ManualClock::new(NOW + 400),
    )
    .seal_kind(TOPIC, b"x", MessageKind::Live)
    .unwrap();
    assert!(matches!(
        receiver.open(TOPIC, &early),
        Err(Rejection::FromTheFuture { .. })
    ));
}

#[test]
fn a_sender_key_cannot_stamp_as_another_sender() {
    let clock = ManualClock::new(NOW);
    let mut receiver = opener(&clock);
    let genuine = sealer(key("b", MacAlgorithm::Hmac256_256), &clock)
        .seal(TOPIC, b"21.5")
        .unwrap();
    // Sender "c" holds only its own derived key (same secret, other kid): claiming to be "b"
    // with it fails the tag.
    let c = key("c", MacAlgorithm::Hmac256_256);
    let as_b = MacKey::from_bytes(kid("b"), MacAlgorithm::Hmac256_256, *c.to_bytes());
    let forged = remac(&genuine, &as_b, TOPIC, Some(b"99.9"));
    assert_eq!(receiver.open(TOPIC, &forged), Err(Rejection::BadSignature));
    // Under its own kid it is unknown to this receiver.
    let own = remac(&genuine, &c, TOPIC, None);
    assert_eq!(receiver.open(TOPIC, &own), Err(Rejection::UnknownSender));
    // The holder of the secret can stamp as anyone (spec/mac.md §2): that is what the mode is.
    let by_secret_holder = remac(
        &genuine,
        &key("b", MacAlgorithm::Hmac256_256),
        TOPIC,
        Some(b"9"),
    );
    assert_eq!(
        receiver.open(TOPIC, &by_secret_holder).unwrap().payload(),
        b"9"
    );
}

#[test]
fn every_bit_of_the_tag_and_the_header_counts() {
    let clock = ManualClock::new(NOW);
    let mut a = sealer(key("a", MacAlgorithm::Hmac256_64), &clock);
    let envelope = a.seal(TOPIC, b"21.5").unwrap();
    for i in 0..envelope.len() {
        for bit in [0x01, 0x80] {
            let mut flipped = envelope.clone();
            flipped[i] ^= bit;
            assert!(
                opener(&clock).open(TOPIC, &flipped).is_err(),
                "byte {i} bit {bit:#x} flipped was accepted"
            );
        }
    }
}

#[test]
fn a_kid_names_one_key_and_one_algorithm() {
    let clock = ManualClock::new(NOW);
    let mut receiver = opener(&clock);
    // "a" is pinned to HMAC 256/64: a 256/256 envelope under "a" is algorithm_mismatch.
    let wrong_alg = sealer(key("a", MacAlgorithm::Hmac256_256), &clock)
        .seal(TOPIC, b"x")
        .unwrap();
    let outcome = receiver.open(TOPIC, &wrong_alg);
    assert_eq!(
        outcome,
        Err(Rejection::MacAlgorithmMismatch {
            expected: MacAlgorithm::Hmac256_64,
            found: 5
        })
    );
    assert_eq!(outcome.unwrap_err().code(), "algorithm_mismatch");
    // A MAC envelope under the signature sender's kid.
    let signer_kid = signer().kid();
    let mac_as_signer = MacKey::from_bytes(signer_kid, MacAlgorithm::Hmac256_64, [5; 32]);
    let envelope = sealer(mac_as_signer, &clock).seal(TOPIC, b"x").unwrap();
    assert!(matches!(
        receiver.open(TOPIC, &envelope),
        Err(Rejection::AlgorithmMismatch { found: 4, .. })
    ));
    // A signed envelope under a MAC sender's kid.
    let signed = Sealer::new(signer(), Counter::starting_at(1), &clock)
        .with_kid(kid("a"))
        .seal(TOPIC, b"x")
        .unwrap();
    assert!(matches!(
        receiver.open(TOPIC, &signed),
        Err(Rejection::MacAlgorithmMismatch { found: -19, .. })
    ));
    // Nor may a signed envelope be relabelled as a MAC one: a COSE_Sign1 naming alg 4 is an
    // unsupported algorithm for its structure (and a COSE_Mac0 naming Ed25519 likewise).
    let mut relabelled = resign(&signed, &signer(), TOPIC, None);
    let pos = relabelled
        .windows(2)
        .position(|w| w == [0x01, 0x32])
        .unwrap();
    relabelled[pos + 1] = 0x04; // alg 4 in a COSE_Sign1
    assert_eq!(
        receiver.open(TOPIC, &relabelled),
        Err(Rejection::UnsupportedAlgorithm(4))
    );
    let mac_named_ed25519 = remac(&envelope, &key("a", MacAlgorithm::Hmac256_64), TOPIC, None);
    let mut bytes = mac_named_ed25519.clone();
    let pos = bytes.windows(2).position(|w| w == [0x01, 0x04]).unwrap();
    bytes[pos + 1] = 0x32; // alg -19
    assert_eq!(
        receiver.open(TOPIC, &bytes),
        Err(Rejection::UnsupportedAlgorithm(-19))
    );
    // And the same kid cannot be configured twice across the two kinds of sender.
    let mut trust = TrustStore::new();
    trust
        .add_mac_sender(key("a", MacAlgorithm::Hmac256_64), ["#"])
        .unwrap();
    assert!(
        trust
            .add_sender_with_kid(kid("a"), signer().verifying_key(), ["#"])
            .is_err()
    );
}

/// spec/key-management.md §3 for MAC senders (spec/mac.md §4 step 5): a rollover from "a" to
/// "c" with an overlap, judged on the receiver's clock before the tag is checked.
#[test]
fn mac_sender_key_rollover_with_overlap() {
    let clock = ManualClock::new(NOW);
    let mut receiver = opener(&clock);
    let new = key("c", MacAlgorithm::Hmac256_64);
    receiver
        .trust_mut()
        .add_mac_sender(new.clone(), ["plant/#"])
        .unwrap()
        .set_validity(&kid("a"), KeyValidity::always().until(NOW + 100))
        .unwrap()
        .set_validity(&kid("c"), KeyValidity::always().from(NOW + 50))
        .unwrap();
    let mut old_tx = sealer(key("a", MacAlgorithm::Hmac256_64), &clock);
    let mut new_tx = sealer(new, &clock);
    // before the overlap: only the old key
    assert!(
        receiver
            .open(TOPIC, &old_tx.seal(TOPIC, b"1").unwrap())
            .is_ok()
    );
    let early = receiver.open(TOPIC, &new_tx.seal(TOPIC, b"2").unwrap());
    assert_eq!(early, Err(Rejection::KeyNotYetValid));
    assert_eq!(early.unwrap_err().code(), "key_not_yet_valid");
    // during the overlap: both
    clock.advance(60);
    assert!(
        receiver
            .open(TOPIC, &old_tx.seal(TOPIC, b"3").unwrap())
            .is_ok()
    );
    assert!(
        receiver
            .open(TOPIC, &new_tx.seal(TOPIC, b"4").unwrap())
            .is_ok()
    );
    // after it: the old key is key_expired, even with a forged tag (no MAC work is done)
    clock.advance(41);
    let late = old_tx.seal(TOPIC, b"5").unwrap();
    assert_eq!(receiver.open(TOPIC, &late), Err(Rejection::KeyExpired));
    let mut forged = late.clone();
    let last = forged.len() - 1;
    forged[last] ^= 1;
    assert_eq!(receiver.open(TOPIC, &forged), Err(Rejection::KeyExpired));
    assert!(
        receiver
            .open(TOPIC, &new_tx.seal(TOPIC, b"6").unwrap())
            .is_ok()
    );
    // An inverted window is refused for a MAC sender as for a signature sender.
    assert!(
        receiver
            .trust_mut()
            .set_validity(&kid("b"), KeyValidity::always().from(10).until(5))
            .is_err()
    );
}

#[test]
fn encrypt_then_mac_with_a_group_key_is_bound_to_the_mac_sender() {
    let clock = ManualClock::new(NOW);
    let group = GroupKey::new(kid("plant-group"), ContentAlg::A128Gcm, &[7; 16]).unwrap();
    let mut keyring = Keyring::new();
    keyring.add_group_key(group.clone()).unwrap();
    keyring.require_encryption("plant/#").unwrap();
    let mut receiver = opener(&clock).with_keyring(keyring);
    let mut a = sealer(key("a", MacAlgorithm::Hmac256_64), &clock)
        .with_audience("plant/#", Audience::group(group))
        .unwrap();
    let envelope = a.seal(TOPIC, b"21.5").unwrap();
    assert!(!envelope.windows(4).any(|w| w == b"21.5"));
    let verified = receiver.open(TOPIC, &envelope).unwrap();
    assert_eq!(verified.payload(), b"21.5");
    assert_eq!(
        verified.encryption().unwrap().mode(),
        EncryptionMode::Group(ContentAlg::A128Gcm)
    );
    // The ciphertext re-stamped by another MAC sender (holding the secret) no longer decrypts:
    // the layer binds the outer kid, as in the signed mode.
    let moved = remac(&envelope, &key("b", MacAlgorithm::Hmac256_256), TOPIC, None);
    assert_eq!(receiver.open(TOPIC, &moved), Err(Rejection::DecryptFailed));
    // A plain MAC envelope where encryption is required is a downgrade.
    let plain = sealer(key("a", MacAlgorithm::Hmac256_64), &clock)
        .seal("plant/9/temp", b"x")
        .unwrap();
    assert_eq!(
        receiver.open("plant/9/temp", &plain),
        Err(Rejection::EncryptionRequired)
    );
}

#[test]
fn batches_mix_signed_and_mac_envelopes() {
    let clock = ManualClock::new(NOW);
    let mut signed = Sealer::new(signer(), Counter::starting_at(1), &clock);
    let mut a = sealer(key("a", MacAlgorithm::Hmac256_64), &clock);
    let (s1, s2) = (
        signed.seal(TOPIC, b"s1").unwrap(),
        signed.seal(TOPIC, b"s2").unwrap(),
    );
    let m1 = a.seal(TOPIC, b"m1").unwrap();
    let mut bad = a.seal(TOPIC, b"m2").unwrap();
    let last = bad.len() - 1;
    bad[last] ^= 1;
    let results = opener(&clock).open_batch(&[
        (TOPIC, &s1),
        (TOPIC, &m1),
        (TOPIC, &s2),
        (TOPIC, &bad),
        (TOPIC, &m1),
    ]);
    assert_eq!(results[0].as_ref().unwrap().payload(), b"s1");
    assert_eq!(results[1].as_ref().unwrap().payload(), b"m1");
    assert_eq!(results[2].as_ref().unwrap().payload(), b"s2");
    assert_eq!(results[3], Err(Rejection::BadSignature));
    assert_eq!(results[4], Err(Rejection::Replayed { seq: 1 }));
}

/// Bytes on the wire (spec/mac.md §6): the MAC envelope is the signed one with an 8- or
/// 32-byte tag in place of the 64-byte signature; everything else is the same header.
#[test]
fn mac_envelopes_differ_from_signed_ones_by_the_stamp_only() {
    let clock = ManualClock::new(NOW);
    let payload = [0x42u8; 15];
    let kid = signer().kid();
    let signed = Sealer::new(signer(), Counter::starting_at(1), &clock)
        .seal(TOPIC, &payload)
        .unwrap();
    for (alg, saved) in [
        (MacAlgorithm::Hmac256_64, 64 - 8 + 1), // and the tag's bstr head shrinks from 2 to 1
        (MacAlgorithm::Hmac256_256, 64 - 32),
    ] {
        let mac = Sealer::new(
            secret().sender_key(kid.clone(), alg),
            Counter::starting_at(1),
            &clock,
        )
        .seal(TOPIC, &payload)
        .unwrap();
        println!(
            "{alg}: {} bytes; Ed25519: {} bytes",
            mac.len(),
            signed.len()
        );
        assert_eq!(signed.len() - mac.len(), saved, "{alg}");
    }
}
