//! Key generation inside the token: the private key is created sensitive and not extractable,
//! so no one (payseal included) can read it out afterwards.

use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, ObjectClass};
use payseal::{Algorithm, KemKind, RecipientPublicKey, VerifyingKey};

use crate::error::{Pkcs11Error, from_ck};
use crate::public::{TokenPublicKey, spki_der};
use crate::signer::curve_for;
use crate::token::{self, Curve, ED25519_PARAMS, P256_PARAMS};
use crate::uri::Pkcs11Uri;

/// What a generated token key is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenKeyKind {
    /// A sender's signing key (Ed25519 or P-256).
    Signing(Algorithm),
    /// A recipient's decryption key (P-256 only, see [`TokenRecipientKey`](crate::TokenRecipientKey)).
    Recipient(KemKind),
}

/// Generates a key pair in the token the URI names, labelled with its `object=` (and `id=`),
/// and returns its public key. The private key has `CKA_SENSITIVE` and not `CKA_EXTRACTABLE`;
/// a signing key may only sign, a recipient key only derive.
///
/// # Errors
/// [`Pkcs11Error::ObjectExists`] when a key with that label or id is already there,
/// [`Pkcs11Error::UnsupportedKey`] for a kind the token path does not offer, and the errors of
/// logging in.
pub fn generate(uri: &Pkcs11Uri, kind: TokenKeyKind) -> Result<TokenPublicKey, Pkcs11Error> {
    let (curve, sign) = match kind {
        TokenKeyKind::Signing(algorithm) => (curve_for(algorithm)?, true),
        TokenKeyKind::Recipient(KemKind::P256) => (Curve::P256, false),
        TokenKeyKind::Recipient(_) => {
            return Err(Pkcs11Error::UnsupportedKey(
                "token recipient keys are P-256 (no X25519 key agreement in PKCS#11 2.40 tokens)",
            ));
        }
    };
    let session = token::login(uri)?;
    for class in [ObjectClass::PRIVATE_KEY, ObjectClass::PUBLIC_KEY] {
        if !session
            .find_objects(&token::selector(uri, class))
            .map_err(from_ck)?
            .is_empty()
        {
            return Err(Pkcs11Error::ObjectExists(token::describe(uri)));
        }
    }
    let (mechanism, params) = match curve {
        Curve::Ed25519 => (Mechanism::EccEdwardsKeyPairGen, ED25519_PARAMS),
        Curve::P256 => (Mechanism::EccKeyPairGen, P256_PARAMS),
    };
    let mut naming = Vec::new();
    if let Some(label) = uri.object() {
        naming.push(Attribute::Label(label.as_bytes().to_vec()));
    }
    if let Some(id) = uri.id() {
        naming.push(Attribute::Id(id.to_vec()));
    }
    let mut public = vec![
        Attribute::Token(true),
        Attribute::Private(false),
        Attribute::EcParams(params.to_vec()),
        Attribute::Verify(sign),
        Attribute::Derive(false),
    ];
    public.extend(naming.iter().cloned());
    let mut private = vec![
        Attribute::Token(true),
        Attribute::Private(true),
        Attribute::Sensitive(true),
        Attribute::Extractable(false),
        Attribute::Sign(sign),
        Attribute::Derive(!sign),
    ];
    private.extend(naming);
    let (public, _private) = session
        .generate_key_pair(&mechanism, &public, &private)
        .map_err(from_ck)?;
    let (curve, point) = token::public_point(&session, public)?;
    let bad = |_| Pkcs11Error::Malformed("public key");
    Ok(match kind {
        TokenKeyKind::Signing(_) => TokenPublicKey::Signing(
            VerifyingKey::from_public_key_der(&spki_der(curve, &point)).map_err(bad)?,
        ),
        TokenKeyKind::Recipient(kem) => {
            TokenPublicKey::Recipient(RecipientPublicKey::from_bytes(kem, &point).map_err(bad)?)
        }
    })
}
