//! What a hostile broker can do with acknowledgements, and what the adapter makes of it
//! (issue 16, items 18, 21 and 22): a man in the middle (payseal-testkit's
//! Mitm) in front of a real Mosquitto rewrites acks and injects raw packets.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::time::{Duration, Instant};

use payseal::{Algorithm, Counter, Opener, Policy, Sealer, SigningKey, SystemClock, TrustStore};
use payseal_rumqttc::{Event, QoS, SecureClientV5, Security};
use payseal_testkit::Mosquitto;
use payseal_testkit::mitm::{AckTamper, Mitm, Out};
use payseal_testkit::mqtt::{Frame, Publish, ack_id, refuse_suback, v5_ack};
use payseal_testkit::relay::Relay;
use rumqttc::v5::MqttOptions;
use tokio::sync::mpsc::Receiver;

async fn mitm(broker: &Mosquitto, acks: AckTamper) -> Mitm {
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

fn publisher(port: u16) -> (SecureClientV5, Receiver<Event>) {
    let key = SigningKey::generate(Algorithm::Ed25519).unwrap();
    let security = Security::new().sealer(Sealer::new(key, Counter::starting_at(1), SystemClock));
    SecureClientV5::connect(
        MqttOptions::new("outcomes-pub", "127.0.0.1", port),
        security,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_puback_is_a_typed_flush_error_at_once() {
    let broker = Mosquitto::start().expect("mosquitto must be installed");
    let proxy = mitm(
        &broker,
        Box::new(|f: Frame| match f.packet_type() {
            4 => vec![v5_ack(4, ack_id(&f).unwrap(), 0x87, Some("no\u{7}\n"))],
            _ => vec![f],
        }),
    )
    .await;
    let (client, mut events) = publisher(proxy.port());
    connected(&mut events).await;
    tokio::spawn(async move { while events.recv().await.is_some() {} });
    client
        .publish("plant/1/temp", QoS::AtMostOnce, false, b"zero")
        .await
        .unwrap();
    client
        .publish("plant/1/temp", QoS::AtLeastOnce, false, b"one")
        .await
        .unwrap();
    let started = Instant::now();
    let undelivered = client.flush(Duration::from_secs(10)).await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(3));
    assert!(undelivered.unconfirmed.is_empty(), "{undelivered:?}");
    let refusal = &undelivered.refused[0];
    assert_eq!((refusal.index, refusal.code), (2, 0x87));
    assert_eq!(refusal.topic, "plant/1/temp");
    assert_eq!(refusal.reason.as_deref(), Some("no\\x07\\n"));
    // Reported once.
    client.flush(Duration::from_millis(100)).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bogus_and_duplicate_acks_confirm_nothing_and_resends_keep_the_envelope() {
    let broker = Mosquitto::start().expect("mosquitto must be installed");
    // Every PUBACK twice, and one invented PUBACK with it.
    let proxy = mitm(
        &broker,
        Box::new(|f: Frame| match f.packet_type() {
            4 => vec![f.clone(), f, Frame(vec![0x40, 2, 0x7f, 0x7f])],
            _ => vec![f],
        }),
    )
    .await;
    let (client, mut events) = publisher(proxy.port());
    connected(&mut events).await;
    tokio::spawn(async move { while events.recv().await.is_some() {} });
    for i in 0..3u8 {
        client
            .publish("plant/1/temp", QoS::AtLeastOnce, false, &[i])
            .await
            .unwrap();
    }
    client.flush(Duration::from_secs(20)).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_subscription_is_a_typed_event() {
    let broker = Mosquitto::start().expect("mosquitto must be installed");
    let proxy = mitm(&broker, Box::new(|f| vec![refuse_suback(f, 0x87)])).await;
    let security = Security::new().opener(Opener::new(
        TrustStore::new(),
        Policy::default(),
        SystemClock,
    ));
    let (client, mut events) = SecureClientV5::connect(
        MqttOptions::new("outcomes-refused", "127.0.0.1", proxy.port()),
        security,
    );
    connected(&mut events).await;
    client.subscribe("plant/#", QoS::AtLeastOnce).await.unwrap();
    match next(&mut events, 10).await {
        Event::SubscribeRefused { filter, code } => {
            assert_eq!((filter.as_str(), code), ("plant/#", 0x87));
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unconfirmed_publish_is_resent_with_the_same_envelope_after_a_dropped_connection() {
    let broker = Mosquitto::start().expect("mosquitto must be installed");
    let relay = Relay::start(broker.port()).await.unwrap();
    let key = SigningKey::generate(Algorithm::Ed25519).unwrap();
    let mut trust = TrustStore::new();
    trust.add_sender(key.verifying_key(), ["plant/#"]).unwrap();
    let (receiver, mut received) = payseal_rumqttc::SecureClient::connect(
        payseal_rumqttc::MqttOptions::new("outcomes-rx", "127.0.0.1", broker.port()),
        Security::new().opener(Opener::new(trust, Policy::default(), SystemClock)),
    );
    connected(&mut received).await;
    receiver
        .subscribe("plant/#", QoS::AtLeastOnce)
        .await
        .unwrap();
    let security = Security::new().sealer(Sealer::new(key, Counter::starting_at(1), SystemClock));
    let (client, mut events) = payseal_rumqttc::SecureClient::connect(
        payseal_rumqttc::MqttOptions::new("outcomes-tx", "127.0.0.1", relay.port()),
        security,
    );
    connected(&mut events).await;
    tokio::spawn(async move { while events.recv().await.is_some() {} });
    tokio::time::sleep(Duration::from_millis(300)).await;
    // The broker gets the message, its PUBACK is lost, then the connection drops.
    relay.swallow_down(true);
    client
        .publish("plant/1/temp", QoS::AtLeastOnce, false, b"21.5")
        .await
        .unwrap();
    assert!(relay.wait_swallowed_puback(Duration::from_secs(5)).await);
    relay.swallow_down(false);
    relay.cut();
    client.flush(Duration::from_secs(10)).await.unwrap();
    // Sent twice, with the same envelope.
    let payloads: Vec<Vec<u8>> = relay
        .sent()
        .iter()
        .filter_map(Publish::parse)
        .map(|p| p.payload)
        .collect();
    assert_eq!(payloads.len(), 2, "{payloads:?}");
    assert_eq!(payloads[0], payloads[1]);
    // The receiver: one message, then the resend as a duplicate of the same seq.
    match next(&mut received, 10).await {
        Event::Message(m) => assert_eq!(m.verified.payload(), b"21.5"),
        other => panic!("{other:?}"),
    }
    match next(&mut received, 10).await {
        Event::Duplicate { seq, .. } => assert_eq!(seq, 1),
        other => panic!("{other:?}"),
    }
}
