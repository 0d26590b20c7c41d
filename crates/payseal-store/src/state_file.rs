//! One small state blob in a crash-safe, private, single-writer file: what a key controller or
//! a group member keeps (spec/key-management.md §4.2, §4.5), with the same guarantees as the
//! sequence and replay stores.

use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use crate::durable::{self, Lock};
use crate::error::StoreError;
use crate::private_fs;

/// A file holding one blob, replaced atomically (a crash leaves the old or the new content,
/// whole), mode 0600 in a directory only its owner can write, locked by one process at a
/// time, with a CRC-32 trailer so a damaged file is refused rather than read as empty.
///
/// ```
/// # let dir = std::env::temp_dir().join(format!("payseal-state-doc-{}", std::process::id()));
/// use payseal_store::StateFile;
/// let file = StateFile::open(dir.join("member.state"))?;
/// assert_eq!(file.read()?, None);
/// file.write(b"epoch 3")?;
/// assert_eq!(file.read()?.as_deref(), Some(&b"epoch 3"[..]));
/// # drop(file); std::fs::remove_dir_all(&dir).ok();
/// # Ok::<(), payseal_store::StoreError>(())
/// ```
#[derive(Debug)]
pub struct StateFile {
    path: PathBuf,
    _lock: Lock,
}

impl StateFile {
    /// Opens (creating its directory, mode 0700, if missing) and locks the state file `path`.
    ///
    /// # Errors
    /// [`StoreError::Insecure`] for a directory others can write, [`StoreError::Locked`] if
    /// another process holds it, [`StoreError::Io`] otherwise.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        let path = path.as_ref().to_path_buf();
        match path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => private_fs::create_dir(dir)?,
            _ => private_fs::check_dir(Path::new("."))?,
        }
        let lock = Lock::acquire(&path)?;
        Ok(StateFile { path, _lock: lock })
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The stored blob, or `None` if nothing was ever written.
    ///
    /// # Errors
    /// [`StoreError::Corrupt`] if the CRC does not match, [`StoreError::Io`] on read errors.
    pub fn read(&self) -> Result<Option<Vec<u8>>, StoreError> {
        let Some(mut bytes) = durable::read_optional(&self.path)? else {
            return Ok(None);
        };
        let corrupt = || StoreError::Corrupt {
            path: self.path.clone(),
            what: "checksum mismatch or truncated",
        };
        let body_len = bytes.len().checked_sub(4).ok_or_else(corrupt)?;
        let crc = bytes.split_off(body_len);
        let crc = u32::from_be_bytes(<[u8; 4]>::try_from(crc.as_slice()).map_err(|_| corrupt())?);
        if durable::crc32(&bytes) != crc {
            return Err(corrupt());
        }
        Ok(Some(bytes))
    }

    /// Replaces the stored blob; it is on disk when this returns.
    ///
    /// # Errors
    /// [`StoreError::Io`] if writing, syncing or renaming fails (the old content stays).
    pub fn write(&self, blob: &[u8]) -> Result<(), StoreError> {
        // The blob may hold secrets (group keys): the copy with its trailer is wiped too.
        let mut bytes = Zeroizing::new(Vec::with_capacity(blob.len() + 4));
        bytes.extend_from_slice(blob);
        bytes.extend_from_slice(&durable::crc32(blob).to_be_bytes());
        durable::replace(&self.path, &bytes)
    }
}
