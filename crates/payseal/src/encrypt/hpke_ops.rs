//! HPKE base-mode seal and open (RFC 9180 §6.1) for the supported suites, via the `hpke` crate.
//! The suite is chosen at run time from the COSE alg, then dispatched once to `hpke`'s generics.

use alloc::vec::Vec;

use hpke::aead::{AesGcm128, AesGcm256, ChaCha20Poly1305};
use hpke::kdf::HkdfSha256;
use hpke::kem::{DhP256HkdfSha256, X25519HkdfSha256};
use hpke::{Deserializable, OpModeR, OpModeS, Serializable};
use rand_core::CryptoRng;

use super::suite::HpkeSuite;

/// Any HPKE failure: bad key bytes, bad encapsulated key, or a failed AEAD open. Deliberately
/// without detail.
#[derive(Debug)]
pub(crate) struct HpkeFailed;

/// Seals `plaintext` to `recipient` (its HPKE public key bytes); returns `(enc, ciphertext)`.
pub(crate) fn seal(
    suite: HpkeSuite,
    recipient: &[u8],
    info: &[u8],
    aad: &[u8],
    plaintext: &[u8],
    rng: &mut impl CryptoRng,
) -> Result<(Vec<u8>, Vec<u8>), HpkeFailed> {
    match suite {
        HpkeSuite::P256Aes128Gcm => {
            seal_with::<AesGcm128, DhP256HkdfSha256>(recipient, info, aad, plaintext, rng)
        }
        HpkeSuite::P256Aes256Gcm => {
            seal_with::<AesGcm256, DhP256HkdfSha256>(recipient, info, aad, plaintext, rng)
        }
        HpkeSuite::X25519Aes128Gcm => {
            seal_with::<AesGcm128, X25519HkdfSha256>(recipient, info, aad, plaintext, rng)
        }
        HpkeSuite::X25519ChaCha20Poly1305 => {
            seal_with::<ChaCha20Poly1305, X25519HkdfSha256>(recipient, info, aad, plaintext, rng)
        }
    }
}

/// Opens `ciphertext` with the recipient's private key bytes and the encapsulated key `enc`.
pub(crate) fn open(
    suite: HpkeSuite,
    secret: &[u8],
    enc: &[u8],
    info: &[u8],
    aad: &[u8],
    ciphertext: &[u8],
) -> Result<Vec<u8>, HpkeFailed> {
    match suite {
        HpkeSuite::P256Aes128Gcm => {
            open_with::<AesGcm128, DhP256HkdfSha256>(secret, enc, info, aad, ciphertext)
        }
        HpkeSuite::P256Aes256Gcm => {
            open_with::<AesGcm256, DhP256HkdfSha256>(secret, enc, info, aad, ciphertext)
        }
        HpkeSuite::X25519Aes128Gcm => {
            open_with::<AesGcm128, X25519HkdfSha256>(secret, enc, info, aad, ciphertext)
        }
        HpkeSuite::X25519ChaCha20Poly1305 => {
            open_with::<ChaCha20Poly1305, X25519HkdfSha256>(secret, enc, info, aad, ciphertext)
        }
    }
}

fn seal_with<A: hpke::aead::Aead, K: hpke::Kem>(
    recipient: &[u8],
    info: &[u8],
    aad: &[u8],
    plaintext: &[u8],
    rng: &mut impl CryptoRng,
) -> Result<(Vec<u8>, Vec<u8>), HpkeFailed> {
    let pk = K::PublicKey::from_bytes(recipient).map_err(|_| HpkeFailed)?;
    let (enc, ciphertext) = hpke::single_shot_seal_with_rng::<A, HkdfSha256, K>(
        &OpModeS::Base,
        &pk,
        info,
        plaintext,
        aad,
        rng,
    )
    .map_err(|_| HpkeFailed)?;
    Ok((enc.to_bytes().to_vec(), ciphertext))
}

fn open_with<A: hpke::aead::Aead, K: hpke::Kem>(
    secret: &[u8],
    enc: &[u8],
    info: &[u8],
    aad: &[u8],
    ciphertext: &[u8],
) -> Result<Vec<u8>, HpkeFailed> {
    let sk = K::PrivateKey::from_bytes(secret).map_err(|_| HpkeFailed)?;
    let enc = K::EncappedKey::from_bytes(enc).map_err(|_| HpkeFailed)?;
    hpke::single_shot_open::<A, HkdfSha256, K>(&OpModeR::Base, &sk, &enc, info, ciphertext, aad)
        .map_err(|_| HpkeFailed)
}
