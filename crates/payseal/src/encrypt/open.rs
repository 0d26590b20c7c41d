//! Opening the encrypted layer on the receiving side, after the envelope passed every other
//! check (spec/encryption.md §6). Strict like the outer layer: exact shapes, exact labels.

use alloc::vec::Vec;

use ciborium::Value;

use super::commit::{self, COMMITMENT_LEN, LABEL_COMMITMENT};
use super::group;
use super::keyring::Keyring;
use super::seal::Binding;
use super::suite::{ContentAlg, HpkeSuite};
use super::wire::{self, LABEL_ALG, LABEL_EK, LABEL_IV, LABEL_KID, LABEL_SALT};
use super::{Encryption, EncryptionMode, content};
use crate::cbor::{self, ScanLimits};
use crate::error::{Malformed, Rejection};
use crate::keys::Kid;

/// Decrypts the encrypted layer `inner`, announced by the outer `content_type`, checking in
/// the order of spec/encryption.md §6: shape, recipient count, headers, algorithms, key,
/// decryption.
pub(crate) fn decrypt(
    content_type: u64,
    inner: &[u8],
    keyring: &Keyring,
    binding: &Binding<'_>,
    max_recipients: usize,
    now: Option<u64>,
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
    let Ok(Value::Tag(_, body)) = cbor::decode_scanned(inner) else {
        return Err(Malformed::InvalidCbor { offset: 0 }.into());
    };
    let Value::Array(items) = *body else {
        return Err(structure("encrypted layer must be an array"));
    };
    let aad = wire::inner_aad(binding.topic, binding.sender, binding.seq);
    if content_type == wire::COSE_ENCRYPT0 {
        let layer = <[Value; 3]>::try_from(items)
            .map_err(|_| structure("COSE_Encrypt0 must have 3 elements"))?;
        let layer = Layer::shape(&layer)?;
        encrypt0(&layer, keyring, binding, &aad, now)
    } else {
        let [protected, unprotected, ciphertext, recipients] = <[Value; 4]>::try_from(items)
            .map_err(|_| structure("COSE_Encrypt must have 4 elements"))?;
        let body = [protected, unprotected, ciphertext];
        let layer = Layer::shape(&body)?;
        let Value::Array(recipients) = recipients else {
            return Err(structure("recipients must be an array"));
        };
        if recipients.is_empty() {
            return Err(structure("recipients must not be empty"));
        }
        let entries = recipients
            .iter()
            .map(|r| match r {
                Value::Array(parts) => <&[Value; 3]>::try_from(parts.as_slice())
                    .map_err(|_| structure("a recipient must have 3 elements"))
                    .and_then(Layer::shape),
                _ => Err(structure("a recipient must be an array")),
            })
            .collect::<Result<Vec<_>, _>>()?;
        if entries.len() > max_recipients {
            return Err(Rejection::TooManyRecipients {
                limit: max_recipients,
                actual: entries.len(),
            });
        }
        encrypt(&layer, &entries, keyring, &aad)
    }
}

/// One `[protected, unprotected, ciphertext]` triple, with the right types.
struct Layer<'a> {
    protected: &'a [u8],
    unprotected: &'a Value,
    ciphertext: &'a [u8],
}

impl<'a> Layer<'a> {
    fn shape(parts: &'a [Value; 3]) -> Result<Self, Rejection> {
        match parts {
            [
                Value::Bytes(protected),
                unprotected @ Value::Map(_),
                Value::Bytes(ciphertext),
            ] => Ok(Layer {
                protected,
                unprotected,
                ciphertext,
            }),
            _ => Err(structure(
                "expected [protected bstr, unprotected map, ciphertext bstr]",
            )),
        }
    }
}

fn encrypt0(
    layer: &Layer<'_>,
    keyring: &Keyring,
    binding: &Binding<'_>,
    aad: &[u8],
    now: Option<u64>,
) -> Result<(Vec<u8>, Encryption), Rejection> {
    let protected = header_map_ref(layer.protected)?;
    let alg = alg_of(&protected)?;
    let unprotected = header_map(layer.unprotected)?;
    let hpke_aad = wire::enc_structure("Encrypt0", layer.protected, aad);
    // The alg decides the mode, and so which labels must be there.
    if let Some(suite) = narrow(alg).and_then(HpkeSuite::from_integrated_id) {
        exact(&protected, &[LABEL_ALG])?;
        exact(&unprotected, &[LABEL_KID, LABEL_EK])?;
        let kid = get_bytes(&unprotected, LABEL_KID)?;
        let ek = get_bytes(&unprotected, LABEL_EK)?;
        let (kid, key) = keyring.recipient_key(kid).ok_or(Rejection::NotForMe)?;
        if key.kem() != suite.kem() {
            return Err(Rejection::DecryptFailed);
        }
        let payload = key
            .open(suite, ek, &[], &hpke_aad, layer.ciphertext)
            .map_err(|_| Rejection::DecryptFailed)?;
        return Ok((payload, encryption(EncryptionMode::Hpke(suite), kid)));
    }
    let Some(alg @ (ContentAlg::A128Gcm | ContentAlg::A256Gcm)) =
        narrow(alg).and_then(ContentAlg::from_cose_id)
    else {
        return Err(Rejection::UnsupportedAlgorithm(alg));
    };
    exact(&protected, &[LABEL_ALG, LABEL_COMMITMENT])?;
    let commitment = commitment_of(&protected)?;
    exact(&unprotected, &[LABEL_KID, LABEL_IV, LABEL_SALT])?;
    let kid = get_bytes(&unprotected, LABEL_KID)?;
    let iv = iv(&unprotected)?;
    let salt = get_bytes(&unprotected, LABEL_SALT)?;
    if salt.len() != group::SALT_LEN {
        return Err(Malformed::InvalidHeader("salt must be 16 bytes").into());
    }
    let key = keyring.group_key(kid, now)?;
    // The nonce is the sequence number the signature covers, and the key is this message's
    // own (derived with its random salt): a repeated seq does not repeat the (key, nonce).
    let nonce = group::nonce(binding.seq);
    if key.alg() != alg || iv != nonce {
        return Err(Rejection::DecryptFailed);
    }
    let message_key = key
        .message_key(binding.sender, salt)
        .map_err(|_| Rejection::DecryptFailed)?;
    let payload = content::decrypt(alg, &message_key, &nonce, &hpke_aad, layer.ciphertext)
        .map_err(|_| Rejection::DecryptFailed)?;
    check_commitment(alg, &message_key, &nonce, commitment, payload)
        .map(|payload| (payload, encryption(EncryptionMode::Group(alg), key.kid())))
}

/// Releases `payload` only if `key`, which decrypted it, is the key the layer commits to
/// (spec/encryption.md §4.1); otherwise the plaintext is wiped.
fn check_commitment(
    alg: ContentAlg,
    key: &[u8],
    iv: &[u8],
    commitment: &[u8],
    payload: Vec<u8>,
) -> Result<Vec<u8>, Rejection> {
    if commit::matches(alg, key, iv, commitment) {
        Ok(payload)
    } else {
        drop(zeroize::Zeroizing::new(payload));
        Err(Rejection::KeyCommitmentMismatch)
    }
}

/// A recipient entry's checked headers.
struct Entry<'a> {
    suite_alg: i128,
    kid: Vec<u8>,
    protected: &'a [u8],
    ek: Vec<u8>,
    sealed_cek: &'a [u8],
}

fn encrypt(
    layer: &Layer<'_>,
    entries: &[Layer<'_>],
    keyring: &Keyring,
    aad: &[u8],
) -> Result<(Vec<u8>, Encryption), Rejection> {
    // Headers: the body first, then every entry in order.
    let protected = header_map_ref(layer.protected)?;
    exact(&protected, &[LABEL_ALG, LABEL_COMMITMENT])?;
    let alg_id = alg_of(&protected)?;
    let commitment = commitment_of(&protected)?;
    let unprotected = header_map(layer.unprotected)?;
    exact(&unprotected, &[LABEL_IV])?;
    let iv = iv(&unprotected)?;
    let mut checked = Vec::with_capacity(entries.len());
    for entry in entries {
        let suite_alg = protected_alg(entry.protected, &[LABEL_KID])?;
        let r_header = header_map_ref(entry.protected)?;
        let r_unprotected = header_map(entry.unprotected)?;
        exact(&r_unprotected, &[LABEL_EK])?;
        checked.push(Entry {
            suite_alg,
            kid: get_bytes(&r_header, LABEL_KID)?.to_vec(),
            protected: entry.protected,
            ek: get_bytes(&r_unprotected, LABEL_EK)?.to_vec(),
            sealed_cek: entry.ciphertext,
        });
    }
    let alg = narrow(alg_id)
        .and_then(ContentAlg::from_cose_id)
        .ok_or(Rejection::UnsupportedAlgorithm(alg_id))?;
    // The first entry addressed to a key we hold; other entries' suites are not interpreted.
    let (entry, (kid, key)) = checked
        .iter()
        .find_map(|e| keyring.recipient_key(&e.kid).map(|found| (e, found)))
        .ok_or(Rejection::NotForMe)?;
    let suite = narrow(entry.suite_alg)
        .and_then(HpkeSuite::from_key_encryption_id)
        .ok_or(Rejection::UnsupportedAlgorithm(entry.suite_alg))?;
    if key.kem() != suite.kem() {
        return Err(Rejection::DecryptFailed);
    }
    let info = wire::recipient_info(alg.cose_id(), entry.protected);
    let cek = zeroize::Zeroizing::new(
        key.open(suite, &entry.ek, &info, &[], entry.sealed_cek)
            .map_err(|_| Rejection::DecryptFailed)?,
    );
    if cek.len() != alg.key_len() {
        return Err(Rejection::DecryptFailed);
    }
    let content_aad = wire::enc_structure("Encrypt", layer.protected, aad);
    let payload = content::decrypt(alg, &cek, &iv, &content_aad, layer.ciphertext)
        .map_err(|_| Rejection::DecryptFailed)?;
    let payload = check_commitment(alg, &cek, &iv, commitment, payload)?;
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

/// The 12-byte IV (label 5).
fn iv(map: &[(i64, Value)]) -> Result<[u8; content::NONCE_LEN], Rejection> {
    get_bytes(map, LABEL_IV)?
        .try_into()
        .map_err(|_| Malformed::InvalidHeader("IV must be 12 bytes").into())
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

/// A protected header (its bytes) holding `{1: alg}` plus exactly the `extra` labels; returns
/// the alg.
fn protected_alg(encoded: &[u8], extra: &[i64]) -> Result<i128, Rejection> {
    let map = header_map_ref(encoded)?;
    let mut allowed = Vec::from(extra);
    allowed.push(LABEL_ALG);
    exact(&map, &allowed)?;
    alg_of(&map)
}

/// The integer alg (label 1) of a header map: any CBOR integer (spec/envelope.md §4.1), so
/// that one outside i64 is an unsupported algorithm, decided where the spec decides it (and
/// not at all in another recipient's entry).
fn alg_of(map: &[(i64, Value)]) -> Result<i128, Rejection> {
    match map.iter().find(|(l, _)| *l == LABEL_ALG) {
        Some((_, Value::Integer(a))) => Ok(i128::from(*a)),
        _ => Err(Malformed::InvalidHeader("alg must be an integer").into()),
    }
}

/// An algorithm value as the i64 the registries use, if it is one.
fn narrow(alg: i128) -> Option<i64> {
    i64::try_from(alg).ok()
}

/// The key commitment (label -65537): a 32-byte bstr.
fn commitment_of(map: &[(i64, Value)]) -> Result<&[u8], Rejection> {
    match map.iter().find(|(l, _)| *l == LABEL_COMMITMENT) {
        Some((_, Value::Bytes(c))) if c.len() == COMMITMENT_LEN => Ok(c),
        _ => Err(Malformed::InvalidHeader("key commitment must be a 32-byte byte string").into()),
    }
}

/// Decodes an encoded header map; a bstr's content is opaque to the layer's scan, so it gets
/// its own strict scan here. Empty is `invalid_header` before any scan (spec/encryption.md §6
/// step 5): every protected header here must carry at least an alg.
fn header_map_ref(encoded: &[u8]) -> Result<Vec<(i64, Value)>, Rejection> {
    if encoded.is_empty() {
        return Err(Malformed::InvalidHeader("protected header must not be empty").into());
    }
    // The limits of spec/envelope.md §4.1 (depth 4, 64 items), as for the outer protected
    // header: a deeper or longer header is refused by the exact labels anyway (step 5.5), but
    // the scan's reason must be the one the spec gives (encryption.md §6 step 5.1).
    let limits = ScanLimits {
        max_depth: 4,
        max_items: 64,
    };
    // No tag at all, not even at the root: flagged at its own head (envelope.md §4.1).
    cbor::scan_untagged(encoded, limits)?;
    match cbor::decode_scanned(encoded) {
        Ok(map @ Value::Map(_)) => header_map(&map),
        _ => Err(Malformed::InvalidHeader("header must be a map").into()),
    }
}

/// A header map with integer labels.
fn header_map(value: &Value) -> Result<Vec<(i64, Value)>, Rejection> {
    let Value::Map(entries) = value else {
        return Err(structure("header must be a map"));
    };
    entries
        .iter()
        .map(|(label, v)| match label {
            Value::Integer(i) => i64::try_from(*i)
                .map(|i| (i, v.clone()))
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
