//! A topic that is not valid UTF-8 is `invalid_topic` on MQTT 5, never repaired into another
//! topic (issue 16, item 19): rumqttc's MQTT 5 client hands the topic bytes over unchecked, so
//! a broker could deliver a message sealed for `plant/\u{fffd}` on the bytes `plant/\xff`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use payseal::{
    Algorithm, Counter, Opener, Policy, Rejection, Sealer, SigningKey, SystemClock, TrustStore,
};
use payseal_rumqttc::{Event, QoS, SecureClientV5, Security};
use payseal_testkit::Mosquitto;
use payseal_testkit::mitm::{Mitm, Out};
use payseal_testkit::mqtt::v5_publish_raw_topic;
use rumqttc::v5::MqttOptions;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn non_utf8_topic_is_invalid_topic_never_repaired() {
    let broker = Mosquitto::start().expect("mosquitto must be installed");
    let proxy = Mitm::start(broker.port(), Box::new(|p| vec![Out::Forward(p)]))
        .await
        .unwrap();
    let key = SigningKey::generate(Algorithm::Ed25519).unwrap();
    let mut trust = TrustStore::new();
    trust.add_sender(key.verifying_key(), ["plant/#"]).unwrap();
    // A trusted sender seals for the topic a lossy conversion of `plant/\xff` would give.
    let mut sealer = Sealer::new(key, Counter::starting_at(1), SystemClock);
    let envelope = sealer.seal("plant/\u{fffd}", b"open valve").unwrap();
    let security = Security::new().opener(Opener::new(trust, Policy::default(), SystemClock));
    let (client, mut events) = SecureClientV5::connect(
        MqttOptions::new("outcomes-sub", "127.0.0.1", proxy.port()),
        security,
    );
    loop {
        match tokio::time::timeout(Duration::from_secs(10), events.recv()).await {
            Ok(Some(Event::Connected { .. })) => break,
            Ok(Some(_)) => {}
            other => panic!("no CONNACK: {other:?}"),
        }
    }
    client.subscribe("plant/#", QoS::AtMostOnce).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    proxy.inject_frame(v5_publish_raw_topic(b"plant/\xff", &envelope));
    let event = tokio::time::timeout(Duration::from_secs(10), events.recv()).await;
    match event.unwrap().unwrap() {
        Event::Rejected { topic, reason } => {
            assert!(matches!(reason, Rejection::InvalidTopic), "{reason:?}");
            assert_eq!(topic, "plant/\\xff");
        }
        other => panic!("a repaired topic was not refused: {other:?}"),
    }
}
