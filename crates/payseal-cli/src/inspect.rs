//! `payseal inspect`: an envelope for humans, without keys. Nothing shown here is verified;
//! the output says so.

use std::fmt::Write;

use ciborium::value::Value;
use payseal::{Algorithm, ContentAlg, HpkeSuite, Limits, MacAlgorithm, UnverifiedEnvelope};

use crate::diag;
use crate::time::utc;

/// Largest input `inspect` looks at: the default envelope limit.
pub const MAX_INSPECT_BYTES: usize = Limits::DEFAULT.max_envelope_bytes;

/// How many payload bytes the summary shows before eliding.
const SHOWN_PAYLOAD: usize = 64;

/// Describes `bytes` for humans: the decoded headers, the encryption layer (recipients and
/// algorithms) and the whole envelope in CBOR diagnostic notation.
///
/// # Errors
/// The text to print when the input is not a payseal envelope: with what could be decoded
/// (diagnostic notation, if it is CBOR at all) and why it is not one.
pub fn inspect(bytes: &[u8]) -> Result<String, String> {
    if bytes.len() > MAX_INSPECT_BYTES {
        return Err(format!(
            "{} bytes is larger than the envelope limit ({MAX_INSPECT_BYTES})",
            bytes.len()
        ));
    }
    let value = ciborium::de::from_reader::<Value, _>(bytes);
    let envelope = UnverifiedEnvelope::decode(bytes, &Limits::DEFAULT);
    match (envelope, value) {
        (Ok(envelope), Ok(value)) => Ok(describe(&envelope, bytes.len(), &value)),
        (Ok(_), Err(e)) => Err(format!("not CBOR ({e})")),
        (Err(reason), Ok(value)) => Err(format!(
            "not a valid payseal envelope: {} ({reason})\ndiagnostic notation:\n{}",
            reason.code(),
            diag::diag(&value)
        )),
        (Err(reason), Err(e)) => Err(format!(
            "not a payseal envelope, not even CBOR: {} ({reason}; {e})",
            reason.code()
        )),
    }
}

fn describe(envelope: &UnverifiedEnvelope, len: usize, value: &Value) -> String {
    let mut out = String::new();
    let structure = if envelope.is_mac() {
        "COSE_Mac0"
    } else {
        "COSE_Sign1"
    };
    let _ = writeln!(
        out,
        "payseal envelope ({structure}), {len} bytes; NOT VERIFIED: inspect checks no signature"
    );
    let alg = match MacAlgorithm::from_cose_id(envelope.alg()) {
        Some(mac) if envelope.is_mac() => mac.to_string(),
        _ => Algorithm::from_cose_id(envelope.alg())
            .map_or("unsupported", |a| crate::keyfile::alg_label(a))
            .to_string(),
    };
    let _ = writeln!(out, "  algorithm   {alg} ({})", envelope.alg());
    let _ = writeln!(out, "  sender kid  {}", hex::encode(envelope.kid()));
    let _ = writeln!(out, "  sequence    {}", envelope.seq());
    let _ = writeln!(
        out,
        "  timestamp   {} = {}",
        envelope.timestamp(),
        utc(envelope.timestamp())
    );
    let payload = envelope.unverified_payload();
    match envelope.content_type() {
        None => {
            let _ = writeln!(
                out,
                "  content     signed, not encrypted: {} bytes",
                payload.len()
            );
            let _ = writeln!(out, "  payload     {}", show_payload(payload));
        }
        Some(tag) => {
            let _ = writeln!(
                out,
                "  content     encrypted, content type {tag}: {} bytes",
                payload.len()
            );
            describe_encryption(payload, &mut out);
        }
    }
    let stamp = if envelope.is_mac() {
        "MAC tag "
    } else {
        "signature"
    };
    let _ = writeln!(out, "  {stamp}   {} bytes", envelope.stamp_bytes().len());
    let _ = writeln!(out, "diagnostic notation:\n{}", diag::diag(value));
    out
}

/// The encryption layer as read from the envelope (nothing verified, nothing decrypted).
pub(crate) enum Layer {
    /// COSE_Encrypt0 (tag 16): HPKE to one recipient, or a group key.
    Encrypt0 {
        /// The `alg` of the protected header.
        alg: Option<i64>,
        /// The ciphertext length.
        ciphertext_len: usize,
        /// The recipient's (or group key's) kid.
        kid: Option<Vec<u8>>,
        /// Whether an HPKE encapsulated key is present.
        has_ek: bool,
    },
    /// COSE_Encrypt (tag 96): a content key sealed to each recipient.
    Encrypt {
        /// The content encryption `alg`.
        alg: Option<i64>,
        /// The ciphertext length.
        ciphertext_len: usize,
        /// Each recipient's kid and algorithm.
        recipients: Vec<(Option<Vec<u8>>, Option<i64>)>,
    },
    /// Not a structure payseal reads; why.
    Unknown(String),
}

/// Reads the encryption layer: COSE_Encrypt0 (tag 16) or COSE_Encrypt (tag 96).
pub(crate) fn read_layer(layer: &[u8]) -> Layer {
    let Ok(Value::Tag(tag, inner)) = ciborium::de::from_reader::<Value, _>(layer) else {
        return Layer::Unknown("the encrypted layer is not a tagged COSE structure".into());
    };
    let Value::Array(parts) = *inner else {
        return Layer::Unknown("the encrypted layer is not an array".into());
    };
    let alg = parts.first().and_then(protected_alg);
    let ciphertext_len = match parts.get(2) {
        Some(Value::Bytes(c)) => c.len(),
        _ => 0,
    };
    match tag {
        16 => Layer::Encrypt0 {
            alg,
            ciphertext_len,
            kid: parts
                .get(1)
                .and_then(|u| map_bytes(u, 4))
                .map(<[u8]>::to_vec),
            has_ek: parts.get(1).and_then(|u| map_bytes(u, -4)).is_some(),
        },
        96 => {
            let recipients: &[Value] = match parts.get(3) {
                Some(Value::Array(r)) => r,
                _ => &[],
            };
            let recipients = recipients
                .iter()
                .filter_map(|r| {
                    let Value::Array(rp) = r else { return None };
                    let id = rp.first().and_then(protected_alg);
                    // payseal puts a recipient's kid in its protected header
                    // (spec/encryption.md); an unprotected one is shown too, for envelopes
                    // made elsewhere.
                    let kid = rp
                        .first()
                        .and_then(|p| protected_bytes(p, 4))
                        .or_else(|| rp.get(1).and_then(|u| map_bytes(u, 4)).map(<[u8]>::to_vec));
                    Some((kid, id))
                })
                .collect();
            Layer::Encrypt {
                alg,
                ciphertext_len,
                recipients,
            }
        }
        other => Layer::Unknown(format!("unknown encryption structure, tag {other}")),
    }
}

/// The encryption layer for humans.
fn describe_encryption(layer: &[u8], out: &mut String) {
    match read_layer(layer) {
        Layer::Encrypt0 {
            alg,
            ciphertext_len,
            kid,
            has_ek,
        } => {
            let what = match alg {
                Some(id) if HpkeSuite::from_integrated_id(id).is_some() => {
                    format!("HPKE, one recipient ({})", alg_name(id))
                }
                Some(id) => format!("group key ({})", alg_name(id)),
                None => "unknown algorithm".into(),
            };
            let _ = writeln!(
                out,
                "  encryption  COSE_Encrypt0, {what}, ciphertext {ciphertext_len} bytes"
            );
            let _ = writeln!(
                out,
                "  recipient   kid {}{}",
                kid.map_or_else(|| "(none)".into(), hex::encode),
                if has_ek {
                    ", with an encapsulated key"
                } else {
                    ""
                }
            );
        }
        Layer::Encrypt {
            alg,
            ciphertext_len,
            recipients,
        } => {
            let content = alg.map_or_else(|| "unknown".into(), alg_name);
            let _ = writeln!(
                out,
                "  encryption  COSE_Encrypt, content {content}, ciphertext {ciphertext_len} bytes, {} recipients",
                recipients.len()
            );
            for (kid, id) in recipients {
                let _ = writeln!(
                    out,
                    "  recipient   kid {}, {}",
                    kid.map_or_else(|| "(none)".into(), hex::encode),
                    id.map_or_else(|| "unknown algorithm".into(), alg_name)
                );
            }
        }
        Layer::Unknown(why) => {
            let _ = writeln!(out, "  ({why})");
        }
    }
}

/// The `alg` (label 1) of a protected header bstr.
fn protected_alg(protected: &Value) -> Option<i64> {
    let Value::Bytes(b) = protected else {
        return None;
    };
    let Ok(Value::Map(entries)) = ciborium::de::from_reader::<Value, _>(b.as_slice()) else {
        return None;
    };
    entries.iter().find_map(|(k, v)| match (k, v) {
        (Value::Integer(k), Value::Integer(v)) if i128::from(*k) == 1 => i64::try_from(*v).ok(),
        _ => None,
    })
}

/// A byte string value under integer `label` in a protected header bstr.
fn protected_bytes(protected: &Value, label: i64) -> Option<Vec<u8>> {
    let Value::Bytes(b) = protected else {
        return None;
    };
    let map = ciborium::de::from_reader::<Value, _>(b.as_slice()).ok()?;
    map_bytes(&map, label).map(<[u8]>::to_vec)
}

/// A byte string value under integer `label` in a map.
fn map_bytes(map: &Value, label: i64) -> Option<&[u8]> {
    let Value::Map(entries) = map else {
        return None;
    };
    entries.iter().find_map(|(k, v)| match (k, v) {
        (Value::Integer(k), Value::Bytes(b)) if i128::from(*k) == i128::from(label) => {
            Some(b.as_slice())
        }
        _ => None,
    })
}

pub(crate) fn alg_name(id: i64) -> String {
    if let Some(suite) = HpkeSuite::from_integrated_id(id) {
        return format!("{suite} ({id})");
    }
    if let Some(suite) = HpkeSuite::from_key_encryption_id(id) {
        return format!("{suite}-KE ({id})");
    }
    match ContentAlg::from_cose_id(id) {
        Some(ContentAlg::A128Gcm) => format!("A128GCM ({id})"),
        Some(ContentAlg::A256Gcm) => format!("A256GCM ({id})"),
        Some(ContentAlg::ChaCha20Poly1305) => format!("ChaCha20/Poly1305 ({id})"),
        _ => format!("alg {id}"),
    }
}

/// Text when it is printable UTF-8, else hex; long payloads are cut.
fn show_payload(payload: &[u8]) -> String {
    let shown = payload
        .get(..SHOWN_PAYLOAD.min(payload.len()))
        .unwrap_or(payload);
    let more = if payload.len() > shown.len() {
        format!(" ... ({} more bytes)", payload.len() - shown.len())
    } else {
        String::new()
    };
    match std::str::from_utf8(shown) {
        Ok(text) if !text.chars().any(char::is_control) => format!("{text:?}{more}"),
        _ => format!("h'{}'{more}", hex::encode(shown)),
    }
}
