//! Receiver side: replay windows in files, so that a message accepted before a restart is
//! rejected after it (spec/replay-stores.md §3).
//!
//! Write-through: a number is appended to a log, and by default fsynced, *before*
//! `check_and_record` accepts it. A snapshot of all windows replaces the log from time to time
//! (temp file, fsync, rename, fsync of the directory). Reopening loads the snapshot and
//! replays the log, so the windows come back exactly as they were when the process died.

mod format;

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use payseal::{Kid, Rejection, ReplayStore};

use crate::durable::{self, Lock};
use crate::error::StoreError;
use crate::private_fs;
use crate::store_unavailable;
use crate::window::{Window, encoded_len, round_width};
use format::{FormatError, LOG_HEADER_LEN, MAX_RECORD_LEN};

/// How much of a crash an accepted number survives. Either way it is written before it is
/// accepted; the difference is the fsync.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Durability {
    /// fsync (fdatasync) before accepting: survives process crashes, kernel crashes and power
    /// loss. About one disk flush per message (or per batch, see
    /// [`FileReplayStore::check_and_record_batch`]).
    #[default]
    PowerLoss,
    /// Written to the operating system before accepting, not flushed: survives the process
    /// being killed (SIGKILL, panic, OOM), not a kernel crash or power loss, after which the
    /// last few seconds of accepted numbers may be forgotten and replayable within `max_age`.
    ProcessCrash,
}

/// The most records one append writes (the longest torn tail a crash can leave).
const MAX_BATCH: usize = 1024;
/// Records in the log before it is folded into a new snapshot, by default.
const DEFAULT_COMPACT_AFTER: usize = 16_384;

/// Replay windows persisted in a directory: `replay.snap`, `replay.log` and `replay.lock`.
///
/// Use it as an [`Opener`](payseal::Opener)'s replay store:
///
/// ```
/// use payseal::{Algorithm, Counter, ManualClock, Opener, Policy, Rejection, Sealer,
///               SigningKey, TrustStore};
/// use payseal_store::FileReplayStore;
/// # let dir = std::env::temp_dir().join(format!("payseal-replay-doc-{}", std::process::id()));
/// let clock = ManualClock::new(1_700_000_000);
/// let key = SigningKey::from_secret_bytes(Algorithm::Ed25519, &[3; 32])?;
/// let mut trust = TrustStore::new();
/// trust.add_sender(key.verifying_key(), ["plant/#"])?;
/// let envelope = Sealer::new(key, Counter::starting_at(1), &clock).seal("plant/1", b"open")?;
///
/// let store = FileReplayStore::open(&dir, Policy::DEFAULT_WINDOW)?;
/// let mut opener = Opener::with_replay_store(trust.clone(), store, Policy::default(), &clock);
/// opener.open("plant/1", &envelope)?;
/// drop(opener); // the receiver restarts
///
/// let store = FileReplayStore::open(&dir, Policy::DEFAULT_WINDOW)?;
/// let mut opener = Opener::with_replay_store(trust, store, Policy::default(), &clock);
/// assert_eq!(opener.open("plant/1", &envelope), Err(Rejection::Replayed { seq: 1 }));
/// # drop(opener);
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// When the store cannot write, it accepts nothing: `check_and_record` returns
/// [`store_unavailable`] (see [`is_store_unavailable`](crate::is_store_unavailable)), and it
/// repairs the log and tries again on the next call.
#[derive(Debug)]
pub struct FileReplayStore {
    snap_path: PathBuf,
    log_path: PathBuf,
    width: u64,
    windows: BTreeMap<Kid, Window>,
    log: File,
    /// Bytes of the log known to be whole records.
    log_len: u64,
    log_records: usize,
    compact_after: usize,
    durability: Durability,
    /// An append failed: the log may end in a partial record, to cut before the next one.
    broken: bool,
    last_error: Option<StoreError>,
    _lock: Lock,
}

impl FileReplayStore {
    /// Opens (or creates) the store in `dir`, with windows of `width` numbers (rounded up to
    /// a multiple of 64, as the core does; use the opener's `Policy::window()`), locks it,
    /// and restores every window.
    ///
    /// A directory it creates is mode 0700 and its files 0600; files are never opened through
    /// a symbolic link, and temporary files are created new.
    ///
    /// # Errors
    /// [`StoreError::Insecure`] if another user could write into `dir` (writable by group or
    /// others, or owned by another user than this one or root);
    /// [`StoreError::Locked`] if another store has it open; [`StoreError::Corrupt`] or
    /// [`StoreError::WidthMismatch`] for state it cannot use (it never starts empty over
    /// state it cannot read); I/O errors.
    pub fn open(dir: impl AsRef<Path>, width: usize) -> Result<Self, StoreError> {
        let dir = dir.as_ref();
        let width = round_width(width).ok_or(StoreError::Config("window width 64 to 65536"))?;
        // Mode 0700 when created; refused if another user could write into it.
        private_fs::create_dir(dir)?;
        let lock = Lock::acquire(&dir.join("replay"))?;
        let snap_path = dir.join("replay.snap");
        let log_path = dir.join("replay.log");
        let mut windows = match durable::read_optional(&snap_path)? {
            None => BTreeMap::new(),
            Some(bytes) => format::decode_snapshot(width, &bytes)
                .map_err(|e| format_error(&snap_path, width, e))?,
        };
        let (log_len, log_records) = match durable::read_optional(&log_path)? {
            // The log is only ever replaced, never removed: a snapshot without one means
            // records since that snapshot are gone.
            None if snap_path.exists() => {
                return Err(StoreError::corrupt(&log_path, "log missing"));
            }
            None => {
                durable::replace(&log_path, &format::log_header(width))?;
                (LOG_HEADER_LEN, 0)
            }
            Some(bytes) => {
                let log = format::decode_log(width, &bytes)
                    .map_err(|e| format_error(&log_path, width, e))?;
                let tail = bytes.len() as u64 - log.valid_len;
                if tail > (MAX_RECORD_LEN * MAX_BATCH) as u64 {
                    return Err(StoreError::corrupt(
                        &log_path,
                        "damaged log records before its last write",
                    ));
                }
                for (kid, seq) in &log.records {
                    apply(&mut windows, width, kid, *seq);
                }
                if tail > 0 {
                    cut(&log_path, log.valid_len)?;
                }
                (log.valid_len, log.records.len())
            }
        };
        let log = open_append(&log_path)?;
        Ok(FileReplayStore {
            snap_path,
            log_path,
            width,
            windows,
            log,
            log_len,
            log_records,
            compact_after: DEFAULT_COMPACT_AFTER,
            durability: Durability::default(),
            broken: false,
            last_error: None,
            _lock: lock,
        })
    }

    /// Sets the durability (default [`Durability::PowerLoss`]).
    pub fn with_durability(mut self, durability: Durability) -> Self {
        self.durability = durability;
        self
    }

    /// Folds the log into a new snapshot after `records` appends (default 16,384; at least 1).
    pub fn with_compaction_after(mut self, records: usize) -> Self {
        self.compact_after = records.max(1);
        self
    }

    /// The window width in numbers.
    pub fn width(&self) -> u64 {
        self.width
    }

    /// How many senders have a window.
    pub fn senders(&self) -> usize {
        self.windows.len()
    }

    /// The highest number accepted from `sender`, if any.
    pub fn top(&self, sender: &Kid) -> Option<u64> {
        self.windows.get(sender).map(Window::top)
    }

    /// The last write error (cleared by the next successful write).
    pub fn last_error(&self) -> Option<&StoreError> {
        self.last_error.as_ref()
    }

    /// Bytes one sender takes in the snapshot: kid length byte, kid, `top`, the bitmap.
    pub fn snapshot_bytes_per_sender(&self, kid_len: usize) -> usize {
        1 + kid_len + encoded_len(self.width)
    }

    /// Writes a snapshot of every window and starts an empty log. Runs by itself after
    /// [`with_compaction_after`](Self::with_compaction_after) appends.
    ///
    /// # Errors
    /// I/O errors; the store stays usable (the log keeps growing) and tries again later.
    pub fn compact(&mut self) -> Result<(), StoreError> {
        self.repair()?;
        durable::replace(
            &self.snap_path,
            &format::encode_snapshot(self.width, &self.windows),
        )?;
        // A crash here leaves the new snapshot and the old log: replaying the log over it
        // changes nothing (every record in it is already in the snapshot).
        durable::replace(&self.log_path, &format::log_header(self.width))?;
        self.log = open_append(&self.log_path)?;
        self.log_len = LOG_HEADER_LEN;
        self.log_records = 0;
        Ok(())
    }

    /// Checks and records several numbers with one write and one fsync (group commit): the
    /// results are what `check_and_record` would give one by one, in order. If the write
    /// fails, nothing is recorded and every number is judged as `check_and_record` would
    /// with the disk failing: `Replayed` or `BelowWindow` against the windows as they were,
    /// else [`store_unavailable`].
    pub fn check_and_record_batch(&mut self, items: &[(Kid, u64)]) -> Vec<Result<(), Rejection>> {
        let items: Vec<(&Kid, u64)> = items.iter().map(|(kid, seq)| (kid, *seq)).collect();
        self.group_commit(&items)
    }

    /// [`check_and_record_batch`](Self::check_and_record_batch) for borrowed key ids, in
    /// chunks of at most `MAX_BATCH` records per write.
    fn group_commit(&mut self, items: &[(&Kid, u64)]) -> Vec<Result<(), Rejection>> {
        let mut results = Vec::with_capacity(items.len());
        for chunk in items.chunks(MAX_BATCH) {
            results.extend(self.batch(chunk));
        }
        results
    }

    fn batch(&mut self, items: &[(&Kid, u64)]) -> Vec<Result<(), Rejection>> {
        // Decide against a copy of the touched windows; keep it only once the log is durable.
        let mut staged: BTreeMap<Kid, Window> = BTreeMap::new();
        let mut records = Vec::with_capacity(items.len() * MAX_RECORD_LEN);
        let mut results = Vec::with_capacity(items.len());
        for &(kid, seq) in items {
            if !staged.contains_key(kid)
                && let Some(window) = self.windows.get(kid)
            {
                staged.insert(kid.clone(), window.clone());
            }
            let result = match staged.get_mut(kid) {
                Some(window) => window.accept(seq),
                None => {
                    staged.insert(kid.clone(), Window::first(self.width, seq));
                    Ok(())
                }
            };
            if result.is_ok() {
                format::push_record(&mut records, kid, seq);
            }
            results.push(result);
        }
        if records.is_empty() {
            return results;
        }
        if let Err(e) = self.repair().and_then(|()| self.append(&records)) {
            self.last_error = Some(e);
            // Nothing of the batch was recorded: judge each number as `check_and_record`
            // would with the disk failing, against the windows as they were. A copy that
            // was only a repeat of a number earlier in this failed batch is unavailable too,
            // not `Replayed`: its first copy was never accepted.
            return items
                .iter()
                .map(|&(kid, seq)| match self.windows.get(kid) {
                    Some(window) => window.check(seq).and(Err(store_unavailable(seq))),
                    None => Err(store_unavailable(seq)),
                })
                .collect();
        }
        self.log_records += results.iter().filter(|r| r.is_ok()).count();
        self.windows.extend(staged);
        self.maybe_compact();
        results
    }

    /// Appends `bytes` to the log and makes them as durable as configured.
    fn append(&mut self, bytes: &[u8]) -> Result<(), StoreError> {
        let written = self
            .log
            .write_all(bytes)
            .and_then(|()| match self.durability {
                Durability::PowerLoss => self.log.sync_data(),
                Durability::ProcessCrash => Ok(()),
            });
        match written {
            Ok(()) => {
                self.log_len += bytes.len() as u64;
                self.last_error = None;
                Ok(())
            }
            Err(e) => {
                self.broken = true;
                Err(StoreError::io("append", &self.log_path, e))
            }
        }
    }

    /// After a failed append, cuts the log back to its last whole record (and flushes that),
    /// so that later records are never written after a torn one.
    fn repair(&mut self) -> Result<(), StoreError> {
        if !self.broken {
            return Ok(());
        }
        self.log
            .set_len(self.log_len)
            .and_then(|()| self.log.sync_data())
            .map_err(|e| StoreError::io("truncate", &self.log_path, e))?;
        self.broken = false;
        Ok(())
    }

    fn maybe_compact(&mut self) {
        if self.log_records >= self.compact_after
            && let Err(e) = self.compact()
        {
            // The log holds everything; compaction is retried after the next append.
            self.last_error = Some(e);
        }
    }
}

impl ReplayStore for FileReplayStore {
    /// One write and one fsync for the whole batch (group commit, see
    /// [`FileReplayStore::check_and_record_batch`]); the windows never expire, so
    /// `remember_for` is not needed.
    fn check_and_record_batch_for(
        &mut self,
        items: &[(&Kid, u64, std::time::Duration)],
    ) -> Vec<Result<(), Rejection>> {
        let items: Vec<(&Kid, u64)> = items.iter().map(|&(kid, seq, _)| (kid, seq)).collect();
        self.group_commit(&items)
    }

    fn check_and_record(&mut self, sender: &Kid, seq: u64) -> Result<(), Rejection> {
        // Judging needs no write: a replay is named as one even while the disk fails.
        if let Some(window) = self.windows.get(sender) {
            window.check(seq)?;
        }
        if let Err(e) = self.repair() {
            self.last_error = Some(e);
            return Err(store_unavailable(seq));
        }
        let mut record = Vec::with_capacity(MAX_RECORD_LEN);
        format::push_record(&mut record, sender, seq);
        if let Err(e) = self.append(&record) {
            self.last_error = Some(e);
            return Err(store_unavailable(seq));
        }
        apply(&mut self.windows, self.width, sender, seq);
        self.log_records += 1;
        self.maybe_compact();
        Ok(())
    }
}

/// Records `seq` for `kid` (a repeat, or a number below the window, changes nothing).
fn apply(windows: &mut BTreeMap<Kid, Window>, width: u64, kid: &Kid, seq: u64) {
    match windows.get_mut(kid) {
        Some(window) => {
            let _ = window.accept(seq);
        }
        None => {
            windows.insert(kid.clone(), Window::first(width, seq));
        }
    }
}

fn open_append(path: &Path) -> Result<File, StoreError> {
    private_fs::open(OpenOptions::new().append(true), path)
        .map_err(|e| StoreError::io("open", path, e))
}

/// Cuts a torn tail off the log, durably.
fn cut(path: &Path, len: u64) -> Result<(), StoreError> {
    private_fs::open(OpenOptions::new().write(true), path)
        .and_then(|f| f.set_len(len).and_then(|()| f.sync_all()))
        .map_err(|e| StoreError::io("truncate", path, e))
}

fn format_error(path: &Path, width: u64, e: FormatError) -> StoreError {
    match e {
        FormatError::Corrupt(what) => StoreError::corrupt(path, what),
        FormatError::Width(stored) => StoreError::WidthMismatch {
            stored,
            configured: width,
        },
    }
}

#[cfg(test)]
mod tests;
