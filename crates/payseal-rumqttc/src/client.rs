//! The async client for MQTT 3.1.1: publish sealed, receive verified.

use std::borrow::Cow;
use std::sync::Arc;

use payseal_mqtt::adapter::{ClientState, Framing, Subscriptions};
use payseal_mqtt::{Event, QoS, Security};
use rumqttc::{AsyncClient, ConnectionError, EventLoop, LastWill, MqttOptions, Packet};
use tokio::sync::mpsc;

use crate::acks::Acks;
use crate::driver::{self, EVENT_QUEUE, Link, Polled, REQUEST_QUEUE};
use crate::error::PublishError;
use crate::qos::IntoQoS;
use crate::qos::{from_v4, to_v4};

/// rumqttc's default maximum packet size is 10 KiB; payseal's default envelope limit is
/// 256 KiB, so the adapter raises it to match (Mosquitto's own default limit is 256 MiB).
pub use payseal_mqtt::DEFAULT_MAX_PACKET_SIZE;

/// A payseal client over rumqttc (MQTT 3.1.1).
///
/// `connect` starts a task that drives rumqttc's event loop: the application never polls it,
/// and receives only [`Event`]s. Clone it to publish from several tasks.
#[derive(Clone)]
pub struct SecureClient {
    client: AsyncClient,
    shared: Arc<ClientState>,
    acks: Arc<Acks>,
}

impl SecureClient {
    /// Connects with `options` and `security`, and returns the client and its event stream.
    ///
    /// Manual acks are turned on (every received message is acknowledged once it is
    /// classified, so refused messages are not redelivered forever), and the maximum packet
    /// size, both ways, is set to [`Security::max_packet_size`] (default
    /// [`DEFAULT_MAX_PACKET_SIZE`]; rumqttc's own default of 10 KiB is too small for sealed
    /// payloads). Must be called inside a Tokio runtime.
    ///
    /// Keep the event receiver alive for as long as the client is used: dropping it ends the
    /// event loop (and with it the connection), even for a client that only publishes.
    pub fn connect(mut options: MqttOptions, security: Security) -> (Self, mpsc::Receiver<Event>) {
        options.set_manual_acks(true);
        let shared = ClientState::new(security, DEFAULT_MAX_PACKET_SIZE);
        let max_packet_size = shared.max_packet_size();
        options.set_max_packet_size(max_packet_size, max_packet_size);
        seal_will(&mut options, &shared);
        let (client, eventloop) = AsyncClient::new(options, REQUEST_QUEUE);
        let (tx, rx) = mpsc::channel(EVENT_QUEUE);
        let link = V4Link {
            eventloop,
            client: client.clone(),
        };
        let acks = Arc::new(Acks::default());
        tokio::spawn(driver::drive(
            link,
            Arc::clone(&shared),
            Arc::clone(&acks),
            tx,
        ));
        (
            SecureClient {
                client,
                shared,
                acks,
            },
            rx,
        )
    }

    /// Seals `payload` for `topic` and publishes it. Sealing happens here, in the caller's
    /// task, not on the event loop.
    ///
    /// # Errors
    /// [`PublishError`]; nothing is sent then.
    pub async fn publish(
        &self,
        topic: &str,
        qos: impl IntoQoS,
        retain: bool,
        payload: &[u8],
    ) -> Result<(), PublishError> {
        let qos = qos.into_qos();
        let envelope = self
            .shared
            .prepare_publish(topic, qos, retain, payload, Framing::V311)?;
        self.acks.expect(qos);
        if let Err(e) = self
            .client
            .publish(topic, to_v4(qos), retain, envelope)
            .await
        {
            self.acks.cancel(qos);
            return Err(e.into());
        }
        Ok(())
    }

    /// Waits until the broker has acknowledged every QoS 1 and 2 message published so far
    /// (PUBACK, or PUBCOMP for QoS 2), or until `timeout`; true if it has. Call it before
    /// [`disconnect`](Self::disconnect) when the process is about to exit: a QoS 2 message is
    /// only passed on by the broker once its handshake is complete.
    pub async fn flush(&self, timeout: std::time::Duration) -> bool {
        self.acks.flush(timeout).await
    }

    /// Subscribes to `filter`. Everything that arrives is verified before it is delivered.
    ///
    /// The adapter remembers the subscription and restores it by itself when a reconnect
    /// finds no session at the broker (clean session, or a broker that lost its state).
    ///
    /// # Errors
    /// [`rumqttc::ClientError`] if the client is closed.
    pub async fn subscribe(
        &self,
        filter: &str,
        qos: impl IntoQoS,
    ) -> Result<(), rumqttc::ClientError> {
        let qos = qos.into_qos();
        self.shared.subscriptions().add(filter, qos);
        self.client.subscribe(filter, to_v4(qos)).await
    }

    /// Unsubscribes from `filter`.
    ///
    /// # Errors
    /// [`rumqttc::ClientError`] if the client is closed.
    pub async fn unsubscribe(&self, filter: &str) -> Result<(), rumqttc::ClientError> {
        self.shared.subscriptions().remove(filter);
        self.client.unsubscribe(filter).await
    }

    /// Disconnects cleanly (the broker does not publish the will) and stops the event loop.
    ///
    /// # Errors
    /// [`rumqttc::ClientError`] if the client is already closed.
    pub async fn disconnect(&self) -> Result<(), rumqttc::ClientError> {
        self.shared.set_closing();
        self.client.disconnect().await
    }
}

impl std::fmt::Debug for SecureClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print rumqttc's options: their Debug shows credentials.
        f.debug_struct("SecureClient")
            .field("max_packet_size", &self.shared.max_packet_size())
            .finish_non_exhaustive()
    }
}

/// Seals the configured will (with the will sealer's next sequence number and the current
/// time) into `options`.
fn seal_will(options: &mut MqttOptions, state: &ClientState) {
    match state.seal_will() {
        Some(Ok(will)) => {
            options.set_last_will(LastWill::new(
                will.topic,
                will.envelope,
                to_v4(will.qos),
                will.retain,
            ));
        }
        Some(Err(e)) => tracing::warn!("cannot seal the last will, connecting without one: {e}"),
        None => {}
    }
}

/// rumqttc's MQTT 3.1.1 client as the driver's [`Link`].
struct V4Link {
    eventloop: EventLoop,
    client: AsyncClient,
}

impl Link for V4Link {
    type Publish = rumqttc::Publish;
    type Error = ConnectionError;

    async fn poll(&mut self) -> Result<Polled<Self::Publish>, Self::Error> {
        Ok(match self.eventloop.poll().await? {
            rumqttc::Event::Incoming(Packet::ConnAck(ack)) => Polled::ConnAck {
                session_present: ack.session_present,
                broker_max_packet_size: 0,
            },
            rumqttc::Event::Incoming(Packet::Publish(publish)) => Polled::Publish(publish),
            rumqttc::Event::Incoming(Packet::PubAck(_) | Packet::PubComp(_)) => {
                Polled::Acknowledged
            }
            _ => Polled::Other,
        })
    }

    fn try_ack(&self, publish: &Self::Publish) -> bool {
        self.client.try_ack(publish).is_ok()
    }

    fn inspect(publish: &Self::Publish) -> (Cow<'_, str>, &[u8], bool, QoS) {
        (
            Cow::Borrowed(&publish.topic),
            &publish.payload,
            publish.retain,
            from_v4(publish.qos),
        )
    }

    fn is_final(error: &Self::Error) -> bool {
        matches!(error, ConnectionError::RequestsDone)
    }

    fn reseal_will(&mut self, state: &ClientState) {
        seal_will(&mut self.eventloop.mqtt_options, state);
    }

    /// Goes into the event loop's own pending queue, which the driver task owns: awaiting the
    /// request channel from the task that drains it could deadlock.
    fn restore_subscriptions(&mut self, subscriptions: &Subscriptions) {
        let filters: Vec<rumqttc::SubscribeFilter> = subscriptions
            .all()
            .into_iter()
            .map(|(filter, qos)| rumqttc::SubscribeFilter::new(filter, to_v4(qos)))
            .collect();
        if filters.is_empty() {
            return;
        }
        tracing::debug!(
            count = filters.len(),
            "restoring subscriptions after a reconnect without session"
        );
        self.eventloop
            .pending
            .push_front(rumqttc::Request::Subscribe(rumqttc::Subscribe::new_many(
                filters,
            )));
    }
}
