//! `sub --json`: one JSON object per line on stdout, for `jq` and log shippers. Each has a
//! `type`: `message` (verified: topic, sender name and kid, seq, timestamp, how it was
//! protected, the payload as UTF-8 text or base64 as `payload_encoding` says), `rejected`
//! (topic, stable `reason` code, `detail`) or `duplicate` (topic, seq).

use payseal::{EncryptionMode, Rejection};
use payseal_rumqttc::Message;
use serde_json::{Map, Value};

use crate::json;

/// A verified message from the sender called `sender` in the trust file.
pub(crate) fn message(message: &Message, sender: &str) -> String {
    let v = &message.verified;
    let mut object = Map::new();
    object.insert("type".into(), "message".into());
    object.insert("topic".into(), v.topic().into());
    object.insert("sender".into(), sender.into());
    object.insert("kid".into(), v.sender().to_string().into());
    object.insert("seq".into(), v.seq().into());
    object.insert("timestamp".into(), v.timestamp().into());
    object.insert(
        "mac".into(),
        v.mac_algorithm()
            .map_or(Value::Null, |alg| alg.to_string().into()),
    );
    let (mode, detail) = match v.encryption().map(payseal::Encryption::mode) {
        None => ("none", String::new()),
        Some(EncryptionMode::Hpke(suite)) => ("hpke", format!("{suite:?}")),
        Some(EncryptionMode::HpkeKeyEncryption { suite, content }) => {
            ("hpke_key_encryption", format!("{suite:?} {content:?}"))
        }
        Some(EncryptionMode::Group(content)) => ("group", format!("{content:?}")),
        Some(other) => ("other", format!("{other:?}")),
    };
    object.insert("encryption".into(), mode.into());
    if let Some(encryption) = v.encryption() {
        object.insert("encryption_alg".into(), detail.into());
        object.insert("encryption_key".into(), encryption.key().to_string().into());
    }
    object.insert("qos".into(), (message.qos as u8).into());
    object.insert("retain".into(), message.retain.into());
    json::put_bytes(&mut object, v.payload());
    json::line(object)
}

/// A refused message.
pub(crate) fn rejected(topic: &str, reason: &Rejection) -> String {
    let mut object = Map::new();
    object.insert("type".into(), "rejected".into());
    object.insert("topic".into(), topic.into());
    object.insert("reason".into(), reason.code().into());
    object.insert("detail".into(), reason.to_string().into());
    object.insert("alarm".into(), reason.is_alarm().into());
    json::line(object)
}

/// A repeat of a message already delivered.
pub(crate) fn duplicate(topic: &str, seq: u64) -> String {
    let mut object = Map::new();
    object.insert("type".into(), "duplicate".into());
    object.insert("topic".into(), topic.into());
    object.insert("seq".into(), seq.into());
    json::line(object)
}
