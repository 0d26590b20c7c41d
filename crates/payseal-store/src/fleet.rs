//! Fleet side: one replay window per sender in Redis, shared by every subscriber of a group,
//! checked and updated atomically by a Lua script (spec/replay-stores.md §4).

use std::time::Duration;

use payseal::{Kid, Rejection, ReplayStore};
use redis::{Client, Connection, RedisError, RedisResult};

use crate::error::StoreError;
use crate::window::{encoded_len, round_width};
use crate::{store_unavailable, unavailable_results};

/// The check-and-record script, for a batch of numbers; the same window bytes as the file
/// store.
const SCRIPT: &str = include_str!("fleet/window.lua");

/// The most numbers one script call decides: Redis runs nothing else while a script runs, so
/// a long batch goes as several calls in the same round trip.
const SCRIPT_BATCH: usize = 128;

/// How to reach Redis and lay out the windows in it. Its `Debug` leaves the URL out (it can
/// hold a password).
#[derive(Clone)]
pub struct RedisStoreConfig {
    url: String,
    prefix: String,
    width: usize,
    idle_expiry: Option<Duration>,
    timeout: Duration,
}

impl std::fmt::Debug for RedisStoreConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStoreConfig")
            .field("prefix", &self.prefix)
            .field("width", &self.width)
            .field("idle_expiry", &self.idle_expiry)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl RedisStoreConfig {
    /// Windows of `width` numbers (use the openers' `Policy::window()`; every member of a
    /// fleet must use the same) under keys `<prefix><kid in hex>`, on the Redis at `url`
    /// (`redis://host:port/db`).
    pub fn new(url: impl Into<String>, prefix: impl Into<String>, width: usize) -> Self {
        RedisStoreConfig {
            url: url.into(),
            prefix: prefix.into(),
            width,
            idle_expiry: None,
            timeout: Duration::from_secs(1),
        }
    }

    /// Lets Redis delete a window after it accepted nothing for `after`, and never before
    /// every number it holds is stale under the limit it was accepted with: an opener passes
    /// each number's `iat + max_age` along ([`ReplayStore::check_and_record_for`]), so a
    /// retained message or a will judged with a limit of days keeps its window for days even
    /// when `after` is minutes (spec/replay-stores.md §4.3). Default: never.
    pub fn idle_expiry(mut self, after: Duration) -> Self {
        self.idle_expiry = Some(after);
        self
    }

    /// How long to wait for a connection or a reply before failing closed (default 1 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }
}

/// Replay windows in Redis, for subscribers that share work (an MQTT 5 shared subscription,
/// `$share/group/topic`): whichever member receives a message, the script decides against the
/// one window of its sender, so a message is accepted at most once by the whole group.
///
/// Fails closed: while Redis cannot be reached (or answers with an error), every
/// `check_and_record` returns [`store_unavailable`]; the next call reconnects, reloads the
/// script if needed, and delivery resumes. A reply lost to a timeout may leave a number
/// recorded that was refused here: the message is lost, never accepted twice.
pub struct RedisReplayStore {
    client: Client,
    connection: Option<Connection>,
    sha: Option<String>,
    prefix: String,
    width: u64,
    ttl_ms: u64,
    timeout: Duration,
    last_error: Option<StoreError>,
}

impl std::fmt::Debug for RedisReplayStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Not the client: its connection info can hold a password.
        f.debug_struct("RedisReplayStore")
            .field("prefix", &self.prefix)
            .field("width", &self.width)
            .field("connected", &self.connection.is_some())
            .field("script_loaded", &self.sha.is_some())
            .field("last_error", &self.last_error)
            .finish_non_exhaustive()
    }
}

/// One script reply.
enum Reply {
    Decided(Result<(), Rejection>),
    /// Redis lost the script (restart, `SCRIPT FLUSH`): load it and run this one again.
    NoScript,
    Failed(StoreError),
}

impl RedisReplayStore {
    /// A store for `config`. It connects now if it can; if Redis is down it still returns,
    /// refuses every message, and connects on a later check.
    ///
    /// # Errors
    /// [`StoreError::Config`] for a width outside 64 to 65,536, or an unusable URL.
    pub fn open(config: RedisStoreConfig) -> Result<Self, StoreError> {
        let width =
            round_width(config.width).ok_or(StoreError::Config("window width 64 to 65536"))?;
        let client = Client::open(config.url.as_str())
            .map_err(|_| StoreError::Config("not a redis:// URL"))?;
        let ttl_ms = config.idle_expiry.map_or(0, |d| {
            u64::try_from(d.as_millis()).unwrap_or(u64::MAX).max(1)
        });
        let mut store = RedisReplayStore {
            client,
            connection: None,
            sha: None,
            prefix: config.prefix,
            width,
            ttl_ms,
            timeout: config.timeout,
            last_error: None,
        };
        if let Err(e) = store.connect() {
            store.last_error = Some(e);
        }
        Ok(store)
    }

    /// Why the last check failed closed, if it did (cleared by the next success).
    pub fn last_error(&self) -> Option<&StoreError> {
        self.last_error.as_ref()
    }

    /// The Redis key of `sender`'s window.
    pub fn key(&self, sender: &Kid) -> String {
        format!("{}{sender}", self.prefix)
    }

    /// Bytes of one window's value in Redis (`top` and the bitmap; Redis adds its own
    /// per-key overhead, see `MEMORY USAGE`).
    pub fn value_bytes(&self) -> usize {
        encoded_len(self.width)
    }

    /// Checks and records several numbers in one round trip (one script call per 128 of
    /// them, which decides them in order): the results are what `check_and_record` would give
    /// one by one, in order. If the connection fails, every item is [`store_unavailable`].
    pub fn check_and_record_batch(&mut self, items: &[(Kid, u64)]) -> Vec<Result<(), Rejection>> {
        let ttl_ms = self.ttl_ms;
        let items: Vec<(&Kid, u64, u64)> =
            items.iter().map(|(kid, seq)| (kid, *seq, ttl_ms)).collect();
        self.pipelined(&items)
    }

    /// [`check_and_record_batch`](Self::check_and_record_batch) with an expiry for each item.
    fn pipelined(&mut self, items: &[(&Kid, u64, u64)]) -> Vec<Result<(), Rejection>> {
        let mut results: Vec<Option<Result<(), Rejection>>> = vec![None; items.len()];
        // Runs the pipeline, then once more for any chunk that met NOSCRIPT (nothing of it
        // ran, so nothing is recorded twice).
        for _ in 0..2 {
            let pending: Vec<usize> = (0..items.len())
                .filter(|&i| results.get(i).is_some_and(Option::is_none))
                .collect();
            if pending.is_empty() {
                break;
            }
            let replies = match self.run_pipeline(items, &pending) {
                Ok(replies) => {
                    self.last_error = None;
                    replies
                }
                Err(e) => {
                    self.last_error = Some(e);
                    return unavailable_results(items);
                }
            };
            for (&i, reply) in pending.iter().zip(replies) {
                let seq = items.get(i).map_or(0, |(_, seq, _)| *seq);
                let decided = match reply {
                    Reply::Decided(result) => Some(result),
                    Reply::NoScript => {
                        self.sha = None;
                        None
                    }
                    Reply::Failed(e) => {
                        self.last_error = Some(e);
                        Some(Err(store_unavailable(seq)))
                    }
                };
                if let Some(slot) = results.get_mut(i) {
                    *slot = decided;
                }
            }
        }
        items
            .iter()
            .zip(results)
            .map(|((_, seq, _), r)| r.unwrap_or(Err(store_unavailable(*seq))))
            .collect()
    }

    /// One round trip: a pipeline of script calls of up to [`SCRIPT_BATCH`] items each.
    /// One reply per pending item, in order.
    fn run_pipeline(
        &mut self,
        items: &[(&Kid, u64, u64)],
        pending: &[usize],
    ) -> Result<Vec<Reply>, StoreError> {
        let sha = self.ready()?;
        let chunks: Vec<Vec<(&Kid, u64, u64)>> = pending
            .chunks(SCRIPT_BATCH)
            .map(|chunk| {
                chunk
                    .iter()
                    .filter_map(|&i| items.get(i).copied())
                    .collect()
            })
            .collect();
        let mut pipe = redis::pipe();
        pipe.ignore_errors();
        for chunk in &chunks {
            pipe.add_command(self.command(&sha, chunk));
        }
        let connection = self.connection.as_mut().ok_or_else(not_connected)?;
        let replies: Vec<RedisResult<Vec<i64>>> =
            pipe.query(connection).map_err(|e| self.dropped(e))?;
        Ok(chunks
            .iter()
            .zip(replies)
            .flat_map(|(chunk, reply)| decode(chunk, reply))
            .collect())
    }

    /// One script call for `items`: their keys, then the width and three numbers per item.
    fn command(&self, sha: &str, items: &[(&Kid, u64, u64)]) -> redis::Cmd {
        let mut cmd = redis::cmd("EVALSHA");
        cmd.arg(sha).arg(items.len());
        for (kid, _, _) in items {
            cmd.arg(self.key(kid));
        }
        cmd.arg(self.width);
        for &(_, seq, ttl_ms) in items {
            cmd.arg(seq >> 32).arg(seq & 0xffff_ffff).arg(ttl_ms);
        }
        cmd
    }

    /// The expiry for a number that must be remembered `remember_for`: the idle expiry, or
    /// longer; 0 (never) without an idle expiry.
    fn ttl_for(&self, remember_for: Duration) -> u64 {
        if self.ttl_ms == 0 {
            return 0;
        }
        let needed = u64::try_from(remember_for.as_millis()).unwrap_or(u64::MAX);
        self.ttl_ms.max(needed)
    }

    /// A connection with the script loaded, connecting and loading as needed.
    fn ready(&mut self) -> Result<String, StoreError> {
        if self.connection.is_none() {
            self.connect()?;
        }
        if let Some(sha) = &self.sha {
            return Ok(sha.clone());
        }
        let connection = self.connection.as_mut().ok_or_else(not_connected)?;
        let sha: String = redis::cmd("SCRIPT")
            .arg("LOAD")
            .arg(SCRIPT)
            .query(connection)
            .map_err(|e| self.dropped(e))?;
        self.sha = Some(sha.clone());
        Ok(sha)
    }

    fn connect(&mut self) -> Result<(), StoreError> {
        self.connection = None;
        self.sha = None;
        let connection = self
            .client
            .get_connection_with_timeout(self.timeout)
            .map_err(redis_error)?;
        connection
            .set_read_timeout(Some(self.timeout))
            .and_then(|()| connection.set_write_timeout(Some(self.timeout)))
            .map_err(redis_error)?;
        self.connection = Some(connection);
        self.ready().map(|_| ())
    }

    /// A failure of the connection itself: drop it, reconnect next time.
    fn dropped(&mut self, e: RedisError) -> StoreError {
        self.connection = None;
        self.sha = None;
        redis_error(e)
    }
}

impl ReplayStore for RedisReplayStore {
    fn check_and_record(&mut self, sender: &Kid, seq: u64) -> Result<(), Rejection> {
        self.check_and_record_ttl(sender, seq, self.ttl_ms)
    }

    fn check_and_record_for(
        &mut self,
        sender: &Kid,
        seq: u64,
        remember_for: Duration,
    ) -> Result<(), Rejection> {
        self.check_and_record_ttl(sender, seq, self.ttl_for(remember_for))
    }

    /// One round trip for the whole batch (see
    /// [`RedisReplayStore::check_and_record_batch`]), each number kept as long as it must be.
    fn check_and_record_batch_for(
        &mut self,
        items: &[(&Kid, u64, Duration)],
    ) -> Vec<Result<(), Rejection>> {
        let items: Vec<(&Kid, u64, u64)> = items
            .iter()
            .map(|&(kid, seq, remember_for)| (kid, seq, self.ttl_for(remember_for)))
            .collect();
        self.pipelined(&items)
    }
}

impl RedisReplayStore {
    /// One number: a batch of one (one script, one home for its handling).
    fn check_and_record_ttl(
        &mut self,
        sender: &Kid,
        seq: u64,
        ttl_ms: u64,
    ) -> Result<(), Rejection> {
        self.pipelined(&[(sender, seq, ttl_ms)])
            .pop()
            .unwrap_or(Err(store_unavailable(seq)))
    }
}

/// Turns one script reply into a decision for each of its `items`: every item gets the
/// reply's error if it failed as a whole.
fn decode(items: &[(&Kid, u64, u64)], reply: RedisResult<Vec<i64>>) -> Vec<Reply> {
    let whole = |reply: fn() -> Reply| items.iter().map(|_| reply()).collect();
    let numbers = match reply {
        Ok(numbers) if numbers.len() == 3 * items.len() => numbers,
        Ok(_) => return whole(|| Reply::Failed(StoreError::Redis("bad script reply".into()))),
        Err(e) if e.code() == Some("NOSCRIPT") => return whole(|| Reply::NoScript),
        Err(e) => {
            let message = e.to_string();
            return items
                .iter()
                .map(|_| Reply::Failed(StoreError::Redis(message.clone())))
                .collect();
        }
    };
    items
        .iter()
        .zip(numbers.chunks_exact(3))
        .map(|(&(_, seq, _), reply)| decide(seq, reply))
        .collect()
}

/// One item's three numbers.
fn decide(seq: u64, reply: &[i64]) -> Reply {
    match *reply {
        [0, _, _] => Reply::Decided(Ok(())),
        [1, _, _] => Reply::Decided(Err(Rejection::Replayed { seq })),
        [2, hi, lo] => {
            let (Ok(hi), Ok(lo)) = (u64::try_from(hi), u64::try_from(lo)) else {
                return Reply::Failed(StoreError::Redis("bad script reply".into()));
            };
            Reply::Decided(Err(Rejection::BelowWindow {
                seq,
                lowest: (hi << 32) | lo,
            }))
        }
        [3, _, _] => Reply::Failed(StoreError::Redis(
            "payseal: stored window has another width".into(),
        )),
        _ => Reply::Failed(StoreError::Redis("bad script reply".into())),
    }
}

fn redis_error(e: RedisError) -> StoreError {
    StoreError::Redis(e.to_string())
}

fn not_connected() -> StoreError {
    StoreError::Redis("not connected".into())
}
