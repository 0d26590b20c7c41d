//! CBOR diagnostic notation (RFC 8949 §8, with RFC 8610 Appendix G's `<<...>>` for byte
//! strings that hold a CBOR map, as COSE protected headers do).

use std::fmt::Write;

use ciborium::value::Value;

/// Byte strings longer than this are not tried as embedded CBOR.
const MAX_EMBEDDED: usize = 1024;

/// `value` in diagnostic notation, on one line.
pub(crate) fn diag(value: &Value) -> String {
    let mut out = String::new();
    write_value(value, &mut out);
    out
}

fn write_value(value: &Value, out: &mut String) {
    match value {
        Value::Integer(i) => {
            let _ = write!(out, "{}", i128::from(*i));
        }
        Value::Bytes(b) => write_bytes(b, out),
        Value::Float(f) => {
            let _ = write!(out, "{f:?}");
        }
        Value::Text(t) => {
            let _ = write!(out, "{t:?}");
        }
        Value::Bool(b) => {
            let _ = write!(out, "{b}");
        }
        Value::Null => out.push_str("null"),
        Value::Tag(tag, inner) => {
            let _ = write!(out, "{tag}(");
            write_value(inner, out);
            out.push(')');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_value(item, out);
            }
            out.push(']');
        }
        Value::Map(entries) => {
            out.push('{');
            for (i, (k, v)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_value(k, out);
                out.push_str(": ");
                write_value(v, out);
            }
            out.push('}');
        }
        // Undefined and other simple values.
        _ => out.push_str("undefined"),
    }
}

fn write_bytes(b: &[u8], out: &mut String) {
    let looks_like_map = b.first().is_some_and(|first| (0xa0..=0xbf).contains(first));
    if looks_like_map
        && b.len() <= MAX_EMBEDDED
        && let Ok(inner @ Value::Map(_)) = ciborium::de::from_reader::<Value, _>(b)
    {
        // Only when it re-encodes to the same bytes, so the notation stays exact.
        let mut again = Vec::new();
        if ciborium::ser::into_writer(&inner, &mut again).is_ok() && again == b {
            out.push_str("<<");
            write_value(&inner, out);
            out.push_str(">>");
            return;
        }
    }
    out.push_str("h'");
    out.push_str(&hex::encode(b));
    out.push('\'');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notation_of_each_kind() {
        let v = Value::Tag(
            18,
            Box::new(Value::Array(vec![
                Value::Bytes(vec![0xa1, 0x01, 0x26]),
                Value::Map(vec![(
                    Value::Integer((-4).into()),
                    Value::Text("a\"b".into()),
                )]),
                Value::Bytes(vec![0xa1, 0x01]), // truncated map: stays hex
                Value::Null,
                Value::Bool(true),
            ])),
        );
        assert_eq!(
            diag(&v),
            r#"18([<<{1: -7}>>, {-4: "a\"b"}, h'a101', null, true])"#
        );
    }
}
