//! The two MAC algorithms of the MAC mode and their COSE identifiers (RFC 9053 §3.1).

use core::fmt;

/// An HMAC-SHA256 variant a MAC sender stamps with (RFC 9053 §3.1).
///
/// Each MAC sender key is bound to one of them, as signature keys are to their algorithm: an
/// envelope naming the other one is `algorithm_mismatch`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MacAlgorithm {
    /// HMAC-SHA256 truncated to 64 bits, COSE `HMAC 256/64` (4): 8-byte tags, for small
    /// messages where every byte on the wire counts.
    Hmac256_64,
    /// HMAC-SHA256, COSE `HMAC 256/256` (5): 32-byte tags.
    Hmac256_256,
}

impl MacAlgorithm {
    /// Both algorithms.
    pub const ALL: [MacAlgorithm; 2] = [MacAlgorithm::Hmac256_64, MacAlgorithm::Hmac256_256];

    /// The COSE `alg` value.
    ///
    /// ```
    /// assert_eq!(payseal::MacAlgorithm::Hmac256_64.cose_id(), 4);
    /// ```
    pub const fn cose_id(self) -> i64 {
        match self {
            MacAlgorithm::Hmac256_64 => 4,
            MacAlgorithm::Hmac256_256 => 5,
        }
    }

    /// The algorithm a COSE `alg` value denotes, if it is one of the two.
    ///
    /// ```
    /// use payseal::MacAlgorithm;
    /// assert_eq!(MacAlgorithm::from_cose_id(5), Some(MacAlgorithm::Hmac256_256));
    /// assert_eq!(MacAlgorithm::from_cose_id(6), None); // HMAC 384/384
    /// ```
    pub const fn from_cose_id(id: i64) -> Option<Self> {
        match id {
            4 => Some(MacAlgorithm::Hmac256_64),
            5 => Some(MacAlgorithm::Hmac256_256),
            _ => None,
        }
    }

    /// Tag length in bytes: 8 or 32.
    ///
    /// ```
    /// assert_eq!(payseal::MacAlgorithm::Hmac256_64.tag_len(), 8);
    /// ```
    pub const fn tag_len(self) -> usize {
        match self {
            MacAlgorithm::Hmac256_64 => 8,
            MacAlgorithm::Hmac256_256 => 32,
        }
    }

    /// A short, stable name: `hmac256-64` or `hmac256` (used in files and the CLI).
    ///
    /// ```
    /// use payseal::MacAlgorithm;
    /// assert_eq!(MacAlgorithm::from_name("hmac256-64"), Some(MacAlgorithm::Hmac256_64));
    /// assert_eq!(MacAlgorithm::Hmac256_256.name(), "hmac256");
    /// ```
    pub const fn name(self) -> &'static str {
        match self {
            MacAlgorithm::Hmac256_64 => "hmac256-64",
            MacAlgorithm::Hmac256_256 => "hmac256",
        }
    }

    /// The inverse of [`MacAlgorithm::name`].
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.name() == name)
    }
}

impl fmt::Display for MacAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            MacAlgorithm::Hmac256_64 => "HMAC 256/64",
            MacAlgorithm::Hmac256_256 => "HMAC 256/256",
        })
    }
}
