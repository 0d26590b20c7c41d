//! The async client for MQTT 5: the same contract as [`SecureClient`](crate::SecureClient),
//! over rumqttc's `v5` module. Sealed publishes carry a content type and a payload format
//! indicator, so other MQTT 5 tools can recognize envelopes.

use std::sync::Arc;

use payseal_mqtt::adapter::{ClientState, Framing};
use payseal_mqtt::{ConnectionErrorKind, Event, QoS, Security, Undelivered};
use rumqttc::Outgoing;
use rumqttc::v5::mqttbytes::v5::{
    Filter, LastWill, LastWillProperties, Packet, Publish, PublishProperties, Subscribe,
};
use rumqttc::v5::{AsyncClient, ConnectionError, EventLoop, MqttOptions, Request};
use tokio::sync::mpsc;

use crate::builder::{ClientBuilder, Queues};
use crate::client::DEFAULT_MAX_PACKET_SIZE;
use crate::driver::{self, Link, Polled, Shared};
use crate::error::Error;
use crate::handle::{Handle, NotQueued, Requests};
use crate::outbox::{AckKind, Outbox, Pending};
use crate::qos::IntoQoS;
use crate::qos::{from_v5 as qos4, to_v5 as qos5};
use crate::reasons;
use crate::refresh::WillRefresh;
use crate::subacks::SubAcks;

/// The MQTT 5 content type of a payseal envelope (a COSE_Sign1, RFC 9052 media type).
pub const CONTENT_TYPE: &str = payseal_mqtt::CONTENT_TYPE;

/// A payseal client over rumqttc's MQTT 5 client. See [`SecureClient`](crate::SecureClient)
/// for the behaviour, errors and cancel safety; only the protocol version differs.
#[derive(Clone)]
pub struct SecureClientV5 {
    handle: Handle<AsyncClient>,
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
    /// [`SecureClient::connect`](crate::SecureClient::connect): the same settings are
    /// overridden).
    ///
    /// # Panics
    /// Outside a Tokio runtime ([`builder`](Self::builder) returns an error instead).
    pub fn connect(options: MqttOptions, security: Security) -> (Self, mpsc::Receiver<Event>) {
        start(options, security, Queues::default())
    }

    /// A builder for the connection (see [`ClientBuilder`]).
    pub fn builder(options: MqttOptions, security: Security) -> ClientBuilder<MqttOptions> {
        ClientBuilder::new(options, security)
    }

    /// Seals `payload` for `topic` and publishes it with the envelope's content type (see
    /// [`SecureClient::publish`](crate::SecureClient::publish)).
    ///
    /// The packet must fit the configured maximum packet size and, once connected, the one
    /// the broker announced in CONNACK if that is smaller ([`Error::TooLarge`] names the
    /// limit in force).
    ///
    /// # Errors
    /// [`Error`]; nothing is sent then.
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
    /// queue has no room.
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
    /// far, or until `timeout` (see [`SecureClient::flush`](crate::SecureClient::flush)). A
    /// PUBACK or PUBREC with a reason code of 0x80 or more settles its message at once as
    /// refused.
    ///
    /// # Errors
    /// [`Undelivered`]: refused messages (code and escaped reason string) and unconfirmed ones.
    pub async fn flush(&self, timeout: std::time::Duration) -> Result<(), Undelivered> {
        self.handle.outbox.flush(timeout).await
    }

    /// Subscribes to `filter`; everything that arrives is verified before it is delivered.
    /// A refused subscription comes out as [`Event::SubscribeRefused`] (with the SUBACK
    /// reason code) and is forgotten.
    /// Restored by the adapter after a reconnect without session, as
    /// [`SecureClient::subscribe`](crate::SecureClient::subscribe).
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

    /// Disconnects cleanly (no will) and stops the event loop.
    ///
    /// # Errors
    /// [`Error::Closed`] if already closed.
    pub async fn disconnect(&self) -> Result<(), Error> {
        self.handle.disconnect().await
    }
}

impl ClientBuilder<MqttOptions> {
    /// Connects (see [`SecureClientV5::connect`]).
    ///
    /// # Errors
    /// [`Error::NoRuntime`] outside a Tokio runtime.
    pub fn connect(self) -> Result<(SecureClientV5, mpsc::Receiver<Event>), Error> {
        tokio::runtime::Handle::try_current().map_err(|_| Error::NoRuntime)?;
        let (options, security, queues) = self.into_parts();
        Ok(start(options, security, queues))
    }
}

fn start(
    mut options: MqttOptions,
    security: Security,
    queues: Queues,
) -> (SecureClientV5, mpsc::Receiver<Event>) {
    options.set_manual_acks(true);
    let shared = ClientState::new(security, DEFAULT_MAX_PACKET_SIZE);
    options.set_max_packet_size(u32::try_from(shared.max_packet_size()).ok());
    seal_will(&mut options, &shared);
    let (client, eventloop) = AsyncClient::new(options, queues.requests);
    let (tx, rx) = mpsc::channel(queues.events);
    let link = V5Link {
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
    (SecureClientV5 { handle }, rx)
}

impl Requests for AsyncClient {
    const FRAMING: Framing = Framing::V5 {
        content_type: CONTENT_TYPE,
    };

    async fn publish(
        &self,
        topic: String,
        qos: QoS,
        retain: bool,
        envelope: Vec<u8>,
    ) -> Result<(), Error> {
        let sent = self.publish_with_properties(topic, qos5(qos), retain, envelope, properties());
        Ok(sent.await?)
    }

    fn try_publish(
        &self,
        topic: String,
        qos: QoS,
        retain: bool,
        envelope: Vec<u8>,
    ) -> Result<(), NotQueued> {
        self.try_publish_with_properties(topic, qos5(qos), retain, envelope, properties())
            .map_err(not_queued)
    }

    async fn subscribe(&self, filter: String, qos: QoS) -> Result<(), Error> {
        Ok(AsyncClient::subscribe(self, filter, qos5(qos)).await?)
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
fn not_queued(error: rumqttc::v5::ClientError) -> NotQueued {
    match error {
        rumqttc::v5::ClientError::TryRequest(rumqttc::v5::Request::Publish(publish)) => {
            NotQueued::Full(publish.payload.into())
        }
        other => NotQueued::Failed(Error::ClientV5(Box::new(other))),
    }
}

impl std::fmt::Debug for SecureClientV5 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecureClientV5")
            .field("max_packet_size", &self.handle.state.max_packet_size())
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
    /// Requests held across a reconnect (see `Link::hold_unwritten`).
    held: Vec<Request>,
}

impl Link for V5Link {
    type Publish = rumqttc::v5::mqttbytes::v5::Publish;
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

    /// The topic bytes as received: rumqttc's MQTT 5 client does not check them, and the
    /// shared classification refuses anything but valid UTF-8 (never repairs it).
    fn inspect(publish: &Self::Publish) -> (&[u8], &[u8], bool, QoS) {
        (
            &publish.topic,
            &publish.payload,
            publish.retain,
            qos4(publish.qos),
        )
    }

    fn connection_error(error: Self::Error) -> payseal_mqtt::ConnectionError {
        let kind = match &error {
            ConnectionError::Io(_) => ConnectionErrorKind::Io,
            ConnectionError::Timeout(_) => ConnectionErrorKind::Timeout,
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
        seal_will(&mut self.eventloop.options, state);
    }

    /// See the MQTT 3.1.1 link: the SUBSCRIBE goes into the event loop's own pending queue.
    fn restore_subscriptions(&mut self, filters: &[(String, QoS)]) {
        let filters: Vec<Filter> = filters
            .iter()
            .map(|(filter, qos)| Filter::new(filter.clone(), qos5(*qos)))
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

    fn drop_stale_acks(&mut self) {
        // rumqttc's `clean` moves the request channel into `pending` (dropping PUBACKs); it
        // ran at the error, and runs again for acks queued since. PUBRECs go too.
        self.eventloop.clean();
        self.eventloop
            .pending
            .retain(|r| !matches!(r, Request::PubAck(_) | Request::PubRec(_)));
    }

    fn hold_unwritten(&mut self) {
        let (ours, held): (Vec<_>, Vec<_>) = self.eventloop.pending.drain(..).partition(|r| {
            matches!(r, Request::Publish(p) if p.pkid != 0) || matches!(r, Request::PubRel(_))
        });
        self.eventloop.pending.extend(ours);
        self.held.extend(held);
    }

    fn requeue_held(&mut self) {
        self.eventloop.pending.extend(self.held.drain(..));
    }

    fn resend(&mut self, messages: Vec<Pending>) {
        for message in messages {
            let mut publish = Publish::new(
                message.topic,
                qos5(message.qos),
                message.envelope,
                Some(properties()),
            );
            publish.retain = message.retain;
            self.eventloop.pending.push_back(Request::Publish(publish));
        }
    }
}

/// One event of rumqttc's event loop as the driver sees it.
fn convert(event: rumqttc::v5::Event) -> Polled<Publish> {
    match event {
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
        rumqttc::v5::Event::Incoming(Packet::PubAck(ack)) => Polled::Acknowledged {
            kind: AckKind::PubAck,
            pkid: ack.pkid,
            code: reasons::puback(&ack.reason),
            reason: ack.properties.and_then(|p| p.reason_string),
        },
        rumqttc::v5::Event::Incoming(Packet::PubRec(ack)) => Polled::Acknowledged {
            kind: AckKind::PubRec,
            pkid: ack.pkid,
            code: reasons::pubrec(&ack.reason),
            reason: ack.properties.and_then(|p| p.reason_string),
        },
        rumqttc::v5::Event::Incoming(Packet::PubComp(ack)) => Polled::Acknowledged {
            kind: AckKind::PubComp,
            pkid: ack.pkid,
            code: reasons::pubcomp(&ack.reason),
            reason: ack.properties.and_then(|p| p.reason_string),
        },
        rumqttc::v5::Event::Incoming(Packet::SubAck(ack)) => Polled::SubAck {
            pkid: ack.pkid,
            codes: ack.return_codes.iter().map(reasons::suback).collect(),
        },
        rumqttc::v5::Event::Outgoing(Outgoing::Publish(pkid)) => Polled::Written(pkid),
        rumqttc::v5::Event::Outgoing(Outgoing::Subscribe(pkid)) => Polled::SubscribeWritten(pkid),
        _ => Polled::Other,
    }
}
