//! `Opener::open_batch` against `Opener::open`: on random mixes of valid, tampered, replayed,
//! stale, misrouted and duplicated-in-batch envelopes from several senders, the batch path gives
//! exactly the results of opening one at a time, and leaves the same replay windows behind.
//! The same for the split API (`check_batch`, signatures verified on another thread,
//! `commit_batch`) over a group-committing replay store that is down for whole batches.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use payseal::{
    Algorithm, Counter, Kid, ManualClock, MemoryReplayStore, Opener, Policy, Rejection,
    ReplayStore, ReplayWindow, Sealer, SigningKey, TrustStore,
};
use proptest::prelude::*;

const NOW: u64 = 1_700_000_000;

/// Three Ed25519 senders (so the batch mixes keys) and one P-256 sender (verified singly).
const SENDERS: [(Algorithm, u8); 4] = [
    (Algorithm::Ed25519, 1),
    (Algorithm::Ed25519, 2),
    (Algorithm::Ed25519, 3),
    (Algorithm::EcdsaP256, 4),
];

fn key(sender: usize) -> SigningKey {
    let (alg, seed) = SENDERS[sender % SENDERS.len()];
    SigningKey::from_secret_bytes(alg, &[seed; 32]).unwrap()
}

fn trust() -> TrustStore {
    let mut trust = TrustStore::new();
    for sender in 0..SENDERS.len() {
        trust
            .add_sender(key(sender).verifying_key(), ["plant/#"])
            .unwrap();
    }
    trust
}

fn opener() -> Opener<MemoryReplayStore, ManualClock> {
    Opener::new(trust(), Policy::default(), ManualClock::new(NOW))
}

/// Windows in memory behind a "disk" that can be down, committed like the file store: a
/// batch is judged against staged copies and kept only if its one write succeeds. While down,
/// a number is judged against the windows as they were: `Replayed` and `BelowWindow` still
/// say so, anything else is `StoreUnavailable`.
struct Outage {
    windows: MemoryReplayStore,
    down: Rc<Cell<bool>>,
}

impl Outage {
    fn judge_down(&self, sender: &Kid, seq: u64) -> Result<(), Rejection> {
        if let Some(window) = self.windows.window(sender) {
            window.check(seq)?;
        }
        Err(Rejection::StoreUnavailable { seq })
    }
}

impl ReplayStore for Outage {
    fn check_and_record(&mut self, sender: &Kid, seq: u64) -> Result<(), Rejection> {
        if self.down.get() {
            return self.judge_down(sender, seq);
        }
        self.windows.check_and_record(sender, seq)
    }

    fn check_and_record_batch_for(
        &mut self,
        items: &[(&Kid, u64, Duration)],
    ) -> Vec<Result<(), Rejection>> {
        if self.down.get() {
            return items
                .iter()
                .map(|(sender, seq, _)| self.judge_down(sender, *seq))
                .collect();
        }
        let mut staged = self.windows.clone();
        let results = items
            .iter()
            .map(|(sender, seq, _)| staged.check_and_record(sender, *seq))
            .collect();
        self.windows = staged;
        results
    }
}

fn outage_opener(down: &Rc<Cell<bool>>) -> Opener<Outage, ManualClock> {
    let store = Outage {
        windows: MemoryReplayStore::new(Policy::DEFAULT_WINDOW),
        down: Rc::clone(down),
    };
    Opener::with_replay_store(trust(), store, Policy::default(), ManualClock::new(NOW))
}

fn window_of<R: ReplayStore>(
    opener: &Opener<R, ManualClock>,
    windows: impl Fn(&R, &Kid) -> Option<ReplayWindow>,
    sender: usize,
) -> Option<ReplayWindow> {
    windows(opener.replay(), &key(sender).kid())
}

#[derive(Clone, Debug)]
enum Op {
    /// A new envelope from a sender, on one of two topics.
    Fresh { sender: usize, topic: usize },
    /// A new envelope with one bit flipped (anywhere, or in the signature).
    Tampered {
        sender: usize,
        at: usize,
        bit: u8,
        in_signature: bool,
    },
    /// An envelope delivered again (earlier in this batch or an earlier batch).
    Again { back: usize },
    /// Sealed for one topic, delivered on another the sender may also use.
    Moved { sender: usize },
    /// On a topic the sender may not publish on.
    Unauthorized { sender: usize },
    /// Sealed 1000 s ago: the signature verifies, freshness fails.
    Stale { sender: usize },
    /// A sequence number far ahead, pushing earlier numbers below the window.
    Ahead { sender: usize, by: u64 },
    /// Not an envelope.
    Garbage { bytes: Vec<u8> },
}

fn any_op() -> impl Strategy<Value = Op> {
    let sender = 0..SENDERS.len();
    prop_oneof![
        4 => (sender.clone(), 0..2usize).prop_map(|(sender, topic)| Op::Fresh { sender, topic }),
        2 => (sender.clone(), any::<usize>(), 0..8u8, any::<bool>()).prop_map(
            |(sender, at, bit, in_signature)| Op::Tampered { sender, at, bit, in_signature }
        ),
        3 => (0..40usize).prop_map(|back| Op::Again { back }),
        1 => sender.clone().prop_map(|sender| Op::Moved { sender }),
        1 => sender.clone().prop_map(|sender| Op::Unauthorized { sender }),
        1 => sender.clone().prop_map(|sender| Op::Stale { sender }),
        1 => (sender, 100..400u64).prop_map(|(sender, by)| Op::Ahead { sender, by }),
        1 => prop::collection::vec(any::<u8>(), 0..80).prop_map(|bytes| Op::Garbage { bytes }),
    ]
}

/// Builds the deliveries, `(topic, envelope)`, that a list of ops describes.
struct World {
    sealers: Vec<Sealer<SigningKey, Counter, ManualClock>>,
    next_seq: Vec<u64>,
    delivered: Vec<(String, Vec<u8>)>,
}

impl World {
    fn new() -> Self {
        World {
            sealers: (0..SENDERS.len())
                .map(|s| Sealer::new(key(s), Counter::starting_at(1), ManualClock::new(NOW)))
                .collect(),
            next_seq: vec![1; SENDERS.len()],
            delivered: Vec::new(),
        }
    }

    fn seal(&mut self, sender: usize, topic: &str) -> Vec<u8> {
        self.next_seq[sender] += 1;
        self.sealers[sender].seal(topic, b"21.5 degrees").unwrap()
    }

    fn deliveries(&mut self, ops: &[Op]) -> Vec<(String, Vec<u8>)> {
        let start = self.delivered.len();
        for op in ops {
            let delivery = match op {
                Op::Fresh { sender, topic } => {
                    let topic = format!("plant/{topic}");
                    let env = self.seal(*sender, &topic);
                    (topic, env)
                }
                Op::Tampered {
                    sender,
                    at,
                    bit,
                    in_signature,
                } => {
                    let mut env = self.seal(*sender, "plant/0");
                    let len = env.len();
                    let at = if *in_signature {
                        len - 1 - at % 64
                    } else {
                        at % len
                    };
                    env[at] ^= 1 << bit;
                    ("plant/0".to_owned(), env)
                }
                Op::Again { back } if !self.delivered.is_empty() => {
                    let i = self.delivered.len() - 1 - back % self.delivered.len();
                    self.delivered[i].clone()
                }
                Op::Again { .. } => ("plant/0".to_owned(), Vec::new()),
                Op::Moved { sender } => {
                    let env = self.seal(*sender, "plant/0");
                    ("plant/1".to_owned(), env)
                }
                Op::Unauthorized { sender } => {
                    let env = self.seal(*sender, "valve/0");
                    ("valve/0".to_owned(), env)
                }
                Op::Stale { sender } => {
                    let seq = self.next_seq[*sender];
                    self.next_seq[*sender] += 1;
                    let mut old = Sealer::new(
                        key(*sender),
                        Counter::starting_at(seq),
                        ManualClock::new(NOW - 1000),
                    );
                    ("plant/0".to_owned(), old.seal("plant/0", b"old").unwrap())
                }
                Op::Ahead { sender, by } => {
                    let seq = self.next_seq[*sender] + by;
                    let mut ahead = Sealer::new(
                        key(*sender),
                        Counter::starting_at(seq),
                        ManualClock::new(NOW),
                    );
                    (
                        "plant/0".to_owned(),
                        ahead.seal("plant/0", b"ahead").unwrap(),
                    )
                }
                Op::Garbage { bytes } => ("plant/0".to_owned(), bytes.clone()),
            };
            self.delivered.push(delivery);
        }
        self.delivered[start..].to_vec()
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn open_batch_matches_open_one_by_one(
        batches in prop::collection::vec(prop::collection::vec(any_op(), 0..24), 1..4),
    ) {
        let mut world = World::new();
        let mut batched = opener();
        let mut single = opener();
        for ops in &batches {
            let deliveries = world.deliveries(ops);
            let items: Vec<(&str, &[u8])> =
                deliveries.iter().map(|(t, e)| (t.as_str(), e.as_slice())).collect();
            let from_batch = batched.open_batch(&items);
            let one_by_one: Vec<_> = items.iter().map(|(t, e)| single.open(t, e)).collect();
            prop_assert_eq!(from_batch, one_by_one);
        }
        for sender in 0..SENDERS.len() {
            let kid = key(sender).kid();
            prop_assert_eq!(batched.replay().window(&kid), single.replay().window(&kid));
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn split_batches_match_open_one_by_one_through_outages(
        batches in prop::collection::vec(
            (prop::collection::vec(any_op(), 0..24), prop::bool::weighted(0.3)),
            1..5,
        ),
    ) {
        let mut world = World::new();
        let (batch_down, single_down) = (Rc::new(Cell::new(false)), Rc::new(Cell::new(false)));
        let mut batched = outage_opener(&batch_down);
        let mut single = outage_opener(&single_down);
        for (ops, outage) in &batches {
            batch_down.set(*outage);
            single_down.set(*outage);
            let deliveries = world.deliveries(ops);
            let items: Vec<(&str, &[u8])> =
                deliveries.iter().map(|(t, e)| (t.as_str(), e.as_slice())).collect();
            let mut checked = batched.check_batch(&items);
            std::thread::scope(|s| s.spawn(|| checked.verify_signatures()).join()).unwrap();
            let from_batch = batched.commit_batch(checked, |_, _, _, live| live);
            let one_by_one: Vec<_> = items.iter().map(|(t, e)| single.open(t, e)).collect();
            prop_assert_eq!(from_batch, one_by_one);
        }
        let windows = |store: &Outage, kid: &Kid| store.windows.window(kid).cloned();
        for sender in 0..SENDERS.len() {
            prop_assert_eq!(
                window_of(&batched, windows, sender),
                window_of(&single, windows, sender)
            );
        }
    }
}

/// While the store is down, neither copy of an envelope sent twice in one batch is accepted
/// or called a replay: the first was never recorded, so both may come again.
#[test]
fn a_failed_commit_names_no_in_batch_copy_a_replay() {
    let mut world = World::new();
    let deliveries = world.deliveries(&[
        Op::Fresh {
            sender: 0,
            topic: 0,
        },
        Op::Again { back: 0 },
    ]);
    let items: Vec<(&str, &[u8])> = deliveries
        .iter()
        .map(|(t, e)| (t.as_str(), e.as_slice()))
        .collect();
    let down = Rc::new(Cell::new(true));
    let mut opener = outage_opener(&down);
    let batch = opener.check_batch(&items);
    let results = opener.commit_batch(batch, |_, _, _, live| live);
    assert_eq!(
        results,
        [
            Err(Rejection::StoreUnavailable { seq: 1 }),
            Err(Rejection::StoreUnavailable { seq: 1 })
        ]
    );
    down.set(false);
    let batch = opener.check_batch(&items);
    let results = opener.commit_batch(batch, |_, _, _, live| live);
    assert!(results[0].is_ok());
    assert_eq!(results[1], Err(Rejection::Replayed { seq: 1 }));
}

/// Commit verifies a batch whose signatures nobody verified: a forged signature cannot slip
/// through by skipping the middle stage.
#[test]
fn commit_verifies_an_unverified_batch() {
    let mut world = World::new();
    let deliveries = world.deliveries(&[
        Op::Fresh {
            sender: 0,
            topic: 0,
        },
        Op::Tampered {
            sender: 1,
            at: 0,
            bit: 0,
            in_signature: true,
        },
    ]);
    let items: Vec<(&str, &[u8])> = deliveries
        .iter()
        .map(|(t, e)| (t.as_str(), e.as_slice()))
        .collect();
    let mut opener = opener();
    let batch = opener.check_batch(&items);
    let results = opener.commit_batch(batch, |_, _, _, live| live);
    assert!(results[0].is_ok());
    assert_eq!(results[1], Err(Rejection::BadSignature));
}

/// A valid batch with one forged signature in the middle: the batch fails, the fallback finds
/// exactly the bad one, and the replay window records everything else.
#[test]
fn one_bad_signature_in_a_batch_is_found() {
    let mut world = World::new();
    let mut ops: Vec<Op> = (0..16)
        .map(|i| Op::Fresh {
            sender: i % 3,
            topic: 0,
        })
        .collect();
    ops[7] = Op::Tampered {
        sender: 1,
        at: 3,
        bit: 0,
        in_signature: true,
    };
    let deliveries = world.deliveries(&ops);
    let items: Vec<(&str, &[u8])> = deliveries
        .iter()
        .map(|(t, e)| (t.as_str(), e.as_slice()))
        .collect();
    let results = opener().open_batch(&items);
    for (i, result) in results.iter().enumerate() {
        if i == 7 {
            assert_eq!(result, &Err(Rejection::BadSignature));
        } else {
            assert_eq!(result.as_ref().unwrap().payload(), b"21.5 degrees");
        }
    }
}

#[test]
fn empty_batch_is_empty() {
    assert!(opener().open_batch(&[]).is_empty());
}
