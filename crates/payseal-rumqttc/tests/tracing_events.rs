//! The adapter's `tracing` events, captured with a test subscriber: connect, subscription,
//! every rejection (reason code, escaped topic) and connection errors, at their levels.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use payseal::{
    Algorithm, Counter, Opener, Policy, Rejection, Sealer, SigningKey, SystemClock, TrustStore,
};
use payseal_rumqttc::{ConnectionErrorKind, Event, MqttOptions, QoS, SecureClient, Security};
use payseal_testkit::Mosquitto;
use tokio::sync::mpsc::Receiver;

/// Everything logged, as text.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
    fn line_with(&self, needle: &str) -> String {
        let text = self.text();
        text.lines()
            .find(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("no line with {needle:?} in:\n{text}"))
            .to_string()
    }
}

async fn until(events: &mut Receiver<Event>, mut pred: impl FnMut(&Event) -> bool) -> Event {
    loop {
        match tokio::time::timeout(Duration::from_secs(10), events.recv()).await {
            Ok(Some(e)) if pred(&e) => return e,
            Ok(Some(_)) => {}
            other => panic!("no matching event: {other:?}"),
        }
    }
}

// One thread: the subscriber set with `set_default` sees every task of the runtime.
#[tokio::test(flavor = "current_thread")]
async fn connects_subscriptions_rejections_and_errors_are_logged() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .without_time()
        // Plain text whatever features the workspace unifies (rumqttd turns `ansi` on).
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _default = tracing::subscriber::set_default(subscriber);

    let broker = Mosquitto::start().expect("mosquitto must be installed");
    let trusted = SigningKey::generate(Algorithm::Ed25519).unwrap();
    let mut trust = TrustStore::new();
    trust
        .add_sender(trusted.verifying_key(), ["plant/#"])
        .unwrap();
    let opener = Opener::new(trust, Policy::default(), SystemClock);
    let options = MqttOptions::new("dashboard", "127.0.0.1", broker.port());
    let (dashboard, mut events) = SecureClient::connect(options, Security::new().opener(opener));
    until(&mut events, |e| matches!(e, Event::Connected { .. })).await;
    dashboard
        .subscribe("plant/#", QoS::AtLeastOnce)
        .await
        .unwrap();

    let stranger = SigningKey::generate(Algorithm::Ed25519).unwrap();
    let sealer = Sealer::new(stranger, Counter::starting_at(1), SystemClock);
    let options = MqttOptions::new("stranger", "127.0.0.1", broker.port());
    let (forger, _forger_events) = SecureClient::connect(options, Security::new().sealer(sealer));
    // Until the subscription is active, the first copies may go nowhere.
    let rejected = loop {
        forger
            .publish("plant/3/temp", QoS::AtMostOnce, false, "99.9")
            .await
            .unwrap();
        let next = tokio::time::timeout(Duration::from_millis(300), events.recv()).await;
        if let Ok(Some(e @ Event::Rejected { .. })) = next {
            break e;
        }
    };
    let Event::Rejected { reason, .. } = rejected else {
        unreachable!()
    };
    assert_eq!(reason, Rejection::UnknownSender);

    // A client with no broker to reach.
    let dead = Mosquitto::start()
        .expect("mosquitto must be installed")
        .kill();
    let (_lost, mut lost_events) =
        SecureClient::connect(MqttOptions::new("lost", "127.0.0.1", dead), Security::new());
    let Event::Disconnected { error } = until(&mut lost_events, |e| {
        matches!(e, Event::Disconnected { .. })
    })
    .await
    else {
        unreachable!()
    };
    assert_eq!(error.kind(), ConnectionErrorKind::Io);
    assert!(error.downcast_ref::<rumqttc::ConnectionError>().is_some());

    let connected = captured.line_with("connected to the broker");
    assert!(connected.contains("INFO"), "{connected}");
    let subscribed = captured.line_with("subscribing");
    assert!(
        subscribed.contains("INFO") && subscribed.contains("plant/#"),
        "{subscribed}"
    );
    let refused = captured.line_with("refused a message");
    assert!(refused.contains("WARN"), "an alarm is a warning: {refused}");
    assert!(refused.contains("reason=\"unknown_sender\""), "{refused}");
    assert!(refused.contains("topic=plant/3/temp"), "{refused}");
    let disconnected = captured.line_with("disconnected from the broker");
    assert!(
        disconnected.contains("WARN") && disconnected.contains("kind=Io"),
        "{disconnected}"
    );
}

#[test]
fn topics_are_escaped_and_non_alarms_are_info() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .without_time()
        // Plain text whatever features the workspace unifies (rumqttd turns `ansi` on).
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    tracing::subscriber::with_default(subscriber, || {
        payseal_mqtt::adapter::trace_event(&Event::Rejected {
            topic: "plant/\u{1b}[2J\nfake line".into(),
            reason: Rejection::NotForMe,
        });
    });
    let text = captured.text();
    assert_eq!(text.lines().count(), 1, "a topic cannot add a line: {text}");
    assert!(!text.contains('\u{1b}'), "{text:?}");
    let line = captured.line_with("refused a message");
    assert!(
        line.contains("INFO") && line.contains("not_for_me"),
        "{line}"
    );
}
