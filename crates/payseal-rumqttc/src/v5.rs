//! The async client for MQTT 5: the same contract as [`SecureClient`](crate::SecureClient),
//! over rumqttc's `v5` module. Sealed publishes carry a content type and a payload format
//! indicator, so other MQTT 5 tools can recognize envelopes.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use rumqttc::QoS;
use rumqttc::v5::mqttbytes::QoS as QoS5;
use rumqttc::v5::mqttbytes::v5::{LastWill, LastWillProperties, Packet, PublishProperties};
use rumqttc::v5::{AsyncClient, ConnectionError, EventLoop, MqttOptions};
use tokio::sync::mpsc;

use crate::client::{
    DEFAULT_MAX_PACKET_SIZE, EVENT_QUEUE, RECONNECT_DELAY, REQUEST_QUEUE, packet_size,
};
use crate::error::PublishError;
use crate::event::{Event, classify};
use crate::security::Security;

/// The MQTT 5 content type of a payseal envelope (a COSE_Sign1, RFC 9052 media type).
pub const CONTENT_TYPE: &str = "application/cose; cose-type=\"cose-sign1\"";

/// A payseal client over rumqttc's MQTT 5 client. See [`SecureClient`](crate::SecureClient)
/// for the behaviour; only the protocol version differs.
#[derive(Clone)]
pub struct SecureClientV5 {
    client: AsyncClient,
    shared: Arc<Shared>,
}

struct Shared {
    security: Mutex<Security>,
    max_packet_size: usize,
    closing: AtomicBool,
}

fn qos5(qos: QoS) -> QoS5 {
    match qos {
        QoS::AtMostOnce => QoS5::AtMostOnce,
        QoS::AtLeastOnce => QoS5::AtLeastOnce,
        QoS::ExactlyOnce => QoS5::ExactlyOnce,
    }
}

fn qos4(qos: QoS5) -> QoS {
    match qos {
        QoS5::AtMostOnce => QoS::AtMostOnce,
        QoS5::AtLeastOnce => QoS::AtLeastOnce,
        QoS5::ExactlyOnce => QoS::ExactlyOnce,
    }
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
    pub fn connect(
        mut options: MqttOptions,
        mut security: Security,
    ) -> (Self, mpsc::Receiver<Event>) {
        options.set_manual_acks(true);
        let max_packet_size = security.max_packet_size.unwrap_or(DEFAULT_MAX_PACKET_SIZE);
        options.set_max_packet_size(u32::try_from(max_packet_size).ok());
        seal_will(&mut options, &mut security);
        let (client, eventloop) = AsyncClient::new(options, REQUEST_QUEUE);
        let shared = Arc::new(Shared {
            security: Mutex::new(security),
            max_packet_size,
            closing: AtomicBool::new(false),
        });
        let (tx, rx) = mpsc::channel(EVENT_QUEUE);
        tokio::spawn(drive(eventloop, client.clone(), Arc::clone(&shared), tx));
        (SecureClientV5 { client, shared }, rx)
    }

    /// Seals `payload` for `topic` and publishes it with the envelope's content type.
    ///
    /// # Errors
    /// [`PublishError`]; nothing is sent then.
    pub async fn publish(
        &self,
        topic: &str,
        qos: QoS,
        retain: bool,
        payload: &[u8],
    ) -> Result<(), PublishError> {
        let envelope = {
            let mut security = self
                .shared
                .security
                .lock()
                .map_err(|_| PublishError::NoSealer)?;
            let sealer = security.sealer.as_mut().ok_or(PublishError::NoSealer)?;
            sealer.seal(topic, payload)?
        };
        // The content type property adds its length plus 3 bytes, the format indicator 2.
        let actual = packet_size(topic, envelope.len()) + CONTENT_TYPE.len() + 5 + 4;
        if actual > self.shared.max_packet_size {
            return Err(PublishError::TooLarge {
                limit: self.shared.max_packet_size,
                actual,
            });
        }
        self.client
            .publish_with_properties(topic, qos5(qos), retain, envelope, properties())
            .await
            .map_err(|e| PublishError::ClientV5(e.to_string()))
    }

    /// Subscribes to `filter`; everything that arrives is verified before it is delivered.
    ///
    /// # Errors
    /// [`rumqttc::v5::ClientError`] if the client is closed.
    pub async fn subscribe(&self, filter: &str, qos: QoS) -> Result<(), rumqttc::v5::ClientError> {
        self.client.subscribe(filter, qos5(qos)).await
    }

    /// Disconnects cleanly (no will) and stops the event loop.
    ///
    /// # Errors
    /// [`rumqttc::v5::ClientError`] if already closed.
    pub async fn disconnect(&self) -> Result<(), rumqttc::v5::ClientError> {
        self.shared.closing.store(true, Ordering::SeqCst);
        self.client.disconnect().await
    }
}

impl std::fmt::Debug for SecureClientV5 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecureClientV5")
            .field("max_packet_size", &self.shared.max_packet_size)
            .finish_non_exhaustive()
    }
}

fn seal_will(options: &mut MqttOptions, security: &mut Security) {
    let Some(will) = security.will.as_mut() else {
        return;
    };
    match will.sealer.seal(&will.topic, &will.payload) {
        Ok(envelope) => {
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
                &will.topic,
                envelope,
                qos5(will.qos),
                will.retain,
                Some(properties),
            ));
        }
        Err(e) => tracing::warn!("cannot seal the last will, connecting without one: {e}"),
    }
}

/// Drives the MQTT 5 event loop; mirrors `client::drive`.
async fn drive(
    mut eventloop: EventLoop,
    client: AsyncClient,
    shared: Arc<Shared>,
    events: mpsc::Sender<Event>,
) {
    let mut acks = VecDeque::new();
    loop {
        while let Some(publish) = acks.front() {
            if client.try_ack(publish).is_err() {
                break;
            }
            acks.pop_front();
        }
        let event = match eventloop.poll().await {
            Ok(rumqttc::v5::Event::Incoming(Packet::ConnAck(ack))) => Event::Connected {
                session_present: ack.session_present,
            },
            Ok(rumqttc::v5::Event::Incoming(Packet::Publish(publish))) => {
                let topic = String::from_utf8_lossy(&publish.topic).into_owned();
                let event = match shared.security.lock() {
                    Ok(mut security) => classify(
                        &mut security,
                        &topic,
                        &publish.payload,
                        publish.dup,
                        publish.retain,
                        qos4(publish.qos),
                    ),
                    Err(_) => return,
                };
                if events.send(event).await.is_err() {
                    return;
                }
                acks.push_back(publish);
                continue;
            }
            Ok(_) => continue,
            Err(error) => {
                if shared.closing.load(Ordering::SeqCst) {
                    return;
                }
                let stop = matches!(error, ConnectionError::RequestsDone);
                let sent = events
                    .send(Event::Disconnected {
                        error: error.to_string(),
                    })
                    .await;
                if sent.is_err() || stop {
                    return;
                }
                if let Ok(mut security) = shared.security.lock() {
                    seal_will(&mut eventloop.options, &mut security);
                }
                tokio::time::sleep(RECONNECT_DELAY).await;
                continue;
            }
        };
        if events.send(event).await.is_err() {
            return;
        }
    }
}
