//! `sub --quarantine DIR`: every refused message, kept for forensics as one JSON line
//! (time, topic, reason, the raw bytes) in `DIR/rejected.jsonl`, rotated to
//! `rejected.jsonl.1` ... `.N-1` (the oldest dropped) so the directory never holds more
//! than `--quarantine-files` x `--quarantine-max-bytes` however much junk a broker sends.
//! The directory is private (0700, refused if others can write into it), the files 0600.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use payseal_rumqttc::{RejectedMessage, RejectionHook, escape_text};
use serde_json::{Map, Value};

use crate::Failure;
use crate::json;

/// The file being written; rotated ones get `.1`, `.2`, ... (`.1` the newest).
pub(crate) const LOG: &str = "rejected.jsonl";

/// A bounded, rotating log of refused messages: the CLI's [`RejectionHook`].
#[derive(Debug)]
pub(crate) struct Quarantine {
    dir: PathBuf,
    max_file_bytes: u64,
    max_files: u32,
    file: File,
    len: u64,
    /// Records dropped so far (too large, or a failed write); reported once each time.
    dropped: u64,
}

impl Quarantine {
    /// Opens (creating) the quarantine in `dir`, appending to an existing log.
    pub(crate) fn open(dir: &Path, max_file_bytes: u64, max_files: u32) -> Result<Self, Failure> {
        payseal_store::create_private_dir(dir)
            .map_err(|e| Failure::Io(format!("quarantine '{}': {e}", dir.display())))?;
        let path = dir.join(LOG);
        let file = open_log(&path).map_err(|e| Failure::io("open", &path, &e))?;
        let len = file
            .metadata()
            .map_err(|e| Failure::io("stat", &path, &e))?
            .len();
        let mut quarantine = Quarantine {
            dir: dir.to_path_buf(),
            max_file_bytes,
            max_files: max_files.max(1),
            file,
            len,
            dropped: 0,
        };
        if len > max_file_bytes {
            // Left by a run with a larger bound.
            quarantine
                .rotate()
                .map_err(|e| Failure::io("rotate", &path, &e))?;
        }
        Ok(quarantine)
    }

    /// Appends one record; `false` if it cannot fit in a file even without its payload.
    fn keep(&mut self, message: &RejectedMessage<'_>) -> std::io::Result<bool> {
        let mut line = record(message, true);
        if to_u64(line.len()) > self.max_file_bytes {
            line = record(message, false);
        }
        let size = to_u64(line.len());
        if size > self.max_file_bytes {
            return Ok(false);
        }
        if self.len + size > self.max_file_bytes {
            self.rotate()?;
        }
        self.file.write_all(line.as_bytes())?;
        self.len += size;
        Ok(true)
    }

    /// Drops the oldest file, shifts the others up by one and starts an empty log.
    fn rotate(&mut self) -> std::io::Result<()> {
        if self.max_files == 1 {
            self.file.set_len(0)?;
            self.len = 0;
            return Ok(());
        }
        ignore_missing(std::fs::remove_file(self.path(self.max_files - 1)))?;
        for n in (1..self.max_files - 1).rev() {
            ignore_missing(std::fs::rename(self.path(n), self.path(n + 1)))?;
        }
        std::fs::rename(self.path(0), self.path(1))?;
        self.file = open_log(&self.path(0))?;
        self.len = 0;
        Ok(())
    }

    fn path(&self, n: u32) -> PathBuf {
        match n {
            0 => self.dir.join(LOG),
            n => self.dir.join(format!("{LOG}.{n}")),
        }
    }
}

impl RejectionHook for Quarantine {
    fn rejected(&mut self, message: &RejectedMessage<'_>) {
        let why = match self.keep(message) {
            Ok(true) => return,
            Ok(false) => "its record is larger than --quarantine-max-bytes".to_owned(),
            Err(e) => escape_text(&e.to_string()),
        };
        self.dropped += 1;
        eprintln!(
            "payseal: warning: quarantine '{}': a refused message on {} was not kept ({why}; {} dropped so far)",
            self.dir.display(),
            escape_text(message.topic),
            self.dropped
        );
    }
}

/// One record: when, where, why, how large, and the bytes unless `with_payload` is false.
fn record(message: &RejectedMessage<'_>, with_payload: bool) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let mut object = Map::new();
    object.insert("time".into(), now.as_secs().into());
    object.insert("time_utc".into(), crate::time::utc(now.as_secs()).into());
    object.insert("topic".into(), message.topic.into());
    object.insert("reason".into(), message.reason.code().into());
    object.insert("detail".into(), message.reason.to_string().into());
    object.insert("payload_len".into(), message.payload.len().into());
    if with_payload {
        json::put_bytes(&mut object, message.payload);
    } else {
        object.insert("payload_omitted".into(), Value::Bool(true));
    }
    json::line(object)
}

/// The log, opened for appending: created 0600, never through a link, and tightened to
/// 0600 if an older one was looser.
fn open_log(path: &Path) -> std::io::Result<File> {
    let file = payseal_store::open_private_append(path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(file)
}

fn ignore_missing(result: std::io::Result<()>) -> std::io::Result<()> {
    match result {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        other => other,
    }
}

fn to_u64(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use payseal::Rejection;

    fn total_size(dir: &Path) -> u64 {
        std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().metadata().unwrap().len())
            .sum()
    }

    #[test]
    fn a_flood_stays_within_the_bound_and_keeps_the_newest() {
        let dir = std::env::temp_dir().join(format!("payseal-quarantine-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let mut q = Quarantine::open(&dir, 4096, 3).unwrap();
        for i in 0..2000u32 {
            let payload = vec![u8::try_from(i % 251).unwrap(); 300];
            q.rejected(&RejectedMessage {
                topic: &format!("junk/{i}"),
                payload: &payload,
                reason: &Rejection::UnknownSender,
            });
        }
        // A record too large for a file keeps its metadata, not its bytes.
        q.rejected(&RejectedMessage {
            topic: "junk/big",
            payload: &[0u8; 10_000],
            reason: &Rejection::UnknownSender,
        });
        assert!(total_size(&dir) <= 3 * 4096, "{}", total_size(&dir));
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 3);
        let newest = std::fs::read_to_string(dir.join(LOG)).unwrap();
        let last: Value = serde_json::from_str(newest.lines().last().unwrap()).unwrap();
        assert_eq!(last["topic"], "junk/big");
        assert_eq!(last["payload_omitted"], true);
        assert_eq!(last["payload_len"], 10_000);
        // It did not fit beside the flood's end, which moved to the previous file.
        let previous = std::fs::read_to_string(dir.join(format!("{LOG}.1"))).unwrap();
        let before: Value = serde_json::from_str(previous.lines().last().unwrap()).unwrap();
        assert_eq!(before["topic"], "junk/1999");
        assert_eq!(before["reason"], "unknown_sender");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            for entry in std::fs::read_dir(&dir).unwrap() {
                let mode = entry.unwrap().metadata().unwrap().permissions().mode();
                assert_eq!(mode & 0o777, 0o600);
            }
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
