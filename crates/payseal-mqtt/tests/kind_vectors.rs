//! Runs every vector of `test-vectors/kind.json` through the adapters' own classification
//! (`ClientState::classify`): the signed message kind against the retain flag, the topic and
//! the will kids (spec/mqtt-adapters.md §3-4), and the replay window it lands in. The Python
//! checker `test-vectors/interop/check_kind.py` does the same independently.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::time::Duration;

use payseal::{
    Kid, Limits, ManualClock, MemoryReplayStore, MessageKind, Opener, Policy, ReplayStore,
    TrustStore, VerifyingKey, replay_window_key,
};
use payseal_mqtt::adapter::ClientState;
use payseal_mqtt::{Event, QoS, Security};

use payseal_vector_model::kind::KindFile as File;

fn kind(name: &str) -> MessageKind {
    match name {
        "live" => MessageKind::Live,
        "retained" => MessageKind::Retained,
        "will" => MessageKind::Will,
        other => panic!("kind {other}"),
    }
}

#[test]
fn every_kind_vector_has_its_expected_outcome() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../test-vectors/kind.json");
    let file: File = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut trust = TrustStore::new();
    for t in &file.trust {
        let key = VerifyingKey::from_public_key_pem(&file.keys[&t.key].public_spki_pem).unwrap();
        trust
            .add_sender_with_kid(Kid::from_hex(&t.kid).unwrap(), key, &t.topics)
            .unwrap();
    }
    let policy = Policy::default()
        .with_max_age(file.policy.max_age)
        .unwrap()
        .with_max_future_skew(file.policy.max_future_skew)
        .with_window(file.policy.window)
        .unwrap()
        .with_limits(Limits::DEFAULT.with_max_envelope_bytes(file.policy.max_envelope_bytes));
    let mut valid = 0;
    for v in &file.vectors {
        let mut replay = MemoryReplayStore::new(file.policy.window);
        for a in &v.accepted_before {
            let kid = Kid::from_hex(&a.kid).unwrap();
            let window = replay_window_key(&kid, kind(&a.kind), &a.topic);
            replay.check_and_record(&window, a.seq).unwrap();
        }
        let opener =
            Opener::with_replay_store(trust.clone(), replay, policy, ManualClock::new(v.now));
        let mut security = Security::new().opener(opener);
        for l in &file.receiver.retained {
            security = security
                .retained_topic(&l.filter, Duration::from_secs(l.max_age))
                .unwrap();
        }
        for l in &file.receiver.wills {
            security = security
                .will_topic(&l.filter, Duration::from_secs(l.max_age))
                .unwrap();
        }
        for k in &file.receiver.will_kids {
            security = security.will_kid(Kid::from_hex(k).unwrap());
        }
        let state = ClientState::new(security, 1 << 20);
        // The receiver subscribed to everything (kind.json is about freshness and windows;
        // the subscription check has its own tests).
        state.subscriptions().add("#", QoS::AtLeastOnce);
        let envelope = hex::decode(&v.envelope).unwrap();
        let event = state
            .classify(&v.topic, &envelope, v.retain, QoS::AtLeastOnce)
            .unwrap();
        match (&event, v.expected.as_str()) {
            (Event::Message(m), "valid") => {
                valid += 1;
                let verified = &m.verified;
                assert_eq!(hex::encode(verified.payload()), v.payload, "{}", v.id);
                assert_eq!(verified.seq(), v.seq, "{}", v.id);
                assert_eq!(verified.sender().to_string(), v.kid, "{}", v.id);
                assert_eq!(verified.kind(), kind(&v.kind), "{}", v.id);
                let window = replay_window_key(verified.sender(), verified.kind(), &v.topic);
                assert_eq!(window.to_string(), v.window, "{}", v.id);
            }
            (Event::Duplicate { .. }, "replayed") => {}
            (Event::Rejected { reason, .. }, expected) if reason.code() == expected => {}
            _ => panic!("{}: expected {}, got {event:?}", v.id, v.expected),
        }
    }
    assert!(valid >= 5, "{valid} valid vectors");
}
