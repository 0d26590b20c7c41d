//! The Redis fleet store against a real `redis-server` each test starts on a free port.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use std::sync::{Arc, Barrier};

use payseal::{Kid, MemoryReplayStore, Rejection, ReplayStore};
use payseal_store::{RedisReplayStore, RedisStoreConfig, is_store_unavailable};

use common::redis_server::RedisServer;

fn kid(b: u8) -> Kid {
    Kid::new(vec![b; 8]).unwrap()
}

fn store(server: &RedisServer, prefix: &str, width: usize) -> RedisReplayStore {
    RedisReplayStore::open(RedisStoreConfig::new(server.url(), prefix, width)).unwrap()
}

/// A small deterministic generator (xorshift64*), so a failure can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

#[test]
fn the_script_decides_exactly_as_the_core_window() {
    let server = RedisServer::start("model", false);
    // 192 is not a power of two: the ring index must still be exact.
    for (width, base) in [
        (64, 1_000u64),
        (192, (1u64 << 32) - 150), // numbers cross the 32-bit halves
        (128, u64::MAX - 200_000), // near the top
        (4096, 5_000),             // jumps clear whole bytes of the ring, and wrap around it
    ] {
        let mut redis = store(&server, &format!("model-{width}:"), width);
        let mut model = MemoryReplayStore::new(width);
        let mut accepted: [Vec<u64>; 3] = Default::default();
        let mut raw = raw_connection(&server);
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ base);
        let mut top = base;
        for step in 0..1500 {
            let sender = kid((rng.next() % 3) as u8);
            let r = rng.next();
            if r.is_multiple_of(4) {
                top += r % 300;
            }
            let seq = top.saturating_sub(rng.next() % 400);
            let expected = model.check_and_record(&sender, seq);
            let got = if step % 2 == 0 {
                redis.check_and_record(&sender, seq)
            } else {
                redis
                    .check_and_record_batch(&[(sender.clone(), seq)])
                    .remove(0)
            };
            assert_eq!(got, expected, "width {width} step {step} seq {seq}");
            // After every decision, the stored bytes are spec/replay-stores.md §3.1's, as the
            // file store writes them.
            let numbers = &mut accepted[usize::from(sender.as_bytes()[0])];
            if got.is_ok() {
                numbers.push(seq);
            }
            if !numbers.is_empty() {
                assert_eq!(
                    stored_value(&mut raw, &redis.key(&sender)),
                    window_bytes(width as u64, numbers),
                    "width {width} step {step} seq {seq}"
                );
            }
        }
    }
}

/// Batches of every length up to more than one script call holds (128), the same senders
/// many times in one batch: each decided as the core's window decides one by one, and the
/// stored bytes those of §3.1 after every batch.
#[test]
fn batches_decide_as_the_core_window_one_by_one() {
    let server = RedisServer::start("batches", false);
    let mut raw = raw_connection(&server);
    for width in [64usize, 4096] {
        let mut redis = store(&server, &format!("batches-{width}:"), width);
        let mut model = MemoryReplayStore::new(width);
        let mut accepted: [Vec<u64>; 3] = Default::default();
        let mut rng = Rng(0x5151_7A7A ^ width as u64);
        let mut top = 10_000u64;
        for round in 0..40 {
            let len = 1 + usize::try_from(rng.next() % 300).unwrap();
            let batch: Vec<(Kid, u64)> = (0..len)
                .map(|_| {
                    if rng.next().is_multiple_of(3) {
                        top += rng.next() % 90;
                    }
                    (
                        kid((rng.next() % 3) as u8),
                        top.saturating_sub(rng.next() % 200),
                    )
                })
                .collect();
            let got = redis.check_and_record_batch(&batch);
            for ((sender, seq), got) in batch.iter().zip(&got) {
                assert_eq!(
                    *got,
                    model.check_and_record(sender, *seq),
                    "width {width} round {round} seq {seq}"
                );
                if got.is_ok() {
                    accepted[usize::from(sender.as_bytes()[0])].push(*seq);
                }
            }
            for (b, numbers) in (0u8..).zip(&accepted) {
                if numbers.is_empty() {
                    continue;
                }
                assert_eq!(
                    stored_value(&mut raw, &redis.key(&kid(b))),
                    window_bytes(width as u64, numbers),
                    "round {round}"
                );
            }
        }
    }
}

/// The bytes of §3.1 for a window that accepted `numbers`: `top`, then bit `s mod W` (least
/// significant first) for every accepted `s` within `W` of it.
fn window_bytes(width: u64, numbers: &[u64]) -> Vec<u8> {
    let top = numbers.iter().copied().max().unwrap();
    let mut bytes = top.to_be_bytes().to_vec();
    bytes.resize(8 + usize::try_from(width / 8).unwrap(), 0);
    for &s in numbers.iter().filter(|&&s| top - s < width) {
        let i = usize::try_from(s % width).unwrap();
        bytes[8 + i / 8] |= 1 << (i % 8);
    }
    bytes
}

/// A window's value as Redis stores it.
fn stored_value(raw: &mut redis::Connection, key: &str) -> Vec<u8> {
    redis::cmd("GET").arg(key).query(raw).unwrap()
}

fn raw_connection(server: &RedisServer) -> redis::Connection {
    redis::Client::open(server.url())
        .unwrap()
        .get_connection()
        .unwrap()
}

/// §4.3: without an idle expiry a window never expires; with one, a number that must be
/// remembered longer lengthens the expiry, and a later, shorter one never shortens it.
#[test]
fn expiries_follow_the_idle_expiry_and_are_never_shortened() {
    use std::time::Duration;
    let server = RedisServer::start("ttl", false);
    let mut raw = raw_connection(&server);
    let mut pttl = |key: &str| -> i64 { redis::cmd("PTTL").arg(key).query(&mut raw).unwrap() };

    let mut forever = store(&server, "ttl-none:", 128);
    forever.check_and_record(&kid(1), 1).unwrap();
    assert_eq!(pttl(&forever.key(&kid(1))), -1);

    let config =
        RedisStoreConfig::new(server.url(), "ttl:", 128).idle_expiry(Duration::from_secs(60));
    let mut idle = RedisReplayStore::open(config).unwrap();
    let key = idle.key(&kid(1));
    idle.check_and_record(&kid(1), 1).unwrap();
    let first = pttl(&key);
    assert!((50_000..=60_000).contains(&first), "{first}");
    idle.check_and_record_for(&kid(1), 2, Duration::from_secs(3_600))
        .unwrap();
    assert!(pttl(&key) > 3_500_000);
    idle.check_and_record(&kid(1), 3).unwrap();
    assert!(
        pttl(&key) > 3_500_000,
        "a shorter expiry never shortens a longer one"
    );
    // A refused number changes nothing.
    assert_eq!(
        idle.check_and_record(&kid(1), 3),
        Err(Rejection::Replayed { seq: 3 })
    );
    assert!(pttl(&key) > 3_500_000);
}

#[test]
fn a_pipelined_batch_decides_as_one_by_one() {
    let server = RedisServer::start("batch", false);
    let mut redis = store(&server, "batch:", 64);
    let items = vec![
        (kid(1), 10),
        (kid(2), 10),
        (kid(1), 10),
        (kid(1), 9),
        (kid(1), 200),
        (kid(1), 9),
    ];
    assert_eq!(
        redis.check_and_record_batch(&items),
        vec![
            Ok(()),
            Ok(()),
            Err(Rejection::Replayed { seq: 10 }),
            Ok(()),
            Ok(()),
            Err(Rejection::BelowWindow {
                seq: 9,
                lowest: 137
            }),
        ]
    );
}

#[test]
fn stores_sharing_redis_accept_each_number_once_between_them() {
    let server = RedisServer::start("shared", false);
    let url = server.url();
    const N: u64 = 400;
    let start = Arc::new(Barrier::new(3));
    // Three members race on every number (as if the broker sent each message to all of
    // them): each number must be accepted by exactly one.
    let threads: Vec<_> = (0..3)
        .map(|_| {
            let url = url.clone();
            let start = Arc::clone(&start);
            std::thread::spawn(move || {
                let mut redis =
                    RedisReplayStore::open(RedisStoreConfig::new(url, "shared:", 128)).unwrap();
                start.wait();
                (1..=N)
                    .filter(|&seq| redis.check_and_record(&kid(7), seq).is_ok())
                    .collect::<Vec<u64>>()
            })
        })
        .collect();
    let accepted: Vec<Vec<u64>> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    let counts: Vec<usize> = accepted.iter().map(Vec::len).collect();
    println!("shared window: accepted per member {counts:?}, {N} numbers each");
    let mut all: Vec<u64> = accepted.concat();
    all.sort_unstable();
    assert_eq!(all, (1..=N).collect::<Vec<_>>(), "each number exactly once");
}

#[test]
fn a_lost_script_is_loaded_again() {
    let server = RedisServer::start("noscript", false);
    let mut redis = store(&server, "noscript:", 64);
    redis.check_and_record(&kid(1), 1).unwrap();
    let flush = |server: &RedisServer| {
        let client = redis::Client::open(server.url()).unwrap();
        let mut c = client.get_connection().unwrap();
        redis::cmd("SCRIPT")
            .arg("FLUSH")
            .query::<()>(&mut c)
            .unwrap();
    };
    flush(&server);
    redis.check_and_record(&kid(1), 2).unwrap();
    assert_eq!(
        redis.check_and_record(&kid(1), 1),
        Err(Rejection::Replayed { seq: 1 })
    );
    flush(&server);
    assert_eq!(
        redis.check_and_record_batch(&[(kid(1), 3), (kid(1), 2)]),
        vec![Ok(()), Err(Rejection::Replayed { seq: 2 })]
    );
    assert!(redis.last_error().is_none());
}

#[test]
fn a_window_of_another_width_fails_closed() {
    let server = RedisServer::start("width", false);
    store(&server, "width:", 64)
        .check_and_record(&kid(1), 1)
        .unwrap();
    let mut wider = store(&server, "width:", 128);
    assert!(is_store_unavailable(
        &wider.check_and_record(&kid(1), 2).unwrap_err()
    ));
    assert!(wider.last_error().is_some());
    // In a batch, only that sender's numbers are refused; the others are decided.
    let batch = wider.check_and_record_batch(&[(kid(2), 1), (kid(1), 3), (kid(2), 1)]);
    assert_eq!(batch[0], Ok(()));
    assert!(is_store_unavailable(batch[1].as_ref().unwrap_err()));
    assert_eq!(batch[2], Err(Rejection::Replayed { seq: 1 }));
}

#[test]
fn redis_stopped_mid_run_accepts_nothing_unchecked_and_resumes_when_it_returns() {
    // A server that persists every write (appendfsync always), as a fleet must run it.
    let mut server = RedisServer::start("fault", true);
    let mut redis = store(&server, "fault:", 128);
    for seq in 1..=100 {
        redis.check_and_record(&kid(1), seq).unwrap();
    }

    server.kill();
    let mut unavailable = 0;
    for seq in (101..=150).chain(1..=10) {
        let refused = redis.check_and_record(&kid(1), seq).unwrap_err();
        assert!(is_store_unavailable(&refused), "seq {seq}: {refused:?}");
        unavailable += 1;
    }
    let batch: Vec<(Kid, u64)> = (151..=160).map(|s| (kid(1), s)).collect();
    for result in redis.check_and_record_batch(&batch) {
        assert!(is_store_unavailable(&result.unwrap_err()));
        unavailable += 1;
    }
    assert!(redis.last_error().is_some());
    // A store created while Redis is down fails closed too.
    let mut late = store(&server, "fault:", 128);
    assert!(is_store_unavailable(
        &late.check_and_record(&kid(1), 161).unwrap_err()
    ));

    server.restart();
    // Delivery resumes on the same store object; what was accepted before is still refused.
    for seq in 1..=100 {
        assert!(redis.check_and_record(&kid(1), seq).is_err(), "seq {seq}");
    }
    for seq in 101..=170 {
        redis.check_and_record(&kid(1), seq).unwrap();
    }
    assert!(late.check_and_record(&kid(1), 170).is_err());
    late.check_and_record(&kid(1), 171).unwrap();
    println!("fault test: {unavailable} checks refused while Redis was down, 0 accepted");
}

/// Issue 16 item 4: a will judged with a 7-day limit must not be accepted again once a short
/// idle expiry (right for the live limits) has passed: the window is kept until the will is
/// stale under the limit it was accepted with.
#[test]
fn will_is_not_reaccepted_after_redis_idle_expiry() {
    use payseal::{
        Algorithm, Counter, Freshness, ManualClock, Opener, Policy, Sealer, SigningKey, TrustStore,
    };
    let server = RedisServer::start("expiry", false);
    let clock = ManualClock::new(1_700_000_000);
    let key = SigningKey::from_secret_bytes(Algorithm::Ed25519, &[5; 32]).unwrap();
    let will_kid = Kid::new(b"sensor-5/will".to_vec()).unwrap();
    let mut trust = TrustStore::new();
    trust
        .add_sender_with_kid(will_kid.clone(), key.verifying_key(), ["plant/5/status"])
        .unwrap();
    let will = Sealer::new(key, Counter::starting_at(1), &clock)
        .with_kid(will_kid)
        .seal("plant/5/status", b"offline")
        .unwrap();
    clock.advance(3 * 86_400); // the connection lasted three days
    let config = RedisStoreConfig::new(server.url(), "expiry:", 128)
        .idle_expiry(std::time::Duration::from_millis(1_500));
    let store = RedisReplayStore::open(config).unwrap();
    let mut opener = Opener::with_replay_store(trust, store, Policy::default(), &clock);
    let will_limit = Freshness {
        max_age_secs: 7 * 86_400,
        max_future_skew_secs: Policy::DEFAULT_MAX_FUTURE_SKEW_SECS,
    };
    let open = |opener: &mut Opener<_, _>| {
        opener
            .open_with_freshness("plant/5/status", &will, will_limit)
            .map(|v| v.seq())
    };
    assert_eq!(open(&mut opener), Ok(1));
    assert_eq!(open(&mut opener), Err(Rejection::Replayed { seq: 1 }));
    std::thread::sleep(std::time::Duration::from_millis(2_500));
    assert_eq!(open(&mut opener), Err(Rejection::Replayed { seq: 1 }));
}
