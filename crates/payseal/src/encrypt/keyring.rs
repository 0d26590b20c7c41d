//! A receiver's decryption keys, and which topics must be encrypted.

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

use super::epoch::GroupEpochs;
use super::group::GroupKey;
use super::keys::RecipientKey;
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
    recipients: BTreeMap<Kid, RecipientKey>,
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

    pub(crate) fn recipient_key(&self, kid: &[u8]) -> Option<(&Kid, &RecipientKey)> {
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
