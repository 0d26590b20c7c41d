//! Private signing keys: generation, PKCS#8 PEM/DER and COSE_Key, zeroized on drop.

use alloc::vec::Vec;

use p256::pkcs8::{DecodePrivateKey, EncodePrivateKey, LineEnding};
use zeroize::Zeroizing;

use super::{Signature, VerifyingKey, cose_key};
use crate::alg::Algorithm;
use crate::error::KeyError;
use crate::keys::Kid;

/// A sender's private key for one of the supported algorithms.
///
/// The wrapped keys wipe their secret on drop (`ed25519-dalek` and `ecdsa` both zeroize), every
/// export comes back in [`Zeroizing`], and `Debug` shows only the algorithm and key id.
pub enum SigningKey {
    /// An Ed25519 key.
    Ed25519(ed25519_dalek::SigningKey),
    /// A P-256 ECDSA key.
    P256(p256::ecdsa::SigningKey),
    /// A secp256k1 ECDSA key.
    K256(k256::ecdsa::SigningKey),
}

impl SigningKey {
    /// Generates a fresh key from the operating system's random number generator.
    ///
    /// # Errors
    /// [`KeyError::Rng`] if the OS RNG fails.
    ///
    /// ```
    /// use payseal::{Algorithm, SigningKey};
    /// let key = SigningKey::generate(Algorithm::Ed25519)?;
    /// assert_eq!(key.algorithm(), Algorithm::Ed25519);
    /// # Ok::<(), payseal::KeyError>(())
    /// ```
    #[cfg(feature = "std")]
    pub fn generate(algorithm: Algorithm) -> Result<Self, KeyError> {
        // A 32-byte uniform string is a valid scalar except with negligible probability
        // (it must be nonzero and below the group order); retry in that case.
        for _ in 0..16 {
            let mut secret = Zeroizing::new([0u8; 32]);
            getrandom::fill(secret.as_mut()).map_err(|_| KeyError::Rng)?;
            if let Ok(key) = Self::from_secret_bytes(algorithm, secret.as_ref()) {
                return Ok(key);
            }
        }
        Err(KeyError::Rng)
    }

    /// A key from its raw 32-byte secret: the Ed25519 seed, or the ECDSA scalar (big-endian).
    ///
    /// # Errors
    /// [`KeyError::Invalid`] for a wrong length or an invalid scalar.
    pub fn from_secret_bytes(algorithm: Algorithm, secret: &[u8]) -> Result<Self, KeyError> {
        match algorithm {
            Algorithm::Ed25519 => {
                let seed: &[u8; 32] = secret.try_into().map_err(|_| KeyError::Invalid)?;
                Ok(SigningKey::Ed25519(ed25519_dalek::SigningKey::from_bytes(
                    seed,
                )))
            }
            Algorithm::EcdsaP256 => p256::ecdsa::SigningKey::from_slice(secret)
                .map(SigningKey::P256)
                .map_err(|_| KeyError::Invalid),
            Algorithm::EcdsaSecp256k1 => k256::ecdsa::SigningKey::from_slice(secret)
                .map(SigningKey::K256)
                .map_err(|_| KeyError::Invalid),
        }
    }

    /// The raw 32-byte secret (see [`from_secret_bytes`](Self::from_secret_bytes)).
    pub fn expose_secret_bytes(&self) -> Zeroizing<[u8; 32]> {
        Zeroizing::new(match self {
            SigningKey::Ed25519(k) => k.to_bytes(),
            SigningKey::P256(k) => k.to_bytes().into(),
            SigningKey::K256(k) => k.to_bytes().into(),
        })
    }

    /// The algorithm this key signs with.
    pub fn algorithm(&self) -> Algorithm {
        match self {
            SigningKey::Ed25519(_) => Algorithm::Ed25519,
            SigningKey::P256(_) => Algorithm::EcdsaP256,
            SigningKey::K256(_) => Algorithm::EcdsaSecp256k1,
        }
    }

    /// The matching public key.
    pub fn verifying_key(&self) -> VerifyingKey {
        match self {
            SigningKey::Ed25519(k) => VerifyingKey::Ed25519(k.verifying_key()),
            SigningKey::P256(k) => VerifyingKey::P256(*k.verifying_key()),
            SigningKey::K256(k) => VerifyingKey::K256(*k.verifying_key()),
        }
    }

    /// The default key id, derived from the public key ([`VerifyingKey::kid`]).
    pub fn kid(&self) -> Kid {
        self.verifying_key().kid()
    }

    /// Signs `message`. Ed25519 and ECDSA (RFC 6979 nonces) are both deterministic. ECDSA
    /// signatures are written with low `s` (`s <= n/2`) on both curves (spec §3.4), so that
    /// every implementation following the spec reproduces the same bytes.
    pub fn sign(&self, message: &[u8]) -> Signature {
        use signature::Signer;
        match self {
            SigningKey::Ed25519(k) => Signature::from_bytes(k.sign(message).to_bytes()),
            SigningKey::P256(k) => {
                let sig: p256::ecdsa::Signature = k.sign(message);
                // p256 does not normalize (k256 does): RFC 6979 gives high `s` half the time.
                Signature::from_bytes(sig.normalize_s().to_bytes().into())
            }
            SigningKey::K256(k) => {
                let sig: k256::ecdsa::Signature = k.sign(message);
                Signature::from_bytes(sig.to_bytes().into())
            }
        }
    }

    /// Parses a PKCS#8 private key (`-----BEGIN PRIVATE KEY-----`) of any supported algorithm.
    ///
    /// # Errors
    /// [`KeyError::Unsupported`] when the PEM is not an Ed25519, P-256 or secp256k1 key.
    pub fn from_pkcs8_pem(pem: &str) -> Result<Self, KeyError> {
        if let Ok(k) = ed25519_dalek::SigningKey::from_pkcs8_pem(pem) {
            return Ok(SigningKey::Ed25519(k));
        }
        if let Ok(k) = p256::ecdsa::SigningKey::from_pkcs8_pem(pem) {
            return Ok(SigningKey::P256(k));
        }
        k256::ecdsa::SigningKey::from_pkcs8_pem(pem)
            .map(SigningKey::K256)
            .map_err(|_| KeyError::Unsupported("PKCS#8 private"))
    }

    /// Parses a DER PKCS#8 private key of any supported algorithm.
    ///
    /// # Errors
    /// [`KeyError::Unsupported`] when the DER is not an Ed25519, P-256 or secp256k1 key.
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self, KeyError> {
        if let Ok(k) = ed25519_dalek::SigningKey::from_pkcs8_der(der) {
            return Ok(SigningKey::Ed25519(k));
        }
        if let Ok(k) = p256::ecdsa::SigningKey::from_pkcs8_der(der) {
            return Ok(SigningKey::P256(k));
        }
        k256::ecdsa::SigningKey::from_pkcs8_der(der)
            .map(SigningKey::K256)
            .map_err(|_| KeyError::Unsupported("PKCS#8 private"))
    }

    /// Writes the key as PKCS#8 PEM, in a buffer that is wiped when dropped.
    ///
    /// # Errors
    /// [`KeyError::Encode`] if encoding fails.
    pub fn to_pkcs8_pem(&self) -> Result<Zeroizing<alloc::string::String>, KeyError> {
        match self {
            // PKCS#8 v1 (RFC 8410 without the optional public key): OpenSSL 3.0 and Python's
            // `cryptography` refuse the v2 form ed25519-dalek writes by default.
            SigningKey::Ed25519(k) => ed25519_dalek::ed25519::pkcs8::KeypairBytes {
                secret_key: k.to_bytes(),
                public_key: None,
            }
            .to_pkcs8_pem(LineEnding::LF),
            SigningKey::P256(k) => k.to_pkcs8_pem(LineEnding::LF),
            SigningKey::K256(k) => k.to_pkcs8_pem(LineEnding::LF),
        }
        .map_err(|_| KeyError::Encode)
    }

    /// Parses a private COSE_Key (with its `d` parameter).
    ///
    /// # Errors
    /// [`KeyError::CoseKey`] or [`KeyError::Invalid`] for missing or wrong parameters, or a
    /// private key that does not match its public coordinates.
    pub fn from_cose_key(bytes: &[u8]) -> Result<Self, KeyError> {
        cose_key::signing_key(bytes)
    }

    /// Encodes the key as a private COSE_Key, in a buffer that is wiped when dropped.
    ///
    /// # Errors
    /// [`KeyError::Encode`] if encoding fails.
    pub fn to_cose_key(&self) -> Result<Zeroizing<Vec<u8>>, KeyError> {
        let secret = self.expose_secret_bytes();
        let public = self.verifying_key();
        let parts = cose_key::signature_key_parts(&public, Some(secret.as_ref()));
        Ok(Zeroizing::new(cose_key::encode_parts(
            &parts,
            &public.kid(),
        )))
    }
}

impl signature::Signer<Signature> for SigningKey {
    fn try_sign(&self, message: &[u8]) -> Result<Signature, signature::Error> {
        Ok(self.sign(message))
    }
}

impl core::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // Only public facts: never the secret.
        f.debug_struct("SigningKey")
            .field("algorithm", &self.algorithm())
            .field("kid", &self.kid())
            .finish_non_exhaustive()
    }
}
