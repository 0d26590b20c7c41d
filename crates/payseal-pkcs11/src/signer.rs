//! Signing with a token key: a [`SealingKey`] whose private half stays in the token.

use std::sync::{Mutex, PoisonError};

use cryptoki::mechanism::Mechanism;
use cryptoki::mechanism::eddsa::{EddsaParams, EddsaSignatureScheme};
use cryptoki::object::{ObjectClass, ObjectHandle};
use cryptoki::session::Session;
use payseal::{Algorithm, Kid, SealingKey, Signature, VerifyingKey};
use sha2::{Digest, Sha256};

use crate::error::{Pkcs11Error, from_ck};
use crate::token::{self, Curve};
use crate::uri::Pkcs11Uri;

/// A signing key in a PKCS#11 token: Ed25519 (`CKM_EDDSA`) or ECDSA P-256 (`CKM_ECDSA` over a
/// SHA-256 digest computed here). Seal with it like any [`SealingKey`]:
/// `Sealer::new(TokenSigningKey::open(&uri)?, ...)`.
///
/// Its kid is the core's, derived from the token's public key ([`VerifyingKey::kid`]), so
/// receivers trust it from the exported SPKI file as they would any key.
pub struct TokenSigningKey {
    session: Mutex<Session>,
    handle: ObjectHandle,
    public: VerifyingKey,
}

impl TokenSigningKey {
    /// Opens the key a URI names: loads the module, finds the token, logs in with the PIN
    /// (from `pin-source=` or `PAYSEAL_PKCS11_PIN`), and reads the public key.
    ///
    /// # Errors
    /// [`Pkcs11Error::TokenNotFound`], [`Pkcs11Error::WrongPin`],
    /// [`Pkcs11Error::ObjectNotFound`], [`Pkcs11Error::UnsupportedKey`] and the others of
    /// [`Pkcs11Error`].
    pub fn open(uri: &Pkcs11Uri) -> Result<Self, Pkcs11Error> {
        let session = token::login(uri)?;
        let handle = token::find_one(&session, uri, ObjectClass::PRIVATE_KEY)?;
        let public = token::find_one(&session, uri, ObjectClass::PUBLIC_KEY)?;
        let public = verifying_key(&session, public)?;
        Ok(TokenSigningKey {
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

    /// The public key, as receivers trust it.
    pub fn verifying_key(&self) -> &VerifyingKey {
        &self.public
    }

    /// Signs `message` in the token. ECDSA signatures come back with low `s` (spec §3.4).
    ///
    /// # Errors
    /// [`Pkcs11Error::TokenRemoved`] when the token is gone, [`Pkcs11Error::Malformed`] for a
    /// signature of the wrong shape, [`Pkcs11Error::Device`] otherwise.
    pub fn sign_in_token(&self, message: &[u8]) -> Result<Signature, Pkcs11Error> {
        let session = self.session.lock().unwrap_or_else(PoisonError::into_inner);
        let raw = match self.public.algorithm() {
            Algorithm::Ed25519 => session.sign(
                &Mechanism::Eddsa(EddsaParams::new(EddsaSignatureScheme::Pure)),
                self.handle,
                message,
            ),
            _ => session.sign(&Mechanism::Ecdsa, self.handle, &Sha256::digest(message)),
        }
        .map_err(from_ck)?;
        drop(session);
        let signature = match self.public.algorithm() {
            Algorithm::Ed25519 => Signature::from_slice(&raw),
            // PKCS#11 gives r || s, fixed 32 + 32 bytes: COSE's form already. The token may
            // pick high `s`; the spec says senders write low `s`, as the core's P-256 signer.
            _ => p256::ecdsa::Signature::from_slice(&raw)
                .ok()
                .map(|sig| sig.normalize_s())
                .and_then(|sig| Signature::from_slice(&sig.to_bytes())),
        };
        signature.ok_or(Pkcs11Error::Malformed("signature"))
    }
}

/// The token's public key as the core's [`VerifyingKey`] (through its SPKI, so that every
/// check the core makes on a key file is made on it).
fn verifying_key(session: &Session, public: ObjectHandle) -> Result<VerifyingKey, Pkcs11Error> {
    let (curve, point) = token::public_point(session, public)?;
    let spki = crate::public::spki_der(curve, &point);
    VerifyingKey::from_public_key_der(&spki).map_err(|_| Pkcs11Error::Malformed("public key"))
}

impl signature::Signer<Signature> for TokenSigningKey {
    fn try_sign(&self, message: &[u8]) -> Result<Signature, signature::Error> {
        self.sign_in_token(message).map_err(|e| {
            // The sealer reports `SealError::Signing`; the cause is logged here.
            tracing::warn!(reason = e.reason(), error = %e, "PKCS#11 signing failed");
            signature::Error::new()
        })
    }
}

impl SealingKey for TokenSigningKey {
    fn algorithm(&self) -> Algorithm {
        self.public.algorithm()
    }

    fn kid(&self) -> Kid {
        self.public.kid()
    }
}

impl std::fmt::Debug for TokenSigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenSigningKey")
            .field("algorithm", &self.public.algorithm())
            .field("kid", &self.public.kid())
            .finish_non_exhaustive()
    }
}

/// Which curve a signing algorithm needs in the token.
pub(crate) fn curve_for(algorithm: Algorithm) -> Result<Curve, Pkcs11Error> {
    match algorithm {
        Algorithm::Ed25519 => Ok(Curve::Ed25519),
        Algorithm::EcdsaP256 => Ok(Curve::P256),
        _ => Err(Pkcs11Error::UnsupportedKey(
            "token signing keys are Ed25519 or P-256",
        )),
    }
}
