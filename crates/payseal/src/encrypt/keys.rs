//! Recipient keys: who can decrypt. X25519 or P-256, in PKCS#8/SPKI PEM or COSE_Key.

use alloc::string::String;
use alloc::vec::Vec;

use hpke::kem::{DhP256HkdfSha256, X25519HkdfSha256};
use hpke::{Deserializable, Kem as _, Serializable};
use p256::elliptic_curve::sec1::ToSec1Point;
use p256::pkcs8::{
    DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey, LineEnding,
};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::suite::KemKind;
use super::x25519_der::{X25519Public, X25519Secret};
use crate::error::KeyError;
use crate::keys::Kid;
use crate::keys::cose_key::{self, KeyParts};

/// A subscriber's private key for decrypting (HPKE). Wiped on drop; `Debug` shows only the
/// kind and key id.
#[derive(Clone)]
pub enum RecipientKey {
    /// An X25519 key.
    X25519(Zeroizing<[u8; 32]>),
    /// A P-256 key.
    P256(p256::SecretKey),
}

/// A subscriber's public key, to encrypt to.
#[derive(Clone, PartialEq, Eq)]
pub enum RecipientPublicKey {
    /// An X25519 key.
    X25519([u8; 32]),
    /// A P-256 key.
    P256(p256::PublicKey),
}

impl RecipientKey {
    /// Generates a key from the operating system's RNG.
    ///
    /// # Errors
    /// [`KeyError::Rng`] if the OS RNG fails.
    ///
    /// ```
    /// use payseal::{KemKind, RecipientKey};
    /// let key = RecipientKey::generate(KemKind::X25519)?;
    /// assert_eq!(key.public_key().kem(), KemKind::X25519);
    /// # Ok::<(), payseal::KeyError>(())
    /// ```
    #[cfg(feature = "std")]
    pub fn generate(kem: KemKind) -> Result<Self, KeyError> {
        for _ in 0..16 {
            let mut secret = Zeroizing::new([0u8; 32]);
            getrandom::fill(secret.as_mut()).map_err(|_| KeyError::Rng)?;
            if let Ok(key) = Self::from_secret_bytes(kem, secret.as_ref()) {
                return Ok(key);
            }
        }
        Err(KeyError::Rng)
    }

    /// A key from its 32 secret bytes (X25519 scalar bytes, or the P-256 scalar big-endian).
    ///
    /// # Errors
    /// [`KeyError::Invalid`] for a wrong length or an invalid P-256 scalar.
    pub fn from_secret_bytes(kem: KemKind, secret: &[u8]) -> Result<Self, KeyError> {
        match kem {
            KemKind::X25519 => {
                let bytes: [u8; 32] = secret.try_into().map_err(|_| KeyError::Invalid)?;
                Ok(RecipientKey::X25519(Zeroizing::new(bytes)))
            }
            KemKind::P256 => p256::SecretKey::from_slice(secret)
                .map(RecipientKey::P256)
                .map_err(|_| KeyError::Invalid),
        }
    }

    /// The 32 secret bytes, in a buffer wiped on drop.
    pub fn expose_secret_bytes(&self) -> Zeroizing<[u8; 32]> {
        Zeroizing::new(match self {
            RecipientKey::X25519(k) => **k,
            RecipientKey::P256(k) => k.to_bytes().into(),
        })
    }

    /// The key-agreement curve.
    pub fn kem(&self) -> KemKind {
        match self {
            RecipientKey::X25519(_) => KemKind::X25519,
            RecipientKey::P256(_) => KemKind::P256,
        }
    }

    /// The matching public key.
    pub fn public_key(&self) -> RecipientPublicKey {
        match self {
            RecipientKey::X25519(secret) => {
                let public =
                    <X25519HkdfSha256 as hpke::Kem>::PrivateKey::from_bytes(secret.as_ref())
                        .map(|sk| X25519HkdfSha256::sk_to_pk(&sk).to_bytes());
                // 32 bytes are always a valid X25519 private key (RFC 7748 clamps them).
                let mut bytes = [0u8; 32];
                if let Ok(public) = public {
                    bytes.copy_from_slice(&public);
                }
                RecipientPublicKey::X25519(bytes)
            }
            RecipientKey::P256(secret) => RecipientPublicKey::P256(secret.public_key()),
        }
    }

    /// The default key id ([`RecipientPublicKey::kid`]).
    pub fn kid(&self) -> Kid {
        self.public_key().kid()
    }

    /// Parses a PKCS#8 private key (`-----BEGIN PRIVATE KEY-----`): X25519 or P-256.
    ///
    /// # Errors
    /// [`KeyError::Unsupported`] for any other key.
    pub fn from_pkcs8_pem(pem: &str) -> Result<Self, KeyError> {
        if let Ok(k) = X25519Secret::from_pkcs8_pem(pem) {
            return Ok(RecipientKey::X25519(k.0));
        }
        p256::SecretKey::from_pkcs8_pem(pem)
            .map(RecipientKey::P256)
            .map_err(|_| KeyError::Unsupported("X25519 or P-256 PKCS#8 private"))
    }

    /// Writes the key as PKCS#8 PEM, in a buffer wiped on drop.
    ///
    /// # Errors
    /// [`KeyError::Encode`] if encoding fails.
    pub fn to_pkcs8_pem(&self) -> Result<Zeroizing<String>, KeyError> {
        match self {
            RecipientKey::X25519(k) => X25519Secret(k.clone()).to_pkcs8_pem(LineEnding::LF),
            RecipientKey::P256(k) => k.to_pkcs8_pem(LineEnding::LF),
        }
        .map_err(|_| KeyError::Encode)
    }

    /// Parses a private COSE_Key (OKP X25519 or EC2 P-256, with `d`).
    ///
    /// # Errors
    /// [`KeyError::CoseKey`] or [`KeyError::Invalid`].
    pub fn from_cose_key(bytes: &[u8]) -> Result<Self, KeyError> {
        let parts = cose_key::parse_parts(bytes)?;
        let kem = kem_of(&parts)?;
        let d = parts.d.as_ref().ok_or(KeyError::CoseKey("missing d"))?;
        let key = Self::from_secret_bytes(kem, d)?;
        if key.public_key() != RecipientPublicKey::from_parts(&parts)? {
            return Err(KeyError::CoseKey("d does not match the public key"));
        }
        Ok(key)
    }

    /// Encodes the key as a private COSE_Key, in a buffer wiped on drop.
    pub fn to_cose_key(&self) -> Zeroizing<Vec<u8>> {
        let public = self.public_key();
        let mut parts = public.parts();
        parts.d = Some(Zeroizing::new(self.expose_secret_bytes().to_vec()));
        Zeroizing::new(cose_key::encode_parts(&parts, &public.kid()))
    }
}

impl RecipientPublicKey {
    /// The key-agreement curve.
    pub fn kem(&self) -> KemKind {
        match self {
            RecipientPublicKey::X25519(_) => KemKind::X25519,
            RecipientPublicKey::P256(_) => KemKind::P256,
        }
    }

    /// The key as HPKE serializes it: 32 bytes (X25519) or the 65-byte uncompressed point.
    pub fn to_bytes(&self) -> Vec<u8> {
        match self {
            RecipientPublicKey::X25519(k) => k.to_vec(),
            RecipientPublicKey::P256(k) => k.to_sec1_point(false).as_bytes().to_vec(),
        }
    }

    /// Parses [`to_bytes`](Self::to_bytes) output.
    ///
    /// # Errors
    /// [`KeyError::Invalid`] if the bytes are not a valid key of that curve.
    pub fn from_bytes(kem: KemKind, bytes: &[u8]) -> Result<Self, KeyError> {
        match kem {
            KemKind::X25519 => <X25519HkdfSha256 as hpke::Kem>::PublicKey::from_bytes(bytes)
                .ok()
                .and_then(|_| bytes.try_into().ok())
                .map(RecipientPublicKey::X25519)
                .ok_or(KeyError::Invalid),
            KemKind::P256 => <DhP256HkdfSha256 as hpke::Kem>::PublicKey::from_bytes(bytes)
                .ok()
                .and_then(|_| p256::PublicKey::from_sec1_bytes(bytes).ok())
                .map(RecipientPublicKey::P256)
                .ok_or(KeyError::Invalid),
        }
    }

    /// Parses an SPKI public key (`-----BEGIN PUBLIC KEY-----`): X25519 or P-256.
    ///
    /// # Errors
    /// [`KeyError::Unsupported`] for any other key.
    pub fn from_public_key_pem(pem: &str) -> Result<Self, KeyError> {
        if let Ok(k) = X25519Public::from_public_key_pem(pem) {
            return Ok(RecipientPublicKey::X25519(k.0));
        }
        p256::PublicKey::from_public_key_pem(pem)
            .map(RecipientPublicKey::P256)
            .map_err(|_| KeyError::Unsupported("X25519 or P-256 SPKI public"))
    }

    /// Writes the key as SPKI PEM.
    ///
    /// # Errors
    /// [`KeyError::Encode`] if encoding fails.
    pub fn to_public_key_pem(&self) -> Result<String, KeyError> {
        match self {
            RecipientPublicKey::X25519(k) => X25519Public(*k).to_public_key_pem(LineEnding::LF),
            RecipientPublicKey::P256(k) => k.to_public_key_pem(LineEnding::LF),
        }
        .map_err(|_| KeyError::Encode)
    }

    /// Parses a public COSE_Key (OKP X25519 or EC2 P-256).
    ///
    /// # Errors
    /// [`KeyError::CoseKey`] or [`KeyError::Invalid`].
    pub fn from_cose_key(bytes: &[u8]) -> Result<Self, KeyError> {
        Self::from_parts(&cose_key::parse_parts(bytes)?)
    }

    /// Encodes the key as a public COSE_Key with its `kid`.
    pub fn to_cose_key(&self) -> Vec<u8> {
        cose_key::encode_parts(&self.parts(), &self.kid())
    }

    /// The RFC 9679 COSE Key Thumbprint (SHA-256).
    pub fn thumbprint(&self) -> [u8; 32] {
        let parts = self.parts();
        Sha256::digest(cose_key::thumbprint_input(
            parts.kty, parts.crv, &parts.x, &parts.y,
        ))
        .into()
    }

    /// The default key id: the first 8 bytes of the thumbprint.
    pub fn kid(&self) -> Kid {
        let digest = self.thumbprint();
        Kid::from_checked(digest.get(..Kid::DERIVED_LEN).unwrap_or_default().to_vec())
    }

    fn parts(&self) -> KeyParts {
        let (kty, crv, x, y) = match self {
            RecipientPublicKey::X25519(k) => (
                cose_key::KTY_OKP,
                cose_key::CRV_X25519,
                k.to_vec(),
                Vec::new(),
            ),
            RecipientPublicKey::P256(k) => {
                let point = k.to_sec1_point(false);
                let coords = point.as_bytes().get(1..).unwrap_or_default();
                let (x, y) = coords.split_at(coords.len() / 2);
                (
                    cose_key::KTY_EC2,
                    cose_key::CRV_P256,
                    x.to_vec(),
                    y.to_vec(),
                )
            }
        };
        KeyParts {
            kty,
            crv,
            alg: None,
            x,
            y,
            d: None,
        }
    }

    fn from_parts(parts: &KeyParts) -> Result<Self, KeyError> {
        match kem_of(parts)? {
            KemKind::X25519 => Self::from_bytes(KemKind::X25519, &parts.x),
            KemKind::P256 => Self::from_bytes(KemKind::P256, &cose_key::sec1(parts)),
        }
    }
}

/// The KEM of COSE_Key parts; a present `alg` must be an HPKE suite of that KEM.
fn kem_of(parts: &KeyParts) -> Result<KemKind, KeyError> {
    let kem = match (parts.kty, parts.crv) {
        (cose_key::KTY_OKP, cose_key::CRV_X25519) => KemKind::X25519,
        (cose_key::KTY_EC2, cose_key::CRV_P256) => KemKind::P256,
        _ => return Err(KeyError::CoseKey("not an X25519 or P-256 key")),
    };
    if let Some(alg) = parts.alg {
        let suite = super::HpkeSuite::from_integrated_id(alg)
            .or_else(|| super::HpkeSuite::from_key_encryption_id(alg));
        if suite.map(super::HpkeSuite::kem) != Some(kem) {
            return Err(KeyError::CoseKey(
                "alg is not an HPKE suite of this key's curve",
            ));
        }
    }
    Ok(kem)
}

impl core::fmt::Debug for RecipientKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("RecipientKey")
            .field("kem", &self.kem())
            .field("kid", &self.kid())
            .finish_non_exhaustive()
    }
}

impl core::fmt::Debug for RecipientPublicKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("RecipientPublicKey")
            .field("kem", &self.kem())
            .field("kid", &self.kid())
            .finish()
    }
}
