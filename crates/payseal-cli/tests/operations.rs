//! Operating `payseal sub`/`pub` (issue 20): mutual TLS to the broker, JSON lines, Prometheus
//! metrics and the quarantine of refused messages, each against a Mosquitto started here.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::certs::{make_certs, make_client_cert};
use common::{Scratch, finish, spawn_sub, trust_toml};
use payseal_testkit::{Mosquitto, free_port};
use serde_json::Value;

fn mosquitto() -> Mosquitto {
    Mosquitto::start().expect("mosquitto must be installed (.ci/run installs it)")
}

/// Publishes raw bytes with a plain MQTT client (no payseal): what anyone with broker
/// access can send.
fn publish_raw(port: u16, topic: &str, payloads: &[Vec<u8>]) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    for (n, payload) in payloads.iter().enumerate() {
        runtime
            .block_on(payseal_testkit::plain::publish(
                port,
                &format!("raw-{n}"),
                topic,
                payload,
            ))
            .unwrap();
    }
}

fn pub_args<'a>(port: &'a str, topic: &'a str) -> Vec<&'a str> {
    vec!["pub", "-h", "127.0.0.1", "-p", port, "-t", topic]
}

#[test]
fn mutual_tls_with_a_client_certificate_and_exit_5_without_a_good_one() {
    let dir = Scratch::new("mtls");
    make_certs(&dir);
    make_client_cert(&dir, "ca", "client", "sensor-7");
    // Signed by a CA the broker does not trust.
    make_client_cert(&dir, "other", "stranger", "sensor-7");
    let tls_port = free_port().unwrap();
    let d = dir.0.display();
    let _broker = Mosquitto::start_with(&format!(
        "listener {tls_port} 127.0.0.1\ncafile {d}/ca.pem\ncertfile {d}/server.pem\nkeyfile {d}/server.key\nrequire_certificate true\n"
    ))
    .expect("mosquitto must be installed (.ci/run installs it)");
    dir.keygen("ed25519", "sensor");
    dir.write("trust.toml", &trust_toml(&[("sensor", &["plant/#"])], &[]));
    let port = tls_port.to_string();
    let mtls = [
        "-h",
        "127.0.0.1",
        "-p",
        port.as_str(),
        "--cafile",
        "ca.pem",
        "--tls-cert",
        "client.pem",
        "--tls-key",
        "client.key",
    ];
    let sub = spawn_sub(
        &dir,
        &[
            &mtls[..],
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
    let message = ["-t", "plant/1/temp", "-m", "mutual", "--key", "sensor.key"];
    dir.run(&[&["pub"], &mtls[..], &message[..]].concat(), b"")
        .ok();
    let (code, out, err) = finish(sub);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, "mutual\n");

    let tls = ["-h", "127.0.0.1", "-p", port.as_str(), "--cafile", "ca.pem"];
    // No client certificate: the broker closes the connection.
    dir.run(&[&["pub"], &tls[..], &message[..]].concat(), b"")
        .fails(5, "cannot connect");
    // A client certificate from another CA.
    let wrong = ["--tls-cert", "stranger.pem", "--tls-key", "stranger.key"];
    dir.run(
        &[&["pub"], &tls[..], &wrong[..], &message[..]].concat(),
        b"",
    )
    .fails(5, "cannot connect");
    // A certificate with the wrong key: refused before connecting.
    let mismatched = ["--tls-cert", "client.pem", "--tls-key", "stranger.key"];
    dir.run(
        &[&["pub"], &tls[..], &mismatched[..], &message[..]].concat(),
        b"",
    )
    .fails(3, "do not make a client certificate");
    // A key file that holds no key.
    let no_key = ["--tls-cert", "client.pem", "--tls-key", "client.pem"];
    dir.run(
        &[&["pub"], &tls[..], &no_key[..], &message[..]].concat(),
        b"",
    )
    .fails(3, "holds no PEM private key");
    // Usage: a client certificate needs --cafile and its key.
    let plain = ["-h", "127.0.0.1", "-p", port.as_str()];
    let without_ca = ["--tls-cert", "client.pem", "--tls-key", "client.key"];
    assert_eq!(
        dir.run(
            &[&["pub"], &plain[..], &without_ca[..], &message[..]].concat(),
            b""
        )
        .code,
        2
    );
    let without_key = ["--cafile", "ca.pem", "--tls-cert", "client.pem"];
    assert_eq!(
        dir.run(
            &[&["pub"], &plain[..], &without_key[..], &message[..]].concat(),
            b""
        )
        .code,
        2
    );
}

fn json_lines(text: &str) -> Vec<Value> {
    text.lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{line:?}: {e}")))
        .collect()
}

#[test]
fn sub_json_writes_one_object_per_line_for_messages_and_rejections() {
    let broker = mosquitto();
    let port = broker.port().to_string();
    let dir = Scratch::new("subjson");
    let kid = dir.keygen("ed25519", "sensor");
    dir.keygen("ed25519", "stranger");
    dir.keygen("x25519", "dash");
    dir.write(
        "trust.toml",
        &trust_toml(&[("sensor", &["plant/#"])], &["dash"]),
    );
    std::fs::write(dir.path("binary"), [0xff, 0x00, 0x01]).unwrap();
    let sub = spawn_sub(
        &dir,
        &[
            "-h",
            "127.0.0.1",
            "-p",
            &port,
            "-t",
            "plant/#",
            "--trust",
            "trust.toml",
            "--json",
            "-C",
            "3",
            "-W",
            "30",
        ],
    );
    let publish = |extra: &[&str]| {
        dir.run(&[&pub_args(&port, "plant/3/temp")[..], extra].concat(), b"")
            .ok();
    };
    publish(&["-m", "21.5 °C", "--key", "sensor.key"]);
    publish(&["-m", "forged\u{1b}[2J", "--key", "stranger.key"]);
    publish(&["-f", "binary", "--key", "sensor.key"]);
    publish(&["-m", "secret", "--key", "sensor.key", "--to", "dash.pub"]);
    let (code, out, err) = finish(sub);
    assert_eq!(code, 0, "{err}");
    assert!(!out.contains('\u{1b}'));
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 4, "{out}");

    let first = &lines[0];
    assert_eq!(first["type"], "message");
    assert_eq!(first["topic"], "plant/3/temp");
    assert_eq!(first["sender"], "sensor");
    assert_eq!(first["kid"], kid.as_str());
    assert!(first["seq"].as_u64().unwrap() > 0);
    assert!(first["timestamp"].as_u64().unwrap() > 1_700_000_000);
    assert_eq!(first["encryption"], "none");
    assert_eq!(first["payload"], "21.5 °C");
    assert_eq!(first["payload_encoding"], "utf8");
    assert_eq!(first["qos"], 1);

    assert_eq!(lines[1]["type"], "rejected");
    assert_eq!(lines[1]["reason"], "unknown_sender");
    assert_eq!(lines[1]["topic"], "plant/3/temp");
    assert!(lines[1].get("payload").is_none(), "{}", lines[1]);

    assert_eq!(lines[2]["payload"], "/wAB");
    assert_eq!(lines[2]["payload_encoding"], "base64");

    assert_eq!(lines[3]["encryption"], "hpke");
    assert_eq!(lines[3]["payload"], "secret");
    // The seq of each sender's messages increases.
    assert!(lines[3]["seq"].as_u64() > first["seq"].as_u64());
}

#[test]
fn inspect_json_shows_headers_and_recipients_without_verifying() {
    let dir = Scratch::new("inspectjson");
    let kid = dir.keygen("ed25519", "sensor");
    let a = dir.keygen("x25519", "a");
    let b = dir.keygen("x25519", "b");
    let signed = dir
        .run(
            &[
                "seal",
                "--key",
                "sensor.key",
                "--topic",
                "t/1",
                "--seq",
                "42",
            ],
            b"hello",
        )
        .ok();
    let run = dir.run(&["inspect", "--json"], &signed);
    let out = run.stdout_text();
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(out.lines().count(), 1, "{out}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["verified"], false);
    assert_eq!(v["structure"], "COSE_Sign1");
    assert_eq!(v["kid"], kid.as_str());
    assert_eq!(v["seq"], 42);
    assert_eq!(v["encrypted"], false);
    assert_eq!(v["payload"], "hello");
    assert_eq!(v["payload_encoding"], "utf8");

    let sealed = dir
        .run(
            &[
                "seal",
                "--key",
                "sensor.key",
                "--topic",
                "t/1",
                "--to",
                "a.pub",
                "--to",
                "b.pub",
            ],
            b"secret",
        )
        .ok();
    let run = dir.run(&["inspect", "--json"], &sealed);
    let v: Value = serde_json::from_str(&run.stdout_text()).unwrap();
    assert_eq!(v["encrypted"], true);
    assert!(v.get("payload").is_none());
    assert_eq!(v["encryption"]["structure"], "COSE_Encrypt");
    let kids: Vec<&str> = v["encryption"]["recipients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["kid"].as_str().unwrap())
        .collect();
    assert_eq!(kids, [a.as_str(), b.as_str()]);

    dir.run(&["inspect", "--json"], b"not an envelope")
        .fails(3, "not a valid payseal envelope");
}

/// `GET /metrics` on `addr`: the Prometheus text.
fn scrape(addr: &str) -> String {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .write_all(b"GET /metrics HTTP/1.0\r\nHost: test\r\n\r\n")
        .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(
        response.starts_with("HTTP/1.0 200") || response.starts_with("HTTP/1.1 200"),
        "{response}"
    );
    response
}

/// The value of the sample `name` (with its labels, as printed), if present.
fn sample(text: &str, name: &str) -> Option<f64> {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .find_map(|line| {
            line.strip_prefix(name)?
                .strip_prefix(' ')?
                .trim()
                .parse()
                .ok()
        })
}

fn spawn(dir: &Scratch, args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_payseal"))
        .args(args)
        .current_dir(&dir.0)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

#[test]
fn sub_metrics_count_every_event_exactly() {
    let broker = mosquitto();
    let port = broker.port().to_string();
    let dir = Scratch::new("metrics");
    dir.keygen("ed25519", "sensor");
    dir.keygen("ed25519", "stranger");
    dir.keygen("x25519", "dash");
    dir.keygen("x25519", "other");
    dir.write(
        "trust.toml",
        &trust_toml(&[("sensor", &["plant/#"])], &["dash"]),
    );
    let metrics = format!("127.0.0.1:{}", free_port().unwrap());
    let mut sub = spawn(
        &dir,
        &[
            "sub",
            "-h",
            "127.0.0.1",
            "-p",
            &port,
            "-t",
            "plant/#",
            "--trust",
            "trust.toml",
            "--metrics",
            &metrics,
            "-W",
            "120",
        ],
    );
    std::thread::sleep(Duration::from_millis(1500));
    let before = scrape(&metrics);
    assert_eq!(
        sample(&before, "payseal_messages_accepted_total"),
        Some(0.0),
        "{before}"
    );

    // One envelope delivered twice by a plain client: accepted once, then a duplicate.
    let envelope = dir
        .run(
            &["seal", "--key", "sensor.key", "--topic", "plant/1/t"],
            b"once",
        )
        .ok();
    publish_raw(broker.port(), "plant/1/t", &[envelope.clone(), envelope]);
    // Two good messages.
    let publish = |extra: &[&str]| {
        dir.run(&[&pub_args(&port, "plant/1/t")[..], extra].concat(), b"")
            .ok();
    };
    publish(&["-m", "a", "--key", "sensor.key"]);
    publish(&["-m", "b", "--key", "sensor.key"]);
    // Hostile: a forgery, three junk payloads, and one encrypted to someone else.
    publish(&["-m", "forged", "--key", "stranger.key"]);
    publish_raw(
        broker.port(),
        "plant/1/t",
        &[b"junk".to_vec(), vec![0xff; 2], vec![0xff; 40]],
    );
    publish(&["-m", "theirs", "--key", "sensor.key", "--to", "other.pub"]);

    // 9 messages in all: wait until each has been judged.
    let deadline = Instant::now() + Duration::from_secs(30);
    let text = loop {
        let text = scrape(&metrics);
        if sample(&text, "payseal_verify_seconds_count") == Some(9.0) {
            break text;
        }
        assert!(
            Instant::now() < deadline,
            "not every message was counted:\n{text}"
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    sub.kill().unwrap();
    let (_, _, err) = finish(sub);
    let counts = [
        ("payseal_messages_accepted_total", 3.0),
        ("payseal_messages_duplicate_total", 1.0),
        (
            "payseal_messages_rejected_total{reason=\"unknown_sender\"}",
            1.0,
        ),
        (
            "payseal_messages_rejected_total{reason=\"not_an_envelope\"}",
            3.0,
        ),
        (
            "payseal_messages_rejected_total{reason=\"not_for_me\"}",
            1.0,
        ),
        ("payseal_messages_not_for_me_total", 1.0),
        ("payseal_store_outages_total", 0.0),
        ("payseal_verify_seconds_count", 9.0),
    ];
    for (name, value) in counts {
        assert_eq!(
            sample(&text, name),
            Some(value),
            "{name} in:\n{text}\nstderr: {err}"
        );
    }
    // No other reason was counted.
    let reasons = text
        .lines()
        .filter(|l| l.starts_with("payseal_messages_rejected_total{"))
        .count();
    assert_eq!(reasons, 3, "{text}");
    assert!(text.contains("payseal_verify_seconds_bucket{le="), "{text}");

    // An address already in use: the listener cannot start (exit 4).
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let taken = taken.local_addr().unwrap().to_string();
    dir.run(
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
            "--metrics",
            &taken,
            "-W",
            "1",
        ],
        b"",
    )
    .fails(4, "cannot serve metrics");
}

fn dir_size(dir: &std::path::Path) -> (u64, usize) {
    let entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let size = entries.iter().map(|e| e.metadata().unwrap().len()).sum();
    (size, entries.len())
}

#[test]
fn quarantine_keeps_rejected_bytes_within_its_bound_under_a_flood() {
    let broker = mosquitto();
    let port = broker.port().to_string();
    let dir = Scratch::new("quarantine");
    dir.keygen("ed25519", "sensor");
    dir.keygen("ed25519", "stranger");
    dir.write("trust.toml", &trust_toml(&[("sensor", &["plant/#"])], &[]));
    let (max_bytes, files) = (8192u64, 3u64);
    let sub = spawn_sub(
        &dir,
        &[
            "-h",
            "127.0.0.1",
            "-p",
            &port,
            "-t",
            "plant/#",
            "--trust",
            "trust.toml",
            "--quarantine",
            "q",
            "--quarantine-max-bytes",
            "8192",
            "--quarantine-files",
            "3",
            "-C",
            "1",
            "-W",
            "60",
        ],
    );
    // A forgery first, then a flood of junk, then one good message that ends the run.
    dir.run(
        &[
            &pub_args(&port, "plant/2/t")[..],
            &["-m", "forged", "--key", "stranger.key"],
        ]
        .concat(),
        b"",
    )
    .ok();
    let flood: Vec<Vec<u8>> = (0..400u32)
        .map(|n| {
            let mut junk = n.to_be_bytes().to_vec();
            junk.extend([0xffu8; 200]);
            junk
        })
        .collect();
    publish_raw(broker.port(), "plant/2/junk", &flood);
    dir.run(
        &[
            &pub_args(&port, "plant/2/t")[..],
            &["-m", "done", "--key", "sensor.key"],
        ]
        .concat(),
        b"",
    )
    .ok();
    let (code, out, err) = finish(sub);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, "done\n");

    let q = dir.path("q");
    let (size, count) = dir_size(&q);
    assert!(size <= max_bytes * files, "{size} bytes in {count} files");
    assert_eq!(count, 3);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&q).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700);
        for entry in std::fs::read_dir(&q).unwrap() {
            let mode = entry.unwrap().metadata().unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
    // The newest file holds the end of the flood, bytes intact.
    use base64::Engine;
    let log = std::fs::read_to_string(q.join("rejected.jsonl")).unwrap();
    let records = json_lines(&log);
    let last = records
        .iter()
        .find(|r| {
            r["payload"].as_str().is_some_and(|p| {
                base64::engine::general_purpose::STANDARD.decode(p).unwrap() == flood[399]
            })
        })
        .unwrap_or_else(|| panic!("the flood's last message is not in the newest file:\n{log}"));
    assert_eq!(last["topic"], "plant/2/junk");
    assert_eq!(last["reason"], "not_an_envelope");
    assert_eq!(last["payload_encoding"], "base64");
    assert_eq!(last["payload_len"], 204);
    assert!(last["time"].as_u64().unwrap() > 1_700_000_000);

    // A quarantine directory others can write into is refused (exit 4).
    std::fs::create_dir(dir.path("open")).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir.path("open"), std::fs::Permissions::from_mode(0o777)).unwrap();
        dir.run(
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
                "--quarantine",
                "open",
                "-W",
                "1",
            ],
            b"",
        )
        .fails(4, "quarantine");
    }
}
