//! # payseal-rumqttc: MQTT with payloads the broker cannot forge, move or replay
//!
//! A thin adapter between [`payseal`] and [`rumqttc`]: publishing seals the payload (signed,
//! and encrypted where the sealer has an audience for the topic); everything received is
//! opened by a [`payseal::Opener`], and the application sees only verified messages or typed
//! rejections. There is no way to receive an unverified payload.
//!
//! ```
//! # #[tokio::main(flavor = "multi_thread", worker_threads = 2)]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # // A broker of our own for this example; yours is wherever your devices connect.
//! # let broker = payseal_testkit::Mosquitto::start()?;
//! # let (host, port) = (broker.host(), broker.port());
//! use payseal::{Algorithm, Counter, Opener, Policy, Sealer, SigningKey, SystemClock, TrustStore};
//! use payseal_rumqttc::{Event, MqttOptions, QoS, SecureClient, Security};
//!
//! let key = SigningKey::generate(Algorithm::Ed25519)?;
//! let mut trust = TrustStore::new();
//! trust.add_sender(key.verifying_key(), ["plant/#"])?;
//! let security = Security::new()
//!     .sealer(Sealer::new(key, Counter::from_unix_micros(), SystemClock))
//!     .opener(Opener::new(trust, Policy::default(), SystemClock));
//!
//! let (client, mut events) =
//!     SecureClient::connect(MqttOptions::new("sensor-7", host, port), security);
//! client.subscribe("plant/#", QoS::AtLeastOnce).await?;
//! client.publish("plant/3/temp", QoS::AtLeastOnce, false, "21.5").await?;
//! while let Some(event) = events.recv().await {
//!     match event {
//!         Event::Message(m) => {
//!             let text = String::from_utf8_lossy(m.verified.payload());
//!             println!("{}: {text}", m.verified.topic()); // plant/3/temp: 21.5
//!             # assert_eq!(text, "21.5");
//!             # break;
//!         }
//!         // Forged, altered, moved, stale or replayed: never delivered as a message.
//!         Event::Rejected { topic, reason } => eprintln!("refused on {topic}: {reason}"),
//!         // The adapter reconnects by itself; `error.kind()` says what went wrong.
//!         Event::Disconnected { error } => eprintln!("disconnected: {error}"),
//!         _ => {}
//!     }
//! }
//! # Ok(()) }
//! ```
//!
//! ## Errors, cancellation, logging
//! - Every client method returns the crate's one [`Error`] type, which prints its cause once.
//!   Methods take what the wrapped client takes: a topic as `impl Into<String>`, a payload as
//!   `impl AsRef<[u8]>`.
//! - **Cancel safety**: every async method can be dropped (a `tokio::time::timeout` around
//!   it, a `select!` branch). A `publish` dropped before it had its turn sends nothing; after,
//!   the message is sent as if the call had completed, and `flush` accounts for it, so a
//!   cancelled publish never leaves `flush` waiting for nothing.
//! - **`tracing`**: connects (`info`), disconnects (`warn`, with the
//!   [`ConnectionErrorKind`] of the typed [`ConnectionError`] that
//!   [`Event::Disconnected`] carries), subscription changes (`info`), every rejection
//!   (`warn` for alarms, `info` otherwise, with the stable reason code and the escaped
//!   topic) and duplicates (`debug`).
//!
//! ## Durable replay windows and alarms
//! A receiver's replay windows live in memory unless its opener has a durable store:
//! `Opener::with_replay_store(trust, payseal_store::FileReplayStore::open(dir, 128)?, policy,
//! clock)`, and a sender that must never reuse a sequence number after a crash seals with
//! `payseal_store::FileSeqStore::open(path, 1_000)?` as its counter (crate `payseal-store`;
//! the README's "Migrating from rumqttc / paho" section has the whole example). A message
//! replayed after a restart then arrives as [`Event::Duplicate`], not as
//! [`Event::Rejected`]: alarm on `Rejected` with
//! [`is_alarm`](payseal::Rejection::is_alarm), and count duplicates if a burst matters.
//!
//! ## Plaintext topics
//! Not on a secure client: its event stream carries verified messages only, and mixing in
//! plaintext would let one mistaken `match` arm treat a forged message as authentic. Use a
//! second, plain client (its own client id) for topics that must stay plaintext.
//!
//! ## MQTT realities
//! - **QoS 1/2 redelivery**: a message already accepted that arrives again (a DUP
//!   redelivery, or a publisher's retransmission the broker forwards with DUP=0) comes out as
//!   [`Event::Duplicate`], never twice as a message and never as an alarm.
//! - **Retained messages** are old by nature: a publish with the retain flag is sealed as
//!   signed retained state, and [`Security::retained_topic`] sets how old such state may be
//!   per topic filter (only when it also arrives retained: the broker's flag alone never
//!   lengthens the limit); one already seen is a duplicate, never an alarm.
//! - **Last Will**: [`Will`] is sealed (as a signed will) at every (re)connect with a sealer
//!   of its own kid, and receivers accept it within [`Security::will_topic`]'s max age, from
//!   their [`Security::will_kid`]s only, exactly once. With [`Will::refresh_every`] the
//!   adapter also re-seals it while connected: every interval it queues a clean DISCONNECT
//!   (behind the acks already queued; the broker discards the old will unpublished) and
//!   reconnects at once with a freshly sealed will, reporting neither to the application, so
//!   the receivers' will limit only needs to cover the interval. Use a persistent session
//!   (clean session off; MQTT 5: a session expiry interval) so that messages queued for the
//!   client during the gap are kept; unconfirmed publishes are resent with the same
//!   envelopes, and a QoS 1 message whose ack the DISCONNECT overtook comes again as
//!   [`Event::Duplicate`] at most.
//! - **Packet size**: a sealed publish larger than the maximum packet size (with MQTT 5, the
//!   broker's from CONNACK if smaller) is refused with [`PublishError::TooLarge`] instead of
//!   silently killing the connection; the packet size is computed exactly.
//! - **Reconnects**: subscriptions are restored by the adapter when a reconnect finds no
//!   session at the broker.
//! - **Publish outcomes**: [`SecureClient::flush`] tells what became of every QoS 1 and 2
//!   message: confirmed, refused by the broker (MQTT 5 PUBACK/PUBREC reason code of 0x80 or
//!   more: [`Refusal`], at once, with the code and the escaped reason string) or unconfirmed
//!   ([`Undelivered`]). Acks for packet ids nothing waits for (a broker's duplicate or
//!   invented PUBACK) confirm nothing; rumqttc drops the connection on them, and after every
//!   reconnect without session the adapter sends each unconfirmed message again with its
//!   original envelope, so receivers see a [`Event::Duplicate`] at most, never a second
//!   message.
//! - **Refused subscriptions** (SUBACK failure codes) come out as
//!   [`Event::SubscribeRefused`].
//! - **Topics** that are not valid UTF-8 (possible on MQTT 5 receive) are rejected as
//!   `invalid_topic`, never repaired.
//! - **Acks** are manual: every message is acknowledged after it has been classified and
//!   handed to the event stream, refused ones included.
//!
//! See `spec/mqtt-adapters.md` in the repository for the design.
//!
//! ## Features
//! This crate has no optional features. rumqttc's own TLS stack is left off (its default
//! features); enable rumqttc's `use-rustls` or `use-native-tls` in your own manifest to connect
//! over TLS.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod blocking;
mod builder;
mod client;
mod driver;
mod error;
mod handle;
mod outbox;
mod qos;
mod reasons;
mod refresh;
mod subacks;
mod v5;

pub use blocking::BlockingClient;
pub use builder::ClientBuilder;
pub use client::{DEFAULT_MAX_PACKET_SIZE, SecureClient};
pub use error::{Error, PublishError};
// The security settings, events and QoS are shared with every payseal adapter
// (`payseal-mqtt`), so code written against one adapter reads the same over another.
pub use payseal_mqtt::{
    ConnectionError, ConnectionErrorKind, EnvelopeOpener, EnvelopeSealer, Event, Message, QoS,
    Refusal, RejectedMessage, RejectionHook, Security, Unconfirmed, Undelivered, Will, escape_text,
    metrics, reason_code_name,
};
pub use qos::IntoQoS;
pub use rumqttc::MqttOptions;
pub use v5::{CONTENT_TYPE, SecureClientV5};
