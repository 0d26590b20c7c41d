//! Vectors for issue 16 items 3 and 5: the key commitment (spec/encryption.md §4.1) and the
//! per-message group key (§5). The equivocating layers are built here from the spec with
//! `hpke`, `hkdf` and `aes-gcm` directly, not with payseal's sealing code.

use ciborium::Value;
use hpke::{Deserializable, OpModeS, Serializable};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use sha2::{Digest, Sha256};

#[path = "../../payseal/tests/support/gcm_collision.rs"]
mod gcm_collision;

use crate::enc_cases::{
    PLAINTEXT, TOPIC, case, edit_layer, group_key, header, recipient_key, two_recipients,
};
use crate::enc_model::EncVector;
use crate::keys::key;
use payseal::{Audience, KemKind};

/// Private-use label of the key commitment.
const LABEL_COMMITMENT: i64 = -65537;
/// `salt` (RFC 9053).
const LABEL_SALT: i64 = -20;
/// What the two recipients of the equivocating envelope read.
const FIRST_READS: &[u8] = b"{\"valve\":\"open\"}";
const SECOND_READS: &[u8] = b"{\"valve\":\"shut\"}";

fn cbor(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    ciborium::into_writer(value, &mut out).expect("encodes");
    out
}

/// §4.1: HKDF-SHA256(salt = empty, IKM = key, info = ["payseal/1 key commitment", alg, iv]).
fn commitment(alg: i64, key: &[u8], iv: &[u8]) -> Vec<u8> {
    let info = cbor(&Value::Array(vec![
        Value::Text("payseal/1 key commitment".into()),
        Value::from(alg),
        Value::Bytes(iv.to_vec()),
    ]));
    let mut out = vec![0u8; 32];
    hkdf::Hkdf::<Sha256>::new(None, key)
        .expand(&info, &mut out)
        .expect("32 bytes");
    out
}

/// §1: `["payseal/1 encrypted", topic, sender kid, seq]` for ed25519-a, seq 7, TOPIC.
fn inner_aad() -> Vec<u8> {
    cbor(&Value::Array(vec![
        Value::Text("payseal/1 encrypted".into()),
        Value::Text(TOPIC.into()),
        Value::Bytes(key("ed25519-a").kid().as_bytes().to_vec()),
        Value::from(7),
    ]))
}

/// HPKE base-mode seal of a content key to a recipient (HPKE-3-KE or HPKE-0-KE entry).
fn recipient_entry(name: &str, cek: &[u8], rng: &mut ChaCha20Rng) -> Value {
    use hpke::aead::AesGcm128;
    use hpke::kdf::HkdfSha256;
    use hpke::kem::{DhP256HkdfSha256, X25519HkdfSha256};
    let public = recipient_key(name).public_key();
    let (suite_alg, kem) = match public.kem() {
        KemKind::X25519 => (49, KemKind::X25519),
        _ => (46, KemKind::P256),
    };
    let r_protected = header(&[
        (1, Value::from(suite_alg)),
        (4, Value::Bytes(public.kid().as_bytes().to_vec())),
    ]);
    let info = cbor(&Value::Array(vec![
        Value::Text("HPKE Recipient".into()),
        Value::from(1),
        Value::Bytes(r_protected.clone()),
        Value::Bytes(vec![]),
    ]));
    let pk = public.to_bytes();
    let (ek, sealed) =
        match kem {
            KemKind::X25519 => {
                let pk = <X25519HkdfSha256 as hpke::Kem>::PublicKey::from_bytes(&pk).expect("key");
                let (ek, ct) = hpke::single_shot_seal_with_rng::<
                    AesGcm128,
                    HkdfSha256,
                    X25519HkdfSha256,
                >(&OpModeS::Base, &pk, &info, cek, &[], rng)
                .expect("seals");
                (ek.to_bytes().to_vec(), ct)
            }
            _ => {
                let pk = <DhP256HkdfSha256 as hpke::Kem>::PublicKey::from_bytes(&pk).expect("key");
                let (ek, ct) = hpke::single_shot_seal_with_rng::<
                    AesGcm128,
                    HkdfSha256,
                    DhP256HkdfSha256,
                >(&OpModeS::Base, &pk, &info, cek, &[], rng)
                .expect("seals");
                (ek.to_bytes().to_vec(), ct)
            }
        };
    Value::Array(vec![
        Value::Bytes(r_protected),
        Value::Map(vec![(Value::from(-4), Value::Bytes(ek))]),
        Value::Bytes(sealed),
    ])
}

/// Whose content key the equivocating layer's commitment names.
#[derive(Clone, Copy)]
enum Commit {
    First,
    Neither,
}

const K_FIRST: [u8; 16] = [0x11; 16];
const K_SECOND: [u8; 16] = [0x22; 16];
const K_NEITHER: [u8; 16] = [0x33; 16];
const IV: [u8; 12] = [0x44; 12];

/// A COSE_Encrypt layer (A128GCM) whose x25519-me entry seals K_FIRST and whose p256-me entry
/// seals K_SECOND, with one ciphertext AES-GCM accepts under both keys: without the key
/// commitment, x25519-me would read FIRST_READS and p256-me SECOND_READS (each followed by
/// noise), under one signature.
fn equivocating_layer(commit: Commit) -> Vec<u8> {
    let committed = match commit {
        Commit::First => K_FIRST,
        Commit::Neither => K_NEITHER,
    };
    let protected = header(&[
        (1, Value::from(1)),
        (
            LABEL_COMMITMENT,
            Value::Bytes(commitment(1, &committed, &IV)),
        ),
    ]);
    let aad = enc_structure("Encrypt", &protected);
    let ciphertext =
        gcm_collision::collide(&K_FIRST, &K_SECOND, &IV, &aad, FIRST_READS, SECOND_READS);
    let seed: [u8; 32] = Sha256::digest(b"payseal equivocation").into();
    let mut rng = ChaCha20Rng::from_seed(seed);
    let entries = vec![
        recipient_entry("x25519-me", &K_FIRST, &mut rng),
        recipient_entry("p256-me", &K_SECOND, &mut rng),
    ];
    cbor(&Value::Tag(
        96,
        Box::new(Value::Array(vec![
            Value::Bytes(protected),
            Value::Map(vec![(Value::from(5), Value::Bytes(IV.to_vec()))]),
            Value::Bytes(ciphertext),
            Value::Array(entries),
        ])),
    ))
}

fn enc_structure(context: &str, protected: &[u8]) -> Vec<u8> {
    cbor(&Value::Array(vec![
        Value::Text(context.into()),
        Value::Bytes(protected.to_vec()),
        Value::Bytes(inner_aad()),
    ]))
}

/// What `key` reads from the equivocating layer's ciphertext (AES-GCM accepts it).
fn reading(key: &[u8; 16], commit: Commit) -> String {
    use aes_gcm::aead::{Aead, KeyInit, Payload};
    let layer: Value = ciborium::from_reader(equivocating_layer(commit).as_slice()).expect("CBOR");
    let Value::Tag(_, body) = layer else {
        panic!("tagged")
    };
    let Value::Array(items) = *body else {
        panic!("array")
    };
    let (Value::Bytes(protected), Value::Bytes(ciphertext)) = (&items[0], &items[2]) else {
        panic!("bstrs")
    };
    let aad = enc_structure("Encrypt", protected);
    let plaintext = aes_gcm::Aes128Gcm::new_from_slice(key)
        .expect("16 bytes")
        .decrypt(
            (&IV).into(),
            Payload {
                msg: ciphertext,
                aad: &aad,
            },
        )
        .expect("the collision opens under both keys");
    hex::encode(plaintext)
}

/// A group layer for ed25519-a, seq 7, TOPIC under group-a128 (§5), written from the spec:
/// `salt`, IV = nonce(`nonce_seq`), and a commitment to `committed` (the message key if None).
pub(crate) fn group_layer(nonce_seq: u64, salt: &[u8; 16], committed: Option<&[u8]>) -> Vec<u8> {
    use aes_gcm::aead::{Aead, KeyInit, Payload};
    let group = group_key("group-a128");
    let sender = key("ed25519-a").kid();
    let info = cbor(&Value::Array(vec![
        Value::Text("payseal/1 group key".into()),
        Value::Bytes(sender.as_bytes().to_vec()),
        Value::from(1),
    ]));
    let mut message_key = [0u8; 16];
    hkdf::Hkdf::<Sha256>::new(Some(salt), group.expose_secret())
        .expand(&info, &mut message_key)
        .expect("16 bytes");
    let mut nonce = [0u8; 12];
    nonce[4..].copy_from_slice(&nonce_seq.to_be_bytes());
    let committed = committed.unwrap_or(&message_key);
    let protected = header(&[
        (1, Value::from(1)),
        (
            LABEL_COMMITMENT,
            Value::Bytes(commitment(1, committed, &nonce)),
        ),
    ]);
    let aad = enc_structure("Encrypt0", &protected);
    let ciphertext = aes_gcm::Aes128Gcm::new_from_slice(&message_key)
        .expect("16-byte key")
        .encrypt(
            (&nonce).into(),
            Payload {
                msg: PLAINTEXT,
                aad: &aad,
            },
        )
        .expect("encrypts");
    cbor(&Value::Tag(
        16,
        Box::new(Value::Array(vec![
            Value::Bytes(protected),
            Value::Map(vec![
                (
                    Value::from(4),
                    Value::Bytes(group.kid().as_bytes().to_vec()),
                ),
                (Value::from(5), Value::Bytes(nonce.to_vec())),
                (Value::from(LABEL_SALT), Value::Bytes(salt.to_vec())),
            ]),
            Value::Bytes(ciphertext),
        ])),
    ))
}

/// The unprotected map of a COSE_Encrypt0 layer without `label`.
fn drop_label(items: &mut [Value], index: usize, label: i64) {
    match &mut items[index] {
        Value::Map(entries) => entries.retain(|(k, _)| *k != Value::from(label)),
        Value::Bytes(protected) => {
            let Value::Map(mut entries) =
                ciborium::from_reader::<Value, _>(protected.as_slice()).expect("CBOR")
            else {
                panic!("a map")
            };
            entries.retain(|(k, _)| *k != Value::from(label));
            *protected = cbor(&Value::Map(entries));
        }
        _ => panic!("a header"),
    }
}

pub(crate) fn all() -> Vec<EncVector> {
    const SALT: [u8; 16] = [0x5a; 16];
    vec![
        // ---- item 3: one signature, one plaintext (key commitment, §4.1) ----
        case("enc-equivocation-commit-neither-x25519-me", "equivocating sender: x25519-me's entry seals one content key, p256-me's another, and one AES-GCM ciphertext opens under both (to different plaintexts); the signed commitment names a third key. Receiver holding x25519-me only: the AEAD opens, the commitment does not match", "key_commitment_mismatch")
            .audience("hpke-key-encryption", two_recipients())
            .recipient_keys(&["x25519-me"])
            .resigned("ed25519-a", None, |inner| *inner = equivocating_layer(Commit::Neither)),
        case("enc-equivocation-commit-neither-p256-me", "the same envelope as enc-equivocation-commit-neither-x25519-me, for the receiver holding p256-me only", "key_commitment_mismatch")
            .audience("hpke-key-encryption", two_recipients())
            .recipient_keys(&["p256-me"])
            .resigned("ed25519-a", None, |inner| *inner = equivocating_layer(Commit::Neither)),
        case("enc-equivocation-commit-first-x25519-me", "equivocating envelope whose commitment names x25519-me's content key: that receiver accepts what its key reads (the plaintext here)", "valid")
            .audience("hpke-key-encryption", two_recipients())
            .recipient_keys(&["x25519-me"])
            .decrypted_with("x25519-me")
            .plaintext_hex(reading(&K_FIRST, Commit::First))
            .resigned("ed25519-a", None, |inner| *inner = equivocating_layer(Commit::First)),
        case("enc-equivocation-commit-first-p256-me", "the same envelope as enc-equivocation-commit-first-x25519-me, for the receiver holding p256-me only: its key opens the ciphertext (to other bytes) but is not the committed one", "key_commitment_mismatch")
            .audience("hpke-key-encryption", two_recipients())
            .recipient_keys(&["p256-me"])
            .resigned("ed25519-a", None, |inner| *inner = equivocating_layer(Commit::First)),
        case("enc-commitment-missing", "multi-recipient layer without the key commitment (label -65537) in its protected header, re-signed", "invalid_header")
            .audience("hpke-key-encryption", two_recipients())
            .resigned("ed25519-a", None, |inner| edit_layer(inner, |items| drop_label(items, 0, LABEL_COMMITMENT))),
        // ---- item 5: per-message group keys (§5) ----
        case("enc-valid-group-spec", "group layer written from spec/encryption.md §5 (salt 5a..5a, IV nonce(7), commitment to the message key)", "valid")
            .audience("group", Audience::group(group_key("group-a128")))
            .decrypted_with("group-a128")
            .resigned("ed25519-a", None, |inner| *inner = group_layer(7, &SALT, None)),
        case("enc-group-salt-tampered", "group layer with one bit of its salt flipped, re-signed by the sender: another message key, the AEAD fails", "decrypt_failed")
            .audience("group", Audience::group(group_key("group-a128")))
            .resigned("ed25519-a", None, |inner| {
                let mut salt = SALT;
                salt[0] ^= 1;
                let good = group_layer(7, &SALT, None);
                let at = good.windows(16).position(|w| w == SALT).expect("salt");
                *inner = good;
                inner[at..at + 16].copy_from_slice(&salt);
            }),
        case("enc-group-salt-missing", "group layer without its salt (-20), as group layers were before the per-message key, re-signed", "invalid_header")
            .audience("group", Audience::group(group_key("group-a128")))
            .resigned("ed25519-a", None, |inner| edit_layer(inner, |items| drop_label(items, 1, LABEL_SALT))),
        case("enc-group-salt-short", "group layer with a 12-byte salt, re-signed", "invalid_header")
            .audience("group", Audience::group(group_key("group-a128")))
            .resigned("ed25519-a", None, |inner| edit_layer(inner, |items| {
                if let Value::Map(entries) = &mut items[1] {
                    for (k, v) in entries.iter_mut() {
                        if *k == Value::from(LABEL_SALT) {
                            *v = Value::Bytes(vec![0x5a; 12]);
                        }
                    }
                }
            })),
        case("enc-group-commitment-wrong", "group layer that decrypts (AEAD valid) but commits to another key, re-signed", "key_commitment_mismatch")
            .audience("group", Audience::group(group_key("group-a128")))
            .resigned("ed25519-a", None, |inner| *inner = group_layer(7, &SALT, Some(&[0u8; 16]))),
        case("enc-group-iv-mismatch", "group message encrypted (correctly, and with the right associated data) under nonce(6) with IV header nonce(6), but outer seq 7: only the IV == nonce(seq) rule refuses it", "decrypt_failed")
            .audience("group", Audience::group(group_key("group-a128")))
            .resigned("ed25519-a", None, |inner| *inner = group_layer(6, &SALT, None)),
    ]
}
