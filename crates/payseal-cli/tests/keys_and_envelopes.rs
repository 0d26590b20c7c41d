//! keygen -> seal -> open -> inspect, as a user runs them, and every documented failure.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{Scratch, trust_toml};

#[test]
fn round_trip_for_every_signature_algorithm() {
    for alg in ["ed25519", "p256", "k256"] {
        let dir = Scratch::new(&format!("roundtrip-{alg}"));
        let kid = dir.keygen(alg, "sensor");
        assert_eq!(kid.len(), 16, "kid {kid:?}");
        dir.write(
            "trust.toml",
            &trust_toml(&[("sensor", &["plant/+/temp"])], &[]),
        );
        let payload: Vec<u8> = (0..=255u8).collect(); // binary-safe: every byte value
        let envelope = dir
            .run(
                &["seal", "--key", "sensor.key", "--topic", "plant/3/temp"],
                &payload,
            )
            .ok();
        assert!(envelope.len() > payload.len());
        let opened = dir.run(
            &[
                "open",
                "--trust",
                "trust.toml",
                "--topic",
                "plant/3/temp",
                "-v",
            ],
            &envelope,
        );
        assert!(
            opened.stderr.contains("from sensor on plant/3/temp"),
            "{}",
            opened.stderr
        );
        assert_eq!(opened.ok(), payload, "{alg}");

        // The same envelope on another topic: the topic is signed.
        dir.run(
            &["open", "--trust", "trust.toml", "--topic", "plant/4/temp"],
            &envelope,
        )
        .fails(1, "rejected: bad_signature");
    }
}

#[test]
fn encrypted_to_two_recipients_and_not_to_a_third() {
    let dir = Scratch::new("encrypted");
    dir.keygen("ed25519", "sensor");
    for name in ["alice", "bob", "carol"] {
        dir.keygen("x25519", name);
    }
    let envelope = dir
        .run(
            &[
                "seal",
                "--key",
                "sensor.key",
                "-t",
                "plant/3/temp",
                "--to",
                "alice.pub",
                "--to",
                "bob.pub",
            ],
            b"21.5 C",
        )
        .ok();
    assert!(
        !envelope.windows(6).any(|w| w == b"21.5 C"),
        "plaintext visible"
    );
    dir.write("trust.toml", &trust_toml(&[("sensor", &["plant/#"])], &[]));
    for name in ["alice", "bob"] {
        let key = format!("{name}.key");
        let out = dir
            .run(
                &[
                    "open",
                    "--trust",
                    "trust.toml",
                    "-t",
                    "plant/3/temp",
                    "--key",
                    &key,
                ],
                &envelope,
            )
            .ok();
        assert_eq!(out, b"21.5 C");
    }
    dir.run(
        &[
            "open",
            "--trust",
            "trust.toml",
            "-t",
            "plant/3/temp",
            "--key",
            "carol.key",
        ],
        &envelope,
    )
    .fails(1, "rejected: not_for_me");
    // The trust file can hold the decryption key instead of the flag.
    dir.write(
        "alice.toml",
        &trust_toml(&[("sensor", &["plant/#"])], &["alice"]),
    );
    assert_eq!(
        dir.run(
            &["open", "--trust", "alice.toml", "-t", "plant/3/temp"],
            &envelope
        )
        .ok(),
        b"21.5 C"
    );

    let shown = dir.run(&["inspect"], &envelope).ok();
    let shown = String::from_utf8(shown).unwrap();
    assert!(
        shown.contains("COSE_Encrypt, content A128GCM (1)"),
        "{shown}"
    );
    assert_eq!(shown.matches("  recipient   kid ").count(), 2, "{shown}");
    assert!(shown.contains("HPKE-3-KE (49)"), "{shown}");
}

#[test]
fn inspect_shows_headers_and_diagnostic_notation() {
    let dir = Scratch::new("inspect");
    let kid = dir.keygen("ed25519", "sensor");
    let hex = dir
        .run(
            &[
                "seal",
                "--key",
                "sensor.key",
                "-t",
                "a/b",
                "--seq",
                "7",
                "--hex",
            ],
            b"hello",
        )
        .ok();
    let shown = dir.run(&["inspect", "--hex"], &hex).ok();
    let shown = String::from_utf8(shown).unwrap();
    for needle in [
        "NOT VERIFIED",
        "algorithm   Ed25519 (-19)",
        &format!("sender kid  {kid}"),
        "sequence    7",
        "signed, not encrypted: 5 bytes",
        "payload     \"hello\"",
        "signature   64 bytes",
        "18([<<{1: -19, 4: h'",
        "16: \"payseal/1\"",
    ] {
        assert!(shown.contains(needle), "{needle:?} missing in\n{shown}");
    }
    // The timestamp is shown as a date in this century.
    assert!(
        shown.contains("timestamp   ") && shown.contains("T") && shown.contains("Z\n"),
        "{shown}"
    );

    // Not an envelope: exit 3 and why.
    let not = dir.run(&["inspect"], b"\x83\x01\x02\x03");
    assert_eq!(not.code, 3);
    assert!(
        not.stderr
            .contains("not a valid payseal envelope: not_an_envelope"),
        "{}",
        not.stderr
    );
    assert!(not.stderr.contains("[1, 2, 3]"), "{}", not.stderr);
    let garbage = dir.run(&["inspect"], b"\xff\xff");
    assert_eq!(garbage.code, 3, "{}", garbage.stderr);
}

#[test]
fn key_files_have_the_right_modes_and_show_their_kid() {
    let dir = Scratch::new("keyshow");
    let kid = dir.keygen("p256", "sensor");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path("sensor.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    for file in ["sensor.key", "sensor.pub"] {
        let shown = String::from_utf8(dir.run(&["key", "show", file], b"").ok()).unwrap();
        assert!(shown.contains(&format!("kid        {kid}")), "{shown}");
        assert!(shown.contains("algorithm  p256"), "{shown}");
        assert!(shown.contains("{1: 2, "), "COSE_Key kty EC2 in {shown}");
        assert!(!shown.contains("PRIVATE"), "{shown}");
    }
    let public = dir
        .run(&["key", "show", "--public", "sensor.key"], b"")
        .ok();
    assert_eq!(public, std::fs::read(dir.path("sensor.pub")).unwrap());
    // Never overwrites a key.
    dir.run(&["keygen", "--alg", "ed25519", "--out", "sensor.key"], b"")
        .fails(4, "refusing to overwrite");
}

#[test]
fn bad_inputs_give_one_line_and_the_documented_exit_code() {
    let dir = Scratch::new("bad");
    dir.keygen("ed25519", "sensor");
    dir.keygen("x25519", "dash");
    dir.write(
        "corrupt.key",
        "-----BEGIN PRIVATE KEY-----\nnot base64 at all\n-----END PRIVATE KEY-----\n",
    );
    dir.write("trust.toml", &trust_toml(&[("sensor", &["t"])], &[]));
    let seal = |key: &str| dir.run(&["seal", "--key", key, "-t", "t"], b"x");

    seal("missing.key").fails(4, "cannot read 'missing.key'");
    seal("dash.key").fails(
        3,
        "is a X25519 private encryption key, but this needs a private signing key",
    );
    seal("sensor.pub").fails(
        3,
        "public signing key, but this needs a private signing key",
    );
    seal("corrupt.key").fails(3, "corrupt.key");
    dir.run(
        &[
            "seal",
            "--key",
            "sensor.key",
            "-t",
            "t",
            "--to",
            "sensor.pub",
        ],
        b"x",
    )
    .fails(3, "needs a public encryption key");
    dir.run(&["seal", "--key", "sensor.key", "-t", "a/+"], b"x")
        .fails(2, "topic");

    let mut envelope = dir
        .run(&["seal", "--key", "sensor.key", "-t", "t"], b"reading")
        .ok();
    let open = |bytes: &[u8]| dir.run(&["open", "--trust", "trust.toml", "-t", "t"], bytes);
    let last = envelope.len() - 1;
    envelope[last] ^= 1;
    open(&envelope).fails(1, "rejected: bad_signature");
    open(b"").fails(1, "rejected: not_an_envelope");
    open(b"plain text").fails(1, "rejected: not_an_envelope");
    dir.run(&["open", "--trust", "nope.toml", "-t", "t"], b"")
        .fails(4, "nope.toml: cannot read");

    dir.write(
        "broken.toml",
        "[[sender]]\npublic_key = \"sensor.pub\"\ntopics = [\"a/#/b\"]\n",
    );
    dir.run(&["open", "--trust", "broken.toml", "-t", "t"], b"")
        .fails(3, "broken.toml:3:");
    dir.write(
        "private.toml",
        "[[sender]]\npublic_key = \"sensor.key\"\ntopics = [\"t\"]\n",
    );
    dir.run(&["open", "--trust", "private.toml", "-t", "t"], b"")
        .fails(3, "private key");
    // A key file that cannot be read is I/O (4) wherever it is named, a trust file included.
    dir.write(
        "gone.toml",
        "[[sender]]\npublic_key = \"gone.pub\"\ntopics = [\"t\"]\n",
    );
    dir.run(&["open", "--trust", "gone.toml", "-t", "t"], b"")
        .fails(4, "cannot read key file");
    dir.run(
        &["open", "--trust", "trust.toml", "-t", "t", "--hex"],
        b"zz",
    )
    .fails(3, "not hex");
    // Usage errors come from clap: exit 2.
    assert_eq!(dir.run(&["seal"], b"").code, 2);
    assert_eq!(dir.run(&["frobnicate"], b"").code, 2);
}

#[test]
fn replays_are_caught_across_runs_with_a_state_directory() {
    let dir = Scratch::new("state");
    dir.keygen("ed25519", "sensor");
    dir.write("trust.toml", &trust_toml(&[("sensor", &["t"])], &[]));
    let envelope = dir
        .run(&["seal", "--key", "sensor.key", "-t", "t"], b"once")
        .ok();
    let open = || {
        dir.run(
            &[
                "open",
                "--trust",
                "trust.toml",
                "-t",
                "t",
                "--state",
                "replay",
            ],
            &envelope,
        )
    };
    assert_eq!(open().ok(), b"once");
    open().fails(1, "rejected: replayed");
    // Without the state directory each run starts afresh (documented).
    assert_eq!(
        dir.run(&["open", "--trust", "trust.toml", "-t", "t"], &envelope)
            .ok(),
        b"once"
    );
}

#[test]
fn help_has_examples_and_completions_generate() {
    let dir = Scratch::new("help");
    for args in [
        &["--help"][..],
        &["seal", "--help"],
        &["pub", "--help"],
        &["sub", "--help"],
        &["keygen", "--help"],
    ] {
        let out = String::from_utf8(dir.run(args, b"").ok()).unwrap();
        assert!(out.contains("Example"), "{args:?}:\n{out}");
    }
    let bash = String::from_utf8(dir.run(&["completions", "bash"], b"").ok()).unwrap();
    assert!(bash.contains("payseal"));
}

/// Issue 16 item 17: `inspect` showed every recipient of a COSE_Encrypt as "kid (none)": the
/// kid sits in the recipient's protected header, where it was not looked for.
#[test]
fn inspect_shows_the_real_recipient_kids() {
    let dir = Scratch::new("inspect-kids");
    dir.keygen("ed25519", "sensor");
    let alice = dir.keygen("x25519", "alice");
    let bob = dir.keygen("x25519", "bob");
    let envelope = dir
        .run(
            &[
                "seal",
                "--key",
                "sensor.key",
                "-t",
                "plant/3/temp",
                "--to",
                "alice.pub",
                "--to",
                "bob.pub",
            ],
            b"21.5 C",
        )
        .ok();
    let shown = String::from_utf8(dir.run(&["inspect"], &envelope).ok()).unwrap();
    assert!(!shown.contains("(none)"), "{shown}");
    assert!(
        shown.contains(&format!("  recipient   kid {alice}, ")),
        "{shown}"
    );
    assert!(
        shown.contains(&format!("  recipient   kid {bob}, ")),
        "{shown}"
    );
}
