//! Keys, trust, and waiting for events: what every scenario uses.

use std::time::{Duration, Instant};

use payseal::{
    Algorithm, Counter, MemoryReplayStore, Opener, Policy, Sealer, SigningKey, SystemClock,
    TrustStore,
};
use payseal_mqtt::{Event, Message, QoS, Security};
use tokio::sync::mpsc::Receiver;

use crate::{Adapter, Endpoint};

/// How long a scenario waits for any one event.
pub const WAIT: Duration = Duration::from_secs(10);

/// The sensor's key, trusted on `plant/#`.
pub fn sensor_key() -> SigningKey {
    SigningKey::from_secret_bytes(Algorithm::Ed25519, &[1; 32]).expect("key")
}

/// A trust store with the sensor on `plant/#`.
pub fn trust() -> TrustStore {
    let mut trust = TrustStore::new();
    trust
        .add_sender(sensor_key().verifying_key(), ["plant/#"])
        .expect("trust");
    trust
}

/// An opener trusting the sensor.
pub fn opener() -> Opener<MemoryReplayStore, SystemClock> {
    Opener::new(trust(), Policy::default(), SystemClock)
}

/// A sealer with the sensor's key.
pub fn sealer() -> Sealer<SigningKey, Counter, SystemClock> {
    Sealer::new(sensor_key(), Counter::from_unix_micros(), SystemClock)
}

/// A publishing client on `port`.
pub fn publisher<A: Adapter>(port: u16, id: &str) -> (A::Client, Receiver<Event>) {
    A::connect(&Endpoint::new(id, port), Security::new().sealer(sealer()))
}

/// A subscribing client on `port`.
pub fn subscriber<A: Adapter>(port: u16, id: &str) -> (A::Client, Receiver<Event>) {
    A::connect(&Endpoint::new(id, port), Security::new().opener(opener()))
}

/// The next event that is not a connection event; panics after [`WAIT`].
pub async fn next(events: &mut Receiver<Event>) -> Event {
    let deadline = Instant::now() + WAIT;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, events.recv()).await {
            Ok(Some(Event::Connected { .. })) => continue,
            Ok(Some(Event::Disconnected { error })) => {
                eprintln!("disconnected: {error}");
                continue;
            }
            Ok(Some(event)) => return event,
            Ok(None) => panic!("event stream closed"),
            Err(_) => panic!("no event within {WAIT:?}"),
        }
    }
}

/// Waits for a `Connected` event.
pub async fn connected(events: &mut Receiver<Event>) {
    let wait = tokio::time::timeout(WAIT, async {
        loop {
            match events.recv().await {
                Some(Event::Connected { .. }) => return,
                Some(_) => {}
                None => panic!("event stream closed before connecting"),
            }
        }
    });
    wait.await.expect("connected within the wait");
}

/// Waits until connected, subscribes, and lets the broker settle the subscription.
pub async fn subscribe<A: Adapter>(
    client: &A::Client,
    events: &mut Receiver<Event>,
    filter: &str,
    qos: QoS,
) {
    connected(events).await;
    A::subscribe(client, filter, qos).await.expect("subscribe");
    // Mosquitto processes SUBSCRIBE before later PUBLISHes of other clients only once it
    // has acknowledged it; a short settle time stands in for waiting on the SUBACK.
    tokio::time::sleep(Duration::from_millis(200)).await;
}

/// The event as a message, or a panic naming what came instead.
pub fn message(event: Event) -> Message {
    match event {
        Event::Message(m) => m,
        other => panic!("expected a message, got {other:?}"),
    }
}

/// Every event until `pred` matches one (returned); panics after [`WAIT`] with all seen.
pub async fn until(
    events: &mut Receiver<Event>,
    seen: &mut Vec<String>,
    mut pred: impl FnMut(&Event) -> bool,
) -> Event {
    let deadline = Instant::now() + WAIT;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, events.recv()).await {
            Ok(Some(event)) => {
                seen.push(format!("{event:?}"));
                if pred(&event) {
                    return event;
                }
            }
            Ok(None) => panic!("event stream closed; events: {seen:#?}"),
            Err(_) => panic!("no matching event within {WAIT:?}; events: {seen:#?}"),
        }
    }
}

/// Waits for `Connected` on `events`, recording what came before.
pub async fn until_connected(events: &mut Receiver<Event>, seen: &mut Vec<String>) {
    until(events, seen, |e| matches!(e, Event::Connected { .. })).await;
}

/// Publishes probes on `plant/probe` until one arrives at `sub_events`: proof, by an event
/// and not a sleep, that the subscription is active.
pub async fn wait_probe<A: Adapter>(
    sub_events: &mut Receiver<Event>,
    probe: &A::Client,
    seen: &mut Vec<String>,
) {
    let deadline = Instant::now() + WAIT;
    loop {
        A::publish(probe, "plant/probe", QoS::AtMostOnce, false, b"probe")
            .await
            .expect("probe");
        match tokio::time::timeout(Duration::from_millis(200), sub_events.recv()).await {
            Ok(Some(Event::Message(m))) if m.verified.topic() == "plant/probe" => return,
            Ok(Some(other)) => seen.push(format!("{other:?}")),
            Ok(None) => panic!("event stream closed"),
            Err(_) => {}
        }
        assert!(
            Instant::now() < deadline,
            "subscription never became active: {seen:#?}"
        );
    }
}

/// Subscribes to `plant/#` and proves it with probes from `probe`.
pub async fn subscribed<A: Adapter, P: Adapter>(
    sub: &A::Client,
    sub_events: &mut Receiver<Event>,
    probe: &P::Client,
    seen: &mut Vec<String>,
) {
    until_connected(sub_events, seen).await;
    A::subscribe(sub, "plant/#", QoS::AtLeastOnce)
        .await
        .expect("subscribe");
    wait_probe::<P>(sub_events, probe, seen).await;
}

/// What arrives within `quiet`: the messages, rejections and duplicates among it.
pub async fn drain(events: &mut Receiver<Event>, quiet: Duration) -> Vec<String> {
    let mut out = Vec::new();
    while let Ok(Some(event)) = tokio::time::timeout(quiet, events.recv()).await {
        if matches!(
            event,
            Event::Message(_) | Event::Rejected { .. } | Event::Duplicate { .. }
        ) {
            out.push(format!("{event:?}"));
        }
    }
    out
}

/// Starts a Mosquitto with `extra` configuration; a missing broker is a failure.
pub fn broker(extra: &str) -> payseal_testkit::Mosquitto {
    payseal_testkit::Mosquitto::start_with(extra)
        .expect("mosquitto must start (install it: apt-get install mosquitto)")
}
