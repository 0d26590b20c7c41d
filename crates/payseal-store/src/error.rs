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
