//! The MAC mode's keys: the shared secret a receiver holds, and the per-sender keys derived
//! from it (spec/mac.md §2).

use alloc::vec::Vec;
use core::fmt;

use hkdf::Hkdf;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use zeroize::{Zeroize, Zeroizing};

use super::MacAlgorithm;
use crate::cbor::{self, major};
use crate::error::KeyError;
use crate::keys::Kid;

/// The HKDF `info` label of a sender key.
const SENDER_KEY_LABEL: &[u8] = b"payseal/1 mac key";

/// A pairwise or group secret from which MAC sender keys are derived.
///
/// Whoever holds it can derive **every** sender's key, so can stamp as any sender: give it to
/// receivers only, and give each sender only its own [`MacKey`] ([`MacSecret::sender_key`]).
/// 16 to 64 bytes; zeroized on drop, never printed.
///
/// ```
/// use payseal::{Kid, MacAlgorithm, MacSecret};
/// let secret = MacSecret::from_bytes(&[7; 32])?;
/// let a = secret.sender_key(Kid::new(b"sensor-a".to_vec())?, MacAlgorithm::Hmac256_64);
/// let b = secret.sender_key(Kid::new(b"sensor-b".to_vec())?, MacAlgorithm::Hmac256_64);
/// assert_ne!(a.tag(b"m"), b.tag(b"m"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct MacSecret(Zeroizing<Vec<u8>>);

impl MacSecret {
    /// The shortest secret accepted: 128 bits.
    pub const MIN_LEN: usize = 16;
    /// The longest secret accepted (one HMAC-SHA256 block).
    pub const MAX_LEN: usize = 64;
    /// The length [`generate`](Self::generate) draws.
    pub const GENERATED_LEN: usize = 32;

    /// A fresh 32-byte secret from the OS random number generator.
    ///
    /// # Errors
    /// [`KeyError::Rng`] when the OS generator fails.
    #[cfg(feature = "std")]
    pub fn generate() -> Result<Self, KeyError> {
        let mut bytes = Zeroizing::new(alloc::vec![0u8; Self::GENERATED_LEN]);
        getrandom::fill(bytes.as_mut_slice()).map_err(|_| KeyError::Rng)?;
        Ok(MacSecret(bytes))
    }

    /// A secret from its bytes.
    ///
    /// # Errors
    /// [`KeyError::Invalid`] unless it has 16 to 64 bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, KeyError> {
        if !(Self::MIN_LEN..=Self::MAX_LEN).contains(&bytes.len()) {
            return Err(KeyError::Invalid);
        }
        Ok(MacSecret(Zeroizing::new(bytes.to_vec())))
    }

    /// The secret's bytes, to store them (in a file of mode 0600).
    pub fn expose_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The key of the sender known as `kid`, for `alg`:
    /// `HKDF-SHA256(salt = empty, IKM = secret, info = CBOR ["payseal/1 mac key", kid, alg],
    /// L = 32)`.
    pub fn sender_key(&self, kid: Kid, alg: MacAlgorithm) -> MacKey {
        let mut info = Vec::with_capacity(kid.as_bytes().len() + SENDER_KEY_LABEL.len() + 4);
        cbor::write_head(&mut info, major::ARRAY, 3);
        cbor::write_string(&mut info, major::TEXT, SENDER_KEY_LABEL);
        cbor::write_string(&mut info, major::BYTES, kid.as_bytes());
        // alg is 4 or 5: an unsigned integer in one byte.
        cbor::write_head(&mut info, major::UNSIGNED, alg.cose_id().unsigned_abs());
        let mut key = Zeroizing::new([0u8; MacKey::LEN]);
        // 32 bytes is far below HKDF-SHA256's 8160-byte limit: expand cannot fail.
        let _ = Hkdf::<Sha256>::new(None, &self.0).expand(&info, key.as_mut());
        MacKey { kid, alg, key }
    }
}

impl fmt::Debug for MacSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MacSecret(<redacted>)")
    }
}

/// One sender's MAC key, bound to its kid and one [`MacAlgorithm`].
///
/// A sender holds only this key: it cannot derive another sender's. A receiver holds one per
/// trusted MAC sender ([`TrustStore::add_mac_sender`](crate::TrustStore::add_mac_sender)).
/// Zeroized on drop, never printed.
///
/// ```
/// use payseal::{Kid, MacAlgorithm, MacKey};
/// let key = MacKey::from_bytes(Kid::new(b"s1".to_vec())?, MacAlgorithm::Hmac256_256, [9; 32]);
/// let tag = key.tag(b"message");
/// assert_eq!(tag.len(), 32);
/// assert!(key.verify(b"message", &tag));
/// assert!(!key.verify(b"messagf", &tag));
/// # Ok::<(), payseal::ConfigError>(())
/// ```
#[derive(Clone)]
pub struct MacKey {
    kid: Kid,
    alg: MacAlgorithm,
    key: Zeroizing<[u8; MacKey::LEN]>,
}

impl MacKey {
    /// Length of a sender key.
    pub const LEN: usize = 32;

    /// A sender key from its 32 bytes (as [`to_bytes`](Self::to_bytes) gave them), for a
    /// sender provisioned with its derived key only.
    pub fn from_bytes(kid: Kid, alg: MacAlgorithm, mut bytes: [u8; Self::LEN]) -> Self {
        let key = Zeroizing::new(bytes);
        bytes.zeroize();
        MacKey { kid, alg, key }
    }

    /// The key's bytes, to provision a sender with it.
    pub fn to_bytes(&self) -> Zeroizing<[u8; Self::LEN]> {
        self.key.clone()
    }

    /// The key id of the sender.
    pub fn kid(&self) -> &Kid {
        &self.kid
    }

    /// The algorithm the key is bound to.
    pub fn algorithm(&self) -> MacAlgorithm {
        self.alg
    }

    /// The tag over `message`: HMAC-SHA256, truncated to 8 bytes for `HMAC 256/64`.
    pub fn tag(&self, message: &[u8]) -> Vec<u8> {
        let mut full = self.hmac(message).finalize().into_bytes().to_vec();
        full.truncate(self.alg.tag_len());
        full
    }

    /// Whether `tag` is the tag over `message`, compared in constant time (the `hmac` crate's
    /// verification). A tag of another length than the algorithm's never verifies.
    pub fn verify(&self, message: &[u8], tag: &[u8]) -> bool {
        if tag.len() != self.alg.tag_len() {
            return false;
        }
        self.hmac(message).verify_truncated_left(tag).is_ok()
    }

    fn hmac(&self, message: &[u8]) -> Hmac<Sha256> {
        // HMAC pads a key shorter than the hash block with zero bytes (RFC 2104 §2), so the
        // 32-byte key in a zeroed 64-byte block is the same key, taken by the infallible
        // constructor.
        let mut block = Zeroizing::new([0u8; 64]);
        if let Some(head) = block.get_mut(..Self::LEN) {
            head.copy_from_slice(self.key.as_ref());
        }
        let mut mac =
            <Hmac<Sha256> as KeyInit>::new(&hmac::digest::Key::<Hmac<Sha256>>::from(*block));
        mac.update(message);
        mac
    }
}

impl fmt::Debug for MacKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MacKey")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .finish_non_exhaustive()
    }
}
