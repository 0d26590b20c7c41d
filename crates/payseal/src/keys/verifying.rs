//! Public keys: verification, SPKI PEM/DER, and the key id derived from them.

use alloc::string::String;
use alloc::vec::Vec;

use p256::pkcs8::{DecodePublicKey, EncodePublicKey, LineEnding};
use sha2::{Digest, Sha256};

use super::{Signature, cose_key};
use crate::alg::Algorithm;
use crate::error::KeyError;
use crate::keys::Kid;

/// A sender's public key, bound to one [`Algorithm`].
#[derive(Clone, PartialEq, Eq)]
pub enum VerifyingKey {
    /// An Ed25519 public key.
    Ed25519(ed25519_dalek::VerifyingKey),
    /// A P-256 ECDSA public key.
    P256(p256::ecdsa::VerifyingKey),
    /// A secp256k1 ECDSA public key.
    K256(k256::ecdsa::VerifyingKey),
}

impl VerifyingKey {
    /// The algorithm this key verifies.
    pub fn algorithm(&self) -> Algorithm {
        match self {
            VerifyingKey::Ed25519(_) => Algorithm::Ed25519,
            VerifyingKey::P256(_) => Algorithm::EcdsaP256,
            VerifyingKey::K256(_) => Algorithm::EcdsaSecp256k1,
        }
    }

    /// Verifies `signature` over `message` with this key's algorithm.
    ///
    /// Ed25519 uses strict verification (RFC 8032 §5.1.7 with canonical `S`, rejecting
    /// small-order keys and `R`). ECDSA accepts both low and high `s` as FIPS 186 does: the
    /// replay window is keyed on the sequence number, so a malleated signature gains nothing.
    ///
    /// # Errors
    /// An opaque [`signature::Error`] when the signature does not verify.
    pub fn verify(&self, message: &[u8], signature: &Signature) -> Result<(), signature::Error> {
        use signature::Verifier;
        let bytes = signature.as_ref();
        match self {
            VerifyingKey::Ed25519(key) => {
                let sig = ed25519_dalek::Signature::from_bytes(&signature.to_bytes());
                key.verify_strict(message, &sig)
            }
            VerifyingKey::P256(key) => p256_verify(key, message, bytes),
            VerifyingKey::K256(key) => {
                let sig = k256::ecdsa::Signature::from_slice(bytes)?.normalize_s();
                key.verify(message, &sig)
            }
        }
    }

    /// Parses an SPKI public key (`-----BEGIN PUBLIC KEY-----`) of any supported algorithm.
    ///
    /// # Errors
    /// [`KeyError::Unsupported`] when the PEM is not an Ed25519, P-256 or secp256k1 key;
    /// [`KeyError::WeakKey`] for a small-order Ed25519 key.
    pub fn from_public_key_pem(pem: &str) -> Result<Self, KeyError> {
        if let Ok(key) = ed25519_dalek::VerifyingKey::from_public_key_pem(pem) {
            return Self::ed25519(key);
        }
        if let Ok(key) = p256::ecdsa::VerifyingKey::from_public_key_pem(pem) {
            return Ok(VerifyingKey::P256(key));
        }
        k256::ecdsa::VerifyingKey::from_public_key_pem(pem)
            .map(VerifyingKey::K256)
            .map_err(|_| KeyError::Unsupported("SPKI public"))
    }

    /// Parses a DER SubjectPublicKeyInfo of any supported algorithm.
    ///
    /// # Errors
    /// [`KeyError::Unsupported`] when the DER is not an Ed25519, P-256 or secp256k1 key;
    /// [`KeyError::WeakKey`] for a small-order Ed25519 key.
    pub fn from_public_key_der(der: &[u8]) -> Result<Self, KeyError> {
        if let Ok(key) = ed25519_dalek::VerifyingKey::from_public_key_der(der) {
            return Self::ed25519(key);
        }
        if let Ok(key) = p256::ecdsa::VerifyingKey::from_public_key_der(der) {
            return Ok(VerifyingKey::P256(key));
        }
        k256::ecdsa::VerifyingKey::from_public_key_der(der)
            .map(VerifyingKey::K256)
            .map_err(|_| KeyError::Unsupported("SPKI public"))
    }

    /// Wraps an Ed25519 key, refusing small-order ("weak") keys with [`KeyError::WeakKey`]:
    /// strict verification rejects every signature under them, so a trust store holding one
    /// could never accept anything (spec §7).
    pub(crate) fn ed25519(key: ed25519_dalek::VerifyingKey) -> Result<Self, KeyError> {
        if key.is_weak() {
            return Err(KeyError::WeakKey);
        }
        Ok(VerifyingKey::Ed25519(key))
    }

    /// Writes the key as SPKI PEM.
    ///
    /// # Errors
    /// [`KeyError::Encode`] if encoding fails.
    pub fn to_public_key_pem(&self) -> Result<String, KeyError> {
        match self {
            VerifyingKey::Ed25519(k) => k.to_public_key_pem(LineEnding::LF),
            VerifyingKey::P256(k) => k.to_public_key_pem(LineEnding::LF),
            VerifyingKey::K256(k) => k.to_public_key_pem(LineEnding::LF),
        }
        .map_err(|_| KeyError::Encode)
    }

    /// Writes the key as DER SubjectPublicKeyInfo.
    ///
    /// # Errors
    /// [`KeyError::Encode`] if encoding fails.
    pub fn to_public_key_der(&self) -> Result<Vec<u8>, KeyError> {
        match self {
            VerifyingKey::Ed25519(k) => k.to_public_key_der(),
            VerifyingKey::P256(k) => k.to_public_key_der(),
            VerifyingKey::K256(k) => k.to_public_key_der(),
        }
        .map(|doc| doc.as_bytes().to_vec())
        .map_err(|_| KeyError::Encode)
    }

    /// Parses a public COSE_Key (RFC 9052 §7, RFC 9053 §7): OKP/Ed25519 or EC2 with P-256 or
    /// secp256k1. A `d` parameter, if present, is ignored.
    ///
    /// # Errors
    /// [`KeyError::CoseKey`] or [`KeyError::Invalid`] for missing or wrong parameters.
    pub fn from_cose_key(bytes: &[u8]) -> Result<Self, KeyError> {
        cose_key::verifying_key(bytes)
    }

    /// Encodes the key as a public COSE_Key (deterministic CBOR), with its `alg` and `kid`.
    ///
    /// # Errors
    /// [`KeyError::Encode`] if encoding fails.
    pub fn to_cose_key(&self) -> Result<Vec<u8>, KeyError> {
        let parts = cose_key::signature_key_parts(self, None);
        Ok(cose_key::encode_parts(&parts, &self.kid()))
    }

    /// The curve coordinates COSE_Key and thumbprints use: `(crv, x, y)`; `y` is empty for
    /// Ed25519.
    pub(crate) fn coordinates(&self) -> (i64, Vec<u8>, Vec<u8>) {
        match self {
            VerifyingKey::Ed25519(k) => (cose_key::CRV_ED25519, k.to_bytes().to_vec(), Vec::new()),
            VerifyingKey::P256(k) => {
                let point = k.to_sec1_point(false);
                let (x, y) = xy(point.as_bytes());
                (cose_key::CRV_P256, x, y)
            }
            VerifyingKey::K256(k) => {
                let point = k.to_sec1_point(false);
                let (x, y) = xy(point.as_bytes());
                (cose_key::CRV_SECP256K1, x, y)
            }
        }
    }

    /// The RFC 9679 COSE Key Thumbprint: SHA-256 over the deterministic CBOR of the required
    /// public parameters (`kty`, `crv`, `x`, and `y` for EC2).
    pub fn thumbprint(&self) -> [u8; 32] {
        let (crv, x, y) = self.coordinates();
        let kty = if y.is_empty() {
            cose_key::KTY_OKP
        } else {
            cose_key::KTY_EC2
        };
        Sha256::digest(cose_key::thumbprint_input(kty, crv, &x, &y)).into()
    }

    /// The default key id: the first [`Kid::DERIVED_LEN`] bytes of [`thumbprint`](Self::thumbprint).
    pub fn kid(&self) -> Kid {
        let digest = self.thumbprint();
        Kid::from_checked(digest.get(..Kid::DERIVED_LEN).unwrap_or_default().to_vec())
    }
}

/// ECDSA P-256 with SHA-256 over `r || s`, pure Rust (`p256`): the default, and the only
/// backend without `std` or on targets `ring` does not support.
#[cfg(not(feature = "ring"))]
fn p256_verify(
    key: &p256::ecdsa::VerifyingKey,
    message: &[u8],
    signature: &[u8],
) -> Result<(), signature::Error> {
    use signature::Verifier;
    let sig = p256::ecdsa::Signature::from_slice(signature)?;
    key.verify(message, &sig)
}

/// ECDSA P-256 with SHA-256 over `r || s` through `ring` (feature `ring`): the same acceptance
/// rules as the `p256` path (0 < r, s < n, low and high `s` both accepted), in assembly.
/// Both backends run the same vectors (tests/vectors.rs, Wycheproof in
/// tests/third_party_vectors.rs). Only verification goes through ring: its signatures use
/// random nonces, while [`SigningKey::sign`](super::SigningKey::sign) promises RFC 6979.
#[cfg(feature = "ring")]
fn p256_verify(
    key: &p256::ecdsa::VerifyingKey,
    message: &[u8],
    signature: &[u8],
) -> Result<(), signature::Error> {
    use ring::signature::{ECDSA_P256_SHA256_FIXED, UnparsedPublicKey};
    // The key is already validated (on the curve, not the identity); ring parses the
    // uncompressed point again, which costs far less than the verification itself.
    let point = key.to_sec1_point(false);
    UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, point.as_bytes())
        .verify(message, signature)
        .map_err(|_| signature::Error::new())
}

/// Splits an uncompressed SEC1 point `04 || x || y` into its coordinates.
fn xy(sec1: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let coords = sec1.get(1..).unwrap_or_default();
    let (x, y) = coords.split_at(coords.len() / 2);
    (x.to_vec(), y.to_vec())
}

impl core::fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("VerifyingKey")
            .field("algorithm", &self.algorithm())
            .field("kid", &self.kid())
            .finish()
    }
}
