//! Issue 16 (independent attack review), the CLI's items: each test is named after its
//! finding and runs the binary as a user would.
//!
//! - 7: `--state DIR` and output files trust the file system.
//! - 8: `sub -C 1 -W 3` exits 0 when nothing verified arrived.
//! - 9: broker-chosen text reaches the operator's terminal.
//! - 10: silent plaintext fallback when sealing.
//! - 14: CLI replay pitfalls.
//! - 20: a keep-alive below 5 s panics on MQTT 5.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::os::unix::fs::PermissionsExt;

use common::{Scratch, finish, spawn_sub, trust_toml};
use payseal_testkit::mitm::{Mitm, Out};
use payseal_testkit::mqtt::Publish;
use payseal_testkit::{Mosquitto, free_port};

fn mode(path: &std::path::Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

// ---- 7 ----------------------------------------------------------------------------------

#[test]
fn open_output_file_holds_plaintext_mode_0600() {
    let dir = Scratch::new("h-out-0600");
    dir.keygen("ed25519", "sensor");
    dir.keygen("x25519", "dash");
    dir.write("trust.toml", &trust_toml(&[("sensor", &["t"])], &["dash"]));
    let envelope = dir
        .run(
            &["seal", "--key", "sensor.key", "-t", "t", "--to", "dash.pub"],
            b"PIN 1234",
        )
        .ok();
    let open = |out: &str| {
        dir.run(
            &["open", "--trust", "trust.toml", "-t", "t", "-o", out],
            &envelope,
        )
        .ok();
    };
    open("plain.txt");
    assert_eq!(std::fs::read(dir.path("plain.txt")).unwrap(), b"PIN 1234");
    assert_eq!(mode(&dir.path("plain.txt")), 0o600);
    // An existing world-readable file is made private before the plaintext goes in.
    let old = dir.write("old.txt", "previous content, longer than the payload");
    std::fs::set_permissions(&old, std::fs::Permissions::from_mode(0o644)).unwrap();
    open("old.txt");
    assert_eq!(std::fs::read(&old).unwrap(), b"PIN 1234");
    assert_eq!(mode(&old), 0o600);
}

#[test]
fn state_dir_is_created_0700_and_refused_when_others_can_write() {
    let dir = Scratch::new("h-state-dir");
    dir.keygen("ed25519", "sensor");
    dir.write("trust.toml", &trust_toml(&[("sensor", &["t"])], &[]));
    let envelope = dir
        .run(
            &["seal", "--key", "sensor.key", "-t", "t", "--seq", "1"],
            b"x",
        )
        .ok();
    let open = |state: &str| {
        dir.run(
            &["open", "--trust", "trust.toml", "-t", "t", "--state", state],
            &envelope,
        )
    };
    assert_eq!(open("state").ok(), b"x");
    assert_eq!(mode(&dir.path("state")), 0o700);
    for file in ["replay.log", "replay.lock"] {
        assert_eq!(mode(&dir.path("state").join(file)), 0o600, "{file}");
    }
    // A shared, world-writable directory: anyone could plant links or replace the windows.
    std::fs::create_dir(dir.path("shared")).unwrap();
    std::fs::set_permissions(dir.path("shared"), std::fs::Permissions::from_mode(0o777)).unwrap();
    open("shared").fails(4, "writable by group or others");
    assert!(!dir.path("shared").join("replay.lock").exists());
}

// ---- 8 ----------------------------------------------------------------------------------

#[test]
fn sub_count_not_reached_before_timeout_exits_non_zero() {
    let broker = Mosquitto::start().expect("mosquitto must be installed (.ci/run installs it)");
    let dir = Scratch::new("h-count");
    dir.keygen("ed25519", "sensor");
    dir.write("trust.toml", &trust_toml(&[("sensor", &["#"])], &[]));
    let port = broker.port().to_string();
    let sub = |extra: &[&str]| {
        let mut args = vec![
            "sub",
            "-h",
            "127.0.0.1",
            "-p",
            &port,
            "-t",
            "x",
            "--trust",
            "trust.toml",
            "-W",
            "1",
        ];
        args.extend_from_slice(extra);
        dir.run(&args, b"")
    };
    // As mosquitto_sub: a timeout before the count is reached is exit 27.
    sub(&["-C", "1"]).fails(27, "timed out after 1 s with 0 of 1 verified messages");
    // Without -C, -W is a plain time limit: exit 0 (documented).
    assert_eq!(sub(&[]).code, 0);
}

// ---- 9 ----------------------------------------------------------------------------------

#[test]
fn broker_chosen_topic_cannot_forge_terminal_output() {
    let broker = Mosquitto::start().expect("mosquitto must be installed (.ci/run installs it)");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let mitm = runtime
        .block_on(Mitm::start(
            broker.port(),
            Box::new(|p: Publish| vec![Out::Forward(p)]),
        ))
        .unwrap();
    let dir = Scratch::new("h-escape");
    dir.keygen("ed25519", "sensor");
    dir.write("trust.toml", &trust_toml(&[("sensor", &["#"])], &[]));
    // A genuine message whose (signed) topic holds an escape sequence, for the -v line.
    let signed_topic = "plant/\u{1b}[31mred";
    let genuine = dir
        .run(
            &["seal", "--key", "sensor.key", "-t", signed_topic],
            b"20.0",
        )
        .ok();
    let port = mitm.port().to_string();
    let sub = spawn_sub(
        &dir,
        &[
            "-h",
            "127.0.0.1",
            "-p",
            &port,
            "-t",
            "#",
            "--trust",
            "trust.toml",
            "-v",
            "-q",
            "0",
            "-W",
            "4",
        ],
    );
    // The broker delivers garbage on a topic that would print a fake reading line and erase
    // the real one.
    mitm.inject(Publish {
        dup: false,
        qos: 0,
        retain: false,
        topic: "plant/3/temp\n99.9\u{1b}[2K\r".into(),
        pkid: None,
        payload: b"not an envelope".to_vec(),
    });
    mitm.inject(Publish {
        dup: false,
        qos: 0,
        retain: false,
        topic: signed_topic.into(),
        pkid: None,
        payload: genuine,
    });
    let (code, out, err) = finish(sub);
    assert_eq!(code, 0, "{err}");
    for (stream, text) in [("stdout", &out), ("stderr", &err)] {
        assert!(
            !text.chars().any(|c| c.is_control() && c != '\n'),
            "control characters on {stream}: {text:?}"
        );
        assert!(
            !text.lines().any(|line| line.starts_with("99.9")),
            "forged line on {stream}: {text:?}"
        );
    }
    assert!(
        err.contains("rejected on plant/3/temp\\n99.9\\x1b[2K\\r: "),
        "{err:?}"
    );
    assert!(
        out.contains("plant/\\x1b[31mred [sensor #") && out.ends_with("20.0\n"),
        "{out:?}"
    );
    drop(mitm);
}

// ---- 10 ---------------------------------------------------------------------------------

#[test]
fn seal_refuses_plaintext_on_a_topic_that_requires_encryption() {
    let dir = Scratch::new("h-plaintext");
    dir.keygen("ed25519", "sensor");
    dir.keygen("x25519", "dash");
    // The [[encrypt]] filter has a typo ("pn"): plant/3/pin matches no entry.
    dir.write(
        "trust.toml",
        "[decrypt]\nrequire_encryption = [\"plant/+/pin\"]\n\n\
         [[encrypt]]\ntopics = \"plant/+/pn\"\nrecipients = [\"dash.pub\"]\n",
    );
    dir.run(
        &[
            "seal",
            "--key",
            "sensor.key",
            "-t",
            "plant/3/pin",
            "--trust",
            "trust.toml",
        ],
        b"1234",
    )
    .fails(3, "refusing to seal in clear on plant/3/pin");
    // `pub` refuses before it connects (nothing listens on that port).
    let closed = free_port().unwrap().to_string();
    dir.run(
        &[
            "pub",
            "-p",
            &closed,
            "-t",
            "plant/3/pin",
            "-m",
            "1234",
            "--key",
            "sensor.key",
            "--trust",
            "trust.toml",
        ],
        b"",
    )
    .fails(3, "refusing to seal in clear on plant/3/pin");
    // A topic an entry covers is encrypted; one nothing requires may be signed only.
    for topic in ["plant/3/pn", "plant/3/temp"] {
        dir.run(
            &[
                "seal",
                "--key",
                "sensor.key",
                "-t",
                topic,
                "--trust",
                "trust.toml",
            ],
            b"1234",
        )
        .ok();
    }
    // --to encrypts whatever the trust file says.
    dir.run(
        &[
            "seal",
            "--key",
            "sensor.key",
            "-t",
            "plant/3/pin",
            "--trust",
            "trust.toml",
            "--to",
            "dash.pub",
        ],
        b"1234",
    )
    .ok();
}

// ---- 14 ---------------------------------------------------------------------------------

#[test]
fn open_without_state_warns_that_replays_are_not_caught() {
    let dir = Scratch::new("h-nostate");
    dir.keygen("ed25519", "sensor");
    dir.write("trust.toml", &trust_toml(&[("sensor", &["t"])], &[]));
    let envelope = dir
        .run(&["seal", "--key", "sensor.key", "-t", "t"], b"open valve")
        .ok();
    for _ in 0..2 {
        let run = dir.run(&["open", "--trust", "trust.toml", "-t", "t"], &envelope);
        assert!(
            run.stderr.contains("warning: no replay state is kept"),
            "{:?}",
            run.stderr
        );
        assert_eq!(run.ok(), b"open valve");
    }
    let run = dir.run(
        &["open", "--trust", "trust.toml", "-t", "t", "--state", "st"],
        &envelope,
    );
    assert!(run.stderr.is_empty(), "{:?}", run.stderr);
}

#[test]
fn not_for_me_without_key_does_not_make_the_retry_replayed() {
    let dir = Scratch::new("h-retry");
    dir.keygen("ed25519", "sensor");
    dir.keygen("x25519", "dash");
    dir.write("trust.toml", &trust_toml(&[("sensor", &["t"])], &[]));
    let envelope = dir
        .run(
            &["seal", "--key", "sensor.key", "-t", "t", "--to", "dash.pub"],
            b"secret",
        )
        .ok();
    let open = |extra: &[&str]| {
        let mut args = vec!["open", "--trust", "trust.toml", "-t", "t", "--state", "st"];
        args.extend_from_slice(extra);
        dir.run(&args, &envelope)
    };
    // Forgot --key: not for this receiver; nothing is recorded.
    open(&[]).fails(1, "rejected: not_for_me");
    assert_eq!(open(&["--key", "dash.key"]).ok(), b"secret");
    open(&["--key", "dash.key"]).fails(1, "rejected: replayed");
}

// ---- 20 ---------------------------------------------------------------------------------

#[test]
fn keepalive_below_5s_on_mqtt5_is_a_usage_error_not_a_panic() {
    let dir = Scratch::new("h-keepalive");
    let closed = free_port().unwrap().to_string();
    let closed = closed.as_str();
    dir.keygen("ed25519", "sensor");
    dir.write("trust.toml", &trust_toml(&[("sensor", &["#"])], &[]));
    for k in ["0", "1", "3", "4"] {
        let sub = dir.run(
            &[
                "sub",
                "-V",
                "5",
                "-k",
                k,
                "-p",
                closed,
                "-t",
                "x",
                "--trust",
                "trust.toml",
            ],
            b"",
        );
        sub.fails(2, "-k/--keepalive");
        assert!(!sub.stderr.contains("panicked"), "{}", sub.stderr);
        dir.run(
            &[
                "pub",
                "-V",
                "mqttv5",
                "-k",
                k,
                "-p",
                closed,
                "-t",
                "x",
                "-m",
                "1",
                "--key",
                "sensor.key",
            ],
            b"",
        )
        .fails(2, "-k/--keepalive");
    }
    // MQTT 3.1.1 takes short keep-alives (and 0, no keep-alive): it gets as far as connecting.
    dir.run(
        &[
            "pub",
            "-k",
            "1",
            "-p",
            closed,
            "-t",
            "x",
            "-m",
            "1",
            "--key",
            "sensor.key",
        ],
        b"",
    )
    .fails(5, "cannot connect");
}
