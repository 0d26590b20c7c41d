//! The guard between paho and a plain-TCP broker: checks every packet the broker sends before
//! paho sees a byte of it.
//!
//! Paho's C library reads each incoming packet whole, whatever its size: MQTT 3.1.1 has no way
//! to announce a limit, and paho does not enforce the MQTT 5 Maximum Packet Size it announces
//! in CONNECT. paho-mqtt then copies the payload into a `Vec` before any callback runs. And
//! paho-mqtt 0.14's message trampoline (`AsyncClient::on_message_arrived`, an `extern "C"`
//! function) unwraps the topic's conversions: a topic that is not UTF-8 panics in
//! `str::from_utf8`, one holding a NUL (valid UTF-8) in `CString::new` (both seen as SIGABRT in
//! the attack table before the guard). A panic cannot unwind out of an `extern "C"` function:
//! the process aborts, before any code of the adapter runs.
//!
//! So for `tcp://` and `mqtt://` brokers, paho connects to this guard, listening on a loopback
//! port of its own; the guard connects to the broker, passes paho's bytes on unchanged, and
//! reads the broker's stream packet by packet. It forwards a packet only if
//! - its size, fixed header included, is at most the adapter's maximum packet size, judged
//!   from the fixed header alone, before the rest is read; and
//! - for a PUBLISH, its topic is UTF-8 without a NUL (MQTT 3.1.1 §1.5.3, MQTT 5 §1.5.4: a
//!   malformed packet, after which the client closes the connection).
//!
//! Otherwise it closes the connection (paho reports it lost, the adapter says why in the
//! `Disconnected` event and reconnects), as rumqttc does for both. Memory stays bounded by one
//! packet of the maximum size. TLS and WebSocket URIs are not guarded (the guard would have to
//! terminate TLS); `spec/mqtt-adapters.md` §5 says what remains there.

use std::io;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// Wait after a failed `accept` (out of file descriptors, say) before trying again.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// Why the guard closed a connection.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum Refused {
    /// A packet larger than the maximum packet size.
    #[error("the broker sent a {actual}-byte packet, above the maximum packet size of {limit}")]
    TooLarge { limit: usize, actual: usize },
    /// A remaining length longer than four bytes.
    #[error("the broker sent a malformed remaining length")]
    MalformedLength,
    /// A PUBLISH whose topic is not UTF-8 or holds a NUL.
    #[error("the broker sent a PUBLISH whose topic is not valid UTF-8 or holds a NUL")]
    InvalidTopic,
    /// A PUBLISH too short to hold its topic.
    #[error("the broker sent a malformed PUBLISH")]
    MalformedPublish,
}

/// A running guard. Stops accepting when dropped; open relays end with their connections.
pub(crate) struct Guard {
    uri: String,
    refused: Arc<Mutex<Option<Refused>>>,
    task: JoinHandle<()>,
}

impl Guard {
    /// Listens on a free loopback port and relays each connection to `broker` (`host:port`),
    /// checking the broker's packets against `limit`. Must be called inside a Tokio runtime.
    pub(crate) fn start(
        broker: String,
        limit: usize,
        connect_timeout: Duration,
    ) -> io::Result<Self> {
        let listener = std::net::TcpListener::bind(("127.0.0.1", 0))?;
        listener.set_nonblocking(true)?;
        let uri = format!("tcp://{}", listener.local_addr()?);
        let listener = TcpListener::from_std(listener)?;
        let refused = Arc::new(Mutex::new(None));
        let task_refused = Arc::clone(&refused);
        let task = tokio::spawn(async move {
            loop {
                match listener.accept().await {
                    Ok((paho, _)) => {
                        let relay = relay(
                            paho,
                            broker.clone(),
                            limit,
                            connect_timeout,
                            Arc::clone(&task_refused),
                        );
                        tokio::spawn(relay);
                    }
                    Err(e) => {
                        tracing::warn!("guard: accept failed: {e}");
                        tokio::time::sleep(ACCEPT_BACKOFF).await;
                    }
                }
            }
        });
        Ok(Guard { uri, refused, task })
    }

    /// The URI paho connects to instead of the broker's.
    pub(crate) fn uri(&self) -> &str {
        &self.uri
    }

    /// Why the guard last closed a connection, if it did since the last call.
    pub(crate) fn take_refused(&self) -> Option<Refused> {
        self.refused.lock().ok().and_then(|mut r| r.take())
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The broker's `host:port` for a plain-TCP paho server URI (`tcp://`, `mqtt://`, or no
/// scheme; port 1883 when none is given); `None` for TLS and WebSocket URIs.
pub(crate) fn plain_tcp_broker(uri: &str) -> Option<String> {
    let rest = match uri.split_once("://") {
        Some((scheme, rest))
            if scheme.eq_ignore_ascii_case("tcp") || scheme.eq_ignore_ascii_case("mqtt") =>
        {
            rest
        }
        Some(_) => return None,
        None => uri,
    };
    let rest = rest.trim_end_matches('/');
    if rest.is_empty() || rest.contains('/') {
        return None;
    }
    let has_port = match rest.rsplit_once(']') {
        Some((_, after)) => after.starts_with(':'),
        None => rest.contains(':'),
    };
    Some(if has_port {
        rest.to_string()
    } else {
        format!("{rest}:1883")
    })
}

/// Relays one paho connection to the broker until either side closes or a packet is refused.
async fn relay(
    paho: TcpStream,
    broker: String,
    limit: usize,
    connect_timeout: Duration,
    refused: Arc<Mutex<Option<Refused>>>,
) {
    let upstream = match tokio::time::timeout(connect_timeout, TcpStream::connect(&broker)).await {
        Ok(Ok(upstream)) => upstream,
        // Dropping paho's connection fails its connect attempt; it says why it failed.
        Ok(Err(e)) => {
            tracing::debug!("guard: cannot connect to {broker}: {e}");
            return;
        }
        Err(_) => return,
    };
    let _ = paho.set_nodelay(true);
    let _ = upstream.set_nodelay(true);
    let (mut paho_rx, mut paho_tx) = paho.into_split();
    let (broker_rx, mut broker_tx) = upstream.into_split();
    tokio::select! {
        _ = tokio::io::copy(&mut paho_rx, &mut broker_tx) => {}
        result = forward_checked(BufReader::new(broker_rx), &mut paho_tx, limit) => {
            if let Err(reason) = result {
                tracing::warn!("closing the connection to the broker: {reason}");
                if let Ok(mut last) = refused.lock() {
                    *last = Some(reason);
                }
            }
        }
    }
    // Both sockets close here.
}

/// Forwards the broker's packets to paho, each once it passed the checks. `Ok` when the
/// broker or paho closed the connection, `Err` when a packet was refused.
async fn forward_checked<R, W>(mut from: R, to: &mut W, limit: usize) -> Result<(), Refused>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let mut packet = Vec::new();
    loop {
        packet.clear();
        let Ok(first) = from.read_u8().await else {
            return Ok(());
        };
        packet.push(first);
        let mut remaining: usize = 0;
        let mut shift = 0;
        loop {
            let Ok(byte) = from.read_u8().await else {
                return Ok(());
            };
            packet.push(byte);
            remaining |= usize::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                break;
            }
            shift += 7;
            if shift > 21 {
                return Err(Refused::MalformedLength);
            }
        }
        let header = packet.len();
        let actual = header + remaining;
        if actual > limit {
            return Err(Refused::TooLarge { limit, actual });
        }
        packet.resize(actual, 0);
        let Some(body) = packet.get_mut(header..) else {
            return Ok(());
        };
        if from.read_exact(body).await.is_err() {
            return Ok(());
        }
        if first >> 4 == PUBLISH {
            check_publish(packet.get(header..).unwrap_or_default())?;
        }
        if to.write_all(&packet).await.is_err() {
            return Ok(());
        }
    }
}

/// The PUBLISH control packet type.
const PUBLISH: u8 = 3;

/// Checks a PUBLISH's variable header: the topic must be UTF-8 without a NUL. (Its position is
/// the same in MQTT 3.1.1 and 5.)
fn check_publish(body: &[u8]) -> Result<(), Refused> {
    let (Some(&high), Some(&low)) = (body.first(), body.get(1)) else {
        return Err(Refused::MalformedPublish);
    };
    let len = usize::from(u16::from_be_bytes([high, low]));
    let topic = body.get(2..2 + len).ok_or(Refused::MalformedPublish)?;
    match std::str::from_utf8(topic) {
        Ok(topic) if !topic.contains('\0') => Ok(()),
        _ => Err(Refused::InvalidTopic),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn publish(topic: &[u8], payload_len: usize) -> Vec<u8> {
        payseal_testkit::mqtt::raw_publish(topic, &vec![0x42; payload_len])
    }

    async fn run(stream: Vec<u8>, limit: usize) -> (Result<(), Refused>, Vec<u8>) {
        let mut out = Vec::new();
        let result = forward_checked(&stream[..], &mut out, limit).await;
        (result, out)
    }

    #[tokio::test]
    async fn good_packets_pass_unchanged() {
        let stream = [
            publish(b"plant/1/temp", 300),
            vec![0x40, 2, 0, 7],
            vec![0xd0, 0],
        ]
        .concat();
        let (result, out) = run(stream.clone(), 1024).await;
        assert_eq!(result, Ok(()));
        assert_eq!(out, stream);
    }

    #[tokio::test]
    async fn hostile_topics_close_the_connection() {
        for topic in [&b"plant/1/\0temp"[..], b"plant/1/\xfftemp", b"\xc0\x80"] {
            let stream = [publish(b"ok", 1), publish(topic, 10)].concat();
            let (result, out) = run(stream, 1024).await;
            assert_eq!(result, Err(Refused::InvalidTopic), "{topic:?}");
            assert_eq!(out, publish(b"ok", 1), "only the good packet before it");
        }
        let (result, _) = run(vec![0x30, 1, 0], 1024).await;
        assert_eq!(result, Err(Refused::MalformedPublish));
    }

    #[tokio::test]
    async fn oversized_packets_are_refused_from_the_header() {
        // Exactly the limit passes; one byte more is refused before its body is read (the
        // stream holds only the header).
        let fits = publish(b"t", 100);
        let (result, _) = run(fits.clone(), fits.len()).await;
        assert_eq!(result, Ok(()));
        let header_only = vec![0x30, 0x80, 0x80, 0x80, 0x7f];
        let (result, out) = run(header_only, 262_144).await;
        assert_eq!(
            result,
            Err(Refused::TooLarge {
                limit: 262_144,
                actual: 5 + (0x7f << 21)
            })
        );
        assert!(out.is_empty());
        let (result, _) = run(vec![0x30, 0x80, 0x80, 0x80, 0x80, 0x01], 1024).await;
        assert_eq!(result, Err(Refused::MalformedLength));
    }

    #[test]
    fn only_plain_tcp_uris_are_guarded() {
        assert_eq!(
            plain_tcp_broker("tcp://127.0.0.1:1883").as_deref(),
            Some("127.0.0.1:1883")
        );
        assert_eq!(
            plain_tcp_broker("mqtt://broker.example").as_deref(),
            Some("broker.example:1883")
        );
        assert_eq!(
            plain_tcp_broker("tcp://[::1]:2883").as_deref(),
            Some("[::1]:2883")
        );
        assert_eq!(
            plain_tcp_broker("tcp://[::1]").as_deref(),
            Some("[::1]:1883")
        );
        assert_eq!(plain_tcp_broker("ssl://broker:8883"), None);
        assert_eq!(plain_tcp_broker("wss://broker/mqtt"), None);
        assert_eq!(plain_tcp_broker("tcp://"), None);
    }
}
