//! # payseal-cli: the `payseal` command
//!
//! Keys (`keygen`, `key show`), envelopes on stdin/stdout (`seal`, `open`, `inspect`),
//! MQTT with sealed payloads (`pub`, `sub`, mosquitto-style flags), a development CA (`ca`),
//! trust file linting (`trust check`) and `demo`, which shows a malicious broker failing
//! against payseal with no setup. Run `payseal --help`.
//!
//! The library part holds what the commands share and what the fuzz targets exercise: key
//! files ([`keyfile`], and [`macfile`] for the MAC mode's secrets), the trust configuration
//! ([`config`], documented in `docs/trust-config.md`), the human-readable envelope view ([`inspect`]) and the exit codes
//! ([`Failure`]).
//!
//! ## Features
//! - `net` (default): `pub`, `sub`, `demo` and `ca` (rumqttc, tokio, rumqttd for the demo's
//!   embedded broker, rcgen, payseal-x509, clap), and the `payseal` binary itself. Without it
//!   only the library part builds (as the fuzz targets use it).
//! - `tls` (default): TLS to the broker for `pub`/`sub --cafile` (rustls on `ring`).
//! - `pkcs11` (default): keys in PKCS#11 tokens, named by `pkcs11:` URIs (payseal-pkcs11; the
//!   module is loaded at run time, nothing is linked).
//!
//! ## Exit codes
//! | code | meaning |
//! |---|---|
//! | 0 | success |
//! | 1 | an envelope was rejected (forged, tampered, replayed, stale, unauthorized, not for us) |
//! | 2 | usage: bad or missing command-line arguments |
//! | 3 | bad input: a key, configuration or envelope that cannot be used |
//! | 4 | I/O: a file or stream that cannot be read or written |
//! | 5 | network: the broker cannot be reached or the connection failed |
//! | 6 | `demo`: an attack got through or a reading was lost (it never should) |
//! | 8 | refused by the broker: `pub` — a message got a PUBACK/PUBREC reason code of 0x80 or more (MQTT 5); `sub` — a subscription got a SUBACK failure code (the code, its name and the broker's escaped reason string are on stderr) |
//! | 9 | `pub`: not every QoS 1/2 message was confirmed within 10 s (the unconfirmed ones are listed; they may or may not have arrived, and were resent with the same envelope after any reconnect) |
//! | 10 | `trust check`: the trust file works but has risky rules (each printed as a `warning:` line) |
//! | 11 | `group`, `keyserver`: another `payseal group` or `keyserver` holds the controller state's lock; nothing was changed, try again |
//! | 27 | `sub -C N -W S`: the timeout passed before N verified messages arrived (mosquitto_sub's timeout code) |
//!
//! `seal` and `pub` refuse (exit 3) to seal in clear on a topic whose trust file requires
//! encryption (`require_encryption`) when no `[[encrypt]]` entry matches it.
//!
//! Everything printed that the CLI did not write itself (topics, reason strings, messages
//! quoting them) goes through `payseal_mqtt::escape_text` (re-exported by payseal-rumqttc), so a broker cannot put control
//! characters or escape sequences on the operator's terminal. Payloads that `sub` and `open`
//! write are the verified sender's bytes, written unchanged (as mosquitto_sub does).

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod config;
mod diag;
mod failure;
pub mod inspect;
pub mod inspect_json;
mod json;
pub mod keyfile;
pub mod lint;
pub mod macfile;
mod time;

#[cfg(feature = "net")]
pub mod cli;
#[cfg(feature = "net")]
pub mod commands;
#[cfg(feature = "net")]
pub mod embedded_broker;
#[cfg(feature = "net")]
mod pkcs11;

pub use failure::Failure;
