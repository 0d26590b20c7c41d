//! Opening the encrypted layer on the receiving side, after the envelope passed every other
//! check (spec/encryption.md §6). Strict like the outer layer: exact shapes, exact labels.

use alloc::vec::Vec;

use ciborium::Value;

use super::group;
use super::keyring::Keyring;
use super::seal::Binding;
use super::suite::{ContentAlg, HpkeSuite};
use super::wire::{self, LABEL_ALG, LABEL_EK, LABEL_IV, LABEL_KID};
use super::{Encryption, EncryptionMode, content, hpke_ops};
use crate::cbor::{self, ScanLimits};
use crate::error::{Malformed, Rejection};
use crate::keys::Kid;

/// Decrypts the encrypted layer `inner`, announced by the outer `content_type`.
pub(crate) fn decrypt(
    content_type: u64,
    inner: &[u8],
    keyring: &Keyring,
    binding: &Binding<'_>,
    max_recipients: usize,
) -> Result<(Vec<u8>, Encryption), Rejection> {
    // The size of the envelope already bounds the work; depth is the structure's own.
    let limits = ScanLimits {
        max_depth: 4,
        max_items: inner.len(),
    };
    let scanned = cbor::scan(inner, limits)?;
    if scanned.top_tag != Some(content_type) {
        return Err(structure(
            "encrypted layer's tag does not match the content type",
        ));
    }
    let Ok(Value::Tag(_, body)) = ciborium::from_reader::<Value, _>(inner) else {
        return Err(Malformed::InvalidCbor { offset: 0 }.into());
    };
    let Value::Array(items) = *body else {
        return Err(structure("encrypted layer must be an array"));
    };
    let aad = wire::inner_aad(binding.topic, binding.sender, binding.seq);
    match (content_type, <[Value; 3]>::try_from(items)) {
        (wire::COSE_ENCRYPT0, Ok([protected, unprotected, ciphertext])) => {
            encrypt0(&protected, unprotected, &ciphertext, keyring, binding, &aad)
        }
        (wire::COSE_ENCRYPT, Err(items)) => {
            let [protected, unprotected, ciphertext, recipients] = <[Value; 4]>::try_from(items)
                .map_err(|_| structure("COSE_Encrypt must have 4 elements"))?;
            let layer = Layer {
                protected: &protected,
                unprotected,
                ciphertext: &ciphertext,
            };
            encrypt(layer, recipients, keyring, &aad, max_recipients)
        }
        _ => Err(structure("wrong number of elements in the encrypted layer")),
    }
}

struct Layer<'a> {
    protected: &'a Value,
    unprotected: Value,
    ciphertext: &'a Value,
}

fn encrypt0(
    protected: &Value,
    unprotected: Value,
    ciphertext: &Value,
    keyring: &Keyring,
    binding: &Binding<'_>,
    aad: &[u8],
) -> Result<(Vec<u8>, Encryption), Rejection> {
    let (protected_bytes, alg) = protected_alg(protected, &[])?;
    let ciphertext = bytes(ciphertext, "ciphertext must be a byte string")?;
    let unprotected = header_map(unprotected)?;
    let hpke_aad = wire::enc_structure("Encrypt0", protected_bytes, aad);
    if let Some(suite) = HpkeSuite::from_integrated_id(alg) {
        let kid = exact(&unprotected, &[LABEL_KID, LABEL_EK])
            .and_then(|_| get_bytes(&unprotected, LABEL_KID))?;
        let ek = get_bytes(&unprotected, LABEL_EK)?;
        let (kid, key) = keyring.recipient_key(kid).ok_or(Rejection::NotForMe)?;
        if key.kem() != suite.kem() {
            return Err(Rejection::DecryptFailed);
        }
        let secret = key.expose_secret_bytes();
        let payload = hpke_ops::open(suite, secret.as_ref(), ek, &[], &hpke_aad, ciphertext)
            .map_err(|_| Rejection::DecryptFailed)?;
        return Ok((payload, encryption(EncryptionMode::Hpke(suite), kid)));
    }
    let Some(alg @ (ContentAlg::A128Gcm | ContentAlg::A256Gcm)) = ContentAlg::from_cose_id(alg)
    else {
        return Err(Rejection::UnsupportedAlgorithm(alg));
    };
    exact(&unprotected, &[LABEL_KID, LABEL_IV])?;
    let kid = get_bytes(&unprotected, LABEL_KID)?;
    let iv = get_bytes(&unprotected, LABEL_IV)?;
    let key = keyring.group_key(kid).ok_or(Rejection::NotForMe)?;
    // The nonce is the sequence number the signature covers: a sender cannot reuse one.
    if key.alg() != alg || iv != group::nonce(binding.seq) {
        return Err(Rejection::DecryptFailed);
    }
    let sender_key = key
        .sender_key(binding.sender)
        .map_err(|_| Rejection::DecryptFailed)?;
    let payload = content::decrypt(
        alg,
        &sender_key,
        &group::nonce(binding.seq),
        &hpke_aad,
        ciphertext,
    )
    .map_err(|_| Rejection::DecryptFailed)?;
    Ok((payload, encryption(EncryptionMode::Group(alg), key.kid())))
}

fn encrypt(
    layer: Layer<'_>,
    recipients: Value,
    keyring: &Keyring,
    aad: &[u8],
    max_recipients: usize,
) -> Result<(Vec<u8>, Encryption), Rejection> {
    let Value::Array(recipients) = recipients else {
        return Err(structure("recipients must be an array"));
    };
    if recipients.is_empty() {
        return Err(structure("recipients must not be empty"));
    }
    if recipients.len() > max_recipients {
        return Err(Rejection::TooManyRecipients {
            limit: max_recipients,
            actual: recipients.len(),
        });
    }
    let (protected_bytes, alg_id) = protected_alg(layer.protected, &[])?;
    let alg = ContentAlg::from_cose_id(alg_id).ok_or(Rejection::UnsupportedAlgorithm(alg_id))?;
    let unprotected = header_map(layer.unprotected)?;
    exact(&unprotected, &[LABEL_IV])?;
    let iv: [u8; content::NONCE_LEN] = get_bytes(&unprotected, LABEL_IV)?
        .try_into()
        .map_err(|_| Malformed::InvalidHeader("IV must be 12 bytes"))?;
    let ciphertext = bytes(layer.ciphertext, "ciphertext must be a byte string")?;

    // Check every entry's shape, and pick the first one addressed to a key we hold.
    let mut mine = None;
    for entry in &recipients {
        let Value::Array(parts) = entry else {
            return Err(structure("a recipient must be an array"));
        };
        let [r_protected, r_unprotected, sealed_cek] = <&[Value; 3]>::try_from(parts.as_slice())
            .map_err(|_| structure("a recipient must have 3 elements"))?;
        let (r_protected_bytes, r_alg) = protected_alg(r_protected, &[LABEL_KID])?;
        let r_header = header_map_ref(r_protected_bytes)?;
        let kid = get_bytes(&r_header, LABEL_KID)?;
        let r_unprotected = header_map(r_unprotected.clone())?;
        exact(&r_unprotected, &[LABEL_EK])?;
        let ek = get_bytes(&r_unprotected, LABEL_EK)?;
        let sealed_cek = bytes(sealed_cek, "recipient ciphertext must be a byte string")?;
        if mine.is_none()
            && let Some(found) = keyring.recipient_key(kid)
        {
            mine = Some((
                found,
                r_alg,
                r_protected_bytes.to_vec(),
                ek.to_vec(),
                sealed_cek.to_vec(),
            ));
        }
    }
    let ((kid, key), r_alg, r_protected, ek, sealed_cek) = mine.ok_or(Rejection::NotForMe)?;
    let suite =
        HpkeSuite::from_key_encryption_id(r_alg).ok_or(Rejection::UnsupportedAlgorithm(r_alg))?;
    if key.kem() != suite.kem() {
        return Err(Rejection::DecryptFailed);
    }
    let info = wire::recipient_info(alg.cose_id(), &r_protected);
    let secret = key.expose_secret_bytes();
    let cek = zeroize::Zeroizing::new(
        hpke_ops::open(suite, secret.as_ref(), &ek, &info, &[], &sealed_cek)
            .map_err(|_| Rejection::DecryptFailed)?,
    );
    if cek.len() != alg.key_len() {
        return Err(Rejection::DecryptFailed);
    }
    let content_aad = wire::enc_structure("Encrypt", protected_bytes, aad);
    let payload = content::decrypt(alg, &cek, &iv, &content_aad, ciphertext)
        .map_err(|_| Rejection::DecryptFailed)?;
    Ok((
        payload,
        encryption(
            EncryptionMode::HpkeKeyEncryption {
                suite,
                content: alg,
            },
            kid,
        ),
    ))
}

fn encryption(mode: EncryptionMode, key: &Kid) -> Encryption {
    Encryption {
        mode,
        key: key.clone(),
    }
}

fn structure(what: &'static str) -> Rejection {
    Malformed::InvalidStructure(what).into()
}

fn bytes<'a>(value: &'a Value, what: &'static str) -> Result<&'a [u8], Rejection> {
    match value {
        Value::Bytes(b) => Ok(b),
        _ => Err(structure(what)),
    }
}

/// A protected header bstr holding `{1: alg}` plus exactly the `extra` labels; returns its
/// bytes (as received, for the associated data) and the alg.
fn protected_alg<'a>(value: &'a Value, extra: &[i64]) -> Result<(&'a [u8], i64), Rejection> {
    let encoded = bytes(value, "protected header must be a byte string")?;
    let map = header_map_ref(encoded)?;
    let mut allowed = Vec::from(extra);
    allowed.push(LABEL_ALG);
    exact(&map, &allowed)?;
    match map.iter().find(|(l, _)| *l == LABEL_ALG) {
        Some((_, Value::Integer(a))) => i64::try_from(*a)
            .map(|a| (encoded, a))
            .map_err(|_| Malformed::InvalidHeader("alg is out of range").into()),
        _ => Err(Malformed::InvalidHeader("alg must be an integer").into()),
    }
}

/// Decodes an encoded header map; a bstr's content is opaque to the layer's scan, so it gets
/// its own strict scan here.
fn header_map_ref(encoded: &[u8]) -> Result<Vec<(i64, Value)>, Rejection> {
    let limits = ScanLimits {
        max_depth: 2,
        max_items: 32,
    };
    if cbor::scan(encoded, limits)?.top_tag.is_some() {
        return Err(Malformed::DisallowedItem { offset: 0 }.into());
    }
    match ciborium::from_reader::<Value, _>(encoded) {
        Ok(map @ Value::Map(_)) => header_map(map),
        _ => Err(Malformed::InvalidHeader("header must be a map").into()),
    }
}

/// A header map with integer labels.
fn header_map(value: Value) -> Result<Vec<(i64, Value)>, Rejection> {
    let Value::Map(entries) = value else {
        return Err(structure("header must be a map"));
    };
    entries
        .into_iter()
        .map(|(label, v)| match label {
            Value::Integer(i) => i64::try_from(i)
                .map(|i| (i, v))
                .map_err(|_| Malformed::InvalidHeader("label out of range").into()),
            _ => Err(Malformed::InvalidHeader("only integer labels are allowed here").into()),
        })
        .collect()
}

/// The header has exactly the labels `expected` (the outer scan already refused duplicates).
fn exact(map: &[(i64, Value)], expected: &[i64]) -> Result<(), Rejection> {
    let ok =
        map.len() == expected.len() && expected.iter().all(|e| map.iter().any(|(l, _)| l == e));
    if ok {
        Ok(())
    } else {
        Err(Malformed::InvalidHeader("unexpected or missing header parameter").into())
    }
}

fn get_bytes(map: &[(i64, Value)], label: i64) -> Result<&[u8], Rejection> {
    match map.iter().find(|(l, _)| *l == label) {
        Some((_, Value::Bytes(b))) if !b.is_empty() => Ok(b),
        _ => Err(Malformed::InvalidHeader("kid, ek and IV must be non-empty byte strings").into()),
    }
}
