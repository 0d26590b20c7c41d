//! State directories and files that only their owner can touch.
//!
//! Replay windows and sequence reservations are security state: whoever can replace a file in
//! the directory can make a receiver accept a replay or a sender reuse a number, and whoever
//! can plant a symbolic link there can make the store write over a file the link points to.
//! So a directory the store creates is mode 0700, an existing one is refused when another
//! user could write into it, files are created mode 0600, and no file is opened through a
//! symbolic link (`O_NOFOLLOW`; temporary files are also created new, `O_EXCL`).

use std::fs::{File, OpenOptions};
use std::path::Path;

use crate::error::StoreError;

/// Creates `dir` (and missing parents) with mode 0700, then checks it with [`check_dir`].
pub(crate) fn create_dir(dir: &Path) -> Result<(), StoreError> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(dir)
        .map_err(|e| StoreError::io("create", dir, e))?;
    check_dir(dir)
}

/// Refuses a state directory that another user could write into: writable by group or
/// others, or owned by a user other than this process's effective user (or root).
pub(crate) fn check_dir(dir: &Path) -> Result<(), StoreError> {
    let meta = std::fs::metadata(dir).map_err(|e| StoreError::io("stat", dir, e))?;
    if !meta.is_dir() {
        return Err(StoreError::io(
            "open",
            dir,
            std::io::Error::new(std::io::ErrorKind::NotADirectory, "not a directory"),
        ));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let mode = meta.mode() & 0o7777;
        if mode & 0o022 != 0 {
            return Err(StoreError::Insecure {
                path: dir.to_path_buf(),
                why: format!(
                    "writable by group or others (mode {mode:04o}); run `chmod go-w` on it or use a directory only you can write"
                ),
            });
        }
        let me = rustix::process::geteuid().as_raw();
        let owner = meta.uid();
        if owner != me && owner != 0 {
            return Err(StoreError::Insecure {
                path: dir.to_path_buf(),
                why: format!("owned by user {owner}, not by this user ({me}) or root"),
            });
        }
    }
    Ok(())
}

/// `O_NOFOLLOW`: opening a symbolic link fails (`ELOOP`) instead of following it.
#[cfg(unix)]
fn no_follow(options: &mut OpenOptions) -> &mut OpenOptions {
    use std::os::unix::fs::OpenOptionsExt;
    options
        .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits().cast_signed())
        .mode(0o600)
}

#[cfg(not(unix))]
fn no_follow(options: &mut OpenOptions) -> &mut OpenOptions {
    options
}

/// Creates `path` new (it must not exist, not even as a dangling link), mode 0600, for
/// writing.
pub(crate) fn create_new(path: &Path) -> Result<File, StoreError> {
    no_follow(OpenOptions::new().write(true).create_new(true))
        .open(path)
        .map_err(|e| StoreError::io("create", path, e))
}

/// Opens `path` with `options` (mode 0600 if it is created), never through a link.
pub(crate) fn open(options: &mut OpenOptions, path: &Path) -> Result<File, std::io::Error> {
    no_follow(options).open(path)
}

/// Reads `path`, or `None` if it does not exist; never through a link.
pub(crate) fn read_optional(path: &Path) -> Result<Option<Vec<u8>>, StoreError> {
    use std::io::Read;
    match open(OpenOptions::new().read(true), path) {
        Ok(mut file) => {
            let mut bytes = Vec::new();
            file.read_to_end(&mut bytes)
                .map_err(|e| StoreError::io("read", path, e))?;
            Ok(Some(bytes))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(StoreError::io("read", path, e)),
    }
}
