//! The async clients for MQTT 3.1.1 and MQTT 5: publish sealed, receive verified.

use payseal_mqtt::{Event, QoS, Security};
use tokio::sync::mpsc;

use crate::builder::{ClientBuilder, Queues};
use crate::core::Core;
use crate::error::Error;
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
            /// receiver. Returns at once: the task reports [`Event::Connected`] or
            /// [`Event::Disconnected`]. What the adapter owns in paho's options: reconnects
            /// (its own, so the will is sealed afresh), paho's buffer (sized above the
            /// in-flight window), the will (the sealed [`Security::will`]) and, with MQTT 5,
            /// the maximum packet size announced to the broker ([`Security::max_packet_size`]).
            ///
            /// Keep the event receiver alive for as long as the client is used: dropping it
            /// ends the task, which then disconnects.
            ///
            /// # Errors
            /// If paho refuses the options (a malformed server URI, for example), or a user
            /// name holds a NUL byte (paho would panic on it).
            ///
            /// # Panics
            /// Outside a Tokio runtime ([`builder`](Self::builder) returns an error instead).
            pub fn connect(
                options: MqttOptions,
                security: Security,
            ) -> Result<(Self, mpsc::Receiver<Event>), Error> {
                let (core, events) = Core::connect(options, security, $version, Queues::default())?;
                Ok(($name { core }, events))
            }

            /// A builder for the connection: queue sizes, and an error instead of a panic
            /// outside a Tokio runtime (see [`ClientBuilder`]).
            pub fn builder(options: MqttOptions, security: Security) -> ClientBuilder<$name> {
                ClientBuilder::new(options, security)
            }

            /// Seals `payload` for `topic` (in the caller's task), publishes it and waits
            /// until the broker confirmed it (QoS 1 and 2) or it was written (QoS 0). While
            /// the client reconnects, publishes wait in paho's buffer; at most
            /// [`MqttOptions::set_max_in_flight`] publishes are outstanding, further ones wait
            /// for a slot. No publish is dropped silently: it succeeds or returns an error.
            ///
            /// Cancel safety: dropped before it has a slot, nothing was sent; after, the
            /// message is not recalled, and its outcome is [`flush`](Self::flush)'s answer.
            ///
            /// # Errors
            /// [`Error`]; [`Error::Refused`] (at once, with the reason code and the escaped
            /// reason string) when the broker refuses the message with an MQTT 5 PUBACK or
            /// PUBREC reason code of 0x80 or more.
            pub async fn publish(
                &self,
                topic: impl Into<String>,
                qos: QoS,
                retain: bool,
                payload: impl AsRef<[u8]>,
            ) -> Result<(), Error> {
                let payload = payload.as_ref();
                self.core.publish(topic.into(), qos, retain, payload).await
            }

            /// Seals and hands the message to paho without waiting: [`Error::QueueFull`]
            /// when every slot of the in-flight window is taken. Its outcome is
            /// [`flush`](Self::flush)'s answer.
            ///
            /// # Errors
            /// [`Error`]; nothing is sent then.
            pub fn try_publish(
                &self,
                topic: impl Into<String>,
                qos: QoS,
                retain: bool,
                payload: impl AsRef<[u8]>,
            ) -> Result<(), Error> {
                self.core.try_publish(topic.into(), qos, retain, payload.as_ref())
            }

            /// Waits until every publish handed to paho is settled, or until `timeout`.
            /// Publishes whose caller waited get their outcome from `publish` itself; this
            /// reports the others (from [`try_publish`](Self::try_publish), or a `publish`
            /// future dropped after it was handed over).
            ///
            /// # Errors
            /// [`Undelivered`](payseal_mqtt::Undelivered): those refused or unconfirmed since
            /// the last `flush`, and those still in flight at `timeout`.
            pub async fn flush(
                &self,
                timeout: std::time::Duration,
            ) -> Result<(), payseal_mqtt::Undelivered> {
                self.core.flush(timeout).await
            }

            /// Subscribes to `filter`; everything that arrives is verified before it is
            /// delivered. Returns once the broker acknowledged it (SUBACK), also when called
            /// before the connection is up: the adapter subscribes once connected and
            /// returns then, so nothing published after `subscribe` returned is missed.
            /// Dropped while waiting, the filter stays recorded and is subscribed at the next
            /// connection. The adapter restores every subscription after a reconnect that
            /// finds no session.
            ///
            /// # Errors
            /// [`Error::SubscribeRefused`] if the broker refused it (the filter is forgotten,
            /// not restored after a reconnect); [`Error::Client`] if paho refused it or the
            /// filter is not a valid MQTT filter (a NUL byte included, on which paho would
            /// panic); [`Error::Closed`].
            pub async fn subscribe(&self, filter: impl Into<String>, qos: QoS) -> Result<(), Error> {
                self.core.subscribe(filter.into(), qos).await
            }

            /// Unsubscribes from `filter`: nothing on it is delivered from now on.
            ///
            /// # Errors
            /// [`Error`] if the broker or paho refused, or the client is closed.
            pub async fn unsubscribe(&self, filter: impl Into<String>) -> Result<(), Error> {
                self.core.unsubscribe(filter.into()).await
            }

            /// Disconnects cleanly (the broker does not publish the will) and stops the task.
            /// Every later call returns [`Error::Closed`].
            ///
            /// # Errors
            /// [`Error::Closed`] if already closed; [`Error::Client`] if the client was not
            /// connected.
            pub async fn disconnect(&self) -> Result<(), Error> {
                self.core.disconnect().await
            }
        }

        impl ClientBuilder<$name> {
            /// Connects (see the client's `connect`).
            ///
            /// # Errors
            /// [`Error::NoRuntime`] outside a Tokio runtime, or what `connect` returns.
            pub fn connect(self) -> Result<($name, mpsc::Receiver<Event>), Error> {
                tokio::runtime::Handle::try_current().map_err(|_| Error::NoRuntime)?;
                let (core, events) = Core::connect(self.options, self.security, $version, self.queues)?;
                Ok(($name { core }, events))
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
