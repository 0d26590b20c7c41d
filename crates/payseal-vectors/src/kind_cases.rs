//! `test-vectors/kind.json`: the signed message kind (spec/envelope.md §3.7) as an MQTT
//! receiver judges it (spec/mqtt-adapters.md §3-4): which freshness limit applies given the
//! signed kind, the retain flag as delivered, the topic and the sender kid, and which replay
//! window a message is recorded in.

use std::collections::BTreeMap;

use payseal::{Counter, Kid, ManualClock, MessageKind, Sealer, replay_window_key};
use serde::Serialize;

use crate::craft::{self, Cbor, header_entries, int, map, seq_bytes, tstr, uint};
use crate::keys::{entry, key};
use crate::model::{KeyEntry, PolicyEntry};

const T0: u64 = 1_700_000_000;
const HOUR: u64 = 3_600;
const DAY: u64 = 86_400;
/// The will kid: ed25519-a's key registered a second time (spec/mqtt-adapters.md §4).
pub(crate) const WILL_KID: &[u8] = b"sensor-1/will";

#[derive(Serialize)]
pub(crate) struct KindFile {
    profile: &'static str,
    source: &'static str,
    keys: BTreeMap<&'static str, KeyEntry>,
    /// The trust store: key name, the kid it is known by (hex), topic filters.
    trust: Vec<KindTrust>,
    policy: PolicyEntry,
    receiver: Receiver,
    vectors: Vec<KindVector>,
}

#[derive(Serialize)]
struct KindTrust {
    key: &'static str,
    kid: String,
    topics: Vec<&'static str>,
}

#[derive(Serialize)]
struct Limit {
    filter: &'static str,
    max_age: u64,
}

#[derive(Serialize)]
struct Receiver {
    retained: Vec<Limit>,
    wills: Vec<Limit>,
    will_kids: Vec<String>,
}

#[derive(Serialize)]
struct Accepted {
    kid: String,
    kind: &'static str,
    topic: &'static str,
    seq: u64,
}

#[derive(Serialize)]
struct KindVector {
    id: &'static str,
    description: &'static str,
    signer: &'static str,
    kid: String,
    topic: &'static str,
    retain: bool,
    payload: String,
    seq: u64,
    timestamp: u64,
    envelope: String,
    now: u64,
    accepted_before: Vec<Accepted>,
    expected: &'static str,
    /// For a valid vector: the signed kind, and the replay window it is recorded in (hex).
    kind: &'static str,
    window: String,
}

struct K {
    id: &'static str,
    description: &'static str,
    kid: Vec<u8>,
    topic: &'static str,
    retain: bool,
    seq: u64,
    timestamp: u64,
    now: u64,
    accepted_before: Vec<Accepted>,
    expected: &'static str,
}

fn own_kid() -> Vec<u8> {
    key("ed25519-a").kid().as_bytes().to_vec()
}

fn k(
    id: &'static str,
    description: &'static str,
    topic: &'static str,
    expected: &'static str,
) -> K {
    K {
        id,
        description,
        kid: own_kid(),
        topic,
        retain: false,
        seq: 7,
        timestamp: T0,
        now: T0 + 10,
        accepted_before: Vec::new(),
        expected,
    }
}

const PAYLOAD: &[u8] = b"20.0";

impl K {
    fn will_kid(mut self) -> Self {
        self.kid = WILL_KID.to_vec();
        self
    }
    fn retain(mut self) -> Self {
        self.retain = true;
        self
    }
    fn age(mut self, secs: u64) -> Self {
        self.now = self.timestamp + secs;
        self
    }
    fn ahead(mut self, secs: u64) -> Self {
        self.now = self.timestamp - secs;
        self
    }
    fn seq(mut self, seq: u64) -> Self {
        self.seq = seq;
        self
    }
    fn after(mut self, accepted: Vec<Accepted>) -> Self {
        self.accepted_before = accepted;
        self
    }

    /// Sealed by payseal's own sealer with `kind`.
    fn sealed(self, kind: MessageKind) -> KindVector {
        let clock = ManualClock::new(self.timestamp);
        let envelope = Sealer::new(key("ed25519-a"), Counter::starting_at(self.seq), &clock)
            .with_kid(Kid::new(self.kid.clone()).expect("kid"))
            .seal_kind(self.topic, PAYLOAD, kind)
            .expect("seals");
        self.finish(envelope, kind)
    }

    /// Crafted: the standard header entries, then `edit`.
    fn crafted(self, edit: impl FnOnce(&mut Vec<(Cbor, Cbor)>)) -> KindVector {
        let signer = key("ed25519-a");
        let mut entries = header_entries(
            signer.algorithm().cose_id(),
            &self.kid,
            &seq_bytes(self.seq),
            self.timestamp,
        );
        edit(&mut entries);
        let envelope = craft::envelope(&signer, &map(&entries).0, map(&[]), self.topic, PAYLOAD);
        // The signed kind, for a valid crafted envelope (`Live` for those that do not decode).
        let kind = payseal::UnverifiedEnvelope::decode(&envelope, &payseal::Limits::DEFAULT)
            .map_or(MessageKind::Live, |env| env.kind());
        self.finish(envelope, kind)
    }

    fn finish(self, envelope: Vec<u8>, kind: MessageKind) -> KindVector {
        let valid = self.expected == "valid";
        let kid = Kid::new(self.kid.clone()).expect("kid");
        KindVector {
            id: self.id,
            description: self.description,
            signer: "ed25519-a",
            kid: hex::encode(&self.kid),
            topic: self.topic,
            retain: self.retain,
            payload: hex::encode(PAYLOAD),
            seq: self.seq,
            timestamp: self.timestamp,
            envelope: hex::encode(envelope),
            now: self.now,
            accepted_before: self.accepted_before,
            expected: self.expected,
            kind: if valid { kind.name() } else { "" },
            window: if valid {
                replay_window_key(&kid, kind, self.topic).to_string()
            } else {
                String::new()
            },
        }
    }
}

fn marker(value: u64) -> (Cbor, Cbor) {
    (int(MessageKind::LABEL), uint(value))
}

fn accepted(kid: &[u8], kind: MessageKind, topic: &'static str, seq: u64) -> Accepted {
    Accepted {
        kid: hex::encode(kid),
        kind: kind.name(),
        topic,
        seq,
    }
}

pub(crate) fn build() -> KindFile {
    KindFile {
        profile: payseal::PROFILE,
        source: "generated by `cargo run -p payseal-vectors` (deterministic); see spec/mqtt-adapters.md §3-4 and spec/envelope.md §3.7",
        keys: [("ed25519-a", entry("ed25519-a"))].into_iter().collect(),
        trust: vec![
            KindTrust {
                key: "ed25519-a",
                kid: hex::encode(own_kid()),
                topics: vec!["plant/#"],
            },
            KindTrust {
                key: "ed25519-a",
                kid: hex::encode(WILL_KID),
                topics: vec!["plant/+/status"],
            },
        ],
        policy: PolicyEntry {
            max_age: 300,
            max_future_skew: 30,
            window: 64,
            max_envelope_bytes: 1024,
        },
        receiver: Receiver {
            retained: vec![Limit {
                filter: "plant/+/setpoint",
                max_age: DAY,
            }],
            wills: vec![Limit {
                filter: "plant/+/status",
                max_age: 7 * DAY,
            }],
            will_kids: vec![hex::encode(WILL_KID)],
        },
        vectors: vectors(),
    }
}

fn vectors() -> Vec<KindVector> {
    use MessageKind::{Live, Retained, Will};
    vec![
        k("kind-retained-valid", "retained state (marker 1), 23 h old, delivered with retain=1 on a retained topic: the retained limit (1 day)", "plant/3/setpoint", "valid")
            .retain().age(23 * HOUR).sealed(Retained),
        k("kind-retained-fresh-live-delivery", "retained state delivered live (retain=0) while fresh: the live limit, accepted", "plant/3/setpoint", "valid")
            .sealed(Retained),
        k("kind-retained-without-flag", "retained state 23 h old delivered with retain=0: the flag disagrees, live limit", "plant/3/setpoint", "stale")
            .age(23 * HOUR).sealed(Retained),
        k("kind-live-with-retain-flag", "a live message 23 h old delivered with retain=1 (the broker's flag alone): live limit", "plant/3/setpoint", "stale")
            .retain().age(23 * HOUR).sealed(Live),
        k("kind-retained-unlisted-topic", "retained state 23 h old, retain=1, on a topic with no retained limit", "plant/3/cmd", "stale")
            .retain().age(23 * HOUR).sealed(Retained),
        k("kind-retained-future-skew", "retained state 31 s ahead, retain=1: the policy's skew (30 s) still applies", "plant/3/setpoint", "from_the_future")
            .retain().ahead(31).sealed(Retained),
        k("kind-will-valid", "a will (marker 2) from the will kid, 6 days old, on a will topic: the will limit (7 days)", "plant/3/status", "valid")
            .will_kid().age(6 * DAY).sealed(Will),
        k("kind-will-not-a-will-kid", "a will marker from the sender's live kid, 6 days old: not a will kid, live limit", "plant/3/status", "stale")
            .age(6 * DAY).sealed(Will),
        k("kind-live-on-will-topic", "a live message from the will kid, 6 days old, on a will topic: no marker, live limit", "plant/3/status", "stale")
            .will_kid().age(6 * DAY).sealed(Live),
        k("kind-will-too-old", "a will 8 days old: beyond the will limit", "plant/3/status", "stale")
            .will_kid().age(8 * DAY).sealed(Will),
        k("kind-unknown-value", "marker value 3: not assigned", "plant/3/setpoint", "unknown_kind")
            .crafted(|e| e.push(marker(3))),
        k("kind-zero-value", "marker value 0: not assigned (a live message carries no marker)", "plant/3/setpoint", "unknown_kind")
            .crafted(|e| e.push(marker(0))),
        k("kind-negative-value", "marker value -1: not an unsigned integer", "plant/3/setpoint", "invalid_header")
            .crafted(|e| e.push((int(MessageKind::LABEL), int(-1)))),
        k("kind-text-value", "marker value \"retained\": not an unsigned integer", "plant/3/setpoint", "invalid_header")
            .crafted(|e| e.push((int(MessageKind::LABEL), tstr("retained")))),
        k("kind-critical", "crit lists the marker label: understood, accepted (retained, retain=1, 23 h old)", "plant/3/setpoint", "valid")
            .retain().age(23 * HOUR)
            .crafted(|e| {
                e.insert(1, (uint(2), craft::array(&[int(MessageKind::LABEL)])));
                e.push(marker(1));
            }),
        k("kind-retained-own-window", "retained state seq 1 after live messages up to seq 200 (window 64): its own window, accepted", "plant/3/setpoint", "valid")
            .seq(1).retain().age(HOUR)
            .after((137..=200).map(|s| accepted(&own_kid(), Live, "plant/3/temp", s)).collect())
            .sealed(Retained),
        k("kind-retained-redelivered", "retained state already accepted (its window has seq 1): replayed, not below_window", "plant/3/setpoint", "replayed")
            .seq(1).retain().age(HOUR)
            .after(vec![accepted(&own_kid(), Live, "plant/3/temp", 200), accepted(&own_kid(), Retained, "plant/3/setpoint", 1)])
            .sealed(Retained),
        k("kind-live-below-window", "for contrast: a live message seq 1 after live seq 200 (window 64)", "plant/3/setpoint", "below_window")
            .seq(1)
            .after(vec![accepted(&own_kid(), Live, "plant/3/temp", 200)])
            .sealed(Live),
        k("kind-will-own-window", "a will seq 1 from the will kid after its live seq 200: its own window", "plant/3/status", "valid")
            .will_kid().seq(1).age(2 * DAY)
            .after(vec![accepted(WILL_KID, Live, "plant/3/status", 200)])
            .sealed(Will),
    ]
}
