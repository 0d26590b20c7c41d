//! payseal over rumqttc against a broker you name: publishes three sealed readings and prints
//! what the subscriber verifies.
//!
//! Run: `cargo run --example rumqttc_external -- [host] [port]` (default 127.0.0.1 1883).

use std::time::Duration;

use payseal::{Algorithm, Counter, Opener, Policy, Sealer, SigningKey, SystemClock, TrustStore};
use payseal_rumqttc::{Event, MqttOptions, QoS, SecureClient, Security};

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let host = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1".into());
    let port: u16 = std::env::args().nth(2).map_or(Ok(1883), |p| p.parse())?;
    let key = SigningKey::generate(Algorithm::Ed25519)?;
    let mut trust = TrustStore::new();
    trust.add_sender(key.verifying_key(), ["payseal-demo/#"])?;
    let security = Security::new()
        .sealer(Sealer::new(key, Counter::from_unix_micros(), SystemClock))
        .opener(Opener::new(trust, Policy::default(), SystemClock));
    let id = format!("payseal-external-{}", std::process::id());
    let (client, mut events) =
        SecureClient::connect(MqttOptions::new(id, host.clone(), port), security);
    client.subscribe("payseal-demo/#", QoS::AtLeastOnce).await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    for i in 0..3 {
        client
            .publish(
                "payseal-demo/sensor/temp",
                QoS::AtLeastOnce,
                false,
                format!("21.{i}").as_bytes(),
            )
            .await?;
    }
    let mut verified = 0;
    while verified < 3 {
        match tokio::time::timeout(Duration::from_secs(10), events.recv()).await {
            Ok(Some(Event::Message(m))) => {
                verified += 1;
                println!(
                    "verified {} seq {} from {}: {}",
                    m.verified.topic(),
                    m.verified.seq(),
                    m.verified.sender(),
                    String::from_utf8_lossy(m.verified.payload())
                );
            }
            Ok(Some(Event::Rejected { topic, reason })) => println!("refused on {topic}: {reason}"),
            Ok(Some(Event::Disconnected { error })) => {
                println!("connection to {host}:{port}: {error}")
            }
            Ok(Some(_)) => {}
            Ok(None) | Err(_) => return Err(format!("no answer from {host}:{port}").into()),
        }
    }
    client.disconnect().await?;
    Ok(())
}
