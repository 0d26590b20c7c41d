//! Group key rotation over MQTT, with no setup: an embedded broker, a key controller and three
//! members. The controller hands out epoch keys in sealed, retained key updates; member C is
//! removed, the group rotates to an epoch only A and B receive, and C reads nothing sealed
//! after the switch.
//!
//! Run: `cargo run --example group_rotation`

use std::error::Error;
use std::process::ExitCode;
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use payseal::{
    Algorithm, Audience, Counter, KemKind, ManualClock, MemoryReplayStore, Opener, Policy,
    RecipientKey, Sealer, SigningKey, TrustStore,
};
use payseal_keys::{Controller, ControllerConfig, Member, Publish};
use rumqttc::{Client, Event, MqttOptions, Packet, QoS};

const GROUP: &[u8] = b"plant";
const DATA: &str = "plant/data";

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("group_rotation example failed: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Topic and payload of each PUBLISH a client receives.
type Inbox = Receiver<(String, Vec<u8>)>;

/// An MQTT client whose messages arrive on a channel.
fn connect(port: u16, id: &str, topics: &[&str]) -> Result<(Client, Inbox), Box<dyn Error>> {
    let (client, mut connection) = Client::new(MqttOptions::new(id, "127.0.0.1", port), 100);
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        for event in connection.iter() {
            if let Ok(Event::Incoming(Packet::Publish(p))) = event
                && tx.send((p.topic, p.payload.to_vec())).is_err()
            {
                break;
            }
        }
    });
    for topic in topics {
        client.subscribe(*topic, QoS::AtLeastOnce)?;
    }
    std::thread::sleep(Duration::from_millis(300)); // let the subscriptions land
    Ok((client, rx))
}

fn nth(devices: &mut [Device], i: usize) -> Result<&mut Device, Box<dyn Error>> {
    devices.get_mut(i).ok_or_else(|| "no such device".into())
}

struct Device {
    name: &'static str,
    member: Member<&'static ManualClock>,
    opener: Opener<MemoryReplayStore, &'static ManualClock>,
    sealer: Sealer<SigningKey, Counter, &'static ManualClock>,
    client: Client,
    rx: Inbox,
}

impl Device {
    /// Handles what arrives for `for_`: key updates and group messages.
    fn pump(&mut self, for_: Duration) -> Result<(), Box<dyn Error>> {
        let until = Instant::now() + for_;
        while let Ok((topic, payload)) = self
            .rx
            .recv_timeout(until.saturating_duration_since(Instant::now()))
        {
            if topic == self.member.key_topic() {
                if payload.is_empty() {
                    println!("{}: my key update was withdrawn", self.name);
                    continue;
                }
                self.member.handle(&topic, &payload)?;
                self.member.install(self.opener.keyring_mut());
                if let Some(group) = self.member.group(GROUP) {
                    if let Some(key) = group.current_key() {
                        self.sealer
                            .set_audience(DATA, Audience::group(key.clone()))?;
                    }
                    println!(
                        "{}: key update applied, epoch {} (holding {:?})",
                        self.name,
                        group.current_epoch(),
                        group.epochs().map(|(e, ..)| e).collect::<Vec<_>>()
                    );
                }
            } else {
                match self.opener.open(&topic, &payload) {
                    Ok(v) => println!(
                        "{}: read {:?}",
                        self.name,
                        String::from_utf8_lossy(v.payload())
                    ),
                    Err(e) => println!("{}: cannot read a message: {}", self.name, e.code()),
                }
            }
        }
        Ok(())
    }

    fn send(&mut self, text: &str) -> Result<(), Box<dyn Error>> {
        let envelope = self.sealer.seal(DATA, text.as_bytes())?;
        self.client
            .publish(DATA, QoS::AtLeastOnce, false, envelope)?;
        Ok(())
    }
}

fn run() -> Result<(), Box<dyn Error>> {
    let port = payseal_cli::embedded_broker::start()?;
    let dir = std::env::temp_dir().join(format!("payseal-group-rotation-{}", std::process::id()));
    let clock: &'static ManualClock = Box::leak(Box::new(ManualClock::new(1_700_000_000)));
    let config = ControllerConfig {
        grace_secs: 30,
        handover_secs: 2,
        ..ControllerConfig::default()
    };
    let controller_key = SigningKey::generate(Algorithm::Ed25519)?;
    let controller_public = controller_key.verifying_key();
    let mut controller = Controller::open(dir.join("controller"), controller_key, clock, config)?;
    let (ctl, _) = connect(port, "controller", &[])?;
    let publish = |publishes: Vec<Publish>| -> Result<(), Box<dyn Error>> {
        for p in publishes {
            ctl.publish(p.topic, QoS::AtLeastOnce, true, p.payload)?;
        }
        Ok(())
    };
    controller.create_group(GROUP)?;

    let signers: Vec<_> = (0..3)
        .map(|_| SigningKey::generate(Algorithm::Ed25519))
        .collect::<Result<_, _>>()?;
    let mut trust = TrustStore::new();
    for s in &signers {
        trust.add_sender(s.verifying_key(), [DATA])?;
    }
    let mut devices = Vec::new();
    for (name, signer) in ["A", "B", "C"].into_iter().zip(signers) {
        let key = RecipientKey::generate(KemKind::X25519)?;
        let public = key.public_key();
        let member = Member::open(dir.join(name), key, [controller_public.clone()], clock)?;
        let (client, rx) = connect(port, name, &[member.key_topic(), DATA])?;
        devices.push(Device {
            name,
            member,
            opener: Opener::new(trust.clone(), Policy::default(), clock),
            sealer: Sealer::new(signer, Counter::starting_at(1), clock),
            client,
            rx,
        });
        publish(controller.add_member(GROUP, public)?)?;
    }
    let pump = |devices: &mut Vec<Device>| -> Result<(), Box<dyn Error>> {
        for d in devices.iter_mut() {
            d.pump(Duration::from_millis(400))?;
        }
        Ok(())
    };
    pump(&mut devices)?;

    println!("\n-- A writes at epoch 1: everyone reads");
    nth(&mut devices, 0)?.send("epoch 1: valve 3 open")?;
    pump(&mut devices)?;

    println!("\n-- C is removed: the next epoch goes to A and B only");
    let c = nth(&mut devices, 2)?.member.kid().clone();
    publish(controller.remove_member(GROUP, &c)?)?;
    pump(&mut devices)?;
    clock.advance(2);
    println!("\n-- the switch");
    publish(controller.tick()?)?;
    pump(&mut devices)?;

    println!("\n-- A writes at epoch 2: B reads, C cannot");
    nth(&mut devices, 0)?.send("epoch 2: valve 3 closed")?;
    pump(&mut devices)?;

    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
