//! What `payseal pub` and `payseal sub` report when the broker refuses, duplicates, invents or
//! withholds acknowledgements (issue 16, items 18, 21 and 22): a malicious broker in the
//! middle (payseal-testkit's Mitm) rewrites the acks of a real Mosquitto.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::{Run, Scratch, finish, trust_toml};
use payseal_testkit::Mosquitto;
use payseal_testkit::mitm::{AckTamper, Mitm, Out};
use payseal_testkit::mqtt::{Frame, ack_id, refuse_suback, v5_ack};

/// A broker, a man in the middle rewriting its acks with `acks`, and a directory with a
/// sensor key and a trust file.
struct Setup {
    broker: Mosquitto,
    mitm: Mitm,
    dir: Scratch,
    // Drives the man in the middle; dropped last.
    _rt: tokio::runtime::Runtime,
}

fn setup(name: &str, acks: AckTamper) -> Setup {
    let broker = Mosquitto::start().expect("mosquitto must be installed");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let mitm = rt
        .block_on(Mitm::start_with_acks(
            broker.port(),
            Box::new(|p| vec![Out::Forward(p)]),
            acks,
        ))
        .unwrap();
    let dir = Scratch::new(name);
    dir.keygen("ed25519", "sensor");
    dir.write("trust.toml", &trust_toml(&[("sensor", &["plant/#"])], &[]));
    Setup {
        broker,
        mitm,
        dir,
        _rt: rt,
    }
}

impl Setup {
    /// `payseal pub` through the man in the middle.
    fn publish(&self, extra: &[&str], stdin: &[u8]) -> (Run, Duration) {
        let port = self.mitm.port().to_string();
        let args = [
            &[
                "pub",
                "-h",
                "127.0.0.1",
                "-p",
                &port,
                "-t",
                "plant/3/temp",
                "--key",
                "sensor.key",
            ][..],
            extra,
        ]
        .concat();
        let started = Instant::now();
        let run = self.dir.run(&args, stdin);
        (run, started.elapsed())
    }

    /// `payseal sub` on `port`, left running.
    fn spawn_sub(&self, port: u16, extra: &[&str]) -> Child {
        let port = port.to_string();
        let child = Command::new(env!("CARGO_BIN_EXE_payseal"))
            .args(["sub", "-h", "127.0.0.1", "-p", &port, "-t", "plant/#"])
            .args(["--trust", "trust.toml", "-v"])
            .args(extra)
            .current_dir(&self.dir.0)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("payseal sub starts");
        std::thread::sleep(Duration::from_millis(1500));
        child
    }
}

/// Rewrites every ack of `packet_type` into an MQTT 5 ack with `code` and `reason`.
fn refuse(packet_type: u8, code: u8, reason: Option<&'static str>) -> AckTamper {
    Box::new(move |frame: Frame| {
        if frame.packet_type() == packet_type {
            vec![v5_ack(packet_type, ack_id(&frame).unwrap(), code, reason)]
        } else {
            vec![frame]
        }
    })
}

#[test]
fn refused_puback_makes_pub_fail_at_once_with_the_code() {
    let s = setup(
        "refused-puback",
        refuse(4, 0x87, Some("acl\u{1b}[31m\nplant/3/temp 99.9")),
    );
    let (run, took) = s.publish(&["-V", "5", "-q", "1", "-m", "21.5"], b"");
    run.fails(8, "0x87 not authorized");
    assert!(
        run.stderr.contains("message 1 on plant/3/temp"),
        "{}",
        run.stderr
    );
    // The broker's reason string is there, escaped: no control character reaches the terminal.
    assert!(
        run.stderr.contains("acl\\x1b[31m\\nplant"),
        "{}",
        run.stderr
    );
    assert!(
        !run.stderr.trim_end().chars().any(char::is_control),
        "{:?}",
        run.stderr
    );
    assert!(took < Duration::from_secs(5), "took {took:?}");
}

#[test]
fn refused_pubrec_makes_pub_fail_at_once_with_the_code() {
    let s = setup("refused-pubrec", refuse(5, 0x87, None));
    let (run, took) = s.publish(&["-V", "5", "-q", "2", "-m", "21.5"], b"");
    run.fails(8, "0x87 not authorized");
    assert!(took < Duration::from_secs(5), "took {took:?}");
}

#[test]
fn duplicate_puback_is_ignored_and_pub_succeeds() {
    let s = setup(
        "duplicate-puback",
        Box::new(|frame: Frame| {
            if frame.packet_type() == 4 {
                vec![frame.clone(), frame]
            } else {
                vec![frame]
            }
        }),
    );
    let sub = s.spawn_sub(s.broker.port(), &["-C", "3", "-W", "30"]);
    let (run, _) = s.publish(&["-q", "1", "-l"], b"one\ntwo\nthree\n");
    assert_eq!(run.code, 0, "{}", run.stderr);
    let (_, out, err) = finish(sub);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3, "{out} / {err}");
    for (line, payload) in lines.iter().zip(["one", "two", "three"]) {
        assert!(line.ends_with(payload), "{line}");
    }
}

#[test]
fn unconfirmed_message_is_resent_with_the_same_envelope_after_reconnect() {
    // First connection: every PUBACK carries an id nothing waits for (the client drops the
    // connection on it); later connections: acks pass.
    let connacks = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&connacks);
    let s = setup(
        "resend",
        Box::new(move |frame: Frame| {
            match frame.packet_type() {
                2 => {
                    seen.fetch_add(1, Ordering::SeqCst);
                }
                4 if seen.load(Ordering::SeqCst) == 1 => {
                    let id = ack_id(&frame).unwrap().wrapping_add(1000);
                    return vec![Frame([&[0x40, 2][..], &id.to_be_bytes()].concat())];
                }
                _ => {}
            }
            vec![frame]
        }),
    );
    let sub = s.spawn_sub(s.broker.port(), &["-C", "2", "-W", "8"]);
    let (run, _) = s.publish(&["-q", "1", "-m", "hello"], b"");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(connacks.load(Ordering::SeqCst) >= 2, "no reconnect");
    let (_, out, err) = finish(sub);
    // One message, and its resend recognized as the same envelope (a duplicate, not a second
    // message with a new sequence number).
    assert_eq!(out.lines().count(), 1, "{out} / {err}");
    assert!(out.trim_end().ends_with("hello"), "{out}");
    assert!(err.contains("duplicate on plant/3/temp: seq"), "{err}");
}

#[test]
fn ack_that_never_comes_is_reported_as_unconfirmed() {
    let s = setup(
        "no-ack",
        Box::new(|frame: Frame| {
            if frame.packet_type() == 4 {
                vec![]
            } else {
                vec![frame]
            }
        }),
    );
    let (run, _) = s.publish(&["-q", "1", "-l"], b"a\nb\n");
    run.fails(9, "not confirmed by the broker");
    assert!(run.stderr.contains("2 of 2"), "{}", run.stderr);
}

#[test]
fn refused_subscription_makes_sub_exit_non_zero() {
    for (version, code, name) in [("5", 0x87, "0x87 not authorized"), ("311", 0x80, "0x80")] {
        let s = setup(
            &format!("refused-sub-{version}"),
            Box::new(move |frame: Frame| vec![refuse_suback(frame, code)]),
        );
        let port = s.mitm.port().to_string();
        let started = Instant::now();
        let run = s.dir.run(
            &[
                "sub",
                "-h",
                "127.0.0.1",
                "-p",
                &port,
                "-V",
                version,
                "-t",
                "plant/#",
                "--trust",
                "trust.toml",
                "-W",
                "10",
            ],
            b"",
        );
        run.fails(8, name);
        assert!(run.stderr.contains("plant/#"), "{}", run.stderr);
        assert!(started.elapsed() < Duration::from_secs(8));
    }
}
