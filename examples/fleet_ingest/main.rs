//! Fleet ingest (issue 18): how fast a payseal subscriber takes in what a fleet of devices
//! sealed ahead of time, against the same payloads in plaintext through the same Mosquitto,
//! and against the machine's own limit (two threads doing nothing but verifying).
//!
//! A load generator (a plain rumqttc client) publishes 256-byte payloads from 100 devices,
//! each on its own topic: envelopes sealed before the run (Ed25519), or the plaintext. Rows:
//! subscribers over rumqttc and paho, QoS 0 and 1, replay windows in memory, in payseal-store's
//! crash-safe file store (group commit) and in its Redis store (a redis-server of its own);
//! then latency from publish to delivery (median and p99) at 100 msg/s, at 20,000 msg/s and at
//! 80% of the measured maximum; then publishing alone (sealing included) against plaintext publishing.
//! One run, so the machine's noise hits every row alike.
//!
//! Run: `cargo run --release --example fleet_ingest [messages] [publish]` (needs `mosquitto`
//! and `redis-server`). The full run publishes 5x `messages` in the publishing section;
//! `publish` runs only that section, with `messages` each (to profile the publish path).

mod clients;
mod cpu;
mod fleet;
mod publish;

use std::sync::Arc;
use std::time::{Duration, Instant};

use clients::{Arrivals, Subscriber, load, subscribe};
use cpu::Split;
use fleet::{Fleet, Store, Stores};
use payseal_testkit::Mosquitto;

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

/// The broker of an ingest backend: QoS 1 messages for a subscriber that falls behind are
/// queued, not dropped (Mosquitto drops beyond 1,000 by default), and up to 1,000 may be in
/// flight to it (20 by default, which would cap every verification batch at 20).
const BROKER: &str = "max_queued_messages 0\nmax_inflight_messages 1000\n";

/// A row's end: no message for this long (in two runs of three with 3 s, one QoS 1 message
/// of 20,000 came later than that; none was missing with 10 s).
const QUIET: Duration = Duration::from_secs(10);

/// The fixed offered load of the p99 target ("well below the limit").
const FIXED_LOAD: f64 = 20_000.0;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<()> {
    let n: usize = std::env::args().nth(1).map_or(Ok(20_000), |a| a.parse())?;
    let broker = Mosquitto::start_with(BROKER)?;
    if std::env::args().nth(2).as_deref() == Some("publish") {
        // Only the publishing section (to profile the publish path).
        let mut missed = Vec::new();
        publishing(&broker, n, &mut missed).await?;
        print_missed(&missed);
        return Ok(());
    }
    let fleet = Fleet::seal(n)?;
    let mut stores = Stores::start()?;
    let limit = fleet.verification_limit()?;
    println!(
        "{n} messages of {} bytes from {} devices, one run. Verification limit (two threads \
         doing nothing but `open_batch` of 64): **{limit:.0} msgs/s**.\n",
        fleet::PAYLOAD_LEN,
        fleet::DEVICES,
    );
    let topics = Arc::new(fleet.topics.clone());
    let sealed = Arc::new(fleet.sealed.clone());
    let plain = Arc::new(fleet.plain.clone());
    let mut missed = Vec::new();

    println!(
        "| client | QoS | replay store | plaintext msgs/s | sealed msgs/s | sealed / plaintext | sealed / limit | lost (plain, sealed) |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    // Sealed rates with windows in memory, by (client, QoS): the reference of the other rows.
    let mut memory = std::collections::HashMap::new();
    // Where each row's CPU time went, printed after the rates.
    let mut profile = Vec::new();
    for qos in [0u8, 1] {
        for (client, plain_kind, sealed_kind) in [
            (
                "rumqttc",
                Subscriber::PlainRumqttc,
                Subscriber::SealedRumqttc,
            ),
            ("paho", Subscriber::PlainPaho, Subscriber::SealedPaho),
        ] {
            let redis = stores.redis_pid();
            let (plain_rate, plain_lost, cpu) =
                throughput(&broker, redis, &topics, &plain, plain_kind, qos, None).await?;
            profile.push(profile_row(client, qos, "plaintext", &cpu, ""));
            for store in Store::ALL {
                let security = stores.security(&fleet, store)?;
                let calls = stores.redis_script_calls()?;
                let (rate, lost, cpu) = throughput(
                    &broker,
                    redis,
                    &topics,
                    &sealed,
                    sealed_kind,
                    qos,
                    Some(security),
                )
                .await?;
                let calls = stores.redis_script_calls()? - calls;
                let per_call = if calls > 0 {
                    format!("{:.1}", (n - lost) as f64 / calls as f64)
                } else {
                    String::new()
                };
                profile.push(profile_row(
                    client,
                    qos,
                    &format!("sealed, {}", store.name()),
                    &cpu,
                    &per_call,
                ));
                println!(
                    "| {client} | {qos} | {} | {plain_rate:.0} | {rate:.0} | {:.2} | {:.2} | {plain_lost}, {lost} |",
                    store.name(),
                    rate / plain_rate,
                    rate / limit
                );
                let row = format!("{client}, QoS {qos}, {}", store.name());
                if lost > 0 {
                    missed.push(format!("{row}: {lost} sealed messages not delivered"));
                }
                match store {
                    Store::Memory => {
                        memory.insert((client, qos), rate);
                        if client == "rumqttc" {
                            check(&mut missed, &row, "sealed / limit", rate / limit, 0.6);
                            check(
                                &mut missed,
                                &row,
                                "sealed / plaintext",
                                rate / plain_rate,
                                0.5,
                            );
                        }
                    }
                    Store::File | Store::Redis => {
                        let floor = if matches!(store, Store::File) {
                            0.5
                        } else {
                            0.8
                        };
                        let reference = memory.get(&(client, qos)).copied().unwrap_or(f64::NAN);
                        check(
                            &mut missed,
                            &row,
                            "sealed / memory",
                            rate / reference,
                            floor,
                        );
                    }
                }
            }
        }
        let (rumqttc, paho) = (memory.get(&("rumqttc", qos)), memory.get(&("paho", qos)));
        if let (Some(r), Some(p)) = (rumqttc, paho) {
            check(
                &mut missed,
                &format!("QoS {qos}"),
                "paho / rumqttc sealed",
                p / r,
                0.8,
            );
        }
    }

    println!(
        "\nWhere the CPU time went, µs per delivered message (from /proc: this process's \
         verification workers, the rest of this process with the load generator and the \
         clients' network tasks, the broker, the Redis server):\n"
    );
    println!(
        "| client | QoS | subscriber | verification workers | rest of this process | broker | Redis | total | messages per Redis call |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    for row in &profile {
        println!("{row}");
    }

    println!("\nLatency from publish to delivery (ms), rumqttc, QoS 1, windows in memory:\n");
    println!(
        "| offered load | msgs | plaintext median | plaintext p99 | sealed median | sealed p99 | lost (plain, sealed) |"
    );
    println!("|---|---|---|---|---|---|---|");
    let top = memory.get(&("rumqttc", 1)).copied().unwrap_or(100.0);
    // The latency targets: the median added at 100 msg/s, and p99 at a fixed load well
    // below the limit (20,000 msg/s, as the issue names it). 80% of the measured maximum is
    // reported too; near saturation a backlog builds up for both.
    for (i, rate) in [100.0, FIXED_LOAD, (0.8 * top).max(100.0)]
        .into_iter()
        .enumerate()
    {
        // Two seconds' worth, at least 200 messages.
        let m = (0..n)
            .take_while(|&i| i < 200 || (i as f64) < rate * 2.0)
            .count();
        let head = |v: &Arc<Vec<Vec<u8>>>| Arc::new(v.iter().take(m).cloned().collect());
        let topics_m = Arc::new(topics.iter().take(m).cloned().collect());
        let plain_l = latency(
            &broker,
            &topics_m,
            &head(&plain),
            Subscriber::PlainRumqttc,
            None,
            rate,
        )
        .await?;
        let security = stores.security(&fleet, Store::Memory)?;
        let sealed_l = latency(
            &broker,
            &topics_m,
            &head(&sealed),
            Subscriber::SealedRumqttc,
            Some(security),
            rate,
        )
        .await?;
        println!(
            "| {rate:.0} msg/s | {m} | {:.2} | {:.2} | {:.2} | {:.2} | {}, {} |",
            plain_l.median,
            plain_l.p99,
            sealed_l.median,
            sealed_l.p99,
            m - plain_l.received,
            m - sealed_l.received
        );
        let row = format!("latency at {rate:.0} msg/s");
        if sealed_l.received < m {
            missed.push(format!(
                "{row}: {} sealed messages not delivered",
                m - sealed_l.received
            ));
        }
        if i == 0 {
            let added = sealed_l.median - plain_l.median;
            if added > 1.0 {
                missed.push(format!(
                    "{row}: median added latency {added:.2} ms (target 1 ms)"
                ));
            }
        } else if i == 1 {
            check_at_most(
                &mut missed,
                &row,
                "sealed p99 / plaintext p99",
                sealed_l.p99 / plain_l.p99,
                2.0,
            );
        }
    }

    publishing(&broker, 5 * n, &mut missed).await?;
    print_missed(&missed);
    Ok(())
}

/// Publishing alone (issue 18 step 3): plaintext against sealed, with the publisher's and the
/// broker's CPU time per message and what two cores could do sealed.
async fn publishing(broker: &Mosquitto, n: usize, missed: &mut Vec<String>) -> Result<()> {
    println!(
        "\nPublishing alone, QoS 1, {n} messages of {} bytes until every PUBACK (sealing in the \
         publishing tasks); CPU is this process's and the broker's, per message:\n",
        fleet::PAYLOAD_LEN
    );
    let p = publish::measure(broker, n).await?;
    println!("| publisher | msgs/s | CPU µs per message | / plaintext | / two-core estimate |");
    println!("|---|---|---|---|---|");
    let estimate = p.estimate();
    println!(
        "| plaintext | {:.0} | {:.1} | 1.00 | |",
        p.plain.rate, p.plain.cpu_us
    );
    for (tasks, run) in &p.sealed {
        println!(
            "| sealed (Ed25519), {tasks} task{} | {:.0} | {:.1} | {:.2} | {:.2} |",
            if *tasks == 1 { "" } else { "s" },
            run.rate,
            run.cpu_us,
            run.rate / p.plain.rate,
            run.rate / estimate
        );
    }
    println!(
        "\nSealing alone: {:.1} µs per message on one core. Two-core estimate for sealed \
         publishing (2 cores / (plaintext CPU + one seal), at most plaintext's rate): \
         **{estimate:.0} msgs/s**.",
        p.seal_us
    );
    check(
        missed,
        "publishing alone",
        "sealed / plaintext",
        p.best() / p.plain.rate,
        0.7,
    );
    Ok(())
}

/// The targets a run missed.
fn print_missed(missed: &[String]) {
    for m in missed {
        println!("missed: {m}");
    }
}

/// Notes a ratio below its target.
fn check(missed: &mut Vec<String>, row: &str, what: &str, ratio: f64, target: f64) {
    if ratio.is_nan() || ratio < target {
        missed.push(format!("{row}: {what} {ratio:.2} (target {target})"));
    }
}

/// Notes a ratio above its target.
fn check_at_most(missed: &mut Vec<String>, row: &str, what: &str, ratio: f64, target: f64) {
    if ratio.is_nan() || ratio > target {
        missed.push(format!(
            "{row}: {what} {ratio:.2} (target at most {target})"
        ));
    }
}

/// One line of the CPU table.
fn profile_row(client: &str, qos: u8, subscriber: &str, cpu: &Split, per_call: &str) -> String {
    format!(
        "| {client} | {qos} | {subscriber} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} | {per_call} |",
        cpu.verify,
        cpu.rest,
        cpu.broker,
        cpu.redis,
        cpu.total()
    )
}

/// Publishes every payload as fast as the load generator goes and counts distinct arrivals
/// until all came or none for [`QUIET`]: messages per second from the first publish to the
/// last arrival, how many never came, and the CPU time per delivered message (of this
/// process, the broker and the Redis server `redis`).
async fn throughput(
    broker: &Mosquitto,
    redis: u32,
    topics: &Arc<Vec<String>>,
    payloads: &Arc<Vec<Vec<u8>>>,
    kind: Subscriber,
    qos: u8,
    security: Option<payseal_rumqttc::Security>,
) -> Result<(f64, usize, Split)> {
    let mut sub = subscribe(kind, broker, qos, security).await?;
    let n = payloads.len();
    let cpu = cpu::Meter::start(broker.pid(), Some(redis))?;
    let start = Instant::now();
    let (sent, arrivals) = tokio::join!(
        load(broker, Arc::clone(topics), Arc::clone(payloads), qos, None),
        collect(&mut sub.arrivals, n)
    );
    let received = arrivals.len();
    let cpu = cpu.per_message(received)?;
    sub.stop().await;
    let (_, load_client) = sent?;
    drop(load_client.disconnect().await);
    report_missing(&arrivals, n);
    let last = arrivals.iter().map(|(_, at)| *at).max().unwrap_or(start);
    Ok((
        received as f64 / (last - start).as_secs_f64(),
        n - received,
        cpu,
    ))
}

/// Names the first messages that never arrived (on stderr), to tell a tail the load
/// generator never sent from gaps in the middle.
fn report_missing(arrivals: &[(usize, Instant)], n: usize) {
    if arrivals.len() >= n {
        return;
    }
    let seen: std::collections::HashSet<usize> = arrivals.iter().map(|(i, _)| *i).collect();
    let missing: Vec<usize> = (0..n).filter(|i| !seen.contains(i)).take(5).collect();
    eprintln!(
        "not delivered (first of {}): {missing:?} of 0..{n}",
        n - arrivals.len()
    );
}

/// Distinct arrivals (a QoS 1 repeat counts once), until `n` or none for [`QUIET`].
async fn collect(arrivals: &mut Arrivals, n: usize) -> Vec<(usize, Instant)> {
    let mut seen = std::collections::HashSet::with_capacity(n);
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        match tokio::time::timeout(QUIET, arrivals.recv()).await {
            Ok(Some((i, at))) if i < n && seen.insert(i) => out.push((i, at)),
            Ok(Some(_)) => {}
            Ok(None) | Err(_) => break,
        }
    }
    out
}

struct Latency {
    median: f64,
    p99: f64,
    received: usize,
}

/// Publishes at `rate` per second at QoS 1 and measures each message from its publish to its
/// delivery to the application.
async fn latency(
    broker: &Mosquitto,
    topics: &Arc<Vec<String>>,
    payloads: &Arc<Vec<Vec<u8>>>,
    kind: Subscriber,
    security: Option<payseal_rumqttc::Security>,
    rate: f64,
) -> Result<Latency> {
    let mut sub = subscribe(kind, broker, 1, security).await?;
    let n = payloads.len();
    let (sent, arrivals) = tokio::join!(
        load(
            broker,
            Arc::clone(topics),
            Arc::clone(payloads),
            1,
            Some(rate)
        ),
        collect(&mut sub.arrivals, n)
    );
    sub.stop().await;
    let (sent, load_client) = sent?;
    drop(load_client.disconnect().await);
    report_missing(&arrivals, n);
    let mut ms: Vec<f64> = arrivals
        .iter()
        .filter_map(|(i, at)| {
            Some(at.saturating_duration_since(*sent.get(*i)?).as_secs_f64() * 1e3)
        })
        .collect();
    ms.sort_by(f64::total_cmp);
    // The nearest-rank quantile (q in hundredths).
    let at = |q: usize| {
        ms.get((ms.len() * q / 100).min(ms.len().saturating_sub(1)))
            .copied()
            .unwrap_or(f64::NAN)
    };
    Ok(Latency {
        median: at(50),
        p99: at(99),
        received: arrivals.len(),
    })
}
