//! The event-loop driver both clients share: one task per connection polls the MQTT client,
//! classifies every PUBLISH, hands events to the application, acks, and reconnects. What
//! differs between rumqttc's MQTT 3.1.1 and MQTT 5 APIs sits behind [`Link`].

use std::borrow::Cow;
use std::collections::VecDeque;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use payseal_mqtt::adapter::{ClientState, Subscriptions, must_restore};
use payseal_mqtt::{Event, QoS};
use tokio::sync::mpsc;

use crate::acks::Acks;

/// Events waiting for the application before the event loop pauses (backpressure, not loss).
pub(crate) const EVENT_QUEUE: usize = 4096;
/// Requests (publishes, acks) queued towards the event loop.
pub(crate) const REQUEST_QUEUE: usize = 1024;
/// Wait before trying to reconnect after a connection error.
const RECONNECT_DELAY: Duration = Duration::from_millis(500);

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
    fn reseal_will(&mut self, state: &ClientState);
    /// Queues one SUBSCRIBE for every remembered filter ahead of all other requests.
    fn restore_subscriptions(&mut self, subscriptions: &Subscriptions);
}

/// Drives `link` until the application drops the event stream or disconnects.
pub(crate) async fn drive<L: Link>(
    mut link: L,
    shared: Arc<ClientState>,
    outgoing: Arc<Acks>,
    events: mpsc::Sender<Event>,
) {
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
                shared.set_broker_max_packet_size(broker_max_packet_size);
                if must_restore(connected_before, session_present) {
                    link.restore_subscriptions(shared.subscriptions());
                }
                connected_before = true;
                Event::Connected { session_present }
            }
            Ok(Polled::Publish(publish)) => {
                let event = {
                    let (topic, payload, retain, qos) = L::inspect(&publish);
                    let Some(event) = shared.classify(&topic, payload, retain, qos) else {
                        return;
                    };
                    event
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
                outgoing.acknowledged();
                continue;
            }
            Ok(Polled::Other) => continue,
            Err(error) => {
                if shared.is_closing() {
                    return;
                }
                let disconnected = Event::Disconnected {
                    error: error.to_string(),
                };
                if events.send(disconnected).await.is_err() || L::is_final(&error) {
                    return;
                }
                // Re-seal the will so that it is fresh when the broker publishes it.
                link.reseal_will(&shared);
                tokio::time::sleep(RECONNECT_DELAY).await;
                continue;
            }
        };
        if events.send(event).await.is_err() {
            return;
        }
    }
}
