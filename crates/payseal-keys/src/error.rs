//! Why a key update or a controller operation failed.

use payseal::Rejection;
use payseal_store::StoreError;

/// A key lifecycle operation failed. Nothing was changed, and nothing was published.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeysError {
    /// The key update envelope was refused by the payseal checks (wrong signer, not for this
    /// member, replayed, moved to another topic, ...).
    #[error("key update refused: {0}")]
    Refused(#[from] Rejection),
    /// The update decrypted but is not a well-formed key update (spec/key-management.md §4.2).
    #[error("malformed key update: {0}")]
    Malformed(&'static str),
    /// The update is addressed to another member.
    #[error("key update for another member")]
    WrongMember,
    /// The update is older than the one already applied (a replay of an old retained update).
    #[error("key update {got} is older than the applied update {applied}")]
    OldUpdate {
        /// The update number received.
        got: u64,
        /// The last update number applied.
        applied: u64,
    },
    /// The state file could not be read or written.
    #[error("state: {0}")]
    Store(#[from] StoreError),
    /// Sealing an update failed (no update is ever published in the clear).
    #[error("sealing a key update failed: {0}")]
    Seal(#[from] payseal::SealError),
    /// A key was invalid or the OS RNG failed.
    #[error("key: {0}")]
    Key(#[from] payseal::KeyError),
    /// A configuration value is wrong (unknown group or member, a duplicate, ...).
    #[error("{0}")]
    Config(String),
}

impl From<payseal::ConfigError> for KeysError {
    fn from(e: payseal::ConfigError) -> Self {
        KeysError::Config(e.to_string())
    }
}
