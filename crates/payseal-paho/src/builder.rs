//! [`ClientBuilder`]: what `connect` takes beyond the MQTT options and the security settings.

use std::marker::PhantomData;

use payseal_mqtt::Security;

use crate::driver::EVENT_QUEUE;
use crate::options::MqttOptions;

/// Queue sizes of one client.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Queues {
    /// The in-flight window, when the builder sets it (else the options').
    pub(crate) in_flight: Option<usize>,
    /// Events waiting for the application.
    pub(crate) events: usize,
}

impl Default for Queues {
    fn default() -> Self {
        Queues {
            in_flight: None,
            events: EVENT_QUEUE,
        }
    }
}

/// Connects a client with chosen queue sizes: `SecureClient::builder(options, security)` or
/// `SecureClientV5::builder(..)`, then `connect()`. The same shape as payseal-rumqttc's
/// builder.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), payseal_paho::Error> {
/// use payseal_paho::{MqttOptions, SecureClient, Security};
/// let (client, events) = SecureClient::builder(MqttOptions::new("sensor-7", "localhost", 1883), Security::new())
///     .request_queue(64)
///     .event_queue(256)
///     .connect()?;
/// # drop((client, events)); Ok(()) }
/// ```
#[must_use = "a builder does nothing until `connect`"]
pub struct ClientBuilder<C> {
    pub(crate) options: MqttOptions,
    pub(crate) security: Security,
    pub(crate) queues: Queues,
    client: PhantomData<fn() -> C>,
}

impl<C> ClientBuilder<C> {
    pub(crate) fn new(options: MqttOptions, security: Security) -> Self {
        ClientBuilder {
            options,
            security,
            queues: Queues::default(),
            client: PhantomData,
        }
    }

    /// How many publishes may be outstanding (handed to paho, not yet confirmed) before
    /// `publish` waits and `try_publish` returns [`Error::QueueFull`](crate::Error::QueueFull):
    /// the in-flight window of [`MqttOptions::set_max_in_flight`] (default 1,024; at least 1).
    pub fn request_queue(mut self, requests: usize) -> Self {
        self.queues.in_flight = Some(requests.max(1));
        self
    }

    /// How many events may wait for the application before the adapter's task pauses
    /// (default 4,096; at least 1). Received messages then queue inside the adapter: paho
    /// cannot pause, and nothing is dropped.
    pub fn event_queue(mut self, events: usize) -> Self {
        self.queues.events = events.max(1);
        self
    }
}

impl<C> std::fmt::Debug for ClientBuilder<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("options", &self.options)
            .field("security", &self.security)
            .field("queues", &self.queues)
            .finish()
    }
}
