//! The controller (spec/key-management.md §4.3-4.5): membership, epoch keys, rotation, and the
//! sealed key updates to publish. It does no I/O besides its state file: the caller publishes
//! what each operation returns (QoS 1), in order.

use std::collections::BTreeSet;
use std::path::Path;

use payseal::{
    Audience, Clock, ContentAlg, Counter, GroupEpochs, GroupKey, Kid, MessageKind, Recipient,
    RecipientPublicKey, Sealer, SigningKey, epoch_kid,
};
use payseal_store::StateFile;

use crate::error::KeysError;
use crate::state::{GroupRecord, State};
use crate::topic::key_topic;
use crate::update::KeyUpdate;

/// Timing of rotations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ControllerConfig {
    /// How long the previous epoch stays accepted after a switch.
    pub grace_secs: u64,
    /// Between handing the next epoch out and switching to it (members must have it first).
    pub handover_secs: u64,
    /// Rotate every this many seconds (`None`: never by time).
    pub rotate_every_secs: Option<u64>,
    /// Rotate after this many envelopes seen on a group's topics (`None`: never by count).
    pub rotate_after_messages: Option<u64>,
}

impl Default for ControllerConfig {
    fn default() -> Self {
        ControllerConfig {
            grace_secs: 300,
            handover_secs: 5,
            rotate_every_secs: None,
            rotate_after_messages: None,
        }
    }
}

/// A message to publish at QoS 1 with the retain flag: a sealed key update, or an empty
/// payload that clears a removed member's retained update.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Publish {
    /// The member's key topic.
    pub topic: String,
    /// The envelope (empty: clear the retained message).
    pub payload: Vec<u8>,
}

/// One group's status.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct GroupStatus {
    /// The group id.
    pub group: Vec<u8>,
    /// The epoch senders seal under.
    pub current: u32,
    /// A rotation under way: the next epoch and when the switch happens.
    pub pending: Option<(u32, u64)>,
    /// Its members' kids.
    pub members: Vec<Kid>,
}

/// The key controller. See the crate documentation for an example.
pub struct Controller<C: Clock + Clone> {
    state: State,
    file: StateFile,
    sealer: Sealer<SigningKey, Counter, C>,
    clock: C,
    config: ControllerConfig,
}

impl<C: Clock + Clone> Controller<C> {
    /// Opens the controller with its signing key and state file (created if missing). After a
    /// restart, publish what [`republish`](Self::republish) returns.
    ///
    /// # Errors
    /// [`KeysError::Store`] if the state file cannot be opened, is locked or damaged.
    pub fn open(
        state: impl AsRef<Path>,
        key: SigningKey,
        clock: C,
        config: ControllerConfig,
    ) -> Result<Self, KeysError> {
        let file = StateFile::open(state)?;
        let state = match file.read()? {
            Some(bytes) => State::from_cbor(&zeroize::Zeroizing::new(bytes))?,
            None => State::default(),
        };
        // Sequence numbers from the clock in microseconds: above every earlier run's.
        let sealer = Sealer::new(key, Counter::from_unix_micros(), clock.clone());
        let mut controller = Controller {
            state,
            file,
            sealer,
            clock,
            config,
        };
        let members: Vec<_> = controller.state.members.values().cloned().collect();
        for member in members {
            controller.address(&member)?;
        }
        Ok(controller)
    }

    /// The controller's kid (members trust it on their key topics).
    pub fn kid(&self) -> &Kid {
        self.sealer.kid()
    }

    /// Every group's status.
    pub fn status(&self) -> Vec<GroupStatus> {
        self.state
            .groups
            .values()
            .map(|g| GroupStatus {
                group: g.epochs.group().to_vec(),
                current: g.epochs.current_epoch(),
                pending: g.pending,
                members: g.members.iter().cloned().collect(),
            })
            .collect()
    }

    /// The keys of a group (for a sender co-located with the controller, and for tests).
    pub fn group(&self, id: &[u8]) -> Option<&GroupEpochs> {
        self.state.groups.get(id).map(|g| &g.epochs)
    }

    /// Creates a group at epoch 1 with a fresh AES-128-GCM key from the OS RNG.
    ///
    /// # Errors
    /// [`KeysError::Config`] if it exists, [`KeysError::Key`] for a bad id or an RNG failure.
    pub fn create_group(&mut self, id: &[u8]) -> Result<(), KeysError> {
        if self.state.groups.contains_key(id) {
            return Err(KeysError::Config("the group exists".into()));
        }
        let key = GroupKey::generate(epoch_kid(id, 1)?)?;
        let epochs = GroupEpochs::new(id, 1, ContentAlg::A128Gcm, key.expose_secret())?;
        let record = GroupRecord {
            epochs,
            members: BTreeSet::new(),
            pending: None,
            highest_epoch: 1,
            rotated_at: self.now()?,
            messages: 0,
        };
        self.state.groups.insert(id.to_vec(), record);
        self.persist()
    }

    /// Adds a member (by its recipient public key) to a group and returns its update.
    ///
    /// # Errors
    /// [`KeysError::Config`] for an unknown group, or the errors of persisting and sealing.
    pub fn add_member(
        &mut self,
        group: &[u8],
        member: RecipientPublicKey,
    ) -> Result<Vec<Publish>, KeysError> {
        let kid = member.kid();
        self.record_mut(group)?.members.insert(kid.clone());
        self.address(&member)?;
        self.state.members.insert(kid.clone(), member);
        self.updates_for([kid])
    }

    /// Removes a member from a group and starts a rotation whose new epoch only the remaining
    /// members receive (spec/key-management.md §4.4). A member left in no group has its
    /// retained update cleared.
    ///
    /// # Errors
    /// [`KeysError::Config`] for an unknown group or member.
    pub fn remove_member(&mut self, group: &[u8], member: &Kid) -> Result<Vec<Publish>, KeysError> {
        let record = self.record_mut(group)?;
        if !record.members.remove(member) {
            return Err(KeysError::Config("not a member of this group".into()));
        }
        // A pending next epoch was already handed to the removed member: abandon it, and
        // rotate to one above it that the removed member never sees.
        if record.pending.take().is_some() {
            record.epochs.forget_ahead();
        }
        let mut targets = self.begin_rotation(group)?;
        let still_member = self
            .state
            .groups
            .values()
            .any(|g| g.members.contains(member));
        if still_member {
            targets.push(member.clone());
        } else {
            self.state.members.remove(member);
        }
        // One persist for the whole change: a crash never leaves the member removed with the
        // abandoned epoch still pending.
        let mut out = self.updates_for(targets)?;
        if !still_member {
            out.insert(
                0,
                Publish {
                    topic: key_topic(member),
                    payload: Vec::new(),
                },
            );
        }
        Ok(out)
    }

    /// Starts a rotation now (spec/key-management.md §4.3): draws the next epoch's key and
    /// hands it to every member ahead; [`tick`](Self::tick) switches after the hand-over
    /// delay. With a rotation already under way, the members get their updates again.
    ///
    /// # Errors
    /// [`KeysError::Config`] for an unknown group; persisting, RNG and sealing errors.
    pub fn rotate(&mut self, group: &[u8]) -> Result<Vec<Publish>, KeysError> {
        let members = self.begin_rotation(group)?;
        self.updates_for(members)
    }

    /// Draws the next epoch (unless one is pending) in memory; returns the group's members.
    fn begin_rotation(&mut self, group: &[u8]) -> Result<Vec<Kid>, KeysError> {
        let now = self.now()?;
        let switch_at = now.saturating_add(self.config.handover_secs);
        let record = self.record_mut(group)?;
        if record.pending.is_none() {
            // Above every epoch ever handed out: an epoch number names one secret.
            let next = record
                .highest_epoch
                .max(record.epochs.current_epoch())
                .checked_add(1)
                .ok_or_else(|| KeysError::Config("epochs exhausted".into()))?;
            let key = GroupKey::generate(epoch_kid(group, next)?)?;
            record.epochs.add_next(next, key.expose_secret())?;
            record.pending = Some((next, switch_at));
            record.highest_epoch = next;
            tracing::info!(epoch = next, "rotation started");
        }
        Ok(record.members.iter().cloned().collect())
    }

    /// Counts envelopes seen on a group's topics, for rotation by message count.
    pub fn record_messages(&mut self, group: &[u8], count: u64) {
        if let Some(g) = self.state.groups.get_mut(group) {
            g.messages = g.messages.saturating_add(count);
        }
    }

    /// Finishes rotations whose hand-over delay passed, and starts scheduled ones (by time
    /// or by message count). Call it about once a second.
    ///
    /// # Errors
    /// Persisting, RNG and sealing errors.
    pub fn tick(&mut self) -> Result<Vec<Publish>, KeysError> {
        let now = self.now()?;
        let mut out = Vec::new();
        let ids: Vec<_> = self.state.groups.keys().cloned().collect();
        for id in ids {
            let Some(record) = self.state.groups.get_mut(&id) else {
                continue;
            };
            match record.pending {
                Some((next, at)) if now >= at => {
                    record.epochs.switch_to(next, now, self.config.grace_secs)?;
                    record.pending = None;
                    record.rotated_at = now;
                    record.messages = 0;
                    tracing::info!(epoch = next, "switched to the new epoch");
                    let members: Vec<_> = record.members.iter().cloned().collect();
                    out.extend(self.updates_for(members)?);
                }
                Some(_) => {}
                None => {
                    let by_time = self
                        .config
                        .rotate_every_secs
                        .is_some_and(|every| now >= record.rotated_at.saturating_add(every));
                    let by_count = self
                        .config
                        .rotate_after_messages
                        .is_some_and(|n| record.messages >= n);
                    if by_time || by_count {
                        out.extend(self.rotate(&id)?);
                    }
                }
            }
        }
        Ok(out)
    }

    /// Every member's current update again, with new update numbers: after a restart, so
    /// that a rotation interrupted by a crash reaches everyone.
    ///
    /// # Errors
    /// Persisting and sealing errors.
    pub fn republish(&mut self) -> Result<Vec<Publish>, KeysError> {
        let members: Vec<_> = self.state.members.keys().cloned().collect();
        self.updates_for(members)
    }

    /// Numbers, persists, then seals one update per member: the state (and so every secret
    /// it names) is on disk before anything derived from it leaves.
    fn updates_for(
        &mut self,
        members: impl IntoIterator<Item = Kid>,
    ) -> Result<Vec<Publish>, KeysError> {
        let mut updates = Vec::new();
        for member in members {
            self.state.counter = self.state.counter.saturating_add(1);
            let groups = self
                .state
                .groups
                .values()
                .filter(|g| g.members.contains(&member))
                .map(|g| g.epochs.clone())
                .collect();
            updates.push(KeyUpdate {
                member,
                number: self.state.counter,
                groups,
            });
        }
        self.persist()?;
        updates
            .iter()
            .map(|update| {
                let topic = key_topic(&update.member);
                // Never in the clear: every member topic has its member's audience.
                if self.sealer.audience_for(&topic).is_none() {
                    return Err(KeysError::Config("no recipient key for this member".into()));
                }
                let payload =
                    self.sealer
                        .seal_kind(&topic, &update.to_cbor()?, MessageKind::Retained)?;
                Ok(Publish { topic, payload })
            })
            .collect()
    }

    fn address(&mut self, member: &RecipientPublicKey) -> Result<(), KeysError> {
        let audience = Audience::recipients([Recipient::new(member.clone())])?;
        self.sealer
            .set_audience(&key_topic(&member.kid()), audience)?;
        Ok(())
    }

    fn record_mut(&mut self, group: &[u8]) -> Result<&mut GroupRecord, KeysError> {
        self.state
            .groups
            .get_mut(group)
            .ok_or_else(|| KeysError::Config("unknown group".into()))
    }

    fn persist(&self) -> Result<(), KeysError> {
        self.file.write(&self.state.to_cbor()?)?;
        Ok(())
    }

    fn now(&self) -> Result<u64, KeysError> {
        self.clock
            .now()
            .ok_or_else(|| KeysError::Config("clock unavailable".into()))
    }
}
