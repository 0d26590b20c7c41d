//! Properties that must hold for every input, not just the vectors.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use payseal::{
    Algorithm, Counter, ManualClock, MemoryReplayStore, Opener, Policy, Sealer, SigningKey,
    TrustStore,
};
use proptest::prelude::*;

const NOW: u64 = 1_700_000_000;

fn key(alg: Algorithm) -> SigningKey {
    SigningKey::from_secret_bytes(alg, &[0x42; 32]).unwrap()
}

/// A fresh opener trusting all three test keys on every topic.
fn opener() -> Opener<MemoryReplayStore, ManualClock> {
    let mut trust = TrustStore::new();
    for alg in Algorithm::ALL {
        trust.add_sender(key(alg).verifying_key(), ["#"]).unwrap();
    }
    Opener::new(trust, Policy::default(), ManualClock::new(NOW))
}

fn sealer(alg: Algorithm, seq: u64) -> Sealer<SigningKey, Counter, ManualClock> {
    Sealer::new(key(alg), Counter::starting_at(seq), ManualClock::new(NOW))
}

fn any_alg() -> impl Strategy<Value = Algorithm> {
    prop::sample::select(Algorithm::ALL.to_vec())
}

/// Topic names: 1 to 5 levels, some empty, with non-ASCII characters; no wildcards, no `$`.
fn any_topic() -> impl Strategy<Value = String> {
    "[a-z0-9_é€ -]{1,10}(/[a-z0-9_é€ -]{0,10}){0,4}"
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn seal_then_open_round_trips(
        alg in any_alg(),
        topic in any_topic(),
        payload in prop::collection::vec(any::<u8>(), 0..600),
        seq in any::<u64>(),
    ) {
        let envelope = sealer(alg, seq).seal(&topic, &payload).unwrap();
        let verified = opener().open(&topic, &envelope).unwrap();
        prop_assert_eq!(verified.payload(), payload.as_slice());
        prop_assert_eq!(verified.topic(), topic.as_str());
        prop_assert_eq!(verified.seq(), seq);
        prop_assert_eq!(verified.timestamp(), NOW);
        prop_assert_eq!(verified.algorithm(), Some(alg));
        prop_assert_eq!(verified.sender(), &key(alg).kid());
    }

    #[test]
    fn open_never_panics_on_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..700)) {
        let _ = opener().open("a/b", &bytes);
    }

    /// Random edits of a real envelope reach deeper than random bytes: every edit that changes
    /// the bytes must be rejected, and none may panic.
    #[test]
    fn edited_envelopes_are_rejected_without_panicking(
        alg in any_alg(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..4),
    ) {
        let original = sealer(alg, 9).seal("a/b", b"payload").unwrap();
        let mut bytes = original.clone();
        for (at, value, kind) in edits {
            let i = at.index(bytes.len().max(1));
            match kind {
                0 if !bytes.is_empty() => bytes[i] = value,
                1 => bytes.insert(i.min(bytes.len()), value),
                _ if !bytes.is_empty() => { bytes.remove(i); }
                _ => {}
            }
        }
        let outcome = opener().open("a/b", &bytes);
        if bytes != original {
            prop_assert!(outcome.is_err(), "edited envelope accepted: {}", hex::encode(&bytes));
        }
    }
}

/// Exhaustive, not sampled: every single-bit flip of an envelope of each algorithm is rejected.
#[test]
fn every_single_bit_flip_is_rejected() {
    let mut flips = 0;
    for alg in Algorithm::ALL {
        let envelope = sealer(alg, 1_000)
            .seal("plant/3/temp", &[0xab; 32])
            .unwrap();
        assert!(opener().open("plant/3/temp", &envelope).is_ok());
        for bit in 0..envelope.len() * 8 {
            let mut flipped = envelope.clone();
            flipped[bit / 8] ^= 1 << (bit % 8);
            let outcome = opener().open("plant/3/temp", &flipped);
            assert!(outcome.is_err(), "{alg}: bit {bit} flipped was accepted");
            flips += 1;
        }
    }
    println!("{flips} single-bit flips, all rejected");
}

/// A longer freshness bound for one message (a retained message, a Last Will) still runs the
/// replay window.
#[test]
fn freshness_override_keeps_every_other_check() {
    let clock = ManualClock::new(NOW);
    let mut trust = TrustStore::new();
    trust
        .add_sender(key(Algorithm::Ed25519).verifying_key(), ["#"])
        .unwrap();
    let mut opener = Opener::new(trust, Policy::default(), &clock);
    let old = sealer(Algorithm::Ed25519, 5)
        .seal("a/b", b"retained")
        .unwrap();
    clock.advance(3_600);
    assert!(matches!(
        opener.open("a/b", &old),
        Err(payseal::Rejection::Stale { .. })
    ));
    let day = payseal::Freshness {
        max_age_secs: 86_400,
        max_future_skew_secs: 30,
    };
    assert!(opener.open_with_freshness("a/b", &old, day).is_ok());
    assert_eq!(
        opener.open_with_freshness("a/b", &old, day),
        Err(payseal::Rejection::Replayed { seq: 5 })
    );
    assert_eq!(
        opener.open_with_freshness("a/c", &old, day),
        Err(payseal::Rejection::BadSignature)
    );
}
