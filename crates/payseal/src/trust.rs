//! The trust store: which sender keys a receiver accepts, and on which topics.

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

use crate::error::ConfigError;
use crate::keys::{Kid, VerifyingKey};
use crate::mac::MacKey;
use crate::topic::TopicFilter;
use crate::validity::KeyValidity;

/// One trusted sender: its public key (which pins its algorithm) and the topic filters it may
/// publish on.
#[derive(Clone, Debug)]
pub struct TrustedSender {
    key: VerifyingKey,
    topics: Vec<TopicFilter>,
    validity: KeyValidity,
}

impl TrustedSender {
    /// The sender's public key.
    pub fn key(&self) -> &VerifyingKey {
        &self.key
    }

    /// The topic filters the sender may publish on.
    pub fn topics(&self) -> &[TopicFilter] {
        &self.topics
    }

    /// Whether the sender may publish on `topic`.
    pub fn may_publish(&self, topic: &str) -> bool {
        self.topics.iter().any(|f| f.matches(topic))
    }

    /// When the key is accepted (spec/key-management.md §3); unbounded unless set with
    /// [`TrustStore::set_validity`].
    pub fn validity(&self) -> KeyValidity {
        self.validity
    }
}

/// One trusted MAC sender (spec/mac.md): its derived key (which pins its MAC algorithm) and
/// the topic filters it may publish on.
#[derive(Clone, Debug)]
pub struct TrustedMacSender {
    key: MacKey,
    topics: Vec<TopicFilter>,
    validity: KeyValidity,
}

impl TrustedMacSender {
    /// The sender's MAC key.
    pub fn key(&self) -> &MacKey {
        &self.key
    }

    /// The topic filters the sender may publish on.
    pub fn topics(&self) -> &[TopicFilter] {
        &self.topics
    }

    /// When the key is accepted (spec/key-management.md §3); unbounded unless set with
    /// [`TrustStore::set_validity`], as for a signature sender.
    ///
    /// ```
    /// use payseal::{KeyValidity, Kid, MacAlgorithm, MacSecret, TrustStore};
    /// let kid = Kid::new(b"sensor-7".to_vec())?;
    /// let key = MacSecret::from_bytes(&[7; 32])?.sender_key(kid.clone(), MacAlgorithm::Hmac256_64);
    /// let mut trust = TrustStore::new();
    /// trust.add_mac_sender(key, ["plant/#"])?;
    /// assert!(trust.mac_sender(&kid).expect("added").validity().is_always());
    /// trust.set_validity(&kid, KeyValidity::always().until(1_700_000_600))?;
    /// let validity = trust.mac_sender(&kid).expect("added").validity();
    /// assert_eq!(validity.not_after(), Some(1_700_000_600));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn validity(&self) -> KeyValidity {
        self.validity
    }
}

/// The senders a receiver trusts, keyed by key id.
///
/// A valid signature alone is not enough: the sender must also be allowed on the topic the
/// message arrived on (spec §5, step 6).
///
/// ```
/// use payseal::{Algorithm, SigningKey, TrustStore};
/// let sensor = SigningKey::generate(Algorithm::Ed25519)?;
/// let mut trust = TrustStore::new();
/// trust.add_sender(sensor.verifying_key(), ["plant/+/temp"])?;
/// let entry = trust.sender(&sensor.kid()).expect("just added");
/// assert!(entry.may_publish("plant/3/temp"));
/// assert!(!entry.may_publish("plant/3/valve"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct TrustStore {
    senders: BTreeMap<Kid, TrustedSender>,
    /// MAC senders share the kid namespace with `senders`: a kid names one key.
    mac_senders: BTreeMap<Kid, TrustedMacSender>,
}

impl TrustStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Trusts `key` under its derived key id ([`VerifyingKey::kid`]) for `topics`.
    ///
    /// # Errors
    /// [`ConfigError::InvalidTopicFilter`] for a bad filter, [`ConfigError::DuplicateKid`] if
    /// the key id is already present.
    pub fn add_sender<I, S>(
        &mut self,
        key: VerifyingKey,
        topics: I,
    ) -> Result<&mut Self, ConfigError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let kid = key.kid();
        self.add_sender_with_kid(kid, key, topics)
    }

    /// Trusts `key` under an assigned key id for `topics`.
    ///
    /// # Errors
    /// As [`add_sender`](Self::add_sender).
    pub fn add_sender_with_kid<I, S>(
        &mut self,
        kid: Kid,
        key: VerifyingKey,
        topics: I,
    ) -> Result<&mut Self, ConfigError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let topics = filters(topics)?;
        self.refuse_duplicate(&kid)?;
        self.senders.insert(
            kid,
            TrustedSender {
                key,
                topics,
                validity: KeyValidity::always(),
            },
        );
        Ok(self)
    }

    /// Limits when the sender `kid`, signature or MAC, is accepted: before `not_before` its
    /// envelopes are `key_not_yet_valid`, after `not_after` `key_expired`, judged on the
    /// opener's clock (spec/key-management.md §3). A rollover trusts the old and the new key
    /// with overlapping windows.
    ///
    /// ```
    /// use payseal::{Algorithm, KeyValidity, SigningKey, TrustStore};
    /// let (old, new) = (SigningKey::generate(Algorithm::Ed25519)?, SigningKey::generate(Algorithm::Ed25519)?);
    /// let mut trust = TrustStore::new();
    /// trust.add_sender(old.verifying_key(), ["plant/#"])?;
    /// trust.add_sender(new.verifying_key(), ["plant/#"])?;
    /// trust.set_validity(&old.kid(), KeyValidity::always().until(1_700_000_600))?;
    /// trust.set_validity(&new.kid(), KeyValidity::always().from(1_700_000_000))?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// [`ConfigError::Policy`] if no sender (signature or MAC) has this kid, or if
    /// `not_before` is after `not_after`.
    pub fn set_validity(
        &mut self,
        kid: &Kid,
        validity: KeyValidity,
    ) -> Result<&mut Self, ConfigError> {
        if let (Some(nb), Some(na)) = (validity.not_before(), validity.not_after())
            && nb > na
        {
            return Err(ConfigError::Policy("not_before is after not_after"));
        }
        // A kid names one key (refuse_duplicate): at most one of the two maps holds it.
        if let Some(sender) = self.senders.get_mut(kid) {
            sender.validity = validity;
        } else if let Some(sender) = self.mac_senders.get_mut(kid) {
            sender.validity = validity;
        } else {
            return Err(ConfigError::Policy("no trusted sender has this kid"));
        }
        Ok(self)
    }

    /// Trusts a MAC sender (spec/mac.md) under its kid for `topics`: the key is the sender's
    /// derived key ([`MacSecret::sender_key`](crate::MacSecret::sender_key)), which pins its
    /// MAC algorithm.
    ///
    /// ```
    /// use payseal::{Kid, MacAlgorithm, MacSecret, TrustStore};
    /// let secret = MacSecret::from_bytes(&[7; 32])?;
    /// let kid = Kid::new(b"sensor-7".to_vec())?;
    /// let mut trust = TrustStore::new();
    /// trust.add_mac_sender(secret.sender_key(kid.clone(), MacAlgorithm::Hmac256_64), ["plant/#"])?;
    /// assert!(trust.mac_sender(&kid).is_some());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// As [`add_sender`](Self::add_sender): a kid already used by a signature or MAC sender
    /// is [`ConfigError::DuplicateKid`].
    pub fn add_mac_sender<I, S>(&mut self, key: MacKey, topics: I) -> Result<&mut Self, ConfigError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let topics = filters(topics)?;
        let kid = key.kid().clone();
        self.refuse_duplicate(&kid)?;
        self.mac_senders.insert(
            kid,
            TrustedMacSender {
                key,
                topics,
                validity: KeyValidity::always(),
            },
        );
        Ok(self)
    }

    fn refuse_duplicate(&self, kid: &Kid) -> Result<(), ConfigError> {
        if self.senders.contains_key(kid) || self.mac_senders.contains_key(kid) {
            return Err(ConfigError::DuplicateKid(kid.clone()));
        }
        Ok(())
    }

    /// Removes a sender, signature or MAC; returns whether it was present.
    pub fn remove_sender(&mut self, kid: &Kid) -> bool {
        self.senders.remove(kid).is_some() | self.mac_senders.remove(kid).is_some()
    }

    /// Looks a MAC sender up by key id.
    pub fn mac_sender(&self, kid: &Kid) -> Option<&TrustedMacSender> {
        self.mac_senders.get(kid)
    }

    /// Looks a MAC sender up by raw key id bytes (as found in an envelope).
    pub(crate) fn mac_sender_by_bytes(&self, kid: &[u8]) -> Option<&TrustedMacSender> {
        self.mac_senders.get(&Kid::from_checked(kid.to_vec()))
    }

    /// Looks a sender up by key id.
    pub fn sender(&self, kid: &Kid) -> Option<&TrustedSender> {
        self.senders.get(kid)
    }

    /// Looks a sender up by raw key id bytes (as found in an envelope).
    pub(crate) fn sender_by_bytes(&self, kid: &[u8]) -> Option<(&Kid, &TrustedSender)> {
        // Kid orders by its bytes, so a borrowed lookup would need a Borrow impl; a short
        // allocation-free scan would too. Build the key once instead (kids are at most 32 bytes).
        self.senders.get_key_value(&Kid::from_checked(kid.to_vec()))
    }

    /// How many senders are trusted, signature and MAC.
    pub fn len(&self) -> usize {
        self.senders.len() + self.mac_senders.len()
    }

    /// Whether no sender is trusted.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn filters<I, S>(topics: I) -> Result<Vec<TopicFilter>, ConfigError>
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    topics
        .into_iter()
        .map(|t| TopicFilter::new(t.as_ref()))
        .collect()
}
