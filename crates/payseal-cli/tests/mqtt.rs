//! `payseal pub` / `payseal sub` through a Mosquitto started by the test (plain and TLS), and
//! the demo.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::time::{Duration, Instant};

use common::certs::make_certs;
use common::{Scratch, finish, spawn_sub, trust_toml};
use payseal_testkit::{Mosquitto, free_port};

#[test]
fn pub_and_sub_through_mosquitto_signed_encrypted_and_forged() {
    let broker = Mosquitto::start().expect("mosquitto must be installed (.ci/run installs it)");
    let port = broker.port().to_string();
    let dir = Scratch::new("pubsub");
    dir.keygen("ed25519", "sensor");
    dir.keygen("ed25519", "stranger");
    dir.keygen("x25519", "dash");
    dir.write(
        "trust.toml",
        &trust_toml(&[("sensor", &["plant/#"])], &["dash"]),
    );
    let conn = ["-h", "127.0.0.1", "-p", port.as_str()];

    let sub = spawn_sub(
        &dir,
        &[
            &conn[..],
            &[
                "-t",
                "plant/#",
                "--trust",
                "trust.toml",
                "-C",
                "4",
                "-W",
                "30",
                "-v",
            ],
        ]
        .concat(),
    );
    let publish = |extra: &[&str], stdin: &[u8]| {
        dir.run(
            &[&["pub"], &conn[..], &["-t", "plant/3/temp"], extra].concat(),
            stdin,
        )
    };
    publish(&["-m", "21.5", "--key", "sensor.key"], b"").ok();
    publish(&["-m", "forged", "--key", "stranger.key"], b"").ok();
    publish(
        &[
            "-m",
            "secret",
            "--key",
            "sensor.key",
            "--to",
            "dash.pub",
            "-q",
            "2",
        ],
        b"",
    )
    .ok();
    publish(
        &["-l", "--key", "sensor.key", "-q", "0", "-V", "5"],
        b"line one\nline two\n",
    )
    .ok();

    let (code, out, err) = finish(sub);
    assert_eq!(code, 0, "stderr: {err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 4, "{out}");
    for (line, payload) in lines.iter().zip(["21.5", "secret", "line one", "line two"]) {
        assert!(line.starts_with("plant/3/temp [sensor #"), "{line}");
        assert!(line.ends_with(payload), "{line} vs {payload}");
    }
    assert!(!out.contains("forged"));
    assert!(
        err.contains("rejected on plant/3/temp: unknown_sender"),
        "{err}"
    );
}

#[test]
fn sub_times_out_cleanly_and_unreachable_brokers_are_network_errors() {
    let broker = Mosquitto::start().expect("mosquitto must be installed (.ci/run installs it)");
    let dir = Scratch::new("timeout");
    dir.keygen("ed25519", "sensor");
    dir.write("trust.toml", &trust_toml(&[("sensor", &["#"])], &[]));
    let port = broker.port().to_string();
    let started = Instant::now();
    let run = dir.run(
        &[
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
        ],
        b"",
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(started.elapsed() < Duration::from_secs(15));

    let closed = free_port().unwrap().to_string();
    dir.run(
        &[
            "pub",
            "-h",
            "127.0.0.1",
            "-p",
            &closed,
            "-t",
            "x",
            "-m",
            "1",
            "--key",
            "sensor.key",
        ],
        b"",
    )
    .fails(5, "cannot connect to 127.0.0.1:");
    // Missing --key: clap's usage error, exit 2.
    assert_eq!(
        dir.run(&["pub", "-p", &port, "-t", "x", "-m", "1"], b"")
            .code,
        2
    );
}

#[test]
fn pub_and_sub_over_tls_with_cafile() {
    let dir = Scratch::new("tls");
    make_certs(&dir);
    let tls_port = free_port().unwrap();
    let d = dir.0.display();
    let broker = Mosquitto::start_with(&format!(
        "listener {tls_port} 127.0.0.1\ncertfile {d}/server.pem\nkeyfile {d}/server.key\n"
    ))
    .expect("mosquitto must be installed (.ci/run installs it)");
    dir.keygen("ed25519", "sensor");
    dir.write("trust.toml", &trust_toml(&[("sensor", &["plant/#"])], &[]));
    let port = tls_port.to_string();
    let conn = ["-h", "127.0.0.1", "-p", port.as_str(), "--cafile", "ca.pem"];
    let sub = spawn_sub(
        &dir,
        &[
            &conn[..],
            &[
                "-t",
                "plant/#",
                "--trust",
                "trust.toml",
                "-C",
                "1",
                "-W",
                "30",
            ],
        ]
        .concat(),
    );
    dir.run(
        &[
            &["pub"],
            &conn[..],
            &[
                "-t",
                "plant/1/temp",
                "-m",
                "over tls",
                "--key",
                "sensor.key",
            ],
        ]
        .concat(),
        b"",
    )
    .ok();
    let (code, out, err) = finish(sub);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, "over tls\n");

    // A CA that did not sign the broker's certificate: no connection.
    dir.run(
        &[
            "pub",
            "-h",
            "127.0.0.1",
            "-p",
            &port,
            "--cafile",
            "other.pem",
            "-t",
            "plant/1/temp",
            "-m",
            "x",
            "--key",
            "sensor.key",
        ],
        b"",
    )
    .fails(5, "cannot connect");
    drop(broker);
}

#[test]
fn the_demo_shows_every_attack_rejected() {
    let dir = Scratch::new("demo");
    let run = dir.run(&["demo", "--readings", "6"], b"");
    let out = run.stdout_text();
    assert_eq!(run.code, 0, "{out}\n{}", run.stderr);
    assert!(
        out.contains("| attacks rejected                     | 6 / 6"),
        "{out}"
    );
    assert!(
        out.contains("| readings delivered (encrypted)       | 6 / 6"),
        "{out}"
    );
    assert!(
        out.contains("| forgeries accepted                   | 0                          | 0"),
        "{out}"
    );
    assert!(out.contains("every attack was rejected"), "{out}");
}
