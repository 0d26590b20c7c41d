//! Envelopes rebuilt the way an attacker who holds a signing key would: the one home of the
//! "re-sign" (and MAC "re-stamp") helper used by the core's encryption tests, the conformance attack table and the
//! vector generator.

use ciborium::Value;
use payseal::{Kid, Limits, MacKey, SigningKey, UnverifiedEnvelope};

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
pub fn resign(original: &[u8], key: &SigningKey, topic: &str, payload: Option<&[u8]>) -> Vec<u8> {
    restamp(
        original,
        &key.kid(),
        None,
        topic,
        payload,
        Stamp::Signature1,
        |tbs| key.sign(tbs).to_bytes().to_vec(),
    )
}

/// Like [`resign`], for MAC envelopes (spec/mac.md): re-stamps `original` (signed or MAC) as a
/// COSE_Mac0 under `key`, with `key`'s kid and algorithm. What a holder of a MAC sender key, or
/// of the secret it was derived from, can produce.
///
/// ```
/// use payseal::{Counter, Kid, MacAlgorithm, MacSecret, ManualClock, Sealer};
/// let secret = MacSecret::from_bytes(&[7; 32])?;
/// let key = |name: &[u8]| secret.sender_key(Kid::new(name.to_vec()).unwrap(), MacAlgorithm::Hmac256_64);
/// let mut sealer = Sealer::new(key(b"a"), Counter::starting_at(1), ManualClock::new(1_700_000_000));
/// let original = sealer.seal("plant/3/temp", b"21.5")?;
/// let forged = payseal_testkit::envelope::remac(&original, &key(b"b"), "plant/3/temp", None);
/// assert_ne!(forged, original);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Panics
/// If `original` is not a well-formed envelope (this is test tooling).
pub fn remac(original: &[u8], key: &MacKey, topic: &str, payload: Option<&[u8]>) -> Vec<u8> {
    restamp(
        original,
        key.kid(),
        Some(key.algorithm().cose_id()),
        topic,
        payload,
        Stamp::Mac0,
        |tbs| key.tag(tbs),
    )
}

/// Which COSE structure a re-stamped envelope is.
#[derive(Clone, Copy)]
enum Stamp {
    Signature1,
    Mac0,
}

/// The one home of the header rewrite: kid (and, for MAC, alg) replaced, stamped by `stamp`
/// over the structure of `kind`.
#[allow(clippy::expect_used, clippy::panic)]
fn restamp(
    original: &[u8],
    kid: &Kid,
    alg: Option<i64>,
    topic: &str,
    payload: Option<&[u8]>,
    kind: Stamp,
    stamp: impl FnOnce(&[u8]) -> Vec<u8>,
) -> Vec<u8> {
    let env =
        UnverifiedEnvelope::decode(original, &Limits::DEFAULT).expect("a well-formed envelope");
    let Value::Map(mut header) =
        ciborium::from_reader::<Value, _>(env.protected_bytes()).expect("a CBOR protected header")
    else {
        panic!("the protected header is not a map")
    };
    for (label, value) in &mut header {
        if *label == Value::from(4) {
            *value = Value::Bytes(kid.as_bytes().to_vec());
        }
        if let (true, Some(alg)) = (*label == Value::from(1), alg) {
            *value = Value::from(alg);
        }
    }
    let protected = encode(&Value::Map(header));
    let payload = payload.unwrap_or_else(|| env.unverified_payload()).to_vec();
    let (context, tag) = match kind {
        Stamp::Signature1 => ("Signature1", 18),
        Stamp::Mac0 => ("MAC0", 17),
    };
    let to_be_stamped = encode(&Value::Array(vec![
        Value::Text(context.into()),
        Value::Bytes(protected.clone()),
        Value::Bytes(payseal::external_aad(topic)),
        Value::Bytes(payload.clone()),
    ]));
    encode(&Value::Tag(
        tag,
        Box::new(Value::Array(vec![
            Value::Bytes(protected),
            Value::Map(vec![]),
            Value::Bytes(payload),
            Value::Bytes(stamp(&to_be_stamped)),
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
