//! One client published from several tasks at once (each signing on its own thread): every
//! message arrives once and verifies, each with its own sequence number.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::BTreeSet;
use std::time::Duration;

use payseal::{Algorithm, Counter, Opener, Policy, Sealer, SigningKey, SystemClock, TrustStore};
use payseal_rumqttc::{Event, MqttOptions, QoS, SecureClient, Security};
use payseal_testkit::Mosquitto;
use tokio::sync::mpsc::Receiver;

const TASKS: u32 = 4;
const EACH: u32 = 150;

async fn next(events: &mut Receiver<Event>) -> Event {
    tokio::time::timeout(Duration::from_secs(10), events.recv())
        .await
        .expect("no event within 10 s")
        .expect("the event stream ended")
}

async fn connected(events: &mut Receiver<Event>) {
    while !matches!(next(events).await, Event::Connected { .. }) {}
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publishes_from_several_tasks_each_arrive_once_with_their_own_number() {
    let broker = Mosquitto::start().expect("mosquitto must be installed");
    let key = SigningKey::generate(Algorithm::Ed25519).unwrap();
    let mut trust = TrustStore::new();
    trust.add_sender(key.verifying_key(), ["plant/#"]).unwrap();
    let (receiver, mut received) = SecureClient::connect(
        MqttOptions::new("parallel-rx", "127.0.0.1", broker.port()),
        Security::new().opener(Opener::new(trust, Policy::default(), SystemClock)),
    );
    connected(&mut received).await;
    receiver
        .subscribe("plant/#", QoS::AtLeastOnce)
        .await
        .unwrap();
    let (client, mut events) = SecureClient::connect(
        MqttOptions::new("parallel-tx", "127.0.0.1", broker.port()),
        Security::new().sealer(Sealer::new(key, Counter::starting_at(1), SystemClock)),
    );
    connected(&mut events).await;
    tokio::spawn(async move { while events.recv().await.is_some() {} });

    let publishers: Vec<_> = (0..TASKS)
        .map(|t| {
            let client = client.clone();
            tokio::spawn(async move {
                for i in 0..EACH {
                    let payload = (t * EACH + i).to_be_bytes();
                    client
                        .publish("plant/1/temp", QoS::AtLeastOnce, false, payload)
                        .await
                        .unwrap();
                }
            })
        })
        .collect();
    for publisher in publishers {
        publisher.await.unwrap();
    }
    client.flush(Duration::from_secs(20)).await.unwrap();

    let (mut payloads, mut seqs) = (BTreeSet::new(), BTreeSet::new());
    while payloads.len() < (TASKS * EACH) as usize {
        match next(&mut received).await {
            Event::Message(m) => {
                let payload: [u8; 4] = m.verified.payload().try_into().unwrap();
                assert!(payloads.insert(u32::from_be_bytes(payload)), "twice");
                assert!(seqs.insert(m.verified.seq()), "a number used twice");
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(payloads, (0..TASKS * EACH).collect());
    assert_eq!(seqs, (1..=u64::from(TASKS * EACH)).collect());
}
