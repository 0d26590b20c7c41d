//! Building the encrypted layer on the sending side.

use alloc::vec;
use alloc::vec::Vec;

use ciborium::Value;
use rand_core::CryptoRng;
use zeroize::Zeroizing;

use super::audience::{Audience, Recipient};
use super::commit::{self, LABEL_COMMITMENT};
use super::group::{self, GroupKey};
use super::suite::ContentAlg;
use super::wire::{self, LABEL_ALG, LABEL_EK, LABEL_IV, LABEL_KID, LABEL_SALT};
use super::{content, hpke_ops};
use crate::error::SealError;

/// The message-specific inputs every mode binds into its associated data.
pub(crate) struct Binding<'a> {
    pub(crate) topic: &'a str,
    pub(crate) sender: &'a [u8],
    pub(crate) seq: u64,
}

/// Encrypts `payload` for `audience`; returns the outer content type and the encrypted layer.
pub(crate) fn encrypt(
    audience: &Audience,
    binding: &Binding<'_>,
    payload: &[u8],
    rng: &mut impl CryptoRng,
    now: u64,
) -> Result<(u64, Vec<u8>), SealError> {
    let aad = wire::inner_aad(binding.topic, binding.sender, binding.seq);
    match audience {
        Audience::Recipients {
            recipients,
            content,
        } => {
            // spec/key-management.md §3: only the keys valid now (a rollover's new key after
            // its switch date); without bounds every recipient is.
            let valid: Vec<Recipient> = recipients
                .iter()
                .filter(|r| r.validity().contains(Some(now)))
                .cloned()
                .collect();
            match valid.as_slice() {
                [] => Err(SealError::NoValidRecipient),
                [r] => Ok((wire::COSE_ENCRYPT0, integrated(r, &aad, payload, rng)?)),
                _ => Ok((
                    wire::COSE_ENCRYPT,
                    key_encryption(&valid, *content, &aad, payload, rng)?,
                )),
            }
        }
        Audience::Group(key) => Ok((
            wire::COSE_ENCRYPT0,
            group(key, binding, &aad, payload, rng)?,
        )),
    }
}

/// HPKE integrated encryption: `16([{1: alg}, {4: kid, -4: ek}, ciphertext])`.
fn integrated(
    r: &Recipient,
    aad: &[u8],
    payload: &[u8],
    rng: &mut impl CryptoRng,
) -> Result<Vec<u8>, SealError> {
    let protected = wire::header(vec![(LABEL_ALG, Value::from(r.suite().integrated_id()))]);
    let hpke_aad = wire::enc_structure("Encrypt0", &protected, aad);
    let (ek, ciphertext) =
        hpke_ops::seal(r.suite(), &r.key().to_bytes(), &[], &hpke_aad, payload, rng)
            .map_err(|_| SealError::Encryption)?;
    let unprotected = wire::map(vec![
        (LABEL_KID, Value::Bytes(r.kid().as_bytes().to_vec())),
        (LABEL_EK, Value::Bytes(ek)),
    ]);
    Ok(wire::encrypt0(protected, unprotected, ciphertext))
}

/// HPKE key encryption: a fresh content key encrypts the payload once, and is sealed to each
/// recipient; the protected header commits to that key, so every recipient reads the same
/// plaintext.
fn key_encryption(
    recipients: &[Recipient],
    alg: ContentAlg,
    aad: &[u8],
    payload: &[u8],
    rng: &mut impl CryptoRng,
) -> Result<Vec<u8>, SealError> {
    let mut cek = Zeroizing::new(vec![0u8; alg.key_len()]);
    rng.fill_bytes(&mut cek);
    let mut iv = [0u8; content::NONCE_LEN];
    rng.fill_bytes(&mut iv);
    let protected = committed_header(alg, &cek, &iv);
    let content_aad = wire::enc_structure("Encrypt", &protected, aad);
    let ciphertext = content::encrypt(alg, &cek, &iv, &content_aad, payload)
        .map_err(|_| SealError::Encryption)?;
    let mut entries = Vec::with_capacity(recipients.len());
    for r in recipients {
        let r_protected = wire::header(vec![
            (LABEL_ALG, Value::from(r.suite().key_encryption_id())),
            (LABEL_KID, Value::Bytes(r.kid().as_bytes().to_vec())),
        ]);
        let info = wire::recipient_info(alg.cose_id(), &r_protected);
        let (ek, sealed_cek) =
            hpke_ops::seal(r.suite(), &r.key().to_bytes(), &info, &[], &cek, rng)
                .map_err(|_| SealError::Encryption)?;
        entries.push(Value::Array(vec![
            Value::Bytes(r_protected),
            wire::map(vec![(LABEL_EK, Value::Bytes(ek))]),
            Value::Bytes(sealed_cek),
        ]));
    }
    let unprotected = wire::map(vec![(LABEL_IV, Value::Bytes(iv.to_vec()))]);
    Ok(wire::encrypt(protected, unprotected, ciphertext, entries))
}

/// The protected header `{1: alg, -65537: commitment}` of a layer encrypted under `key`.
fn committed_header(alg: ContentAlg, key: &[u8], iv: &[u8]) -> Vec<u8> {
    wire::header(vec![
        (LABEL_ALG, Value::from(alg.cose_id())),
        (
            LABEL_COMMITMENT,
            Value::Bytes(commit::commitment(alg, key, iv).to_vec()),
        ),
    ])
}

/// Group key: `16([{1: alg, -65537: commitment}, {4: group kid, 5: iv, -20: salt},
/// ciphertext])` under a key derived for this message from the group secret, the sender's kid
/// and a fresh random salt, with the sequence number as nonce.
fn group(
    key: &GroupKey,
    binding: &Binding<'_>,
    aad: &[u8],
    payload: &[u8],
    rng: &mut impl CryptoRng,
) -> Result<Vec<u8>, SealError> {
    let mut salt = [0u8; group::SALT_LEN];
    rng.fill_bytes(&mut salt);
    let message_key = key
        .message_key(binding.sender, &salt)
        .map_err(|_| SealError::Encryption)?;
    let iv = group::nonce(binding.seq);
    let protected = committed_header(key.alg(), &message_key, &iv);
    let content_aad = wire::enc_structure("Encrypt0", &protected, aad);
    let ciphertext = content::encrypt(key.alg(), &message_key, &iv, &content_aad, payload)
        .map_err(|_| SealError::Encryption)?;
    let unprotected = wire::map(vec![
        (LABEL_KID, Value::Bytes(key.kid().as_bytes().to_vec())),
        (LABEL_IV, Value::Bytes(iv.to_vec())),
        (LABEL_SALT, Value::Bytes(salt.to_vec())),
    ]);
    Ok(wire::encrypt0(protected, unprotected, ciphertext))
}
