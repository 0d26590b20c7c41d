//! Key files: PKCS#8 PEM private keys and SPKI PEM public keys, told apart by their content
//! so that a key of the wrong kind gets an error that names what it is and what was needed.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};

use payseal::{
    Algorithm, KemKind, KeyError, Kid, RecipientKey, RecipientPublicKey, SigningKey, VerifyingKey,
};
use zeroize::Zeroizing;

use crate::Failure;

/// Any key payseal uses, as found in a file.
#[derive(Debug)]
pub enum AnyKey {
    /// A private signing key (sender).
    Signing(SigningKey),
    /// A public signing key (a sender, as a receiver trusts it).
    Verifying(VerifyingKey),
    /// A private HPKE key (a recipient decrypting).
    Recipient(RecipientKey),
    /// A public HPKE key (a recipient, as a sender encrypts to it).
    RecipientPublic(RecipientPublicKey),
}

impl AnyKey {
    /// Parses PEM text. A P-256 key is taken as a signing key: both kinds share one file format.
    ///
    /// # Errors
    /// A one-line description when the text is no supported key.
    pub fn from_pem(pem: &str) -> Result<Self, String> {
        if pem.contains("-----BEGIN PRIVATE KEY-----") {
            if let Ok(key) = SigningKey::from_pkcs8_pem(pem) {
                return Ok(AnyKey::Signing(key));
            }
            return RecipientKey::from_pkcs8_pem(pem)
                .map(AnyKey::Recipient)
                .map_err(|e| format!("not a usable private key ({e})"));
        }
        if pem.contains("-----BEGIN PUBLIC KEY-----") {
            match VerifyingKey::from_public_key_pem(pem) {
                Ok(key) => return Ok(AnyKey::Verifying(key)),
                // An Ed25519 key, but a small-order one: say so, rather than that it is no
                // encryption key either.
                Err(e @ KeyError::WeakKey) => return Err(format!("refused: {e}")),
                Err(_) => {}
            }
            return RecipientPublicKey::from_public_key_pem(pem)
                .map(AnyKey::RecipientPublic)
                .map_err(|e| format!("not a usable public key ({e})"));
        }
        Err("not a PEM key file (expected PKCS#8 'PRIVATE KEY' or SPKI 'PUBLIC KEY')".into())
    }

    /// What the key is, for messages: `"Ed25519 private signing key"`.
    pub fn describe(&self) -> String {
        match self {
            AnyKey::Signing(k) => format!("{} private signing key", alg_label(k.algorithm())),
            AnyKey::Verifying(k) => format!("{} public signing key", alg_label(k.algorithm())),
            AnyKey::Recipient(k) => format!("{} private encryption key", kem_label(k.kem())),
            AnyKey::RecipientPublic(k) => {
                format!("{} public encryption key", kem_label(k.kem()))
            }
        }
    }

    /// The key id (RFC 9679 thumbprint prefix) of the key or its public half.
    pub fn kid(&self) -> Kid {
        match self {
            AnyKey::Signing(k) => k.kid(),
            AnyKey::Verifying(k) => k.kid(),
            AnyKey::Recipient(k) => k.kid(),
            AnyKey::RecipientPublic(k) => k.kid(),
        }
    }
}

/// Reads a key file of any kind.
///
/// # Errors
/// [`Failure::Io`] if the file cannot be read, [`Failure::BadInput`] if it holds no key.
pub fn read_any(path: &Path) -> Result<AnyKey, Failure> {
    let text = read_text(path)?;
    if crate::macfile::MacFile::looks_like(&text) {
        return Err(Failure::BadInput(format!(
            "'{}' is a MAC key file: it is used by seal/pub --key and a trust file's [[mac_sender]] secret",
            path.display()
        )));
    }
    AnyKey::from_pem(&text).map_err(|e| Failure::BadInput(format!("'{}': {e}", path.display())))
}

/// Reads a private signing key (for sealing and publishing).
///
/// # Errors
/// As [`read_any`], and [`Failure::BadInput`] naming the key found if it is another kind.
pub fn read_signing_key(path: &Path) -> Result<SigningKey, Failure> {
    match read_any(path)? {
        AnyKey::Signing(key) => Ok(key),
        other => Err(wrong_kind(
            path,
            &other,
            "a private signing key (ed25519, p256, k256)",
        )),
    }
}

/// Reads a public signing key (a sender a receiver trusts).
///
/// # Errors
/// As [`read_signing_key`].
pub fn read_verifying_key(path: &Path) -> Result<VerifyingKey, Failure> {
    match read_any(path)? {
        AnyKey::Verifying(key) => Ok(key),
        AnyKey::Signing(key) => Err(Failure::BadInput(format!(
            "'{}' is a {}: a receiver needs only the public key (payseal key show --public)",
            path.display(),
            AnyKey::Signing(key).describe()
        ))),
        other => Err(wrong_kind(path, &other, "a public signing key (SPKI PEM)")),
    }
}

/// Reads a private encryption key (to decrypt what is sealed to it). A P-256 PKCS#8 key is
/// read as an HPKE key here.
///
/// # Errors
/// As [`read_signing_key`].
pub fn read_recipient_key(path: &Path) -> Result<RecipientKey, Failure> {
    let text = read_text(path)?;
    if let Ok(key) = RecipientKey::from_pkcs8_pem(&text) {
        return Ok(key);
    }
    let found = AnyKey::from_pem(&text)
        .map_err(|e| Failure::BadInput(format!("'{}': {e}", path.display())))?;
    Err(wrong_kind(
        path,
        &found,
        "a private encryption key (x25519)",
    ))
}

/// Reads a public encryption key (a recipient to seal to). A P-256 SPKI key is read as an
/// HPKE key here.
///
/// # Errors
/// As [`read_signing_key`].
pub fn read_recipient_public_key(path: &Path) -> Result<RecipientPublicKey, Failure> {
    let text = read_text(path)?;
    if let Ok(key) = RecipientPublicKey::from_public_key_pem(&text) {
        return Ok(key);
    }
    let found = AnyKey::from_pem(&text)
        .map_err(|e| Failure::BadInput(format!("'{}': {e}", path.display())))?;
    Err(wrong_kind(
        path,
        &found,
        "a public encryption key (x25519 .pub)",
    ))
}

/// The public key file that goes with a private key file: `sensor.key` -> `sensor.pub`,
/// anything else gets `.pub` appended.
pub fn public_path_for(private: &Path) -> PathBuf {
    if private.extension().is_some_and(|e| e == "key") {
        private.with_extension("pub")
    } else {
        let mut name = private.as_os_str().to_owned();
        name.push(".pub");
        PathBuf::from(name)
    }
}

/// Writes a private key, readable by its owner only (0600 on Unix), refusing to overwrite.
///
/// # Errors
/// [`Failure::Io`], including when the file exists.
pub fn write_private(path: &Path, pem: &str) -> Result<(), Failure> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    write_new(path, pem, &options)
}

/// Writes a public key (0644), refusing to overwrite.
///
/// # Errors
/// [`Failure::Io`], including when the file exists.
pub fn write_public(path: &Path, pem: &str) -> Result<(), Failure> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    write_new(path, pem, &options)
}

fn write_new(path: &Path, text: &str, options: &OpenOptions) -> Result<(), Failure> {
    let mut file = options
        .open(path)
        .map_err(|e| Failure::io("create", path, &e))?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| Failure::io("write", path, &e))
}

/// A key file's text, in memory that is wiped when dropped (it may hold a private key).
pub(crate) fn read_text(path: &Path) -> Result<Zeroizing<String>, Failure> {
    let bytes = Zeroizing::new(std::fs::read(path).map_err(|e| Failure::io("read", path, &e))?);
    // Refuse huge files before parsing: a key file is a few hundred bytes.
    if bytes.len() > 64 * 1024 {
        return Err(Failure::BadInput(format!(
            "'{}': {} bytes is too large for a key file",
            path.display(),
            bytes.len()
        )));
    }
    match std::str::from_utf8(&bytes) {
        Ok(text) => Ok(Zeroizing::new(text.to_owned())),
        Err(_) => Err(Failure::BadInput(format!(
            "'{}': not a PEM key file (binary)",
            path.display()
        ))),
    }
}

fn wrong_kind(path: &Path, found: &AnyKey, wanted: &str) -> Failure {
    Failure::BadInput(format!(
        "'{}' is a {}, but this needs {wanted}",
        path.display(),
        found.describe()
    ))
}

/// The CLI's name for an algorithm: `Ed25519`, `P-256`, `secp256k1`.
pub fn alg_label(alg: Algorithm) -> &'static str {
    match alg {
        Algorithm::Ed25519 => "Ed25519",
        Algorithm::EcdsaP256 => "ECDSA P-256",
        Algorithm::EcdsaSecp256k1 => "ECDSA secp256k1",
        _ => "unknown",
    }
}

/// The CLI's name for a KEM: `X25519`, `P-256`.
pub fn kem_label(kem: KemKind) -> &'static str {
    match kem {
        KemKind::X25519 => "X25519",
        KemKind::P256 => "P-256 (HPKE)",
        _ => "unknown",
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    /// Issue 16 item 17: private-key PEM read by the CLI sat in plain `String`s, left in freed
    /// memory. Key file text is now held in `Zeroizing` buffers (checked by type here: the
    /// wiping itself is zeroize's).
    #[test]
    fn private_key_pem_is_held_in_zeroizing_memory() {
        let dir = std::env::temp_dir().join(format!("payseal-keyfile-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("sensor.key");
        let key = SigningKey::generate(Algorithm::Ed25519).unwrap();
        let pem: Zeroizing<String> = key.to_pkcs8_pem().unwrap();
        std::fs::write(&path, pem.as_bytes()).unwrap();
        let text: Zeroizing<String> = read_text(&path).unwrap();
        assert_eq!(text.as_str(), pem.as_str());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// Issue 16 item 17: a small-order Ed25519 key was reported as "not a supported X25519 or
    /// P-256 SPKI public key"; it is a weak key, and the message says so.
    #[test]
    fn a_small_order_ed25519_key_is_reported_as_weak() {
        // SPKI of the Ed25519 identity point (y = 1).
        let pem = "-----BEGIN PUBLIC KEY-----\n\
                   MCowBQYDK2VwAyEAAQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\
                   -----END PUBLIC KEY-----\n";
        let error = AnyKey::from_pem(pem).unwrap_err();
        assert!(error.contains("weak key"), "{error}");
        assert!(error.contains("small-order Ed25519"), "{error}");
        assert!(!error.contains("X25519"), "{error}");
    }
}
