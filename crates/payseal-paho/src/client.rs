//! The async clients for MQTT 3.1.1 and MQTT 5: publish sealed, receive verified.

use payseal_mqtt::{Event, QoS, Security};
use tokio::sync::mpsc;

use crate::core::Core;
use crate::error::PublishError;
use crate::link::Version;
use crate::options::MqttOptions;

macro_rules! secure_client {
    ($(#[$doc:meta])* $name:ident, $version:expr) => {
        $(#[$doc])*
        #[derive(Clone)]
        pub struct $name {
            core: Core,
        }

        impl $name {
            /// Creates the paho client and starts the adapter's task, which connects (and
            /// reconnects), verifies everything received and sends the events to the returned
            /// receiver. Must be called inside a Tokio runtime.
            ///
            /// Keep the event receiver alive for as long as the client is used: dropping it
            /// ends the task, which then disconnects.
            ///
            /// # Errors
            /// If paho refuses the options (a malformed server URI, for example), or a user
            /// name holds a NUL byte (paho would panic on it).
            pub fn connect(
                options: MqttOptions,
                security: Security,
            ) -> Result<(Self, mpsc::Receiver<Event>), paho_mqtt::Error> {
                let (core, events) = Core::connect(options, security, $version)?;
                Ok(($name { core }, events))
            }

            /// Seals `payload` for `topic` (in the caller's task), publishes it and waits
            /// until the broker confirmed it (QoS 1 and 2) or it was written (QoS 0). While
            /// the client reconnects, publishes wait in paho's buffer; at most
            /// [`MqttOptions::set_max_in_flight`] publishes are outstanding, further ones wait
            /// for a slot. No publish is dropped silently: it succeeds or returns an error.
            ///
            /// Dropping the returned future after paho took the message does not recall it.
            ///
            /// # Errors
            /// [`PublishError`]; [`PublishError::Refused`] (at once, with the reason code and
            /// the escaped reason string) when the broker refuses the message with an MQTT 5
            /// PUBACK or PUBREC reason code of 0x80 or more.
            pub async fn publish(
                &self,
                topic: &str,
                qos: QoS,
                retain: bool,
                payload: &[u8],
            ) -> Result<(), PublishError> {
                self.core.publish(topic, qos, retain, payload).await
            }

            /// Subscribes to `filter`; everything that arrives is verified before it is
            /// delivered. Waits for the broker's SUBACK when connected; while disconnected the
            /// filter is recorded and subscribed at the next connection. The adapter restores
            /// every subscription after a reconnect that finds no session.
            ///
            /// # Errors
            /// [`paho_mqtt::Error`] if the broker or paho refused the subscription (a SUBACK
            /// failure code under MQTT 5 is [`paho_mqtt::Error::ReasonCode`]), or the filter is
            /// not a valid MQTT filter (a NUL byte included, on which paho would panic); a
            /// refused filter is forgotten, not restored after a reconnect.
            pub async fn subscribe(&self, filter: &str, qos: QoS) -> Result<(), paho_mqtt::Error> {
                self.core.subscribe(filter, qos).await
            }

            /// Unsubscribes from `filter`.
            ///
            /// # Errors
            /// [`paho_mqtt::Error`] if the broker or paho refused.
            pub async fn unsubscribe(&self, filter: &str) -> Result<(), paho_mqtt::Error> {
                self.core.unsubscribe(filter).await
            }

            /// Disconnects cleanly (the broker does not publish the will) and stops the task.
            ///
            /// # Errors
            /// [`paho_mqtt::Error`] if the client was not connected.
            pub async fn disconnect(&self) -> Result<(), paho_mqtt::Error> {
                self.core.disconnect().await
            }
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($name))
                    .field("max_packet_size", &self.core.max_packet_size())
                    .finish_non_exhaustive()
            }
        }
    };
}

secure_client!(
    /// A payseal client over paho (MQTT 3.1.1): the same contract as payseal-rumqttc's
    /// `SecureClient`. Clone it to publish from several tasks.
    SecureClient,
    Version::V311
);

secure_client!(
    /// A payseal client over paho's MQTT 5 client: as [`SecureClient`], and every sealed
    /// PUBLISH (and the will) carries the payload format indicator 0 and the content type
    /// [`CONTENT_TYPE`](crate::CONTENT_TYPE). The broker's maximum packet size from CONNACK
    /// is honoured when it is smaller than the configured one.
    SecureClientV5,
    Version::V5
);
