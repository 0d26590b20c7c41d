//! The async client for MQTT 3.1.1: publish sealed, receive verified.

use std::sync::Arc;

use payseal_mqtt::adapter::{ClientState, Framing};
use payseal_mqtt::{Event, QoS, Security, Undelivered};
use rumqttc::{AsyncClient, ConnectionError, EventLoop, LastWill, MqttOptions, Outgoing, Packet};
use tokio::sync::mpsc;

use crate::driver::{self, EVENT_QUEUE, Link, Polled, REQUEST_QUEUE, Shared};
use crate::error::PublishError;
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
/// `connect` starts a task that drives rumqttc's event loop: the application never polls it,
/// and receives only [`Event`]s. Clone it to publish from several tasks.
#[derive(Clone)]
pub struct SecureClient {
    client: AsyncClient,
    shared: Arc<ClientState>,
    outbox: Arc<Outbox>,
    subacks: Arc<SubAcks>,
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
        (
            SecureClient {
                client,
                shared,
                outbox,
                subacks,
            },
            rx,
        )
    }

    /// Seals `payload` for `topic` and publishes it. Sealing happens here, in the caller's
    /// task, not on the event loop. It returns once the message is queued; what the broker
    /// made of a QoS 1 or 2 message (confirmed, refused, unconfirmed) is
    /// [`flush`](Self::flush)'s answer. An unconfirmed message is sent again, with the same
    /// envelope, after a reconnect that lost the session.
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
        let _order = self.outbox.order.lock().await;
        let index = self.outbox.register(topic, qos, retain, &envelope);
        if let Err(e) = self
            .client
            .publish(topic, to_v4(qos), retain, envelope)
            .await
        {
            self.outbox.cancel(index);
            return Err(e.into());
        }
        Ok(())
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
        self.outbox.flush(timeout).await
    }

    /// Subscribes to `filter`. Everything that arrives is verified before it is delivered.
    /// A subscription the broker refuses (SUBACK failure) comes out as
    /// [`Event::SubscribeRefused`] and is forgotten.
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
        let _order = self.subacks.order.lock().await;
        self.subacks.queued(vec![filter.to_string()]);
        let sent = self.client.subscribe(filter, to_v4(qos)).await;
        if sent.is_err() {
            self.subacks.cancel_last();
        }
        sent
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

    fn inspect(publish: &Self::Publish) -> (&[u8], &[u8], bool, QoS) {
        (
            publish.topic.as_bytes(),
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
