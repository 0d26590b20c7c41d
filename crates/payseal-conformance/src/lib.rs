//! # payseal-conformance: one suite for every payseal MQTT adapter
//!
//! Scenarios are async functions generic over [`Adapter`], run against a real Mosquitto that
//! each scenario starts on a free port (`payseal-testkit`). An adapter's tests implement the
//! trait for each of its clients and invoke [`suite!`] (plus [`suite_v311!`] or [`suite_v5!`]
//! for the version-specific scenarios, and [`cross!`] for interop between two clients), so
//! adding a scenario here runs it against every adapter: their behaviour cannot drift.
//!
//! A missing Mosquitto (or, for the cross-language scenario, a missing `.venv`) is a failure
//! with a clear message, never a skip.

#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::missing_panics_doc
)]

pub mod adapters;
pub mod attacks;
pub mod cross;
pub mod delivery;
pub mod python;
pub mod realities;
pub mod routing;
pub mod sizes;
pub mod support;
pub mod v5;

use std::future::Future;
use std::time::Duration;

pub use payseal_mqtt::{Event, QoS, Security};
use tokio::sync::mpsc::Receiver;

/// Where and how a scenario connects a client (always to 127.0.0.1).
#[derive(Clone, Debug)]
pub struct Endpoint {
    /// MQTT client id.
    pub id: String,
    /// Broker (or relay) port on 127.0.0.1.
    pub port: u16,
    /// Keep-alive interval.
    pub keep_alive: Duration,
    /// Clean session (MQTT 5: clean start, no session kept).
    pub clean_session: bool,
}

impl Endpoint {
    /// Client `id` on `port`, keep alive 5 s, clean session.
    pub fn new(id: impl Into<String>, port: u16) -> Self {
        Endpoint {
            id: id.into(),
            port,
            keep_alive: Duration::from_secs(5),
            clean_session: true,
        }
    }

    /// The same with a persistent session.
    pub fn persistent(mut self) -> Self {
        self.clean_session = false;
        self
    }
}

/// Why an adapter refused or failed a publish, as far as the suite tells them apart.
#[derive(Debug)]
pub enum Refusal {
    /// The sealed packet exceeds the maximum packet size in force.
    TooLarge {
        /// The limit in force.
        limit: usize,
        /// The packet's size.
        actual: usize,
    },
    /// Anything else, as text.
    Other(String),
}

/// One client of one adapter, as the scenarios drive it.
pub trait Adapter: 'static {
    /// The client handle.
    type Client: Clone + Send + Sync + 'static;
    /// For messages: adapter and MQTT version.
    const NAME: &'static str;
    /// Whether the client speaks MQTT 5.
    const MQTT5: bool;

    /// Connects (the adapter reconnects by itself from then on).
    fn connect(endpoint: &Endpoint, security: Security) -> (Self::Client, Receiver<Event>);

    /// Seals and publishes.
    fn publish(
        client: &Self::Client,
        topic: &str,
        qos: QoS,
        retain: bool,
        payload: &[u8],
    ) -> impl Future<Output = Result<(), Refusal>> + Send;

    /// Subscribes.
    fn subscribe(
        client: &Self::Client,
        filter: &str,
        qos: QoS,
    ) -> impl Future<Output = Result<(), String>> + Send;

    /// Disconnects cleanly.
    fn disconnect(client: &Self::Client) -> impl Future<Output = Result<(), String>> + Send;
}

/// Generates one `#[tokio::test]` per listed scenario for `$adapter`.
#[doc(hidden)]
#[macro_export]
macro_rules! scenarios {
    ($adapter:ty; $($module:ident :: $name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                $crate::$module::$name::<$adapter>().await;
            }
        )*
    };
}

/// Every scenario that applies to all adapters and MQTT versions, as tests for `$adapter`.
/// Needs `tokio` (with `macros` and `rt-multi-thread`) among the caller's dev-dependencies.
#[macro_export]
macro_rules! suite {
    ($adapter:ty) => {
        $crate::scenarios!($adapter;
            delivery::signed_messages_at_every_qos,
            delivery::plain_forged_and_unauthorized_messages_are_rejected_not_delivered,
            delivery::encrypted_to_three_subscribers_one_not_a_recipient,
            delivery::ten_thousand_qos1_messages_exactly_once_in_order,
            delivery::publish_before_the_connection_is_up_is_delivered,
            realities::retained_message_is_delivered_once_within_its_max_age,
            realities::sealed_will_is_delivered_verified_when_the_sender_vanishes,
            realities::will_is_refreshed_before_it_goes_stale,
            realities::clients_reconnect_after_a_broker_restart,
            realities::subscriptions_survive_a_broker_restart_without_the_app_resubscribing,
            realities::real_dup_redelivery_after_a_lost_puback_is_a_duplicate,
            realities::publisher_retransmission_reforwarded_with_dup_0_is_a_duplicate,
            sizes::oversized_publish_is_refused_with_a_typed_error,
            sizes::a_packet_of_exactly_the_maximum_size_is_sent,
            sizes::packet_sizes_on_the_wire_are_the_computed_ones,
            python::python_verifies_ours_and_we_verify_pythons,
            routing::messages_on_unsubscribed_topics_are_not_delivered,
        );
    };
}

/// Scenarios for MQTT 3.1.1 clients only: the malicious broker in the middle (its proxy
/// speaks MQTT 3.1.1). Invoke it in a test binary of its own: its flood check measures the
/// process's resident memory.
#[macro_export]
macro_rules! suite_v311 {
    ($adapter:ty) => {
        $crate::scenarios!($adapter; attacks::a_malicious_broker_gets_nothing_through);
    };
}

/// Scenarios for MQTT 5 clients only: the envelope properties on the wire, and the broker's
/// maximum packet size from CONNACK.
#[macro_export]
macro_rules! suite_v5 {
    ($adapter:ty) => {
        $crate::scenarios!($adapter;
            v5::publishes_carry_the_content_type_and_payload_format,
            v5::broker_max_packet_size_is_honoured_with_a_typed_error,
        );
    };
}

/// Interop from publisher `$p` to subscriber `$s`, signed and encrypted.
#[macro_export]
macro_rules! cross {
    ($p:ty => $s:ty) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn signed() {
            $crate::cross::signed::<$p, $s>().await;
        }
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn encrypted() {
            $crate::cross::encrypted::<$p, $s>().await;
        }
    };
}
