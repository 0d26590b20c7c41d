//! The async client for MQTT 3.1.1: publish sealed, receive verified.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rumqttc::{AsyncClient, ConnectionError, EventLoop, LastWill, MqttOptions, Packet, QoS};
use tokio::sync::mpsc;

use crate::error::PublishError;
use crate::event::{Event, classify};
use crate::security::Security;

/// Events waiting for the application before the event loop pauses (backpressure, not loss).
pub(crate) const EVENT_QUEUE: usize = 4096;
/// Requests (publishes, acks) queued towards the event loop.
pub(crate) const REQUEST_QUEUE: usize = 1024;
/// rumqttc's default maximum packet size is 10 KiB; payseal's default envelope limit is
/// 256 KiB, so raise it to match (Mosquitto's own default limit is 256 MiB).
pub const DEFAULT_MAX_PACKET_SIZE: usize = 256 * 1024 + 1024;
/// Wait before trying to reconnect after a connection error.
pub(crate) const RECONNECT_DELAY: Duration = Duration::from_millis(500);

/// A payseal client over rumqttc (MQTT 3.1.1).
///
/// `connect` starts a task that drives rumqttc's event loop: the application never polls it,
/// and receives only [`Event`]s. Clone it to publish from several tasks.
#[derive(Clone)]
pub struct SecureClient {
    client: AsyncClient,
    shared: Arc<Shared>,
}

struct Shared {
    security: Mutex<Security>,
    max_packet_size: usize,
    closing: AtomicBool,
}

impl SecureClient {
    /// Connects with `options` and `security`, and returns the client and its event stream.
    ///
    /// Manual acks are turned on (every received message is acknowledged once it is
    /// classified, so refused messages are not redelivered forever), and the maximum packet
    /// size, both ways, is set to [`Security::max_packet_size`] (default
    /// [`DEFAULT_MAX_PACKET_SIZE`]; rumqttc's own default of 10 KiB is too small for sealed
    /// payloads). Must be called inside a Tokio runtime.
    pub fn connect(
        mut options: MqttOptions,
        mut security: Security,
    ) -> (Self, mpsc::Receiver<Event>) {
        options.set_manual_acks(true);
        let max_packet_size = security.max_packet_size.unwrap_or(DEFAULT_MAX_PACKET_SIZE);
        options.set_max_packet_size(max_packet_size, max_packet_size);
        seal_will(&mut options, &mut security);
        let (client, eventloop) = AsyncClient::new(options, REQUEST_QUEUE);
        let shared = Arc::new(Shared {
            security: Mutex::new(security),
            max_packet_size,
            closing: AtomicBool::new(false),
        });
        let (tx, rx) = mpsc::channel(EVENT_QUEUE);
        tokio::spawn(drive(eventloop, client.clone(), Arc::clone(&shared), tx));
        (SecureClient { client, shared }, rx)
    }

    /// Seals `payload` for `topic` and publishes it. Sealing happens here, in the caller's
    /// task, not on the event loop.
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
        let envelope = self.seal(topic, payload)?;
        self.client.publish(topic, qos, retain, envelope).await?;
        Ok(())
    }

    /// Seals `payload` for `topic` and checks the packet size, without publishing.
    pub(crate) fn seal(&self, topic: &str, payload: &[u8]) -> Result<Vec<u8>, PublishError> {
        let envelope = {
            let mut security = self
                .shared
                .security
                .lock()
                .map_err(|_| PublishError::NoSealer)?;
            let sealer = security.sealer.as_mut().ok_or(PublishError::NoSealer)?;
            sealer.seal(topic, payload)?
        };
        let actual = packet_size(topic, envelope.len());
        if actual > self.shared.max_packet_size {
            return Err(PublishError::TooLarge {
                limit: self.shared.max_packet_size,
                actual,
            });
        }
        Ok(envelope)
    }

    /// Subscribes to `filter`. Everything that arrives is verified before it is delivered.
    ///
    /// # Errors
    /// [`rumqttc::ClientError`] if the client is closed.
    pub async fn subscribe(&self, filter: &str, qos: QoS) -> Result<(), rumqttc::ClientError> {
        self.client.subscribe(filter, qos).await
    }

    /// Unsubscribes from `filter`.
    ///
    /// # Errors
    /// [`rumqttc::ClientError`] if the client is closed.
    pub async fn unsubscribe(&self, filter: &str) -> Result<(), rumqttc::ClientError> {
        self.client.unsubscribe(filter).await
    }

    /// Disconnects cleanly (the broker does not publish the will) and stops the event loop.
    ///
    /// # Errors
    /// [`rumqttc::ClientError`] if the client is already closed.
    pub async fn disconnect(&self) -> Result<(), rumqttc::ClientError> {
        self.shared.closing.store(true, Ordering::SeqCst);
        self.client.disconnect().await
    }
}

impl std::fmt::Debug for SecureClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print rumqttc's options: their Debug shows credentials.
        f.debug_struct("SecureClient")
            .field("max_packet_size", &self.shared.max_packet_size)
            .finish_non_exhaustive()
    }
}

/// The size of a PUBLISH packet: fixed header (up to 5 bytes), topic with its length prefix,
/// packet id, payload.
pub(crate) fn packet_size(topic: &str, payload_len: usize) -> usize {
    5 + 2 + topic.len() + 2 + payload_len
}

/// Seals the configured will (with the will sealer's next sequence number and the current
/// time) into `options`.
fn seal_will(options: &mut MqttOptions, security: &mut Security) {
    let Some(will) = security.will.as_mut() else {
        return;
    };
    match will.sealer.seal(&will.topic, &will.payload) {
        Ok(envelope) => {
            options.set_last_will(LastWill::new(&will.topic, envelope, will.qos, will.retain));
        }
        Err(e) => tracing::warn!("cannot seal the last will, connecting without one: {e}"),
    }
}

/// Drives the event loop until the application drops the event stream or disconnects.
async fn drive(
    mut eventloop: EventLoop,
    client: AsyncClient,
    shared: Arc<Shared>,
    events: mpsc::Sender<Event>,
) {
    // Acks go through the same request queue the event loop drains while it is polled; awaiting
    // a full queue here would deadlock, so acks wait in order in this local queue instead.
    let mut acks: VecDeque<rumqttc::Publish> = VecDeque::new();
    loop {
        while let Some(publish) = acks.front() {
            if client.try_ack(publish).is_err() {
                break;
            }
            acks.pop_front();
        }
        let event = match eventloop.poll().await {
            Ok(rumqttc::Event::Incoming(Packet::ConnAck(ack))) => Event::Connected {
                session_present: ack.session_present,
            },
            Ok(rumqttc::Event::Incoming(Packet::Publish(publish))) => {
                let event = match shared.security.lock() {
                    Ok(mut security) => classify(
                        &mut security,
                        &publish.topic,
                        &publish.payload,
                        publish.dup,
                        publish.retain,
                        publish.qos,
                    ),
                    Err(_) => return,
                };
                // Hand the event over first (waiting if the application is behind), then ack:
                // an acknowledged message is never lost inside the adapter.
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
                if events
                    .send(Event::Disconnected {
                        error: error.to_string(),
                    })
                    .await
                    .is_err()
                    || stop
                {
                    return;
                }
                // Re-seal the will so that it is fresh when the broker publishes it.
                if let Ok(mut security) = shared.security.lock() {
                    seal_will(&mut eventloop.mqtt_options, &mut security);
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
