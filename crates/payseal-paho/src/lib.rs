//! # payseal-paho: MQTT with payloads the broker cannot forge, move or replay, over Paho
//!
//! The same contract and API shape as `payseal-rumqttc`, over the Eclipse Paho client
//! (`paho-mqtt`, which builds paho's C library): publishing seals the payload (signed, and
//! encrypted where the sealer has an audience for the topic); everything received is opened
//! by a [`payseal::Opener`], and the application sees only verified messages, typed
//! rejections, duplicates and connection events. There is no way to receive an unverified
//! payload.
//!
//! ```
//! # #[tokio::main(flavor = "multi_thread", worker_threads = 2)]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # // A broker of our own for this example; yours is wherever your devices connect.
//! # let broker = payseal_testkit::Mosquitto::start()?;
//! # let (host, port) = (broker.host(), broker.port());
//! use payseal::{Algorithm, Counter, Opener, Policy, Sealer, SigningKey, SystemClock, TrustStore};
//! use payseal_paho::{Event, MqttOptions, QoS, SecureClient, Security};
//!
//! let key = SigningKey::generate(Algorithm::Ed25519)?;
//! let mut trust = TrustStore::new();
//! trust.add_sender(key.verifying_key(), ["plant/#"])?;
//! let security = Security::new()
//!     .sealer(Sealer::new(key, Counter::from_unix_micros(), SystemClock))
//!     .opener(Opener::new(trust, Policy::default(), SystemClock));
//!
//! let (client, mut events) =
//!     SecureClient::connect(MqttOptions::new("sensor-7", host, port), security)?;
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
//! ## MQTT realities (as in payseal-rumqttc; see `spec/mqtt-adapters.md`)
//! - **QoS 1/2 redelivery** comes out as [`Event::Duplicate`]; **retained messages** get
//!   [`Security::retained_max_age`]; a sealed [`Will`] is sealed again at every (re)connect;
//!   a publish larger than the maximum packet size (MQTT 5: the broker's from CONNACK if
//!   smaller) is refused with [`Error::TooLarge`], computed exactly; the adapter
//!   reconnects by itself and restores subscriptions when the session was lost.
//!
//! ## Paho specifics
//! - **No publish is lost silently.** Paho refuses publishes once `max_buffered_messages`
//!   (default 100) are queued, which a tight publish loop reaches at once, and reports that
//!   only through the delivery token. The adapter sizes paho's buffer above its own in-flight
//!   window ([`MqttOptions::set_max_in_flight`]), and [`SecureClient::publish`] waits for the
//!   token: it returns only when the broker confirmed the message, or with an error.
//! - **Publish outcomes** (`spec/mqtt-adapters.md` §6a). A QoS 1/2 publish ends confirmed
//!   (`Ok`), refused ([`Error::Refused`], at once, when the broker answers with a
//!   reason code of 0x80 or more), or unconfirmed ([`Error::Unconfirmed`], only when
//!   the application disconnects first). When a connection drops and the session is lost
//!   (clean session, or a CONNACK without a session), paho forgets its in-flight messages;
//!   the adapter hands each unconfirmed one to paho again with the **same envelope bytes**
//!   (never sealed again), which paho sends once reconnected, and `publish` returns when that
//!   copy is confirmed. A receiver that got the first copy sees the second as a duplicate of
//!   the same seq, never as a second message. Acks for nothing (a duplicate PUBACK, an
//!   unknown packet id) are paho's to ignore: they confirm nothing.
//! - **No received message is dropped.** Paho's bounded `get_stream(Some(n))` drops messages
//!   when full, and blocking in paho's message callback would stall every paho client in the
//!   process (it runs under the C library's global lock). The callback only appends to an
//!   unbounded queue; the adapter's task verifies from it into the bounded event queue and
//!   waits there when the application is behind. Paho acknowledges a PUBLISH once it is in
//!   that queue, so a slow application makes the queue (and memory) grow rather than lose
//!   messages; the adapter logs a warning when it does.
//! - **Unjudgeable messages** (a durable replay store that is down,
//!   [`payseal::Rejection::StoreUnavailable`]) cannot be left unacknowledged as with rumqttc
//!   (paho acknowledges by itself): the adapter reports the rejection once and judges the
//!   message again every 500 ms, before any later message, until the store answers.
//! - Reconnects are the adapter's, not paho's `automatic_reconnect`, so the will can be sealed
//!   afresh for every connection. With [`Will::refresh_every`] the adapter also re-seals it
//!   while connected: every interval it disconnects cleanly (normal DISCONNECT after up to
//!   2 s for in-flight transfers; the broker discards the old will unpublished) and
//!   reconnects at once with a freshly sealed will, reporting neither to the application.
//!   Use a persistent session (clean session off; MQTT 5: a session expiry interval) so
//!   that messages queued for the client during the gap are kept.
//! - **A guard in front of paho** (plain TCP brokers, `tcp://` and `mqtt://`): paho reads
//!   incoming packets of any size (paho C has no incoming limit, MQTT 3.1.1 none to announce),
//!   and paho-mqtt 0.14's C callback trampoline unwraps the topic's conversions, so a PUBLISH
//!   topic holding a NUL or bytes that are not UTF-8 aborts the process. Paho therefore
//!   connects through a loopback relay of the adapter's that checks each packet from the
//!   broker before paho reads it: one larger than the maximum packet size (judged from its
//!   fixed header), or a PUBLISH whose topic is not UTF-8 or holds a NUL, closes the
//!   connection, as rumqttc does; the `Disconnected` event says why and the adapter
//!   reconnects. TLS and WebSocket URIs (`ssl://`, `mqtts://`, `ws://`, `wss://`) are not
//!   guarded: there such a topic still aborts the process inside paho-mqtt, and a large
//!   packet is read whole by paho C and copied once by paho-mqtt (the adapter refuses it,
//!   `too_large`, before a copy of its own). See `spec/mqtt-adapters.md` §5.
//!
//! ## Features
//! None is on by default; Paho's C library is always built (bundled, with cmake).
//! - `ssl`: TLS to the broker through Paho's OpenSSL build (needs OpenSSL's headers,
//!   `libssl-dev` on Debian).

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod books;
mod builder;
mod client;
mod core;
mod driver;
mod error;
mod guard;
mod input_checks;
mod link;
mod options;
mod settle;
mod waiters;

pub use builder::ClientBuilder;
pub use client::{SecureClient, SecureClientV5};
pub use error::{Error, PublishError};
pub use options::{DEFAULT_MAX_IN_FLIGHT, MqttOptions};
// The security settings, events and QoS are shared with every payseal adapter
// (`payseal-mqtt`), so code written against one adapter reads the same over another.
pub use payseal_mqtt::{
    CONTENT_TYPE, ConnectionError, ConnectionErrorKind, DEFAULT_MAX_PACKET_SIZE, EnvelopeOpener,
    EnvelopeSealer, Event, Message, QoS, Refusal, RejectedMessage, RejectionHook, Security,
    Unconfirmed, Undelivered, Will, escape_text, metrics, reason_code_name,
};
