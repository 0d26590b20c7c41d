//! Group key epochs (spec/key-management.md §2): a group key is named by (group, epoch), its
//! kid the group id followed by the epoch as 4 bytes big-endian, and a receiver accepts the
//! current epoch, epochs handed to it ahead, and the previous ones until their grace ends.

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

use super::group::GroupKey;
use super::suite::ContentAlg;
use crate::error::{KeyError, Rejection};
use crate::keys::Kid;

/// Length of the epoch suffix of a group key's kid.
const EPOCH_LEN: usize = 4;

/// The longest group id: the kid (at most [`Kid::MAX_LEN`] bytes) also holds the epoch.
pub const MAX_GROUP_ID_LEN: usize = Kid::MAX_LEN - EPOCH_LEN;

/// The kid of epoch `epoch` of group `group`: `group || epoch (u32, big-endian)`
/// (spec/key-management.md §2.1).
///
/// ```
/// let kid = payseal::epoch_kid(b"plant", 7)?;
/// assert_eq!(kid.as_bytes(), b"plant\x00\x00\x00\x07");
/// # Ok::<(), payseal::KeyError>(())
/// ```
///
/// # Errors
/// [`KeyError::Invalid`] if `group` is empty or longer than [`MAX_GROUP_ID_LEN`].
pub fn epoch_kid(group: &[u8], epoch: u32) -> Result<Kid, KeyError> {
    if group.is_empty() || group.len() > MAX_GROUP_ID_LEN {
        return Err(KeyError::Invalid);
    }
    let mut bytes = group.to_vec();
    bytes.extend_from_slice(&epoch.to_be_bytes());
    Kid::new(bytes).map_err(|_| KeyError::Invalid)
}

/// One epoch's key and, for a past epoch, the last second it is still accepted.
#[derive(Clone, Debug)]
struct EpochKey {
    key: GroupKey,
    accept_until: Option<u64>,
}

/// A receiver's (and sender's) keys of one group across epochs: the current epoch, past
/// epochs in their grace period, and future epochs handed out ahead of a switch.
///
/// ```
/// use payseal::{ContentAlg, GroupEpochs};
/// let mut group = GroupEpochs::new(b"plant", 1, ContentAlg::A128Gcm, &[1; 16])?;
/// group.add_next(2, &[2; 16])?;                  // handed ahead: accepted already
/// group.switch_to(2, 1_700_000_000, 60)?;         // epoch 1 accepted until +60 s
/// assert_eq!(group.current_epoch(), 2);
/// assert_eq!(group.accept_until(1), Some(1_700_000_060));
/// # Ok::<(), payseal::KeyError>(())
/// ```
#[derive(Clone, Debug)]
pub struct GroupEpochs {
    group: Vec<u8>,
    alg: ContentAlg,
    current: u32,
    keys: BTreeMap<u32, EpochKey>,
}

impl GroupEpochs {
    /// A group at epoch `epoch`, with its secret (16 bytes for A128GCM, 32 for A256GCM).
    ///
    /// # Errors
    /// [`KeyError::Invalid`] for a bad group id, algorithm or secret length.
    pub fn new(group: &[u8], epoch: u32, alg: ContentAlg, secret: &[u8]) -> Result<Self, KeyError> {
        let key = GroupKey::new(epoch_kid(group, epoch)?, alg, secret)?;
        let mut keys = BTreeMap::new();
        keys.insert(
            epoch,
            EpochKey {
                key,
                accept_until: None,
            },
        );
        Ok(GroupEpochs {
            group: group.to_vec(),
            alg,
            current: epoch,
            keys,
        })
    }

    /// The group id.
    pub fn group(&self) -> &[u8] {
        &self.group
    }

    /// The content algorithm of every epoch.
    pub fn alg(&self) -> ContentAlg {
        self.alg
    }

    /// The epoch senders seal under.
    pub fn current_epoch(&self) -> u32 {
        self.current
    }

    /// The current epoch's key, for sealing ([`Audience::group`](crate::Audience::group)).
    pub fn current_key(&self) -> Option<&GroupKey> {
        self.keys.get(&self.current).map(|e| &e.key)
    }

    /// The key of `epoch`, if held.
    pub fn key(&self, epoch: u32) -> Option<&GroupKey> {
        self.keys.get(&epoch).map(|e| &e.key)
    }

    /// The last second a past `epoch` is accepted (`None`: current, future or not held).
    pub fn accept_until(&self, epoch: u32) -> Option<u64> {
        self.keys.get(&epoch).and_then(|e| e.accept_until)
    }

    /// Every epoch held, ascending: (epoch, key, accept_until).
    pub fn epochs(&self) -> impl Iterator<Item = (u32, &GroupKey, Option<u64>)> {
        self.keys
            .iter()
            .map(|(epoch, e)| (*epoch, &e.key, e.accept_until))
    }

    /// Hands out a future epoch's key ahead of the switch: accepted from now on, sealed under
    /// only after [`switch_to`](Self::switch_to).
    ///
    /// # Errors
    /// [`KeyError::Invalid`] if `epoch` is not after the current one, or a bad secret.
    pub fn add_next(&mut self, epoch: u32, secret: &[u8]) -> Result<&mut Self, KeyError> {
        if epoch <= self.current {
            return Err(KeyError::Invalid);
        }
        self.insert(epoch, secret, None)
    }

    /// Adds a past epoch's key, accepted until `accept_until` (inclusive).
    ///
    /// # Errors
    /// [`KeyError::Invalid`] if `epoch` is not before the current one, or a bad secret.
    pub fn add_previous(
        &mut self,
        epoch: u32,
        secret: &[u8],
        accept_until: u64,
    ) -> Result<&mut Self, KeyError> {
        if epoch >= self.current {
            return Err(KeyError::Invalid);
        }
        self.insert(epoch, secret, Some(accept_until))
    }

    fn insert(
        &mut self,
        epoch: u32,
        secret: &[u8],
        accept_until: Option<u64>,
    ) -> Result<&mut Self, KeyError> {
        let key = GroupKey::new(epoch_kid(&self.group, epoch)?, self.alg, secret)?;
        self.keys.insert(epoch, EpochKey { key, accept_until });
        Ok(self)
    }

    /// Forgets every epoch handed out ahead (their keys wiped): a rotation abandoned because
    /// a member that received the next epoch left the group.
    pub fn forget_ahead(&mut self) -> &mut Self {
        let current = self.current;
        self.keys.retain(|epoch, _| *epoch <= current);
        self
    }

    /// Makes `epoch` (already held, see [`add_next`](Self::add_next)) current at `now`: the
    /// old current epoch stays accepted for `grace_secs`, and past epochs whose grace ended
    /// before `now` are dropped (their keys wiped).
    ///
    /// # Errors
    /// [`KeyError::Invalid`] if `epoch` is not after the current one or not held.
    pub fn switch_to(
        &mut self,
        epoch: u32,
        now: u64,
        grace_secs: u64,
    ) -> Result<&mut Self, KeyError> {
        if epoch <= self.current || !self.keys.contains_key(&epoch) {
            return Err(KeyError::Invalid);
        }
        if let Some(old) = self.keys.get_mut(&self.current) {
            old.accept_until = Some(now.saturating_add(grace_secs));
        }
        self.current = epoch;
        // Epochs between the old and the new current one were never used by this holder's
        // senders; they become past epochs with the same grace.
        let until = now.saturating_add(grace_secs);
        for (_, e) in self.keys.range_mut(..epoch) {
            e.accept_until = Some(e.accept_until.map_or(until, |u| u.min(until)));
        }
        self.keys
            .retain(|_, e| e.accept_until.is_none_or(|until| until >= now));
        Ok(self)
    }

    /// The key for an envelope under `epoch`, judged at `now` (spec/key-management.md §2.2).
    pub(crate) fn accept(&self, epoch: u32, now: Option<u64>) -> Result<&GroupKey, Rejection> {
        match self.keys.get(&epoch) {
            Some(e) if epoch >= self.current => Ok(&e.key),
            Some(e) => match (e.accept_until, now) {
                (Some(until), Some(now)) if now <= until => Ok(&e.key),
                _ => Err(Rejection::KeyExpired),
            },
            None if epoch < self.current => Err(Rejection::KeyExpired),
            None => Err(Rejection::NotForMe),
        }
    }

    /// The epoch named by `kid`, if it is one of this group's kids.
    pub(crate) fn epoch_of(&self, kid: &[u8]) -> Option<u32> {
        let rest = kid.strip_prefix(self.group.as_slice())?;
        <[u8; EPOCH_LEN]>::try_from(rest)
            .ok()
            .map(u32::from_be_bytes)
    }
}
