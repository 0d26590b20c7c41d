//! Issue 16, item 3: one signature must not carry different plaintexts for different
//! recipients. A trusted sender crafts a multi-recipient envelope whose recipients unwrap
//! different content keys, and a ciphertext that AES-GCM accepts under both keys.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

#[path = "support/gcm_collision.rs"]
mod gcm_collision;

use ciborium::Value;
use hpke::aead::AesGcm128;
use hpke::kdf::HkdfSha256;
use hpke::kem::X25519HkdfSha256;
use hpke::{Deserializable, OpModeS, Serializable};
use payseal::{
    Algorithm, Audience, Counter, KemKind, Keyring, ManualClock, Opener, Policy, Recipient,
    RecipientKey, RecipientPublicKey, Rejection, Sealer, SigningKey, TrustStore,
};
use payseal_testkit::envelope::resign;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

const NOW: u64 = 1_700_000_000;
const TOPIC: &str = "plant/3/valve";
/// The private-use header label of the key commitment (spec/encryption.md §4).
const LABEL_COMMITMENT: i64 = -65537;

fn cbor(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    ciborium::into_writer(value, &mut out).unwrap();
    out
}

fn map(entries: Vec<(i64, Value)>) -> Value {
    Value::Map(
        entries
            .into_iter()
            .map(|(k, v)| (Value::from(k), v))
            .collect(),
    )
}

fn signer() -> SigningKey {
    SigningKey::from_secret_bytes(Algorithm::Ed25519, &[1; 32]).unwrap()
}

fn opener(mine: RecipientKey) -> Opener<payseal::MemoryReplayStore, ManualClock> {
    let mut trust = TrustStore::new();
    trust
        .add_sender(signer().verifying_key(), ["plant/#"])
        .unwrap();
    let mut keyring = Keyring::new();
    keyring.add_recipient_key(mine).unwrap();
    Opener::new(trust, Policy::default(), ManualClock::new(NOW)).with_keyring(keyring)
}

/// The key commitment of spec/encryption.md §4, written from the spec with `hkdf`.
fn commitment(cek: &[u8; 16], iv: &[u8; 12]) -> Vec<u8> {
    let info = cbor(&Value::Array(vec![
        Value::Text("payseal/1 key commitment".into()),
        Value::from(1),
        Value::Bytes(iv.to_vec()),
    ]));
    let mut out = vec![0u8; 32];
    hkdf::Hkdf::<sha2::Sha256>::new(None, cek)
        .expand(&info, &mut out)
        .unwrap();
    out
}

/// How the equivocating sender fills in the commitment.
#[derive(Clone, Copy, Debug)]
enum Commit {
    /// No commitment at all (the format before the fix).
    Omitted,
    /// To the first recipient's key, or the second's, or a third one.
    ToFirst,
    ToSecond,
    ToNeither,
}

/// A COSE_Encrypt layer (A128GCM content, HPKE-3-KE entries) in which `first` unwraps `k1`
/// and reads "cmd=OPEN_VALVE", and `second` unwraps `k2` and reads "cmd=SHUT_VALVE".
fn equivocating_layer(
    first: &RecipientPublicKey,
    second: &RecipientPublicKey,
    seq: u64,
    commit: Commit,
) -> Vec<u8> {
    let (k1, k2, k3) = ([0x11u8; 16], [0x22u8; 16], [0x33u8; 16]);
    let iv = [0x44u8; 12];
    let mut protected = vec![(1, Value::from(1))];
    match commit {
        Commit::Omitted => {}
        Commit::ToFirst => protected.push((LABEL_COMMITMENT, Value::Bytes(commitment(&k1, &iv)))),
        Commit::ToSecond => protected.push((LABEL_COMMITMENT, Value::Bytes(commitment(&k2, &iv)))),
        Commit::ToNeither => {
            protected.push((LABEL_COMMITMENT, Value::Bytes(commitment(&k3, &iv))));
        }
    }
    let protected = cbor(&map(protected));
    let inner_aad = cbor(&Value::Array(vec![
        Value::Text("payseal/1 encrypted".into()),
        Value::Text(TOPIC.into()),
        Value::Bytes(signer().kid().as_bytes().to_vec()),
        Value::from(seq),
    ]));
    let aad = cbor(&Value::Array(vec![
        Value::Text("Encrypt".into()),
        Value::Bytes(protected.clone()),
        Value::Bytes(inner_aad),
    ]));
    let ciphertext =
        gcm_collision::collide(&k1, &k2, &iv, &aad, b"cmd=OPEN_VALVE", b"cmd=SHUT_VALVE");
    let mut rng = ChaCha20Rng::from_seed([5; 32]);
    let entries = [(first, k1), (second, k2)]
        .into_iter()
        .map(|(pk, cek)| {
            let r_protected = cbor(&map(vec![
                (1, Value::from(49)),
                (4, Value::Bytes(pk.kid().as_bytes().to_vec())),
            ]));
            let info = cbor(&Value::Array(vec![
                Value::Text("HPKE Recipient".into()),
                Value::from(1),
                Value::Bytes(r_protected.clone()),
                Value::Bytes(vec![]),
            ]));
            let pk =
                <X25519HkdfSha256 as hpke::Kem>::PublicKey::from_bytes(&pk.to_bytes()).unwrap();
            let (ek, sealed) = hpke::single_shot_seal_with_rng::<
                AesGcm128,
                HkdfSha256,
                X25519HkdfSha256,
            >(&OpModeS::Base, &pk, &info, &cek, &[], &mut rng)
            .unwrap();
            Value::Array(vec![
                Value::Bytes(r_protected),
                map(vec![(-4, Value::Bytes(ek.to_bytes().to_vec()))]),
                Value::Bytes(sealed),
            ])
        })
        .collect();
    cbor(&Value::Tag(
        96,
        Box::new(Value::Array(vec![
            Value::Bytes(protected),
            map(vec![(5, Value::Bytes(iv.to_vec()))]),
            Value::Bytes(ciphertext),
            Value::Array(entries),
        ])),
    ))
}

#[test]
fn one_signature_cannot_carry_different_plaintexts_per_recipient() {
    let first = RecipientKey::from_secret_bytes(KemKind::X25519, &[21; 32]).unwrap();
    let second = RecipientKey::from_secret_bytes(KemKind::X25519, &[22; 32]).unwrap();
    let audience = Audience::recipients([
        Recipient::new(first.public_key()),
        Recipient::new(second.public_key()),
    ])
    .unwrap();
    // An honest envelope gives the outer header (seq 1) the sender signs again.
    let honest = Sealer::new(signer(), Counter::starting_at(1), ManualClock::new(NOW))
        .with_audience("plant/#", audience)
        .unwrap()
        .seal(TOPIC, b"cmd=OPEN_VALVE")
        .unwrap();
    for commit in [
        Commit::Omitted,
        Commit::ToFirst,
        Commit::ToSecond,
        Commit::ToNeither,
    ] {
        let layer = equivocating_layer(&first.public_key(), &second.public_key(), 1, commit);
        let envelope = resign(&honest, &signer(), TOPIC, Some(&layer));
        let outcomes = [&first, &second].map(|key| {
            opener(key.clone())
                .open(TOPIC, &envelope)
                .map(|v| v.payload().to_vec())
        });
        let accepted: Vec<&Vec<u8>> = outcomes.iter().filter_map(|o| o.as_ref().ok()).collect();
        // Every recipient that accepts reads the same bytes.
        assert!(
            accepted.windows(2).all(|w| w[0] == w[1]),
            "{commit:?}: one signature, different plaintexts: {outcomes:?}"
        );
        // By reason code (None: accepted), so that this test also ran on the code before the
        // fix, where both recipients accepted the `Omitted` envelope.
        let expected: [Option<&str>; 2] = match commit {
            Commit::Omitted => [Some("invalid_header"), Some("invalid_header")],
            Commit::ToFirst => [None, Some("key_commitment_mismatch")],
            Commit::ToSecond => [Some("key_commitment_mismatch"), None],
            Commit::ToNeither => [
                Some("key_commitment_mismatch"),
                Some("key_commitment_mismatch"),
            ],
        };
        for (outcome, expected) in outcomes.iter().zip(expected) {
            let got = outcome.as_ref().err().map(Rejection::code);
            assert_eq!(got, expected, "{commit:?}: {outcome:?}");
            assert!(outcome.as_ref().err().is_none_or(Rejection::is_alarm));
        }
    }
}
