//! Sealed vs plaintext throughput through one Mosquitto this example starts, for both
//! adapters (payseal-rumqttc and payseal-paho), 256-byte payloads, QoS 0 and 1, in one run so
//! the machine's noise hits every row alike. Each rate runs from the first publish to the
//! last message received (or a 2 s quiet period, for QoS 0, which may drop).
//!
//! paho rows: "1 in flight" is a loop that awaits every publish (the sealed client returns
//! when paho's delivery token completes, as the plaintext loop waits for it too); "64 in
//! flight" keeps 64 publishes outstanding (64 tasks sharing one sealed client, or 64 tokens
//! for plaintext).
//!
//! Run: `cargo run --release --example adapters_throughput [messages]` (needs `mosquitto`).

mod paho;
mod rumqttc;

use std::time::{Duration, Instant};

use payseal::{Algorithm, Opener, Policy, SigningKey, SystemClock, TrustStore};
use payseal_testkit::Mosquitto;

const PAYLOAD: [u8; 256] = [0x42; 256];

/// Messages per second and messages lost.
type Rate = (f64, usize);

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<()> {
    let n: usize = std::env::args().nth(1).map_or(Ok(20_000), |a| a.parse())?;
    let broker = Mosquitto::start()?;
    println!(
        "{n} messages of 256 bytes through Mosquitto on 127.0.0.1:{}",
        broker.port()
    );
    println!(
        "| client | QoS | plaintext msgs/s | sealed (Ed25519) msgs/s | sealed / plaintext | lost (plain, sealed) |"
    );
    println!("|---|---|---|---|---|---|");
    for qos in [0u8, 1] {
        let rows = [
            (
                "rumqttc",
                rumqttc::plaintext(&broker, qos, n).await?,
                rumqttc::sealed(&broker, qos, n).await?,
            ),
            (
                "paho, 1 in flight",
                paho::plaintext(&broker, qos, n, 1).await?,
                paho::sealed(&broker, qos, n, 1).await?,
            ),
            (
                "paho, 64 in flight",
                paho::plaintext(&broker, qos, n, 64).await?,
                paho::sealed(&broker, qos, n, 64).await?,
            ),
        ];
        for (client, (plain, plain_lost), (sealed, sealed_lost)) in rows {
            println!(
                "| {client} | {qos} | {plain:.0} | {sealed:.0} | {:.2} | {plain_lost}, {sealed_lost} |",
                sealed / plain
            );
        }
    }
    Ok(())
}

/// A unique client id, so the clients of one round never collide with another's.
fn client_id(name: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("{name}-{nanos}")
}

/// A fresh sender key and an opener that trusts it on `bench/#`.
fn keys() -> Result<(SigningKey, Opener<payseal::MemoryReplayStore, SystemClock>)> {
    let key = SigningKey::generate(Algorithm::Ed25519)?;
    let mut trust = TrustStore::new();
    trust.add_sender(key.verifying_key(), ["bench/#"])?;
    let policy = Policy::default().with_window(4096)?;
    Ok((key, Opener::new(trust, policy, SystemClock)))
}

/// Counts verified messages until `n` arrived or 2 s pass without one (both adapters share
/// the event type).
async fn count_events(
    events: &mut tokio::sync::mpsc::Receiver<payseal_paho::Event>,
    n: usize,
    start: Instant,
) -> Result<Rate> {
    let mut received = 0;
    let mut last = start;
    while received < n {
        match tokio::time::timeout(Duration::from_secs(2), events.recv()).await {
            Ok(Some(payseal_paho::Event::Message(_))) => {
                received += 1;
                last = Instant::now();
            }
            Ok(Some(payseal_paho::Event::Rejected { reason, .. })) => return Err(reason.into()),
            Ok(Some(_)) => {}
            Ok(None) | Err(_) => break,
        }
    }
    Ok((received as f64 / (last - start).as_secs_f64(), n - received))
}
