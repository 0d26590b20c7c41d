//! The untrusted-broker attack suite: a malicious broker in the middle (payseal-testkit's
//! `Mitm`) between a real Mosquitto and a subscriber, rewriting, replaying, dropping and
//! injecting PUBLISH packets while a sensor publishes. Every attack must be refused with its
//! expected reason, and every legitimate message the proxy let through must arrive exactly
//! once. Prints the table.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use payseal::{
    Algorithm, Audience, Counter, KemKind, Keyring, Kid, Limits, MacAlgorithm, MacKey, MacSecret,
    ManualClock, Opener, Policy, Recipient, RecipientKey, Sealer, SigningKey, SystemClock,
    TrustStore, UnverifiedEnvelope,
};
use payseal_mqtt::{Event, QoS, Security};
use payseal_testkit::Mosquitto;
use payseal_testkit::envelope::{remac, resign};
use payseal_testkit::mitm::{Mitm, Out};
use payseal_testkit::mqtt::Publish;
use tokio::sync::mpsc::Receiver;

use crate::{Adapter, Endpoint};

mod hostile;

fn sensor() -> SigningKey {
    SigningKey::from_secret_bytes(Algorithm::Ed25519, &[1; 32]).unwrap()
}
/// A second trusted sender ("valve"), allowed on valves/# and the secret topics; its key is
/// assumed stolen for the attacks that need a second authorized signer.
fn valve() -> SigningKey {
    SigningKey::from_secret_bytes(Algorithm::Ed25519, &[2; 32]).unwrap()
}
fn stranger() -> SigningKey {
    SigningKey::from_secret_bytes(Algorithm::Ed25519, &[3; 32]).unwrap()
}
fn dashboard_key() -> RecipientKey {
    RecipientKey::from_secret_bytes(KemKind::X25519, &[4; 32]).unwrap()
}

/// MAC mode (spec/mac.md) keys for the same three senders: derived from the dashboard's
/// secret, except the stranger's (another secret).
fn mac_key(secret: u8, name: &[u8]) -> MacKey {
    MacSecret::from_bytes(&[secret; 32])
        .unwrap()
        .sender_key(Kid::new(name.to_vec()).unwrap(), MacAlgorithm::Hmac256_64)
}

/// How the table's senders stamp: signatures, or MAC tags (the same attacks, one run each).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Ed25519 signatures (COSE_Sign1).
    Signed,
    /// HMAC 256/64 tags under per-sender keys (COSE_Mac0).
    Mac,
}

/// The senders of the table, as [`Mode`] stamps for them.
#[derive(Clone, Copy)]
enum Who {
    Sensor,
    Valve,
    Stranger,
}

impl Mode {
    fn signing_key(who: Who) -> SigningKey {
        match who {
            Who::Sensor => sensor(),
            Who::Valve => valve(),
            Who::Stranger => stranger(),
        }
    }

    fn mac_key(who: Who) -> MacKey {
        match who {
            Who::Sensor => mac_key(5, b"sensor"),
            Who::Valve => mac_key(5, b"valve"),
            Who::Stranger => mac_key(6, b"stranger"),
        }
    }

    /// `original` re-stamped by `who` (an envelope only `who` could have made).
    fn restamp(self, original: &[u8], who: Who, topic: &str) -> Vec<u8> {
        match self {
            Mode::Signed => resign(original, &Self::signing_key(who), topic, None),
            Mode::Mac => remac(original, &Self::mac_key(who), topic, None),
        }
    }

    /// A fresh sealer for `who`.
    fn sealer(self, who: Who, seq: u64) -> Box<dyn payseal_mqtt::EnvelopeSealer> {
        let seq = Counter::starting_at(seq);
        match self {
            Mode::Signed => Box::new(Sealer::new(Self::signing_key(who), seq, SystemClock)),
            Mode::Mac => Box::new(Sealer::new(Self::mac_key(who), seq, SystemClock)),
        }
    }

    /// Bytes at the end of an envelope after the payload: the signature or tag bstr.
    fn stamp_bstr_len(self) -> usize {
        match self {
            Mode::Signed => 2 + 64,
            Mode::Mac => 1 + 8,
        }
    }

    /// The protected `alg` entry (label 1, value), and another algorithm's value.
    fn alg_swap(self) -> ([u8; 2], u8) {
        match self {
            // -19 (Ed25519) to -9 (ESP256).
            Mode::Signed => ([0x01, 0x32], 0x28),
            // 4 (HMAC 256/64) to 5 (HMAC 256/256).
            Mode::Mac => ([0x01, 0x04], 0x05),
        }
    }
}

fn now() -> u64 {
    SystemClock.now_secs()
}

trait NowSecs {
    fn now_secs(&self) -> u64;
}
impl NowSecs for SystemClock {
    fn now_secs(&self) -> u64 {
        payseal::Clock::now(self).unwrap()
    }
}

fn flip(mut bytes: Vec<u8>, at: usize) -> Vec<u8> {
    let at = at.min(bytes.len() - 1);
    bytes[at] ^= 0x01;
    bytes
}

fn injected(original: &Publish, payload: Vec<u8>) -> Out {
    Out::Inject(Publish {
        payload,
        dup: false,
        retain: false,
        qos: 0,
        ..original.clone()
    })
}

type TamperFn = Box<dyn FnMut(Publish) -> Vec<Out> + Send>;

/// One attack: what the proxy does to the legitimate message, what must come out.
struct Attack {
    name: &'static str,
    topic: &'static str,
    tamper: TamperFn,
    /// Reason codes the injected messages must be refused with ("duplicate" for a replay the
    /// adapter reports as such).
    expect: Vec<&'static str>,
    /// Whether the proxy lets the legitimate message through (else it counts as dropped).
    legit_passes: bool,
    /// Clock moves and late injections after the legitimate message went by.
    after: Option<After>,
}

enum After {
    /// Advance the subscriber's clock, then inject what the tamper function stashed.
    ReplayLater { advance: u64 },
    /// Let a second legitimate message pass, then release the held first one.
    Reorder,
    /// Advance the subscriber's clock, then inject what was stashed with the retain flag set
    /// (a broker passing an old live message off as retained state).
    ReleaseRetainedLater { advance: u64 },
}

#[derive(Default)]
struct Row {
    injected: usize,
    rejected: BTreeMap<String, usize>,
    delivered: usize,
    lost: usize,
}

struct Lab<A: Adapter> {
    _broker: Mosquitto,
    mitm: Mitm,
    plan: Arc<Mutex<TamperFn>>,
    stash: Arc<Mutex<Vec<Publish>>>,
    clock: Arc<ManualClock>,
    events: Receiver<Event>,
    _subscriber: A::Client,
    publisher: A::Client,
    _publisher_events: Receiver<Event>,
}

async fn lab<A: Adapter>(mode: Mode) -> Lab<A> {
    let broker = Mosquitto::start().expect("mosquitto must start");
    let plan: Arc<Mutex<TamperFn>> = Arc::new(Mutex::new(Box::new(|p| vec![Out::Forward(p)])));
    let plan_in_proxy = Arc::clone(&plan);
    let mitm = Mitm::start(
        broker.port(),
        Box::new(move |p| (plan_in_proxy.lock().unwrap())(p)),
    )
    .await
    .unwrap();
    let clock = Arc::new(ManualClock::new(now()));
    let mut trust = TrustStore::new();
    let (sensor_topics, valve_topics) = (["plant/#"], ["valves/#", "plant/+/secret"]);
    match mode {
        Mode::Signed => {
            trust
                .add_sender(sensor().verifying_key(), sensor_topics)
                .unwrap();
            trust
                .add_sender(valve().verifying_key(), valve_topics)
                .unwrap();
        }
        Mode::Mac => {
            trust
                .add_mac_sender(Mode::mac_key(Who::Sensor), sensor_topics)
                .unwrap();
            trust
                .add_mac_sender(Mode::mac_key(Who::Valve), valve_topics)
                .unwrap();
        }
    }
    let mut keyring = Keyring::new();
    keyring
        .add_recipient_key(dashboard_key())
        .unwrap()
        .require_encryption("plant/+/secret")
        .unwrap();
    let policy = Policy::default().with_limits(Limits::DEFAULT.with_max_envelope_bytes(64 * 1024));
    let opener = Opener::new(trust, policy, Arc::clone(&clock)).with_keyring(keyring);
    let mut endpoint = Endpoint::new("dashboard", mitm.port());
    endpoint.keep_alive = Duration::from_secs(30);
    // Long limits for signed retained state and signed wills from a will kid: the broker must
    // not be able to stretch them to live messages (issue 16 item 1).
    let security = Security::new()
        .opener(opener)
        .retained_topic("plant/#", Duration::from_secs(86_400))
        .unwrap()
        .will_topic("plant/+/status", Duration::from_secs(7 * 86_400))
        .unwrap()
        .will_kid(payseal::Kid::new(b"sensor/will".to_vec()).unwrap());
    let (subscriber, mut events) = A::connect(&endpoint, security);
    wait_connected(&mut events).await;
    // `plant/#` only: the other trusted sender's `valves/#` is a topic the dashboard never
    // subscribed to, for the row that injects an authentic message there.
    A::subscribe(&subscriber, "plant/#", QoS::AtLeastOnce)
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;

    let audience = Audience::recipients([Recipient::new(dashboard_key().public_key())]).unwrap();
    let security = match mode {
        Mode::Signed => Security::new().sealer(
            Sealer::new(sensor(), Counter::from_unix_micros(), SystemClock)
                .with_audience("plant/+/secret", audience)
                .unwrap(),
        ),
        Mode::Mac => Security::new().sealer(
            Sealer::new(
                Mode::mac_key(Who::Sensor),
                Counter::from_unix_micros(),
                SystemClock,
            )
            .with_audience("plant/+/secret", audience)
            .unwrap(),
        ),
    };
    let (publisher, mut publisher_events) =
        A::connect(&Endpoint::new("sensor", broker.port()), security);
    wait_connected(&mut publisher_events).await;
    Lab {
        _broker: broker,
        mitm,
        plan,
        stash: Arc::new(Mutex::new(Vec::new())),
        clock,
        events,
        _subscriber: subscriber,
        publisher,
        _publisher_events: publisher_events,
    }
}

async fn wait_connected(events: &mut Receiver<Event>) {
    tokio::time::timeout(Duration::from_secs(10), async {
        while !matches!(events.recv().await, Some(Event::Connected { .. })) {}
    })
    .await
    .expect("connected");
}

/// Collects events until `expected` arrived and then 300 ms of quiet, into `row`.
async fn collect(events: &mut Receiver<Event>, expected: usize, row: &mut Row) {
    let mut seen = 0;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let wait = if seen >= expected {
            Duration::from_millis(300)
        } else {
            deadline.saturating_duration_since(Instant::now())
        };
        match tokio::time::timeout(wait, events.recv()).await {
            Ok(Some(Event::Message(_))) => {
                row.delivered += 1;
                seen += 1;
            }
            Ok(Some(Event::Rejected { reason, .. })) => {
                *row.rejected.entry(reason.code().to_string()).or_default() += 1;
                seen += 1;
            }
            Ok(Some(Event::Duplicate { .. })) => {
                *row.rejected.entry("duplicate".to_string()).or_default() += 1;
                seen += 1;
            }
            Ok(Some(_)) => {}
            Ok(None) => panic!("event stream closed"),
            Err(_) => return,
        }
    }
}

fn attacks(mode: Mode) -> Vec<Attack> {
    fn copy_inject(f: impl Fn(&Publish) -> Vec<u8> + Send + 'static) -> TamperFn {
        Box::new(move |p: Publish| {
            let bad = injected(&p, f(&p));
            vec![Out::Forward(p), bad]
        })
    }
    let stamp = mode.stamp_bstr_len();
    let simple = |name, topic, tamper, expect: Vec<&'static str>| Attack {
        name,
        topic,
        tamper,
        expect,
        legit_passes: true,
        after: None,
    };
    vec![
        simple(
            "flip a payload bit",
            "plant/1/temp",
            // The payload "21.5" ends just before the signature or tag.
            copy_inject(move |p| flip(p.payload.clone(), p.payload.len() - stamp - 4)),
            vec!["bad_signature"],
        ),
        simple(
            "flip a signature bit",
            "plant/1/temp",
            copy_inject(|p| flip(p.payload.clone(), p.payload.len() - 1)),
            vec!["bad_signature"],
        ),
        simple(
            "flip a header bit (seq)",
            "plant/1/temp",
            copy_inject(|p| {
                let env = UnverifiedEnvelope::decode(&p.payload, &Limits::DEFAULT).unwrap();
                let at = p
                    .payload
                    .windows(env.protected_bytes().len())
                    .position(|w| w == env.protected_bytes())
                    .unwrap();
                flip(p.payload.clone(), at + 16)
            }),
            vec!["bad_signature"],
        ),
        simple(
            "flip a ciphertext bit",
            "plant/1/secret",
            copy_inject(|p| flip(p.payload.clone(), p.payload.len() - 80)),
            vec!["bad_signature"],
        ),
        simple(
            "move to another topic",
            "plant/1/temp",
            Box::new(|p: Publish| {
                let moved = Out::Inject(Publish {
                    topic: "plant/2/temp".into(),
                    qos: 0,
                    dup: false,
                    retain: false,
                    ..p.clone()
                });
                vec![Out::Forward(p), moved]
            }),
            vec!["bad_signature"],
        ),
        simple(
            "replay at once",
            "plant/1/temp",
            Box::new(|p: Publish| {
                let copy = injected(&p, p.payload.clone());
                vec![Out::Forward(p), copy]
            }),
            vec!["duplicate"],
        ),
        simple(
            "duplicate with the DUP flag",
            "plant/1/temp",
            Box::new(|p: Publish| {
                let copy = Out::Inject(Publish {
                    dup: true,
                    qos: 1,
                    ..p.clone()
                });
                vec![Out::Forward(p), copy]
            }),
            vec!["duplicate"],
        ),
        simple(
            "re-publish as retained",
            "plant/1/temp",
            Box::new(|p: Publish| {
                let copy = Out::Inject(Publish {
                    retain: true,
                    qos: 0,
                    dup: false,
                    ..p.clone()
                });
                vec![Out::Forward(p), copy]
            }),
            vec!["duplicate"],
        ),
        simple(
            "inject an authentic message on an unsubscribed topic",
            "plant/1/temp",
            Box::new(move |p: Publish| {
                // Sealed by a sender trusted for `valves/#`, on a topic the dashboard never
                // subscribed to: authentic, and still not for this application.
                // Its own low sequence numbers, so nothing in this row can move the valve's
                // replay window past the later rows' re-signed envelopes.
                let mut sealer = mode.sealer(Who::Valve, 1);
                let command = Out::Inject(Publish {
                    topic: "valves/1/cmd".into(),
                    payload: sealer.seal("valves/1/cmd", b"OPEN").unwrap(),
                    qos: 0,
                    dup: false,
                    retain: false,
                    pkid: None,
                });
                vec![Out::Forward(p), command]
            }),
            vec!["not_subscribed"],
        ),
        simple(
            "inject from an unknown key",
            "plant/1/temp",
            copy_inject(move |p| mode.restamp(&p.payload, Who::Stranger, &p.topic)),
            vec!["unknown_sender"],
        ),
        simple(
            "known key on a topic it may not use",
            "plant/1/temp",
            copy_inject(move |p| mode.restamp(&p.payload, Who::Valve, &p.topic)),
            vec!["topic_not_authorized"],
        ),
        simple(
            match mode {
                Mode::Signed => "swap the algorithm (-19 to -9)",
                Mode::Mac => "swap the algorithm (HMAC 256/64 to 256/256)",
            },
            "plant/1/temp",
            copy_inject(move |p| {
                let (entry, other) = mode.alg_swap();
                let mut bytes = p.payload.clone();
                let at = bytes.windows(2).position(|w| w == entry).unwrap();
                bytes[at + 1] = other;
                bytes
            }),
            vec!["algorithm_mismatch"],
        ),
        // The bare payload "21.5" does not begin with a CBOR tag head (spec §4.1).
        simple(
            "strip the signature (payload alone)",
            "plant/1/temp",
            copy_inject(|p| {
                UnverifiedEnvelope::decode(&p.payload, &Limits::DEFAULT)
                    .unwrap()
                    .unverified_payload()
                    .to_vec()
            }),
            vec!["not_an_envelope"],
        ),
        simple(
            "strip the encryption (inner layer alone)",
            "plant/1/secret",
            copy_inject(|p| {
                UnverifiedEnvelope::decode(&p.payload, &Limits::DEFAULT)
                    .unwrap()
                    .unverified_payload()
                    .to_vec()
            }),
            vec!["wrong_tag"],
        ),
        simple(
            "downgrade: plaintext where encryption is required",
            "plant/1/secret",
            copy_inject(move |p| {
                let env = UnverifiedEnvelope::decode(&p.payload, &Limits::DEFAULT).unwrap();
                let mut sealer = mode.sealer(Who::Valve, env.seq());
                sealer.seal(&p.topic, b"open the door").unwrap()
            }),
            vec!["encryption_required"],
        ),
        simple(
            "remove or swap recipients",
            "plant/1/secret",
            copy_inject(|p| {
                let kid = dashboard_key().kid();
                let at = p
                    .payload
                    .windows(8)
                    .position(|w| w == kid.as_bytes())
                    .unwrap();
                flip(p.payload.clone(), at)
            }),
            vec!["bad_signature"],
        ),
        simple(
            "re-sign the ciphertext with another authorized key",
            "plant/1/secret",
            copy_inject(move |p| mode.restamp(&p.payload, Who::Valve, &p.topic)),
            vec!["decrypt_failed"],
        ),
        simple(
            "truncate",
            "plant/1/temp",
            copy_inject(|p| p.payload[..p.payload.len() / 2].to_vec()),
            vec!["invalid_cbor"],
        ),
        simple(
            "oversized",
            "plant/1/temp",
            copy_inject(|_| vec![0x42; 100 * 1024]),
            vec!["too_large"],
        ),
        simple(
            "garbage CBOR",
            "plant/1/temp",
            copy_inject(|_| vec![0xd2, 0x84, 0x40, 0xa0, 0x5f, 0x41, 0x00]),
            vec!["indefinite_length"],
        ),
        Attack {
            name: "drop",
            topic: "plant/1/temp",
            tamper: Box::new(|_| vec![]),
            expect: vec![],
            legit_passes: false,
            after: None,
        },
        Attack {
            name: "replay 10 minutes later (clock)",
            topic: "plant/1/temp",
            tamper: Box::new(|p| vec![Out::Forward(p)]),
            expect: vec!["stale"],
            legit_passes: true,
            after: Some(After::ReplayLater { advance: 600 }),
        },
        Attack {
            name: "reorder (hold one, release it after the next)",
            topic: "plant/1/temp",
            tamper: Box::new(|_| vec![]),
            expect: vec![],
            legit_passes: true,
            after: Some(After::Reorder),
        },
        Attack {
            name: "hold a live message, release it as retained (23 h later)",
            topic: "plant/1/setpoint",
            tamper: Box::new(|_| vec![]),
            expect: vec!["stale"],
            legit_passes: false,
            after: Some(After::ReleaseRetainedLater {
                advance: 23 * 3_600,
            }),
        },
        Attack {
            name: "old live message on a will topic (6 days later)",
            topic: "plant/1/status",
            tamper: Box::new(|_| vec![]),
            expect: vec!["stale"],
            legit_passes: false,
            after: Some(After::ReplayLater {
                advance: 6 * 86_400,
            }),
        },
        Attack {
            name: "delay past freshness",
            topic: "plant/1/temp",
            tamper: Box::new(|_| vec![]),
            expect: vec!["stale"],
            legit_passes: false,
            after: Some(After::ReplayLater { advance: 600 }),
        },
    ]
}

/// Every attack in the table is refused with its reason; legitimate traffic arrives exactly
/// once; a flood of junk leaves memory bounded.
pub async fn a_malicious_broker_gets_nothing_through<A: Adapter>() {
    run_table::<A>(Mode::Signed).await;
}

/// The same table with MAC-mode senders (spec/mac.md): every attack refused with the same
/// reason as in signed mode. The hostile-frame rows and the flood, which never reach a stamp
/// check, run in signed mode only.
pub async fn a_malicious_broker_gets_nothing_through_mac_mode<A: Adapter>() {
    run_table::<A>(Mode::Mac).await;
}

async fn run_table<A: Adapter>(mode: Mode) {
    let mut lab = lab::<A>(mode).await;
    let mut table = Vec::new();
    let mut failures = Vec::new();
    for attack in attacks(mode) {
        let mut row = Row::default();
        // Stash every publish the proxy sees in this round, for late injection.
        let stash = Arc::clone(&lab.stash);
        stash.lock().unwrap().clear();
        let mut tamper = attack.tamper;
        *lab.plan.lock().unwrap() = Box::new(move |p: Publish| {
            stash.lock().unwrap().push(p.clone());
            tamper(p)
        });
        row.injected = attack.expect.len();
        A::publish(
            &lab.publisher,
            attack.topic,
            QoS::AtLeastOnce,
            false,
            b"21.5",
        )
        .await
        .unwrap();
        let expected_now = usize::from(attack.legit_passes)
            + if attack.after.is_some() {
                0
            } else {
                attack.expect.len()
            };
        collect(&mut lab.events, expected_now, &mut row).await;
        let mut legit_expected = usize::from(attack.legit_passes);
        match attack.after {
            Some(After::ReplayLater { advance }) => {
                lab.clock.advance(advance);
                for p in lab.stash.lock().unwrap().drain(..) {
                    lab.mitm.inject(late(p));
                }
                collect(&mut lab.events, attack.expect.len(), &mut row).await;
                lab.clock.set(now());
            }
            Some(After::ReleaseRetainedLater { advance }) => {
                lab.clock.advance(advance);
                for p in lab.stash.lock().unwrap().drain(..) {
                    lab.mitm.inject(Publish {
                        retain: true,
                        ..late(p)
                    });
                }
                collect(&mut lab.events, attack.expect.len(), &mut row).await;
                lab.clock.set(now());
            }
            Some(After::Reorder) => {
                let held: Vec<Publish> = lab.stash.lock().unwrap().drain(..).collect();
                *lab.plan.lock().unwrap() = Box::new(|p| vec![Out::Forward(p)]);
                A::publish(
                    &lab.publisher,
                    attack.topic,
                    QoS::AtLeastOnce,
                    false,
                    b"21.6",
                )
                .await
                .unwrap();
                collect(&mut lab.events, 1, &mut row).await;
                for p in held {
                    lab.mitm.inject(late(p));
                }
                collect(&mut lab.events, 1, &mut row).await;
                // Both arrive, the late one too: it is new and inside the replay window.
                legit_expected = 2;
            }
            None => {}
        }
        *lab.plan.lock().unwrap() = Box::new(|p| vec![Out::Forward(p)]);
        row.lost = legit_expected.saturating_sub(row.delivered);
        let mut want = BTreeMap::new();
        for code in &attack.expect {
            *want.entry(code.to_string()).or_insert(0) += 1;
        }
        if row.rejected != want || row.delivered != legit_expected {
            failures.push(format!(
                "{}: expected {want:?} and {legit_expected} delivered, got {:?} and {} delivered",
                attack.name, row.rejected, row.delivered
            ));
        }
        table.push((attack.name, row, attack.legit_passes));
    }

    let flood = if mode == Mode::Signed {
        Some(hostile_and_flood(&mut lab, &mut table, &mut failures).await)
    } else {
        None
    };
    println!("\n{} ({mode:?} mode)", A::NAME);
    println!(
        "\n| attack | injected | rejected (by reason) | legitimate delivered | legitimate lost (proxy dropped) |"
    );
    println!("|---|---|---|---|---|");
    for (name, row, passes) in &table {
        let reasons: Vec<String> = row
            .rejected
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect();
        let lost = if *passes {
            row.lost.to_string()
        } else {
            format!("{} (dropped by the proxy)", 1 - row.delivered)
        };
        println!(
            "| {name} | {} | {} | {} | {lost} |",
            row.injected,
            reasons.join(", "),
            row.delivered
        );
    }
    if let Some(summary) = flood {
        println!("{summary}");
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

type Table = Vec<(&'static str, Row, bool)>;

/// The rows no stamp check is reached in: hostile frames, and a flood of junk while legitimate
/// traffic flows (its memory growth checked). The flood's summary line.
async fn hostile_and_flood<A: Adapter>(
    lab: &mut Lab<A>,
    table: &mut Table,
    failures: &mut Vec<String>,
) -> String {
    // Frames no honest broker sends: hostile topics and 250 MiB packets.
    hostile::rows(lab, table, failures).await;

    // A flood of junk at a high rate while legitimate traffic flows.
    let rss_before = rss_kib();
    let junk = 20_000;
    let legit = 200;
    let start = Instant::now();
    let flood_mitm = &lab.mitm;
    for i in 0..junk {
        flood_mitm.inject(Publish {
            dup: false,
            qos: 0,
            retain: false,
            topic: "plant/9/temp".into(),
            pkid: None,
            payload: vec![u8::try_from(i % 251).unwrap(); 64],
        });
    }
    for _ in 0..legit {
        A::publish(
            &lab.publisher,
            "plant/9/temp",
            QoS::AtLeastOnce,
            false,
            b"21.5",
        )
        .await
        .unwrap();
    }
    let mut flood = Row {
        injected: junk,
        ..Row::default()
    };
    collect(&mut lab.events, junk + legit, &mut flood).await;
    let elapsed = start.elapsed();
    let rss_after = rss_kib();
    flood.lost = legit.saturating_sub(flood.delivered);
    let flood_rejected: usize = flood.rejected.values().sum();
    if flood.delivered != legit || flood_rejected != junk {
        failures.push(format!(
            "flood: {} of {legit} legitimate delivered, {flood_rejected} of {junk} junk rejected",
            flood.delivered
        ));
    }
    table.push(("flood of junk (20,000 at full speed)", flood, true));

    let summary = format!(
        "\nflood: {junk} junk messages injected at full speed with {legit} legitimate ones behind them: all {} handled in {elapsed:?} ({:.0} msgs/s through the subscriber); subscriber RSS {rss_before} KiB -> {rss_after} KiB",
        junk + legit,
        (junk + legit) as f64 / elapsed.as_secs_f64()
    );
    // No per-junk-message state: junk leaves nothing behind in the opener (replay windows exist
    // only for senders that passed signature verification), and the adapter's event queue is
    // bounded (4,096 events), so the growth is bounded whatever the flood's length.
    assert!(
        rss_after.saturating_sub(rss_before) < 8 * 1024,
        "RSS grew by {} KiB",
        rss_after - rss_before
    );
    summary
}

/// A held message sent on later, as QoS 0 (the proxy never acked the original).
fn late(p: Publish) -> Publish {
    Publish {
        qos: 0,
        dup: false,
        retain: false,
        ..p
    }
}

fn rss_kib() -> usize {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}
