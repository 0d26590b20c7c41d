//! Encryption: payloads only their recipients can read (spec/encryption.md).
//!
//! Encrypt-then-sign: the encrypted layer is the payload of the signed envelope, so every
//! check of the outer layer (sender, topic, signature, freshness) runs before any decryption
//! work, and the encrypted layer's associated data names the topic, the sender and the
//! sequence number, so the ciphertext cannot be re-signed by someone else or moved. The replay
//! window is checked and recorded after decryption, so a message that cannot be decrypted
//! leaves no trace.

mod agreement;
mod audience;
mod commit;
mod content;
mod epoch;
mod group;
mod hpke_ops;
mod keyring;
mod keys;
pub(crate) mod open;
pub(crate) mod seal;
mod suite;
mod wire;
mod x25519_der;

pub use agreement::{KeyAgreement, KeyAgreementFailed};
pub use audience::{Audience, Recipient};
pub use epoch::{GroupEpochs, MAX_GROUP_ID_LEN, epoch_kid};
pub use group::GroupKey;
pub use keyring::Keyring;
pub use keys::{RecipientKey, RecipientPublicKey};
pub use suite::{ContentAlg, HpkeSuite, KemKind};
pub(crate) use wire::{COSE_ENCRYPT, COSE_ENCRYPT0};

use crate::keys::Kid;

/// How a verified payload was encrypted, and to which of the receiver's keys.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Encryption {
    mode: EncryptionMode,
    key: Kid,
}

impl Encryption {
    /// The mode and algorithms.
    pub fn mode(&self) -> EncryptionMode {
        self.mode
    }

    /// The kid of the receiver's key that decrypted it (a recipient key or a group key).
    pub fn key(&self) -> &Kid {
        &self.key
    }
}

/// The encryption modes (spec/encryption.md §2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum EncryptionMode {
    /// One recipient, HPKE integrated encryption (COSE_Encrypt0).
    Hpke(HpkeSuite),
    /// Several recipients: content key sealed to each with HPKE (COSE_Encrypt).
    HpkeKeyEncryption {
        /// The suite of the entry that was for us.
        suite: HpkeSuite,
        /// The content encryption.
        content: ContentAlg,
    },
    /// A shared group key (COSE_Encrypt0).
    Group(ContentAlg),
}

#[cfg(test)]
mod tests;
