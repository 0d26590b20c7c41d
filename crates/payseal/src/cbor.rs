//! The strict CBOR profile every envelope must follow before it is parsed (spec §4.1).
//!
//! `ciborium` (under `coset`) is lenient on purpose: it accepts indefinite lengths,
//! non-shortest integers and duplicate map keys. A signature covers bytes, not values, so two
//! encodings of one header would let an attacker change bytes without changing meaning (or the
//! other way round), and a parser that accepts more than the spec invites differential bugs. So
//! we walk the raw input once with `ciborium-ll` (which decodes item heads) and enforce the
//! profile here, with explicit limits, before any value tree is built.

use alloc::vec::Vec;

use ciborium_ll::{Decoder, Header};

use crate::error::Malformed;

/// Bounds on nesting and item count, so that scanning and decoding stay cheap.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ScanLimits {
    /// Deepest nesting of arrays and maps (the top level is depth 1).
    pub(crate) max_depth: usize,
    /// Most CBOR data items in the input, counting keys, values and containers.
    pub(crate) max_items: usize,
}

/// What a successful scan learned about the input.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Scanned {
    /// The tag wrapping the top-level item, if any (tags are allowed nowhere else).
    pub(crate) top_tag: Option<u64>,
}

/// Checks that `input` is exactly one CBOR item in the strict profile:
/// definite lengths, shortest-form heads, valid UTF-8 text, integer or text map keys without
/// duplicates, no floats, no simple values but `false`/`true`/`null`, and at most one tag,
/// on the top-level item.
pub(crate) fn scan(input: &[u8], limits: ScanLimits) -> Result<Scanned, Malformed> {
    let mut scanner = Scanner {
        input,
        pos: 0,
        items: 0,
        limits,
    };
    let top_tag = scanner.item(1, true)?;
    if scanner.pos != input.len() {
        return Err(Malformed::TrailingBytes {
            count: input.len() - scanner.pos,
        });
    }
    Ok(Scanned { top_tag })
}

/// Like [`scan`], for input where no tag is allowed at all, not even at the root (a protected
/// header's content, spec §4.1): a tag is `disallowed_item` at its own head, before anything
/// after it is looked at.
pub(crate) fn scan_untagged(input: &[u8], limits: ScanLimits) -> Result<(), Malformed> {
    let mut scanner = Scanner {
        input,
        pos: 0,
        items: 0,
        limits,
    };
    scanner.item(1, false)?;
    if scanner.pos != input.len() {
        return Err(Malformed::TrailingBytes {
            count: input.len() - scanner.pos,
        });
    }
    Ok(())
}

struct Scanner<'a> {
    input: &'a [u8],
    pos: usize,
    items: usize,
    limits: ScanLimits,
}

impl<'a> Scanner<'a> {
    /// Reads one item head at `self.pos`, enforcing shortest form; returns it and its offset.
    fn head(&mut self) -> Result<(Header, usize), Malformed> {
        let offset = self.pos;
        let rest = self.input.get(offset..).unwrap_or_default();
        let mut decoder = Decoder::from(rest);
        let header = decoder
            .pull()
            .map_err(|_| Malformed::InvalidCbor { offset })?;
        let head_len = decoder.offset();
        let argument = match header {
            Header::Positive(n) | Header::Negative(n) | Header::Tag(n) => n,
            Header::Bytes(Some(n))
            | Header::Text(Some(n))
            | Header::Array(Some(n))
            | Header::Map(Some(n)) => n as u64,
            Header::Bytes(None) | Header::Text(None) | Header::Array(None) | Header::Map(None) => {
                return Err(Malformed::IndefiniteLength { offset });
            }
            Header::Break => return Err(Malformed::InvalidCbor { offset }),
            Header::Float(_) => return Err(Malformed::DisallowedItem { offset }),
            // false, true, null, in their one-byte form.
            Header::Simple(20..=22) if head_len == 1 => 0,
            // A two-byte simple value below 32 is not well-formed (RFC 8949 §3.3).
            Header::Simple(0..=31) if head_len == 2 => {
                return Err(Malformed::InvalidCbor { offset });
            }
            Header::Simple(_) => return Err(Malformed::DisallowedItem { offset }),
        };
        if head_len != shortest_head_len(argument) {
            return Err(Malformed::NonPreferredEncoding { offset });
        }
        self.pos = offset + head_len;
        self.items += 1;
        if self.items > self.limits.max_items {
            return Err(Malformed::TooComplex("too many CBOR items"));
        }
        Ok((header, offset))
    }

    /// Skips `len` content bytes and returns them.
    fn content(&mut self, len: usize, offset: usize) -> Result<&[u8], Malformed> {
        let end = self
            .pos
            .checked_add(len)
            .filter(|&end| end <= self.input.len())
            .ok_or(Malformed::InvalidCbor { offset })?;
        let bytes = self.input.get(self.pos..end).unwrap_or_default();
        self.pos = end;
        Ok(bytes)
    }

    /// Scans one item; returns its tag when it is the tagged top-level item.
    fn item(&mut self, depth: usize, tag_allowed: bool) -> Result<Option<u64>, Malformed> {
        let (header, offset) = self.head()?;
        match header {
            Header::Tag(tag) if tag_allowed => {
                self.item(depth, false)?;
                Ok(Some(tag))
            }
            Header::Tag(_) => Err(Malformed::DisallowedItem { offset }),
            Header::Bytes(Some(len)) => self.content(len, offset).map(|_| None),
            Header::Text(Some(len)) => {
                let text = self.content(len, offset)?;
                core::str::from_utf8(text).map_err(|_| Malformed::InvalidCbor { offset })?;
                Ok(None)
            }
            Header::Array(Some(len)) => {
                self.enter(depth)?;
                for _ in 0..len {
                    self.item(depth + 1, false)?;
                }
                Ok(None)
            }
            Header::Map(Some(len)) => {
                self.enter(depth)?;
                let mut keys: Vec<&[u8]> = Vec::new();
                for _ in 0..len {
                    let key = self.map_key()?;
                    // Heads are in shortest form, so equal keys have equal bytes.
                    if keys.contains(&key) {
                        return Err(Malformed::DuplicateLabel {
                            offset: self.pos - key.len(),
                        });
                    }
                    keys.push(key);
                    self.item(depth + 1, false)?;
                }
                Ok(None)
            }
            _ => Ok(None),
        }
    }

    /// Scans a map key, which must be an integer or a text string, and returns its bytes.
    fn map_key(&mut self) -> Result<&'a [u8], Malformed> {
        let input: &'a [u8] = self.input;
        let start = self.pos;
        let (header, offset) = self.head()?;
        match header {
            Header::Positive(_) | Header::Negative(_) => {}
            Header::Text(Some(len)) => {
                let text = self.content(len, offset)?;
                core::str::from_utf8(text).map_err(|_| Malformed::InvalidCbor { offset })?;
            }
            _ => return Err(Malformed::DisallowedItem { offset }),
        }
        Ok(input.get(start..self.pos).unwrap_or_default())
    }

    fn enter(&self, depth: usize) -> Result<(), Malformed> {
        if depth > self.limits.max_depth {
            return Err(Malformed::TooComplex("nesting too deep"));
        }
        Ok(())
    }
}

/// The length of an item head whose argument is `n`, in shortest form (RFC 8949 §4.2.1).
pub(crate) const fn shortest_head_len(n: u64) -> usize {
    match n {
        0..=23 => 1,
        24..=0xff => 2,
        0x100..=0xffff => 3,
        0x1_0000..=0xffff_ffff => 5,
        _ => 9,
    }
}

/// CBOR major types used when writing.
pub(crate) mod major {
    pub(crate) const UNSIGNED: u8 = 0;
    pub(crate) const NEGATIVE: u8 = 1;
    pub(crate) const BYTES: u8 = 2;
    pub(crate) const TEXT: u8 = 3;
    pub(crate) const ARRAY: u8 = 4;
    pub(crate) const MAP: u8 = 5;
    pub(crate) const TAG: u8 = 6;
}

/// Appends an item head in shortest form.
#[allow(
    clippy::cast_possible_truncation,
    reason = "each arm checked the value fits"
)]
pub(crate) fn write_head(out: &mut Vec<u8>, major: u8, n: u64) {
    let m = major << 5;
    // Each arm writes exactly the bytes of `n` it has checked fit.
    match shortest_head_len(n) {
        1 => out.push(m | n as u8),
        2 => out.extend_from_slice(&[m | 24, n as u8]),
        3 => {
            out.push(m | 25);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        5 => {
            out.push(m | 26);
            out.extend_from_slice(&(n as u32).to_be_bytes());
        }
        _ => {
            out.push(m | 27);
            out.extend_from_slice(&n.to_be_bytes());
        }
    }
}

/// Appends an integer in shortest form (major type 0, or 1 for negative values: `-1 - n`).
pub(crate) fn write_int(out: &mut Vec<u8>, n: i64) {
    match u64::try_from(n) {
        Ok(n) => write_head(out, major::UNSIGNED, n),
        Err(_) => write_head(out, major::NEGATIVE, n.unsigned_abs() - 1),
    }
}

/// Appends a byte string or text string (`major` is [`major::BYTES`] or [`major::TEXT`]).
pub(crate) fn write_string(out: &mut Vec<u8>, major: u8, bytes: &[u8]) {
    write_head(out, major, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

mod value;

pub(crate) use value::decode_scanned;

#[cfg(test)]
mod tests;
