//! A malicious broker in the middle: a TCP proxy between one MQTT client and a real broker
//! that parses the broker-to-client stream and lets a test rewrite, drop, hold, duplicate or
//! inject PUBLISH packets, as a broker that has been taken over could.

use std::collections::HashSet;
use std::io;
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

use crate::mqtt::{Frame, Publish, puback_id, take_frame};

/// What the proxy does with one PUBLISH on its way to the client.
#[derive(Clone, Debug)]
pub enum Out {
    /// Pass it on with the broker's packet id (it may have been modified).
    Forward(Publish),
    /// Send an extra packet; for QoS 1 it gets a packet id of the proxy's own, and the
    /// client's PUBACK for it is swallowed so the real broker never sees it.
    Inject(Publish),
}

/// Something sent to the client outside the broker's stream.
enum Injection {
    /// A PUBLISH, as a tamper function's [`Out`].
    Out(Out),
    /// Bytes as they are: any frame, well-formed or not (a topic with a NUL, or not UTF-8).
    Raw(Vec<u8>),
    /// A PUBLISH header announcing `payload_len` payload bytes, then that many zero bytes,
    /// streamed in chunks (the proxy never holds the packet) until done or the client stops
    /// reading.
    Oversized { header: Vec<u8>, payload_len: usize },
}

/// The test's tampering logic, called for every PUBLISH from the broker.
pub type Tamper = Box<dyn FnMut(Publish) -> Vec<Out> + Send>;

/// The test's tampering with every other packet from the broker (CONNACK, PUBACK, PUBREC,
/// PUBCOMP, SUBACK, ...): the frames to pass on instead (none drops it, two duplicate it).
pub type AckTamper = Box<dyn FnMut(Frame) -> Vec<Frame> + Send>;

/// The proxy. Stops when dropped (its tasks end when the connections close).
pub struct Mitm {
    port: u16,
    inject: mpsc::UnboundedSender<Injection>,
    task: tokio::task::JoinHandle<()>,
}

impl std::fmt::Debug for Mitm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mitm")
            .field("port", &self.port)
            .finish_non_exhaustive()
    }
}

struct State {
    tamper: Mutex<Tamper>,
    acks: Mutex<Option<AckTamper>>,
    own_ids: Mutex<HashSet<u16>>,
    next_id: AtomicU16,
}

impl Mitm {
    /// Listens on a free loopback port and relays each client (one at a time) to the broker
    /// on `broker_port`, passing every broker-to-client PUBLISH through `tamper`.
    ///
    /// # Errors
    /// If no port can be bound.
    pub async fn start(broker_port: u16, tamper: Tamper) -> io::Result<Self> {
        Self::start_inner(broker_port, tamper, None).await
    }

    /// As [`start`](Self::start), and passes every other broker-to-client packet (acks,
    /// CONNACK, SUBACK, ...) through `acks`, which may rewrite, drop or duplicate it.
    ///
    /// # Errors
    /// If no port can be bound.
    pub async fn start_with_acks(
        broker_port: u16,
        tamper: Tamper,
        acks: AckTamper,
    ) -> io::Result<Self> {
        Self::start_inner(broker_port, tamper, Some(acks)).await
    }

    async fn start_inner(
        broker_port: u16,
        tamper: Tamper,
        acks: Option<AckTamper>,
    ) -> io::Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let port = listener.local_addr()?.port();
        let (inject, mut injections) = mpsc::unbounded_channel::<Injection>();
        let state = Arc::new(State {
            tamper: Mutex::new(tamper),
            acks: Mutex::new(acks),
            own_ids: Mutex::new(HashSet::new()),
            next_id: AtomicU16::new(40_000),
        });
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let Ok(broker) = TcpStream::connect(("127.0.0.1", broker_port)).await else {
                    continue;
                };
                relay(client, broker, Arc::clone(&state), &mut injections).await;
            }
        });
        Ok(Mitm { port, inject, task })
    }

    /// The port clients connect to instead of the broker's.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Sends `publish` to the connected client now.
    pub fn inject(&self, publish: Publish) {
        let _ = self.inject.send(Injection::Out(Out::Inject(publish)));
    }

    /// Sends `bytes` to the connected client now, as they are: frames no honest broker sends,
    /// such as a PUBLISH whose topic holds a NUL or bytes that are not UTF-8.
    pub fn inject_raw(&self, bytes: Vec<u8>) {
        let _ = self.inject.send(Injection::Raw(bytes));
    }

    /// Sends the connected client a QoS 0 PUBLISH on `topic` with `payload_len` zero bytes of
    /// payload (at most 256 MiB in all, MQTT's largest packet), streamed: the proxy writes
    /// the header, then the payload in 64 KiB chunks, and stops when the client closes the
    /// connection. The proxy's own memory stays small, so the client's is what a test measures.
    pub fn inject_oversized(&self, topic: &[u8], payload_len: usize) {
        let topic_len = u16::try_from(topic.len()).unwrap_or(u16::MAX);
        let mut header = vec![0x30];
        crate::mqtt::push_remaining_length(&mut header, 2 + topic.len() + payload_len);
        header.extend_from_slice(&topic_len.to_be_bytes());
        header.extend_from_slice(topic);
        let _ = self.inject.send(Injection::Oversized {
            header,
            payload_len,
        });
    }

    /// Sends raw bytes to the connected client now (any packet, well-formed or not: an MQTT 5
    /// PUBLISH, a topic that is not UTF-8, ...).
    pub fn inject_frame(&self, frame: Frame) {
        self.inject_raw(frame.0);
    }
}

impl Drop for Mitm {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn relay(
    client: TcpStream,
    broker: TcpStream,
    state: Arc<State>,
    injections: &mut mpsc::UnboundedReceiver<Injection>,
) {
    let (mut client_rx, mut client_tx) = client.into_split();
    let (mut broker_rx, mut broker_tx) = broker.into_split();
    // Client to broker: everything, except PUBACKs for packets the proxy invented.
    let upstream_state = Arc::clone(&state);
    let upstream = tokio::spawn(async move {
        let mut buf = Vec::new();
        let mut chunk = vec![0u8; 64 * 1024];
        while let Ok(n) = client_rx.read(&mut chunk).await {
            if n == 0 {
                break;
            }
            buf.extend_from_slice(chunk.get(..n).unwrap_or_default());
            while let Some(frame) = take_frame(&mut buf) {
                let own = puback_id(&frame).is_some_and(|id| {
                    upstream_state
                        .own_ids
                        .lock()
                        .is_ok_and(|mut ids| ids.remove(&id))
                });
                if !own && broker_tx.write_all(&frame.0).await.is_err() {
                    return;
                }
            }
        }
    });
    // Broker to client: through the tamper function; plus injections at any time.
    let mut buf = Vec::new();
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        tokio::select! {
            read = broker_rx.read(&mut chunk) => {
                let Ok(n) = read else { break };
                if n == 0 {
                    break;
                }
                buf.extend_from_slice(chunk.get(..n).unwrap_or_default());
                while let Some(frame) = take_frame(&mut buf) {
                    // Everything but PUBLISH passes through the ack tamper, if any.
                    let Some(publish) = Publish::parse(&frame) else {
                        let frames = match state.acks.lock() {
                            Ok(mut acks) => match acks.as_mut() {
                                Some(tamper) => tamper(frame),
                                None => vec![frame],
                            },
                            Err(_) => return,
                        };
                        for frame in frames {
                            if client_tx.write_all(&frame.0).await.is_err() {
                                upstream.abort();
                                return;
                            }
                        }
                        continue;
                    };
                    let outs = match state.tamper.lock() {
                        Ok(mut tamper) => tamper(publish),
                        Err(_) => return,
                    };
                    for out in outs {
                        if send(&mut client_tx, &state, out).await.is_err() {
                            upstream.abort();
                            return;
                        }
                    }
                }
            }
            Some(injection) = injections.recv() => {
                if inject(&mut client_tx, &state, injection).await.is_err() {
                    break;
                }
            }
        }
    }
    upstream.abort();
}

async fn inject(
    client: &mut tokio::net::tcp::OwnedWriteHalf,
    state: &State,
    injection: Injection,
) -> io::Result<()> {
    match injection {
        Injection::Out(out) => send(client, state, out).await,
        Injection::Raw(bytes) => client.write_all(&bytes).await,
        Injection::Oversized {
            header,
            payload_len,
        } => {
            client.write_all(&header).await?;
            let chunk = vec![0u8; 64 * 1024];
            let mut left = payload_len;
            while left > 0 {
                let n = left.min(chunk.len());
                client.write_all(chunk.get(..n).unwrap_or_default()).await?;
                left -= n;
            }
            Ok(())
        }
    }
}

async fn send(
    client: &mut tokio::net::tcp::OwnedWriteHalf,
    state: &State,
    out: Out,
) -> io::Result<()> {
    let frame = match out {
        Out::Forward(publish) => publish.frame(),
        Out::Inject(mut publish) => {
            if publish.qos > 0 {
                let id = state.next_id.fetch_add(1, Ordering::Relaxed);
                publish.pkid = Some(id);
                if let Ok(mut ids) = state.own_ids.lock() {
                    ids.insert(id);
                }
            }
            publish.frame()
        }
    };
    client.write_all(&frame.0).await
}
