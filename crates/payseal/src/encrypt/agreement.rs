//! Recipient keys held outside the process (an HSM, a TPM, a secure element): they do the
//! Diffie-Hellman step of HPKE's DHKEM, and the private key never enters payseal.

use alloc::vec::Vec;
use core::fmt;

use zeroize::Zeroizing;

use super::keys::RecipientPublicKey;
use super::suite::KemKind;
use crate::keys::Kid;

/// A recipient's private key that only agrees keys: the one private-key operation of HPKE
/// decapsulation (RFC 9180 §4.1, `DH(skR, pkE)`), done wherever the key lives.
///
/// Add it to a [`Keyring`](crate::Keyring) with
/// [`add_key_agreement`](crate::Keyring::add_key_agreement); the rest of HPKE (the KEM's
/// `ExtractAndExpand`, the key schedule, the AEAD) runs in-process on the `hpke` crate.
///
/// ```
/// use std::sync::Arc;
/// use payseal::{KemKind, KeyAgreement, KeyAgreementFailed, Keyring, RecipientPublicKey};
/// use zeroize::Zeroizing;
///
/// /// A token's key, as a driver would wrap it (here: refusing every request).
/// #[derive(Debug)]
/// struct Unplugged(RecipientPublicKey);
///
/// impl KeyAgreement for Unplugged {
///     fn public_key(&self) -> RecipientPublicKey {
///         self.0.clone()
///     }
///     fn diffie_hellman(&self, _peer: &[u8]) -> Result<Zeroizing<Vec<u8>>, KeyAgreementFailed> {
///         Err(KeyAgreementFailed)
///     }
/// }
///
/// let public = payseal::RecipientKey::generate(KemKind::P256)?.public_key();
/// let mut keyring = Keyring::new();
/// keyring.add_key_agreement(Arc::new(Unplugged(public)))?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait KeyAgreement: fmt::Debug + Send + Sync {
    /// The public half of the key: the HPKE recipient key `pkR`, and its kid.
    fn public_key(&self) -> RecipientPublicKey;

    /// `DH(skR, peer)`: for P-256 the 32-byte x-coordinate of the shared point, for X25519 the
    /// 32-byte X25519 output. `peer` is the sender's ephemeral public key as HPKE serializes it
    /// (the 65-byte uncompressed point, or 32 bytes), already checked to be a valid key.
    ///
    /// # Errors
    /// [`KeyAgreementFailed`] when the device refuses or is gone; the envelope is then
    /// rejected as [`Rejection::DecryptFailed`](crate::Rejection::DecryptFailed).
    fn diffie_hellman(&self, peer: &[u8]) -> Result<Zeroizing<Vec<u8>>, KeyAgreementFailed>;
}

/// A [`KeyAgreement`] could not agree a key. Deliberately without detail: a driver logs its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeyAgreementFailed;

impl fmt::Display for KeyAgreementFailed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("key agreement failed")
    }
}

impl core::error::Error for KeyAgreementFailed {}

/// The kid and KEM of an external key, from its public key.
pub(crate) fn describe(agent: &dyn KeyAgreement) -> (Kid, KemKind) {
    let public = agent.public_key();
    (public.kid(), public.kem())
}
