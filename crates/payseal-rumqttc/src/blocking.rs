//! A blocking client for applications without an async runtime.

use std::time::Duration;

use payseal_mqtt::{Event, Security};
use rumqttc::MqttOptions;
use tokio::runtime::Runtime;
use tokio::sync::mpsc;

use crate::client::SecureClient;
use crate::error::Error;
use crate::qos::IntoQoS;

/// [`SecureClient`] with blocking calls; it runs its own single-threaded runtime on a
/// background thread.
#[derive(Debug)]
pub struct BlockingClient {
    runtime: Runtime,
    client: SecureClient,
    events: mpsc::Receiver<Event>,
}

impl BlockingClient {
    /// Connects (see [`SecureClient::connect`]).
    ///
    /// # Errors
    /// If the runtime cannot be created.
    pub fn connect(options: MqttOptions, security: Security) -> std::io::Result<Self> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()?;
        let (client, events) = runtime.block_on(async { SecureClient::connect(options, security) });
        Ok(BlockingClient {
            runtime,
            client,
            events,
        })
    }

    /// Seals and publishes (see [`SecureClient::publish`]).
    ///
    /// # Errors
    /// [`Error`].
    pub fn publish(
        &self,
        topic: impl Into<String>,
        qos: impl IntoQoS,
        retain: bool,
        payload: impl AsRef<[u8]>,
    ) -> Result<(), Error> {
        self.runtime
            .block_on(self.client.publish(topic, qos, retain, payload))
    }

    /// Subscribes (see [`SecureClient::subscribe`]).
    ///
    /// # Errors
    /// [`Error::Closed`] if the client is closed.
    pub fn subscribe(&self, filter: impl Into<String>, qos: impl IntoQoS) -> Result<(), Error> {
        self.runtime.block_on(self.client.subscribe(filter, qos))
    }

    /// Waits until every QoS 1 and 2 message is confirmed or refused, or `timeout` (see
    /// [`SecureClient::flush`]).
    ///
    /// # Errors
    /// [`payseal_mqtt::Undelivered`].
    pub fn flush(&self, timeout: Duration) -> Result<(), payseal_mqtt::Undelivered> {
        self.runtime.block_on(self.client.flush(timeout))
    }

    /// The next event, waiting at most `timeout`; `None` on timeout or when closed.
    pub fn recv_timeout(&mut self, timeout: Duration) -> Option<Event> {
        let events = &mut self.events;
        self.runtime.block_on(async {
            tokio::time::timeout(timeout, events.recv())
                .await
                .ok()
                .flatten()
        })
    }

    /// Disconnects cleanly.
    ///
    /// # Errors
    /// [`Error::Closed`] if already closed.
    pub fn disconnect(&self) -> Result<(), Error> {
        self.runtime.block_on(self.client.disconnect())
    }
}
