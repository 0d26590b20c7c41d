//! Key identifiers: the `kid` header that names the sender's key.

use alloc::vec::Vec;
use core::fmt;

use crate::error::ConfigError;

/// A key identifier: 1 to [`Kid::MAX_LEN`] opaque bytes.
///
/// By default payseal derives it from the public key: the first 8 bytes of its RFC 9679 COSE Key
/// Thumbprint (SHA-256), which anyone holding the public key can recompute (spec §3.2). A
/// deployment may assign its own ids instead. A kid is public; it only selects which trusted
/// key verifies the signature.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Kid(Vec<u8>);

impl Kid {
    /// The longest key id the profile accepts.
    pub const MAX_LEN: usize = 32;
    /// Length of a derived (thumbprint) key id.
    pub const DERIVED_LEN: usize = 8;

    /// A key id from raw bytes.
    ///
    /// # Errors
    /// [`ConfigError::KidLength`] when `bytes` is empty or longer than [`Kid::MAX_LEN`].
    ///
    /// ```
    /// let kid = payseal::Kid::new(b"sensor-7".to_vec())?;
    /// assert_eq!(kid.to_string(), "73656e736f722d37");
    /// # Ok::<(), payseal::ConfigError>(())
    /// ```
    pub fn new(bytes: Vec<u8>) -> Result<Self, ConfigError> {
        if bytes.is_empty() || bytes.len() > Self::MAX_LEN {
            return Err(ConfigError::KidLength {
                len: bytes.len(),
                max: Self::MAX_LEN,
            });
        }
        Ok(Kid(bytes))
    }

    /// Parses a key id written as hex (as [`Display`](fmt::Display) prints it).
    ///
    /// # Errors
    /// [`ConfigError::KidLength`] for odd-length or non-hex input (reported as length 0) or a
    /// wrong length.
    pub fn from_hex(hex: &str) -> Result<Self, ConfigError> {
        let bad = || ConfigError::KidLength {
            len: 0,
            max: Self::MAX_LEN,
        };
        if !hex.len().is_multiple_of(2) {
            return Err(bad());
        }
        let bytes = hex
            .as_bytes()
            .chunks(2)
            .map(|pair| {
                let s = core::str::from_utf8(pair).map_err(|_| bad())?;
                u8::from_str_radix(s, 16).map_err(|_| bad())
            })
            .collect::<Result<Vec<u8>, _>>()?;
        Self::new(bytes)
    }

    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// Trusted construction for bytes already length-checked by the envelope parser.
    pub(crate) fn from_checked(bytes: Vec<u8>) -> Self {
        Kid(bytes)
    }
}

impl fmt::Debug for Kid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Kid({self})")
    }
}

impl fmt::Display for Kid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in &self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl AsRef<[u8]> for Kid {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}
