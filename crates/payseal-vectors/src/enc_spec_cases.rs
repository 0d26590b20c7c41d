//! Vectors for issue 17 (spec precision): header order in the encrypted layer, a malformed
//! `ek`, a wrong (well-formed) tag on the encrypted layer, and the order of the COSE_Encrypt0
//! header checks, pinned by layers that break two rules at once (spec/encryption.md §3, §6).

use ciborium::Value;
use payseal::{ContentAlg, HpkeSuite};

use crate::enc_cases::{case, edit_layer, header, hpke};
use crate::enc_model::EncVector;

/// Replaces the `ek` (label -4) of a COSE_Encrypt0 layer's unprotected map.
fn set_ek(items: &mut [Value], edit: impl FnOnce(&[u8]) -> Vec<u8>) {
    let Some(Value::Map(entries)) = items.get_mut(1) else {
        panic!("no unprotected map")
    };
    let Some((_, Value::Bytes(ek))) = entries.iter_mut().find(|(k, _)| *k == Value::from(-4))
    else {
        panic!("no ek")
    };
    *ek = edit(ek);
}

/// SEC1 compressed form (33 bytes) of an uncompressed P-256 point (65 bytes).
fn compressed(ek: &[u8]) -> Vec<u8> {
    assert_eq!(ek.len(), 65, "uncompressed P-256 point");
    let parity = ek[64] & 1;
    [&[0x02 | parity][..], &ek[1..33]].concat()
}

/// Re-tags the encrypted layer (the content type stays as sealed).
fn retag(inner: &mut Vec<u8>, tag: u64) {
    let Value::Tag(_, body) = ciborium::from_reader::<Value, _>(inner.as_slice()).expect("CBOR")
    else {
        panic!("not tagged")
    };
    inner.clear();
    ciborium::into_writer(&Value::Tag(tag, body), &mut *inner).expect("encodes");
}

/// Adds `(label, value)` to a COSE_Encrypt0 layer's unprotected map.
fn add_unprotected(items: &mut [Value], label: Value, value: Value) {
    let Some(Value::Map(entries)) = items.get_mut(1) else {
        panic!("no unprotected map")
    };
    entries.push((label, value));
}

pub(crate) fn all() -> Vec<EncVector> {
    use HpkeSuite::*;
    let x25519 = || hpke(&[("x25519-me", X25519Aes128Gcm)], ContentAlg::A128Gcm);
    vec![
        // §3: receivers do not check the order of the unprotected labels.
        case("enc-valid-unprotected-ek-before-kid", "single-recipient layer whose unprotected map is {-4: ek, 4: kid} (ek first): map order is not checked, re-signed", "valid")
            .audience("hpke", x25519())
            .decrypted_with("x25519-me")
            .resigned("ed25519-a", None, |inner| edit_layer(inner, |items| {
                if let Some(Value::Map(entries)) = items.get_mut(1) {
                    entries.reverse();
                }
            })),
        // §3, §6 step 9: an ek of the wrong length or form fails HPKE open.
        case("enc-ek-truncated", "single X25519 recipient whose ek is cut to 31 bytes, re-signed", "decrypt_failed")
            .audience("hpke", x25519())
            .resigned("ed25519-a", None, |inner| edit_layer(inner, |items| {
                set_ek(items, |ek| ek[..31].to_vec())
            })),
        case("enc-ek-compressed-p256", "single P-256 recipient (HPKE-0) whose ek is the SEC1 compressed form (33 bytes) of the sealed point: only the 65-byte uncompressed form is accepted, re-signed", "decrypt_failed")
            .audience("hpke", hpke(&[("p256-me", P256Aes128Gcm)], ContentAlg::A128Gcm))
            .resigned("ed25519-a", None, |inner| edit_layer(inner, |items| set_ek(items, compressed))),
        // §6 steps 1-2: a well-formed tag other than the content type is invalid_structure.
        case("enc-wrong-inner-tag-17", "content type 16, but the encrypted layer is tagged 17 (COSE_Mac0) around a valid COSE_Encrypt0 array, re-signed", "invalid_structure")
            .audience("hpke", x25519())
            .resigned("ed25519-a", None, |inner| retag(inner, 17)),
        case("enc-wrong-inner-tag-96", "content type 16, but the single-recipient layer is tagged 96 (COSE_Encrypt): the tag is compared with the content type before the shape, re-signed", "invalid_structure")
            .audience("hpke", x25519())
            .resigned("ed25519-a", None, |inner| retag(inner, 96)),
        case("enc-wrong-inner-tag-18", "content type 16, but the encrypted layer is tagged 18 (COSE_Sign1): not wrong_tag, which is for the envelope only, re-signed", "invalid_structure")
            .audience("hpke", x25519())
            .resigned("ed25519-a", None, |inner| retag(inner, 18)),
        case("enc-untagged-layer", "content type 16, but the encrypted layer is a bare COSE_Encrypt0 array without its tag: invalid_structure (not_an_envelope is for the envelope only), re-signed", "invalid_structure")
            .audience("hpke", x25519())
            .resigned("ed25519-a", None, |inner| {
                assert_eq!(inner.remove(0), 0xd0, "tag 16 in one byte");
            }),
        // §6 step 5, COSE_Encrypt0 (5.1-5.6): labels are integers in both maps, then the alg
        // decides the kind, then the kind's exact labels. Each layer breaks two rules.
        case("enc0-order-alg-before-labels", "single-recipient layer whose protected header is {1: 99, 4: h'01'}: an unsupported alg and a label Encrypt0 does not allow; the alg decides the kind before the labels are compared (step 5.4 before 5.5), re-signed", "unsupported_algorithm")
            .audience("hpke", x25519())
            .resigned("ed25519-a", None, |inner| edit_layer(inner, |items| {
                items[0] = Value::Bytes(header(&[(1, Value::from(99)), (4, Value::Bytes(vec![1]))]));
            })),
        case("enc0-order-text-label-before-alg", "single-recipient layer with protected {1: 99} (unsupported) and a text label \"x\" added to its unprotected map: every label of both maps must be an integer before the alg is judged (step 5.2 before 5.4), re-signed", "invalid_header")
            .audience("hpke", x25519())
            .resigned("ed25519-a", None, |inner| edit_layer(inner, |items| {
                items[0] = Value::Bytes(header(&[(1, Value::from(99))]));
                add_unprotected(items, Value::Text("x".into()), Value::from(1));
            })),
        case("enc0-order-hpke-alg-group-labels", "single-recipient layer (alg 41, HPKE-3) whose unprotected map also holds a group IV (5) and salt (-20): the alg chose HPKE integrated, whose labels are exactly 4 and -4 (step 5.5), not a group layer and not decrypt_failed, re-signed", "invalid_header")
            .audience("hpke", x25519())
            .resigned("ed25519-a", None, |inner| edit_layer(inner, |items| {
                add_unprotected(items, Value::from(5), Value::Bytes(vec![0; 12]));
                add_unprotected(items, Value::from(-20), Value::Bytes(vec![0; 16]));
            })),
        case("enc0-order-chacha-is-not-a-group-alg", "single-recipient layer whose protected alg is 24 (ChaCha20/Poly1305, a content alg but not a group alg) with the HPKE labels: neither kind, so unsupported_algorithm before any label check (step 5.4), re-signed", "unsupported_algorithm")
            .audience("hpke", x25519())
            .resigned("ed25519-a", None, |inner| edit_layer(inner, |items| {
                items[0] = Value::Bytes(header(&[(1, Value::from(24))]));
            })),
        case("enc-protected-depth-3", "single-recipient layer whose protected header is {1: 41, 99: [[1]]} (nesting depth 3): within the §4.1 scan limits (depth 4, 64 items), so the scan passes and the extra label is invalid_header (step 5.1, then 5.5), re-signed", "invalid_header")
            .audience("hpke", x25519())
            .resigned("ed25519-a", None, |inner| edit_layer(inner, |items| {
                let nested = Value::Array(vec![Value::Array(vec![Value::from(1)])]);
                items[0] = Value::Bytes(header(&[(1, Value::from(41)), (99, nested)]));
            })),
        case("enc0-order-alg-missing-extra-label", "single-recipient layer whose protected header is {4: h'01'}: no alg, and a label Encrypt0 does not allow; a missing alg is invalid_header at step 5.3, before the kind, re-signed", "invalid_header")
            .audience("hpke", x25519())
            .resigned("ed25519-a", None, |inner| edit_layer(inner, |items| {
                items[0] = Value::Bytes(header(&[(4, Value::Bytes(vec![1]))]));
            })),
    ]
}
