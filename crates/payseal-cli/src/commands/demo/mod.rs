//! `payseal demo`: a sensor, two dashboards and a malicious broker, all in this process on
//! an embedded rumqttd. The sensor publishes readings (signed, and encrypted to dashboard A
//! only) and status messages (signed only). Each dashboard connects through a proxy that
//! plays a broker taken over by an attacker: it forwards every message and injects an attack
//! after each reading. The demo ends with a table, and fails (exit 6) unless every reading
//! reached dashboard A, every status message reached both, and no attack got through.

mod attacks;
mod dashboard;
mod summary;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use payseal::{
    Algorithm, Audience, Counter, KemKind, Keyring, Opener, Policy, Recipient, RecipientKey,
    Sealer, SigningKey, SystemClock, TrustStore,
};
use payseal_mitm::mitm::Mitm;
use payseal_rumqttc::{SecureClient, Security};
use rumqttc::{MqttOptions, QoS};
use tokio::time::Instant;

use crate::Failure;
use crate::cli::DemoArgs;
use crate::commands::mqtt::{runtime, wait_connected};
use dashboard::Tally;

/// How long the demo waits for the last messages before it gives its verdict.
const SETTLE: Duration = Duration::from_secs(20);

/// One dashboard: its name, what it saw and what its broker injected.
struct Watched {
    label: &'static str,
    recipient: bool,
    tally: Arc<Mutex<Tally>>,
    injected: attacks::Injected,
    _client: SecureClient,
    _proxy: Mitm,
}

pub(crate) fn run(args: &DemoArgs) -> Result<(), Failure> {
    runtime()?.block_on(demo(args.readings))
}

async fn demo(readings: u64) -> Result<(), Failure> {
    let port = crate::embedded_broker::start()?;
    println!("payseal demo: an embedded MQTT broker (rumqttd) on 127.0.0.1:{port}.");
    println!(
        "A sensor publishes readings on plant/1/temp, signed and encrypted to dashboard A only,"
    );
    println!(
        "and status messages on plant/1/status, signed only. Each dashboard connects through a"
    );
    println!(
        "malicious broker that forwards everything and injects an attack after every reading.\n"
    );

    let bad_key = |e: payseal::KeyError| Failure::BadInput(format!("key generation failed: {e}"));
    let bad_config = |e: payseal::ConfigError| Failure::BadInput(e.to_string());
    let sensor_key = SigningKey::generate(Algorithm::Ed25519).map_err(bad_key)?;
    let dashboard_a_key = RecipientKey::generate(KemKind::X25519).map_err(bad_key)?;
    let sensor_kid = sensor_key.kid();
    let mut trust = TrustStore::new();
    trust
        .add_sender(
            sensor_key.verifying_key(),
            ["plant/+/temp", "plant/+/status"],
        )
        .map_err(bad_config)?;
    println!(
        "[sensor ] key {sensor_kid} (Ed25519); both dashboards trust it on plant/+/temp and plant/+/status"
    );
    println!(
        "[dash-A ] encryption key {} (X25519); dashboard B has none\n",
        dashboard_a_key.kid()
    );

    let audience =
        Audience::recipients([Recipient::new(dashboard_a_key.public_key())]).map_err(bad_config)?;
    let sent = Arc::new(Mutex::new(Vec::<Vec<u8>>::new()));
    let mut dashboards = Vec::new();
    for (label, key) in [("dash-A", Some(dashboard_a_key.clone())), ("dash-B", None)] {
        let mut keyring = Keyring::new();
        keyring
            .require_encryption("plant/+/temp")
            .map_err(bad_config)?;
        let recipient = key.is_some();
        if let Some(key) = key {
            keyring.add_recipient_key(key).map_err(bad_config)?;
        }
        let opener =
            Opener::new(trust.clone(), Policy::default(), SystemClock).with_keyring(keyring);
        let injected = attacks::Injected::default();
        let tamper = attacks::tamper(label, sensor_kid.clone(), &audience, Arc::clone(&injected))
            .map_err(Failure::BadInput)?;
        let proxy = Mitm::start(port, tamper)
            .await
            .map_err(|e| Failure::Network(format!("cannot start the malicious proxy: {e}")))?;
        let options = MqttOptions::new(label, "127.0.0.1", proxy.port());
        let (client, mut events) = SecureClient::connect(options, Security::new().opener(opener));
        wait_connected(
            &mut events,
            &format!("the broker (through the proxy for {label})"),
        )
        .await?;
        client
            .subscribe("plant/#", QoS::AtLeastOnce)
            .await
            .map_err(|e| Failure::Network(format!("{label} cannot subscribe: {e}")))?;
        let tally = Arc::new(Mutex::new(Tally::default()));
        tokio::spawn(dashboard::watch(
            label,
            events,
            Arc::clone(&sent),
            Arc::clone(&tally),
        ));
        dashboards.push(Watched {
            label,
            recipient,
            tally,
            injected,
            _client: client,
            _proxy: proxy,
        });
    }
    // Let both subscriptions reach the broker before the first reading.
    tokio::time::sleep(Duration::from_millis(800)).await;

    let sealer = Sealer::new(sensor_key, Counter::starting_at(1), SystemClock)
        .with_audience("plant/+/temp", audience)
        .map_err(bad_config)?;
    let options = MqttOptions::new("sensor", "127.0.0.1", port);
    let (sensor, mut sensor_events) =
        SecureClient::connect(options, Security::new().sealer(sealer));
    wait_connected(&mut sensor_events, "the embedded broker").await?;
    // The sensor only publishes; its event stream must be drained for its event loop to run.
    tokio::spawn(async move { while sensor_events.recv().await.is_some() {} });

    for i in 1..=readings {
        let reading = format!("{}.{} C", 21 + i / 10, i % 10);
        let status = format!("online, {i} readings sent");
        if let Ok(mut sent) = sent.lock() {
            sent.push(reading.clone().into_bytes());
            sent.push(status.clone().into_bytes());
        }
        println!(
            "\n[sensor ] publishes reading #{i} {reading:?} (signed, encrypted to dash-A) and a status (signed)"
        );
        for (topic, payload) in [("plant/1/temp", &reading), ("plant/1/status", &status)] {
            sensor
                .publish(topic, QoS::AtLeastOnce, false, payload.as_bytes())
                .await
                .map_err(|e| Failure::Network(format!("the sensor cannot publish: {e}")))?;
        }
        tokio::time::sleep(Duration::from_millis(400)).await;
    }

    // Each dashboard sees every reading and status once, plus one attack per reading.
    let deadline = Instant::now() + SETTLE;
    let expected = |d: &Watched| 2 * readings + d.injected.lock().map_or(0, |i| i.len() as u64);
    while Instant::now() < deadline
        && dashboards
            .iter()
            .any(|d| d.tally.lock().is_ok_and(|t| t.seen() < expected(d)))
    {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = sensor.disconnect().await;
    summary::report(readings, &dashboards)
}
