//! Where a run's CPU time goes, read from `/proc`: this process (split into the verification
//! workers, threads named `payseal-verify-*`, and everything else it runs: the load
//! generator, the clients' network tasks, the application), the broker and the Redis server.

use std::collections::HashMap;

use crate::Result;

/// The thread name the adapters' verification workers share (Linux keeps 15 bytes of it).
const VERIFY_THREADS: &str = "payseal-verify";

/// CPU time in µs, by part.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Split {
    /// The verification workers.
    pub(crate) verify: f64,
    /// The rest of this process.
    pub(crate) rest: f64,
    pub(crate) broker: f64,
    pub(crate) redis: f64,
}

impl Split {
    pub(crate) fn total(&self) -> f64 {
        self.verify + self.rest + self.broker + self.redis
    }

    fn per(&self, n: usize) -> Split {
        let n = n.max(1) as f64;
        Split {
            verify: self.verify / n,
            rest: self.rest / n,
            broker: self.broker / n,
            redis: self.redis / n,
        }
    }
}

/// A measurement under way: the counters when it started.
pub(crate) struct Meter {
    broker: u32,
    redis: Option<u32>,
    process: f64,
    threads: HashMap<String, f64>,
    broker_at: f64,
    redis_at: f64,
}

impl Meter {
    /// Starts measuring this process, the broker `broker` and, if given, the Redis server.
    pub(crate) fn start(broker: u32, redis: Option<u32>) -> Result<Meter> {
        Ok(Meter {
            broker,
            redis,
            process: cpu_us("self")?,
            threads: verify_threads()?,
            broker_at: cpu_us(&broker.to_string())?,
            redis_at: redis.map_or(Ok(0.0), |pid| cpu_us(&pid.to_string()))?,
        })
    }

    /// CPU µs per message since the start, over `n` messages. A worker that started during
    /// the measurement counts from zero; one that ended before its close is left out (the
    /// rows stop a subscriber only after they measured it).
    pub(crate) fn per_message(&self, n: usize) -> Result<Split> {
        let process = cpu_us("self")? - self.process;
        let verify: f64 = verify_threads()?
            .into_iter()
            .map(|(tid, now)| now - self.threads.get(&tid).copied().unwrap_or(0.0))
            .sum();
        let redis = match self.redis {
            Some(pid) => cpu_us(&pid.to_string())? - self.redis_at,
            None => 0.0,
        };
        let split = Split {
            verify,
            rest: (process - verify).max(0.0),
            broker: cpu_us(&self.broker.to_string())? - self.broker_at,
            redis,
        };
        Ok(split.per(n))
    }
}

/// CPU µs of each verification worker of this process, by thread id.
fn verify_threads() -> Result<HashMap<String, f64>> {
    let mut threads = HashMap::new();
    for entry in std::fs::read_dir("/proc/self/task")? {
        let tid = entry?.file_name().to_string_lossy().into_owned();
        // A thread may end between listing and reading: it is simply not counted.
        let Ok(name) = std::fs::read_to_string(format!("/proc/self/task/{tid}/comm")) else {
            continue;
        };
        if name.starts_with(VERIFY_THREADS)
            && let Ok(us) = cpu_us(&format!("self/task/{tid}"))
        {
            threads.insert(tid, us);
        }
    }
    Ok(threads)
}

/// User plus system CPU time so far, in µs, of the process or thread at `/proc/<path>/stat`
/// (in clock ticks of 10 ms: Linux's USER_HZ is 100; runs of a second or more keep that to
/// ~1%).
pub(crate) fn cpu_us(path: &str) -> Result<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{path}/stat"))?;
    // The command name, in parentheses, may hold spaces: fields are counted after it, from
    // field 3 (the state); utime and stime are fields 14 and 15.
    let after_name = stat.rsplit_once(')').ok_or("unreadable /proc stat")?.1;
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks =
        |i: usize| -> Result<u64> { Ok(fields.get(i).ok_or("short /proc stat")?.parse::<u64>()?) };
    Ok((ticks(11)? + ticks(12)?) as f64 * 10_000.0)
}
