//! Delivery: signed at every QoS, plain/forged/unauthorized refused, encrypted to some
//! subscribers, and a long QoS 1 stream exactly once and in order.

use std::time::{Duration, Instant};

use payseal::{
    Algorithm, Audience, Counter, KemKind, Keyring, Kid, MacAlgorithm, MacSecret, Opener, Policy,
    Recipient, RecipientKey, Rejection, Sealer, SigningKey, SystemClock,
};
use payseal_mqtt::{Event, QoS, Security};

use crate::support::{
    WAIT, broker, connected, message, next, publisher, sensor_key, subscribe, subscriber, trust,
};
use crate::{Adapter, Endpoint};

/// A signed message at QoS 0, 1 and 2 arrives verified, with its QoS.
pub async fn signed_messages_at_every_qos<A: Adapter>() {
    let broker = broker("");
    let (sub, mut sub_events) = subscriber::<A>(broker.port(), "sub");
    subscribe::<A>(&sub, &mut sub_events, "plant/#", QoS::ExactlyOnce).await;
    let (publ, _pub_events) = publisher::<A>(broker.port(), "pub");
    for (i, qos) in [QoS::AtMostOnce, QoS::AtLeastOnce, QoS::ExactlyOnce]
        .into_iter()
        .enumerate()
    {
        let payload = format!("reading {i}");
        A::publish(&publ, "plant/3/temp", qos, false, payload.as_bytes())
            .await
            .unwrap();
        let m = message(next(&mut sub_events).await);
        assert_eq!(m.verified.payload(), payload.as_bytes());
        assert_eq!(m.verified.sender(), &sensor_key().kid());
        assert_eq!(m.qos, qos);
    }
}

/// MAC mode (spec/mac.md) through the adapter: the same `Security` carries a MAC sealer and an
/// opener trusting MAC senders; tagged messages at every QoS arrive verified as MAC messages,
/// a forged tag is `bad_signature`, and a sender off its topics is refused.
pub async fn mac_messages_arrive_verified_and_forged_tags_are_refused<A: Adapter>() {
    let secret = MacSecret::from_bytes(&[5; 32]).unwrap();
    let key =
        |kid: &[u8]| secret.sender_key(Kid::new(kid.to_vec()).unwrap(), MacAlgorithm::Hmac256_64);
    let mut trust = payseal::TrustStore::new();
    trust.add_mac_sender(key(b"sensor-7"), ["plant/#"]).unwrap();
    let opener = Opener::new(trust, Policy::default(), SystemClock);
    let broker = broker("");
    let (sub, mut sub_events) = A::connect(
        &Endpoint::new("sub", broker.port()),
        Security::new().opener(opener),
    );
    subscribe::<A>(&sub, &mut sub_events, "#", QoS::ExactlyOnce).await;
    let sealer =
        |key| Security::new().sealer(Sealer::new(key, Counter::starting_at(1), SystemClock));
    let (publ, _pe) = A::connect(
        &Endpoint::new("pub", broker.port()),
        sealer(key(b"sensor-7")),
    );
    for (i, qos) in [QoS::AtMostOnce, QoS::AtLeastOnce, QoS::ExactlyOnce]
        .into_iter()
        .enumerate()
    {
        let payload = format!("reading {i}");
        A::publish(&publ, "plant/7/temp", qos, false, payload.as_bytes())
            .await
            .unwrap();
        let m = message(next(&mut sub_events).await);
        assert_eq!(m.verified.payload(), payload.as_bytes());
        assert_eq!(m.verified.sender().as_bytes(), b"sensor-7");
        assert_eq!(m.verified.mac_algorithm(), Some(MacAlgorithm::Hmac256_64));
        assert_eq!(m.qos, qos);
    }
    // The right kid, a key not derived from the receiver's secret.
    let forged = MacSecret::from_bytes(&[6; 32]).unwrap().sender_key(
        Kid::new(b"sensor-7".to_vec()).unwrap(),
        MacAlgorithm::Hmac256_64,
    );
    let (forger, _fe) = A::connect(&Endpoint::new("forger", broker.port()), sealer(forged));
    A::publish(&forger, "plant/7/temp", QoS::AtLeastOnce, false, b"99")
        .await
        .unwrap();
    match next(&mut sub_events).await {
        Event::Rejected { reason, .. } => assert_eq!(reason.code(), "bad_signature"),
        other => panic!("a forged tag must be rejected, got {other:?}"),
    }
    A::publish(&publ, "office/door", QoS::AtLeastOnce, false, b"open")
        .await
        .unwrap();
    match next(&mut sub_events).await {
        Event::Rejected { reason, .. } => assert_eq!(reason, Rejection::TopicNotAuthorized),
        other => panic!("an unauthorized topic must be rejected, got {other:?}"),
    }
}

/// A plain message, an unknown sender and a trusted sender off its topics are rejected, with
/// their reasons, and never delivered.
pub async fn plain_forged_and_unauthorized_messages_are_rejected_not_delivered<A: Adapter>() {
    let broker = broker("");
    let (sub, mut sub_events) = subscriber::<A>(broker.port(), "sub");
    subscribe::<A>(&sub, &mut sub_events, "#", QoS::AtLeastOnce).await;

    payseal_testkit::plain::publish(broker.port(), "plain", "plant/3/temp", b"21.5")
        .await
        .unwrap();
    match next(&mut sub_events).await {
        Event::Rejected { topic, reason } => {
            assert_eq!(topic, "plant/3/temp");
            assert!(matches!(reason, Rejection::Malformed(_)), "{reason:?}");
        }
        other => panic!("a plain message must be rejected, got {other:?}"),
    }

    let stranger = SigningKey::from_secret_bytes(Algorithm::Ed25519, &[9; 32]).unwrap();
    let security =
        Security::new().sealer(Sealer::new(stranger, Counter::starting_at(1), SystemClock));
    let (forger, _e) = A::connect(&Endpoint::new("forger", broker.port()), security);
    A::publish(&forger, "plant/3/temp", QoS::AtLeastOnce, false, b"99")
        .await
        .unwrap();
    assert!(matches!(
        next(&mut sub_events).await,
        Event::Rejected {
            reason: Rejection::UnknownSender,
            ..
        }
    ));

    let (publ, _pe) = publisher::<A>(broker.port(), "pub");
    A::publish(&publ, "office/door", QoS::AtLeastOnce, false, b"open")
        .await
        .unwrap();
    assert!(matches!(
        next(&mut sub_events).await,
        Event::Rejected {
            reason: Rejection::TopicNotAuthorized,
            ..
        }
    ));
}

/// Encrypted to two of three subscribers: two decrypt, the third gets `NotForMe`.
pub async fn encrypted_to_three_subscribers_one_not_a_recipient<A: Adapter>() {
    let broker = broker("");
    let keys: Vec<RecipientKey> = (0..3)
        .map(|n| RecipientKey::from_secret_bytes(KemKind::X25519, &[n + 10; 32]).unwrap())
        .collect();
    let audience =
        Audience::recipients(keys[..2].iter().map(|k| Recipient::new(k.public_key()))).unwrap();
    let mut subs = Vec::new();
    for (n, key) in keys.iter().enumerate() {
        let mut keyring = Keyring::new();
        keyring.add_recipient_key(key.clone()).unwrap();
        let opener = Opener::new(trust(), Policy::default(), SystemClock).with_keyring(keyring);
        let endpoint = Endpoint::new(format!("sub{n}"), broker.port());
        let (client, mut events) = A::connect(&endpoint, Security::new().opener(opener));
        subscribe::<A>(&client, &mut events, "plant/#", QoS::AtLeastOnce).await;
        subs.push((client, events));
    }
    let sealer = Sealer::new(sensor_key(), Counter::from_unix_micros(), SystemClock)
        .with_audience("plant/+/secret", audience)
        .unwrap();
    let (publ, _pe) = A::connect(
        &Endpoint::new("pub", broker.port()),
        Security::new().sealer(sealer),
    );
    A::publish(
        &publ,
        "plant/3/secret",
        QoS::AtLeastOnce,
        false,
        b"code 1234",
    )
    .await
    .unwrap();
    for (n, (_, events)) in subs.iter_mut().enumerate() {
        match next(events).await {
            Event::Message(m) if n < 2 => {
                assert_eq!(m.verified.payload(), b"code 1234");
                assert!(m.verified.encryption().is_some());
            }
            Event::Rejected {
                reason: Rejection::NotForMe,
                ..
            } if n == 2 => {}
            other => panic!("subscriber {n}: {other:?}"),
        }
    }
}

/// 10,000 QoS 1 messages from a tight publish loop arrive exactly once, in order.
pub async fn ten_thousand_qos1_messages_exactly_once_in_order<A: Adapter>() {
    const N: usize = 10_000;
    let broker = broker("");
    let (sub, mut sub_events) = subscriber::<A>(broker.port(), "sub");
    subscribe::<A>(&sub, &mut sub_events, "plant/#", QoS::AtLeastOnce).await;
    let (publ, mut pe) = publisher::<A>(broker.port(), "pub");
    connected(&mut pe).await;
    let start = Instant::now();
    let sender = tokio::spawn(async move {
        for i in 0..N {
            let payload = format!("{i}");
            A::publish(
                &publ,
                "plant/3/temp",
                QoS::AtLeastOnce,
                false,
                payload.as_bytes(),
            )
            .await
            .unwrap_or_else(|e| panic!("publish {i}: {e:?}"));
        }
        publ
    });
    let mut last_seq = None;
    for i in 0..N {
        let event = tokio::time::timeout(WAIT, next(&mut sub_events)).await;
        let m = message(event.unwrap_or_else(|_| panic!("message {i} did not arrive")));
        assert_eq!(
            m.verified.payload(),
            format!("{i}").as_bytes(),
            "message {i}"
        );
        if let Some(last) = last_seq {
            assert!(m.verified.seq() > last, "in order");
        }
        last_seq = Some(m.verified.seq());
    }
    let elapsed = start.elapsed();
    let _publisher = sender.await.unwrap();
    let extra = tokio::time::timeout(Duration::from_millis(500), sub_events.recv()).await;
    assert!(
        !matches!(extra, Ok(Some(Event::Message(_)))),
        "a message arrived twice"
    );
    println!(
        "{}: {N} sealed QoS 1 messages in {elapsed:?} ({:.0} msgs/s)",
        A::NAME,
        N as f64 / elapsed.as_secs_f64()
    );
}

/// A publish made right after `connect`, before the connection is up, is not refused: it
/// waits and is delivered.
pub async fn publish_before_the_connection_is_up_is_delivered<A: Adapter>() {
    let broker = broker("");
    let (sub, mut sub_events) = subscriber::<A>(broker.port(), "sub");
    subscribe::<A>(&sub, &mut sub_events, "plant/#", QoS::AtLeastOnce).await;
    let (publ, _pub_events) = publisher::<A>(broker.port(), "eager");
    A::publish(&publ, "plant/3/temp", QoS::AtLeastOnce, false, b"early")
        .await
        .unwrap();
    assert_eq!(
        message(next(&mut sub_events).await).verified.payload(),
        b"early"
    );
}
