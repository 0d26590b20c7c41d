//! Public keys read from a token, as SPKI (RFC 5280) for the core's parsers and for export.

use payseal::{RecipientPublicKey, VerifyingKey};

use crate::token::Curve;

/// SPKI DER prefix of an Ed25519 key (RFC 8410): SEQUENCE { id-Ed25519 }, BIT STRING (33).
const ED25519_SPKI: &[u8] = &[
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
];
/// SPKI DER prefix of a P-256 key (RFC 5480): id-ecPublicKey, prime256v1, BIT STRING (66).
const P256_SPKI: &[u8] = &[
    0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a,
    0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
];

/// The SPKI DER of a point of `curve` (32 bytes Ed25519, 65 bytes uncompressed P-256).
pub(crate) fn spki_der(curve: Curve, point: &[u8]) -> Vec<u8> {
    let prefix = match curve {
        Curve::Ed25519 => ED25519_SPKI,
        Curve::P256 => P256_SPKI,
    };
    [prefix, point].concat()
}

/// A token key's public half: what `payseal keygen --pkcs11` exports.
#[derive(Clone, Debug)]
pub enum TokenPublicKey {
    /// A signing key's (Ed25519 or P-256).
    Signing(VerifyingKey),
    /// A recipient (HPKE, P-256) key's.
    Recipient(RecipientPublicKey),
}

impl TokenPublicKey {
    /// The key as SPKI PEM (`-----BEGIN PUBLIC KEY-----`), as payseal's key files hold it.
    ///
    /// # Errors
    /// [`payseal::KeyError::Encode`] if encoding fails.
    pub fn to_public_key_pem(&self) -> Result<String, payseal::KeyError> {
        match self {
            TokenPublicKey::Signing(key) => key.to_public_key_pem(),
            TokenPublicKey::Recipient(key) => key.to_public_key_pem(),
        }
    }

    /// The key id receivers and senders know the key by (the core's derivation).
    pub fn kid(&self) -> payseal::Kid {
        match self {
            TokenPublicKey::Signing(key) => key.kid(),
            TokenPublicKey::Recipient(key) => key.kid(),
        }
    }
}
