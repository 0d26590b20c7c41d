//! Keys in PKCS#11 tokens on the command line: an RFC 7512 `pkcs11:` URI wherever a key file
//! is taken (`seal`, `pub`, `open`, `sub`), and `keygen --pkcs11`. The PIN comes from the
//! URI's `pin-source=file:...` or `PAYSEAL_PKCS11_PIN`, never from an argument.

use std::path::Path;

use payseal::{Algorithm, Keyring, Kid, SealingKey, Signature, SigningKey, VerifyingKey};

use crate::Failure;

/// Whether a `--key` argument is a `pkcs11:` URI rather than a file.
pub(crate) fn is_uri(key: &Path) -> bool {
    key.to_str().is_some_and(|s| s.starts_with("pkcs11:"))
}

/// The key `seal`/`pub` sign with: a key file's, or a token's.
#[derive(Debug)]
pub(crate) enum CliSigningKey {
    /// A private key read from a PEM file.
    File(SigningKey),
    /// A key that stays in a PKCS#11 token.
    #[cfg(feature = "pkcs11")]
    Token(payseal_pkcs11::TokenSigningKey),
}

impl CliSigningKey {
    /// The public half, whichever holds the private key (a certificate must certify it).
    pub(crate) fn verifying_key(&self) -> VerifyingKey {
        match self {
            CliSigningKey::File(key) => key.verifying_key(),
            #[cfg(feature = "pkcs11")]
            CliSigningKey::Token(key) => key.verifying_key().clone(),
        }
    }
}

impl signature::Signer<Signature> for CliSigningKey {
    fn try_sign(&self, message: &[u8]) -> Result<Signature, signature::Error> {
        match self {
            CliSigningKey::File(key) => key.try_sign(message),
            #[cfg(feature = "pkcs11")]
            CliSigningKey::Token(key) => key.try_sign(message),
        }
    }
}

impl SealingKey for CliSigningKey {
    fn algorithm(&self) -> Algorithm {
        match self {
            CliSigningKey::File(key) => key.algorithm(),
            #[cfg(feature = "pkcs11")]
            CliSigningKey::Token(key) => SealingKey::algorithm(key),
        }
    }

    fn kid(&self) -> Kid {
        match self {
            CliSigningKey::File(key) => key.kid(),
            #[cfg(feature = "pkcs11")]
            CliSigningKey::Token(key) => SealingKey::kid(key),
        }
    }
}

#[cfg(feature = "pkcs11")]
mod enabled {
    use std::path::Path;
    use std::sync::Arc;

    use payseal::{Algorithm, KemKind, Keyring};
    use payseal_pkcs11::{
        Pkcs11Error, Pkcs11Uri, TokenKeyKind, TokenRecipientKey, TokenSigningKey,
    };

    use super::CliSigningKey;
    use crate::Failure;
    use crate::cli::{KeyAlg, KeygenArgs};
    use crate::keyfile;

    fn parse(key: &Path) -> Result<Pkcs11Uri, Failure> {
        let text = key.to_str().unwrap_or_default();
        text.parse()
            .map_err(|e| Failure::BadInput(format!("'{text}': {e}")))
    }

    fn failed(uri: &Pkcs11Uri, e: &Pkcs11Error) -> Failure {
        Failure::BadInput(format!("{uri}: {} ({e})", e.reason()))
    }

    pub(crate) fn signing_key(key: &Path) -> Result<CliSigningKey, Failure> {
        let uri = parse(key)?;
        TokenSigningKey::open(&uri)
            .map(CliSigningKey::Token)
            .map_err(|e| failed(&uri, &e))
    }

    pub(crate) fn add_recipient(keyring: &mut Keyring, key: &Path) -> Result<(), Failure> {
        let uri = parse(key)?;
        let token = TokenRecipientKey::open(&uri).map_err(|e| failed(&uri, &e))?;
        keyring
            .add_key_agreement(Arc::new(token))
            .map(|_| ())
            .map_err(|e| Failure::BadInput(format!("{uri}: {e}")))
    }

    /// `keygen --pkcs11 URI --alg ed25519|p256 [--recipient] --out KEY.pub`: the key pair is
    /// made in the token; only the public key is written.
    pub(crate) fn keygen(args: &KeygenArgs, uri: &str) -> Result<(), Failure> {
        let uri = parse(Path::new(uri))?;
        let kind = match (args.alg, args.recipient) {
            (KeyAlg::Ed25519, false) => TokenKeyKind::Signing(Algorithm::Ed25519),
            (KeyAlg::P256, false) => TokenKeyKind::Signing(Algorithm::EcdsaP256),
            (KeyAlg::P256, true) => TokenKeyKind::Recipient(KemKind::P256),
            _ => {
                return Err(Failure::Usage(
                    "--pkcs11 makes ed25519 or p256 signing keys, or p256 --recipient \
                     decryption keys"
                        .into(),
                ));
            }
        };
        if args.out.exists() {
            return Err(Failure::Io(format!(
                "'{}' exists; refusing to overwrite a key",
                args.out.display()
            )));
        }
        let public = payseal_pkcs11::generate(&uri, kind).map_err(|e| failed(&uri, &e))?;
        let pem = public
            .to_public_key_pem()
            .map_err(|e| Failure::BadInput(format!("public key: {e}")))?;
        keyfile::write_public(&args.out, &pem)?;
        eprintln!(
            "made the key pair in the token ({uri}); wrote its public key to {}",
            args.out.display()
        );
        println!("{}", public.kid());
        Ok(())
    }
}

#[cfg(not(feature = "pkcs11"))]
mod enabled {
    use std::path::Path;

    use payseal::Keyring;

    use super::CliSigningKey;
    use crate::Failure;
    use crate::cli::KeygenArgs;

    fn unavailable() -> Failure {
        Failure::Usage("this payseal was built without the `pkcs11` feature".into())
    }

    pub(crate) fn signing_key(_key: &Path) -> Result<CliSigningKey, Failure> {
        Err(unavailable())
    }

    pub(crate) fn add_recipient(_keyring: &mut Keyring, _key: &Path) -> Result<(), Failure> {
        Err(unavailable())
    }

    pub(crate) fn keygen(_args: &KeygenArgs, _uri: &str) -> Result<(), Failure> {
        Err(unavailable())
    }
}

/// Opens the signing key a `pkcs11:` URI names.
///
/// # Errors
/// [`Failure::BadInput`] naming the token's failure (wrong PIN, no such key, ...).
pub(crate) fn signing_key(key: &Path) -> Result<CliSigningKey, Failure> {
    enabled::signing_key(key)
}

/// Adds the token key a `pkcs11:` URI names to `keyring`, to decrypt with.
///
/// # Errors
/// As [`signing_key`].
pub(crate) fn add_recipient(keyring: &mut Keyring, key: &Path) -> Result<(), Failure> {
    enabled::add_recipient(keyring, key)
}

pub(crate) use enabled::keygen;
