//! Sender side: sequence numbers that survive crashes without ever being reused
//! (spec/envelope.md §5.2, spec/replay-stores.md §2).
//!
//! A [`ReservingSequence`] persists a *limit* before it hands out any number below it, `K`
//! numbers at a time. After a crash it resumes at the last persisted limit: the numbers of the
//! block in use when it died are skipped (at most `K`), never repeated.

use std::path::{Path, PathBuf};

use payseal::{SequenceError, SequenceSource};

use crate::durable::{self, Lock};
use crate::error::StoreError;
use crate::private_fs;

/// Where a [`ReservingSequence`] persists its reservation.
///
/// `save` must be durable when it returns (a crash right after it must not lose the value),
/// and the stored limit must only ever grow.
pub trait SeqStore {
    /// The limit persisted last, or `None` if nothing was ever stored.
    ///
    /// # Errors
    /// [`StoreError`] if the stored state cannot be read or is damaged.
    fn load(&mut self) -> Result<Option<u64>, StoreError>;

    /// Durably records that numbers below `limit` may have been handed out.
    ///
    /// # Errors
    /// [`StoreError`] if it could not be made durable; the caller then hands out nothing new.
    fn save(&mut self, limit: u64) -> Result<(), StoreError>;
}

/// A [`SequenceSource`] that reserves numbers ahead in a [`SeqStore`].
///
/// It persists `next + K` before handing out `next`, so one write serves `K` envelopes. If the
/// store cannot be written, [`next_seq`](SequenceSource::next_seq) returns
/// [`SequenceError::StoreUnavailable`] and the [`payseal::Sealer`] refuses to seal; it tries
/// again on the next call.
#[derive(Debug)]
pub struct ReservingSequence<S> {
    store: S,
    next: u64,
    limit: u64,
    ahead: u64,
    last_error: Option<StoreError>,
}

/// A crash-safe sequence source in one small file (see [`ReservingSequence`] and [`SeqFile`]).
pub type FileSeqStore = ReservingSequence<SeqFile>;

impl<S: SeqStore> ReservingSequence<S> {
    /// Resumes from `store` (or starts at `first` if it holds nothing, or holds less), reserving
    /// `ahead` numbers per write. Reserves the first block before returning.
    ///
    /// # Errors
    /// [`StoreError::Config`] for `ahead == 0`; [`StoreError::Exhausted`]; or the store's
    /// error if the state cannot be read or the first reservation cannot be written.
    pub fn new(mut store: S, ahead: u64, first: u64) -> Result<Self, StoreError> {
        if ahead == 0 {
            return Err(StoreError::Config("reserve at least one number ahead"));
        }
        let next = store.load()?.map_or(first, |stored| stored.max(first));
        if next == u64::MAX {
            return Err(StoreError::Exhausted);
        }
        let limit = next.saturating_add(ahead);
        store.save(limit)?;
        Ok(ReservingSequence {
            store,
            next,
            limit,
            ahead,
            last_error: None,
        })
    }

    /// The next number [`next_seq`](SequenceSource::next_seq) will hand out.
    pub fn peek(&self) -> u64 {
        self.next
    }

    /// The persisted limit: a restart after a crash continues here.
    pub fn reserved_until(&self) -> u64 {
        self.limit
    }

    /// Why the last reservation failed, if it did (cleared by the next success).
    pub fn last_error(&self) -> Option<&StoreError> {
        self.last_error.as_ref()
    }

    /// The backing store.
    pub fn store(&self) -> &S {
        &self.store
    }
}

impl<S: SeqStore> SequenceSource for ReservingSequence<S> {
    fn next_seq(&mut self) -> Result<u64, SequenceError> {
        if self.next == self.limit {
            let limit = self.limit.saturating_add(self.ahead);
            if limit == self.limit {
                return Err(SequenceError::Exhausted);
            }
            // Persist first; only then may numbers of the new block leave this process.
            if let Err(e) = self.store.save(limit) {
                self.last_error = Some(e);
                return Err(SequenceError::StoreUnavailable);
            }
            self.last_error = None;
            self.limit = limit;
        }
        let seq = self.next;
        // `next < limit <= u64::MAX`, so this cannot overflow.
        self.next += 1;
        Ok(seq)
    }
}

impl ReservingSequence<SeqFile> {
    /// Opens (or creates, starting at 1) the sequence file at `path`, reserving `ahead`
    /// numbers per fsync. The file is locked while the store lives.
    ///
    /// ```
    /// use payseal::SequenceSource;
    /// # let dir = std::env::temp_dir().join(format!("payseal-seq-doc-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir)?;
    /// let path = dir.join("sensor-7.seq");
    /// let mut seq = payseal_store::FileSeqStore::open(&path, 100)?;
    /// assert_eq!(seq.next_seq()?, 1);
    /// drop(seq); // a crash, as far as the file knows: numbers 2..=100 were reserved
    /// let mut seq = payseal_store::FileSeqStore::open(&path, 100)?;
    /// assert_eq!(seq.next_seq()?, 101);
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// [`StoreError`] if the file cannot be locked, read, parsed or written.
    pub fn open(path: impl AsRef<Path>, ahead: u64) -> Result<Self, StoreError> {
        Self::open_starting_at(path, ahead, 1)
    }

    /// As [`open`](Self::open), starting at `first` when the file is new (or holds a lower
    /// limit).
    ///
    /// # Errors
    /// As [`open`](Self::open).
    pub fn open_starting_at(
        path: impl AsRef<Path>,
        ahead: u64,
        first: u64,
    ) -> Result<Self, StoreError> {
        Self::new(SeqFile::open(path)?, ahead, first)
    }
}

/// A [`SeqStore`] in one file, replaced atomically on every save (temp file, fsync, rename,
/// fsync of the directory) and locked against a second user.
///
/// The file is one line, `payseal-seq/1 <limit> <crc32>`; a damaged file is refused
/// ([`StoreError::Corrupt`]), never taken as "start over".
#[derive(Debug)]
pub struct SeqFile {
    path: PathBuf,
    _lock: Lock,
}

const MAGIC: &str = "payseal-seq/1";

impl SeqFile {
    /// Locks the sequence file at `path` (its directory must exist, and only this user or
    /// root may write into it). The file and its lock are created mode 0600, never through a
    /// symbolic link.
    ///
    /// # Errors
    /// [`StoreError::Insecure`] if another user could write into the directory (writable by
    /// group or others, or owned by another user than this one or root);
    /// [`StoreError::Locked`] if another store holds it, or an I/O error.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        let path = path.as_ref().to_path_buf();
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        private_fs::check_dir(dir)?;
        let lock = Lock::acquire(&path)?;
        Ok(SeqFile { path, _lock: lock })
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// The file's exact content for `limit`.
pub(crate) fn encode(limit: u64) -> String {
    let body = format!("{MAGIC} {limit}");
    let crc = durable::crc32(body.as_bytes());
    format!("{body} {crc:08x}\n")
}

/// The limit in a file's content, if it is exactly what [`encode`] writes.
pub(crate) fn decode(text: &[u8]) -> Option<u64> {
    let text = std::str::from_utf8(text).ok()?.strip_suffix('\n')?;
    let (body, crc) = text.rsplit_once(' ')?;
    let limit: u64 = body.strip_prefix(MAGIC)?.strip_prefix(' ')?.parse().ok()?;
    (encode(limit) == format!("{body} {crc}\n")).then_some(limit)
}

impl SeqStore for SeqFile {
    fn load(&mut self) -> Result<Option<u64>, StoreError> {
        match durable::read_optional(&self.path)? {
            None => Ok(None),
            Some(bytes) => decode(&bytes)
                .map(Some)
                .ok_or_else(|| StoreError::corrupt(&self.path, "not a payseal-seq/1 file")),
        }
    }

    fn save(&mut self, limit: u64) -> Result<(), StoreError> {
        durable::replace(&self.path, encode(limit).as_bytes())
    }
}

#[cfg(test)]
mod tests;
