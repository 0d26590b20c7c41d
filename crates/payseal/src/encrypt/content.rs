//! Content encryption with a symmetric key (RFC 9053 §4): AES-GCM and ChaCha20-Poly1305 with
//! 12-byte nonces and 16-byte tags.

use alloc::vec::Vec;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes128Gcm, Aes256Gcm};
use chacha20poly1305::ChaCha20Poly1305;

use super::suite::ContentAlg;

/// Nonce length for every content algorithm.
pub(crate) const NONCE_LEN: usize = 12;

/// The AEAD failed: wrong key, nonce, associated data, or a modified ciphertext.
#[derive(Debug)]
pub(crate) struct AeadFailed;

pub(crate) fn encrypt(
    alg: ContentAlg,
    key: &[u8],
    nonce: &[u8; NONCE_LEN],
    aad: &[u8],
    plaintext: &[u8],
) -> Result<Vec<u8>, AeadFailed> {
    let payload = Payload {
        msg: plaintext,
        aad,
    };
    match alg {
        ContentAlg::A128Gcm => with_key::<Aes128Gcm>(key)?.encrypt(nonce.into(), payload),
        ContentAlg::A256Gcm => with_key::<Aes256Gcm>(key)?.encrypt(nonce.into(), payload),
        ContentAlg::ChaCha20Poly1305 => {
            with_key::<ChaCha20Poly1305>(key)?.encrypt(nonce.into(), payload)
        }
    }
    .map_err(|_| AeadFailed)
}

pub(crate) fn decrypt(
    alg: ContentAlg,
    key: &[u8],
    nonce: &[u8; NONCE_LEN],
    aad: &[u8],
    ciphertext: &[u8],
) -> Result<Vec<u8>, AeadFailed> {
    let payload = Payload {
        msg: ciphertext,
        aad,
    };
    match alg {
        ContentAlg::A128Gcm => with_key::<Aes128Gcm>(key)?.decrypt(nonce.into(), payload),
        ContentAlg::A256Gcm => with_key::<Aes256Gcm>(key)?.decrypt(nonce.into(), payload),
        ContentAlg::ChaCha20Poly1305 => {
            with_key::<ChaCha20Poly1305>(key)?.decrypt(nonce.into(), payload)
        }
    }
    .map_err(|_| AeadFailed)
}

fn with_key<C: KeyInit>(key: &[u8]) -> Result<C, AeadFailed> {
    C::new_from_slice(key).map_err(|_| AeadFailed)
}
