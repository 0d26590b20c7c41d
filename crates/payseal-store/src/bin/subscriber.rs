//! A subscriber process for the restart and fleet tests: opens everything it receives with a
//! replay store of the test's choice and prints one line per event:
//!
//! - `accepted <kid> <seq> <payload>`: verified and new;
//! - `duplicate <seq>`: authentic but already accepted (a replay, or MQTT's own repeat);
//! - `unavailable <seq>`: the store could not judge it, so it was refused;
//! - `rejected below_window <seq>`: authentic, but older than the window can judge;
//! - `rejected <code>`: any other refusal.
//!
//! ```text
//! payseal-store-subscriber --port 1883 --filter 't/#' --trust 1,9 --client-id sub-1 \
//!     --store memory|file|redis [--state-dir DIR] [--redis-url URL --redis-prefix P] \
//!     [--mqtt 5] [--host 127.0.0.1] [--window W] [--session persistent]
//! ```
//!
//! `--session persistent` (MQTT 3.1.1 only) keeps the broker session across restarts, so the
//! broker redelivers every QoS 1 message the process had not acknowledged.

mod common;

use std::process::ExitCode;
use std::time::Duration;

use payseal::{Opener, Policy, SystemClock, TrustStore};
use payseal_rumqttc::{EnvelopeOpener, Event, QoS, SecureClient, SecureClientV5, Security};
use payseal_store::{FileReplayStore, is_store_unavailable};
use tokio::sync::mpsc::Receiver;

use common::{Args, say, test_key};

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("subscriber: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), String> {
    let args = Args::parse()?;
    let mut trust = TrustStore::new();
    for seed in args.get("trust")?.split(',') {
        let seed: u8 = seed.parse().map_err(|_| "--trust: seeds 0-255")?;
        trust
            .add_sender(test_key(seed)?.verifying_key(), ["#"])
            .map_err(|e| e.to_string())?;
    }
    let window: usize = args
        .get_or("window", "128")
        .parse()
        .map_err(|_| "--window: a width")?;
    let policy = Policy::default()
        .with_window(window)
        .map_err(|e| e.to_string())?;
    match args.get("store")? {
        "memory" => serve(&args, Opener::new(trust, policy, SystemClock)).await,
        "file" => {
            let store = FileReplayStore::open(args.get("state-dir")?, policy.window())
                .map_err(|e| e.to_string())?;
            serve(
                &args,
                Opener::with_replay_store(trust, store, policy, SystemClock),
            )
            .await
        }
        #[cfg(feature = "redis")]
        "redis" => {
            let config = payseal_store::RedisStoreConfig::new(
                args.get("redis-url")?,
                args.get("redis-prefix")?,
                policy.window(),
            );
            let store = payseal_store::RedisReplayStore::open(config).map_err(|e| e.to_string())?;
            serve(
                &args,
                Opener::with_replay_store(trust, store, policy, SystemClock),
            )
            .await
        }
        other => Err(format!("unknown --store {other}")),
    }
}

async fn serve(args: &Args, opener: impl EnvelopeOpener + 'static) -> Result<(), String> {
    let id = args.get("client-id")?;
    let host = args.get_or("host", "127.0.0.1");
    let port: u16 = args.num("port")?;
    let filter = args.get("filter")?;
    let security = Security::new().opener(opener);
    if args.get_or("mqtt", "3") == "5" {
        let mut options = rumqttc::v5::MqttOptions::new(id, host, port);
        options.set_keep_alive(Duration::from_secs(5));
        let (client, events) = SecureClientV5::connect(options, security);
        client
            .subscribe(filter, QoS::AtLeastOnce)
            .await
            .map_err(|e| e.to_string())?;
        report(events).await;
    } else {
        let mut options = rumqttc::MqttOptions::new(id, host, port);
        options.set_keep_alive(Duration::from_secs(5));
        options.set_clean_session(args.get_or("session", "clean") != "persistent");
        let (client, events) = SecureClient::connect(options, security);
        client
            .subscribe(filter, QoS::AtLeastOnce)
            .await
            .map_err(|e| e.to_string())?;
        report(events).await;
    }
    Ok(())
}

async fn report(mut events: Receiver<Event>) {
    while let Some(event) = events.recv().await {
        match event {
            Event::Message(m) => {
                let v = &m.verified;
                say(&format!(
                    "accepted {} {} {}",
                    v.sender(),
                    v.seq(),
                    String::from_utf8_lossy(v.payload())
                ));
            }
            Event::Duplicate { seq, .. } => say(&format!("duplicate {seq}")),
            Event::Rejected { reason, .. } => match reason {
                payseal::Rejection::StoreUnavailable { seq } if is_store_unavailable(&reason) => {
                    say(&format!("unavailable {seq}"));
                }
                payseal::Rejection::BelowWindow { seq, .. } => {
                    say(&format!("rejected below_window {seq}"));
                }
                other => say(&format!("rejected {}", other.code())),
            },
            Event::Connected { .. } => say("connected"),
            Event::Disconnected { error } => eprintln!("subscriber: {error}"),
            _ => {}
        }
    }
}
