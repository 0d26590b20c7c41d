//! # payseal: payloads an MQTT broker cannot read, forge, move or replay
//!
//! An MQTT broker, or whoever runs it, sees and can change every message it relays; TLS only
//! protects each hop. payseal protects the payload itself. A [`Sealer`] wraps a payload in an
//! envelope, a tagged COSE_Sign1 (RFC 9052) signed with the sender's key, that binds it to
//! the MQTT topic, a per-sender sequence number and a timestamp. An [`Opener`] releases the
//! payload only when the sender is trusted, allowed on that topic, the signature verifies,
//! the timestamp is fresh and the sequence number is new.
//!
//! The wire format is specified in `spec/envelope.md` of the repository, with test vectors in
//! `test-vectors/` that an independent Python implementation checks.
//!
//! ```
//! use payseal::{Algorithm, Counter, ManualClock, Opener, Policy, Rejection, Sealer,
//!               SigningKey, TrustStore};
//!
//! let clock = ManualClock::new(1_700_000_000);
//! let sensor = SigningKey::generate(Algorithm::Ed25519)?;
//! let stranger = SigningKey::generate(Algorithm::Ed25519)?;
//!
//! // The receiver trusts the sensor's public key, on its own topics only.
//! let mut trust = TrustStore::new();
//! trust.add_sender(sensor.verifying_key(), ["plant/+/temp"])?;
//! let mut opener = Opener::new(trust, Policy::default(), &clock);
//!
//! let mut sealer = Sealer::new(sensor, Counter::starting_at(1), &clock);
//! let envelope = sealer.seal("plant/3/temp", b"21.5")?;
//! let verified = opener.open("plant/3/temp", &envelope)?;
//! assert_eq!(verified.payload(), b"21.5");
//! assert_eq!(verified.seq(), 1);
//!
//! // A replay of the same envelope is refused.
//! assert_eq!(opener.open("plant/3/temp", &envelope), Err(Rejection::Replayed { seq: 1 }));
//!
//! // So is one flipped bit anywhere.
//! let mut tampered = sealer.seal("plant/3/temp", b"21.6")?;
//! let last = tampered.len() - 1;
//! tampered[last] ^= 1;
//! assert_eq!(opener.open("plant/3/temp", &tampered), Err(Rejection::BadSignature));
//!
//! // A sender the receiver does not know is refused, whatever it signs.
//! let mut impostor = Sealer::new(stranger, Counter::starting_at(1), &clock);
//! let forged = impostor.seal("plant/3/temp", b"99.9")?;
//! assert_eq!(opener.open("plant/3/temp", &forged), Err(Rejection::UnknownSender));
//!
//! // A trusted sender on a topic it may not publish on is refused too.
//! let valve = sealer.seal("plant/3/valve", b"open")?;
//! assert_eq!(opener.open("plant/3/valve", &valve), Err(Rejection::TopicNotAuthorized));
//!
//! // And a message held back by the broker goes stale.
//! let late = sealer.seal("plant/3/temp", b"21.7")?;
//! clock.advance(600);
//! assert!(matches!(opener.open("plant/3/temp", &late), Err(Rejection::Stale { .. })));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Features
//! - `std` (default): key generation from the OS RNG, [`SystemClock`], [`Counter::from_unix_micros`].
//!   Without it the crate is `no_std` + `alloc`; bring your own [`Clock`] and keys.
//! - `ring` (off): ECDSA P-256 verification through the `ring` crate's assembly instead of
//!   pure-Rust `p256`, about 4-5x faster (see BENCHMARKS.md). Same acceptance rules, same test
//!   vectors; signing stays pure Rust (deterministic RFC 6979). Needs a C compiler to build.

#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

mod alg;
mod cbor;
mod clock;
mod encrypt;
mod envelope;
mod error;
mod header;
mod keys;
mod kind;
mod mac;
mod open;
mod policy;
mod replay;
mod seal;
mod sender;
mod sequence;
mod topic;
mod trust;
mod validity;

pub use alg::Algorithm;
#[cfg(feature = "std")]
pub use clock::SystemClock;
pub use clock::{Clock, ManualClock};
pub use encrypt::{
    Audience, ContentAlg, Encryption, EncryptionMode, GroupEpochs, GroupKey, HpkeSuite, KemKind,
    KeyAgreement, KeyAgreementFailed, Keyring, MAX_GROUP_ID_LEN, Recipient, RecipientKey,
    RecipientPublicKey, epoch_kid,
};
pub use envelope::{UnverifiedEnvelope, external_aad};
pub use error::{ConfigError, KeyError, Malformed, Rejection, SealError, SequenceError};
pub use header::{CertHash, PROFILE};
pub use keys::{Kid, Signature, SigningKey, VerifyingKey};
pub use kind::{MessageKind, replay_window_key};
pub use mac::{MacAlgorithm, MacKey, MacSecret};
pub use open::{CheckedBatch, Opener, Verified};
pub use policy::{Freshness, Limits, Policy};
pub use replay::{MemoryReplayStore, ReplayStore, ReplayWindow};
pub use seal::{Sealer, SealingKey, StampKey, Unstamped};
pub use sender::{ResolvedMacSender, ResolvedSender, SenderClaim, SenderResolver};
pub use sequence::{Counter, SequenceSource};
pub use topic::{MAX_TOPIC_LEN, TopicFilter, is_valid_topic_name};
pub use trust::{TrustStore, TrustedMacSender, TrustedSender};
pub use validity::KeyValidity;
