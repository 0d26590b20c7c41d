//! Per-topic group keys: one symmetric key shared by a group of senders and receivers.
//!
//! What a group key does NOT give: every holder of the key can read every message and could
//! encrypt as any member; only the sender's signature (the outer COSE_Sign1) says who sent a
//! message. Use per-recipient HPKE when receivers must not read each other's traffic.

use alloc::vec::Vec;

use ciborium::Value;
use hkdf::Hkdf;
use sha2::Sha256;
use zeroize::Zeroizing;

use super::suite::ContentAlg;
use crate::error::KeyError;
use crate::keys::Kid;

/// A shared symmetric key for a topic group, identified by a kid. Wiped on drop; `Debug`
/// shows only the kid and algorithm.
#[derive(Clone)]
pub struct GroupKey {
    kid: Kid,
    alg: ContentAlg,
    secret: Zeroizing<Vec<u8>>,
}

impl GroupKey {
    /// A group key from its secret: 16 bytes for AES-128-GCM, 32 for AES-256-GCM.
    ///
    /// # Errors
    /// [`KeyError::Invalid`] for a wrong length, or ChaCha20-Poly1305 (group keys use AES-GCM).
    pub fn new(kid: Kid, alg: ContentAlg, secret: &[u8]) -> Result<Self, KeyError> {
        if alg == ContentAlg::ChaCha20Poly1305 || secret.len() != alg.key_len() {
            return Err(KeyError::Invalid);
        }
        Ok(GroupKey {
            kid,
            alg,
            secret: Zeroizing::new(secret.to_vec()),
        })
    }

    /// Generates a fresh AES-128-GCM group key from the OS RNG.
    ///
    /// # Errors
    /// [`KeyError::Rng`] if the OS RNG fails.
    #[cfg(feature = "std")]
    pub fn generate(kid: Kid) -> Result<Self, KeyError> {
        let mut secret = Zeroizing::new([0u8; 16]);
        getrandom::fill(secret.as_mut()).map_err(|_| KeyError::Rng)?;
        Self::new(kid, ContentAlg::A128Gcm, secret.as_ref())
    }

    /// The key id.
    pub fn kid(&self) -> &Kid {
        &self.kid
    }

    /// The content algorithm.
    pub fn alg(&self) -> ContentAlg {
        self.alg
    }

    /// The secret, in a buffer wiped on drop.
    pub fn expose_secret(&self) -> &[u8] {
        &self.secret
    }

    /// The key of one message (spec/encryption.md §5): HKDF-SHA256 with the message's random
    /// `salt`, the group secret as input keying material, and info = CBOR `["payseal/1 group
    /// key", sender kid, alg]`. Distinct senders get distinct keys (as OSCORE derives sender
    /// keys, RFC 8613 §3.2.1), and the fresh salt gives every message its own key, so the
    /// nonce `nonce(seq)` never meets the same key twice, even when a sender's sequence
    /// numbers repeat (a clock stepped back, a restored counter file).
    pub(crate) fn message_key(
        &self,
        sender: &[u8],
        salt: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, KeyError> {
        let info = Value::Array(alloc::vec![
            Value::Text(alloc::string::String::from(GROUP_KEY_LABEL)),
            Value::Bytes(sender.to_vec()),
            Value::from(self.alg.cose_id()),
        ]);
        let mut info_bytes = Vec::new();
        ciborium::into_writer(&info, &mut info_bytes).map_err(|_| KeyError::Encode)?;
        let mut okm = Zeroizing::new(alloc::vec![0u8; self.alg.key_len()]);
        Hkdf::<Sha256>::new(Some(salt), &self.secret)
            .expand(&info_bytes, &mut okm)
            .map_err(|_| KeyError::Invalid)?;
        Ok(okm)
    }
}

/// The HKDF label for message keys.
pub(crate) const GROUP_KEY_LABEL: &str = "payseal/1 group key";

/// Length of the per-message salt (COSE header `salt`, label -20): 128 random bits, so that
/// two of a sender's messages share a key with probability at most q^2 / 2^129 after q
/// messages, whatever their sequence numbers.
pub(crate) const SALT_LEN: usize = 16;

/// The nonce of a group message: the sequence number as 12 bytes big-endian.
pub(crate) fn nonce(seq: u64) -> [u8; 12] {
    let mut nonce = [0u8; 12];
    let (_, low) = nonce.split_at_mut(4);
    low.copy_from_slice(&seq.to_be_bytes());
    nonce
}

impl core::fmt::Debug for GroupKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("GroupKey")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_keys_differ_per_salt_and_per_sender() {
        let kid = Kid::new(b"g".to_vec()).unwrap_or_else(|_| unreachable!());
        let Ok(group) = GroupKey::new(kid, ContentAlg::A128Gcm, &[7; 16]) else {
            unreachable!()
        };
        let key = |sender: &[u8], salt: &[u8]| {
            group
                .message_key(sender, salt)
                .map(|k| k.to_vec())
                .unwrap_or_default()
        };
        let a = key(b"sender-a", &[1; SALT_LEN]);
        assert_eq!(a.len(), 16);
        assert_eq!(a, key(b"sender-a", &[1; SALT_LEN]));
        assert_ne!(a, key(b"sender-a", &[2; SALT_LEN]));
        assert_ne!(a, key(b"sender-b", &[1; SALT_LEN]));
    }
}
