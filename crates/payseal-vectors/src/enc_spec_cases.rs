//! Vectors for issue 17 (spec precision): header order in the encrypted layer, a malformed
//! `ek`, and a wrong (well-formed) tag on the encrypted layer (spec/encryption.md §3, §6).

use ciborium::Value;
use payseal::{ContentAlg, HpkeSuite};

use crate::enc_cases::{case, edit_layer, hpke};
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
    ]
}
