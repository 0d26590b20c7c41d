//! # payseal-mqtt: what payseal's MQTT adapters share
//!
//! The security settings ([`Security`], [`Will`]), the events an application receives
//! ([`Event`], [`Message`]), [`QoS`], and in [`adapter`] the pieces an adapter builds on:
//! the state a client shares with its network task, the verification pipeline, exact PUBLISH
//! packet sizes and the subscriptions to restore after a reconnect. No networking here: `payseal-rumqttc` and
//! `payseal-paho` put these over their MQTT clients, with one behaviour, specified in
//! `spec/mqtt-adapters.md` and checked by one conformance suite (`payseal-conformance`).
//!
//! Incoming messages are counted through the `metrics` facade ([`metrics`]), and refused
//! ones can be kept with a [`RejectionHook`].
//!
//! This crate has no optional features and no networking dependencies (tokio's channels only,
//! for the verification pipeline in [`adapter`]).

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod adapter;
mod connection;
mod escape;
mod event;
mod freshness;
pub mod metrics;
mod outcome;
mod qos;
mod rejected;
mod security;

pub use connection::{ConnectionError, ConnectionErrorKind};
pub use escape::{escape_bytes, escape_text};
pub use event::{Event, Message};
pub use outcome::{Refusal, Unconfirmed, Undelivered, is_refusal, reason_code_name};
pub use qos::QoS;
pub use rejected::{RejectedMessage, RejectionHook};
pub use security::{EnvelopeOpener, EnvelopeSealer, Prepared, SealedWill, Security, Will};

/// The MQTT 5 content type of a payseal envelope (a COSE_Sign1, RFC 9052 media type), sent
/// by every adapter with payload format indicator 0 (bytes).
pub const CONTENT_TYPE: &str = "application/cose; cose-type=\"cose-sign1\"";

/// The default maximum packet size, both ways: payseal's default envelope limit (256 KiB)
/// plus room for the topic and headers. Client libraries' own defaults differ (rumqttc's is
/// 10 KiB, too small for sealed payloads); Mosquitto's own default limit is 256 MiB.
pub const DEFAULT_MAX_PACKET_SIZE: usize = 256 * 1024 + 1024;
