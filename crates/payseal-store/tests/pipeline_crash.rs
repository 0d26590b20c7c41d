//! The adapter's verification pipeline (batched verification, one replay-store call per batch)
//! under failure, with real subscriber processes over payseal-rumqttc, a Mosquitto and a
//! `redis-server` started per test:
//!
//! - a subscriber SIGKILLed while batches are in flight, with the file store and a persistent
//!   session, loses nothing it acknowledged (the broker redelivers everything else) and
//!   accepts no replay after its restart;
//! - a Redis outage while a batch is judged leaves the whole batch unacknowledged: after a
//!   restart of the subscriber, the broker redelivers it and every message is accepted once.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use std::collections::BTreeSet;

use payseal::{Counter, Sealer, SystemClock};
use payseal_testkit::Mosquitto;

use common::redis_server::RedisServer;
use common::{
    Proc, RawPublisher, TempDir, key, kid_hex, parse_accepted, parse_below_window, parse_duplicate,
    parse_unavailable,
};

const SUBSCRIBER: &str = env!("CARGO_BIN_EXE_payseal-store-subscriber");
const SENSOR: u8 = 1;
const TOPIC: &str = "plant/pipeline";

fn subscriber(broker: &Mosquitto, id: &str, store: &[&str]) -> Proc {
    let port = broker.port().to_string();
    let mut args = vec![
        "--port",
        &port,
        "--filter",
        "plant/#",
        "--trust",
        "1,9",
        "--client-id",
        id,
        "--session",
        "persistent",
        "--window",
        "4096",
    ];
    args.extend_from_slice(store);
    Proc::spawn(id, SUBSCRIBER, &args)
}

/// `count` envelopes of the sensor, sealed here so that the same bytes can be replayed.
fn sealed(
    sealer: &mut Sealer<payseal::SigningKey, Counter, SystemClock>,
    count: u64,
) -> Vec<Vec<u8>> {
    (0..count)
        .map(|i| sealer.seal(TOPIC, format!("m {i}").as_bytes()).unwrap())
        .collect()
}

fn sensor_seqs(proc: &Proc, parse: impl Fn(&str) -> Option<u64>) -> Vec<u64> {
    proc.seen.iter().filter_map(|l| parse(l)).collect()
}

fn accepted(proc: &Proc) -> Vec<u64> {
    let sensor = kid_hex(SENSOR);
    proc.seen
        .iter()
        .filter_map(|l| parse_accepted(l))
        .filter(|a| a.kid == sensor)
        .map(|a| a.seq)
        .collect()
}

#[test]
fn a_subscriber_killed_mid_batch_loses_nothing_acked_and_accepts_no_replay() {
    const N: u64 = 2000;
    let broker = Mosquitto::start().expect("mosquitto must start");
    let dir = TempDir::new("pipeline-kill");
    let state = dir.join("replay");
    let store = ["--store", "file", "--state-dir", &state];
    let mut raw = RawPublisher::connect(&broker, "pipeline-kill-publisher");
    let mut sealer = Sealer::new(key(SENSOR), Counter::starting_at(1), SystemClock);
    let stream = sealed(&mut sealer, N);

    let mut first = subscriber(&broker, "pipeline-kill-sub", &store);
    raw.wait_ready("plant/probe", &mut [&mut first]);
    for envelope in &stream {
        raw.publish(TOPIC, envelope);
    }
    let mut seen = 0u64;
    first.wait_for("a quarter of the stream", |l| {
        seen += u64::from(parse_accepted(l).is_some_and(|a| a.kid == kid_hex(SENSOR)));
        seen >= N / 4
    });
    first.kill(); // SIGKILL with batches in the pipeline
    let by_first = accepted(&first);

    // Same client id, persistent session: the broker redelivers everything unacknowledged
    // ahead of the probe that makes the subscriber ready.
    let mut second = subscriber(&broker, "pipeline-kill-sub", &store);
    raw.wait_ready("plant/probe", &mut [&mut second]);
    let redelivery = second.seen.len();
    // The attack: the whole stream again. Every copy must be refused; a message the first
    // process acknowledged without recording it would be accepted here.
    for envelope in &stream {
        raw.publish(TOPIC, envelope);
    }
    let mut refused = 0u64;
    second.wait_for("every replay judged", |l| {
        let sensor = parse_accepted(l).is_some_and(|a| a.kid == kid_hex(SENSOR))
            || parse_duplicate(l).is_some()
            || parse_below_window(l).is_some()
            || parse_unavailable(l).is_some();
        refused += u64::from(sensor);
        refused == N
    });
    let (redelivered, replayed) = second.seen.split_at(redelivery);
    let sensor = kid_hex(SENSOR);
    let accepted_in = |lines: &[String]| -> Vec<u64> {
        lines
            .iter()
            .filter_map(|l| parse_accepted(l))
            .filter(|a| a.kid == sensor)
            .map(|a| a.seq)
            .collect()
    };
    let by_second = accepted_in(redelivered);
    let accepted_replays = accepted_in(replayed);
    let duplicates: BTreeSet<u64> = replayed.iter().filter_map(|l| parse_duplicate(l)).collect();
    let first_set: BTreeSet<u64> = by_first.iter().copied().collect();
    let second_set: BTreeSet<u64> = by_second.iter().copied().collect();
    println!(
        "pipeline kill: first accepted {} of {N} before SIGKILL, {} accepted after the \
         restart (redelivered or not yet delivered), {} replays refused as duplicates",
        first_set.len(),
        second_set.len(),
        duplicates.len()
    );
    assert!(
        sensor_seqs(&second, parse_unavailable).is_empty(),
        "the file store never failed"
    );
    assert!(
        accepted_replays.is_empty(),
        "no replay accepted (and nothing acknowledged was lost): {accepted_replays:?}"
    );
    assert_eq!(by_first.len(), first_set.len(), "nothing accepted twice");
    assert_eq!(by_second.len(), second_set.len(), "nothing accepted twice");
    assert!(
        first_set.is_disjoint(&second_set),
        "nothing accepted before the SIGKILL is accepted after it"
    );
    let all: BTreeSet<u64> = (1..=N).collect();
    assert_eq!(duplicates, all, "every message was recorded exactly once");
    assert!(first_set.len() as u64 >= N / 4);
}

#[test]
fn a_redis_outage_mid_batch_leaves_the_batch_unacked_and_redelivered() {
    const BEFORE: u64 = 200;
    const DURING: u64 = 300;
    // The broker sends at most this many unacknowledged QoS 1 messages: the refused ones
    // hold the window, the rest of the outage's messages stay queued in the session.
    const IN_FLIGHT: u64 = 20;
    let broker = Mosquitto::start_with(&format!("max_inflight_messages {IN_FLIGHT}"))
        .expect("mosquitto must start");
    let mut redis = RedisServer::start("pipeline-outage", true);
    let url = redis.url();
    let store = [
        "--store",
        "redis",
        "--redis-url",
        &url,
        "--redis-prefix",
        "outage:",
    ];
    let mut raw = RawPublisher::connect(&broker, "pipeline-outage-publisher");
    let mut sealer = Sealer::new(key(SENSOR), Counter::starting_at(1), SystemClock);
    let before = sealed(&mut sealer, BEFORE); // seq 1..=BEFORE
    let during = sealed(&mut sealer, DURING); // seq BEFORE+1..=BEFORE+DURING

    let mut first = subscriber(&broker, "pipeline-outage-sub", &store);
    raw.wait_ready("plant/probe", &mut [&mut first]);
    for envelope in &before {
        raw.publish(TOPIC, envelope);
    }
    let mut seen = 0u64;
    first.wait_for("every message before the outage", |l| {
        seen += u64::from(parse_accepted(l).is_some_and(|a| a.kid == kid_hex(SENSOR)));
        seen == BEFORE
    });
    redis.kill();
    for envelope in &during {
        raw.publish(TOPIC, envelope);
    }
    let mut refused = 0u64;
    first.wait_for("a window of the outage's messages refused", |l| {
        refused += u64::from(parse_unavailable(l).is_some());
        refused == IN_FLIGHT
    });
    // Killed while Redis is still down: had it lived on past the restart, it could accept
    // (and record) some of the outage's messages and die before acknowledging them, and
    // those would come again to the second as duplicates.
    first.kill();
    redis.restart();
    // Nothing of the outage was acknowledged: a restart with the same session gets it all
    // again, and the store (durable Redis) still refuses what was accepted before.
    let mut second = subscriber(&broker, "pipeline-outage-sub", &store);
    let mut redelivered: BTreeSet<u64> = BTreeSet::new();
    second.wait_for("the outage's messages redelivered", |l| {
        if let Some(a) = parse_accepted(l).filter(|a| a.kid == kid_hex(SENSOR)) {
            redelivered.insert(a.seq);
        }
        redelivered.len() as u64 == DURING
    });
    let by_first: BTreeSet<u64> = accepted(&first).into_iter().collect();
    let expected: BTreeSet<u64> = (BEFORE + 1..=BEFORE + DURING).collect();
    println!(
        "redis outage: {} accepted before, {refused} refused during, {} redelivered and \
         accepted after",
        by_first.len(),
        redelivered.len()
    );
    assert_eq!(
        by_first,
        (1..=BEFORE).collect(),
        "nothing accepted while Redis was down"
    );
    assert_eq!(
        redelivered, expected,
        "the whole batch was redelivered and accepted"
    );
    assert!(
        accepted(&second).iter().all(|seq| expected.contains(seq)),
        "nothing acknowledged before the outage came again as new"
    );
}
