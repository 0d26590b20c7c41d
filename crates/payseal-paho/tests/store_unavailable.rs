//! Paho acknowledges every PUBLISH by itself, so a message the replay store could not judge
//! cannot be left for the broker to redeliver (as payseal-rumqttc does): the adapter reports
//! it once and judges it again, before any later message, until the store answers.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use payseal::{Freshness, Rejection, Verified};
use payseal_conformance::support::{opener, sealer};
use payseal_paho::{EnvelopeOpener, Event, MqttOptions, QoS, SecureClient, Security};
use payseal_testkit::Mosquitto;

/// An opener whose store is down for its first `outage` calls.
struct Flaky<O> {
    inner: O,
    outage: usize,
    calls: Arc<AtomicUsize>,
}

impl<O: EnvelopeOpener> EnvelopeOpener for Flaky<O> {
    fn open(
        &mut self,
        topic: &str,
        envelope: &[u8],
        freshness: Option<Freshness>,
    ) -> Result<Verified, Rejection> {
        if self.calls.fetch_add(1, Ordering::SeqCst) < self.outage {
            return Err(Rejection::StoreUnavailable { seq: 0 });
        }
        self.inner.open(topic, envelope, freshness)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unjudged_message_is_judged_again_in_order_and_reported_once() {
    let broker = Mosquitto::start().expect("mosquitto must start");
    let calls = Arc::new(AtomicUsize::new(0));
    let flaky = Flaky {
        inner: opener(),
        outage: 3,
        calls: Arc::clone(&calls),
    };
    let o = |id: &str| MqttOptions::new(id, broker.host(), broker.port());
    let (sub, mut events) = SecureClient::connect(o("sub"), Security::new().opener(flaky)).unwrap();
    sub.subscribe("plant/#", QoS::AtLeastOnce).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (publ, _pe) = SecureClient::connect(o("pub"), Security::new().sealer(sealer())).unwrap();
    for payload in [&b"first"[..], b"second"] {
        publ.publish("plant/3/temp", QoS::AtLeastOnce, false, payload)
            .await
            .unwrap();
    }
    let mut seen = Vec::new();
    while seen.len() < 3 {
        match tokio::time::timeout(Duration::from_secs(10), events.recv()).await {
            Ok(Some(Event::Connected { .. })) => {}
            Ok(Some(Event::Message(m))) => seen.push(format!("message {:?}", m.verified.payload())),
            Ok(Some(Event::Rejected { reason, .. })) => {
                seen.push(format!("rejected {}", reason.code()))
            }
            Ok(Some(other)) => panic!("unexpected {other:?}"),
            Ok(None) | Err(_) => panic!("events so far: {seen:#?}"),
        }
    }
    assert_eq!(
        seen,
        [
            "rejected store_unavailable",
            &format!("message {:?}", b"first"),
            &format!("message {:?}", b"second"),
        ]
    );
    assert_eq!(
        calls.load(Ordering::SeqCst),
        5,
        "three refusals, then two verdicts"
    );
}
