//! The driver over a scripted [`Link`]: acks are only ever sent on the connection their
//! PUBLISH arrived on.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Mutex;
use std::sync::atomic::AtomicBool;

use payseal_mqtt::{ConnectionErrorKind, Security};
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};

use super::*;

#[derive(Debug)]
struct Lost;

impl std::fmt::Display for Lost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection lost")
    }
}

impl std::error::Error for Lost {}

/// A PUBLISH of the script: its packet id and QoS.
struct Scripted {
    pkid: u16,
    qos: QoS,
}

/// What the test sees of the link: the packet ids it acked, and whether the stale acks of a
/// lost connection were dropped.
#[derive(Clone, Default)]
struct Seen {
    acked: Arc<Mutex<Vec<u16>>>,
    dropped_stale: Arc<AtomicBool>,
}

struct ScriptedLink {
    script: UnboundedReceiver<Result<Polled<Scripted>, Lost>>,
    seen: Seen,
}

impl Link for ScriptedLink {
    type Publish = Scripted;
    type Error = Lost;

    fn connection_error(error: Lost) -> ConnectionError {
        ConnectionError::new(ConnectionErrorKind::Io, error)
    }

    async fn poll(&mut self) -> Result<Polled<Scripted>, Lost> {
        match self.script.recv().await {
            Some(polled) => polled,
            None => std::future::pending().await,
        }
    }

    fn try_ack(&self, publish: &Scripted) -> bool {
        self.seen.acked.lock().unwrap().push(publish.pkid);
        true
    }

    fn acker(&self) -> Acker<Scripted> {
        let acked = Arc::clone(&self.seen.acked);
        Box::new(move |publish| {
            acked.lock().unwrap().push(publish.pkid);
            true
        })
    }

    fn inspect(publish: &Scripted) -> Incoming<'_> {
        (b"plant/1/temp", b"not an envelope", false, publish.qos)
    }

    fn is_final(_: &Lost) -> bool {
        false
    }

    fn reseal_will(&mut self, _: &ClientState) {}
    fn restore_subscriptions(&mut self, _: &[(String, QoS)]) {}
    fn drop_stale_acks(&mut self) {
        self.seen.dropped_stale.store(true, Ordering::SeqCst);
    }
    fn take_stale(&mut self) -> Vec<Polled<Scripted>> {
        Vec::new()
    }
    fn hold_unwritten(&mut self) {}
    fn requeue_held(&mut self) {}
    fn resend(&mut self, _: Vec<crate::outbox::Pending>) {}
}

/// What the test feeds the driver's polls with.
type Script = UnboundedSender<Result<Polled<Scripted>, Lost>>;

fn start() -> (Script, mpsc::Receiver<Event>, Seen) {
    let (script_tx, script) = unbounded_channel();
    let seen = Seen::default();
    let link = ScriptedLink {
        script,
        seen: seen.clone(),
    };
    let state = ClientState::new(Security::new(), 1 << 20);
    let handles = Shared {
        refresh: WillRefresh::start(&state, || true),
        state,
        outbox: Arc::default(),
        subacks: Arc::default(),
    };
    // Room for one event: the delivery task waits on the application from the second on.
    let (events_tx, events) = mpsc::channel(1);
    tokio::spawn(drive(link, handles, events_tx));
    (script_tx, events, seen)
}

fn connack() -> Result<Polled<Scripted>, Lost> {
    Ok(Polled::ConnAck {
        session_present: false,
        broker_max_packet_size: 0,
    })
}

/// A QoS 1 PUBLISH with packet id `pkid`.
fn publish(pkid: u16) -> Result<Polled<Scripted>, Lost> {
    Ok(Polled::Publish(Scripted {
        pkid,
        qos: QoS::AtLeastOnce,
    }))
}

async fn next(events: &mut mpsc::Receiver<Event>) -> Event {
    tokio::time::timeout(Duration::from_secs(10), events.recv())
        .await
        .expect("an event within 10 s")
        .expect("the driver runs")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_publish_of_a_lost_connection_is_not_acked_on_the_next() {
    let (script, mut events, seen) = start();
    script.send(connack()).unwrap();
    // Packet id 7 on the first connection; its event waits behind `Connected`, unread.
    script.send(publish(7)).unwrap();
    script.send(Err(Lost)).unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !seen.dropped_stale.load(Ordering::SeqCst) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the loss was never handled"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // The application reads on: the first connection's publish, then the loss.
    assert!(matches!(next(&mut events).await, Event::Connected { .. }));
    assert!(matches!(next(&mut events).await, Event::Rejected { .. }));
    assert!(matches!(
        next(&mut events).await,
        Event::Disconnected { .. }
    ));
    assert_eq!(
        *seen.acked.lock().unwrap(),
        Vec::<u16>::new(),
        "acked on a later connection"
    );

    // A new session gives packet id 7 to another message: that one is acked.
    script.send(connack()).unwrap();
    script.send(publish(7)).unwrap();
    script.send(connack()).unwrap();
    assert!(matches!(next(&mut events).await, Event::Connected { .. }));
    assert!(matches!(next(&mut events).await, Event::Rejected { .. }));
    assert!(matches!(next(&mut events).await, Event::Connected { .. }));
    assert_eq!(*seen.acked.lock().unwrap(), vec![7]);
}
