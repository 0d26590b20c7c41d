//! The replay store an opener records accepted sequence numbers in: in memory, or durable in
//! a state directory (payseal-store's `FileReplayStore`, as the CLI's `--state DIR`).
//! Shared, so `Opener.record_seen` can add to it after the opener was built.

use std::sync::{Arc, Mutex};

use payseal::{Kid, MemoryReplayStore, Rejection, ReplayStore};
use payseal_store::FileReplayStore;

pub(crate) enum Store {
    Memory(MemoryReplayStore),
    File(FileReplayStore),
}

/// A handle on the opener's replay store; clones share it.
#[derive(Clone)]
pub(crate) struct SharedReplay(Arc<Mutex<Store>>);

impl SharedReplay {
    pub(crate) fn new(store: Store) -> Self {
        SharedReplay(Arc::new(Mutex::new(store)))
    }

    fn with<T>(
        &self,
        seq: u64,
        f: impl FnOnce(&mut Store) -> Result<T, Rejection>,
    ) -> Result<T, Rejection> {
        // A poisoned lock (a panic while recording) fails closed, like an unreachable store.
        let mut store = self
            .0
            .lock()
            .map_err(|_| Rejection::StoreUnavailable { seq })?;
        f(&mut store)
    }
}

impl ReplayStore for SharedReplay {
    fn check_and_record(&mut self, sender: &Kid, seq: u64) -> Result<(), Rejection> {
        self.with(seq, |store| match store {
            Store::Memory(s) => s.check_and_record(sender, seq),
            Store::File(s) => s.check_and_record(sender, seq),
        })
    }

    fn check_and_record_for(
        &mut self,
        sender: &Kid,
        seq: u64,
        remember_for: core::time::Duration,
    ) -> Result<(), Rejection> {
        self.with(seq, |store| match store {
            Store::Memory(s) => s.check_and_record_for(sender, seq, remember_for),
            Store::File(s) => s.check_and_record_for(sender, seq, remember_for),
        })
    }
}
