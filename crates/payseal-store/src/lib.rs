//! # payseal-store: replay state that survives restarts and is shared by a fleet
//!
//! Replay protection that forgets on restart is no protection, and a sender that reuses a
//! sequence number after a crash has its messages dropped. This crate keeps both sides'
//! state durable:
//!
//! - **Senders**: [`FileSeqStore`], a [`payseal::SequenceSource`] that reserves numbers ahead
//!   in a small file (temp file, fsync, rename, fsync of the directory) and resumes after a
//!   crash at the last reservation, so no number is ever used twice. If it cannot write, the
//!   [`payseal::Sealer`] refuses to seal ([`payseal::SequenceError::StoreUnavailable`]).
//!   [`SeqStore`] is the trait for other backends.
//! - **Receivers**: [`FileReplayStore`], a [`payseal::ReplayStore`] whose windows are written
//!   through to an fsynced log before a number is accepted, so a message accepted before a
//!   restart is rejected after it. [`payseal::MemoryReplayStore`] (re-exported) is the
//!   in-memory one.
//! - **Fleets** (feature `redis`): `RedisReplayStore`, one window per sender in Redis,
//!   checked and updated atomically by a Lua script, so subscribers sharing a subscription
//!   accept each message at most once between them.
//!
//! Every store fails closed. A replay store that cannot record a number rejects the message
//! with [`store_unavailable`] (tell it apart with [`is_store_unavailable`]); it never accepts
//! a message unchecked. The design, the durability trade-offs and the policy for the first
//! message after a restart are in `spec/replay-stores.md`.
//!
//! ```
//! use payseal::{Algorithm, ManualClock, Sealer, SigningKey};
//! use payseal_store::FileSeqStore;
//! # let dir = std::env::temp_dir().join(format!("payseal-store-doc-{}", std::process::id()));
//! # std::fs::create_dir_all(&dir)?;
//! let clock = ManualClock::new(1_700_000_000);
//! let key = SigningKey::generate(Algorithm::Ed25519)?;
//! // One fsync per 1,000 envelopes; after a crash, at most 1,000 numbers are skipped.
//! let mut sealer = Sealer::new(key, FileSeqStore::open(dir.join("sensor.seq"), 1_000)?, &clock);
//! let envelope = sealer.seal("plant/3/temp", b"21.5")?;
//! # drop(sealer);
//! # std::fs::remove_dir_all(&dir)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Features
//! None is on by default: the stores depend on `payseal` and the standard library only.
//! - `redis`: the fleet store (the synchronous `redis` client, no TLS, no async runtime).
//! - `mqtt-bins`: test tooling, not for library users: the publisher and subscriber processes
//!   that the crash, restart and fleet tests run (they bring rumqttc, tokio and
//!   payseal-rumqttc). `cargo test -p payseal-store --all-features` runs those tests.

#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod durable;
mod error;
mod file_replay;
#[cfg(feature = "redis")]
mod fleet;
mod private_fs;
mod seq;
mod state_file;
mod window;

pub use error::StoreError;
pub use file_replay::{Durability, FileReplayStore};
#[cfg(feature = "redis")]
pub use fleet::{RedisReplayStore, RedisStoreConfig};
pub use payseal::MemoryReplayStore;
pub use seq::{FileSeqStore, ReservingSequence, SeqFile, SeqStore};
pub use state_file::StateFile;

/// Creates `dir` (mode 0700) or checks an existing one as the stores check their state
/// directories: refused if another user could write into it. For other private files an
/// application keeps beside its state, such as a quarantine of refused messages.
///
/// # Errors
/// [`StoreError::Insecure`] for a directory others could write into, else I/O.
pub fn create_private_dir(dir: &std::path::Path) -> Result<(), StoreError> {
    private_fs::create_dir(dir)
}

/// Opens `path` for appending, created mode 0600, never through a symbolic link.
///
/// # Errors
/// I/O, and a symbolic link at `path`.
pub fn open_private_append(path: &std::path::Path) -> std::io::Result<std::fs::File> {
    private_fs::open(std::fs::OpenOptions::new().append(true).create(true), path)
}

/// The rejection a replay store returns when it cannot check or record `seq` (a write
/// failed, Redis is down): the message is refused, never accepted unchecked.
///
/// It is [`Rejection::StoreUnavailable`](payseal::Rejection::StoreUnavailable): not an alarm,
/// and retryable, so adapters leave the message unacknowledged for the broker to redeliver.
pub fn store_unavailable(seq: u64) -> payseal::Rejection {
    payseal::Rejection::StoreUnavailable { seq }
}

/// Whether `rejection` is [`store_unavailable`]: the store could not judge the message.
///
/// ```
/// use payseal_store::{is_store_unavailable, store_unavailable};
/// assert!(is_store_unavailable(&store_unavailable(7)));
/// assert!(!is_store_unavailable(&payseal::Rejection::Replayed { seq: 7 }));
/// ```
pub fn is_store_unavailable(rejection: &payseal::Rejection) -> bool {
    matches!(rejection, payseal::Rejection::StoreUnavailable { .. })
}

/// [`store_unavailable`] for every item of a batch.
#[cfg(feature = "redis")]
fn unavailable_results<K, T>(items: &[(K, u64, T)]) -> Vec<Result<(), payseal::Rejection>> {
    items
        .iter()
        .map(|(_, seq, _)| Err(store_unavailable(*seq)))
        .collect()
}
