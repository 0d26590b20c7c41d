//! `payseal group` and `payseal keyserver` as processes, against a Mosquitto started by each
//! test: membership changes reach the members (library `Member`s fed by a collector that sees
//! every key update), a keyserver SIGKILLed mid-rotation never gives one epoch two secrets,
//! and a second writer of the controller state gets a clear "busy" error.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use common::{Scratch, finish, spawn_sub, trust_toml};
use payseal::{Audience, Counter, Sealer, SystemClock};
use payseal_keys::{Applied, Controller, ControllerConfig, KeysError, Member};
use payseal_testkit::{Mosquitto, free_port};
use rumqttc::{Client, Event, MqttOptions, Packet, QoS};

const GROUP: &[u8] = b"plant";

/// Writes keys.toml for a broker on `port`, and makes the controller's key.
fn setup(dir: &Scratch, port: u16, rotate_every: Option<u64>) {
    dir.keygen("ed25519", "controller");
    write_keys(dir, port, rotate_every);
}

fn write_keys(dir: &Scratch, port: u16, rotate_every: Option<u64>) {
    let every = rotate_every.map_or(String::new(), |s| format!("rotate_every_secs = {s}\n"));
    dir.write(
        "keys.toml",
        &format!(
            "signing_key = \"controller.key\"\nstate = \"ctl\"\n\
             [broker]\nhost = \"127.0.0.1\"\nport = {port}\n\
             [rotation]\ngrace_secs = 30\nhandover_secs = 1\n{every}"
        ),
    );
}

/// `payseal group ARGS`, retried while the keyserver holds the lock for a moment (exit 11).
fn group(dir: &Scratch, args: &[&str]) -> String {
    let mut all = vec!["group"];
    all.extend_from_slice(args);
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let run = dir.run(&all, b"");
        if run.code == 11 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(100));
            continue;
        }
        return String::from_utf8(run.ok()).unwrap().trim().to_owned();
    }
}

/// (current, pending) of the group, from `group status --json`.
fn status(dir: &Scratch) -> (u64, Option<u64>) {
    let line = group(dir, &["status", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(v["group"], "plant", "{line}");
    (v["current"].as_u64().unwrap(), v["pending"].as_u64())
}

fn wait_status(dir: &Scratch, what: &str, done: impl Fn((u64, Option<u64>)) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let s = status(dir);
        if done(s) {
            return;
        }
        assert!(Instant::now() < deadline, "{what}: still {s:?}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn keyserver(dir: &Scratch) -> Child {
    Command::new(env!("CARGO_BIN_EXE_payseal"))
        .args(["keyserver"])
        .current_dir(&dir.0)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("payseal keyserver starts")
}

/// SIGTERM, and the clean exit it must cause.
fn terminate(mut child: Child) {
    let pid = child.id().to_string();
    let sent = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(sent.success());
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "keyserver exit on SIGTERM: {status}");
            return;
        }
        assert!(
            Instant::now() < deadline,
            "keyserver did not stop on SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Every message on `payseal/keys/#`, in arrival order, from before the first update on.
struct Collector {
    client: Client,
    rx: Receiver<(String, Vec<u8>)>,
    seen: Vec<(String, Vec<u8>)>,
}

impl Collector {
    fn start(broker: &Mosquitto) -> Collector {
        let mut options = MqttOptions::new("collector", broker.host(), broker.port());
        options.set_keep_alive(Duration::from_secs(5));
        options.set_max_packet_size(1 << 20, 1 << 20);
        let (client, mut connection) = Client::new(options, 10_000);
        client
            .subscribe("payseal/keys/#", QoS::AtLeastOnce)
            .unwrap();
        let (tx, rx) = channel();
        let (acked_tx, acked) = channel();
        std::thread::spawn(move || {
            for event in connection.iter() {
                match event {
                    Ok(Event::Incoming(Packet::Publish(p))) => {
                        if tx.send((p.topic, p.payload.to_vec())).is_err() {
                            break;
                        }
                    }
                    Ok(Event::Incoming(Packet::SubAck(_))) => {
                        let _ = acked_tx.send(());
                    }
                    Ok(_) => {}
                    Err(_) => std::thread::sleep(Duration::from_millis(50)),
                }
            }
        });
        acked
            .recv_timeout(Duration::from_secs(10))
            .expect("SUBACK within 10 s");
        Collector {
            client,
            rx,
            seen: Vec::new(),
        }
    }

    /// Takes what arrived within `quiet` of the last message.
    fn drain(&mut self, quiet: Duration) {
        while let Ok(m) = self.rx.recv_timeout(quiet) {
            self.seen.push(m);
        }
    }
}

/// A member (library side) fed with what the collector saw on its topic.
struct Fed {
    member: Member<SystemClock>,
    updates: usize,
}

impl Fed {
    fn new(dir: &Scratch, name: &str) -> Fed {
        let key =
            payseal_cli::keyfile::read_recipient_key(&dir.path(&format!("{name}.key"))).unwrap();
        let controller =
            payseal_cli::keyfile::read_verifying_key(&dir.path("controller.pub")).unwrap();
        let member = Member::open(
            dir.path(&format!("{name}-state/member.state")),
            key,
            [controller],
            SystemClock,
        )
        .unwrap();
        Fed { member, updates: 0 }
    }

    fn current(&self) -> Option<u32> {
        self.member.group(GROUP).map(|g| g.current_epoch())
    }

    fn highest(&self) -> Option<u32> {
        self.member
            .group(GROUP)
            .and_then(|g| g.epochs().map(|(e, ..)| e).max())
    }
}

/// Hands every collected update to its member, recording each (epoch -> secret) held after
/// every applied update; panics if an epoch number ever names two secrets.
fn feed(seen: &[(String, Vec<u8>)], members: &mut [&mut Fed]) {
    let mut secrets: BTreeMap<u32, Vec<u8>> = BTreeMap::new();
    for (topic, payload) in seen {
        if payload.is_empty() {
            continue; // a removed member's retained update, cleared
        }
        let Some(fed) = members
            .iter_mut()
            .find(|f| f.member.key_topic() == topic.as_str())
        else {
            panic!("an update on {topic}, which is no member's topic");
        };
        match fed.member.handle(topic, payload) {
            Ok(Applied::Updated { .. }) => fed.updates += 1,
            Ok(_) | Err(KeysError::OldUpdate { .. }) => continue,
            Err(e) => panic!("update on {topic} refused: {e}"),
        }
        for group in fed.member.groups().values() {
            for (epoch, key, _) in group.epochs() {
                let secret = key.expose_secret().to_vec();
                let known = secrets.entry(epoch).or_insert_with(|| secret.clone());
                assert_eq!(*known, secret, "epoch {epoch} was seen with two secrets");
            }
        }
    }
}

#[test]
fn members_follow_init_add_remove_and_rotate() {
    let broker = Mosquitto::start().expect("mosquitto must be installed (.ci/run installs it)");
    let dir = Scratch::new("groups-lifecycle");
    setup(&dir, broker.port(), None);
    let mut collector = Collector::start(&broker);
    for name in ["a", "b", "c"] {
        dir.keygen("x25519", name);
    }
    group(&dir, &["init", "plant"]);
    let kids: Vec<String> = ["a", "b", "c"]
        .iter()
        .map(|n| group(&dir, &["add", "plant", &format!("{n}.pub")]))
        .collect();
    assert_eq!(status(&dir), (1, None));
    let listed = group(&dir, &["status"]);
    for kid in &kids {
        assert!(listed.contains(kid.as_str()), "{listed}");
    }

    let server = keyserver(&dir);
    group(&dir, &["remove", "plant", &kids[2]]);
    wait_status(&dir, "the switch after the removal", |s| s == (2, None));
    group(&dir, &["rotate", "plant"]);
    wait_status(&dir, "the switch after the rotation", |s| s == (3, None));
    terminate(server);
    let after = group(&dir, &["status"]);
    assert!(!after.contains(kids[2].as_str()), "{after}");

    collector.drain(Duration::from_secs(2));
    let (mut a, mut b, mut c) = (
        Fed::new(&dir, "a"),
        Fed::new(&dir, "b"),
        Fed::new(&dir, "c"),
    );
    feed(&collector.seen, &mut [&mut a, &mut b, &mut c]);
    assert_eq!((a.current(), b.current()), (Some(3), Some(3)));
    assert_eq!((a.highest(), b.highest()), (Some(3), Some(3)));
    // The removed member got epoch 1 only, and its retained update was cleared.
    assert_eq!((c.current(), c.highest()), (Some(1), Some(1)));
    let c_topic = format!("payseal/keys/{}", kids[2]);
    assert!(
        collector
            .seen
            .iter()
            .any(|(t, p)| *t == c_topic && p.is_empty())
    );
    assert!(a.updates >= 3, "a applied {} updates", a.updates);
}

#[test]
fn a_keyserver_killed_mid_rotation_never_gives_an_epoch_two_secrets() {
    let broker = Mosquitto::start().expect("mosquitto must be installed (.ci/run installs it)");
    let dir = Scratch::new("groups-sigkill");
    setup(&dir, broker.port(), Some(1));
    let mut collector = Collector::start(&broker);
    for name in ["a", "b", "c"] {
        dir.keygen("x25519", name);
        group_init_once(&dir);
        group(&dir, &["add", "plant", &format!("{name}.pub")]);
    }

    // Kill it at varied moments: mid-tick, mid-publish, between rotations.
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let mut rotated_by_hand = 0;
    for round in 0..6u32 {
        let mut server = keyserver(&dir);
        let pause = 300 + u64::from(seed.wrapping_mul(round + 7) % 2200);
        std::thread::sleep(Duration::from_millis(pause));
        if round % 2 == 1 {
            group(&dir, &["rotate", "plant"]);
            rotated_by_hand += 1;
        }
        server.kill().unwrap(); // SIGKILL
        server.wait().unwrap();
    }
    assert_eq!(rotated_by_hand, 3);
    let (before, _) = status(&dir);
    assert!(before >= 2, "no rotation happened: epoch {before}");

    // A last run without scheduled rotations finishes what is pending and republishes.
    write_keys(&dir, broker.port(), None);
    let server = keyserver(&dir);
    wait_status(&dir, "no rotation pending", |(_, pending)| {
        pending.is_none()
    });
    std::thread::sleep(Duration::from_secs(2));
    terminate(server);
    let (current, _) = status(&dir);

    collector.drain(Duration::from_secs(2));
    let mut fed: Vec<Fed> = ["a", "b", "c"].iter().map(|n| Fed::new(&dir, n)).collect();
    let mut refs: Vec<&mut Fed> = fed.iter_mut().collect();
    feed(&collector.seen, &mut refs);
    for f in &fed {
        assert_eq!(f.current(), Some(u32::try_from(current).unwrap()));
    }
    let applied: Vec<usize> = fed.iter().map(|f| f.updates).collect();
    eprintln!(
        "{} messages collected, updates applied {applied:?}, epoch {before} after the kills, {current} at the end",
        collector.seen.len()
    );
}

fn group_init_once(dir: &Scratch) {
    if !dir.path("ctl/controller.state").exists() {
        group(dir, &["init", "plant"]);
    }
}

#[test]
fn a_second_writer_is_told_the_state_is_busy() {
    let dir = Scratch::new("groups-busy");
    // Nothing listens there: `init` publishes nothing, `add` must fail to publish.
    setup(&dir, free_port().unwrap(), None);
    dir.keygen("x25519", "a");
    group(&dir, &["init", "plant"]);
    let port = port_of(&dir);

    let held = payseal_store::StateFile::open(dir.path("ctl/controller.state")).unwrap();
    for args in [
        &["group", "init", "other"][..],
        &["group", "rotate", "plant"],
        &["group", "status"],
    ] {
        dir.run(args, b"").fails(11, "busy");
    }
    drop(held);
    let listed = group(&dir, &["status"]);
    assert_eq!(listed, "plant current 1 pending - members -");

    // Unreachable broker: exit 5, and the change is saved for the keyserver to republish.
    let run = dir.run(&["group", "add", "plant", "a.pub"], b"");
    run.fails(5, "the change is saved");
    let (current, pending) = status(&dir);
    assert_eq!((current, pending), (1, None));
    let listed = group(&dir, &["status"]);
    assert!(!listed.ends_with("members -"), "{listed}");

    // The keyserver's republish on start heals it: the member gets epoch 1.
    let broker = Mosquitto::start_on(port, "").expect("mosquitto must be installed");
    let mut collector = Collector::start(&broker);
    let server = keyserver(&dir);
    let mut a = Fed::new(&dir, "a");
    let deadline = Instant::now() + Duration::from_secs(20);
    while a.current().is_none() {
        assert!(Instant::now() < deadline, "the member never got its update");
        collector.drain(Duration::from_millis(500));
        feed(&collector.seen, &mut [&mut a]);
    }
    terminate(server);
    assert_eq!(a.current(), Some(1));
}

/// The broker port keys.toml names.
fn port_of(dir: &Scratch) -> u16 {
    let text = std::fs::read_to_string(dir.path("keys.toml")).unwrap();
    let line = text.lines().find(|l| l.starts_with("port = ")).unwrap();
    line.trim_start_matches("port = ").parse().unwrap()
}

#[test]
fn a_bad_keys_file_is_bad_input() {
    let dir = Scratch::new("groups-bad-config");
    dir.write("keys.toml", "signing_key = \"controller.key\"\n");
    dir.run(&["group", "status"], b"").fails(3, "state");
    dir.run(&["keyserver", "-c", "missing.toml"], b"")
        .fails(4, "missing.toml");
    assert!(Path::new(&dir.0).exists());
}

#[test]
fn sub_takes_group_keys_from_the_controller() {
    let broker = Mosquitto::start().expect("mosquitto must be installed (.ci/run installs it)");
    let dir = Scratch::new("groups-sub");
    setup(&dir, broker.port(), None);
    let collector = Collector::start(&broker);
    dir.keygen("ed25519", "sensor");
    dir.write(
        "trust.toml",
        &trust_toml(&[("sensor", &["plant/data"])], &[]),
    );
    for name in ["a", "c"] {
        dir.keygen("x25519", name);
    }
    group(&dir, &["init", "plant"]);
    group(&dir, &["add", "plant", "a.pub"]);
    let c_kid = group(&dir, &["add", "plant", "c.pub"]);
    group(&dir, &["remove", "plant", &c_kid]);
    let server = keyserver(&dir);
    wait_status(&dir, "the switch after the removal", |s| s == (2, None));
    terminate(server);

    // A sender holding epoch 2, sealing with the controller's own copy of the group key.
    let controller = Controller::open(
        dir.path("ctl/controller.state"),
        payseal_cli::keyfile::read_signing_key(&dir.path("controller.key")).unwrap(),
        SystemClock,
        ControllerConfig::default(),
    )
    .unwrap();
    let key = controller
        .group(GROUP)
        .unwrap()
        .current_key()
        .unwrap()
        .clone();
    drop(controller);
    let mut sealer = Sealer::new(
        payseal_cli::keyfile::read_signing_key(&dir.path("sensor.key")).unwrap(),
        Counter::from_unix_micros(),
        SystemClock,
    )
    .with_audience("plant/data", Audience::group(key))
    .unwrap();

    let member = |name: &str| {
        spawn_sub(
            &dir,
            &[
                "-p",
                &broker.port().to_string(),
                "-t",
                "plant/data",
                "--trust",
                "trust.toml",
                "--member-key",
                &format!("{name}.key"),
                "--controller",
                "controller.pub",
                "--key-state",
                &format!("{name}-keys"),
                "-C",
                "1",
                "-W",
                "8",
            ],
        )
    };
    let (a, c) = (member("a"), member("c"));
    let envelope = sealer.seal("plant/data", b"21.5").unwrap();
    collector
        .client
        .publish("plant/data", QoS::AtLeastOnce, false, envelope)
        .unwrap();

    let (code, out, err) = finish(a);
    assert_eq!((code, out.as_str()), (0, "21.5\n"), "{err}");
    assert!(
        err.contains("key update") && err.contains("applied"),
        "{err}"
    );
    let (code, out, err) = finish(c);
    assert_eq!(
        (code, out.as_str()),
        (27, ""),
        "the removed member read it: {err}"
    );
    assert!(err.contains("rejected on plant/data"), "{err}");
}

#[test]
fn the_keyserver_republishes_to_a_broker_that_lost_its_retained_updates() {
    let broker = Mosquitto::start().expect("mosquitto must be installed (.ci/run installs it)");
    let dir = Scratch::new("groups-reconnect");
    setup(&dir, broker.port(), None);
    dir.keygen("x25519", "a");
    group(&dir, &["init", "plant"]);
    group(&dir, &["add", "plant", "a.pub"]);
    let server = keyserver(&dir);
    std::thread::sleep(Duration::from_secs(2));

    // A broker without persistence restarts empty: no retained update for anyone.
    let port = broker.kill();
    let broker = Mosquitto::start_on(port, "").expect("mosquitto restarts on its port");
    let mut collector = Collector::start(&broker);
    let mut a = Fed::new(&dir, "a");
    let deadline = Instant::now() + Duration::from_secs(30);
    while a.current().is_none() {
        assert!(
            Instant::now() < deadline,
            "no update after the broker restart"
        );
        collector.drain(Duration::from_millis(500));
        feed(&collector.seen, &mut [&mut a]);
    }
    terminate(server);
    assert_eq!(a.current(), Some(1));
}
