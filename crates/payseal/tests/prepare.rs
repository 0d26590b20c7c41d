//! Sealing in two steps (`Sealer::prepare_kind`, then `Unstamped::stamp` on any thread) makes
//! the envelopes `seal_kind` makes, numbers them when prepared, and keeps every check of
//! sealing.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use payseal::{
    Algorithm, Audience, Counter, KemKind, Keyring, Kid, Limits, MacAlgorithm, MacSecret,
    ManualClock, MessageKind, Opener, Policy, Recipient, RecipientKey, SealError, Sealer,
    SigningKey, TrustStore,
};

const NOW: u64 = 1_700_000_000;
const TOPIC: &str = "plant/3/temp";

fn key(alg: Algorithm) -> SigningKey {
    SigningKey::from_secret_bytes(alg, &[9; 32]).unwrap()
}

fn opener(alg: Algorithm, clock: &ManualClock) -> Opener<payseal::MemoryReplayStore, &ManualClock> {
    let mut trust = TrustStore::new();
    trust
        .add_sender(key(alg).verifying_key(), ["plant/#"])
        .unwrap();
    Opener::new(trust, Policy::default(), clock)
}

#[test]
fn a_prepared_envelope_stamped_later_is_the_sealed_envelope() {
    let clock = ManualClock::new(NOW);
    // Ed25519 and RFC 6979 ECDSA sign deterministically: the bytes must match exactly.
    for alg in [
        Algorithm::Ed25519,
        Algorithm::EcdsaP256,
        Algorithm::EcdsaSecp256k1,
    ] {
        let mut sealing = Sealer::new(key(alg), Counter::starting_at(5), &clock);
        let mut preparing = Sealer::new(key(alg), Counter::starting_at(5), &clock);
        for kind in [MessageKind::Live, MessageKind::Retained, MessageKind::Will] {
            let sealed = sealing.seal_kind(TOPIC, b"21.5", kind).unwrap();
            let stamped = preparing
                .prepare_kind(TOPIC, b"21.5", kind)
                .unwrap()
                .stamp()
                .unwrap();
            assert_eq!(sealed, stamped, "{alg:?} {kind:?}");
        }
    }
    let secret = MacSecret::from_bytes(&[0x42; 32]).unwrap();
    let mac = || secret.sender_key(Kid::new(b"s".to_vec()).unwrap(), MacAlgorithm::Hmac256_64);
    let mut sealing = Sealer::new(mac(), Counter::starting_at(1), &clock);
    let mut preparing = Sealer::new(mac(), Counter::starting_at(1), &clock);
    assert_eq!(
        sealing.seal(TOPIC, b"on").unwrap(),
        preparing
            .prepare_kind(TOPIC, b"on", MessageKind::Live)
            .unwrap()
            .stamp()
            .unwrap()
    );
}

#[test]
fn envelopes_are_numbered_when_prepared_and_stamped_on_other_threads_in_any_order() {
    let clock = ManualClock::new(NOW);
    let mut sealer = Sealer::new(key(Algorithm::Ed25519), Counter::starting_at(1), &clock);
    let unstamped: Vec<_> = (0..4u8)
        .map(|i| sealer.prepare_kind(TOPIC, &[i], MessageKind::Live).unwrap())
        .collect();
    // Stamped concurrently, last first.
    let envelopes: Vec<Vec<u8>> = std::thread::scope(|s| {
        let handles: Vec<_> = unstamped
            .into_iter()
            .rev()
            .map(|u| s.spawn(move || u.stamp().unwrap()))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut opener = opener(Algorithm::Ed25519, &clock);
    for (envelope, i) in envelopes.iter().zip((0..4u8).rev()) {
        let verified = opener.open(TOPIC, envelope).unwrap();
        assert_eq!(verified.payload(), [i]);
        assert_eq!(verified.seq(), u64::from(i) + 1);
    }
}

#[test]
fn a_prepared_envelope_dropped_unstamped_keeps_its_number() {
    let clock = ManualClock::new(NOW);
    let mut sealer = Sealer::new(key(Algorithm::Ed25519), Counter::starting_at(1), &clock);
    drop(
        sealer
            .prepare_kind(TOPIC, b"never sent", MessageKind::Live)
            .unwrap(),
    );
    let next = sealer.seal(TOPIC, b"sent").unwrap();
    assert_eq!(
        opener(Algorithm::Ed25519, &clock)
            .open(TOPIC, &next)
            .unwrap()
            .seq(),
        2
    );
}

#[test]
fn preparing_keeps_the_checks_of_sealing() {
    let clock = ManualClock::new(NOW);
    let mut sealer = Sealer::new(key(Algorithm::Ed25519), Counter::starting_at(1), &clock)
        .with_limits(Limits::DEFAULT.with_max_envelope_bytes(200));
    assert!(matches!(
        sealer.prepare_kind("plant/+/temp", b"x", MessageKind::Live),
        Err(SealError::InvalidTopic)
    ));
    assert!(matches!(
        sealer.prepare_kind(TOPIC, &[0; 300], MessageKind::Live),
        Err(SealError::TooLarge { limit: 200, .. })
    ));
    // The invalid topic took no number; the oversized envelope took 1.
    let envelope = sealer.seal(TOPIC, b"ok").unwrap();
    assert_eq!(
        opener(Algorithm::Ed25519, &clock)
            .open(TOPIC, &envelope)
            .unwrap()
            .seq(),
        2
    );
}

#[test]
fn a_prepared_envelope_on_a_topic_with_an_audience_is_encrypted() {
    let clock = ManualClock::new(NOW);
    let dashboard = RecipientKey::from_secret_bytes(KemKind::X25519, &[3; 32]).unwrap();
    let audience = Audience::recipients([Recipient::new(dashboard.public_key())]).unwrap();
    let mut sealer = Sealer::new(key(Algorithm::Ed25519), Counter::starting_at(1), &clock)
        .with_audience("plant/#", audience)
        .unwrap();
    let envelope = sealer
        .prepare_kind(TOPIC, b"secret reading", MessageKind::Live)
        .unwrap()
        .stamp()
        .unwrap();
    assert!(!envelope.windows(14).any(|w| w == b"secret reading"));
    let mut keyring = Keyring::new();
    keyring.add_recipient_key(dashboard).unwrap();
    let mut opener = opener(Algorithm::Ed25519, &clock).with_keyring(keyring);
    assert_eq!(
        opener.open(TOPIC, &envelope).unwrap().payload(),
        b"secret reading"
    );
}
