//! The event-loop driver both clients share: one task per connection polls the MQTT client
//! and forwards every PUBLISH, raw, to the verification pipeline (worker threads, see
//! `payseal_mqtt::adapter::start_pipeline`); a second task hands the pipeline's events to the
//! application in the broker's order and acks each PUBLISH once its event was handed over.
//! The driver also reconnects. What differs between rumqttc's MQTT 3.1.1 and MQTT 5 APIs
//! sits behind [`Link`].

use std::collections::VecDeque;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use payseal_mqtt::adapter::{
    ClientState, Feed, Incoming, Output, PipelineConfig, must_restore, start_pipeline, trace_event,
};
use payseal_mqtt::{ConnectionError, Event, QoS};
use tokio::sync::mpsc;

use crate::outbox::{AckKind, Outbox, Pending};
use crate::refresh::{StopOnDrop, WillRefresh};
use crate::subacks::SubAcks;

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
    /// rumqttc wrote one of our PUBLISHes with this packet id (0 for QoS 0).
    Written(u16),
    /// PUBACK, PUBREC or PUBCOMP for one of our publishes: packet id, reason code (0 with
    /// MQTT 3.1.1) and the broker's reason string.
    Acknowledged {
        kind: AckKind,
        pkid: u16,
        code: u8,
        reason: Option<String>,
    },
    /// rumqttc wrote one of our SUBSCRIBEs with this packet id.
    SubscribeWritten(u16),
    /// SUBACK: packet id and one reason code per filter.
    SubAck { pkid: u16, codes: Vec<u8> },
    /// Anything else (acks, pings, outgoing notifications).
    Other,
}

/// One protocol version's client and event loop, as the driver needs them.
pub(crate) trait Link: Send + 'static {
    /// The client library's PUBLISH type.
    type Publish: Send + 'static;
    /// The client library's connection error.
    type Error: std::fmt::Display + Send;

    /// `error` typed for [`Event::Disconnected`].
    fn connection_error(error: Self::Error) -> ConnectionError;

    /// Polls the event loop once.
    fn poll(&mut self) -> impl Future<Output = Result<Polled<Self::Publish>, Self::Error>> + Send;
    /// Queues the ack of `publish` without waiting; false if the request queue is full.
    fn try_ack(&self, publish: &Self::Publish) -> bool;
    /// [`try_ack`](Self::try_ack) for the delivery task (the client handle it acks through).
    fn acker(&self) -> Acker<Self::Publish>;
    /// Topic (the bytes on the wire), payload, retain flag and QoS of `publish`.
    fn inspect(publish: &Self::Publish) -> (&[u8], &[u8], bool, QoS);
    /// Whether the error means the client was dropped (no reconnect).
    fn is_final(error: &Self::Error) -> bool;
    /// Seals the configured will again into the connect options.
    fn reseal_will(&mut self, state: &ClientState);
    /// Queues one SUBSCRIBE for `filters` ahead of all other requests.
    fn restore_subscriptions(&mut self, filters: &[(String, QoS)]);
    /// After a connection error, once no ack of the lost connection can be queued any more:
    /// drops the acks of incoming PUBLISHes still in the request channel or held (their
    /// packet ids belong to the lost connection; on a new session the broker may give them to
    /// other messages, which an old ack would then acknowledge unread).
    fn drop_stale_acks(&mut self);
    /// Takes the writes and acks rumqttc buffered but had not returned when the connection
    /// failed (the MQTT 3.1.1 client returns the next CONNACK ahead of them), leaving every
    /// other buffered event in place.
    fn take_stale(&mut self) -> Vec<Polled<Self::Publish>>;
    /// After a connection error: rumqttc moved the requests still in its channel (publishes
    /// never written among them) into its pending queue, which it clears at a CONNACK without
    /// session, losing them. Takes them out (everything but its own retransmissions) to be
    /// queued again by [`requeue_held`](Self::requeue_held).
    fn hold_unwritten(&mut self);
    /// Queues the held requests again, in their order, behind everything pending.
    fn requeue_held(&mut self);
    /// Queues `messages` (unconfirmed when the session was lost) ahead of the application's
    /// requests, each with its original envelope.
    fn resend(&mut self, messages: Vec<Pending>);
}

/// Queues the ack of a PUBLISH without waiting; false if the request queue is full.
pub(crate) type Acker<P> = Box<dyn Fn(&P) -> bool + Send + Sync>;

/// An incoming PUBLISH and the connection it arrived on (counted from 0): its ack means
/// something on that connection only.
pub(crate) struct Received<P> {
    publish: P,
    connection: u64,
}

/// The count of connections lost so far: the connection PUBLISHes now arrive on, and acks are
/// sent on. Bumped, holding the [`WaitingAcks`] lock, when a connection fails; an ack is
/// queued, holding the same lock, only for a PUBLISH of the current connection.
type Connection = Arc<AtomicU64>;

fn inspect_received<L: Link>(received: &Received<L::Publish>) -> Incoming<'_> {
    L::inspect(&received.publish)
}

/// Acks the delivery task could not queue (the request queue was full), in order; the driver
/// queues them as the event loop drains its requests.
type WaitingAcks<P> = Arc<Mutex<VecDeque<Received<P>>>>;

/// What the driver shares with the client handle.
pub(crate) struct Shared {
    pub(crate) state: Arc<ClientState>,
    pub(crate) outbox: Arc<Outbox>,
    pub(crate) subacks: Arc<SubAcks>,
    /// The periodic will refresh ([`WillRefresh`]).
    pub(crate) refresh: Arc<WillRefresh>,
}

/// Drives `link` until the application drops the event stream or disconnects; the client
/// is closed from then on.
pub(crate) async fn drive<L: Link>(link: L, handles: Shared, events: mpsc::Sender<Event>) {
    let state = Arc::clone(&handles.state);
    let (feed, outputs) = start_pipeline(
        Arc::clone(&state),
        inspect_received::<L>,
        PipelineConfig::default(),
    );
    let waiting: WaitingAcks<L::Publish> = Arc::default();
    let connection = Connection::default();
    let acks = Acks {
        ack: link.acker(),
        waiting: Arc::clone(&waiting),
        connection: Arc::clone(&connection),
    };
    tokio::spawn(deliver(outputs, events, acks));
    run(link, handles, Ordered(feed), &waiting, &connection).await;
    state.set_closing();
}

/// Hands the pipeline's events to the application, in order, and acks each PUBLISH after
/// its event was handed over (an acknowledged message is never lost inside the adapter). A
/// message the receiver could not judge (its replay store is down) stays unacknowledged, so
/// the broker delivers it again after a reconnect.
///
/// A PUBLISH that arrived on a connection since lost is not acked: the broker sends it again
/// if the session survived (the replay window refuses that copy, which is acked), and a new
/// session may have given its packet id to another message.
async fn deliver<P>(
    mut outputs: mpsc::Receiver<Output<Received<P>>>,
    events: mpsc::Sender<Event>,
    acks: Acks<P>,
) {
    let Acks {
        ack,
        waiting,
        connection,
    } = acks;
    while let Some(Output { event, publish }) = outputs.recv().await {
        let retry = matches!(&event, Event::Rejected { reason, .. } if reason.is_retryable());
        trace_event(&event);
        if events.send(event).await.is_err() {
            return;
        }
        let (Some(publish), false) = (publish, retry) else {
            continue;
        };
        let Ok(mut waiting) = waiting.lock() else {
            return;
        };
        if publish.connection != connection.load(Ordering::SeqCst) {
            continue;
        }
        // Behind acks already waiting, or if the request queue is full: the driver sends it.
        if !waiting.is_empty() || !ack(&publish.publish) {
            waiting.push_back(publish);
        }
    }
}

/// What the delivery task acks with.
struct Acks<P> {
    ack: Acker<P>,
    waiting: WaitingAcks<P>,
    connection: Connection,
}

/// The pipeline's feed, for the events the driver makes itself (they keep their place among
/// the messages).
struct Ordered<P>(Feed<P>);

impl<P> Ordered<P> {
    async fn send(&self, event: Event) -> Result<(), payseal_mqtt::adapter::Stopped> {
        self.0.event(event).await
    }
}

async fn run<L: Link>(
    mut link: L,
    handles: Shared,
    events: Ordered<Received<L::Publish>>,
    waiting: &WaitingAcks<L::Publish>,
    connection: &AtomicU64,
) {
    let Shared {
        state: shared,
        outbox,
        subacks,
        refresh,
    } = handles;
    let _stop_refresh = StopOnDrop(Arc::clone(&refresh));
    // Acks go through the request queue the event loop drains while it is polled; awaiting a
    // full queue would deadlock, so acks that found it full wait in order until here.
    let mut connected_before = false;
    loop {
        if let Ok(mut acks) = waiting.lock() {
            let current = connection.load(Ordering::SeqCst);
            while let Some(received) = acks.front() {
                if received.connection == current && !link.try_ack(&received.publish) {
                    break;
                }
                acks.pop_front();
            }
        }
        let event = match link.poll().await {
            Ok(Polled::ConnAck {
                session_present,
                broker_max_packet_size,
            }) => {
                shared.set_broker_max_packet_size(broker_max_packet_size);
                if must_restore(connected_before, session_present) {
                    let filters = shared.subscriptions().all();
                    if !filters.is_empty() {
                        subacks.queued_first(filters.iter().map(|(f, _)| f.clone()).collect());
                        link.restore_subscriptions(&filters);
                    }
                }
                if !session_present {
                    // The broker and rumqttc forgot every transmission: send what is
                    // unconfirmed again, with the same envelopes (receivers see duplicates at
                    // most, never second messages).
                    let again = outbox.take_for_resend();
                    if !again.is_empty() {
                        tracing::debug!(count = again.len(), "resending unconfirmed publishes");
                        link.resend(again);
                    }
                }
                // Then what the application had queued and was never written, in its order.
                link.requeue_held();
                connected_before = true;
                if refresh.connected() {
                    // The reconnect of a will refresh: the application saw no disconnect.
                    tracing::debug!(session_present, "will refreshed");
                    continue;
                }
                Event::Connected { session_present }
            }
            Ok(Polled::Publish(publish)) => {
                // Raw to the pipeline (waiting while it is full: backpressure, not loss).
                let received = Received {
                    publish,
                    connection: connection.load(Ordering::SeqCst),
                };
                if events.0.publish(received).await.is_err() {
                    return;
                }
                continue;
            }
            Ok(
                polled @ (Polled::Written(_)
                | Polled::Acknowledged { .. }
                | Polled::SubscribeWritten(_)
                | Polled::SubAck { .. }),
            ) => {
                if !settle(polled, &shared, &outbox, &subacks, &events).await {
                    return;
                }
                continue;
            }
            Ok(Polled::Other) => continue,
            Err(error) => {
                if shared.is_closing() {
                    return;
                }
                // From here on no ack of the lost connection is queued (see `deliver`); those
                // queued before are dropped.
                {
                    let mut acks = waiting.lock().unwrap_or_else(PoisonError::into_inner);
                    connection.fetch_add(1, Ordering::SeqCst);
                    acks.clear();
                }
                link.drop_stale_acks();
                // Acks and writes rumqttc read before the failure but had not returned yet
                // belong to the lost connection: settle them before the next CONNACK.
                for polled in link.take_stale() {
                    if !settle(polled, &shared, &outbox, &subacks, &events).await {
                        return;
                    }
                }
                subacks.connection_lost();
                link.hold_unwritten();
                if refresh.connection_ended() {
                    // Our own clean DISCONNECT of a will refresh (the broker dropped the old
                    // will unpublished): reconnect at once with a freshly sealed will.
                    link.reseal_will(&shared);
                    continue;
                }
                let final_error = L::is_final(&error);
                let disconnected = Event::Disconnected {
                    error: L::connection_error(error),
                };
                if events.send(disconnected).await.is_err() || final_error {
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

/// Books a write or an acknowledgement: the outbox for publishes, the SUBACK tracker for
/// subscriptions (a refused filter is forgotten and reported). False if the application
/// dropped the event stream.
async fn settle<P, Q>(
    polled: Polled<P>,
    shared: &ClientState,
    outbox: &Outbox,
    subacks: &SubAcks,
    events: &Ordered<Q>,
) -> bool {
    match polled {
        Polled::Written(pkid) => outbox.written(pkid),
        Polled::Acknowledged {
            kind,
            pkid,
            code,
            reason,
        } => outbox.acknowledged(kind, pkid, code, reason.as_deref()),
        Polled::SubscribeWritten(pkid) => subacks.written(pkid),
        Polled::SubAck { pkid, codes } => {
            for (filter, code) in subacks.acknowledged(pkid, &codes) {
                shared.subscriptions().remove(&filter);
                if events
                    .send(Event::SubscribeRefused { filter, code })
                    .await
                    .is_err()
                {
                    return false;
                }
            }
        }
        Polled::ConnAck { .. } | Polled::Publish(_) | Polled::Other => {}
    }
    true
}

/// Takes the bookkeeping items out of rumqttc's event buffer (for [`Link::take_stale`]), in
/// order and converted; every other event stays queued for the event loop.
pub(crate) fn take_bookkeeping<E: Clone, P>(
    events: &mut VecDeque<E>,
    convert: impl Fn(E) -> Polled<P>,
) -> Vec<Polled<P>> {
    let mut kept = VecDeque::new();
    let mut stale = Vec::new();
    for event in events.drain(..) {
        let polled = convert(event.clone());
        if is_bookkeeping(&polled) {
            stale.push(polled);
        } else {
            kept.push_back(event);
        }
    }
    *events = kept;
    stale
}

/// Whether a polled item is bookkeeping [`settle`] handles (kept out of the event loop's
/// buffer by [`Link::take_stale`]).
pub(crate) fn is_bookkeeping<P>(polled: &Polled<P>) -> bool {
    matches!(
        polled,
        Polled::Written(_)
            | Polled::Acknowledged { .. }
            | Polled::SubscribeWritten(_)
            | Polled::SubAck { .. }
    )
}

#[cfg(test)]
mod tests;
