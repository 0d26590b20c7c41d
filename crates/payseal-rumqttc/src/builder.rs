//! [`ClientBuilder`]: what `connect` takes beyond the MQTT options and the security settings.

use payseal_mqtt::Security;

use crate::driver::{EVENT_QUEUE, REQUEST_QUEUE};

/// Queue sizes of one client.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Queues {
    /// Requests (publishes, subscriptions, acks) waiting for the event loop.
    pub(crate) requests: usize,
    /// Events waiting for the application.
    pub(crate) events: usize,
}

impl Default for Queues {
    fn default() -> Self {
        Queues {
            requests: REQUEST_QUEUE,
            events: EVENT_QUEUE,
        }
    }
}

/// Connects a client with chosen queue sizes: `SecureClient::builder(options, security)` or
/// `SecureClientV5::builder(..)`, then `connect()`, which returns a `Result` (an error
/// outside a Tokio runtime) where `connect(options, security)` panics.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), payseal_rumqttc::Error> {
/// use payseal_rumqttc::{MqttOptions, SecureClient, Security};
/// let (client, events) = SecureClient::builder(MqttOptions::new("sensor-7", "localhost", 1883), Security::new())
///     .request_queue(64)
///     .event_queue(256)
///     .connect()?;
/// # drop((client, events)); Ok(()) }
/// ```
#[must_use = "a builder does nothing until `connect`"]
pub struct ClientBuilder<O> {
    options: O,
    security: Security,
    queues: Queues,
}

impl<O> ClientBuilder<O> {
    pub(crate) fn new(options: O, security: Security) -> Self {
        ClientBuilder {
            options,
            security,
            queues: Queues::default(),
        }
    }

    /// How many requests (publishes, subscriptions, acks) may wait for the event loop before
    /// `publish` waits and `try_publish` returns [`Error::QueueFull`](crate::Error::QueueFull)
    /// (default 1,024; at least 1). Without a broker connection nothing drains it.
    pub fn request_queue(mut self, requests: usize) -> Self {
        self.queues.requests = requests.max(1);
        self
    }

    /// How many events may wait for the application before the event loop pauses (default
    /// 4,096; at least 1). A paused event loop reads nothing more from the broker: back
    /// pressure, never loss.
    pub fn event_queue(mut self, events: usize) -> Self {
        self.queues.events = events.max(1);
        self
    }

    pub(crate) fn into_parts(self) -> (O, Security, Queues) {
        (self.options, self.security, self.queues)
    }
}

impl<O> std::fmt::Debug for ClientBuilder<O> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the MQTT options: rumqttc's Debug shows credentials.
        f.debug_struct("ClientBuilder")
            .field("security", &self.security)
            .field("queues", &self.queues)
            .finish_non_exhaustive()
    }
}
