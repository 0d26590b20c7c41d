//! Retained state and durable windows (issue 16 item 11, spec/replay-stores.md §3.6): retained
//! state has a window of its own, so after a restart its redelivery is a duplicate (the
//! receiver already had it), never a `below_window` alarm, however many live messages came
//! after it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use payseal::{
    Algorithm, Counter, ManualClock, MessageKind, Opener, Policy, Rejection, Sealer, SigningKey,
    TrustStore,
};
use payseal_store::FileReplayStore;

#[test]
fn durable_receiver_restart_sees_retained_state_as_a_duplicate_not_an_alarm() {
    let dir = std::env::temp_dir().join(format!("payseal-retained-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let clock = ManualClock::new(1_700_000_000);
    let key = SigningKey::from_secret_bytes(Algorithm::Ed25519, &[6; 32]).unwrap();
    let mut trust = TrustStore::new();
    trust.add_sender(key.verifying_key(), ["plant/#"]).unwrap();
    let mut sealer = Sealer::new(key, Counter::starting_at(1), &clock);
    let state = sealer
        .seal_kind("plant/6/setpoint", b"20.0", MessageKind::Retained)
        .unwrap();

    let store = FileReplayStore::open(&dir, Policy::DEFAULT_WINDOW).unwrap();
    let mut opener = Opener::with_replay_store(trust.clone(), store, Policy::default(), &clock);
    assert!(opener.open("plant/6/setpoint", &state).is_ok());
    for _ in 0..200 {
        let live = sealer.seal("plant/6/temp", b"21.5").unwrap();
        assert!(opener.open("plant/6/temp", &live).is_ok());
    }
    drop(opener); // the receiver restarts

    let store = FileReplayStore::open(&dir, Policy::DEFAULT_WINDOW).unwrap();
    let mut opener = Opener::with_replay_store(trust, store, Policy::default(), &clock);
    let again = opener.open("plant/6/setpoint", &state);
    assert_eq!(again, Err(Rejection::Replayed { seq: 1 }));
    assert!(again.is_err_and(|r| r.code() == "replayed"));
    drop(opener);
    std::fs::remove_dir_all(&dir).unwrap();
}
