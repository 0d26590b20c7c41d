//! A broker that refuses a message (MQTT 5 PUBACK or PUBREC reason code of 0x80 or more)
//! makes `publish` fail at once with a typed error naming the code, with the broker's reason
//! string escaped (issue 16, item 18); a refused subscription is an error too (item 22); a
//! publish left unconfirmed by a dropped connection is sent again after the reconnect with the
//! same envelope (item 21).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::time::{Duration, Instant};

use payseal::{Algorithm, Counter, Opener, Policy, Sealer, SigningKey, SystemClock, TrustStore};
use payseal_paho::{Event, MqttOptions, PublishError, QoS, SecureClientV5, Security};
use payseal_testkit::Mosquitto;
use payseal_testkit::mitm::{AckTamper, Mitm, Out};
use payseal_testkit::mqtt::{Frame, Publish, ack_id, refuse_suback, v5_ack};
use payseal_testkit::relay::Relay;
use tokio::sync::mpsc::Receiver;

async fn through(broker: &Mosquitto, acks: AckTamper) -> Mitm {
    Mitm::start_with_acks(broker.port(), Box::new(|p| vec![Out::Forward(p)]), acks)
        .await
        .unwrap()
}

async fn connected(events: &mut Receiver<Event>) {
    loop {
        match tokio::time::timeout(Duration::from_secs(10), events.recv()).await {
            Ok(Some(Event::Connected { .. })) => return,
            Ok(Some(_)) => {}
            other => panic!("no CONNACK: {other:?}"),
        }
    }
}

fn client(port: u16, id: &str) -> (SecureClientV5, Receiver<Event>) {
    let key = SigningKey::generate(Algorithm::Ed25519).unwrap();
    let security = Security::new().sealer(Sealer::new(key, Counter::starting_at(1), SystemClock));
    SecureClientV5::connect(MqttOptions::new(id, "127.0.0.1", port), security).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_puback_is_a_typed_publish_error_at_once() {
    let broker = Mosquitto::start().expect("mosquitto must start");
    for (qos, packet_type) in [(QoS::AtLeastOnce, 4u8), (QoS::ExactlyOnce, 5u8)] {
        let proxy = through(
            &broker,
            Box::new(move |f: Frame| {
                if f.packet_type() == packet_type {
                    vec![v5_ack(
                        packet_type,
                        ack_id(&f).unwrap(),
                        0x87,
                        Some("acl\u{1b}[2J"),
                    )]
                } else {
                    vec![f]
                }
            }),
        )
        .await;
        let (client, mut events) = client(proxy.port(), &format!("paho-refused-{packet_type}"));
        connected(&mut events).await;
        let started = Instant::now();
        let error = client
            .publish("plant/1/temp", qos, false, b"21.5")
            .await
            .unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(5));
        match error {
            PublishError::Refused(refusal) => {
                assert_eq!((refusal.index, refusal.code), (1, 0x87));
                assert_eq!(refusal.reason.as_deref(), Some("acl\\x1b[2J"));
            }
            other => panic!("{qos:?}: {other:?}"),
        }
        client.disconnect().await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_subscription_is_an_error() {
    let broker = Mosquitto::start().expect("mosquitto must start");
    let proxy = through(&broker, Box::new(|f| vec![refuse_suback(f, 0x87)])).await;
    let (client, mut events) = client(proxy.port(), "paho-refused-sub");
    connected(&mut events).await;
    let error = client.subscribe("plant/#", QoS::AtLeastOnce).await;
    assert!(
        matches!(&error, Err(payseal_paho::Error::SubscribeRefused { filter, code: 0x87 }) if filter == "plant/#"),
        "{error:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_subscription_before_the_connection_is_a_typed_event() {
    let broker = Mosquitto::start().expect("mosquitto must start");
    for (v5, code) in [(true, 0x87u8), (false, 0x80u8)] {
        let proxy = through(&broker, Box::new(move |f| vec![refuse_suback(f, code)])).await;
        let security = Security::new();
        let options = MqttOptions::new(format!("paho-early-{v5}"), "127.0.0.1", proxy.port());
        // Subscribed before the connection is up: the adapter subscribes at connect, and
        // `subscribe` returns the broker's answer (on a loaded machine the connection can win
        // the race; then `subscribe` is refused directly, with the same error).
        let (subscribed, mut events) = if v5 {
            let (c, e) = SecureClientV5::connect(options, security).unwrap();
            (c.subscribe("plant/#", QoS::AtLeastOnce).await, e)
        } else {
            let (c, e) = payseal_paho::SecureClient::connect(options, security).unwrap();
            (c.subscribe("plant/#", QoS::AtLeastOnce).await, e)
        };
        match &subscribed {
            Err(payseal_paho::Error::SubscribeRefused { filter, code: got }) => {
                assert_eq!((filter.as_str(), *got), ("plant/#", code), "v5={v5}");
            }
            other => panic!("v5={v5}: not refused: {other:?}"),
        }
        // Refused at the connection's own SUBSCRIBE, it is also reported as an event.
        let deadline = Instant::now() + Duration::from_secs(2);
        while let Ok(Some(event)) = tokio::time::timeout_at(deadline.into(), events.recv()).await {
            if let Event::SubscribeRefused { filter, code: got } = event {
                assert_eq!((filter.as_str(), got), ("plant/#", code));
                break;
            }
        }
    }
}

/// The next event that is not a connection change, within `secs`.
async fn next(events: &mut Receiver<Event>, secs: u64) -> Event {
    loop {
        match tokio::time::timeout(Duration::from_secs(secs), events.recv()).await {
            Ok(Some(Event::Connected { .. } | Event::Disconnected { .. })) => {}
            Ok(Some(event)) => return event,
            other => panic!("no event: {other:?}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unconfirmed_publish_is_resent_with_the_same_envelope_after_a_dropped_connection() {
    let broker = Mosquitto::start().expect("mosquitto must start");
    for v5 in [false, true] {
        let relay = Relay::start(broker.port()).await.unwrap();
        let key = SigningKey::generate(Algorithm::Ed25519).unwrap();
        let mut trust = TrustStore::new();
        trust.add_sender(key.verifying_key(), ["plant/#"]).unwrap();
        let (receiver, mut received) = payseal_paho::SecureClient::connect(
            MqttOptions::new(format!("paho-resend-rx-{v5}"), "127.0.0.1", broker.port()),
            Security::new().opener(Opener::new(trust, Policy::default(), SystemClock)),
        )
        .unwrap();
        connected(&mut received).await;
        receiver
            .subscribe("plant/#", QoS::AtLeastOnce)
            .await
            .unwrap();
        let security =
            Security::new().sealer(Sealer::new(key, Counter::starting_at(1), SystemClock));
        let options = MqttOptions::new(format!("paho-resend-tx-{v5}"), "127.0.0.1", relay.port());
        // Once connected, what the broker sends is swallowed: the PUBACK of the publish too.
        let publish = if v5 {
            let (c, mut e) = SecureClientV5::connect(options, security).unwrap();
            connected(&mut e).await;
            hold_and_drain(&relay, e).await;
            tokio::spawn(async move {
                c.publish("plant/1/temp", QoS::AtLeastOnce, false, b"21.5")
                    .await
            })
        } else {
            let (c, mut e) = payseal_paho::SecureClient::connect(options, security).unwrap();
            connected(&mut e).await;
            hold_and_drain(&relay, e).await;
            tokio::spawn(async move {
                c.publish("plant/1/temp", QoS::AtLeastOnce, false, b"21.5")
                    .await
            })
        };
        // The broker gets the message, its PUBACK is lost, then the connection drops.
        assert!(
            relay.wait_swallowed_puback(Duration::from_secs(5)).await,
            "v5={v5}"
        );
        relay.swallow_down(false);
        relay.cut();
        let outcome = tokio::time::timeout(Duration::from_secs(15), publish)
            .await
            .expect("publish must end once the resend is confirmed")
            .unwrap();
        assert!(outcome.is_ok(), "v5={v5}: {outcome:?}");
        // Sent twice, with the same envelope.
        let payloads: Vec<Vec<u8>> = relay
            .sent()
            .iter()
            .filter_map(Publish::parse)
            .map(|p| p.payload)
            .collect();
        assert_eq!(payloads.len(), 2, "v5={v5}: {payloads:?}");
        assert_eq!(payloads[0], payloads[1], "v5={v5}");
        // The receiver: one message, then at most the resend as a duplicate of the same seq.
        match next(&mut received, 10).await {
            Event::Message(m) => assert_eq!(m.verified.payload(), b"21.5"),
            other => panic!("v5={v5}: {other:?}"),
        }
        match next(&mut received, 10).await {
            Event::Duplicate { seq, .. } => assert_eq!(seq, 1, "v5={v5}"),
            other => panic!("v5={v5}: {other:?}"),
        }
        receiver.disconnect().await.unwrap();
    }
}

/// Swallows what the broker sends from now on, and drains the publisher's events.
async fn hold_and_drain(relay: &Relay, mut events: Receiver<Event>) {
    tokio::time::sleep(Duration::from_millis(300)).await;
    relay.swallow_down(true);
    tokio::spawn(async move { while events.recv().await.is_some() {} });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bogus_and_duplicate_acks_confirm_nothing() {
    let broker = Mosquitto::start().expect("mosquitto must start");
    // Every PUBACK twice, and one invented PUBACK with it.
    let proxy = through(
        &broker,
        Box::new(|f: Frame| match f.packet_type() {
            4 => vec![f.clone(), f, Frame(vec![0x40, 2, 0x7f, 0x7f])],
            _ => vec![f],
        }),
    )
    .await;
    let (client, mut events) = client(proxy.port(), "paho-bogus-acks");
    connected(&mut events).await;
    tokio::spawn(async move { while events.recv().await.is_some() {} });
    for i in 0..3u8 {
        let outcome = tokio::time::timeout(
            Duration::from_secs(15),
            client.publish("plant/1/temp", QoS::AtLeastOnce, false, &[i]),
        )
        .await
        .expect("publish must end");
        assert!(outcome.is_ok(), "{i}: {outcome:?}");
    }
    client.disconnect().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unconfirmed_publish_at_disconnect_is_a_typed_error() {
    let broker = Mosquitto::start().expect("mosquitto must start");
    let relay = Relay::start(broker.port()).await.unwrap();
    let (client, mut events) = client(relay.port(), "paho-unconfirmed-close");
    connected(&mut events).await;
    hold_and_drain(&relay, events).await;
    let publisher = client.clone();
    let publish = tokio::spawn(async move {
        publisher
            .publish("plant/1/temp", QoS::AtLeastOnce, false, b"21.5")
            .await
    });
    assert!(relay.wait_swallowed_puback(Duration::from_secs(5)).await);
    // The DISCONNECT is written; the broker's answer (none) is swallowed anyway.
    let _ = client.disconnect().await;
    let outcome = tokio::time::timeout(Duration::from_secs(10), publish)
        .await
        .expect("publish must end when the client closes")
        .unwrap();
    match outcome {
        Err(PublishError::Unconfirmed(u)) => {
            assert_eq!((u.index, u.topic.as_str()), (1, "plant/1/temp"));
        }
        other => panic!("{other:?}"),
    }
}
