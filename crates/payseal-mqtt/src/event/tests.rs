//! Which freshness limit a delivery gets (issue 16 items 1 and 11): the broker's retain flag
//! and topic never lengthen it on their own.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::sync::Arc;
use std::time::Duration;

use payseal::{
    Algorithm, Counter, Kid, ManualClock, Opener, Policy, Sealer, SigningKey, TrustStore,
};

use super::classify;
use crate::{Event, QoS, Security};

const T0: u64 = 1_700_000_000;
const DAY: u64 = 86_400;

fn key() -> SigningKey {
    SigningKey::from_secret_bytes(Algorithm::Ed25519, &[7; 32]).unwrap()
}

fn will_kid() -> Kid {
    Kid::new(b"sensor-7/will".to_vec()).unwrap()
}

fn sealer(clock: &Arc<ManualClock>) -> Sealer<SigningKey, Counter, Arc<ManualClock>> {
    Sealer::new(key(), Counter::starting_at(1), Arc::clone(clock))
}

/// A receiver trusting the sensor on `plant/#` (and its will kid on the status topics), with
/// the given policy and security settings.
fn receiver(
    clock: &Arc<ManualClock>,
    policy: Policy,
    settings: impl FnOnce(Security) -> Security,
) -> Security {
    let mut trust = TrustStore::new();
    trust
        .add_sender(key().verifying_key(), ["plant/#"])
        .unwrap();
    trust
        .add_sender_with_kid(will_kid(), key().verifying_key(), ["plant/+/status"])
        .unwrap();
    settings(Security::new().opener(Opener::new(trust, policy, Arc::clone(clock))))
}

fn code(event: &Event) -> &'static str {
    match event {
        Event::Message(_) => "accepted",
        Event::Duplicate { .. } => "duplicate",
        Event::Rejected { reason, .. } => reason.code(),
        _ => "other",
    }
}

/// Issue 16 item 1: a command sealed 23 h earlier is stale live, and must stay stale when the
/// broker sets retain=1 (the flag is not authenticated).
#[test]
fn retain_flag_cannot_extend_freshness() {
    let clock = Arc::new(ManualClock::new(T0));
    let command = sealer(&clock).seal("plant/3/cmd", b"open").unwrap();
    clock.advance(23 * 3_600);
    let mut security = receiver(&clock, Policy::default(), |s| {
        s.retained_max_age(Duration::from_secs(DAY))
    });
    let live = classify(
        &mut security,
        "plant/3/cmd",
        &command,
        false,
        QoS::AtLeastOnce,
    );
    assert_eq!(code(&live), "stale");
    let as_retained = classify(
        &mut security,
        "plant/3/cmd",
        &command,
        true,
        QoS::AtLeastOnce,
    );
    assert_eq!(code(&as_retained), "stale");
}

/// Issue 16 item 1: a 6-day-old live status from the sensor's own kid is not a will, whatever
/// topic the broker delivers it on.
#[test]
fn old_live_message_on_a_will_topic_is_stale() {
    let clock = Arc::new(ManualClock::new(T0));
    let status = sealer(&clock).seal("plant/3/status", b"online").unwrap();
    clock.advance(6 * DAY);
    let mut security = receiver(&clock, Policy::default(), |s| {
        s.will_topic("plant/+/status", Duration::from_secs(7 * DAY))
            .unwrap()
    });
    let event = classify(
        &mut security,
        "plant/3/status",
        &status,
        false,
        QoS::AtLeastOnce,
    );
    assert_eq!(code(&event), "stale");
}

/// Issue 16 item 1: the retained limit never widens the policy's future skew (0 here).
#[test]
fn retain_flag_cannot_widen_the_future_skew() {
    let clock = Arc::new(ManualClock::new(T0 + 25));
    let ahead = sealer(&clock).seal("plant/3/setpoint", b"20.0").unwrap();
    clock.set(T0);
    let policy = Policy::default().with_max_future_skew(0);
    let mut security = receiver(&clock, policy, |s| {
        s.retained_max_age(Duration::from_secs(DAY))
    });
    for retain in [false, true] {
        let event = classify(
            &mut security,
            "plant/3/setpoint",
            &ahead,
            retain,
            QoS::AtMostOnce,
        );
        assert_eq!(code(&event), "from_the_future", "retain={retain}");
    }
}

/// Signed retained state gets the retained limit, but only when delivered retained and on a
/// configured retained topic; the same state delivered live keeps the live limit.
#[test]
fn signed_retained_state_gets_the_retained_limit_only_when_the_flag_agrees() {
    let clock = Arc::new(ManualClock::new(T0));
    let mut sensor = sealer(&clock);
    let state = sensor
        .seal_kind("plant/3/setpoint", b"20.0", payseal::MessageKind::Retained)
        .unwrap();
    let other = sensor
        .seal_kind("plant/3/cmd", b"open", payseal::MessageKind::Retained)
        .unwrap();
    clock.advance(23 * 3_600);
    let mut security = receiver(&clock, Policy::default(), |s| {
        s.retained_topic("plant/+/setpoint", Duration::from_secs(DAY))
            .unwrap()
    });
    let live = classify(
        &mut security,
        "plant/3/setpoint",
        &state,
        false,
        QoS::AtLeastOnce,
    );
    assert_eq!(code(&live), "stale");
    let retained = classify(
        &mut security,
        "plant/3/setpoint",
        &state,
        true,
        QoS::AtLeastOnce,
    );
    assert_eq!(code(&retained), "accepted");
    // Retained limits are per topic filter: plant/3/cmd has none.
    let unlisted = classify(&mut security, "plant/3/cmd", &other, true, QoS::AtLeastOnce);
    assert_eq!(code(&unlisted), "stale");
}

/// A signed will gets the will limit only from a configured will kid on a will topic.
#[test]
fn signed_will_gets_the_will_limit_only_from_a_will_kid() {
    let clock = Arc::new(ManualClock::new(T0));
    let will = sealer(&clock)
        .with_kid(will_kid())
        .seal_kind("plant/3/status", b"offline", payseal::MessageKind::Will)
        .unwrap();
    // The sensor's own kid marks a message as a will: not a will kid, live limit.
    let fake = sealer(&clock)
        .seal_kind("plant/3/status", b"offline", payseal::MessageKind::Will)
        .unwrap();
    clock.advance(6 * DAY);
    let with_topic = |s: Security| {
        s.will_topic("plant/+/status", Duration::from_secs(7 * DAY))
            .unwrap()
    };
    let mut no_kid = receiver(&clock, Policy::default(), with_topic);
    let event = classify(
        &mut no_kid,
        "plant/3/status",
        &will,
        false,
        QoS::AtLeastOnce,
    );
    assert_eq!(code(&event), "stale");
    let mut security = receiver(&clock, Policy::default(), |s| {
        with_topic(s).will_kid(will_kid())
    });
    let event = classify(
        &mut security,
        "plant/3/status",
        &fake,
        false,
        QoS::AtLeastOnce,
    );
    assert_eq!(code(&event), "stale");
    let event = classify(
        &mut security,
        "plant/3/status",
        &will,
        false,
        QoS::AtLeastOnce,
    );
    assert_eq!(code(&event), "accepted");
    let again = classify(
        &mut security,
        "plant/3/status",
        &will,
        true,
        QoS::AtLeastOnce,
    );
    assert_eq!(code(&again), "duplicate");
}

/// Issue 16 item 11: retained state redelivered on resubscribe after 200 newer live messages
/// from the same sender is a duplicate, never a `below_window` alarm.
#[test]
fn retained_redelivery_after_newer_messages_is_a_duplicate_not_an_alarm() {
    let clock = Arc::new(ManualClock::new(T0));
    let mut sensor = sealer(&clock);
    let mut security = receiver(&clock, Policy::default(), |s| {
        s.retained_topic("plant/#", Duration::from_secs(DAY))
            .unwrap()
    });
    let state = sensor
        .seal_kind("plant/3/setpoint", b"20.0", payseal::MessageKind::Retained)
        .unwrap();
    // Live subscribers get the retained publish with retain=0 (MQTT 3.1.1 §3.3.1.3).
    let first = classify(
        &mut security,
        "plant/3/setpoint",
        &state,
        false,
        QoS::AtLeastOnce,
    );
    assert_eq!(code(&first), "accepted");
    for _ in 0..200 {
        let live = sensor.seal("plant/3/temp", b"21.5").unwrap();
        let event = classify(&mut security, "plant/3/temp", &live, false, QoS::AtMostOnce);
        assert_eq!(code(&event), "accepted");
    }
    clock.advance(3_600);
    let again = classify(
        &mut security,
        "plant/3/setpoint",
        &state,
        true,
        QoS::AtLeastOnce,
    );
    match &again {
        Event::Duplicate { seq, .. } => assert_eq!(*seq, 1),
        Event::Rejected { reason, .. } => {
            panic!(
                "redelivery refused: {reason} (alarm: {})",
                reason.is_alarm()
            )
        }
        other => panic!("unexpected {other:?}"),
    }
}
