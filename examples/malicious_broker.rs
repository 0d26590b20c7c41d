//! Over a real MQTT connection, through a broker that has been taken over: the broker is an
//! embedded rumqttd (no setup), and the dashboard connects through a proxy that forwards every
//! message, then injects a copy with one bit flipped and a replay. The application only ever
//! sees verified messages and typed rejections.
//!
//! Run: `cargo run --example malicious_broker`

use std::error::Error;
use std::process::ExitCode;
use std::time::Duration;

use payseal::{Algorithm, Counter, Opener, Policy, Sealer, SigningKey, SystemClock, TrustStore};
use payseal_rumqttc::{Event, MqttOptions, QoS, SecureClient, Security};
use payseal_testkit::mitm::{Mitm, Out};
use payseal_testkit::mqtt::Publish;

fn main() -> ExitCode {
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("no runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("malicious_broker example failed: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), Box<dyn Error>> {
    let port = payseal_cli::embedded_broker::start()?;
    let key = SigningKey::generate(Algorithm::Ed25519)?;
    let mut trust = TrustStore::new();
    trust.add_sender(key.verifying_key(), ["plant/#"])?;

    // The broker's evil twin: forward, then inject a tampered copy and a replay.
    let proxy = Mitm::start(
        port,
        Box::new(|publish: Publish| {
            let mut flipped = publish.clone();
            if let Some(last) = flipped.payload.last_mut() {
                *last ^= 1;
            }
            let replay = publish.clone();
            vec![
                Out::Forward(publish),
                Out::Inject(flipped),
                Out::Inject(replay),
            ]
        }),
    )
    .await?;

    let opener = Opener::new(trust, Policy::default(), SystemClock);
    let (dashboard, mut events) = SecureClient::connect(
        MqttOptions::new("dashboard", "127.0.0.1", proxy.port()),
        Security::new().opener(opener),
    );
    dashboard.subscribe("plant/#", QoS::AtLeastOnce).await?;
    tokio::time::sleep(Duration::from_millis(500)).await;

    let sealer = Sealer::new(key, Counter::starting_at(1), SystemClock);
    let (sensor, mut sensor_events) = SecureClient::connect(
        MqttOptions::new("sensor", "127.0.0.1", port),
        Security::new().sealer(sealer),
    );
    tokio::spawn(async move { while sensor_events.recv().await.is_some() {} });
    for reading in ["21.5 C", "21.6 C", "21.7 C"] {
        sensor
            .publish("plant/1/temp", QoS::AtLeastOnce, false, reading.as_bytes())
            .await?;
    }

    let (mut accepted, mut refused) = (0, 0);
    while accepted + refused < 9 {
        let event = tokio::time::timeout(Duration::from_secs(10), events.recv())
            .await
            .map_err(|_| format!("only {accepted} accepted and {refused} refused after 10 s"))?
            .ok_or("event stream closed")?;
        match event {
            Event::Message(m) => {
                accepted += 1;
                let payload = String::from_utf8_lossy(m.verified.payload()).into_owned();
                println!("accepted  seq {}: {payload}", m.verified.seq());
            }
            Event::Rejected { topic, reason } => {
                refused += 1;
                println!("rejected  on {topic}: {} ({reason})", reason.code());
            }
            Event::Duplicate { seq, .. } => {
                refused += 1;
                println!("rejected  a replay of seq {seq} (duplicate)");
            }
            _ => {}
        }
    }
    println!("{accepted} readings accepted, {refused} injected messages refused");
    if accepted != 3 || refused != 6 {
        return Err("expected 3 accepted and 6 refused".into());
    }
    Ok(())
}
