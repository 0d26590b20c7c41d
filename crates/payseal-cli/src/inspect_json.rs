//! `payseal inspect --json`: the envelope's headers and encryption layer as one JSON object,
//! for scripts. Like the text view it needs no key and verifies nothing (`"verified": false`).

use payseal::{Algorithm, Limits, MacAlgorithm, UnverifiedEnvelope};
use serde_json::{Map, Value};

use crate::inspect::{Layer, MAX_INSPECT_BYTES, alg_name, read_layer};
use crate::json;
use crate::time::utc;

/// `bytes` as one line of JSON: structure, algorithm, kid (hex), seq, timestamp, and either
/// the payload (UTF-8 text or base64, `payload_encoding` says which) or the encryption layer
/// (`encryption`: structure, algorithm, ciphertext length, recipients' kids).
///
/// # Errors
/// The text to print when the input is not a payseal envelope (with its reason code).
pub fn inspect_json(bytes: &[u8]) -> Result<String, String> {
    if bytes.len() > MAX_INSPECT_BYTES {
        return Err(format!(
            "{} bytes is larger than the envelope limit ({MAX_INSPECT_BYTES})",
            bytes.len()
        ));
    }
    let envelope = UnverifiedEnvelope::decode(bytes, &Limits::DEFAULT)
        .map_err(|reason| format!("not a valid payseal envelope: {} ({reason})", reason.code()))?;
    let mut object = Map::new();
    object.insert("verified".into(), false.into());
    let structure = if envelope.is_mac() {
        "COSE_Mac0"
    } else {
        "COSE_Sign1"
    };
    object.insert("structure".into(), structure.into());
    object.insert("bytes".into(), bytes.len().into());
    let alg = match MacAlgorithm::from_cose_id(envelope.alg()) {
        Some(mac) if envelope.is_mac() => mac.to_string(),
        _ => Algorithm::from_cose_id(envelope.alg())
            .map_or("unsupported", |a| crate::keyfile::alg_label(a))
            .to_string(),
    };
    object.insert("alg".into(), alg.into());
    object.insert("alg_id".into(), envelope.alg().to_string().into());
    object.insert("kid".into(), hex::encode(envelope.kid()).into());
    object.insert("seq".into(), envelope.seq().into());
    object.insert("timestamp".into(), envelope.timestamp().into());
    object.insert("timestamp_utc".into(), utc(envelope.timestamp()).into());
    let payload = envelope.unverified_payload();
    match envelope.content_type() {
        None => {
            object.insert("encrypted".into(), false.into());
            json::put_bytes(&mut object, payload);
        }
        Some(tag) => {
            object.insert("encrypted".into(), true.into());
            object.insert("content_type".into(), tag.to_string().into());
            object.insert("encryption".into(), layer(payload));
        }
    }
    object.insert("stamp_bytes".into(), envelope.stamp_bytes().len().into());
    Ok(json::line(object))
}

fn layer(bytes: &[u8]) -> Value {
    let name = |alg: Option<i64>| alg.map_or(Value::Null, |id| alg_name(id).into());
    let mut object = Map::new();
    match read_layer(bytes) {
        Layer::Encrypt0 {
            alg,
            ciphertext_len,
            kid,
            has_ek,
        } => {
            object.insert("structure".into(), "COSE_Encrypt0".into());
            object.insert("alg".into(), name(alg));
            object.insert("ciphertext_bytes".into(), ciphertext_len.into());
            object.insert(
                "recipients".into(),
                vec![recipient(kid, None, Some(has_ek))].into(),
            );
        }
        Layer::Encrypt {
            alg,
            ciphertext_len,
            recipients,
        } => {
            object.insert("structure".into(), "COSE_Encrypt".into());
            object.insert("alg".into(), name(alg));
            object.insert("ciphertext_bytes".into(), ciphertext_len.into());
            let recipients: Vec<Value> = recipients
                .into_iter()
                .map(|(kid, id)| recipient(kid, Some(name(id)), None))
                .collect();
            object.insert("recipients".into(), recipients.into());
        }
        Layer::Unknown(why) => {
            object.insert("structure".into(), Value::Null);
            object.insert("error".into(), why.into());
        }
    }
    Value::Object(object)
}

fn recipient(kid: Option<Vec<u8>>, alg: Option<Value>, has_ek: Option<bool>) -> Value {
    let mut object = Map::new();
    object.insert(
        "kid".into(),
        kid.map_or(Value::Null, |k| hex::encode(k).into()),
    );
    if let Some(alg) = alg {
        object.insert("alg".into(), alg);
    }
    if let Some(has_ek) = has_ek {
        object.insert("encapsulated_key".into(), has_ek.into());
    }
    Value::Object(object)
}
