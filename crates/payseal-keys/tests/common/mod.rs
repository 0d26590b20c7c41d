//! Test harness: MQTT peers over a real Mosquitto, and group devices (a key member, a group
//! sender and a group receiver in one).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    dead_code,
    unreachable_pub
)]

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use payseal::{
    Algorithm, Audience, Counter, KemKind, Keyring, ManualClock, MemoryReplayStore, Opener, Policy,
    RecipientKey, Rejection, Sealer, SigningKey, TrustStore, VerifyingKey,
};
use payseal_keys::{Controller, ControllerConfig, Member, Publish};
use payseal_testkit::Mosquitto;
use rumqttc::{Client, Event, MqttOptions, Packet, QoS};

pub const GROUP: &[u8] = b"plant";
pub const DATA: &str = "plant/data";
pub const NOW: u64 = 1_700_000_000;

/// One clock for everyone, moved by the test.
pub fn clock() -> &'static ManualClock {
    Box::leak(Box::new(ManualClock::new(NOW)))
}

pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("payseal-keys-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

pub fn broker() -> Mosquitto {
    Mosquitto::start().expect("mosquitto must be installed (apt-get install mosquitto)")
}

/// What an MQTT peer's connection thread forwards.
pub enum Incoming {
    Message(String, Vec<u8>),
    SubAck,
}

/// An MQTT client whose connection runs on its own thread.
pub struct Peer {
    client: Client,
    /// Set by `disconnect`: the connection thread stops at its next event instead of
    /// reconnecting (rumqttc's iterator reconnects after any error, and a second connection
    /// with this client id would take the session of the next one over, again and again).
    stop: Arc<AtomicBool>,
    rx: Receiver<Incoming>,
    thread: Option<JoinHandle<()>>,
    /// Messages that arrived before every SUBACK (a retained update, typically).
    early: std::cell::RefCell<std::collections::VecDeque<(String, Vec<u8>)>>,
}

impl Peer {
    pub fn connect(broker: &Mosquitto, id: &str, subscriptions: &[&str]) -> Peer {
        let mut options = MqttOptions::new(id, broker.host(), broker.port());
        options.set_keep_alive(Duration::from_secs(5));
        options.set_max_packet_size(1 << 20, 1 << 20);
        let (client, mut connection) = Client::new(options, 10_000);
        let (tx, rx): (Sender<Incoming>, _) = channel();
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            for event in connection.iter() {
                if stopped.load(Ordering::SeqCst) {
                    break;
                }
                let sent = match event {
                    Ok(Event::Incoming(Packet::Publish(p))) => {
                        tx.send(Incoming::Message(p.topic, p.payload.to_vec()))
                    }
                    Ok(Event::Incoming(Packet::SubAck(_))) => tx.send(Incoming::SubAck),
                    Ok(_) => Ok(()),
                    Err(_) => {
                        std::thread::sleep(Duration::from_millis(50));
                        Ok(())
                    }
                };
                if sent.is_err() {
                    break;
                }
            }
        });
        let peer = Peer {
            client,
            stop,
            rx,
            thread: Some(thread),
            early: Default::default(),
        };
        for topic in subscriptions {
            peer.client.subscribe(*topic, QoS::AtLeastOnce).unwrap();
        }
        let mut acks = 0;
        let deadline = Instant::now() + Duration::from_secs(10);
        while acks < subscriptions.len() {
            match peer
                .rx
                .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            {
                Ok(Incoming::SubAck) => acks += 1,
                Ok(Incoming::Message(t, p)) => peer.early.borrow_mut().push_back((t, p)),
                Err(_) => panic!("no SUBACK from the broker within 10 s"),
            }
        }
        peer
    }

    pub fn publish(&self, topic: &str, payload: Vec<u8>, retain: bool) {
        self.client
            .publish(topic, QoS::AtLeastOnce, retain, payload)
            .unwrap();
    }

    pub fn publish_all(&self, publishes: Vec<Publish>) {
        for p in publishes {
            self.publish(&p.topic, p.payload, true);
        }
    }

    pub fn recv(&self, timeout: Duration) -> Option<(String, Vec<u8>)> {
        if let Some(early) = self.early.borrow_mut().pop_front() {
            return Some(early);
        }
        match self.rx.recv_timeout(timeout) {
            Ok(Incoming::Message(t, p)) => Some((t, p)),
            Ok(Incoming::SubAck) => None,
            Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => None,
        }
    }

    /// Disconnects; the connection thread ends at its next event (the DISCONNECT going out,
    /// or the connection closing), so it is not joined.
    pub fn disconnect(self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = self.client.disconnect();
        drop(self.thread);
    }
}

pub fn signer(n: u8) -> SigningKey {
    SigningKey::from_secret_bytes(Algorithm::Ed25519, &[n; 32]).unwrap()
}

pub fn recipient(n: u8) -> RecipientKey {
    RecipientKey::from_secret_bytes(KemKind::X25519, &[n; 32]).unwrap()
}

pub fn controller_key() -> SigningKey {
    signer(200)
}

pub fn open_controller(
    dir: &Path,
    clock: &'static ManualClock,
    config: ControllerConfig,
) -> Controller<&'static ManualClock> {
    Controller::open(
        dir.join("controller.state"),
        controller_key(),
        clock,
        config,
    )
    .unwrap()
}

/// A group member: key updates in, group messages in and out.
pub struct Device {
    pub name: String,
    pub n: u8,
    pub member: Member<&'static ManualClock>,
    pub opener: Opener<MemoryReplayStore, &'static ManualClock>,
    pub sealer: Sealer<SigningKey, Counter, &'static ManualClock>,
    pub peer: Option<Peer>,
    /// Payloads accepted on the data topic, in order.
    pub accepted: Vec<Vec<u8>>,
    /// Reason codes of refused data messages.
    pub refused: Vec<Rejection>,
    pub dir: PathBuf,
    pub clock: &'static ManualClock,
}

/// Every device's signing key is trusted on the data topic by every device.
pub fn device_trust(senders: &[u8]) -> TrustStore {
    let mut trust = TrustStore::new();
    for n in senders {
        trust
            .add_sender(signer(*n).verifying_key(), [DATA])
            .unwrap();
    }
    trust
}

impl Device {
    pub fn new(
        name: &str,
        n: u8,
        dir: &Path,
        clock: &'static ManualClock,
        senders: &[u8],
    ) -> Device {
        let member = Member::open(
            dir.join(format!("{name}.state")),
            recipient(n),
            [controller_key().verifying_key()],
            clock,
        )
        .unwrap();
        let opener = Opener::new(device_trust(senders), Policy::default(), clock);
        let sealer = Sealer::new(signer(n), Counter::starting_at(1), clock);
        Device {
            name: name.into(),
            n,
            member,
            opener,
            sealer,
            peer: None,
            accepted: Vec::new(),
            refused: Vec::new(),
            dir: dir.to_path_buf(),
            clock,
        }
    }

    pub fn public(&self) -> payseal::RecipientPublicKey {
        recipient(self.n).public_key()
    }

    pub fn connect(&mut self, broker: &Mosquitto) {
        let topic = self.member.key_topic().to_string();
        self.peer = Some(Peer::connect(broker, &self.name, &[&topic, DATA]));
    }

    pub fn disconnect(&mut self) {
        if let Some(peer) = self.peer.take() {
            peer.disconnect();
        }
    }

    /// The epoch this device seals under, if it has keys.
    pub fn epoch(&self) -> Option<u32> {
        self.member.group(GROUP).map(|g| g.current_epoch())
    }

    /// Whether the device holds `epoch` (current, ahead or in grace).
    pub fn holds(&self, epoch: u32) -> bool {
        self.member
            .group(GROUP)
            .is_some_and(|g| g.key(epoch).is_some())
    }

    /// Handles everything that arrives within `for_`.
    pub fn pump(&mut self, for_: Duration) {
        let deadline = Instant::now() + for_;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let Some((topic, payload)) = self.peer.as_ref().and_then(|p| p.recv(left)) else {
                return;
            };
            self.handle(&topic, &payload);
        }
    }

    pub fn handle(&mut self, topic: &str, payload: &[u8]) {
        if topic == self.member.key_topic() {
            if payload.is_empty() {
                return; // a cleared retained update
            }
            self.member.handle(topic, payload).unwrap();
            self.install();
        } else {
            match self.opener.open(topic, payload) {
                Ok(v) => self.accepted.push(v.payload().to_vec()),
                Err(e) => self.refused.push(e),
            }
        }
    }

    /// Applies the member's keys to the receiving keyring and the sending audience.
    pub fn install(&mut self) {
        self.member.install(self.opener.keyring_mut());
        if let Some(key) = self.member.group(GROUP).and_then(|g| g.current_key()) {
            self.sealer
                .set_audience(DATA, Audience::group(key.clone()))
                .unwrap();
        }
    }

    pub fn send(&mut self, payload: &[u8]) {
        assert!(self.epoch().is_some(), "{} has no group key", self.name);
        let env = self.sealer.seal(DATA, payload).unwrap();
        self.peer
            .as_ref()
            .expect("connected")
            .publish(DATA, env, false);
    }
}

/// Pumps every device until `done` holds, or panics after 20 s.
pub fn pump_until(devices: &mut [&mut Device], what: &str, done: impl Fn(&[&mut Device]) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !done(devices) {
        assert!(Instant::now() < deadline, "timed out waiting for: {what}");
        for d in devices.iter_mut() {
            d.pump(Duration::from_millis(5));
        }
    }
}

pub fn verifying(n: u8) -> VerifyingKey {
    signer(n).verifying_key()
}

pub fn keyring() -> Keyring {
    Keyring::new()
}
