//! A TCP relay between one MQTT client and a broker that loses packets the way networks do:
//! it can swallow the bytes of either direction, cut every open connection (no DISCONNECT,
//! so the broker publishes wills and keeps sessions), and record the client's packets so a
//! test can measure what went on the wire. It accepts new connections (reconnects) until
//! dropped.

use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;

use crate::mqtt::{Frame, take_frame};

/// The relay; stops (and cuts its connections) when dropped.
pub struct Relay {
    port: u16,
    control: Arc<Control>,
    task: tokio::task::JoinHandle<()>,
}

impl std::fmt::Debug for Relay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Relay")
            .field("port", &self.port)
            .finish_non_exhaustive()
    }
}

#[derive(Default)]
struct Control {
    /// Drop bytes from the client to the broker.
    swallow_up: AtomicBool,
    /// Drop bytes from the broker to the client.
    swallow_down: AtomicBool,
    /// Set once a PUBACK was among the swallowed packets.
    swallowed_puback: AtomicBool,
    puback_seen: Notify,
    cut: Notify,
    /// Every packet from the client, in order.
    sent: Mutex<Vec<Frame>>,
}

impl Relay {
    /// Listens on a free loopback port and relays every client to the broker on
    /// `broker_port`.
    ///
    /// # Errors
    /// If no port can be bound.
    pub async fn start(broker_port: u16) -> io::Result<Relay> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let port = listener.local_addr()?.port();
        let control = Arc::new(Control::default());
        let c = Arc::clone(&control);
        let task = tokio::spawn(async move {
            while let Ok((inbound, _)) = listener.accept().await {
                let Ok(outbound) = TcpStream::connect(("127.0.0.1", broker_port)).await else {
                    continue;
                };
                let c = Arc::clone(&c);
                tokio::spawn(async move {
                    let (ri, wi) = inbound.into_split();
                    let (ro, wo) = outbound.into_split();
                    let up = pump(ri, wo, Arc::clone(&c), true);
                    let down = pump(ro, wi, Arc::clone(&c), false);
                    tokio::select! {
                        _ = up => {}
                        _ = down => {}
                        _ = c.cut.notified() => {}
                    }
                });
            }
        });
        Ok(Relay {
            port,
            control,
            task,
        })
    }

    /// The port clients connect to instead of the broker's.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Drops (or, with `false`, relays again) what the client sends.
    pub fn swallow_up(&self, on: bool) {
        self.control.swallow_up.store(on, Ordering::SeqCst);
    }

    /// Drops (or, with `false`, relays again) what the broker sends.
    pub fn swallow_down(&self, on: bool) {
        self.control.swallow_down.store(on, Ordering::SeqCst);
    }

    /// Cuts every open connection (both sockets closed, no MQTT DISCONNECT).
    pub fn cut(&self) {
        self.control.cut.notify_waiters();
    }

    /// Waits until a swallowed packet was a PUBACK; false after `timeout`.
    pub async fn wait_swallowed_puback(&self, timeout: Duration) -> bool {
        let wait = async {
            loop {
                let seen = self.control.puback_seen.notified();
                if self.control.swallowed_puback.load(Ordering::SeqCst) {
                    return;
                }
                seen.await;
            }
        };
        tokio::time::timeout(timeout, wait).await.is_ok()
    }

    /// Every packet the client sent so far (swallowed ones included).
    pub fn sent(&self) -> Vec<Frame> {
        self.control
            .sent
            .lock()
            .map(|frames| frames.clone())
            .unwrap_or_default()
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.task.abort();
        self.cut();
    }
}

async fn pump(mut from: OwnedReadHalf, mut to: OwnedWriteHalf, control: Arc<Control>, up: bool) {
    let mut chunk = vec![0u8; 64 * 1024];
    let mut pending = Vec::new();
    loop {
        let n = match from.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        pending.extend_from_slice(chunk.get(..n).unwrap_or_default());
        while let Some(frame) = take_frame(&mut pending) {
            if up && let Ok(mut sent) = control.sent.lock() {
                sent.push(frame.clone());
            }
            let swallow = if up {
                &control.swallow_up
            } else {
                &control.swallow_down
            };
            if swallow.load(Ordering::SeqCst) {
                if frame.packet_type() == 4 {
                    control.swallowed_puback.store(true, Ordering::SeqCst);
                    control.puback_seen.notify_waiters();
                }
                continue;
            }
            if to.write_all(&frame.0).await.is_err() {
                return;
            }
        }
    }
}
