//! The async client for MQTT 3.1.1: publish sealed, receive verified.

use std::sync::Arc;

use payseal_mqtt::adapter::{ClientState, Framing};
use payseal_mqtt::{ConnectionErrorKind, Event, QoS, Security, Undelivered};
use rumqttc::{AsyncClient, ConnectionError, EventLoop, LastWill, MqttOptions, Outgoing, Packet};
use tokio::sync::mpsc;

use crate::builder::{ClientBuilder, Queues};
use crate::driver::{self, Link, Polled, Shared};
use crate::error::Error;
use crate::handle::{Handle, NotQueued, Requests};
use crate::outbox::{AckKind, Outbox, Pending};
use crate::qos::IntoQoS;
use crate::qos::{from_v4, to_v4};
use crate::refresh::WillRefresh;
use crate::subacks::SubAcks;

/// rumqttc's default maximum packet size is 10 KiB; payseal's default envelope limit is
/// 256 KiB, so the adapter raises it to match (Mosquitto's own default limit is 256 MiB).
pub use payseal_mqtt::DEFAULT_MAX_PACKET_SIZE;

/// A payseal client over rumqttc (MQTT 3.1.1).
///
/// [`connect`](Self::connect) (or [`builder`](Self::builder)) starts a task that drives
/// rumqttc's event loop: the application never polls it, and receives only [`Event`]s.
/// Clone it to publish from several tasks.
///
/// Every method returns the crate's one [`Error`] type. Cancel safety: dropping the future
/// of `publish` or `subscribe` before it had its turn in the request queue does nothing;
/// after, the request is queued as if the call had completed (and `flush` accounts for it);
/// `unsubscribe` forgets the filter at once; a dropped `disconnect` still closes the client.
/// `flush` can be dropped at any point.
#[derive(Clone)]
pub struct SecureClient {
    handle: Handle<AsyncClient>,
}

impl SecureClient {
    /// Connects with `options` and `security`, and returns the client and its event stream,
    /// with the default queue sizes ([`builder`](Self::builder) sets them, and returns an
    /// error instead of panicking outside a Tokio runtime).
    ///
    /// What the adapter sets in `options`, whatever they said: manual acks on (every
    /// received message is acknowledged once it is classified, so refused messages are not
    /// redelivered forever), the maximum packet size, both ways, to
    /// [`Security::max_packet_size`] (default [`DEFAULT_MAX_PACKET_SIZE`]; rumqttc's own
    /// default of 10 KiB is too small for sealed payloads), and the last will to the sealed
    /// [`Security::will`] if one is set. It returns at once: the connection is made by the
    /// event loop, which reports [`Event::Connected`] or [`Event::Disconnected`].
    ///
    /// Keep the event receiver alive for as long as the client is used: dropping it ends the
    /// event loop (and with it the connection), even for a client that only publishes.
    ///
    /// # Panics
    /// Outside a Tokio runtime.
    pub fn connect(options: MqttOptions, security: Security) -> (Self, mpsc::Receiver<Event>) {
        start(options, security, Queues::default())
    }

    /// A builder for the connection: queue sizes, and a `Result` instead of a panic outside
    /// a Tokio runtime.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), payseal_rumqttc::Error> {
    /// use payseal_rumqttc::{MqttOptions, SecureClient, Security};
    /// let (client, events) = SecureClient::builder(MqttOptions::new("sensor-7", "localhost", 1883), Security::new())
    ///     .request_queue(16)
    ///     .connect()?;
    /// # drop((client, events)); Ok(()) }
    /// ```
    pub fn builder(options: MqttOptions, security: Security) -> ClientBuilder<MqttOptions> {
        ClientBuilder::new(options, security)
    }

    /// Seals `payload` for `topic` and publishes it: the arguments of rumqttc's own
    /// `publish`. Sealing happens here, in the caller's task, not on the event loop; the
    /// sealer is held only to number the envelope, so tasks publishing through clones of one
    /// client sign in parallel (on a multi-threaded runtime, on every core). It
    /// returns once the message is queued (waiting while the request queue is full); what the
    /// broker made of a QoS 1 or 2 message (confirmed, refused, unconfirmed) is
    /// [`flush`](Self::flush)'s answer. An unconfirmed message is sent again, with the same
    /// envelope, after a reconnect that lost the session.
    ///
    /// # Errors
    /// [`Error`] (`NoSealer`, `Seal`, `TooLarge`, `Closed`); nothing is sent then.
    pub async fn publish(
        &self,
        topic: impl Into<String>,
        qos: impl IntoQoS,
        retain: bool,
        payload: impl AsRef<[u8]>,
    ) -> Result<(), Error> {
        let payload = payload.as_ref();
        self.handle
            .publish(topic.into(), qos.into_qos(), retain, payload)
            .await
    }

    /// As [`publish`](Self::publish), without waiting: [`Error::QueueFull`] if the request
    /// queue has no room (nothing was sealed or queued then).
    ///
    /// # Errors
    /// [`Error`]; nothing is sent then.
    pub fn try_publish(
        &self,
        topic: impl Into<String>,
        qos: impl IntoQoS,
        retain: bool,
        payload: impl AsRef<[u8]>,
    ) -> Result<(), Error> {
        self.handle
            .try_publish(topic.into(), qos.into_qos(), retain, payload.as_ref())
    }

    /// Waits until the broker has confirmed or refused every QoS 1 and 2 message published so
    /// far (PUBACK, or PUBCOMP for QoS 2), or until `timeout`. A refusal settles a message at
    /// once. Call it before [`disconnect`](Self::disconnect) when the process is about to
    /// exit: a QoS 2 message is only passed on by the broker once its handshake is complete.
    ///
    /// # Errors
    /// [`Undelivered`]: the messages refused since the last `flush` (MQTT 5 reason code of
    /// 0x80 or more; MQTT 3.1.1 cannot refuse), and those still unconfirmed at `timeout`.
    pub async fn flush(&self, timeout: std::time::Duration) -> Result<(), Undelivered> {
        self.handle.outbox.flush(timeout).await
    }

    /// Subscribes to `filter`. Everything that arrives is verified before it is delivered.
    /// It returns once the SUBSCRIBE is queued; on one connection the broker handles it
    /// before any later publish of this client. A subscription the broker refuses (SUBACK
    /// failure) comes out as [`Event::SubscribeRefused`] and is forgotten.
    ///
    /// The adapter remembers the subscription and restores it by itself when a reconnect
    /// finds no session at the broker (clean session, or a broker that lost its state).
    ///
    /// # Errors
    /// [`Error::Closed`] if the client is closed.
    pub async fn subscribe(
        &self,
        filter: impl Into<String>,
        qos: impl IntoQoS,
    ) -> Result<(), Error> {
        self.handle.subscribe(filter.into(), qos.into_qos()).await
    }

    /// Unsubscribes from `filter`: nothing on it is delivered from now on.
    ///
    /// # Errors
    /// [`Error::Closed`] if the client is closed.
    pub async fn unsubscribe(&self, filter: impl Into<String>) -> Result<(), Error> {
        self.handle.unsubscribe(filter.into()).await
    }

    /// Disconnects cleanly (the broker does not publish the will) and stops the event loop.
    /// Every later call returns [`Error::Closed`].
    ///
    /// # Errors
    /// [`Error::Closed`] if the client is already closed.
    pub async fn disconnect(&self) -> Result<(), Error> {
        self.handle.disconnect().await
    }
}

impl ClientBuilder<MqttOptions> {
    /// Connects (see [`SecureClient::connect`] for what is set in the options).
    ///
    /// # Errors
    /// [`Error::NoRuntime`] outside a Tokio runtime.
    pub fn connect(self) -> Result<(SecureClient, mpsc::Receiver<Event>), Error> {
        tokio::runtime::Handle::try_current().map_err(|_| Error::NoRuntime)?;
        let (options, security, queues) = self.into_parts();
        Ok(start(options, security, queues))
    }
}

fn start(
    mut options: MqttOptions,
    security: Security,
    queues: Queues,
) -> (SecureClient, mpsc::Receiver<Event>) {
    options.set_manual_acks(true);
    let shared = ClientState::new(security, DEFAULT_MAX_PACKET_SIZE);
    let max_packet_size = shared.max_packet_size();
    options.set_max_packet_size(max_packet_size, max_packet_size);
    seal_will(&mut options, &shared);
    let (client, eventloop) = AsyncClient::new(options, queues.requests);
    let (tx, rx) = mpsc::channel(queues.events);
    let link = V4Link {
        eventloop,
        client: client.clone(),
        held: Vec::new(),
    };
    let outbox = Arc::new(Outbox::default());
    let subacks = Arc::new(SubAcks::default());
    let refresher = client.clone();
    let refresh = WillRefresh::start(&shared, move || refresher.try_disconnect().is_ok());
    let handles = Shared {
        state: Arc::clone(&shared),
        outbox: Arc::clone(&outbox),
        subacks: Arc::clone(&subacks),
        refresh,
    };
    tokio::spawn(driver::drive(link, handles, tx));
    let handle = Handle {
        requests: client,
        state: shared,
        outbox,
        subacks,
    };
    (SecureClient { handle }, rx)
}

impl Requests for AsyncClient {
    const FRAMING: Framing = Framing::V311;

    async fn publish(
        &self,
        topic: String,
        qos: QoS,
        retain: bool,
        envelope: Vec<u8>,
    ) -> Result<(), Error> {
        Ok(AsyncClient::publish(self, topic, to_v4(qos), retain, envelope).await?)
    }

    fn try_publish(
        &self,
        topic: String,
        qos: QoS,
        retain: bool,
        envelope: Vec<u8>,
    ) -> Result<(), NotQueued> {
        AsyncClient::try_publish(self, topic, to_v4(qos), retain, envelope).map_err(not_queued)
    }

    async fn subscribe(&self, filter: String, qos: QoS) -> Result<(), Error> {
        Ok(AsyncClient::subscribe(self, filter, to_v4(qos)).await?)
    }

    async fn unsubscribe(&self, filter: String) -> Result<(), Error> {
        Ok(AsyncClient::unsubscribe(self, filter).await?)
    }

    async fn disconnect(&self) -> Result<(), Error> {
        Ok(AsyncClient::disconnect(self).await?)
    }
}

/// Why a `try_publish` queued nothing: the envelope back when rumqttc returned the request
/// (no room, or the event loop is gone), else its error.
fn not_queued(error: rumqttc::ClientError) -> NotQueued {
    match error {
        rumqttc::ClientError::TryRequest(rumqttc::Request::Publish(publish)) => {
            NotQueued::Full(publish.payload.into())
        }
        other => NotQueued::Failed(Error::Client(Box::new(other))),
    }
}

impl std::fmt::Debug for SecureClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print rumqttc's options: their Debug shows credentials.
        f.debug_struct("SecureClient")
            .field("max_packet_size", &self.handle.state.max_packet_size())
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
    /// Requests held across a reconnect (see `Link::hold_unwritten`).
    held: Vec<rumqttc::Request>,
}

impl Link for V4Link {
    type Publish = rumqttc::Publish;
    type Error = ConnectionError;

    async fn poll(&mut self) -> Result<Polled<Self::Publish>, Self::Error> {
        Ok(convert(self.eventloop.poll().await?))
    }

    fn take_stale(&mut self) -> Vec<Polled<Self::Publish>> {
        driver::take_bookkeeping(&mut self.eventloop.state.events, convert)
    }

    fn try_ack(&self, publish: &Self::Publish) -> bool {
        self.client.try_ack(publish).is_ok()
    }

    fn acker(&self) -> driver::Acker<Self::Publish> {
        let client = self.client.clone();
        Box::new(move |publish| client.try_ack(publish).is_ok())
    }

    fn inspect(publish: &Self::Publish) -> (&[u8], &[u8], bool, QoS) {
        (
            publish.topic.as_bytes(),
            &publish.payload,
            publish.retain,
            from_v4(publish.qos),
        )
    }

    fn connection_error(error: Self::Error) -> payseal_mqtt::ConnectionError {
        let kind = match &error {
            ConnectionError::Io(_) => ConnectionErrorKind::Io,
            ConnectionError::NetworkTimeout | ConnectionError::FlushTimeout => {
                ConnectionErrorKind::Timeout
            }
            ConnectionError::ConnectionRefused(_) => ConnectionErrorKind::Refused,
            ConnectionError::MqttState(_) | ConnectionError::NotConnAck(_) => {
                ConnectionErrorKind::Protocol
            }
            _ => ConnectionErrorKind::Other,
        };
        payseal_mqtt::ConnectionError::new(kind, error)
    }

    fn is_final(error: &Self::Error) -> bool {
        matches!(error, ConnectionError::RequestsDone)
    }

    fn reseal_will(&mut self, state: &ClientState) {
        seal_will(&mut self.eventloop.mqtt_options, state);
    }

    /// Goes into the event loop's own pending queue, which the driver task owns: awaiting the
    /// request channel from the task that drains it could deadlock.
    fn restore_subscriptions(&mut self, filters: &[(String, QoS)]) {
        let filters: Vec<rumqttc::SubscribeFilter> = filters
            .iter()
            .map(|(filter, qos)| rumqttc::SubscribeFilter::new(filter.clone(), to_v4(*qos)))
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

    fn drop_stale_acks(&mut self) {
        // rumqttc's `clean` moves the request channel into `pending` (dropping PUBACKs); it
        // ran at the error, and runs again for acks queued since. PUBRECs go too.
        self.eventloop.clean();
        self.eventloop
            .pending
            .retain(|r| !matches!(r, rumqttc::Request::PubAck(_) | rumqttc::Request::PubRec(_)));
    }

    fn hold_unwritten(&mut self) {
        let (ours, held): (Vec<_>, Vec<_>) = self.eventloop.pending.drain(..).partition(|r| {
            matches!(r, rumqttc::Request::Publish(p) if p.pkid != 0)
                || matches!(r, rumqttc::Request::PubRel(_))
        });
        self.eventloop.pending.extend(ours);
        self.held.extend(held);
    }

    fn requeue_held(&mut self) {
        self.eventloop.pending.extend(self.held.drain(..));
    }

    fn resend(&mut self, messages: Vec<Pending>) {
        for message in messages {
            let mut publish =
                rumqttc::Publish::new(message.topic, to_v4(message.qos), message.envelope);
            publish.retain = message.retain;
            self.eventloop
                .pending
                .push_back(rumqttc::Request::Publish(publish));
        }
    }
}

/// An MQTT 3.1.1 acknowledgement (no reason codes).
fn acked<P>(kind: AckKind, pkid: u16) -> Polled<P> {
    Polled::Acknowledged {
        kind,
        pkid,
        code: 0,
        reason: None,
    }
}

/// One event of rumqttc's event loop as the driver sees it.
fn convert(event: rumqttc::Event) -> Polled<rumqttc::Publish> {
    match event {
        rumqttc::Event::Incoming(Packet::ConnAck(ack)) => Polled::ConnAck {
            session_present: ack.session_present,
            broker_max_packet_size: 0,
        },
        rumqttc::Event::Incoming(Packet::Publish(publish)) => Polled::Publish(publish),
        rumqttc::Event::Incoming(Packet::PubAck(ack)) => acked(AckKind::PubAck, ack.pkid),
        rumqttc::Event::Incoming(Packet::PubRec(ack)) => acked(AckKind::PubRec, ack.pkid),
        rumqttc::Event::Incoming(Packet::PubComp(ack)) => acked(AckKind::PubComp, ack.pkid),
        rumqttc::Event::Incoming(Packet::SubAck(ack)) => Polled::SubAck {
            pkid: ack.pkid,
            codes: ack
                .return_codes
                .iter()
                .map(|code| match code {
                    rumqttc::SubscribeReasonCode::Success(qos) => *qos as u8,
                    rumqttc::SubscribeReasonCode::Failure => 0x80,
                })
                .collect(),
        },
        rumqttc::Event::Outgoing(Outgoing::Publish(pkid)) => Polled::Written(pkid),
        rumqttc::Event::Outgoing(Outgoing::Subscribe(pkid)) => Polled::SubscribeWritten(pkid),
        _ => Polled::Other,
    }
}
