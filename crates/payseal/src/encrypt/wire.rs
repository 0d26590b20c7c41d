//! The encrypted layer on the wire (spec/encryption.md §3-5): the structures that are
//! authenticated as associated data, and the COSE_Encrypt0 / COSE_Encrypt messages themselves.

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use ciborium::Value;

/// CBOR tag of COSE_Encrypt0, and the CoAP content format the outer `content type` uses.
pub(crate) const COSE_ENCRYPT0: u64 = 16;
/// CBOR tag of COSE_Encrypt, and its CoAP content format.
pub(crate) const COSE_ENCRYPT: u64 = 96;

pub(crate) const LABEL_ALG: i64 = 1;
pub(crate) const LABEL_KID: i64 = 4;
pub(crate) const LABEL_IV: i64 = 5;
/// `ek`, the HPKE encapsulated key (COSE-HPKE).
pub(crate) const LABEL_EK: i64 = -4;
/// `salt` (RFC 9053 §5.1): the random HKDF salt of a group message's key.
pub(crate) const LABEL_SALT: i64 = -20;

/// Context string binding the encrypted layer to its envelope.
pub(crate) const INNER_AAD_LABEL: &str = "payseal/1 encrypted";

pub(crate) fn to_vec(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    // Writing to a Vec cannot fail.
    let _ = ciborium::into_writer(value, &mut out);
    out
}

/// The encrypted layer's `external_aad`: CBOR `["payseal/1 encrypted", topic, sender kid,
/// seq]`. It ties the ciphertext to the topic, to the sender who signed it and to that
/// message, so the ciphertext cannot be re-signed by another sender or moved (spec §3).
pub(crate) fn inner_aad(topic: &str, sender: &[u8], seq: u64) -> Vec<u8> {
    to_vec(&Value::Array(vec![
        Value::Text(String::from(INNER_AAD_LABEL)),
        Value::Text(String::from(topic)),
        Value::Bytes(sender.to_vec()),
        Value::from(seq),
    ]))
}

/// RFC 9052 §5.3 `Enc_structure`: `[context, protected, external_aad]`.
pub(crate) fn enc_structure(context: &str, protected: &[u8], external_aad: &[u8]) -> Vec<u8> {
    to_vec(&Value::Array(vec![
        Value::Text(String::from(context)),
        Value::Bytes(protected.to_vec()),
        Value::Bytes(external_aad.to_vec()),
    ]))
}

/// COSE-HPKE key encryption `info`: `["HPKE Recipient", content alg, recipient protected,
/// recipient_extra_info]`, with an empty `recipient_extra_info`.
pub(crate) fn recipient_info(content_alg: i64, recipient_protected: &[u8]) -> Vec<u8> {
    to_vec(&Value::Array(vec![
        Value::Text(String::from("HPKE Recipient")),
        Value::from(content_alg),
        Value::Bytes(recipient_protected.to_vec()),
        Value::Bytes(Vec::new()),
    ]))
}

/// An encoded header map from integer labels, in the order given (callers give sorted labels).
pub(crate) fn header(entries: Vec<(i64, Value)>) -> Vec<u8> {
    to_vec(&map(entries))
}

pub(crate) fn map(entries: Vec<(i64, Value)>) -> Value {
    Value::Map(
        entries
            .into_iter()
            .map(|(k, v)| (Value::from(k), v))
            .collect(),
    )
}

/// `16([protected, unprotected, ciphertext])`.
pub(crate) fn encrypt0(protected: Vec<u8>, unprotected: Value, ciphertext: Vec<u8>) -> Vec<u8> {
    to_vec(&Value::Tag(
        COSE_ENCRYPT0,
        Box::new(Value::Array(vec![
            Value::Bytes(protected),
            unprotected,
            Value::Bytes(ciphertext),
        ])),
    ))
}

/// `96([protected, unprotected, ciphertext, recipients])`.
pub(crate) fn encrypt(
    protected: Vec<u8>,
    unprotected: Value,
    ciphertext: Vec<u8>,
    recipients: Vec<Value>,
) -> Vec<u8> {
    to_vec(&Value::Tag(
        COSE_ENCRYPT,
        Box::new(Value::Array(vec![
            Value::Bytes(protected),
            unprotected,
            Value::Bytes(ciphertext),
            Value::Array(recipients),
        ])),
    ))
}
