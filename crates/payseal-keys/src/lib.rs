//! Key lifecycle for payseal over MQTT (spec/key-management.md): group key epochs handed out
//! by a controller, in key updates that are payseal envelopes themselves — signed by the
//! controller, HPKE-encrypted to one member, retained on that member's own topic
//! `payseal/keys/<member kid>`.
//!
//! - [`Controller`]: membership and epoch keys; rotation (forced, by time, by message count,
//!   and on every member removal, to a new epoch only the remaining members get); its state
//!   is a crash-safe file (`payseal-store`'s [`StateFile`](payseal_store::StateFile)),
//!   persisted before anything is published.
//! - [`Member`]: trusts only the controller on its key topic, applies an update whole and
//!   persists it before use, and installs its group keys in a [`Keyring`](payseal::Keyring).
//!
//! Neither does network I/O: the controller returns the messages to publish (QoS 1, retained),
//! the member is handed the messages of its key topic. Any MQTT client carries them.
//!
//! ```
//! use payseal::{Algorithm, KemKind, ManualClock, RecipientKey, SigningKey};
//! use payseal_keys::{Controller, ControllerConfig, Member};
//! # let dir = std::env::temp_dir().join(format!("payseal-keys-doc-{}", std::process::id()));
//! let clock = ManualClock::new(1_700_000_000);
//! let controller_key = SigningKey::generate(Algorithm::Ed25519)?;
//! let trusted = controller_key.verifying_key();
//! let mut controller =
//!     Controller::open(dir.join("controller"), controller_key, &clock, ControllerConfig::default())?;
//! controller.create_group(b"plant")?;
//!
//! let device_key = RecipientKey::generate(KemKind::X25519)?;
//! let public = device_key.public_key();
//! let mut device = Member::open(dir.join("device"), device_key, [trusted], &clock)?;
//! for update in controller.add_member(b"plant", public)? {
//!     device.handle(&update.topic, &update.payload)?; // over MQTT in real life
//! }
//! assert_eq!(device.group(b"plant").map(|g| g.current_epoch()), Some(1));
//! # drop((controller, device)); std::fs::remove_dir_all(&dir).ok();
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![forbid(unsafe_code)]

mod controller;
mod error;
mod member;
mod state;
mod topic;
mod update;

pub use controller::{Controller, ControllerConfig, GroupStatus, Publish};
pub use error::KeysError;
pub use member::{Applied, DEFAULT_UPDATE_MAX_AGE_SECS, Member};
pub use topic::{KEY_TOPIC_PREFIX, key_topic};
pub use update::KeyUpdate;
