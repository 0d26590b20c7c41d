//! A receiver's decryption keys, and which topics must be encrypted.

use alloc::collections::BTreeMap;
use alloc::sync::Arc;
use alloc::vec::Vec;

use super::agreement::{self, KeyAgreement};
use super::epoch::GroupEpochs;
use super::group::GroupKey;
use super::hpke_ops::{self, HpkeFailed};
use super::keys::RecipientKey;
use super::suite::{HpkeSuite, KemKind};
use crate::error::{ConfigError, Rejection};
use crate::keys::Kid;
use crate::topic::TopicFilter;

/// What a receiver can decrypt with, and where it insists on encryption.
///
/// ```
/// use payseal::{KemKind, Keyring, RecipientKey};
/// let mine = RecipientKey::generate(KemKind::X25519)?;
/// let mut keyring = Keyring::new();
/// keyring.add_recipient_key(mine)?.require_encryption("plant/+/secret")?;
/// assert!(keyring.requires_encryption("plant/3/secret"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct Keyring {
    recipients: BTreeMap<Kid, HeldKey>,
    groups: BTreeMap<Kid, GroupKey>,
    /// Groups with epochs, by group id (spec/key-management.md §2).
    epochs: BTreeMap<Vec<u8>, GroupEpochs>,
    required: Vec<TopicFilter>,
}

impl Keyring {
    /// An empty keyring: decrypts nothing, requires nothing.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a private key under its derived kid.
    ///
    /// # Errors
    /// [`ConfigError::DuplicateKid`] if the kid is taken.
    pub fn add_recipient_key(&mut self, key: RecipientKey) -> Result<&mut Self, ConfigError> {
        let kid = key.kid();
        self.add_recipient_key_with_kid(kid, key)
    }

    /// Adds a private key under an assigned kid.
    ///
    /// # Errors
    /// [`ConfigError::DuplicateKid`] if the kid is taken.
    pub fn add_recipient_key_with_kid(
        &mut self,
        kid: Kid,
        key: RecipientKey,
    ) -> Result<&mut Self, ConfigError> {
        self.insert_recipient(kid, HeldKey::Local(key))
    }

    /// Adds a private key held outside the process (an HSM, a secure element) under the kid
    /// derived from its public key: HPKE decapsulation asks it for the Diffie-Hellman step only.
    ///
    /// # Errors
    /// [`ConfigError::DuplicateKid`] if the kid is taken.
    pub fn add_key_agreement(
        &mut self,
        key: Arc<dyn KeyAgreement>,
    ) -> Result<&mut Self, ConfigError> {
        let (kid, _) = agreement::describe(key.as_ref());
        self.insert_recipient(kid, HeldKey::Agent(key))
    }

    fn insert_recipient(&mut self, kid: Kid, key: HeldKey) -> Result<&mut Self, ConfigError> {
        if self.recipients.contains_key(&kid) {
            return Err(ConfigError::DuplicateKid(kid));
        }
        self.recipients.insert(kid, key);
        Ok(self)
    }

    /// Adds a group key.
    ///
    /// # Errors
    /// [`ConfigError::DuplicateKid`] if its kid is taken.
    pub fn add_group_key(&mut self, key: GroupKey) -> Result<&mut Self, ConfigError> {
        if self.groups.contains_key(key.kid()) {
            return Err(ConfigError::DuplicateKid(key.kid().clone()));
        }
        self.groups.insert(key.kid().clone(), key);
        Ok(self)
    }

    /// Installs (or replaces, in one step) the epoch keys of a group
    /// (spec/key-management.md §2): a key update from a controller is applied whole.
    ///
    /// ```
    /// use payseal::{ContentAlg, GroupEpochs, Keyring};
    /// let mut keyring = Keyring::new();
    /// keyring.set_group_epochs(GroupEpochs::new(b"plant", 1, ContentAlg::A128Gcm, &[1; 16])?);
    /// assert_eq!(keyring.group_epochs(b"plant").map(|g| g.current_epoch()), Some(1));
    /// # Ok::<(), payseal::KeyError>(())
    /// ```
    pub fn set_group_epochs(&mut self, epochs: GroupEpochs) -> &mut Self {
        self.epochs.insert(epochs.group().to_vec(), epochs);
        self
    }

    /// The epoch keys of `group`, if held.
    pub fn group_epochs(&self, group: &[u8]) -> Option<&GroupEpochs> {
        self.epochs.get(group)
    }

    /// Forgets every epoch key of `group` (wiped); returns whether it was held.
    pub fn remove_group_epochs(&mut self, group: &[u8]) -> bool {
        self.epochs.remove(group).is_some()
    }

    /// Refuses plain signed envelopes on topics matching `filter`
    /// ([`Rejection::EncryptionRequired`](crate::Rejection::EncryptionRequired)).
    ///
    /// # Errors
    /// [`ConfigError::InvalidTopicFilter`] for a bad filter.
    pub fn require_encryption(&mut self, filter: &str) -> Result<&mut Self, ConfigError> {
        self.required.push(TopicFilter::new(filter)?);
        Ok(self)
    }

    /// Whether `topic` must carry encrypted payloads.
    pub fn requires_encryption(&self, topic: &str) -> bool {
        self.required.iter().any(|f| f.matches(topic))
    }

    pub(crate) fn recipient_key(&self, kid: &[u8]) -> Option<(&Kid, &HeldKey)> {
        self.recipients.iter().find(|(k, _)| k.as_bytes() == kid)
    }

    /// The group key for `kid` at `now`: a plain group key, or an epoch of a group held with
    /// epochs, judged by spec/key-management.md §2.2.
    pub(crate) fn group_key(&self, kid: &[u8], now: Option<u64>) -> Result<&GroupKey, Rejection> {
        if let Some((_, g)) = self.groups.iter().find(|(k, _)| k.as_bytes() == kid) {
            return Ok(g);
        }
        // The kid's length fixes the group id's length, so at most one group matches.
        self.epochs
            .values()
            .find_map(|g| g.epoch_of(kid).map(|epoch| g.accept(epoch, now)))
            .unwrap_or(Err(Rejection::NotForMe))
    }
}

/// A recipient key as the keyring holds it: its secret in memory, or a device that agrees keys.
#[derive(Clone, Debug)]
pub(crate) enum HeldKey {
    Local(RecipientKey),
    Agent(Arc<dyn KeyAgreement>),
}

impl HeldKey {
    pub(crate) fn kem(&self) -> KemKind {
        match self {
            HeldKey::Local(key) => key.kem(),
            HeldKey::Agent(agent) => agreement::describe(agent.as_ref()).1,
        }
    }

    /// HPKE base-mode open (RFC 9180 §6.1) of `ciphertext` sealed to this key.
    pub(crate) fn open(
        &self,
        suite: HpkeSuite,
        enc: &[u8],
        info: &[u8],
        aad: &[u8],
        ciphertext: &[u8],
    ) -> Result<Vec<u8>, HpkeFailed> {
        match self {
            HeldKey::Local(key) => {
                let secret = key.expose_secret_bytes();
                hpke_ops::open(suite, secret.as_ref(), enc, info, aad, ciphertext)
            }
            HeldKey::Agent(agent) => {
                hpke_ops::open_agreed(suite, agent.as_ref(), enc, info, aad, ciphertext)
            }
        }
    }
}
