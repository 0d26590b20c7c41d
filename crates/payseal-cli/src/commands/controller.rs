//! Opening the key controller from `keys.toml`, for one operation at a time: the state
//! directory is the one source of truth, and its lock keeps two writers apart.

use payseal::SystemClock;
use payseal_keys::{Controller, KeysError};
use payseal_store::StoreError;

use crate::Failure;
use crate::commands::keys_config::KeysConfig;
use crate::keyfile;

/// Opens (and locks, until dropped) the controller state named by `config`.
///
/// # Errors
/// [`Failure::Busy`] if another `payseal group` or `keyserver` holds the lock; otherwise as
/// [`failure`] says.
pub(crate) fn open(config: &KeysConfig) -> Result<Controller<SystemClock>, Failure> {
    let key = keyfile::read_signing_key(&config.signing_key)?;
    Controller::open(config.state_file(), key, SystemClock, config.controller).map_err(failure)
}

/// The CLI failure for a controller error.
pub(crate) fn failure(error: KeysError) -> Failure {
    match error {
        KeysError::Store(StoreError::Locked(path)) => Failure::Busy(format!(
            "the controller state '{}' is busy: another `payseal group` or `payseal keyserver` \
             is changing it; nothing was changed, try again",
            path.display()
        )),
        KeysError::Store(e @ StoreError::Io { .. }) => {
            Failure::Io(format!("controller state: {e}"))
        }
        other => Failure::BadInput(other.to_string()),
    }
}
