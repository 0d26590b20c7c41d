//! Envelopes rebuilt the way an attacker who holds a signing key would: the one home of the
//! "re-sign" helper used by the core's encryption tests, the conformance attack table and the
//! vector generator.

use ciborium::Value;
use payseal::{Limits, SigningKey, UnverifiedEnvelope};

/// Re-signs `original` with `key` for `topic`: the same protected header (sequence number,
/// timestamp, content type and any other parameter) except that the kid becomes `key`'s, and
/// `payload` in place of the original payload when given. This is what a broker holding a
/// stolen authorized key, or a dishonest authorized sender, can produce.
///
/// ```
/// use payseal::{Algorithm, Counter, ManualClock, Sealer, SigningKey};
/// let clock = ManualClock::new(1_700_000_000);
/// let mut sealer = Sealer::new(SigningKey::generate(Algorithm::Ed25519)?, Counter::starting_at(1), &clock);
/// let original = sealer.seal("plant/3/temp", b"21.5")?;
/// let thief = SigningKey::generate(Algorithm::Ed25519)?;
/// let forged = payseal_testkit::envelope::resign(&original, &thief, "plant/3/temp", Some(b"99.9"));
/// assert_ne!(forged, original);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Panics
/// If `original` is not a well-formed envelope (this is test tooling).
#[allow(clippy::expect_used, clippy::panic)]
pub fn resign(original: &[u8], key: &SigningKey, topic: &str, payload: Option<&[u8]>) -> Vec<u8> {
    let env =
        UnverifiedEnvelope::decode(original, &Limits::DEFAULT).expect("a well-formed envelope");
    let Value::Map(mut header) =
        ciborium::from_reader::<Value, _>(env.protected_bytes()).expect("a CBOR protected header")
    else {
        panic!("the protected header is not a map")
    };
    for (label, value) in &mut header {
        if *label == Value::from(4) {
            *value = Value::Bytes(key.kid().as_bytes().to_vec());
        }
    }
    let protected = encode(&Value::Map(header));
    let payload = payload.unwrap_or_else(|| env.unverified_payload()).to_vec();
    let to_be_signed = encode(&Value::Array(vec![
        Value::Text("Signature1".into()),
        Value::Bytes(protected.clone()),
        Value::Bytes(payseal::external_aad(topic)),
        Value::Bytes(payload.clone()),
    ]));
    let signature = key.sign(&to_be_signed).to_bytes().to_vec();
    encode(&Value::Tag(
        18,
        Box::new(Value::Array(vec![
            Value::Bytes(protected),
            Value::Map(vec![]),
            Value::Bytes(payload),
            Value::Bytes(signature),
        ])),
    ))
}

/// Deterministic CBOR of `value` (ciborium writes definite lengths, shortest forms).
#[allow(clippy::expect_used)]
fn encode(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    ciborium::into_writer(value, &mut out).expect("writing to a Vec cannot fail");
    out
}
