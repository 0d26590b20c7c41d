//! The connection `payseal group` and `payseal keyserver` publish key updates on: the broker
//! options of `pub`/`sub`, payloads the controller already sealed, QoS 1 with the retain flag.

use payseal::{MessageKind, SealError};
use payseal_keys::Publish;
use payseal_rumqttc::{EnvelopeSealer, Event, Security};
use rumqttc::QoS;
use tokio::sync::mpsc;

use crate::Failure;
use crate::cli::Broker;
use crate::commands::mqtt::{self, Client, FLUSH_TIMEOUT};

/// Passes the controller's sealed key updates (and the empty payloads that clear a removed
/// member's retained update) through unchanged: they are sealed already, to one member each.
struct Presealed;

impl EnvelopeSealer for Presealed {
    fn seal(&mut self, _topic: &str, payload: &[u8]) -> Result<Vec<u8>, SealError> {
        Ok(payload.to_vec())
    }

    fn seal_kind(
        &mut self,
        _topic: &str,
        payload: &[u8],
        _kind: MessageKind,
    ) -> Result<Vec<u8>, SealError> {
        Ok(payload.to_vec())
    }
}

/// A connection to the broker that carries key updates.
pub(crate) struct KeyLink {
    client: Client,
}

impl KeyLink {
    /// Connects and waits for the broker's CONNACK; the events stream is returned for a
    /// long-running caller to watch (reconnects), and must be drained.
    ///
    /// # Errors
    /// [`Failure::Network`] if the broker cannot be reached, [`Failure::Usage`] or
    /// [`Failure::BadInput`] for unusable connection options.
    pub(crate) async fn connect(broker: &Broker) -> Result<(Self, mpsc::Receiver<Event>), Failure> {
        let (client, mut events) = Client::connect(broker, Security::new().sealer(Presealed))?;
        mqtt::wait_connected(&mut events, &mqtt::address(broker)).await?;
        Ok((KeyLink { client }, events))
    }

    /// Publishes `updates` in order, QoS 1 and retained, and waits for every PUBACK.
    ///
    /// # Errors
    /// [`Failure::Unconfirmed`] or [`Failure::Refused`] if the broker did not confirm them
    /// all in time; [`Failure::Network`] if the connection is closed.
    pub(crate) async fn publish(&self, updates: &[Publish]) -> Result<(), Failure> {
        for update in updates {
            self.client
                .publish(&update.topic, QoS::AtLeastOnce, true, &update.payload)
                .await
                .map_err(|e| Failure::Network(format!("cannot publish a key update: {e}")))?;
        }
        self.client
            .flush(FLUSH_TIMEOUT)
            .await
            .map_err(|undelivered| mqtt::publish_failure(&undelivered, updates.len()))
    }

    /// Disconnects cleanly (best effort).
    pub(crate) async fn disconnect(&self) {
        self.client.disconnect().await;
    }
}
