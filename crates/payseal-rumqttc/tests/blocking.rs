//! The blocking client against a real Mosquitto (the async clients run the conformance suite:
//! tests/conformance.rs).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::time::Duration;

use payseal::{Algorithm, Counter, Opener, Policy, Sealer, SigningKey, SystemClock, TrustStore};
use payseal_rumqttc::{BlockingClient, Event, MqttOptions, QoS, Security};
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
