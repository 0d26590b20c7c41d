//! Cost per replay check, and bytes per sender, for each store: in memory, file (fsync per
//! check, no fsync, fsync per batch), Redis (one script call per check, then per batch).
//!
//! ```text
//! cargo run --release -p payseal-store --features redis --example replay_store_costs -- [REDIS_URL]
//! ```
//! The default Redis is `redis://127.0.0.1:6379/`; keys go under a unique prefix, removed after.

use std::time::Instant;

use payseal::{Kid, MemoryReplayStore, ReplayStore};
use payseal_store::{Durability, FileReplayStore, RedisReplayStore, RedisStoreConfig};

const WIDTH: usize = 128;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "redis://127.0.0.1:6379/".into());
    let senders: Vec<Kid> = (0..16u8)
        .map(|i| Kid::new(vec![i; 8]))
        .collect::<Result<_, _>>()?;
    // Sender i sends seq 1, 2, 3, ... in turn: every check is an acceptance (the costly path).
    let items = |n: usize| -> Vec<(Kid, u64)> {
        senders
            .iter()
            .cycle()
            .take(n)
            .enumerate()
            .map(|(i, kid)| (kid.clone(), (i / senders.len()) as u64 + 1))
            .collect()
    };

    println!(
        "{:<44} {:>8} {:>10} {:>10}",
        "store", "checks", "us/check", "checks/s"
    );
    let mut memory = MemoryReplayStore::new(WIDTH);
    report("memory", &items(400_000), |batch| {
        for (kid, seq) in batch {
            let _ = memory.check_and_record(kid, *seq);
        }
    });

    let dir = std::env::temp_dir().join(format!("payseal-costs-{}", std::process::id()));
    for (name, durability, n, batch) in [
        ("file, fsync per check", Durability::PowerLoss, 1_000, 1),
        (
            "file, fsync per batch of 64",
            Durability::PowerLoss,
            64_000,
            64,
        ),
        (
            "file, no fsync (process crash only)",
            Durability::ProcessCrash,
            200_000,
            1,
        ),
    ] {
        let _ = std::fs::remove_dir_all(&dir);
        let mut file = FileReplayStore::open(&dir, WIDTH)?.with_durability(durability);
        report(name, &items(n), |all| {
            for chunk in all.chunks(batch) {
                if batch == 1 {
                    for (kid, seq) in chunk {
                        let _ = file.check_and_record(kid, *seq);
                    }
                } else {
                    let _ = file.check_and_record_batch(chunk);
                }
            }
        });
        if batch == 1 && durability == Durability::PowerLoss {
            file.compact()?;
            let snap = std::fs::metadata(dir.join("replay.snap"))?.len();
            println!(
                "  file snapshot: {snap} bytes for {} senders ({} per sender with an 8-byte kid; \
                 log: 21 bytes per accepted message until compaction)",
                file.senders(),
                file.snapshot_bytes_per_sender(8)
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);

    // A window's width changes what a script call reads and writes: 128 is the default,
    // 4096 what an ingest backend with reordering fleets would use (examples/fleet_ingest).
    for width in [WIDTH, 4096] {
        if !redis_costs(&url, &senders, width, &items)? {
            break;
        }
    }
    Ok(())
}

/// The Redis rows for windows of `width`; `false` if Redis is unavailable.
fn redis_costs(
    url: &str,
    senders: &[Kid],
    width: usize,
    items: &dyn Fn(usize) -> Vec<(Kid, u64)>,
) -> Result<bool, Box<dyn std::error::Error>> {
    let prefix = format!("payseal-costs-{}-{width}:", std::process::id());
    let mut redis = RedisReplayStore::open(RedisStoreConfig::new(url, &prefix, width))?;
    if let Some(e) = redis.last_error() {
        println!("redis at {url} unavailable ({e}): skipped");
        return Ok(false);
    }
    report(
        &format!("redis W={width}, one EVALSHA per check"),
        &items(20_000),
        |all| {
            for (kid, seq) in all {
                let _ = redis.check_and_record(kid, *seq);
            }
        },
    );
    for batch in [16, 128] {
        let all = items(200_000);
        // Numbers above the ones used so far: still acceptances.
        let all: Vec<(Kid, u64)> = all.into_iter().map(|(k, s)| (k, s + 10_000)).collect();
        let name = format!("redis W={width}, batches of {batch}");
        report(&name, &all, |all| {
            for chunk in all.chunks(batch) {
                let _ = redis.check_and_record_batch(chunk);
            }
        });
    }
    let client = redis::Client::open(url)?;
    let mut connection = client.get_connection()?;
    let key = redis.key(senders.first().ok_or("no sender")?);
    let usage: u64 = redis::cmd("MEMORY")
        .arg("USAGE")
        .arg(&key)
        .query(&mut connection)?;
    println!(
        "  redis W={width}: value {} bytes per sender; MEMORY USAGE of one key ({} byte name): \
         {usage} bytes",
        redis.value_bytes(),
        key.len()
    );
    for kid in senders {
        redis::cmd("DEL")
            .arg(redis.key(kid))
            .query::<()>(&mut connection)?;
    }
    Ok(true)
}

fn report(name: &str, items: &[(Kid, u64)], run: impl FnOnce(&[(Kid, u64)])) {
    let start = Instant::now();
    run(items);
    let secs = start.elapsed().as_secs_f64();
    let n = items.len() as f64;
    println!(
        "{name:<44} {:>8} {:>10.2} {:>10.0}",
        items.len(),
        secs * 1e6 / n,
        n / secs
    );
}
