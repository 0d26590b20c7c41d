//! The async client for MQTT 5: the same contract as [`SecureClient`](crate::SecureClient),
//! over rumqttc's `v5` module. Sealed publishes carry a content type and a payload format
//! indicator, so other MQTT 5 tools can recognize envelopes.

use std::borrow::Cow;
use std::sync::Arc;

use payseal_mqtt::adapter::{ClientState, Framing, Subscriptions};
use payseal_mqtt::{Event, QoS, Security};
use rumqttc::v5::mqttbytes::v5::{
    Filter, LastWill, LastWillProperties, Packet, PublishProperties, Subscribe,
};
use rumqttc::v5::{AsyncClient, ConnectionError, EventLoop, MqttOptions, Request};
use tokio::sync::mpsc;

use crate::acks::Acks;
use crate::client::DEFAULT_MAX_PACKET_SIZE;
use crate::driver::{self, EVENT_QUEUE, Link, Polled, REQUEST_QUEUE};
use crate::error::PublishError;
use crate::qos::IntoQoS;
use crate::qos::{from_v5 as qos4, to_v5 as qos5};

/// The MQTT 5 content type of a payseal envelope (a COSE_Sign1, RFC 9052 media type).
pub const CONTENT_TYPE: &str = payseal_mqtt::CONTENT_TYPE;

/// A payseal client over rumqttc's MQTT 5 client. See [`SecureClient`](crate::SecureClient)
/// for the behaviour; only the protocol version differs.
#[derive(Clone)]
pub struct SecureClientV5 {
    client: AsyncClient,
    shared: Arc<ClientState>,
    acks: Arc<Acks>,
}

fn properties() -> PublishProperties {
    PublishProperties {
        // 0: unspecified bytes (an envelope is binary, not UTF-8).
        payload_format_indicator: Some(0),
        content_type: Some(CONTENT_TYPE.to_string()),
        ..PublishProperties::default()
    }
}

impl SecureClientV5 {
    /// Connects with `options` and `security` (see
    /// [`SecureClient::connect`](crate::SecureClient::connect)). Must be called inside a
    /// Tokio runtime.
    pub fn connect(mut options: MqttOptions, security: Security) -> (Self, mpsc::Receiver<Event>) {
        options.set_manual_acks(true);
        let shared = ClientState::new(security, DEFAULT_MAX_PACKET_SIZE);
        options.set_max_packet_size(u32::try_from(shared.max_packet_size()).ok());
        seal_will(&mut options, &shared);
        let (client, eventloop) = AsyncClient::new(options, REQUEST_QUEUE);
        let (tx, rx) = mpsc::channel(EVENT_QUEUE);
        let link = V5Link {
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
            SecureClientV5 {
                client,
                shared,
                acks,
            },
            rx,
        )
    }

    /// Seals `payload` for `topic` and publishes it with the envelope's content type.
    ///
    /// The packet must fit the configured maximum packet size and, once connected, the one
    /// the broker announced in CONNACK if that is smaller ([`PublishError::TooLarge`] names
    /// the limit in force).
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
        let framing = Framing::V5 {
            content_type: CONTENT_TYPE,
        };
        let envelope = self
            .shared
            .prepare_publish(topic, qos, retain, payload, framing)?;
        self.acks.expect(qos);
        let sent = self
            .client
            .publish_with_properties(topic, qos5(qos), retain, envelope, properties())
            .await;
        sent.map_err(|e| {
            self.acks.cancel(qos);
            PublishError::ClientV5(e.to_string())
        })
    }

    /// Waits until the broker has acknowledged every QoS 1 and 2 message published so far, or
    /// until `timeout`; true if it has (see [`SecureClient::flush`](crate::SecureClient::flush)).
    pub async fn flush(&self, timeout: std::time::Duration) -> bool {
        self.acks.flush(timeout).await
    }

    /// Subscribes to `filter`; everything that arrives is verified before it is delivered.
    /// Restored by the adapter after a reconnect without session, as
    /// [`SecureClient::subscribe`](crate::SecureClient::subscribe).
    ///
    /// # Errors
    /// [`rumqttc::v5::ClientError`] if the client is closed.
    pub async fn subscribe(
        &self,
        filter: &str,
        qos: impl IntoQoS,
    ) -> Result<(), rumqttc::v5::ClientError> {
        let qos = qos.into_qos();
        self.shared.subscriptions().add(filter, qos);
        self.client.subscribe(filter, qos5(qos)).await
    }

    /// Disconnects cleanly (no will) and stops the event loop.
    ///
    /// # Errors
    /// [`rumqttc::v5::ClientError`] if already closed.
    pub async fn disconnect(&self) -> Result<(), rumqttc::v5::ClientError> {
        self.shared.set_closing();
        self.client.disconnect().await
    }
}

impl std::fmt::Debug for SecureClientV5 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecureClientV5")
            .field("max_packet_size", &self.shared.max_packet_size())
            .finish_non_exhaustive()
    }
}

fn seal_will(options: &mut MqttOptions, state: &ClientState) {
    match state.seal_will() {
        Some(Ok(will)) => {
            let properties = LastWillProperties {
                delay_interval: None,
                payload_format_indicator: Some(0),
                message_expiry_interval: None,
                content_type: Some(CONTENT_TYPE.to_string()),
                response_topic: None,
                correlation_data: None,
                user_properties: Vec::new(),
            };
            options.set_last_will(LastWill::new(
                will.topic,
                will.envelope,
                qos5(will.qos),
                will.retain,
                Some(properties),
            ));
        }
        Some(Err(e)) => tracing::warn!("cannot seal the last will, connecting without one: {e}"),
        None => {}
    }
}

/// rumqttc's MQTT 5 client as the driver's [`Link`].
struct V5Link {
    eventloop: EventLoop,
    client: AsyncClient,
}

impl Link for V5Link {
    type Publish = rumqttc::v5::mqttbytes::v5::Publish;
    type Error = ConnectionError;

    async fn poll(&mut self) -> Result<Polled<Self::Publish>, Self::Error> {
        Ok(match self.eventloop.poll().await? {
            rumqttc::v5::Event::Incoming(Packet::ConnAck(ack)) => Polled::ConnAck {
                session_present: ack.session_present,
                broker_max_packet_size: ack
                    .properties
                    .as_ref()
                    .and_then(|p| p.max_packet_size)
                    .and_then(|bytes| usize::try_from(bytes).ok())
                    .unwrap_or(0),
            },
            rumqttc::v5::Event::Incoming(Packet::Publish(publish)) => Polled::Publish(publish),
            rumqttc::v5::Event::Incoming(Packet::PubAck(_) | Packet::PubComp(_)) => {
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
            String::from_utf8_lossy(&publish.topic),
            &publish.payload,
            publish.retain,
            qos4(publish.qos),
        )
    }

    fn is_final(error: &Self::Error) -> bool {
        matches!(error, ConnectionError::RequestsDone)
    }

    fn reseal_will(&mut self, state: &ClientState) {
        seal_will(&mut self.eventloop.options, state);
    }

    /// See the MQTT 3.1.1 link: the SUBSCRIBE goes into the event loop's own pending queue.
    fn restore_subscriptions(&mut self, subscriptions: &Subscriptions) {
        let filters: Vec<Filter> = subscriptions
            .all()
            .into_iter()
            .map(|(filter, qos)| Filter::new(filter, qos5(qos)))
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
            .push_front(Request::Subscribe(Subscribe::new_many(filters, None)));
    }
}
