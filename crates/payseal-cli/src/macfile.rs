//! MAC mode key files (spec/mac.md §2): a receiver's **secret**, from which every MAC sender's
//! key is derived, and one sender's **derived key**. Both are short text files, written mode
//! 0600 by `payseal keygen --alg hmac-...`; their key bytes are never printed.
//!
//! ```text
//! payseal mac secret v1          payseal mac sender key v1
//! alg hmac256-64                 alg hmac256-64
//! secret <64 hex digits>         kid 73656e736f722d37
//!                                key <64 hex digits>
//! ```

use std::path::Path;

use payseal::{Kid, MacAlgorithm, MacKey, MacSecret};
use zeroize::Zeroizing;

use crate::Failure;

const SECRET_HEADER: &str = "payseal mac secret v1";
const SENDER_KEY_HEADER: &str = "payseal mac sender key v1";

/// A MAC key file's content.
#[derive(Debug)]
pub enum MacFile {
    /// A secret and the algorithm its sender keys are derived for.
    Secret(MacSecret, MacAlgorithm),
    /// One sender's derived key (it carries its kid and algorithm).
    SenderKey(MacKey),
}

impl MacFile {
    /// Whether `text` is meant to be a MAC key file (it starts with one of the headers), so
    /// that errors in it are reported as such rather than as "not a PEM key".
    pub fn looks_like(text: &str) -> bool {
        text.starts_with("payseal mac ")
    }

    /// Parses a MAC key file's text.
    ///
    /// # Errors
    /// A one-line description (never quoting the key bytes) when the text is malformed.
    ///
    /// ```
    /// use payseal_cli::macfile::MacFile;
    /// let text = format!("payseal mac secret v1\nalg hmac256-64\nsecret {}\n", "07".repeat(32));
    /// assert!(matches!(MacFile::parse(&text), Ok(MacFile::Secret(..))));
    /// assert!(MacFile::parse("payseal mac secret v1\nalg hmac256-64\n").is_err());
    /// ```
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut lines = text.lines();
        let header = lines.next().unwrap_or_default();
        let alg = field(lines.next(), "alg")?;
        let alg = MacAlgorithm::from_name(alg)
            .ok_or_else(|| format!("unknown MAC algorithm {alg:?} (hmac256-64 or hmac256)"))?;
        let file = match header {
            SECRET_HEADER => {
                let bytes = key_bytes(field(lines.next(), "secret")?)?;
                let secret = MacSecret::from_bytes(&bytes).map_err(|_| {
                    format!(
                        "a MAC secret has {} to {} bytes, this one {}",
                        MacSecret::MIN_LEN,
                        MacSecret::MAX_LEN,
                        bytes.len()
                    )
                })?;
                MacFile::Secret(secret, alg)
            }
            SENDER_KEY_HEADER => {
                let kid =
                    Kid::from_hex(field(lines.next(), "kid")?).map_err(|e| format!("kid: {e}"))?;
                let bytes = key_bytes(field(lines.next(), "key")?)?;
                let array: [u8; MacKey::LEN] = bytes.as_slice().try_into().map_err(|_| {
                    format!(
                        "a MAC sender key has {} bytes, this one {}",
                        MacKey::LEN,
                        bytes.len()
                    )
                })?;
                MacFile::SenderKey(MacKey::from_bytes(kid, alg, array))
            }
            _ => {
                return Err(format!(
                    "not a MAC key file (expected {SECRET_HEADER:?} or {SENDER_KEY_HEADER:?})"
                ));
            }
        };
        if lines.any(|line| !line.trim().is_empty()) {
            return Err("unexpected lines after the key".into());
        }
        Ok(file)
    }

    /// What the file holds, for messages (no key bytes).
    pub fn describe(&self) -> String {
        match self {
            MacFile::Secret(_, alg) => format!("MAC secret ({alg})"),
            MacFile::SenderKey(key) => {
                format!("MAC sender key ({}, kid {})", key.algorithm(), key.kid())
            }
        }
    }
}

/// The text of a secret file.
pub fn secret_text(secret: &MacSecret, alg: MacAlgorithm) -> Zeroizing<String> {
    Zeroizing::new(format!(
        "{SECRET_HEADER}\nalg {}\nsecret {}\n",
        alg.name(),
        Zeroizing::new(hex::encode(secret.expose_bytes())).as_str()
    ))
}

/// The text of a sender key file.
pub fn sender_key_text(key: &MacKey) -> Zeroizing<String> {
    Zeroizing::new(format!(
        "{SENDER_KEY_HEADER}\nalg {}\nkid {}\nkey {}\n",
        key.algorithm().name(),
        key.kid(),
        Zeroizing::new(hex::encode(key.to_bytes().as_ref())).as_str()
    ))
}

/// Reads a MAC key file.
///
/// # Errors
/// [`Failure::Io`] if it cannot be read, [`Failure::BadInput`] if it is no MAC key file.
pub fn read(path: &Path) -> Result<MacFile, Failure> {
    let text = crate::keyfile::read_text(path)?;
    MacFile::parse(&text).map_err(|e| Failure::BadInput(format!("'{}': {e}", path.display())))
}

/// A kid as the CLI and trust file spell MAC sender kids: text, taken as its UTF-8 bytes
/// (1 to 32 of them).
///
/// # Errors
/// A description when it is empty or too long.
pub fn kid_from_text(text: &str) -> Result<Kid, String> {
    Kid::new(text.as_bytes().to_vec()).map_err(|e| format!("kid {text:?}: {e}"))
}

fn field<'a>(line: Option<&'a str>, name: &str) -> Result<&'a str, String> {
    line.and_then(|l| l.strip_prefix(name))
        .and_then(|rest| rest.strip_prefix(' '))
        .map(str::trim)
        .ok_or_else(|| format!("missing the {name:?} line"))
}

fn key_bytes(hex_text: &str) -> Result<Zeroizing<Vec<u8>>, String> {
    hex::decode(hex_text)
        .map(Zeroizing::new)
        .map_err(|_| "the key is not hex".to_owned())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn secret_and_sender_key_files_round_trip() {
        let secret = MacSecret::from_bytes(&[7; 32]).unwrap();
        let alg = MacAlgorithm::Hmac256_64;
        let MacFile::Secret(read, read_alg) = MacFile::parse(&secret_text(&secret, alg)).unwrap()
        else {
            panic!("not a secret")
        };
        assert_eq!(read.expose_bytes(), secret.expose_bytes());
        assert_eq!(read_alg, alg);

        let key = secret.sender_key(kid_from_text("sensor-7").unwrap(), alg);
        let MacFile::SenderKey(read) = MacFile::parse(&sender_key_text(&key)).unwrap() else {
            panic!("not a sender key")
        };
        assert_eq!(read.kid(), key.kid());
        assert_eq!(read.tag(b"m"), key.tag(b"m"));
    }

    #[test]
    fn malformed_files_are_errors_that_never_quote_the_key() {
        let long = "ab".repeat(65);
        for (text, needle) in [
            (
                "payseal mac secret v1\nalg hmac512\nsecret 00",
                "unknown MAC algorithm",
            ),
            ("payseal mac secret v1\nalg hmac256\nsecret zz", "not hex"),
            (
                "payseal mac secret v1\nalg hmac256\nsecret 0011",
                "16 to 64 bytes",
            ),
            (
                &format!("payseal mac secret v1\nalg hmac256\nsecret {long}"),
                "this one 65",
            ),
            (
                "payseal mac sender key v1\nalg hmac256\nkid 01\nkey 0011",
                "has 32 bytes",
            ),
            (
                "payseal mac sender key v1\nalg hmac256\nkey 00",
                "missing the \"kid\" line",
            ),
            ("payseal mac v2\nalg hmac256\n", "not a MAC key file"),
        ] {
            let error = MacFile::parse(text).unwrap_err();
            assert!(error.contains(needle), "{text:?}: {error}");
            assert!(
                !error.contains("0011") && !error.contains("abab"),
                "{error}"
            );
        }
        let trailing = format!(
            "{}extra\n",
            secret_text(
                &MacSecret::from_bytes(&[1; 16]).unwrap(),
                MacAlgorithm::Hmac256_256
            )
            .as_str()
        );
        assert!(
            MacFile::parse(&trailing)
                .unwrap_err()
                .contains("unexpected lines")
        );
    }
}
