//! Sealed vs plaintext throughput through a Mosquitto this example starts (256-byte payloads,
//! QoS 0 and 1, one run so the machine's noise hits both alike).
//!
//! Run: `cargo run --release --example rumqttc_throughput [messages]` (needs `mosquitto`).

use std::time::{Duration, Instant};

use payseal::{Algorithm, Counter, Opener, Policy, Sealer, SigningKey, SystemClock, TrustStore};
use payseal_rumqttc::{Event, MqttOptions, SecureClient, Security};
use rumqttc::QoS;
use payseal_testkit::Mosquitto;

const PAYLOAD: [u8; 256] = [0x42; 256];

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: usize = std::env::args().nth(1).map_or(Ok(20_000), |a| a.parse())?;
    let broker = Mosquitto::start()?;
    println!(
        "{n} messages of 256 bytes through Mosquitto on 127.0.0.1:{}",
        broker.port()
    );
    println!(
        "| QoS | plaintext msgs/s | sealed (Ed25519) msgs/s | sealed / plaintext | lost (plain, sealed) |"
    );
    println!("|---|---|---|---|---|");
    for qos in [QoS::AtMostOnce, QoS::AtLeastOnce] {
        let (plain_rate, plain_lost) = plaintext(&broker, qos, n).await?;
        let (sealed_rate, sealed_lost) = sealed(&broker, qos, n).await?;
        println!(
            "| {} | {plain_rate:.0} | {sealed_rate:.0} | {:.2} | {plain_lost}, {sealed_lost} |",
            qos as u8,
            sealed_rate / plain_rate
        );
    }
    Ok(())
}

fn options(broker: &Mosquitto, id: &str) -> MqttOptions {
    // Unique per run, so the clients of the QoS 0 round do not collide with these.
    let id = format!(
        "{id}-{}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos())
    );
    let mut o = MqttOptions::new(id, broker.host(), broker.port());
    o.set_max_packet_size(1 << 20, 1 << 20);
    o.set_inflight(1000);
    o
}

/// Messages per second from the first publish to the last message received (or a 2 s quiet
/// period, for QoS 0, which may drop), and how many never arrived.
async fn plaintext(
    broker: &Mosquitto,
    qos: QoS,
    n: usize,
) -> Result<(f64, usize), Box<dyn std::error::Error>> {
    let (sub, mut sub_loop) = rumqttc::AsyncClient::new(options(broker, "plain-sub"), 1000);
    sub.subscribe("bench/plain", qos).await?;
    // Wait for the SUBACK before publishing.
    loop {
        if let rumqttc::Event::Incoming(rumqttc::Packet::SubAck(_)) = sub_loop.poll().await? {
            break;
        }
    }
    let (publ, mut pub_loop) = rumqttc::AsyncClient::new(options(broker, "plain-pub"), 1000);
    tokio::spawn(async move { while pub_loop.poll().await.is_ok() {} });
    let start = Instant::now();
    tokio::spawn(async move {
        for _ in 0..n {
            if publ
                .publish("bench/plain", qos, false, PAYLOAD.to_vec())
                .await
                .is_err()
            {
                return;
            }
        }
    });
    let mut received = 0;
    let mut last = start;
    while received < n {
        match tokio::time::timeout(Duration::from_secs(2), sub_loop.poll()).await {
            Ok(Ok(rumqttc::Event::Incoming(rumqttc::Packet::Publish(_)))) => {
                received += 1;
                last = Instant::now();
            }
            Ok(Ok(_)) => {}
            Ok(Err(e)) => return Err(e.into()),
            Err(_) => break,
        }
    }
    Ok((received as f64 / (last - start).as_secs_f64(), n - received))
}

async fn sealed(
    broker: &Mosquitto,
    qos: QoS,
    n: usize,
) -> Result<(f64, usize), Box<dyn std::error::Error>> {
    let key = SigningKey::generate(Algorithm::Ed25519)?;
    let mut trust = TrustStore::new();
    trust.add_sender(key.verifying_key(), ["bench/#"])?;
    let policy = Policy::default().with_window(4096)?;
    let opener = Opener::new(trust, policy, SystemClock);
    let (sub, mut events) = SecureClient::connect(
        options(broker, "sealed-sub"),
        Security::new().opener(opener),
    );
    while !matches!(events.recv().await, Some(Event::Connected { .. })) {}
    sub.subscribe("bench/sealed", qos).await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let sealer = Sealer::new(key, Counter::from_unix_micros(), SystemClock);
    let (publ, _pub_events) = SecureClient::connect(
        options(broker, "sealed-pub"),
        Security::new().sealer(sealer),
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    let start = Instant::now();
    tokio::spawn(async move {
        for _ in 0..n {
            if publ
                .publish("bench/sealed", qos, false, &PAYLOAD)
                .await
                .is_err()
            {
                return;
            }
        }
    });
    let mut received = 0;
    let mut last = start;
    while received < n {
        match tokio::time::timeout(Duration::from_secs(2), events.recv()).await {
            Ok(Some(Event::Message(_))) => {
                received += 1;
                last = Instant::now();
            }
            Ok(Some(Event::Rejected { reason, .. })) => return Err(reason.into()),
            Ok(Some(_)) => {}
            Ok(None) | Err(_) => break,
        }
    }
    Ok((received as f64 / (last - start).as_secs_f64(), n - received))
}
