//! Key commitment (spec/encryption.md §4.1): AES-GCM and ChaCha20-Poly1305 do not commit to
//! their key, so a sender can make one ciphertext that opens under two keys to two plaintexts.
//! The encrypted layer therefore carries, in its protected header (covered by the signature),
//! a commitment to the content key, and a receiver accepts a plaintext only if the key that
//! decrypted it is the committed one. Every receiver that accepts then read the same bytes.
//!
//! The commitment is HKDF-SHA256 of the content key (RFC 5869; collision resistant in its
//! input as SHA-256 is), never a hash of the plaintext, which for short readings such as
//! `21.5` anyone could search.

use alloc::string::String;
use alloc::vec;

use ciborium::Value;
use hkdf::Hkdf;
use sha2::Sha256;
use subtle::ConstantTimeEq;

use super::suite::ContentAlg;
use super::wire;

/// Private-use COSE header label (RFC 9052 §3.1: below -65536) of the commitment, in the
/// protected header of a COSE_Encrypt body and of a group COSE_Encrypt0.
pub(crate) const LABEL_COMMITMENT: i64 = -65537;

/// Commitment length: the full SHA-256 output, so finding two keys with one commitment costs
/// a SHA-256 collision (2^128 work).
pub(crate) const COMMITMENT_LEN: usize = 32;

/// The HKDF `info` label.
pub(crate) const COMMITMENT_LABEL: &str = "payseal/1 key commitment";

/// `HKDF-SHA256(salt = empty, IKM = key, info = CBOR ["payseal/1 key commitment", alg, iv],
/// L = 32)`.
pub(crate) fn commitment(alg: ContentAlg, key: &[u8], iv: &[u8]) -> [u8; COMMITMENT_LEN] {
    let info = wire::to_vec(&Value::Array(vec![
        Value::Text(String::from(COMMITMENT_LABEL)),
        Value::from(alg.cose_id()),
        Value::Bytes(iv.to_vec()),
    ]));
    let mut out = [0u8; COMMITMENT_LEN];
    // 32 bytes is far below HKDF-SHA256's 8160-byte limit: expand cannot fail.
    let _ = Hkdf::<Sha256>::new(None, key).expand(&info, &mut out);
    out
}

/// Whether `received` is the commitment to `key`, compared in constant time.
pub(crate) fn matches(alg: ContentAlg, key: &[u8], iv: &[u8], received: &[u8]) -> bool {
    bool::from(commitment(alg, key, iv).as_slice().ct_eq(received))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commitment_binds_key_alg_and_iv() {
        let c = commitment(ContentAlg::A128Gcm, &[1; 16], &[2; 12]);
        assert!(matches(ContentAlg::A128Gcm, &[1; 16], &[2; 12], &c));
        assert!(!matches(ContentAlg::A128Gcm, &[3; 16], &[2; 12], &c));
        assert!(!matches(ContentAlg::A128Gcm, &[1; 16], &[4; 12], &c));
        assert!(!matches(
            ContentAlg::ChaCha20Poly1305,
            &[1; 16],
            &[2; 12],
            &c
        ));
        assert!(!matches(ContentAlg::A128Gcm, &[1; 16], &[2; 12], &c[..31]));
    }
}
