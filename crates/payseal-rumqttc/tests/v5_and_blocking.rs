//! The MQTT 5 client and the blocking client against a real Mosquitto.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::time::Duration;

use payseal::{Algorithm, Counter, Opener, Policy, Sealer, SigningKey, SystemClock, TrustStore};
use payseal_rumqttc::{
    BlockingClient, CONTENT_TYPE, Event, MqttOptions, QoS, SecureClientV5, Security,
};
use payseal_testkit::Mosquitto;

const WAIT: Duration = Duration::from_secs(10);

fn key() -> SigningKey {
    SigningKey::from_secret_bytes(Algorithm::Ed25519, &[3; 32]).unwrap()
}

fn security() -> Security {
    let mut trust = TrustStore::new();
    trust
        .add_sender(key().verifying_key(), ["plant/#"])
        .unwrap();
    Security::new()
        .sealer(Sealer::new(key(), Counter::from_unix_micros(), SystemClock))
        .opener(Opener::new(trust, Policy::default(), SystemClock))
}

async fn next_message(events: &mut tokio::sync::mpsc::Receiver<Event>) -> payseal_rumqttc::Message {
    tokio::time::timeout(WAIT, async {
        loop {
            match events.recv().await {
                Some(Event::Message(m)) => return m,
                Some(Event::Rejected { topic, reason }) => panic!("rejected on {topic}: {reason}"),
                Some(_) => {}
                None => panic!("closed"),
            }
        }
    })
    .await
    .expect("a message in time")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mqtt5_round_trip_with_content_type() {
    let broker = Mosquitto::start().expect("mosquitto must start");
    let options = |id: &str| rumqttc::v5::MqttOptions::new(id, broker.host(), broker.port());
    let (sub, mut sub_events) = SecureClientV5::connect(options("sub5"), security());
    // A plain MQTT 5 observer sees the envelope's content type.
    let (observer, mut observer_loop) = rumqttc::v5::AsyncClient::new(options("observer"), 10);
    observer
        .subscribe("plant/#", rumqttc::v5::mqttbytes::QoS::AtLeastOnce)
        .await
        .unwrap();
    let (ct_tx, mut ct_rx) = tokio::sync::mpsc::channel(1);
    tokio::spawn(async move {
        while let Ok(event) = observer_loop.poll().await {
            if let rumqttc::v5::Event::Incoming(rumqttc::v5::mqttbytes::v5::Packet::Publish(p)) =
                event
            {
                let _ = ct_tx.send(p.properties.and_then(|p| p.content_type)).await;
            }
        }
    });
    sub.subscribe("plant/#", QoS::AtLeastOnce).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (publ, _pe) = SecureClientV5::connect(options("pub5"), security());
    publ.publish("plant/3/temp", QoS::AtLeastOnce, false, b"21.5")
        .await
        .unwrap();
    let m = next_message(&mut sub_events).await;
    assert_eq!(m.verified.payload(), b"21.5");
    let content_type = tokio::time::timeout(WAIT, ct_rx.recv())
        .await
        .unwrap()
        .flatten();
    assert_eq!(content_type.as_deref(), Some(CONTENT_TYPE));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mqtt311_publisher_to_mqtt5_subscriber() {
    let broker = Mosquitto::start().expect("mosquitto must start");
    let (sub, mut sub_events) = SecureClientV5::connect(
        rumqttc::v5::MqttOptions::new("sub5", broker.host(), broker.port()),
        security(),
    );
    sub.subscribe("plant/#", QoS::ExactlyOnce).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (publ, _pe) = payseal_rumqttc::SecureClient::connect(
        MqttOptions::new("pub4", broker.host(), broker.port()),
        security(),
    );
    publ.publish("plant/1/flow", QoS::ExactlyOnce, false, b"3.2")
        .await
        .unwrap();
    let m = next_message(&mut sub_events).await;
    assert_eq!(m.verified.payload(), b"3.2");
    assert_eq!(m.qos, QoS::ExactlyOnce);
}

#[test]
fn blocking_client_round_trip() {
    let broker = Mosquitto::start().expect("mosquitto must start");
    let mut sub = BlockingClient::connect(
        MqttOptions::new("bsub", broker.host(), broker.port()),
        security(),
    )
    .unwrap();
    sub.subscribe("plant/#", QoS::AtLeastOnce).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let publ = BlockingClient::connect(
        MqttOptions::new("bpub", broker.host(), broker.port()),
        security(),
    )
    .unwrap();
    publ.publish("plant/9/level", QoS::AtLeastOnce, false, b"full")
        .unwrap();
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        assert!(std::time::Instant::now() < deadline, "no message");
        if let Some(Event::Message(m)) = sub.recv_timeout(Duration::from_millis(200)) {
            assert_eq!(m.verified.payload(), b"full");
            break;
        }
    }
    publ.disconnect().unwrap();
}
