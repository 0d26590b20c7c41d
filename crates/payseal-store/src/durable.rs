//! Crash-safe file primitives: atomic replacement (temp file, fsync, rename, fsync of the
//! directory), a directory lock, and a CRC-32 to recognise torn or damaged records.

use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::error::StoreError;
use crate::private_fs;

/// How long [`Lock::acquire`] looks again before it reports the lock as taken.
const LOCK_GRACE: Duration = Duration::from_millis(200);

/// Replaces `path` with `bytes` so that after a crash at any point the file holds either the
/// old or the new content, completely, and the new content is on disk when this returns:
/// write `path.tmp`, fsync it, rename it over `path`, fsync the directory (the rename itself
/// is only durable once the directory is).
///
/// `path.tmp` is created new, mode 0600, never through a symbolic link: a leftover one (from
/// a crash, or planted) is removed first (removing a link never touches its target), and if
/// one appears again before the create, the create fails.
pub(crate) fn replace(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    let tmp = tmp_path(path);
    match fs::remove_file(&tmp) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(StoreError::io("remove", &tmp, e)),
    }
    {
        let mut file = private_fs::create_new(&tmp)?;
        file.write_all(bytes)
            .map_err(|e| StoreError::io("write", &tmp, e))?;
        file.sync_all()
            .map_err(|e| StoreError::io("fsync", &tmp, e))?;
    }
    fs::rename(&tmp, path).map_err(|e| StoreError::io("rename", path, e))?;
    sync_dir(path)
}

/// Makes directory entries (a rename, a new file) in `path`'s directory durable.
pub(crate) fn sync_dir(path: &Path) -> Result<(), StoreError> {
    let dir = parent(path);
    File::open(&dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| StoreError::io("fsync directory", dir, e))
}

/// Reads `path`, or `None` if it does not exist (never through a symbolic link).
pub(crate) fn read_optional(path: &Path) -> Result<Option<Vec<u8>>, StoreError> {
    private_fs::read_optional(path)
}

fn tmp_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".tmp");
    path.with_file_name(name)
}

fn parent(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// An exclusive lock on `<path>.lock`, held while the value lives. The kernel releases it
/// when the process dies, SIGKILL included, so a crashed owner never blocks a restart.
#[derive(Debug)]
pub(crate) struct Lock {
    _file: File,
}

impl Lock {
    /// Takes the lock next to `path`, failing at once (not waiting) if someone holds it.
    pub(crate) fn acquire(path: &Path) -> Result<Self, StoreError> {
        let mut name = path.file_name().unwrap_or_default().to_os_string();
        name.push(".lock");
        let lock_path = path.with_file_name(name);
        // Mode 0600, and never through a symbolic link.
        let file = private_fs::open(
            OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false),
            &lock_path,
        )
        .map_err(|e| StoreError::io("create", &lock_path, e))?;
        // A lock its owner just released can still be held for a moment by a child process
        // the owner's process was starting (between fork and exec, the child shares the
        // descriptor): look again briefly before calling it taken.
        let deadline = Instant::now() + LOCK_GRACE;
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(Lock { _file: file }),
                Err(TryLockError::WouldBlock) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(5));
                }
                Err(TryLockError::WouldBlock) => {
                    return Err(StoreError::Locked(path.to_path_buf()));
                }
                Err(TryLockError::Error(e)) => return Err(StoreError::io("lock", lock_path, e)),
            }
        }
    }
}

/// CRC-32 (IEEE 802.3, as in zlib), bit by bit: records are a few dozen bytes.
pub(crate) fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0xEDB8_8320 & mask);
        }
    }
    !crc
}

#[cfg(test)]
pub(crate) mod testdir {
    //! Temporary directories for tests, removed on drop.

    use std::path::{Path, PathBuf};
    use std::sync::atomic::{AtomicU32, Ordering};

    static NEXT: AtomicU32 = AtomicU32::new(0);

    /// A fresh, empty directory under the system temp dir.
    pub(crate) struct TestDir(PathBuf);

    impl TestDir {
        pub(crate) fn new(tag: &str) -> Self {
            let n = NEXT.fetch_add(1, Ordering::SeqCst);
            let dir = std::env::temp_dir()
                .join(format!("payseal-store-{tag}-{}-{n}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).unwrap();
            TestDir(dir)
        }

        pub(crate) fn path(&self) -> &Path {
            &self.0
        }
    }

    impl Drop for TestDir {
        fn drop(&mut self) {
            // A test may have made it, or files in it, read-only or immutable.
            let _ = chattr(&self.0, "-R");
            let _ = set_writable(&self.0, true);
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    pub(crate) fn set_writable(dir: &Path, writable: bool) -> std::io::Result<()> {
        use std::os::unix::fs::PermissionsExt;
        let mode = if writable { 0o755 } else { 0o555 };
        if writable {
            let _ = chattr(dir, "-i");
        }
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(mode))
    }

    /// Makes `dir` read-only for this process. Mode 0555 is enough for a normal user; root
    /// ignores it, so then the directory is also made immutable (`chattr +i`, which binds
    /// root too). Panics if the directory is still writable: the test would prove nothing.
    pub(crate) fn make_read_only(dir: &Path) {
        set_writable(dir, false).unwrap();
        if !is_writable(dir) {
            return;
        }
        let immutable = chattr(dir, "+i");
        assert!(
            immutable && !is_writable(dir),
            "cannot make {} read-only (running as root without chattr?)",
            dir.display()
        );
    }

    fn is_writable(dir: &Path) -> bool {
        let probe = dir.join(".probe");
        let ok = std::fs::write(&probe, b"x").is_ok();
        let _ = std::fs::remove_file(probe);
        ok
    }

    /// Makes an existing file refuse writes, even through descriptors already open
    /// (`chattr +i`; needs root, as the tests run here). Panics if that is not possible.
    pub(crate) fn make_immutable(path: &Path, immutable: bool) {
        let flag = if immutable { "+i" } else { "-i" };
        assert!(
            chattr(path, flag),
            "chattr {flag} {} failed (not root?)",
            path.display()
        );
    }

    fn chattr(path: &Path, flag: &str) -> bool {
        let mut command = std::process::Command::new("chattr");
        if flag == "-R" {
            command.args(["-R", "-i"]);
        } else {
            command.arg(flag);
        }
        command
            .arg(path)
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }
}

#[cfg(test)]
mod tests {
    use super::testdir::TestDir;
    use super::*;

    #[test]
    fn crc32_matches_the_standard_check_value() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b""), 0);
    }

    #[test]
    fn replace_writes_the_whole_new_content_and_leaves_no_temp_file() {
        let dir = TestDir::new("replace");
        let path = dir.path().join("state");
        replace(&path, b"one").unwrap();
        replace(&path, b"two, longer").unwrap();
        assert_eq!(read_optional(&path).unwrap().unwrap(), b"two, longer");
        assert!(!dir.path().join("state.tmp").exists());
        assert_eq!(read_optional(&dir.path().join("absent")).unwrap(), None);
    }

    #[test]
    fn lock_is_exclusive_and_released_on_drop() {
        let dir = TestDir::new("lock");
        let path = dir.path().join("state");
        let first = Lock::acquire(&path).unwrap();
        assert!(matches!(Lock::acquire(&path), Err(StoreError::Locked(_))));
        drop(first);
        Lock::acquire(&path).unwrap();
    }
}
