//! The MAC mode (spec/mac.md) through the `payseal` binary: MAC secrets and sender keys from
//! `keygen`, `[[mac_sender]]` trust entries, seal/open, and pub/sub through a Mosquitto the
//! test starts.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{Scratch, finish, mac_trust_toml, spawn_sub};
use payseal_testkit::Mosquitto;

/// `keygen --alg ALG --out NAME.secret`: a MAC secret.
fn secret(dir: &Scratch, alg: &str, name: &str) -> common::Run {
    dir.run(
        &["keygen", "--alg", alg, "--out", &format!("{name}.secret")],
        b"",
    )
}

/// `keygen --alg hmac --secret SECRET.secret --kid KID --out KID.key`: a sender key; its kid.
fn sender_key(dir: &Scratch, secret: &str, kid: &str) -> String {
    let out = dir
        .run(
            &[
                "keygen",
                "--alg",
                "hmac",
                "--secret",
                &format!("{secret}.secret"),
                "--kid",
                kid,
                "--out",
                &format!("{kid}.key"),
            ],
            b"",
        )
        .ok();
    String::from_utf8(out).unwrap().trim().to_owned()
}

/// A sender key file claiming `kid` but holding a key not derived from the receivers' secret:
/// whoever lacks the secret can only guess.
fn forged_key(dir: &Scratch, alg: &str, kid: &str) {
    dir.write(
        "forged.key",
        &format!(
            "payseal mac sender key v1\nalg {alg}\nkid {}\nkey {}\n",
            hex::encode(kid),
            "42".repeat(32)
        ),
    );
}

#[cfg(unix)]
fn mode(dir: &Scratch, file: &str) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(dir.path(file))
        .unwrap()
        .permissions()
        .mode()
        & 0o777
}

#[test]
fn mac_keygen_writes_secret_files_0600_and_never_prints_them() {
    let dir = Scratch::new("mac-keygen");
    let run = secret(&dir, "hmac-256-64", "plant");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.is_empty(), "a secret has no kid to print");
    let text = std::fs::read_to_string(dir.path("plant.secret")).unwrap();
    assert!(
        text.starts_with("payseal mac secret v1\nalg hmac256-64\nsecret "),
        "{text}"
    );
    let secret_hex = text
        .lines()
        .nth(2)
        .unwrap()
        .strip_prefix("secret ")
        .unwrap();
    assert_eq!(secret_hex.len(), 64);
    assert!(!run.stderr.contains(secret_hex), "{}", run.stderr);
    #[cfg(unix)]
    assert_eq!(mode(&dir, "plant.secret"), 0o600);
    assert!(!dir.path("plant.pub").exists());

    // A sender key derived for a kid: its kid is printed, its key bytes are not.
    let kid = sender_key(&dir, "plant", "sensor-7");
    assert_eq!(kid, hex::encode("sensor-7"));
    let key_text = std::fs::read_to_string(dir.path("sensor-7.key")).unwrap();
    let key_hex = key_text
        .lines()
        .nth(3)
        .unwrap()
        .strip_prefix("key ")
        .unwrap();
    assert_eq!(key_hex.len(), 64);
    assert_ne!(key_hex, secret_hex);
    #[cfg(unix)]
    assert_eq!(mode(&dir, "sensor-7.key"), 0o600);

    // `hmac` alone makes an HMAC 256/256 secret; a sender key must use its secret's alg.
    secret(&dir, "hmac", "wide").ok();
    let wide = std::fs::read_to_string(dir.path("wide.secret")).unwrap();
    assert!(wide.contains("\nalg hmac256\n"), "{wide}");
    dir.run(
        &[
            "keygen",
            "--alg",
            "hmac-256-256",
            "--secret",
            "plant.secret",
            "--kid",
            "s",
            "--out",
            "s.key",
        ],
        b"",
    )
    .fails(2, "is a HMAC 256/64 secret");
    // Never overwritten.
    secret(&dir, "hmac-256-64", "plant").fails(4, "refusing to overwrite");
    assert_eq!(
        std::fs::read_to_string(dir.path("plant.secret")).unwrap(),
        text
    );
    // A MAC secret is not a signing key, and --kid is not for signing keys.
    dir.run(&["key", "show", "plant.secret"], b"")
        .fails(3, "is a MAC key file");
    dir.keygen("ed25519", "signer");
    dir.run(
        &["seal", "--key", "signer.key", "--kid", "x", "--topic", "t"],
        b"x",
    )
    .fails(2, "--kid is for MAC secrets");
}

#[test]
fn mac_seal_open_round_trips_and_a_forged_tag_is_bad_signature() {
    for (alg, name) in [("hmac-256-64", "hmac256-64"), ("hmac-256-256", "hmac256")] {
        let dir = Scratch::new(&format!("mac-seal-{alg}"));
        secret(&dir, alg, "plant").ok();
        sender_key(&dir, "plant", "sensor-7");
        dir.write(
            "trust.toml",
            &mac_trust_toml(&[("sensor-7", "plant.secret", &["plant/7/#"])]),
        );
        let seal = |args: &[&str]| {
            dir.run(
                &[&["seal", "--topic", "plant/7/temp"], args].concat(),
                b"21.5",
            )
            .ok()
        };
        let open = |envelope: &[u8]| {
            dir.run(
                &[
                    "open",
                    "--trust",
                    "trust.toml",
                    "--topic",
                    "plant/7/temp",
                    "-v",
                ],
                envelope,
            )
        };

        // The sender's own derived key, and (a pairwise secret) the secret with the kid.
        let envelope = seal(&["--key", "sensor-7.key"]);
        assert_eq!(envelope.first(), Some(&0xd1), "tag 17, COSE_Mac0");
        let run = open(&envelope);
        assert_eq!(run.stdout, b"21.5", "{alg}: {}", run.stderr);
        assert!(
            run.stderr.contains("verified: from sensor-7"),
            "{}",
            run.stderr
        );
        assert!(run.stderr.contains("MAC-stamped"), "{}", run.stderr);
        let from_secret = seal(&["--key", "plant.secret", "--kid", "sensor-7"]);
        assert_eq!(open(&from_secret).ok(), b"21.5");

        // The same envelope on another topic, or with a tag byte flipped.
        dir.run(
            &["open", "--trust", "trust.toml", "--topic", "plant/7/hum"],
            &envelope,
        )
        .fails(1, "rejected: bad_signature");
        let mut flipped = envelope.clone();
        *flipped.last_mut().unwrap() ^= 1;
        open(&flipped).fails(1, "rejected: bad_signature");

        // A sender without the secret, claiming sensor-7's kid.
        forged_key(&dir, name, "sensor-7");
        open(&seal(&["--key", "forged.key"])).fails(1, "rejected: bad_signature");
        // A sender the trust file does not know, though derived from the same secret.
        sender_key(&dir, "plant", "sensor-8");
        open(&seal(&["--key", "sensor-8.key"])).fails(1, "rejected: unknown_sender");
    }
}

#[test]
fn mac_pub_and_sub_through_mosquitto() {
    let broker = Mosquitto::start().expect("mosquitto must be installed (.ci/run installs it)");
    let port = broker.port().to_string();
    let dir = Scratch::new("mac-pubsub");
    secret(&dir, "hmac-256-64", "plant").ok();
    secret(&dir, "hmac-256-256", "yard").ok();
    sender_key(&dir, "plant", "sensor-7");
    sender_key(&dir, "yard", "gate-1");
    dir.write(
        "trust.toml",
        &mac_trust_toml(&[
            ("sensor-7", "plant.secret", &["plant/#"]),
            ("gate-1", "yard.secret", &["yard/#"]),
        ]),
    );
    let conn = ["-h", "127.0.0.1", "-p", port.as_str()];
    let sub = spawn_sub(
        &dir,
        &[
            &conn[..],
            &[
                "-t",
                "plant/#",
                "-t",
                "yard/#",
                "--trust",
                "trust.toml",
                "-C",
                "2",
                "-W",
                "30",
                "-v",
            ],
        ]
        .concat(),
    );
    let publish = |topic: &str, message: &str, key: &str| {
        dir.run(
            &[
                &["pub"],
                &conn[..],
                &["-t", topic, "-m", message, "--key", key],
            ]
            .concat(),
            b"",
        )
        .ok()
    };
    forged_key(&dir, "hmac256-64", "sensor-7");
    publish("plant/7/temp", "forged", "forged.key");
    // gate-1 is not allowed on plant/#.
    publish("plant/7/temp", "moved", "gate-1.key");
    publish("plant/7/temp", "21.5", "sensor-7.key");
    publish("yard/gate", "open", "gate-1.key");

    let (code, out, err) = finish(sub);
    assert_eq!(code, 0, "stderr: {err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert!(lines[0].starts_with("plant/7/temp [sensor-7 #"), "{out}");
    assert!(lines[0].ends_with("] 21.5"), "{out}");
    assert!(lines[1].starts_with("yard/gate [gate-1 #"), "{out}");
    assert!(lines[1].ends_with("] open"), "{out}");
    assert!(!out.contains("forged") && !out.contains("moved"), "{out}");
    assert!(
        err.contains("rejected on plant/7/temp: bad_signature"),
        "{err}"
    );
    assert!(
        err.contains("rejected on plant/7/temp: topic_not_authorized"),
        "{err}"
    );
}
