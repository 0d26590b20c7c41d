//! A group member's side: it trusts only the controller on its own key topic, applies updates
//! whole, and persists them before using them (spec/key-management.md §4.2).

use std::collections::BTreeMap;
use std::path::Path;

use payseal::{
    Clock, GroupEpochs, KeyValidity, Keyring, Kid, MemoryReplayStore, Opener, Policy, RecipientKey,
    TrustStore, VerifyingKey,
};
use payseal_store::StateFile;

use crate::error::KeysError;
use crate::topic::key_topic;
use crate::update::KeyUpdate;

/// How long a retained key update stays acceptable by default: an update is valid until the
/// next one, so a member offline for weeks still catches up.
pub const DEFAULT_UPDATE_MAX_AGE_SECS: u64 = 30 * 86_400;

/// What [`Member::handle`] did with an update.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Applied {
    /// A newer update was applied and persisted.
    Updated {
        /// Its update number.
        number: u64,
    },
    /// The update already applied, or an envelope already seen, delivered again (a retained
    /// redelivery): nothing changed.
    Duplicate,
}

/// A member: its recipient key, the controller's keys it trusts, and its current group keys.
///
/// ```no_run
/// # fn demo(my_key: payseal::RecipientKey, controller: payseal::VerifyingKey,
/// #         topic: &str, payload: &[u8]) -> Result<(), payseal_keys::KeysError> {
/// use payseal::SystemClock;
/// use payseal_keys::Member;
/// let mut member = Member::open("state/member.keys", my_key, [controller], SystemClock)?;
/// // subscribe to member.key_topic() at QoS 1, and for each message:
/// member.handle(topic, payload)?;
/// let mut keyring = payseal::Keyring::new();
/// member.install(&mut keyring);
/// # Ok(()) }
/// ```
pub struct Member<C: Clock> {
    kid: Kid,
    topic: String,
    opener: Opener<MemoryReplayStore, C>,
    file: StateFile,
    applied: u64,
    groups: BTreeMap<Vec<u8>, GroupEpochs>,
    /// Groups held before and absent from a later update: removed from keyrings on install.
    left: Vec<Vec<u8>>,
}

impl<C: Clock> Member<C> {
    /// Opens the member with its recipient key, the controller key(s) it trusts on its key
    /// topic (several during a controller key rollover), and its state file (created if
    /// missing; its last applied update is loaded).
    ///
    /// # Errors
    /// [`KeysError::Store`] if the state file cannot be opened or is damaged,
    /// [`KeysError::Malformed`] if it does not hold an update.
    pub fn open(
        state: impl AsRef<Path>,
        key: RecipientKey,
        controllers: impl IntoIterator<Item = VerifyingKey>,
        clock: C,
    ) -> Result<Self, KeysError> {
        let kid = key.kid();
        let topic = key_topic(&kid);
        let mut trust = TrustStore::new();
        for controller in controllers {
            trust.add_sender(controller, [topic.as_str()])?;
        }
        let mut keyring = Keyring::new();
        keyring.add_recipient_key(key)?.require_encryption(&topic)?;
        let policy = Policy::default().with_max_age(DEFAULT_UPDATE_MAX_AGE_SECS)?;
        let opener = Opener::new(trust, policy, clock).with_keyring(keyring);
        let file = StateFile::open(state)?;
        let (applied, groups) = match file.read()? {
            Some(bytes) => {
                let update = KeyUpdate::from_cbor(&zeroize::Zeroizing::new(bytes))?;
                (update.number, by_id(update.groups))
            }
            None => (0, BTreeMap::new()),
        };
        Ok(Member {
            kid,
            topic,
            opener,
            file,
            applied,
            groups,
            left: Vec::new(),
        })
    }

    /// This member's kid (its recipient key's).
    pub fn kid(&self) -> &Kid {
        &self.kid
    }

    /// The topic to subscribe to (QoS 1): `payseal/keys/<kid hex>`.
    pub fn key_topic(&self) -> &str {
        &self.topic
    }

    /// The number of the last update applied (0: none yet).
    pub fn applied(&self) -> u64 {
        self.applied
    }

    /// The group keys held, by group id.
    pub fn groups(&self) -> &BTreeMap<Vec<u8>, GroupEpochs> {
        &self.groups
    }

    /// The keys of one group, if this member belongs to it.
    pub fn group(&self, id: &[u8]) -> Option<&GroupEpochs> {
        self.groups.get(id)
    }

    /// Bounds when the trusted controller key `controller` is accepted on the key topic: a
    /// controller key rollover (spec/key-management.md §4.5) trusts the old and the new key
    /// (both given to [`open`](Self::open)) with overlapping windows, after which updates
    /// signed by the old key are refused as `key_expired`.
    ///
    /// ```
    /// use payseal::{Algorithm, KemKind, KeyValidity, ManualClock, RecipientKey, SigningKey};
    /// use payseal_keys::Member;
    /// # let dir = std::env::temp_dir().join(format!("payseal-member-doc-{}", std::process::id()));
    /// let (old, new) = (SigningKey::generate(Algorithm::Ed25519)?, SigningKey::generate(Algorithm::Ed25519)?);
    /// let key = RecipientKey::generate(KemKind::X25519)?;
    /// let clock = ManualClock::new(1_700_000_000);
    /// let trusted = [old.verifying_key(), new.verifying_key()];
    /// let mut member = Member::open(dir.join("member.keys"), key, trusted, &clock)?;
    /// member.set_controller_validity(&old.kid(), KeyValidity::always().until(1_700_086_400))?;
    /// member.set_controller_validity(&new.kid(), KeyValidity::always().from(1_700_000_000))?;
    /// # drop(member); std::fs::remove_dir_all(&dir).ok();
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// [`KeysError::Config`] if `controller` is not one of the trusted controller keys, or the
    /// window ends before it starts.
    pub fn set_controller_validity(
        &mut self,
        controller: &Kid,
        validity: KeyValidity,
    ) -> Result<(), KeysError> {
        self.opener.trust_mut().set_validity(controller, validity)?;
        Ok(())
    }

    /// Checks and applies a message from the key topic (spec/key-management.md §4.2):
    /// nothing changes unless every check passes, and the new state is on disk before this
    /// returns `Updated`.
    ///
    /// # Errors
    /// [`KeysError::Refused`] when the envelope fails a payseal check (wrong signer, another
    /// member's update, moved, replayed), [`KeysError::Malformed`], [`KeysError::WrongMember`],
    /// [`KeysError::OldUpdate`], or [`KeysError::Store`] if it could not be persisted (then it
    /// is not applied either).
    pub fn handle(&mut self, topic: &str, envelope: &[u8]) -> Result<Applied, KeysError> {
        let verified = match self.opener.open(topic, envelope) {
            // The same envelope again (a retained redelivery): already applied or refused.
            Err(payseal::Rejection::Replayed { .. }) => return Ok(Applied::Duplicate),
            other => other?,
        };
        let update = KeyUpdate::from_cbor(verified.payload())?;
        // Wipe the decrypted plaintext copy held by `verified`.
        drop(zeroize::Zeroizing::new(verified.into_payload()));
        if update.member != self.kid {
            return Err(KeysError::WrongMember);
        }
        if update.number == self.applied {
            return Ok(Applied::Duplicate);
        }
        if update.number < self.applied {
            return Err(KeysError::OldUpdate {
                got: update.number,
                applied: self.applied,
            });
        }
        self.file.write(&update.to_cbor()?)?;
        self.applied = update.number;
        let groups = by_id(update.groups);
        let left = self.groups.keys().filter(|id| !groups.contains_key(*id));
        self.left.extend(left.cloned());
        self.left.retain(|id| !groups.contains_key(id));
        self.groups = groups;
        tracing::info!(
            number = self.applied,
            groups = self.groups.len(),
            "key update applied"
        );
        Ok(Applied::Updated {
            number: self.applied,
        })
    }

    /// Puts this member's group keys into `keyring`, replacing each group whole; groups the
    /// member left are removed from it.
    pub fn install(&self, keyring: &mut Keyring) {
        for id in &self.left {
            keyring.remove_group_epochs(id);
        }
        for group in self.groups.values() {
            keyring.set_group_epochs(group.clone());
        }
    }
}

fn by_id(groups: Vec<GroupEpochs>) -> BTreeMap<Vec<u8>, GroupEpochs> {
    groups
        .into_iter()
        .map(|g| (g.group().to_vec(), g))
        .collect()
}
