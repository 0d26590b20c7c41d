//! What the shared classification reports besides events: the `metrics` counters and the
//! verification time histogram, and the rejection hook with the bytes as they arrived.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use metrics::{
    Counter, Gauge, Histogram, HistogramFn, Key, KeyName, Metadata, Recorder, SharedString, Unit,
};
use payseal::{
    Algorithm, Counter as SeqCounter, ManualClock, Opener, Policy, Sealer, SigningKey, TrustStore,
};
use payseal_mqtt::adapter::ClientState;
use payseal_mqtt::metrics as names;
use payseal_mqtt::{QoS, RejectedMessage, Security};

/// Counters and histograms by name and labels (`name{k=v}`), as a test recorder.
#[derive(Default)]
struct Recorded {
    counters: Mutex<BTreeMap<String, Arc<AtomicU64>>>,
    histograms: Mutex<BTreeMap<String, Arc<Samples>>>,
}

#[derive(Default)]
struct Samples(Mutex<Vec<f64>>);

impl HistogramFn for Samples {
    fn record(&self, value: f64) {
        self.0.lock().unwrap().push(value);
    }
}

fn label(key: &Key) -> String {
    let labels: Vec<String> = key
        .labels()
        .map(|l| format!("{}={}", l.key(), l.value()))
        .collect();
    if labels.is_empty() {
        key.name().to_owned()
    } else {
        format!("{}{{{}}}", key.name(), labels.join(","))
    }
}

impl Recorder for Recorded {
    fn describe_counter(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn describe_gauge(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn describe_histogram(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn register_counter(&self, key: &Key, _: &Metadata<'_>) -> Counter {
        let mut counters = self.counters.lock().unwrap();
        Counter::from_arc(Arc::clone(counters.entry(label(key)).or_default()))
    }
    fn register_gauge(&self, _: &Key, _: &Metadata<'_>) -> Gauge {
        Gauge::noop()
    }
    fn register_histogram(&self, key: &Key, _: &Metadata<'_>) -> Histogram {
        let mut histograms = self.histograms.lock().unwrap();
        Histogram::from_arc(Arc::clone(histograms.entry(label(key)).or_default()))
    }
}

impl Recorded {
    fn counter(&self, name: &str) -> u64 {
        self.counters
            .lock()
            .unwrap()
            .get(name)
            .map_or(0, |c| c.load(Ordering::SeqCst))
    }
    fn samples(&self, name: &str) -> Vec<f64> {
        self.histograms
            .lock()
            .unwrap()
            .get(name)
            .map_or_else(Vec::new, |h| h.0.lock().unwrap().clone())
    }
}

const T0: u64 = 1_700_000_000;

/// What the hook kept: topic, bytes, reason code.
type Kept = (String, Vec<u8>, &'static str);

#[test]
fn judged_messages_are_counted_and_refusals_reach_the_hook_with_their_bytes() {
    let key = SigningKey::from_secret_bytes(Algorithm::Ed25519, &[7; 32]).unwrap();
    let clock = Arc::new(ManualClock::new(T0));
    let mut sealer = Sealer::new(
        SigningKey::from_secret_bytes(Algorithm::Ed25519, &[7; 32]).unwrap(),
        SeqCounter::starting_at(1),
        Arc::clone(&clock),
    );
    let mut trust = TrustStore::new();
    trust.add_sender(key.verifying_key(), ["plant/#"]).unwrap();
    let kept: Arc<Mutex<Vec<Kept>>> = Arc::default();
    let hook = Arc::clone(&kept);
    let security = Security::new()
        .opener(Opener::new(trust, Policy::default(), Arc::clone(&clock)))
        .on_rejected(move |m: &RejectedMessage<'_>| {
            hook.lock()
                .unwrap()
                .push((m.topic.to_owned(), m.payload.to_vec(), m.reason.code()));
        });
    let state = ClientState::new(security, 1 << 20);
    state.subscriptions().add("plant/#", QoS::AtLeastOnce);

    let good = sealer.seal("plant/1/t", b"21.5").unwrap();
    let moved = sealer.seal("plant/2/t", b"22").unwrap();
    let recorder = Recorded::default();
    metrics::with_local_recorder(&recorder, || {
        names::describe();
        let qos = QoS::AtLeastOnce;
        state.classify("plant/1/t", &good, false, qos).unwrap();
        state.classify("plant/1/t", &good, false, qos).unwrap(); // a duplicate
        state.classify("plant/1/t", &moved, false, qos).unwrap(); // moved: bad signature
        state.classify("plant/1/t", b"junk", false, qos).unwrap();
        state.classify("other/t", &good, false, qos).unwrap(); // not subscribed: not opened
        state
            .classify_bytes(b"plant/\xff", b"raw", false, qos)
            .unwrap(); // invalid topic: not opened
    });

    assert_eq!(recorder.counter(names::ACCEPTED), 1);
    assert_eq!(recorder.counter(names::DUPLICATES), 1);
    let rejected =
        |reason: &str| recorder.counter(&format!("{}{{reason={reason}}}", names::REJECTED));
    assert_eq!(rejected("bad_signature"), 1);
    assert_eq!(rejected("not_an_envelope"), 1);
    assert_eq!(rejected("not_subscribed"), 1);
    assert_eq!(rejected("invalid_topic"), 1);
    assert_eq!(recorder.counter(names::NOT_FOR_ME), 0);
    assert_eq!(recorder.counter(names::STORE_OUTAGES), 0);
    // describe() registered the unlabelled counters, so a scrape shows them at zero.
    assert!(
        recorder
            .counters
            .lock()
            .unwrap()
            .contains_key(names::STORE_OUTAGES)
    );
    // Only the four envelopes that were opened were timed.
    let samples = recorder.samples(names::VERIFY_SECONDS);
    assert_eq!(samples.len(), 4);
    assert!(samples.iter().all(|s| *s >= 0.0 && *s < 10.0));

    let kept = kept.lock().unwrap();
    let codes: Vec<&str> = kept.iter().map(|k| k.2).collect();
    assert_eq!(
        codes,
        [
            "bad_signature",
            "not_an_envelope",
            "not_subscribed",
            "invalid_topic"
        ]
    );
    assert_eq!(kept[0].1, moved);
    assert_eq!(kept[1].1, b"junk");
    assert_eq!(kept[2].0, "other/t");
    assert_eq!(kept[3].0, "plant/\\xff");
    assert_eq!(kept[3].1, b"raw");
}
