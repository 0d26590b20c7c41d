//! Cancel safety: publishes dropped while they wait for room in the request queue (no broker
//! up) leave the books right, so `flush` works once a broker is there; calls after
//! `disconnect` fail with `Closed`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::time::Duration;

use payseal::{Algorithm, Counter, Sealer, SigningKey, SystemClock};
use payseal_rumqttc::{Error, Event, MqttOptions, QoS, SecureClient, Security};
use payseal_testkit::Mosquitto;

fn security() -> Security {
    let key = SigningKey::generate(Algorithm::Ed25519).unwrap();
    Security::new().sealer(Sealer::new(key, Counter::starting_at(1), SystemClock))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publishes_cancelled_on_a_full_queue_leave_flush_working() {
    // A port where no broker listens yet.
    let port = Mosquitto::start()
        .expect("mosquitto must be installed")
        .kill();
    let (client, mut events) =
        SecureClient::builder(MqttOptions::new("cancelled", "127.0.0.1", port), security())
            .request_queue(2)
            .connect()
            .unwrap();
    tokio::spawn(async move { while events.recv().await.is_some() {} });

    let mut timed_out = 0;
    for i in 0..20u32 {
        let publish = client.publish("plant/1/temp", QoS::AtLeastOnce, false, i.to_be_bytes());
        if tokio::time::timeout(Duration::from_millis(20), publish)
            .await
            .is_err()
        {
            timed_out += 1;
        }
    }
    assert!(
        timed_out > 0,
        "the queue never filled: nothing was cancelled"
    );
    assert!(
        client.flush(Duration::from_millis(100)).await.is_err(),
        "nothing can be confirmed without a broker"
    );

    let _broker = Mosquitto::start_on(port, "").expect("mosquitto restarts on its port");
    client
        .flush(Duration::from_secs(20))
        .await
        .expect("every queued publish is confirmed once the broker is up");
    client
        .publish("plant/1/temp", QoS::AtLeastOnce, false, b"after".to_vec())
        .await
        .unwrap();
    client.flush(Duration::from_secs(10)).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_call_after_disconnect_is_closed() {
    let broker = Mosquitto::start().expect("mosquitto must be installed");
    let (client, mut events) = SecureClient::connect(
        MqttOptions::new("closer", "127.0.0.1", broker.port()),
        security(),
    );
    loop {
        match tokio::time::timeout(Duration::from_secs(10), events.recv()).await {
            Ok(Some(Event::Connected { .. })) => break,
            Ok(Some(_)) => {}
            other => panic!("no CONNACK: {other:?}"),
        }
    }
    client.disconnect().await.unwrap();
    let publish = client.publish("plant/1/temp", QoS::AtLeastOnce, false, "21.5");
    assert!(matches!(publish.await, Err(Error::Closed)));
    assert!(matches!(
        client.try_publish("plant/1/temp", QoS::AtLeastOnce, false, "21.5"),
        Err(Error::Closed)
    ));
    assert!(matches!(
        client.subscribe("plant/#", QoS::AtLeastOnce).await,
        Err(Error::Closed)
    ));
    assert!(matches!(client.disconnect().await, Err(Error::Closed)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn try_publish_says_when_the_queue_is_full() {
    let port = Mosquitto::start()
        .expect("mosquitto must be installed")
        .kill();
    let (client, _events) =
        SecureClient::builder(MqttOptions::new("full", "127.0.0.1", port), security())
            .request_queue(1)
            .connect()
            .unwrap();
    let mut full = false;
    for _ in 0..10 {
        match client.try_publish("plant/1/temp", QoS::AtLeastOnce, false, b"x") {
            Ok(()) => {}
            Err(Error::QueueFull) => {
                full = true;
                break;
            }
            Err(e) => panic!("unexpected: {e}"),
        }
    }
    assert!(full);
}
