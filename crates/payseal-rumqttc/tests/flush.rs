//! `flush` waits for the broker's acknowledgements of QoS 1 and 2 publishes, and says so when
//! they do not come.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::time::Duration;

use payseal::{Algorithm, Counter, Sealer, SigningKey, SystemClock};
use payseal_rumqttc::{Event, MqttOptions, QoS, SecureClient, Security};
use payseal_testkit::Mosquitto;

fn publisher(port: u16) -> (SecureClient, tokio::sync::mpsc::Receiver<Event>) {
    let key = SigningKey::generate(Algorithm::Ed25519).unwrap();
    let security = Security::new().sealer(Sealer::new(key, Counter::starting_at(1), SystemClock));
    SecureClient::connect(MqttOptions::new("flusher", "127.0.0.1", port), security)
}

async fn connected(events: &mut tokio::sync::mpsc::Receiver<Event>) {
    loop {
        match tokio::time::timeout(Duration::from_secs(10), events.recv()).await {
            Ok(Some(Event::Connected { .. })) => return,
            Ok(Some(_)) => {}
            other => panic!("no CONNACK: {other:?}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flush_returns_once_every_qos1_and_qos2_publish_is_acknowledged() {
    let broker = Mosquitto::start().expect("mosquitto must be installed");
    let (client, mut events) = publisher(broker.port());
    connected(&mut events).await;
    tokio::spawn(async move { while events.recv().await.is_some() {} });
    for i in 0..200u32 {
        let qos = if i % 2 == 0 {
            QoS::AtLeastOnce
        } else {
            QoS::ExactlyOnce
        };
        client
            .publish("plant/1/temp", qos, false, &i.to_be_bytes())
            .await
            .unwrap();
    }
    client
        .flush(Duration::from_secs(20))
        .await
        .expect("acks did not all arrive");
    // Nothing outstanding: returns at once.
    client.flush(Duration::from_millis(1)).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flush_times_out_when_the_broker_is_gone() {
    let broker = Mosquitto::start().expect("mosquitto must be installed");
    let (client, mut events) = publisher(broker.port());
    connected(&mut events).await;
    tokio::spawn(async move { while events.recv().await.is_some() {} });
    broker.kill();
    client
        .publish("plant/1/temp", QoS::AtLeastOnce, false, b"lost?")
        .await
        .unwrap();
    let undelivered = client.flush(Duration::from_millis(800)).await.unwrap_err();
    assert_eq!(undelivered.unconfirmed.len(), 1);
    assert_eq!(undelivered.unconfirmed[0].index, 1);
    assert!(undelivered.refused.is_empty());
}
