//! `subscribe` called before the first connection is up returns only once the broker
//! acknowledged it: a message published right after it returned is not lost (paho sends the
//! publishes it buffered while disconnected as soon as it connects, before anything else).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::time::Duration;

use payseal::{Algorithm, Counter, Opener, Policy, Sealer, SigningKey, SystemClock, TrustStore};
use payseal_paho::{Error, Event, MqttOptions, QoS, SecureClient, SecureClientV5, Security};
use payseal_testkit::Mosquitto;

fn security() -> Security {
    let key = SigningKey::generate(Algorithm::Ed25519).unwrap();
    let mut trust = TrustStore::new();
    trust.add_sender(key.verifying_key(), ["plant/#"]).unwrap();
    Security::new()
        .sealer(Sealer::new(key, Counter::starting_at(1), SystemClock))
        .opener(Opener::new(trust, Policy::default(), SystemClock))
}

async fn received(events: &mut tokio::sync::mpsc::Receiver<Event>, n: usize) -> Vec<Vec<u8>> {
    let mut got = Vec::new();
    while got.len() < n {
        match tokio::time::timeout(Duration::from_secs(5), events.recv()).await {
            Ok(Some(Event::Message(m))) => got.push(m.verified.payload().to_vec()),
            Ok(Some(_)) => {}
            Ok(None) | Err(_) => break,
        }
    }
    got
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_message_after_an_early_subscribe_arrives() {
    let broker = Mosquitto::start().expect("mosquitto must be installed");
    for round in 0..3 {
        let options = MqttOptions::new(format!("early-{round}"), "127.0.0.1", broker.port());
        let (client, mut events) = SecureClient::connect(options, security()).unwrap();
        // Called at once: the connection is not up yet.
        client.subscribe("plant/#", QoS::AtLeastOnce).await.unwrap();
        for i in 0..5u8 {
            client
                .publish("plant/3/temp", QoS::AtLeastOnce, false, [i])
                .await
                .unwrap();
        }
        let got = received(&mut events, 5).await;
        assert_eq!(
            got,
            (0..5u8).map(|i| vec![i]).collect::<Vec<_>>(),
            "round {round}"
        );
        client.disconnect().await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_over_mqtt5() {
    let broker = Mosquitto::start().expect("mosquitto must be installed");
    let options = MqttOptions::new("early-v5", "127.0.0.1", broker.port());
    let (client, mut events) = SecureClientV5::connect(options, security()).unwrap();
    client.subscribe("plant/#", QoS::AtLeastOnce).await.unwrap();
    client
        .publish("plant/3/temp", QoS::AtLeastOnce, false, "21.5")
        .await
        .unwrap();
    assert_eq!(received(&mut events, 1).await, vec![b"21.5".to_vec()]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_early_subscribe_ends_with_closed_when_the_client_disconnects() {
    let port = Mosquitto::start()
        .expect("mosquitto must be installed")
        .kill();
    let options = MqttOptions::new("never", "127.0.0.1", port);
    let (client, _events) = SecureClient::connect(options, security()).unwrap();
    let waiting = {
        let client = client.clone();
        tokio::spawn(async move { client.subscribe("plant/#", QoS::AtLeastOnce).await })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!waiting.is_finished(), "no broker, no SUBACK");
    let _ = client.disconnect().await;
    let outcome = tokio::time::timeout(Duration::from_secs(5), waiting)
        .await
        .expect("the waiting subscribe ends")
        .unwrap();
    assert!(matches!(outcome, Err(Error::Closed)), "{outcome:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publishes_cancelled_before_a_broker_is_up_leave_flush_working() {
    let port = Mosquitto::start()
        .expect("mosquitto must be installed")
        .kill();
    let options = MqttOptions::new("cancelled", "127.0.0.1", port);
    let (client, mut events) = SecureClient::builder(options, security())
        .request_queue(2)
        .connect()
        .unwrap();
    tokio::spawn(async move { while events.recv().await.is_some() {} });
    let mut timed_out = 0;
    for i in 0..6u8 {
        let publish = client.publish("plant/3/temp", QoS::AtLeastOnce, false, [i]);
        if tokio::time::timeout(Duration::from_millis(20), publish)
            .await
            .is_err()
        {
            timed_out += 1;
        }
    }
    assert_eq!(timed_out, 6, "no broker: nothing is confirmed");
    assert!(matches!(
        client.try_publish("plant/3/temp", QoS::AtLeastOnce, false, b"x"),
        Err(Error::QueueFull)
    ));
    let _broker = Mosquitto::start_on(port, "").expect("mosquitto restarts on its port");
    client
        .flush(Duration::from_secs(20))
        .await
        .expect("the cancelled publishes are settled once the broker is up");
}
