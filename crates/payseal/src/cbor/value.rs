//! Building a `ciborium::Value` from input [`scan`](super::scan) has accepted.
//!
//! `ciborium::from_reader` goes through serde's visitor machinery, which cost more than the
//! rest of opening an envelope together (signature aside). Input that passed the scan is one
//! well-formed item with definite lengths, shortest heads, valid UTF-8 and no floats, so one
//! walk over `ciborium-ll`'s heads builds the same `Value` directly. Anything unexpected
//! fails closed (`InvalidCbor`), which the scan makes unreachable.

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;

use ciborium::Value;
use ciborium::value::Integer;
use ciborium_ll::{Decoder, Header};

use crate::error::Malformed;

/// The `Value` of `input`, which must have passed [`scan`](super::scan) or
/// [`scan_untagged`](super::scan_untagged) (so its depth is bounded by their limits).
pub(crate) fn decode_scanned(input: &[u8]) -> Result<Value, Malformed> {
    let mut reader = Reader { input, pos: 0 };
    let value = reader.item()?;
    if reader.pos != input.len() {
        return Err(reader.invalid());
    }
    Ok(value)
}

struct Reader<'a> {
    input: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn invalid(&self) -> Malformed {
        Malformed::InvalidCbor { offset: self.pos }
    }

    fn head(&mut self) -> Result<Header, Malformed> {
        let rest = self.input.get(self.pos..).unwrap_or_default();
        let mut decoder = Decoder::from(rest);
        let header = decoder.pull().map_err(|_| self.invalid())?;
        self.pos += decoder.offset();
        Ok(header)
    }

    fn content(&mut self, len: usize) -> Result<&[u8], Malformed> {
        let end = self
            .pos
            .checked_add(len)
            .filter(|&end| end <= self.input.len())
            .ok_or_else(|| self.invalid())?;
        let bytes = self.input.get(self.pos..end).unwrap_or_default();
        self.pos = end;
        Ok(bytes)
    }

    fn item(&mut self) -> Result<Value, Malformed> {
        Ok(match self.head()? {
            Header::Positive(n) => Value::Integer(n.into()),
            Header::Negative(n) => {
                Value::Integer(Integer::try_from(-1 - i128::from(n)).map_err(|_| self.invalid())?)
            }
            Header::Bytes(Some(len)) => Value::Bytes(self.content(len)?.to_vec()),
            Header::Text(Some(len)) => {
                let offset = self.pos;
                let text = core::str::from_utf8(self.content(len)?)
                    .map_err(|_| Malformed::InvalidCbor { offset })?;
                Value::Text(String::from(text))
            }
            Header::Array(Some(len)) => {
                let mut items = Vec::with_capacity(len.min(self.input.len()));
                for _ in 0..len {
                    items.push(self.item()?);
                }
                Value::Array(items)
            }
            Header::Map(Some(len)) => {
                let mut entries = Vec::with_capacity(len.min(self.input.len()));
                for _ in 0..len {
                    let key = self.item()?;
                    entries.push((key, self.item()?));
                }
                Value::Map(entries)
            }
            Header::Tag(tag) => Value::Tag(tag, Box::new(self.item()?)),
            Header::Simple(20) => Value::Bool(false),
            Header::Simple(21) => Value::Bool(true),
            Header::Simple(22) => Value::Null,
            _ => return Err(self.invalid()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cbor::{ScanLimits, scan};

    /// What ciborium's own decoder makes of the same input.
    fn ciborium_value(input: &[u8]) -> Value {
        ciborium::from_reader(input).unwrap()
    }

    fn encoded(value: &Value) -> Vec<u8> {
        let mut out = Vec::new();
        ciborium::into_writer(value, &mut out).unwrap();
        out
    }

    #[test]
    fn same_value_as_ciborium() {
        let limits = ScanLimits {
            max_depth: 8,
            max_items: 1000,
        };
        let values = [
            Value::Integer(0.into()),
            Value::Integer(u64::MAX.into()),
            Value::Integer(Integer::try_from(-1i128 - i128::from(u64::MAX)).unwrap()),
            Value::Integer((-24).into()),
            Value::Integer((-25).into()),
            Value::Bytes(alloc::vec![]),
            Value::Bytes(alloc::vec![7; 300]),
            Value::Text(String::from("payseal/1 ✓")),
            Value::Bool(true),
            Value::Bool(false),
            Value::Null,
            Value::Tag(
                18,
                Box::new(Value::Array(alloc::vec![
                    Value::Bytes(alloc::vec![0xa1, 1, 0x27]),
                    Value::Map(alloc::vec![]),
                    Value::Bytes(alloc::vec![1; 70_000]),
                    Value::Null,
                ])),
            ),
            Value::Map(alloc::vec![
                (Value::Integer(1.into()), Value::Integer((-19).into())),
                (
                    Value::Text(String::from("k")),
                    Value::Array(alloc::vec![Value::Map(alloc::vec![])])
                ),
                (Value::Integer((-65540).into()), Value::Integer(1.into())),
            ]),
        ];
        for value in values {
            let input = encoded(&value);
            assert!(scan(&input, limits).is_ok(), "{value:?}");
            assert_eq!(decode_scanned(&input).unwrap(), ciborium_value(&input));
            assert_eq!(decode_scanned(&input).unwrap(), value);
        }
    }

    #[test]
    fn truncated_or_trailing_input_fails_closed() {
        let input = encoded(&Value::Array(alloc::vec![Value::Bytes(alloc::vec![1; 40])]));
        for cut in 0..input.len() {
            assert!(decode_scanned(&input[..cut]).is_err());
        }
        let mut longer = input.clone();
        longer.push(0);
        assert!(decode_scanned(&longer).is_err());
    }
}
