//! The paho side: creating the client, its callbacks, and the messages and options it is
//! given. Everything paho-specific about building packets sits here.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use paho_mqtt::{
    AsyncClient, ConnectOptions, ConnectOptionsBuilder, CreateOptionsBuilder, MessageBuilder,
    Properties, PropertyCode,
};
use payseal::Rejection;
use payseal_mqtt::adapter::ClientState;
use payseal_mqtt::{CONTENT_TYPE, ConnectionError, ConnectionErrorKind, QoS};
use tokio::sync::mpsc;

use crate::guard::{self, Guard};
use crate::options::MqttOptions;

/// Session expiry (MQTT 5) for a client that asked for a persistent session.
const SESSION_EXPIRY_SECS: i32 = 86_400;

/// The MQTT version a client speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Version {
    V311,
    V5,
}

/// What paho's callbacks hand to the driver task.
#[derive(Debug)]
pub(crate) enum Incoming {
    /// A PUBLISH from the broker: topic, payload, retain flag, QoS.
    Publish {
        topic: String,
        payload: Vec<u8>,
        retain: bool,
        qos: QoS,
    },
    /// A PUBLISH refused in paho's callback, before its payload was copied (only reached
    /// when the guard is off: TLS and WebSocket brokers).
    Refused { topic: String, reason: Rejection },
    /// The connection dropped (or the broker disconnected us).
    Lost,
    /// The application disconnected.
    Closed,
}

/// The paho client, the channel its callbacks feed, and how many items wait in it.
pub(crate) struct Link {
    pub(crate) client: AsyncClient,
    pub(crate) version: Version,
    pub(crate) options: MqttOptions,
    pub(crate) tx: mpsc::UnboundedSender<Incoming>,
    pub(crate) backlog: Arc<AtomicUsize>,
    /// Between paho and a plain-TCP broker (`None` for TLS and WebSocket URIs).
    guard: Option<Guard>,
}

/// Creates the paho client and installs its callbacks.
///
/// Paho calls the message callback on its C receive thread while holding the library's global
/// lock, so blocking there would stall every paho client in the process (their publishes
/// included) and risk deadlocks; and paho's bounded `get_stream(Some(n))` drops messages when
/// full. The callbacks therefore only append to an unbounded channel and return: nothing is
/// dropped, and the driver task verifies and forwards at its own pace into the bounded event
/// queue, which applies back-pressure to the application. Paho acknowledges a PUBLISH when the
/// callback returns, i.e. once it is in the adapter's queue.
///
/// For a plain-TCP broker paho connects through the [`Guard`], which refuses packets above
/// `max_packet_size` and PUBLISH topics paho-mqtt would abort the process on, before paho
/// reads them.
pub(crate) fn create(
    options: MqttOptions,
    version: Version,
    max_packet_size: usize,
) -> Result<(Link, mpsc::UnboundedReceiver<Incoming>), paho_mqtt::Error> {
    let buffered = i32::try_from(options.max_in_flight.saturating_add(64)).unwrap_or(i32::MAX);
    let guard = match guard::plain_tcp_broker(&options.server_uri) {
        Some(broker) => {
            let guard =
                Guard::start(broker, max_packet_size, options.connect_timeout).map_err(|e| {
                    paho_mqtt::Error::GeneralString(format!("cannot start the guard: {e}"))
                })?;
            Some(guard)
        }
        None => {
            tracing::warn!(
                uri = options.server_uri.as_str(),
                "no guard for this broker URI: paho reads incoming packets of any size, and \
                 paho-mqtt aborts the process on a PUBLISH topic holding a NUL"
            );
            None
        }
    };
    let server_uri = guard
        .as_ref()
        .map_or(options.server_uri.as_str(), Guard::uri);
    let create = CreateOptionsBuilder::new()
        .server_uri(server_uri)
        .client_id(options.client_id.as_str())
        .mqtt_version(mqtt_version(version))
        // Publishes made while (re)connecting, including before the first connection, wait
        // in paho's buffer instead of failing; the adapter's in-flight window keeps them
        // below its limit, and a disconnected client refuses publishes itself.
        .send_while_disconnected(true)
        .allow_disconnected_send_at_anytime(true)
        .max_buffered_messages(buffered)
        .finalize();
    let client = AsyncClient::new(create)?;
    let (tx, rx) = mpsc::unbounded_channel();
    let backlog = Arc::new(AtomicUsize::new(0));
    let (msg_tx, msg_backlog) = (tx.clone(), Arc::clone(&backlog));
    client.set_message_callback(move |_, message| {
        // `None` is paho's signal that the connection was lost or the broker disconnected.
        let item = match message {
            Some(m) => incoming(&m, max_packet_size),
            None => Incoming::Lost,
        };
        if msg_tx.send(item).is_ok() {
            msg_backlog.fetch_add(1, Ordering::Relaxed);
        }
    });
    // Installs paho's connection-lost and disconnected handlers, which feed the message
    // callback a `None`.
    client.set_connection_lost_callback(|_| {});
    if version == Version::V5 {
        client.set_disconnected_callback(|_, _, _| {});
    }
    let link = Link {
        client,
        version,
        options,
        tx,
        backlog,
        guard,
    };
    Ok((link, rx))
}

/// One message from paho's callback, refused without copying its payload when it is larger
/// than `max_packet_size`. Behind the guard neither refusal can happen; they matter for TLS
/// and WebSocket brokers. `Message::topic` panics on a topic that is not UTF-8: paho-mqtt's
/// trampoline aborts on such topics before calling back when paho passes the topic's length,
/// but a message paho delivers from its queue comes without one and would reach the panic
/// here, caught as `invalid_topic`.
fn incoming(m: &paho_mqtt::Message, max_packet_size: usize) -> Incoming {
    let topic = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| m.topic().to_string()));
    let Ok(topic) = topic else {
        return Incoming::Refused {
            topic: String::new(),
            reason: Rejection::InvalidTopic,
        };
    };
    let actual = m.payload().len();
    if actual > max_packet_size {
        return Incoming::Refused {
            topic,
            reason: Rejection::TooLarge {
                what: "MQTT payload",
                limit: max_packet_size,
                actual,
            },
        };
    }
    Incoming::Publish {
        topic,
        payload: m.payload().to_vec(),
        retain: m.retained(),
        qos: from_paho(m.qos()),
    }
}

impl Link {
    /// What to tell the application about a lost connection: why the guard closed it, if it
    /// did.
    pub(crate) fn lost_reason(&self) -> ConnectionError {
        match self.guard.as_ref().and_then(Guard::take_refused) {
            Some(reason) => ConnectionError::message(
                ConnectionErrorKind::Protocol,
                format!("connection closed by the adapter: {reason}"),
            ),
            None => ConnectionError::message(ConnectionErrorKind::Io, "connection lost"),
        }
    }

    /// Connect options for the next attempt, with a freshly sealed will.
    pub(crate) fn connect_options(&self, state: &ClientState) -> ConnectOptions {
        let o = &self.options;
        let mut b = ConnectOptionsBuilder::with_mqtt_version(mqtt_version(self.version));
        b.keep_alive_interval(o.keep_alive)
            .connect_timeout(o.connect_timeout);
        if let Some((user, password)) = &o.credentials {
            b.user_name(user.as_str()).password(password.as_str());
        }
        #[cfg(feature = "ssl")]
        if let Some(ssl) = &o.ssl {
            b.ssl_options(ssl.clone());
        }
        match self.version {
            Version::V311 => {
                b.clean_session(o.clean_session);
            }
            Version::V5 => {
                b.clean_start(o.clean_session);
                let mut props = Properties::new();
                if !o.clean_session {
                    push(
                        &mut props,
                        PropertyCode::SessionExpiryInterval,
                        SESSION_EXPIRY_SECS,
                    );
                }
                // Tell the broker the largest packet this client accepts.
                let max = i32::try_from(state.max_packet_size()).unwrap_or(i32::MAX);
                push(&mut props, PropertyCode::MaximumPacketSize, max);
                b.properties(props);
            }
        }
        match state.seal_will() {
            Some(Ok(will)) => {
                b.will_message(self.message(&will.topic, will.envelope, will.qos, will.retain));
            }
            Some(Err(e)) => {
                tracing::warn!("cannot seal the last will, connecting without one: {e}");
            }
            None => {}
        }
        b.finalize()
    }

    /// A paho message carrying `envelope`, with the envelope properties under MQTT 5.
    pub(crate) fn message(
        &self,
        topic: &str,
        envelope: Vec<u8>,
        qos: QoS,
        retain: bool,
    ) -> paho_mqtt::Message {
        let mut b = MessageBuilder::new()
            .topic(topic)
            .payload(envelope)
            .qos(i32::from(qos as u8))
            .retained(retain);
        if self.version == Version::V5 {
            b = b.properties(envelope_properties());
        }
        b.finalize()
    }

    /// Signals the driver that the application disconnected.
    pub(crate) fn close(&self) {
        if self.tx.send(Incoming::Closed).is_ok() {
            self.backlog.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Connects once, waiting at most `timeout`.
    pub(crate) async fn connect(
        &self,
        state: &ClientState,
        timeout: Duration,
    ) -> Result<Connack, ConnectionError> {
        let token = self.client.connect(self.connect_options(state));
        let response = match tokio::time::timeout(timeout, token).await {
            Ok(Ok(response)) => response,
            Ok(Err(e)) => return Err(connection_error(&e)),
            Err(_) => {
                return Err(ConnectionError::message(
                    ConnectionErrorKind::Timeout,
                    format!("no CONNACK within {timeout:?}"),
                ));
            }
        };
        let session_present = response
            .connect_response()
            .is_some_and(|c| c.session_present);
        // A value above i32::MAX comes back negative: as good as no limit.
        let broker_max_packet_size = response
            .properties()
            .get_int(PropertyCode::MaximumPacketSize)
            .and_then(|n| usize::try_from(n).ok())
            .unwrap_or(0);
        Ok(Connack {
            session_present,
            broker_max_packet_size,
        })
    }
}

/// A failed connect, typed. Paho's error holds C-side properties that cannot be shared
/// between threads, so its message is kept (escaped: a broker's reason string may be in it).
fn connection_error(error: &paho_mqtt::Error) -> ConnectionError {
    use paho_mqtt::Error as E;
    let kind = match error {
        E::ConnectReturn(_) | E::ReasonCode(..) => ConnectionErrorKind::Refused,
        E::TcpConnectTimeout => ConnectionErrorKind::Timeout,
        E::TcpConnectCompletionFailure
        | E::TcpTlsConnectFailure
        | E::SocketError(_)
        | E::Io(_)
        | E::Disconnected
        | E::ReceivedDisconnect(_) => ConnectionErrorKind::Io,
        E::BadProtocol | E::BadStructure | E::WrongMqttVersion => ConnectionErrorKind::Protocol,
        _ => ConnectionErrorKind::Other,
    };
    ConnectionError::message(kind, payseal_mqtt::escape_text(&error.to_string()))
}

/// What a successful connect reported.
pub(crate) struct Connack {
    pub(crate) session_present: bool,
    pub(crate) broker_max_packet_size: usize,
}

/// Payload format indicator 0 (bytes) and the envelope content type.
fn envelope_properties() -> Properties {
    let mut props = Properties::new();
    push(&mut props, PropertyCode::PayloadFormatIndicator, 0);
    if let Err(e) = props.push_string(PropertyCode::ContentType, CONTENT_TYPE) {
        tracing::error!("paho refused the content type property: {e}");
    }
    props
}

fn push(props: &mut Properties, code: PropertyCode, value: i32) {
    if let Err(e) = props.push_int(code, value) {
        tracing::error!("paho refused property {code:?}: {e}");
    }
}

fn mqtt_version(version: Version) -> u32 {
    match version {
        Version::V311 => paho_mqtt::MQTT_VERSION_3_1_1,
        Version::V5 => paho_mqtt::MQTT_VERSION_5,
    }
}

pub(crate) fn from_paho(qos: paho_mqtt::QoS) -> QoS {
    match qos {
        paho_mqtt::QoS::AtMostOnce => QoS::AtMostOnce,
        paho_mqtt::QoS::AtLeastOnce => QoS::AtLeastOnce,
        paho_mqtt::QoS::ExactlyOnce => QoS::ExactlyOnce,
    }
}
