//! The fleet: envelopes sealed ahead of time by many devices (as devices seal their readings),
//! the same payloads in plaintext, the two-thread verification limit, and the replay stores a
//! subscriber keeps its windows in.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use payseal::{
    Algorithm, Counter, Opener, Policy, Sealer, SigningKey, SystemClock, TrustStore, VerifyingKey,
};
use payseal_rumqttc::Security;
use payseal_store::{FileReplayStore, RedisReplayStore, RedisStoreConfig};

use crate::Result;

/// Devices in the fleet (each its own key, topic and sequence).
pub(crate) const DEVICES: usize = 100;
/// Bytes of every payload; the first 8 are the message's index.
pub(crate) const PAYLOAD_LEN: usize = 256;
/// Replay window width (sequence numbers per device).
const WINDOW: usize = 4096;

/// One message both ways: its topic, the sealed envelope and the plaintext payload.
pub(crate) struct Fleet {
    pub(crate) topics: Vec<String>,
    pub(crate) sealed: Vec<Vec<u8>>,
    pub(crate) plain: Vec<Vec<u8>>,
    /// The devices' public keys, in device order.
    senders: Vec<VerifyingKey>,
}

/// The payload of message `i`: its index, then filler.
pub(crate) fn payload(i: usize) -> Vec<u8> {
    let mut p = (i as u64).to_be_bytes().to_vec();
    p.resize(PAYLOAD_LEN, 0x42);
    p
}

/// The index a payload carries (`None` for anything shorter than one).
pub(crate) fn index(payload: &[u8]) -> Option<usize> {
    let head: [u8; 8] = payload.get(..8)?.try_into().ok()?;
    usize::try_from(u64::from_be_bytes(head)).ok()
}

impl Fleet {
    /// `n` messages, round robin over the devices, sealed now (Ed25519).
    pub(crate) fn seal(n: usize) -> Result<Fleet> {
        let keys: Vec<SigningKey> = (0..DEVICES)
            .map(|_| SigningKey::generate(Algorithm::Ed25519))
            .collect::<std::result::Result<_, _>>()?;
        let senders = keys.iter().map(SigningKey::verifying_key).collect();
        let mut sealers: Vec<_> = keys
            .into_iter()
            .map(|key| Sealer::new(key, Counter::starting_at(1), SystemClock))
            .collect();
        let (mut topics, mut sealed, mut plain) = (Vec::new(), Vec::new(), Vec::new());
        for (i, device) in (0..DEVICES).cycle().take(n).enumerate() {
            let topic = format!("fleet/{device}/reading");
            let sealer = sealers.get_mut(device).ok_or("a sealer per device")?;
            sealed.push(sealer.seal(&topic, &payload(i))?);
            plain.push(payload(i));
            topics.push(topic);
        }
        Ok(Fleet {
            topics,
            sealed,
            plain,
            senders,
        })
    }

    /// Every device trusted on its own topic.
    pub(crate) fn trust(&self) -> Result<TrustStore> {
        let mut trust = TrustStore::new();
        for (device, key) in self.senders.iter().enumerate() {
            trust.add_sender(key.clone(), [format!("fleet/{device}/reading")])?;
        }
        Ok(trust)
    }

    /// Messages per second two threads verify doing nothing else (`open_batch`, 64 at a
    /// time, each thread half of the devices).
    pub(crate) fn verification_limit(&self) -> Result<f64> {
        let halves: Vec<Vec<(&str, &[u8])>> = (0..2)
            .map(|half| {
                self.topics
                    .iter()
                    .zip(&self.sealed)
                    .enumerate()
                    .filter(|(i, _)| (i % DEVICES) % 2 == half)
                    .map(|(_, (t, e))| (t.as_str(), e.as_slice()))
                    .collect()
            })
            .collect();
        let openers: Vec<_> = (0..2)
            .map(|_| Ok(Opener::new(self.trust()?, policy()?, SystemClock)))
            .collect::<Result<_>>()?;
        let start = Instant::now();
        let accepted: usize = std::thread::scope(|scope| {
            let threads: Vec<_> = halves
                .iter()
                .zip(openers)
                .map(|(half, mut opener)| {
                    scope.spawn(move || {
                        half.chunks(64)
                            .map(|chunk| {
                                opener
                                    .open_batch(chunk)
                                    .iter()
                                    .filter(|r| r.is_ok())
                                    .count()
                            })
                            .sum::<usize>()
                    })
                })
                .collect();
            threads.into_iter().map(|t| t.join().unwrap_or(0)).sum()
        });
        let elapsed = start.elapsed();
        if accepted != self.sealed.len() {
            return Err(format!(
                "verification limit: {accepted} of {} verified",
                self.sealed.len()
            )
            .into());
        }
        Ok(accepted as f64 / elapsed.as_secs_f64())
    }
}

/// Freshness for the whole run: the envelopes are sealed once, up front.
fn policy() -> Result<Policy> {
    Ok(Policy::default().with_window(WINDOW)?.with_max_age(3_600)?)
}

/// Where a subscriber keeps its replay windows.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Store {
    /// In memory (lost on restart).
    Memory,
    /// payseal-store's crash-safe file store (fsync before accepting, group commit).
    File,
    /// payseal-store's Redis store (one script call per batch), on a redis-server this example starts.
    Redis,
}

impl Store {
    pub(crate) const ALL: [Store; 3] = [Store::Memory, Store::File, Store::Redis];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Store::Memory => "memory",
            Store::File => "file (fsync, group commit)",
            Store::Redis => "Redis",
        }
    }
}

/// Fresh replay state per subscriber: a new folder, a new Redis key prefix.
pub(crate) struct Stores {
    dir: PathBuf,
    redis: Redis,
    next: usize,
}

impl Stores {
    pub(crate) fn start() -> Result<Stores> {
        let dir = std::env::temp_dir().join(format!("payseal-fleet-ingest-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        Ok(Stores {
            dir,
            redis: Redis::start()?,
            next: 0,
        })
    }

    /// The Redis server's process id (the benchmark reads its CPU time from `/proc`).
    pub(crate) fn redis_pid(&self) -> u32 {
        self.redis.child.id()
    }

    /// Script calls the Redis server has run so far (`INFO commandstats`): a subscriber's
    /// store makes one per batch it commits.
    pub(crate) fn redis_script_calls(&self) -> Result<u64> {
        let mut redis = redis::Client::open(self.redis.url())?.get_connection()?;
        let stats: String = redis::cmd("INFO").arg("commandstats").query(&mut redis)?;
        Ok(stats
            .lines()
            .find_map(|line| line.strip_prefix("cmdstat_evalsha:calls="))
            .and_then(|rest| rest.split(',').next())
            .map_or(Ok(0), str::parse)?)
    }

    /// A subscriber's security: an opener trusting the fleet, its windows in `store`.
    pub(crate) fn security(&mut self, fleet: &Fleet, store: Store) -> Result<Security> {
        self.next += 1;
        let trust = fleet.trust()?;
        let security = match store {
            Store::Memory => Security::new().opener(Opener::new(trust, policy()?, SystemClock)),
            Store::File => {
                let replay = FileReplayStore::open(self.dir.join(self.next.to_string()), WINDOW)?;
                Security::new().opener(Opener::with_replay_store(
                    trust,
                    replay,
                    policy()?,
                    SystemClock,
                ))
            }
            Store::Redis => {
                let config =
                    RedisStoreConfig::new(self.redis.url(), format!("run{}", self.next), WINDOW);
                let replay = RedisReplayStore::open(config)?;
                Security::new().opener(Opener::with_replay_store(
                    trust,
                    replay,
                    policy()?,
                    SystemClock,
                ))
            }
        };
        Ok(security)
    }
}

impl Drop for Stores {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A redis-server of this run's own, on a free port, keeping nothing on disk.
struct Redis {
    child: Child,
    port: u16,
}

impl Redis {
    fn start() -> Result<Redis> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let child = Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(Stdio::null())
            .spawn()
            .map_err(|e| {
                format!("redis-server must be installed (apt-get install redis-server): {e}")
            })?;
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if Instant::now() > deadline {
                return Err("redis-server did not start".into());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(Redis { child, port })
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
