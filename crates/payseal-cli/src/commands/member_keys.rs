//! `payseal sub --member-key --controller --key-state`: group keys from a key controller.
//!
//! A second connection subscribes to the member's own key topic; it has no opener, so every
//! key update reaches its rejection hook raw, and the hook hands it to a
//! [`Member`](payseal_keys::Member), which checks it (the controller's signature, addressed to
//! this member, newer) and persists it. The data opener takes the member's group keys into its
//! keyring before it opens the next envelope after each applied update.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use payseal::{CheckedBatch, Freshness, Kid, MessageKind, Rejection, SystemClock, Verified};
use payseal_keys::{Applied, Member};
use payseal_rumqttc::{EnvelopeOpener, RejectedMessage, escape_text};

use crate::Failure;
use crate::commands::setup::CliOpener;
use crate::keyfile;

/// The member state file inside `--key-state`.
const STATE_FILE: &str = "member.state";

/// The member, shared by the key connection's hook and the data opener.
#[derive(Clone)]
pub(crate) struct GroupKeys {
    member: Arc<Mutex<Member<SystemClock>>>,
    /// Bumped by every applied update.
    generation: Arc<AtomicU64>,
    topic: String,
}

impl GroupKeys {
    /// Opens the member state (its lock held while this lives).
    ///
    /// # Errors
    /// Unusable key files ([`Failure::BadInput`], [`Failure::Io`]); a state that cannot be
    /// opened, is locked or damaged.
    pub(crate) fn open(key: &Path, controller: &Path, state: &Path) -> Result<Self, Failure> {
        let key = keyfile::read_recipient_key(key)?;
        let controller = keyfile::read_verifying_key(controller)?;
        let member = Member::open(state.join(STATE_FILE), key, [controller], SystemClock)
            .map_err(|e| Failure::Io(format!("key state '{}': {e}", state.display())))?;
        Ok(GroupKeys {
            topic: member.key_topic().to_owned(),
            member: Arc::new(Mutex::new(member)),
            generation: Arc::new(AtomicU64::new(0)),
        })
    }

    /// The member's key topic.
    pub(crate) fn topic(&self) -> &str {
        &self.topic
    }

    /// The data opener, taking the group keys as they change.
    pub(crate) fn opener(&self, inner: CliOpener) -> KeyedOpener {
        let mut opener = KeyedOpener {
            inner,
            keys: self.clone(),
            installed: u64::MAX,
        };
        opener.refresh();
        opener
    }

    /// The key connection's rejection hook: every message on the key topic, raw.
    pub(crate) fn hook(&self) -> impl FnMut(&RejectedMessage<'_>) + Send + 'static {
        let keys = self.clone();
        move |message| keys.handle(message.topic, message.payload)
    }

    fn handle(&self, topic: &str, payload: &[u8]) {
        if topic != self.topic || payload.is_empty() {
            return; // a cleared retained update: this member left every group
        }
        let Ok(mut member) = self.member.lock() else {
            return;
        };
        match member.handle(topic, payload) {
            Ok(Applied::Updated { number }) => {
                self.generation.fetch_add(1, Ordering::SeqCst);
                eprintln!("key update {number} applied");
            }
            Ok(_) => {}
            Err(e) => eprintln!(
                "key update on {} refused: {}",
                escape_text(topic),
                escape_text(&e.to_string())
            ),
        }
    }
}

/// The data opener with the member's group keys in its keyring.
pub(crate) struct KeyedOpener {
    inner: CliOpener,
    keys: GroupKeys,
    installed: u64,
}

impl KeyedOpener {
    /// Installs the member's group keys if an update was applied since the last time.
    fn refresh(&mut self) {
        let now = self.keys.generation.load(Ordering::SeqCst);
        if now == self.installed {
            return;
        }
        if let Ok(member) = self.keys.member.lock() {
            member.install(self.inner.keyring_mut());
            self.installed = now;
        }
    }
}

impl EnvelopeOpener for KeyedOpener {
    fn open(
        &mut self,
        topic: &str,
        envelope: &[u8],
        freshness: Option<Freshness>,
    ) -> Result<Verified, Rejection> {
        self.refresh();
        EnvelopeOpener::open(&mut self.inner, topic, envelope, freshness)
    }

    fn open_by_kind(
        &mut self,
        topic: &str,
        envelope: &[u8],
        bounds: &mut dyn FnMut(MessageKind, &Kid, Freshness) -> Freshness,
    ) -> Result<Verified, Rejection> {
        self.refresh();
        EnvelopeOpener::open_by_kind(&mut self.inner, topic, envelope, bounds)
    }

    fn check_batch(&mut self, items: &[(&str, &[u8])]) -> Option<CheckedBatch> {
        self.refresh();
        EnvelopeOpener::check_batch(&mut self.inner, items)
    }

    fn commit_batch(
        &mut self,
        batch: CheckedBatch,
        bounds: &mut dyn FnMut(usize, MessageKind, &Kid, Freshness) -> Freshness,
    ) -> Vec<Result<Verified, Rejection>> {
        EnvelopeOpener::commit_batch(&mut self.inner, batch, bounds)
    }
}
