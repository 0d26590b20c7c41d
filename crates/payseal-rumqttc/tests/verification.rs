//! Probes of the MQTT realities in the adapter issue, against a real Mosquitto per test:
//! a real DUP redelivery, a publisher retransmission that the broker re-forwards with DUP=0,
//! resubscription after a clean-session reconnect, and the exact packet-size boundary.
//!
//! A TCP relay between one client and the broker can swallow bytes in one direction and cut
//! the connection, so acknowledgements get lost the way they do on real networks.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use payseal::{Algorithm, Counter, Opener, Policy, Sealer, SigningKey, SystemClock, TrustStore};
use payseal_rumqttc::{Event, MqttOptions, PublishError, QoS, SecureClient, Security};
use payseal_testkit::Mosquitto;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, mpsc::Receiver};

const WAIT: Duration = Duration::from_secs(10);

fn sensor_key() -> SigningKey {
    SigningKey::from_secret_bytes(Algorithm::Ed25519, &[1; 32]).unwrap()
}

fn options(port: u16, id: &str) -> MqttOptions {
    let mut o = MqttOptions::new(id, "127.0.0.1", port);
    o.set_keep_alive(Duration::from_secs(5));
    o
}

fn opener() -> Opener<payseal::MemoryReplayStore, SystemClock> {
    let mut trust = TrustStore::new();
    trust
        .add_sender(sensor_key().verifying_key(), ["plant/#"])
        .unwrap();
    Opener::new(trust, Policy::default(), SystemClock)
}

fn sealer() -> Sealer<SigningKey, Counter, SystemClock> {
    Sealer::new(sensor_key(), Counter::from_unix_micros(), SystemClock)
}

/// A relay 127.0.0.1:port -> broker that can drop bytes in either direction and cut every
/// open connection; it accepts new connections (reconnects) until dropped.
struct Relay {
    port: u16,
    control: Arc<Control>,
    task: tokio::task::JoinHandle<()>,
}

#[derive(Default)]
struct Control {
    /// Drop bytes from the client to the broker.
    swallow_up: AtomicBool,
    /// Drop bytes from the broker to the client.
    swallow_down: AtomicBool,
    /// Set once a PUBACK (0x40 0x02) was among the swallowed bytes.
    swallowed_puback: AtomicBool,
    puback_seen: Notify,
    cut: Notify,
}

impl Relay {
    async fn start(broker_port: u16) -> Relay {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let control = Arc::new(Control::default());
        let c = Arc::clone(&control);
        let task = tokio::spawn(async move {
            loop {
                let Ok((inbound, _)) = listener.accept().await else {
                    return;
                };
                let outbound = TcpStream::connect(("127.0.0.1", broker_port))
                    .await
                    .unwrap();
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
        Relay {
            port,
            control,
            task,
        }
    }

    /// Cuts every open connection (both sockets closed, no MQTT DISCONNECT).
    fn cut(&self) {
        self.control.cut.notify_waiters();
    }

    async fn wait_swallowed_puback(&self) {
        let wait = async {
            loop {
                let seen = self.control.puback_seen.notified();
                if self.control.swallowed_puback.load(Ordering::SeqCst) {
                    return;
                }
                seen.await;
            }
        };
        tokio::time::timeout(WAIT, wait)
            .await
            .expect("a PUBACK was swallowed by the relay");
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.task.abort();
        self.cut();
    }
}

async fn pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    control: Arc<Control>,
    up: bool,
) {
    let mut buf = vec![0u8; 64 * 1024];
    let mut swallowed: Vec<u8> = Vec::new();
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        let flag = if up {
            &control.swallow_up
        } else {
            &control.swallow_down
        };
        if flag.load(Ordering::SeqCst) {
            swallowed.extend_from_slice(&buf[..n]);
            if swallowed.windows(2).any(|w| w == [0x40, 0x02]) {
                control.swallowed_puback.store(true, Ordering::SeqCst);
                control.puback_seen.notify_waiters();
            }
            continue;
        }
        if to.write_all(&buf[..n]).await.is_err() {
            return;
        }
    }
}

/// Every event until `pred` matches one (returned), or a panic after `WAIT`.
async fn until(
    events: &mut Receiver<Event>,
    seen: &mut Vec<String>,
    mut pred: impl FnMut(&Event) -> bool,
) -> Event {
    let deadline = Instant::now() + WAIT;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, events.recv()).await {
            Ok(Some(event)) => {
                seen.push(format!("{event:?}"));
                if pred(&event) {
                    return event;
                }
            }
            Ok(None) => panic!("event stream closed; events: {seen:#?}"),
            Err(_) => panic!("no matching event within {WAIT:?}; events: {seen:#?}"),
        }
    }
}

/// Subscribes and proves the subscription is active by publishing probes until one arrives
/// (an event, not a sleep).
async fn subscribed(
    sub: &SecureClient,
    sub_events: &mut Receiver<Event>,
    probe: &SecureClient,
    seen: &mut Vec<String>,
) {
    until(sub_events, seen, |e| matches!(e, Event::Connected { .. })).await;
    sub.subscribe("plant/#", QoS::AtLeastOnce).await.unwrap();
    wait_probe(sub_events, probe, seen).await;
}

async fn wait_probe(
    sub_events: &mut Receiver<Event>,
    probe: &SecureClient,
    seen: &mut Vec<String>,
) {
    let deadline = Instant::now() + WAIT;
    loop {
        probe
            .publish("plant/probe", QoS::AtMostOnce, false, b"probe")
            .await
            .unwrap();
        match tokio::time::timeout(Duration::from_millis(200), sub_events.recv()).await {
            Ok(Some(Event::Message(m))) if m.verified.topic() == "plant/probe" => return,
            Ok(Some(other)) => seen.push(format!("{other:?}")),
            Ok(None) => panic!("event stream closed"),
            Err(_) => {}
        }
        assert!(
            Instant::now() < deadline,
            "subscription never became active"
        );
    }
}

/// Drains what arrives within `quiet` and returns the messages and rejections among it.
async fn drain(events: &mut Receiver<Event>, quiet: Duration) -> Vec<String> {
    let mut out = Vec::new();
    while let Ok(Some(event)) = tokio::time::timeout(quiet, events.recv()).await {
        if matches!(
            event,
            Event::Message(_) | Event::Rejected { .. } | Event::Duplicate { .. }
        ) {
            out.push(format!("{event:?}"));
        }
    }
    out
}

/// The subscriber's PUBACK is lost and its connection drops; on reconnect (persistent
/// session) Mosquitto redelivers the message with DUP=1. The application must see it once,
/// and the redelivery as a duplicate, not as an alarm.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_dup_redelivery_after_a_lost_puback_is_a_duplicate() {
    let broker = Mosquitto::start().expect("mosquitto must start");
    let relay = Relay::start(broker.port()).await;
    let mut seen = Vec::new();

    let mut o = options(relay.port, "sub-persistent");
    o.set_clean_session(false);
    let (sub, mut sub_events) = SecureClient::connect(o, Security::new().opener(opener()));
    let (publ, mut pub_events) = SecureClient::connect(
        options(broker.port(), "pub"),
        Security::new().sealer(sealer()),
    );
    until(&mut pub_events, &mut seen, |e| {
        matches!(e, Event::Connected { .. })
    })
    .await;
    subscribed(&sub, &mut sub_events, &publ, &mut seen).await;

    relay.control.swallow_up.store(true, Ordering::SeqCst);
    publ.publish("plant/3/temp", QoS::AtLeastOnce, false, b"once")
        .await
        .unwrap();
    let first = until(
        &mut sub_events,
        &mut seen,
        |e| matches!(e, Event::Message(m) if m.verified.topic() == "plant/3/temp"),
    )
    .await;
    relay.wait_swallowed_puback().await;
    relay.cut();
    relay.control.swallow_up.store(false, Ordering::SeqCst);

    let Event::Message(first) = first else {
        unreachable!()
    };
    let again = until(&mut sub_events, &mut seen, |e| {
        matches!(
            e,
            Event::Message(_) | Event::Rejected { .. } | Event::Duplicate { .. }
        )
    })
    .await;
    assert!(
        matches!(&again, Event::Duplicate { seq, .. } if *seq == first.verified.seq()),
        "redelivery must be a duplicate, got {again:?}"
    );
    let rest = drain(&mut sub_events, Duration::from_millis(500)).await;
    assert!(rest.is_empty(), "nothing more: {rest:#?}");
    drop(broker);
}

/// The publisher's PUBACK is lost; it reconnects (persistent session) and retransmits. For
/// Mosquitto that is a new PUBLISH, forwarded to subscribers with DUP=0: ordinary QoS 1
/// at-least-once behaviour, which the subscriber must classify as a duplicate, not reject as
/// a replay attack.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publisher_retransmission_reforwarded_with_dup_0_is_a_duplicate() {
    let broker = Mosquitto::start().expect("mosquitto must start");
    let relay = Relay::start(broker.port()).await;
    let mut seen = Vec::new();

    let (sub, mut sub_events) = SecureClient::connect(
        options(broker.port(), "sub"),
        Security::new().opener(opener()),
    );
    let mut o = options(relay.port, "pub-persistent");
    o.set_clean_session(false);
    let (publ, mut pub_events) = SecureClient::connect(o, Security::new().sealer(sealer()));
    until(&mut pub_events, &mut seen, |e| {
        matches!(e, Event::Connected { .. })
    })
    .await;
    subscribed(&sub, &mut sub_events, &publ, &mut seen).await;

    relay.control.swallow_down.store(true, Ordering::SeqCst);
    publ.publish("plant/3/temp", QoS::AtLeastOnce, false, b"at least once")
        .await
        .unwrap();
    let first = until(
        &mut sub_events,
        &mut seen,
        |e| matches!(e, Event::Message(m) if m.verified.topic() == "plant/3/temp"),
    )
    .await;
    relay.wait_swallowed_puback().await;
    relay.cut();
    relay.control.swallow_down.store(false, Ordering::SeqCst);
    let Event::Message(first) = first else {
        unreachable!()
    };

    let again = until(&mut sub_events, &mut seen, |e| {
        matches!(
            e,
            Event::Message(_) | Event::Rejected { .. } | Event::Duplicate { .. }
        )
    })
    .await;
    assert!(
        matches!(&again, Event::Duplicate { seq, .. } if *seq == first.verified.seq()),
        "a QoS 1 retransmission is a duplicate, got {again:?}"
    );
    drop(broker);
}

/// After a broker restart (sessions lost), the adapter should restore its subscriptions by
/// itself: the application subscribed once and is never told to do it again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscriptions_survive_a_broker_restart_without_the_app_resubscribing() {
    let broker = Mosquitto::start().expect("mosquitto must start");
    let port = broker.port();
    let mut seen = Vec::new();
    let (sub, mut sub_events) =
        SecureClient::connect(options(port, "sub"), Security::new().opener(opener()));
    let (publ, mut pub_events) =
        SecureClient::connect(options(port, "pub"), Security::new().sealer(sealer()));
    until(&mut pub_events, &mut seen, |e| {
        matches!(e, Event::Connected { .. })
    })
    .await;
    subscribed(&sub, &mut sub_events, &publ, &mut seen).await;

    broker.kill();
    let _broker = Mosquitto::start_on(port, "").expect("mosquitto restarts on the same port");
    until(&mut sub_events, &mut seen, |e| {
        matches!(e, Event::Connected { .. })
    })
    .await;
    until(&mut pub_events, &mut seen, |e| {
        matches!(e, Event::Connected { .. })
    })
    .await;
    // No sub.subscribe(..) here.
    wait_probe(&mut sub_events, &publ, &mut seen).await;
}

/// A sealed publish whose MQTT packet is exactly the maximum packet size fits, and rumqttc
/// sends it; one byte more is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_packet_of_exactly_the_maximum_size_is_sent() {
    let topic = "plant/3/temp";
    let payload = vec![7u8; 1_000];
    // The exact size, measured with a sealer like the client's and rumqttc's own packet size.
    let mut probe_sealer = Sealer::new(sensor_key(), Counter::from_unix_micros(), SystemClock);
    let envelope = probe_sealer.seal(topic, &payload).unwrap();
    let mut packet = rumqttc::Publish::new(topic, rumqttc::QoS::AtLeastOnce, envelope);
    packet.pkid = 1;
    let exact = packet.size();

    let broker = Mosquitto::start_with(&format!("max_packet_size {exact}")).unwrap();
    let mut seen = Vec::new();
    let (sub, mut sub_events) = SecureClient::connect(
        options(broker.port(), "sub"),
        Security::new().opener(opener()),
    );
    let (publ, mut pub_events) = SecureClient::connect(
        options(broker.port(), "pub"),
        Security::new().sealer(sealer()).max_packet_size(exact),
    );
    until(&mut pub_events, &mut seen, |e| {
        matches!(e, Event::Connected { .. })
    })
    .await;
    subscribed(&sub, &mut sub_events, &publ, &mut seen).await;

    let bigger = vec![7u8; 1_001];
    let refused = publ.publish(topic, QoS::AtLeastOnce, false, &bigger).await;
    assert!(
        matches!(refused, Err(PublishError::TooLarge { .. })),
        "{refused:?}"
    );
    let sent = publ.publish(topic, QoS::AtLeastOnce, false, &payload).await;
    assert!(sent.is_ok(), "exactly {exact} bytes fits: {sent:?}");
    let m = until(
        &mut sub_events,
        &mut seen,
        |e| matches!(e, Event::Message(m) if m.verified.topic() == topic),
    )
    .await;
    let Event::Message(m) = m else { unreachable!() };
    assert_eq!(m.verified.payload(), &payload[..]);
}

/// MQTT 5: the broker announces its maximum packet size in CONNACK and rumqttc enforces it on
/// outgoing packets. A publish under the client's own limit but over the broker's must be
/// refused with the typed error, and the connection must stay up (rumqttc would otherwise fail
/// the connection, and retransmit the QoS 1 packet on every reconnect).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mqtt5_broker_max_packet_size_is_honoured_with_a_typed_error() {
    use payseal_rumqttc::SecureClientV5;
    let broker = Mosquitto::start_with("max_packet_size 2000").unwrap();
    let o = |id: &str| {
        let mut o = rumqttc::v5::MqttOptions::new(id, "127.0.0.1", broker.port());
        o.set_keep_alive(Duration::from_secs(5));
        o
    };
    let mut seen = Vec::new();
    let (sub, mut sub_events) =
        SecureClientV5::connect(o("sub5"), Security::new().opener(opener()));
    let (publ, mut pub_events) =
        SecureClientV5::connect(o("pub5"), Security::new().sealer(sealer()));
    until(&mut pub_events, &mut seen, |e| {
        matches!(e, Event::Connected { .. })
    })
    .await;
    until(&mut sub_events, &mut seen, |e| {
        matches!(e, Event::Connected { .. })
    })
    .await;
    sub.subscribe("plant/#", QoS::AtLeastOnce).await.unwrap();

    let refused = publ
        .publish("plant/3/temp", QoS::AtLeastOnce, false, &[0u8; 1_950])
        .await;
    assert!(
        matches!(refused, Err(PublishError::TooLarge { limit: 2000, .. })),
        "over the broker's 2000-byte limit: {refused:?}"
    );
    // The connection is fine: small messages keep flowing, and nothing is disconnected.
    let deadline = Instant::now() + WAIT;
    loop {
        publ.publish("plant/3/temp", QoS::AtMostOnce, false, b"small")
            .await
            .unwrap();
        match tokio::time::timeout(Duration::from_millis(200), sub_events.recv()).await {
            Ok(Some(Event::Message(m))) if m.verified.payload() == b"small" => break,
            Ok(Some(other)) => seen.push(format!("{other:?}")),
            Ok(None) => panic!("closed"),
            Err(_) => {}
        }
        assert!(Instant::now() < deadline, "no small message: {seen:#?}");
    }
    let disconnects = {
        let mut n = 0;
        while let Ok(e) = pub_events.try_recv() {
            if matches!(e, Event::Disconnected { .. }) {
                n += 1;
            }
        }
        n
    };
    assert_eq!(disconnects, 0, "the publisher's connection never dropped");
}
