//! What both benches need: the bytes an envelope signs, rebuilt with a general CBOR encoder
//! (so the bare primitive is timed on exactly what payseal signs).

use payseal::{Signature, UnverifiedEnvelope};

/// A signed envelope's `Sig_structure` for `topic`, and its signature.
pub(crate) fn signed_bytes(envelope: &[u8], topic: &str) -> (Vec<u8>, Signature) {
    let env = UnverifiedEnvelope::decode(envelope, &payseal::Limits::DEFAULT).unwrap();
    let mut tbs = Vec::new();
    ciborium::into_writer(
        &ciborium::Value::Array(vec![
            ciborium::Value::Text("Signature1".into()),
            ciborium::Value::Bytes(env.protected_bytes().to_vec()),
            ciborium::Value::Bytes(payseal::external_aad(topic)),
            ciborium::Value::Bytes(env.unverified_payload().to_vec()),
        ]),
        &mut tbs,
    )
    .unwrap();
    (tbs, *env.signature().unwrap())
}
