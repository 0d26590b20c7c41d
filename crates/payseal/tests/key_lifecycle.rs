//! Key lifecycle in the core (spec/key-management.md): group key epochs with a grace period,
//! keys handed ahead, and sender key validity windows for a rollover.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use payseal::{
    Algorithm, Audience, ContentAlg, Counter, GroupEpochs, KeyValidity, Keyring, ManualClock,
    MemoryReplayStore, Opener, Policy, Rejection, Sealer, SigningKey, TrustStore,
};

const NOW: u64 = 1_700_000_000;
const TOPIC: &str = "plant/3/secret";
const GRACE: u64 = 60;

fn signer(n: u8) -> SigningKey {
    SigningKey::from_secret_bytes(Algorithm::Ed25519, &[n; 32]).unwrap()
}

fn secret(epoch: u32) -> [u8; 16] {
    [u8::try_from(epoch).unwrap(); 16]
}

/// Seals one message under `epoch` of group "plant" at `clock`'s time.
fn seal_under(epoch: u32, clock: &ManualClock, seq: u64) -> Vec<u8> {
    let group = GroupEpochs::new(b"plant", epoch, ContentAlg::A128Gcm, &secret(epoch)).unwrap();
    let audience = Audience::group(group.current_key().unwrap().clone());
    Sealer::new(signer(1), Counter::starting_at(seq), clock)
        .with_audience("plant/#", audience)
        .unwrap()
        .seal(TOPIC, b"reading")
        .unwrap()
}

fn opener(
    keys: Keyring,
    trust: TrustStore,
    clock: &ManualClock,
) -> Opener<MemoryReplayStore, &ManualClock> {
    Opener::new(trust, Policy::default(), clock).with_keyring(keys)
}

fn trust() -> TrustStore {
    let mut trust = TrustStore::new();
    trust
        .add_sender(signer(1).verifying_key(), ["plant/#"])
        .unwrap();
    trust
}

/// A receiver that switched from epoch 1 to 2 at NOW (grace 60 s) and holds 3 ahead.
fn rotated_receiver() -> Keyring {
    let mut group = GroupEpochs::new(b"plant", 1, ContentAlg::A128Gcm, &secret(1)).unwrap();
    group.add_next(2, &secret(2)).unwrap();
    group.switch_to(2, NOW, GRACE).unwrap();
    group.add_next(3, &secret(3)).unwrap();
    let mut keyring = Keyring::new();
    keyring.set_group_epochs(group);
    keyring
}

#[test]
fn every_epoch_case_of_the_spec() {
    let clock = ManualClock::new(NOW + 10);
    let mut rx = opener(rotated_receiver(), trust(), &clock);
    // current, previous within grace, next handed ahead
    for (seq, epoch) in [(1, 2), (2, 1), (3, 3)] {
        let env = seal_under(epoch, &clock, seq);
        assert_eq!(
            rx.open(TOPIC, &env).unwrap().payload(),
            b"reading",
            "epoch {epoch}"
        );
    }
    // a future epoch not handed out: not for this receiver (not an alarm)
    let env = seal_under(4, &clock, 4);
    assert_eq!(rx.open(TOPIC, &env), Err(Rejection::NotForMe));
    // an epoch older than any held: expired
    let env = seal_under(0, &clock, 5);
    assert_eq!(rx.open(TOPIC, &env), Err(Rejection::KeyExpired));
    // previous after the grace period
    clock.advance(GRACE);
    let env = seal_under(1, &clock, 6);
    assert_eq!(rx.open(TOPIC, &env), Err(Rejection::KeyExpired));
    assert_eq!(Rejection::KeyExpired.code(), "key_expired");
    // an unknown group with the same kid length
    let other = GroupEpochs::new(b"plans", 2, ContentAlg::A128Gcm, &secret(2)).unwrap();
    let env = Sealer::new(signer(1), Counter::starting_at(7), &clock)
        .with_audience(
            "plant/#",
            Audience::group(other.current_key().unwrap().clone()),
        )
        .unwrap()
        .seal(TOPIC, b"reading")
        .unwrap();
    assert_eq!(rx.open(TOPIC, &env), Err(Rejection::NotForMe));
}

#[test]
fn a_switch_drops_epochs_whose_grace_ended() {
    let mut group = GroupEpochs::new(b"plant", 1, ContentAlg::A128Gcm, &secret(1)).unwrap();
    group.add_next(2, &secret(2)).unwrap();
    group.switch_to(2, NOW, GRACE).unwrap();
    group.add_next(3, &secret(3)).unwrap();
    group.switch_to(3, NOW + GRACE + 1, GRACE).unwrap();
    let held: Vec<_> = group.epochs().map(|(e, _, until)| (e, until)).collect();
    assert_eq!(held, vec![(2, Some(NOW + 2 * GRACE + 1)), (3, None)]);
    assert!(group.switch_to(3, NOW, GRACE).is_err(), "not forward");
    assert!(group.add_next(3, &secret(3)).is_err(), "not ahead");
    assert!(GroupEpochs::new(&[b'g'; 29], 1, ContentAlg::A128Gcm, &secret(1)).is_err());
}

#[test]
fn sender_key_rollover_with_overlap() {
    let clock = ManualClock::new(NOW);
    let (old, new) = (signer(1), signer(2));
    let mut trust = TrustStore::new();
    trust.add_sender(old.verifying_key(), ["plant/#"]).unwrap();
    trust.add_sender(new.verifying_key(), ["plant/#"]).unwrap();
    trust
        .set_validity(&old.kid(), KeyValidity::always().until(NOW + 100))
        .unwrap();
    trust
        .set_validity(&new.kid(), KeyValidity::always().from(NOW + 50))
        .unwrap();
    let mut rx = opener(Keyring::new(), trust, &clock);
    let mut old_tx = Sealer::new(old, Counter::starting_at(1), &clock);
    let mut new_tx = Sealer::new(new, Counter::starting_at(1), &clock);
    // before the overlap: only the old key
    assert!(rx.open(TOPIC, &old_tx.seal(TOPIC, b"a").unwrap()).is_ok());
    assert_eq!(
        rx.open(TOPIC, &new_tx.seal(TOPIC, b"b").unwrap()),
        Err(Rejection::KeyNotYetValid)
    );
    // during the overlap: both
    clock.advance(60);
    assert!(rx.open(TOPIC, &old_tx.seal(TOPIC, b"c").unwrap()).is_ok());
    assert!(rx.open(TOPIC, &new_tx.seal(TOPIC, b"d").unwrap()).is_ok());
    // after: the old key is refused with its reason code, an alarm
    clock.advance(41);
    let refused = rx.open(TOPIC, &old_tx.seal(TOPIC, b"e").unwrap());
    assert_eq!(refused, Err(Rejection::KeyExpired));
    assert!(refused.unwrap_err().is_alarm());
    assert!(rx.open(TOPIC, &new_tx.seal(TOPIC, b"f").unwrap()).is_ok());
}

#[test]
fn validity_is_checked_against_a_consistent_window() {
    let mut trust = trust();
    let kid = signer(1).kid();
    assert!(
        trust
            .set_validity(&kid, KeyValidity::always().from(10).until(5))
            .is_err()
    );
    assert!(
        trust
            .set_validity(&signer(9).kid(), KeyValidity::always())
            .is_err()
    );
    // a bounded key with an unknown time fails closed
    assert_eq!(
        KeyValidity::always().until(5).check(None),
        Err(Rejection::KeyExpired)
    );
    assert_eq!(KeyValidity::always().check(None), Ok(()));
}

#[test]
fn recipient_key_rollover_switches_the_sender_at_the_switch_date() {
    use payseal::{KemKind, Recipient, RecipientKey, SealError};
    let clock = ManualClock::new(NOW - 10);
    let old = RecipientKey::from_secret_bytes(KemKind::X25519, &[1; 32]).unwrap();
    let new = RecipientKey::from_secret_bytes(KemKind::X25519, &[2; 32]).unwrap();
    let audience = Audience::recipients([
        Recipient::new(old.public_key()).with_validity(KeyValidity::always().until(NOW - 1)),
        Recipient::new(new.public_key()).with_validity(KeyValidity::always().from(NOW)),
    ])
    .unwrap();
    let mut tx = Sealer::new(signer(1), Counter::starting_at(1), &clock)
        .with_audience("plant/#", audience)
        .unwrap();
    // The receiver holds both keys during its grace period.
    let mut both = Keyring::new();
    both.add_recipient_key(old.clone()).unwrap();
    both.add_recipient_key(new.clone()).unwrap();
    let mut only_old = Keyring::new();
    only_old.add_recipient_key(old.clone()).unwrap();
    let mut only_new = Keyring::new();
    only_new.add_recipient_key(new.clone()).unwrap();

    let before = tx.seal(TOPIC, b"before").unwrap();
    clock.set(NOW);
    let after = tx.seal(TOPIC, b"after").unwrap();
    let open = |keys: &Keyring, env: &[u8]| opener(keys.clone(), trust(), &clock).open(TOPIC, env);
    assert!(open(&both, &before).is_ok() && open(&both, &after).is_ok());
    assert!(open(&only_old, &before).is_ok());
    assert_eq!(
        open(&only_old, &after),
        Err(Rejection::NotForMe),
        "encrypted to the new key"
    );
    assert_eq!(open(&only_new, &before), Err(Rejection::NotForMe));

    // No key valid at all: nothing is sealed (never in the clear).
    let lapsed = Audience::recipients([
        Recipient::new(old.public_key()).with_validity(KeyValidity::always().until(NOW - 1))
    ])
    .unwrap();
    let mut tx = Sealer::new(signer(1), Counter::starting_at(9), &clock)
        .with_audience("plant/#", lapsed)
        .unwrap();
    assert!(matches!(
        tx.seal(TOPIC, b"x"),
        Err(SealError::NoValidRecipient)
    ));
}
