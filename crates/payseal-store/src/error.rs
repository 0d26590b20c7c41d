//! Why a store could not be opened, read or written.

use std::io;
use std::path::PathBuf;

/// A store failed. Every store fails closed: while it returns this, no sequence number is
/// handed out and no message is accepted.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// A file-system operation failed.
    #[error("{op} {path}: {source}")]
    Io {
        /// What was being done (`"write"`, `"fsync"`, `"rename"`, ...).
        op: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The operating system's error.
        source: io::Error,
    },
    /// The state directory is not private: another user could write into it (it is writable
    /// by group or others, or owned by another user than this process's or root), and so
    /// replace the state or plant a symbolic link that redirects a write. Refused before
    /// anything is read or written.
    #[error("refusing state directory {path}: {why}")]
    Insecure {
        /// The directory.
        path: PathBuf,
        /// What makes it unsafe, and what to do.
        why: String,
    },
    /// Another process (or another store in this process) holds the store's lock: two writers
    /// would hand out the same sequence numbers or accept the same message twice.
    #[error("store {0} is locked by another user")]
    Locked(PathBuf),
    /// The stored state is not in the expected format or fails its checksum. The store
    /// refuses to start rather than start empty (which would forget what it protects).
    #[error("corrupt store {path}: {what}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        what: &'static str,
    },
    /// The store was created with another window width than the one configured now.
    #[error("store window width is {stored}, configured {configured}")]
    WidthMismatch {
        /// The width in the stored state.
        stored: u64,
        /// The width asked for.
        configured: u64,
    },
    /// An argument is out of range (for example a reservation of zero numbers).
    #[error("invalid configuration: {0}")]
    Config(&'static str),
    /// Every sequence number below `u64::MAX` has been reserved.
    #[error("sequence numbers exhausted")]
    Exhausted,
    /// The Redis server could not be reached, or answered with an error.
    #[cfg(feature = "redis")]
    #[error("redis: {0}")]
    Redis(String),
}

impl StoreError {
    pub(crate) fn io(op: &'static str, path: impl Into<PathBuf>, source: io::Error) -> Self {
        StoreError::Io {
            op,
            path: path.into(),
            source,
        }
    }

    pub(crate) fn corrupt(path: impl Into<PathBuf>, what: &'static str) -> Self {
        StoreError::Corrupt {
            path: path.into(),
            what,
        }
    }
}
