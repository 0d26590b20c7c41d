//! Fleet test: three subscriber processes in one MQTT 5 shared subscription on a Mosquitto
//! the test starts, sharing replay windows in a Redis the test starts; a publisher re-sends
//! earlier envelopes among the new ones.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use payseal::{Counter, Sealer, SystemClock};
use payseal_testkit::Mosquitto;

use common::redis_server::RedisServer;
use common::{
    Proc, RawPublisher, WAIT, key, kid_hex, parse_accepted, parse_below_window, parse_duplicate,
    parse_unavailable,
};

const SUBSCRIBER: &str = env!("CARGO_BIN_EXE_payseal-store-subscriber");
const SENSOR: u8 = 1;

#[test]
fn a_shared_subscription_accepts_each_message_once_across_the_group_and_rejects_every_replay() {
    const N: usize = 300;
    let broker = Mosquitto::start().expect("mosquitto");
    let redis = RedisServer::start("fleet", false);
    let port = broker.port().to_string();
    let url = redis.url();
    let mut members: Vec<Proc> = (1..=3)
        .map(|i| {
            let id = format!("fleet-{i}");
            Proc::spawn(
                &id,
                SUBSCRIBER,
                &[
                    "--port",
                    &port,
                    "--mqtt",
                    "5",
                    "--filter",
                    "$share/group/plant/#",
                    "--trust",
                    "1,9",
                    "--client-id",
                    &id,
                    "--store",
                    "redis",
                    "--redis-url",
                    &url,
                    "--redis-prefix",
                    "fleet:",
                    // Members of a shared subscription run at their own speed: on a loaded
                    // machine one can fall more than 128 messages behind the group, and its
                    // messages are then refused as below_window (fail closed, as specified).
                    // This test is about "once across the group", so the shared window spans
                    // the whole run.
                    "--window",
                    "1024",
                ],
            )
        })
        .collect();
    let mut raw = RawPublisher::connect(&broker, "fleet-publisher");
    {
        let mut refs: Vec<&mut Proc> = members.iter_mut().collect();
        raw.wait_ready("plant/probe", &mut refs);
    }

    let topic = "plant/door";
    let mut sealer = Sealer::new(key(SENSOR), Counter::starting_at(1), SystemClock);
    let envelopes: Vec<Vec<u8>> = (0..N)
        .map(|i| sealer.seal(topic, format!("cmd {i}").as_bytes()).unwrap())
        .collect();
    // New messages with replays mixed in (every other step re-sends the one from 5 before),
    // then every message once more at the end.
    let mut replays = 0;
    for i in 0..N {
        raw.publish(topic, &envelopes[i]);
        if i >= 5 && i % 2 == 0 {
            raw.publish(topic, &envelopes[i - 5]);
            replays += 1;
        }
    }
    for envelope in &envelopes {
        raw.publish(topic, envelope);
        replays += 1;
    }

    // Read all three members until every published copy has been judged by one of them.
    let sensor = kid_hex(SENSOR);
    let is_judgement = |l: &str| {
        parse_accepted(l).is_some_and(|a| a.kid == sensor)
            || parse_duplicate(l).is_some()
            || parse_below_window(l).is_some()
            || parse_unavailable(l).is_some()
            || (l.starts_with("rejected") && parse_below_window(l).is_none())
    };
    let mut judged = 0;
    let deadline = Instant::now() + WAIT;
    while judged < N + replays {
        assert!(
            Instant::now() < deadline,
            "only {judged} of {} copies judged",
            N + replays
        );
        for member in &mut members {
            while let Some(line) = member.next_line(Duration::from_millis(20)) {
                judged += usize::from(is_judgement(&line));
            }
        }
    }

    let mut accepted_by: BTreeMap<u64, Vec<usize>> = BTreeMap::new();
    let mut per_member = Vec::new();
    let (mut duplicates, mut below, mut other) = (0, 0, Vec::new());
    for (m, member) in members.iter().enumerate() {
        let mut count = 0;
        for line in &member.seen {
            if let Some(a) = parse_accepted(line).filter(|a| a.kid == sensor) {
                accepted_by.entry(a.seq).or_default().push(m);
                count += 1;
            } else if parse_duplicate(line).is_some() {
                duplicates += 1;
            } else if parse_below_window(line).is_some() {
                below += 1;
            } else if line.starts_with("rejected") || line.starts_with("unavailable") {
                other.push(line.clone());
            }
        }
        per_member.push(count);
    }
    println!(
        "fleet test: {N} messages + {replays} replays over 3 members; accepted per member \
         {per_member:?} (total {}), replays rejected {} ({duplicates} replayed, {below} \
         below_window), other refusals {}",
        per_member.iter().sum::<usize>(),
        duplicates + below,
        other.len()
    );
    assert!(other.is_empty(), "unexpected refusals: {other:?}");
    assert_eq!(
        accepted_by.keys().copied().collect::<Vec<_>>(),
        (1..=N as u64).collect::<Vec<_>>(),
        "every message accepted"
    );
    let twice: Vec<_> = accepted_by.iter().filter(|(_, m)| m.len() > 1).collect();
    assert!(twice.is_empty(), "accepted more than once: {twice:?}");
    assert_eq!(duplicates + below, replays, "every replay rejected");
    assert!(
        per_member.iter().all(|&c| c > 0),
        "the broker shared the work: {per_member:?}"
    );
}
