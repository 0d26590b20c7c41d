//! A receiver's decryption keys, and which topics must be encrypted.

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

use super::group::GroupKey;
use super::keys::RecipientKey;
use crate::error::ConfigError;
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

    pub(crate) fn group_key(&self, kid: &[u8]) -> Option<&GroupKey> {
        self.groups
            .iter()
            .find(|(k, _)| k.as_bytes() == kid)
            .map(|(_, g)| g)
    }
}
