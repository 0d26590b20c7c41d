//! The async client for MQTT 3.1.1: publish sealed, receive verified.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rumqttc::{AsyncClient, ConnectionError, EventLoop, LastWill, MqttOptions, Packet, QoS};
use tokio::sync::mpsc;

use crate::error::PublishError;
use crate::event::{Event, classify};
use crate::security::{EnvelopeSealer, Security};
use crate::size;
use crate::subscriptions::{Subscriptions, must_restore};

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
    /// The sealer has its own lock, so publishing never waits for verification.
    sealer: Mutex<Option<Box<dyn EnvelopeSealer>>>,
    security: Mutex<Security>,
    max_packet_size: usize,
    closing: AtomicBool,
    subscriptions: Subscriptions,
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
            sealer: Mutex::new(security.sealer.take()),
            security: Mutex::new(security),
            max_packet_size,
            closing: AtomicBool::new(false),
            subscriptions: Subscriptions::default(),
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
        let envelope = self.seal(topic, qos, payload)?;
        self.client.publish(topic, qos, retain, envelope).await?;
        Ok(())
    }

    /// Seals `payload` for `topic` and checks the packet size, without publishing.
    pub(crate) fn seal(
        &self,
        topic: &str,
        qos: QoS,
        payload: &[u8],
    ) -> Result<Vec<u8>, PublishError> {
        let envelope = {
            let mut sealer = self
                .shared
                .sealer
                .lock()
                .map_err(|_| PublishError::NoSealer)?;
            let sealer = sealer.as_mut().ok_or(PublishError::NoSealer)?;
            sealer.seal(topic, payload)?
        };
        let actual = size::publish_v4(topic, qos, envelope.len());
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
    /// The adapter remembers the subscription and restores it by itself when a reconnect
    /// finds no session at the broker (clean session, or a broker that lost its state).
    ///
    /// # Errors
    /// [`rumqttc::ClientError`] if the client is closed.
    pub async fn subscribe(&self, filter: &str, qos: QoS) -> Result<(), rumqttc::ClientError> {
        self.shared.subscriptions.add(filter, qos);
        self.client.subscribe(filter, qos).await
    }

    /// Unsubscribes from `filter`.
    ///
    /// # Errors
    /// [`rumqttc::ClientError`] if the client is closed.
    pub async fn unsubscribe(&self, filter: &str) -> Result<(), rumqttc::ClientError> {
        self.shared.subscriptions.remove(filter);
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

/// Queues one SUBSCRIBE for every remembered filter ahead of all other requests. It goes
/// into the event loop's pending queue, which this task owns: awaiting the request channel
/// from the task that drains it could deadlock.
fn restore_subscriptions(eventloop: &mut EventLoop, subscriptions: &Subscriptions) {
    let filters: Vec<rumqttc::SubscribeFilter> = subscriptions
        .all()
        .into_iter()
        .map(|(filter, qos)| rumqttc::SubscribeFilter::new(filter, qos))
        .collect();
    if filters.is_empty() {
        return;
    }
    tracing::debug!(
        count = filters.len(),
        "restoring subscriptions after a reconnect without session"
    );
    eventloop
        .pending
        .push_front(rumqttc::Request::Subscribe(rumqttc::Subscribe::new_many(
            filters,
        )));
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
    let mut connected_before = false;
    loop {
        while let Some(publish) = acks.front() {
            if client.try_ack(publish).is_err() {
                break;
            }
            acks.pop_front();
        }
        let event = match eventloop.poll().await {
            Ok(rumqttc::Event::Incoming(Packet::ConnAck(ack))) => {
                if must_restore(connected_before, ack.session_present) {
                    restore_subscriptions(&mut eventloop, &shared.subscriptions);
                }
                connected_before = true;
                Event::Connected {
                    session_present: ack.session_present,
                }
            }
            Ok(rumqttc::Event::Incoming(Packet::Publish(publish))) => {
                let event = match shared.security.lock() {
                    Ok(mut security) => classify(
                        &mut security,
                        &publish.topic,
                        &publish.payload,
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
