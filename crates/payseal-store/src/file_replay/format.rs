//! The file replay store's two files (spec/replay-stores.md §3.2): a snapshot of every window,
//! replaced atomically, and an append-only log of accepted numbers since that snapshot.
//!
//! Snapshot: `"PSRS"`, version 1, width (u32), count (u32), then per sender `kid_len` (u8),
//! kid, window (window.rs), then a CRC-32 of everything before it. Big-endian integers.
//!
//! Log: a header `"PSRL"`, version 1, width (u32); then records `kid_len` (u8), kid, seq
//! (u64), CRC-32 of the record's bytes before it.

use std::collections::BTreeMap;

use payseal::Kid;

use crate::durable::crc32;
use crate::window::{Window, encoded_len};

const SNAPSHOT_MAGIC: &[u8; 4] = b"PSRS";
const LOG_MAGIC: &[u8; 4] = b"PSRL";
const VERSION: u8 = 1;
/// Bytes of the log header.
pub(super) const LOG_HEADER_LEN: u64 = HEADER_LEN as u64;
const HEADER_LEN: usize = 9;
/// The largest log record: a 32-byte kid.
pub(super) const MAX_RECORD_LEN: usize = 1 + Kid::MAX_LEN + 8 + 4;

/// Why a file could not be read.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum FormatError {
    /// Wrong magic, version, length or checksum.
    Corrupt(&'static str),
    /// A valid file for another window width.
    Width(u64),
}

pub(super) fn encode_snapshot(width: u64, windows: &BTreeMap<Kid, Window>) -> Vec<u8> {
    let mut out = Vec::with_capacity(13 + windows.len() * (1 + 8 + encoded_len(width)) + 4);
    out.extend_from_slice(SNAPSHOT_MAGIC);
    out.push(VERSION);
    out.extend_from_slice(&u32::try_from(width).unwrap_or(u32::MAX).to_be_bytes());
    out.extend_from_slice(
        &u32::try_from(windows.len())
            .unwrap_or(u32::MAX)
            .to_be_bytes(),
    );
    for (kid, window) in windows {
        push_kid(&mut out, kid);
        window.encode_into(&mut out);
    }
    let crc = crc32(&out);
    out.extend_from_slice(&crc.to_be_bytes());
    out
}

pub(super) fn decode_snapshot(
    width: u64,
    bytes: &[u8],
) -> Result<BTreeMap<Kid, Window>, FormatError> {
    let (body, crc) = bytes
        .split_last_chunk::<4>()
        .ok_or(FormatError::Corrupt("snapshot too short"))?;
    if crc32(body) != u32::from_be_bytes(*crc) {
        return Err(FormatError::Corrupt("snapshot checksum"));
    }
    let mut r = Reader(body);
    if r.take(4) != Some(SNAPSHOT_MAGIC) || r.u8() != Some(VERSION) {
        return Err(FormatError::Corrupt("not a payseal replay snapshot"));
    }
    let stored = u64::from(r.u32().ok_or(FormatError::Corrupt("snapshot header"))?);
    if stored != width {
        return Err(FormatError::Width(stored));
    }
    let count = r.u32().ok_or(FormatError::Corrupt("snapshot header"))?;
    let mut windows = BTreeMap::new();
    for _ in 0..count {
        let kid = r.kid().ok_or(FormatError::Corrupt("snapshot entry"))?;
        let window = r
            .take(encoded_len(width))
            .and_then(|b| Window::decode(width, b))
            .ok_or(FormatError::Corrupt("snapshot entry"))?;
        windows.insert(kid, window);
    }
    if !r.0.is_empty() {
        return Err(FormatError::Corrupt("snapshot trailing bytes"));
    }
    Ok(windows)
}

pub(super) fn log_header(width: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_LEN);
    out.extend_from_slice(LOG_MAGIC);
    out.push(VERSION);
    out.extend_from_slice(&u32::try_from(width).unwrap_or(u32::MAX).to_be_bytes());
    out
}

pub(super) fn push_record(out: &mut Vec<u8>, kid: &Kid, seq: u64) {
    let start = out.len();
    push_kid(out, kid);
    out.extend_from_slice(&seq.to_be_bytes());
    let crc = crc32(out.get(start..).unwrap_or_default());
    out.extend_from_slice(&crc.to_be_bytes());
}

/// A log's records, and the length of its valid prefix (header and whole records).
#[derive(Debug)]
pub(super) struct Log {
    pub(super) records: Vec<(Kid, u64)>,
    pub(super) valid_len: u64,
}

/// Reads a log. Parsing stops at the first record that is incomplete or fails its checksum:
/// what follows is the unfinished last write of a crashed process, never acknowledged. The
/// caller decides whether that tail is short enough to be one.
pub(super) fn decode_log(width: u64, bytes: &[u8]) -> Result<Log, FormatError> {
    let mut r = Reader(bytes);
    if r.take(4) != Some(LOG_MAGIC) || r.u8() != Some(VERSION) {
        return Err(FormatError::Corrupt("not a payseal replay log"));
    }
    let stored = u64::from(r.u32().ok_or(FormatError::Corrupt("log header"))?);
    if stored != width {
        return Err(FormatError::Width(stored));
    }
    let mut records = Vec::new();
    let mut valid = HEADER_LEN;
    loop {
        let mut rec = Reader(r.0);
        let Some(kid) = rec.kid() else { break };
        let Some(seq) = rec.u64() else { break };
        let len = r.0.len() - rec.0.len();
        let Some(crc) = rec.u32() else { break };
        if r.0.get(..len).map(crc32) != Some(crc) {
            break;
        }
        records.push((kid, seq));
        valid += len + 4;
        r = rec;
    }
    Ok(Log {
        records,
        valid_len: valid as u64,
    })
}

fn push_kid(out: &mut Vec<u8>, kid: &Kid) {
    let bytes = kid.as_bytes();
    // A kid is 1 to 32 bytes (Kid::MAX_LEN).
    out.push(u8::try_from(bytes.len()).unwrap_or(u8::MAX));
    out.extend_from_slice(bytes);
}

/// A cursor over bytes that never panics.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let (head, rest) = self.0.split_at_checked(n)?;
        self.0 = rest;
        Some(head)
    }

    fn u8(&mut self) -> Option<u8> {
        self.take(1)?.first().copied()
    }

    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_be_bytes(self.take(4)?.try_into().ok()?))
    }

    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_be_bytes(self.take(8)?.try_into().ok()?))
    }

    fn kid(&mut self) -> Option<Kid> {
        let len = usize::from(self.u8()?);
        Kid::new(self.take(len)?.to_vec()).ok()
    }
}
