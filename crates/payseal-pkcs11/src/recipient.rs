//! Decrypting with a token key: HPKE decapsulation asks the token for `DH(skR, pkE)` through
//! `CKM_ECDH1_DERIVE`, and the private key never leaves it.

use std::sync::{Mutex, PoisonError};

use cryptoki::mechanism::Mechanism;
use cryptoki::mechanism::elliptic_curve::{EcKdf, Ecdh1DeriveParams};
use cryptoki::object::{Attribute, AttributeType, KeyType, ObjectClass, ObjectHandle};
use cryptoki::session::Session;
use payseal::{KemKind, KeyAgreement, KeyAgreementFailed, RecipientPublicKey};
use zeroize::Zeroizing;

use crate::error::{Pkcs11Error, from_ck};
use crate::token::{self, Curve};
use crate::uri::Pkcs11Uri;

/// A P-256 recipient key in a PKCS#11 token. Add it to a receiver's keyring with
/// [`Keyring::add_key_agreement`](payseal::Keyring::add_key_agreement).
///
/// X25519 is not offered: PKCS#11 3.0 keeps X25519 keys as `CKK_EC_MONTGOMERY`, which
/// SoftHSM2 2.6 (the token the tests run against) cannot generate or derive with.
pub struct TokenRecipientKey {
    session: Mutex<Session>,
    handle: ObjectHandle,
    public: RecipientPublicKey,
}

impl TokenRecipientKey {
    /// Opens the key a URI names (see [`TokenSigningKey::open`](crate::TokenSigningKey::open)).
    ///
    /// # Errors
    /// As [`TokenSigningKey::open`](crate::TokenSigningKey::open);
    /// [`Pkcs11Error::UnsupportedKey`] for a key that is not P-256.
    pub fn open(uri: &Pkcs11Uri) -> Result<Self, Pkcs11Error> {
        let session = token::login(uri)?;
        let handle = token::find_one(&session, uri, ObjectClass::PRIVATE_KEY)?;
        let public = token::find_one(&session, uri, ObjectClass::PUBLIC_KEY)?;
        let public = match token::public_point(&session, public)? {
            (Curve::P256, point) => RecipientPublicKey::from_bytes(KemKind::P256, &point)
                .map_err(|_| Pkcs11Error::Malformed("public key"))?,
            (Curve::Ed25519, _) => {
                return Err(Pkcs11Error::UnsupportedKey(
                    "an Ed25519 key signs; recipient keys are P-256",
                ));
            }
        };
        Ok(TokenRecipientKey {
            session: Mutex::new(session),
            handle,
            public,
        })
    }

    /// The private key's protection attributes, as the token reports them.
    ///
    /// # Errors
    /// [`Pkcs11Error::TokenRemoved`] or [`Pkcs11Error::Device`].
    pub fn protection(&self) -> Result<crate::KeyProtection, Pkcs11Error> {
        let session = self.session.lock().unwrap_or_else(PoisonError::into_inner);
        crate::protection::read(&session, self.handle)
    }

    /// `DH(skR, peer)` in the token: the shared point's x-coordinate (32 bytes).
    ///
    /// The token derives it as a session object (not on the token, extractable so it can be
    /// read back) and it is destroyed at once. This value is per message (the sender's key is
    /// ephemeral); the long-term key never leaves the token.
    ///
    /// # Errors
    /// [`Pkcs11Error::TokenRemoved`] when the token is gone, [`Pkcs11Error::Device`] when it
    /// refuses the peer key.
    pub fn derive(&self, peer: &[u8]) -> Result<Zeroizing<Vec<u8>>, Pkcs11Error> {
        let session = self.session.lock().unwrap_or_else(PoisonError::into_inner);
        let params = Ecdh1DeriveParams::new(EcKdf::null(), peer);
        let template = [
            Attribute::Class(ObjectClass::SECRET_KEY),
            Attribute::KeyType(KeyType::GENERIC_SECRET),
            Attribute::ValueLen(32.into()),
            Attribute::Token(false),
            Attribute::Sensitive(false),
            Attribute::Extractable(true),
        ];
        let derived = session
            .derive_key(&Mechanism::Ecdh1Derive(params), self.handle, &template)
            .map_err(from_ck)?;
        let value = session.get_attributes(derived, &[AttributeType::Value]);
        // Destroyed whatever the read gave: a shared secret does not outlive its message.
        let destroyed = session.destroy_object(derived);
        let mut secret = None;
        for attribute in value.map_err(from_ck)? {
            if let Attribute::Value(bytes) = attribute {
                secret = Some(Zeroizing::new(bytes));
            }
        }
        destroyed.map_err(from_ck)?;
        secret
            .filter(|s| s.len() == 32)
            .ok_or(Pkcs11Error::Malformed("ECDH output"))
    }
}

impl KeyAgreement for TokenRecipientKey {
    fn public_key(&self) -> RecipientPublicKey {
        self.public.clone()
    }

    fn diffie_hellman(&self, peer: &[u8]) -> Result<Zeroizing<Vec<u8>>, KeyAgreementFailed> {
        self.derive(peer).map_err(|e| {
            // The opener reports `DecryptFailed`; the cause is logged here.
            tracing::warn!(reason = e.reason(), error = %e, "PKCS#11 key agreement failed");
            KeyAgreementFailed
        })
    }
}

impl std::fmt::Debug for TokenRecipientKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenRecipientKey")
            .field("kid", &self.public.kid())
            .finish_non_exhaustive()
    }
}
