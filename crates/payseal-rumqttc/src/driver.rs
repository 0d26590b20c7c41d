//! The event-loop driver both clients share: one task per connection polls the MQTT client,
//! classifies every PUBLISH, hands events to the application, acks, and reconnects. What
//! differs between rumqttc's MQTT 3.1.1 and MQTT 5 APIs sits behind [`Link`].

use std::borrow::Cow;
use std::collections::VecDeque;
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rumqttc::QoS;
use tokio::sync::mpsc;

use crate::error::PublishError;
use crate::event::{Event, classify};
use crate::security::{EnvelopeSealer, Security};
use crate::subscriptions::{Subscriptions, must_restore};

/// Events waiting for the application before the event loop pauses (backpressure, not loss).
pub(crate) const EVENT_QUEUE: usize = 4096;
/// Requests (publishes, acks) queued towards the event loop.
pub(crate) const REQUEST_QUEUE: usize = 1024;
/// Wait before trying to reconnect after a connection error.
const RECONNECT_DELAY: Duration = Duration::from_millis(500);

/// State shared by a client handle and its driver task.
pub(crate) struct Shared {
    /// The sealer has its own lock, so publishing never waits for verification.
    sealer: Mutex<Option<Box<dyn EnvelopeSealer>>>,
    pub(crate) security: Mutex<Security>,
    pub(crate) max_packet_size: usize,
    /// The maximum packet size the broker announced in its last CONNACK (0: none; MQTT 5).
    pub(crate) broker_max_packet_size: AtomicUsize,
    pub(crate) closing: AtomicBool,
    pub(crate) subscriptions: Subscriptions,
    /// QoS 1 and 2 publishes whose PUBACK or PUBCOMP has not arrived yet.
    unacknowledged: AtomicUsize,
    /// Woken whenever a publish is acknowledged.
    acknowledged: tokio::sync::Notify,
}

impl Shared {
    pub(crate) fn new(mut security: Security, max_packet_size: usize) -> Arc<Self> {
        Arc::new(Shared {
            sealer: Mutex::new(security.sealer.take()),
            security: Mutex::new(security),
            max_packet_size,
            broker_max_packet_size: AtomicUsize::new(0),
            closing: AtomicBool::new(false),
            subscriptions: Subscriptions::default(),
            unacknowledged: AtomicUsize::new(0),
            acknowledged: tokio::sync::Notify::new(),
        })
    }

    /// Counts a QoS 1 or 2 publish as waiting for its acknowledgement.
    pub(crate) fn expect_ack(&self, qos: QoS) {
        if qos != QoS::AtMostOnce {
            self.unacknowledged.fetch_add(1, Ordering::SeqCst);
        }
    }

    /// Takes back [`expect_ack`](Self::expect_ack) for a publish that was never queued.
    pub(crate) fn cancel_ack(&self, qos: QoS) {
        if qos != QoS::AtMostOnce {
            self.acked();
        }
    }

    fn acked(&self) {
        let _ = self
            .unacknowledged
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1));
        self.acknowledged.notify_waiters();
    }

    /// Waits until every QoS 1 and 2 publish so far is acknowledged by the broker, or until
    /// `timeout`; true if all were.
    pub(crate) async fn flush(&self, timeout: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let woken = self.acknowledged.notified();
            if self.unacknowledged.load(Ordering::SeqCst) == 0 {
                return true;
            }
            if tokio::time::timeout_at(deadline, woken).await.is_err() {
                return self.unacknowledged.load(Ordering::SeqCst) == 0;
            }
        }
    }

    /// Seals `payload` for `topic`, in the caller's task.
    pub(crate) fn seal(&self, topic: &str, payload: &[u8]) -> Result<Vec<u8>, PublishError> {
        let mut sealer = self.sealer.lock().map_err(|_| PublishError::NoSealer)?;
        let sealer = sealer.as_mut().ok_or(PublishError::NoSealer)?;
        Ok(sealer.seal(topic, payload)?)
    }
}

/// What one poll of the MQTT client produced.
pub(crate) enum Polled<P> {
    /// CONNACK: whether a session was resumed, and the broker's maximum packet size (0: none).
    ConnAck {
        session_present: bool,
        broker_max_packet_size: usize,
    },
    /// An incoming PUBLISH.
    Publish(P),
    /// The broker acknowledged one of our QoS 1 (PUBACK) or QoS 2 (PUBCOMP) publishes.
    Acknowledged,
    /// Anything else (acks, pings, outgoing notifications).
    Other,
}

/// One protocol version's client and event loop, as the driver needs them.
pub(crate) trait Link: Send + 'static {
    /// The client library's PUBLISH type.
    type Publish: Send + 'static;
    /// The client library's connection error.
    type Error: std::fmt::Display + Send;

    /// Polls the event loop once.
    fn poll(&mut self) -> impl Future<Output = Result<Polled<Self::Publish>, Self::Error>> + Send;
    /// Queues the ack of `publish` without waiting; false if the request queue is full.
    fn try_ack(&self, publish: &Self::Publish) -> bool;
    /// Topic, payload, retain flag and QoS of `publish`.
    fn inspect(publish: &Self::Publish) -> (Cow<'_, str>, &[u8], bool, QoS);
    /// Whether the error means the client was dropped (no reconnect).
    fn is_final(error: &Self::Error) -> bool;
    /// Seals the configured will again into the connect options.
    fn reseal_will(&mut self, security: &mut Security);
    /// Queues one SUBSCRIBE for every remembered filter ahead of all other requests.
    fn restore_subscriptions(&mut self, subscriptions: &Subscriptions);
}

/// Drives `link` until the application drops the event stream or disconnects.
pub(crate) async fn drive<L: Link>(mut link: L, shared: Arc<Shared>, events: mpsc::Sender<Event>) {
    // Acks go through the request queue the event loop drains while it is polled; awaiting a
    // full queue from this task would deadlock, so acks wait in order here instead.
    let mut acks: VecDeque<L::Publish> = VecDeque::new();
    let mut connected_before = false;
    loop {
        while let Some(publish) = acks.front() {
            if !link.try_ack(publish) {
                break;
            }
            acks.pop_front();
        }
        let event = match link.poll().await {
            Ok(Polled::ConnAck {
                session_present,
                broker_max_packet_size,
            }) => {
                shared
                    .broker_max_packet_size
                    .store(broker_max_packet_size, Ordering::SeqCst);
                if must_restore(connected_before, session_present) {
                    link.restore_subscriptions(&shared.subscriptions);
                }
                connected_before = true;
                Event::Connected { session_present }
            }
            Ok(Polled::Publish(publish)) => {
                let event = {
                    let (topic, payload, retain, qos) = L::inspect(&publish);
                    let Ok(mut security) = shared.security.lock() else {
                        return;
                    };
                    classify(&mut security, &topic, payload, retain, qos)
                };
                // Hand the event over first (waiting if the application is behind), then ack:
                // an acknowledged message is never lost inside the adapter.
                // A message the receiver could not judge (its replay store is down) stays
                // unacknowledged, so the broker delivers it again after a reconnect.
                let retry =
                    matches!(&event, Event::Rejected { reason, .. } if reason.is_retryable());
                if events.send(event).await.is_err() {
                    return;
                }
                if !retry {
                    acks.push_back(publish);
                }
                continue;
            }
            Ok(Polled::Acknowledged) => {
                shared.acked();
                continue;
            }
            Ok(Polled::Other) => continue,
            Err(error) => {
                if shared.closing.load(Ordering::SeqCst) {
                    return;
                }
                let disconnected = Event::Disconnected {
                    error: error.to_string(),
                };
                if events.send(disconnected).await.is_err() || L::is_final(&error) {
                    return;
                }
                // Re-seal the will so that it is fresh when the broker publishes it.
                if let Ok(mut security) = shared.security.lock() {
                    link.reseal_will(&mut security);
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
