//! Certificate senders (`[[ca]]`, `seal`/`pub --cert`, `ca revoke`), group keys (`[[group]]`)
//! and `trust check`, through the `payseal` binary and a Mosquitto started by the test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{Scratch, finish, spawn_sub};
use payseal_testkit::Mosquitto;

fn mosquitto() -> Mosquitto {
    Mosquitto::start().expect("mosquitto must be installed (.ci/run installs it)")
}

/// A development CA, a sensor key and its certificate for `plant/7/#`, an empty deny list,
/// and a trust file with a `[[ca]]` entry for them (plus `extra` lines).
fn pki(dir: &Scratch, extra: &str) {
    dir.run(&["ca", "init", "--out", "dev-ca"], b"").ok();
    dir.keygen("ed25519", "sensor");
    dir.run(
        &[
            "ca",
            "issue",
            "--ca",
            "dev-ca",
            "--key",
            "sensor.pub",
            "--cn",
            "sensor-7",
            "--topic",
            "plant/7/#",
            "--out",
            "sensor.pem",
        ],
        b"",
    )
    .ok();
    dir.write("revoked.txt", "");
    dir.write(
        "trust.toml",
        &format!(
            "[[ca]]\nname = \"dev\"\nroots = [\"dev-ca.pem\"]\ndeny_list = \"revoked.txt\"\n{extra}"
        ),
    );
}

fn sub_args<'a>(port: &'a str, count: &'a str, secs: &'a str) -> Vec<&'a str> {
    vec![
        "-h",
        "127.0.0.1",
        "-p",
        port,
        "-t",
        "plant/#",
        "--trust",
        "trust.toml",
        "-C",
        count,
        "-W",
        secs,
        "-v",
    ]
}

#[test]
fn certificate_senders_are_accepted_until_revoked() {
    let broker = mosquitto();
    let port = broker.port().to_string();
    let dir = Scratch::new("pki-cert");
    pki(&dir, "");
    let publish = |topic: &str, message: &str| {
        dir.run(
            &[
                "pub",
                "-h",
                "127.0.0.1",
                "-p",
                &port,
                "-t",
                topic,
                "-m",
                message,
                "--key",
                "sensor.key",
                "--cert",
                "sensor.pem",
            ],
            b"",
        )
        .ok();
    };

    let sub = spawn_sub(&dir, &sub_args(&port, "1", "30"));
    // Outside the certificate's topics first: refused, then the good one.
    publish("plant/8/temp", "elsewhere");
    publish("plant/7/temp", "21.5");
    let (code, out, err) = finish(sub);
    assert_eq!(code, 0, "stderr: {err}");
    assert!(out.starts_with("plant/7/temp [CN=sensor-7 #"), "{out}");
    assert!(out.trim_end().ends_with("] 21.5"), "{out}");
    assert!(!out.contains("elsewhere"), "{out}");
    assert!(
        err.contains("rejected on plant/8/temp: topic_not_authorized"),
        "{err}"
    );

    // `open` agrees, and names the subject with -v.
    let envelope = dir
        .run(
            &[
                "seal",
                "--key",
                "sensor.key",
                "--cert",
                "sensor.pem",
                "--topic",
                "plant/7/temp",
            ],
            b"22.0",
        )
        .ok();
    let opened = dir.run(
        &[
            "open",
            "--trust",
            "trust.toml",
            "--topic",
            "plant/7/temp",
            "-v",
        ],
        &envelope,
    );
    assert_eq!(opened.stdout, b"22.0", "{}", opened.stderr);
    assert!(
        opened.stderr.contains("from CN=sensor-7 on plant/7/temp"),
        "{}",
        opened.stderr
    );

    // Revoked: the deny list gains the certificate's thumbprint...
    let thumbprint = dir
        .run(
            &[
                "ca",
                "revoke",
                "--cert",
                "sensor.pem",
                "--deny-list",
                "revoked.txt",
            ],
            b"",
        )
        .ok();
    let thumbprint = String::from_utf8(thumbprint).unwrap();
    assert!(thumbprint.starts_with("sha256:"), "{thumbprint}");
    let list = std::fs::read_to_string(dir.path("revoked.txt")).unwrap();
    assert!(list.contains(thumbprint.trim()), "{list}");
    assert!(list.starts_with("# CN=sensor-7, serial "), "{list}");

    // ... and the same envelope, and new messages, are refused: exit 1 with the reason.
    dir.run(
        &["open", "--trust", "trust.toml", "--topic", "plant/7/temp"],
        &envelope,
    )
    .fails(1, "certificate_revoked");
    let sub = spawn_sub(&dir, &sub_args(&port, "1", "4"));
    publish("plant/7/temp", "after revocation");
    let (code, out, err) = finish(sub);
    assert_eq!(code, 27, "stdout: {out} stderr: {err}");
    assert!(out.is_empty(), "{out}");
    assert!(
        err.contains("rejected on plant/7/temp: certificate_revoked"),
        "{err}"
    );
}

#[test]
fn certificate_failure_paths() {
    let dir = Scratch::new("pki-fail");
    pki(&dir, "chains = [\"sensor.pem\"]\n");
    let seal = |args: &[&str]| {
        dir.run(
            &[&["seal", "--topic", "plant/7/temp"], args].concat(),
            b"21.5",
        )
    };
    // x5t: the receiver has the chain registered.
    let by_thumbprint = seal(&["--key", "sensor.key", "--cert", "sensor.pem", "--x5t"]).ok();
    let open = |envelope: &[u8], trust: &str| {
        dir.run(
            &["open", "--trust", trust, "--topic", "plant/7/temp"],
            envelope,
        )
    };
    assert_eq!(open(&by_thumbprint, "trust.toml").ok(), b"21.5");
    // Without the chain registered, a thumbprint names nothing.
    dir.write("nochain.toml", "[[ca]]\nroots = [\"dev-ca.pem\"]\n");
    open(&by_thumbprint, "nochain.toml").fails(1, "certificate_invalid");
    // Another CA: unknown_ca.
    // (A CA of the same name would be found as the issuer, and its signature fail to verify:
    // certificate_invalid.)
    dir.run(
        &["ca", "init", "--out", "other-ca", "--name", "other CA"],
        b"",
    )
    .ok();
    dir.write("other.toml", "[[ca]]\nroots = [\"other-ca.pem\"]\n");
    let chain = seal(&["--key", "sensor.key", "--cert", "sensor.pem"]).ok();
    open(&chain, "other.toml").fails(1, "unknown_ca");
    // A certificate for another key than --key is refused when sealing.
    dir.keygen("ed25519", "stranger");
    seal(&["--key", "stranger.key", "--cert", "sensor.pem"])
        .fails(3, "certifies another key than --key");
    seal(&["--key", "sensor.key", "--cert", "missing.pem"]).fails(4, "missing.pem");
    assert_eq!(
        seal(&["--key", "sensor.key", "--x5t"]).code,
        2,
        "--x5t needs --cert"
    );
    // A malformed deny list: a located error when the opener is built.
    dir.write("revoked.txt", "sha256:nothex\n");
    let bad = open(&chain, "trust.toml");
    bad.fails(3, "trust.toml:4:13: dev: deny_list");
}

#[test]
fn group_keys_from_the_trust_file_through_mosquitto() {
    let broker = mosquitto();
    let port = broker.port().to_string();
    let dir = Scratch::new("pki-group");
    dir.keygen("ed25519", "sensor");
    dir.write("plant.group", "00112233445566778899aabbccddeeff\n");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let private = std::fs::Permissions::from_mode(0o600);
        std::fs::set_permissions(dir.path("plant.group"), private).unwrap();
    }
    let trust = "[[sender]]\nname = \"sensor\"\npublic_key = \"sensor.pub\"\ntopics = [\"plant/#\"]\n\n\
                 [decrypt]\nrequire_encryption = [\"plant/#\"]\n\n\
                 [[group]]\nname = \"plant\"\nkid = \"plant-2026\"\nsecret = \"plant.group\"\ntopics = [\"plant/#\"]\n";
    dir.write("trust.toml", trust);

    let sub = spawn_sub(&dir, &sub_args(&port, "1", "30"));
    dir.run(
        &[
            "pub",
            "-h",
            "127.0.0.1",
            "-p",
            &port,
            "-t",
            "plant/3/temp",
            "-m",
            "group reading",
            "--key",
            "sensor.key",
            "--trust",
            "trust.toml",
        ],
        b"",
    )
    .ok();
    let (code, out, err) = finish(sub);
    assert_eq!(code, 0, "stderr: {err}");
    assert!(out.starts_with("plant/3/temp [sensor #"), "{out}");
    assert!(out.trim_end().ends_with("group reading"), "{out}");

    // Sealed under the group key: not readable in the envelope, and not without the key.
    let envelope = dir
        .run(
            &[
                "seal",
                "--key",
                "sensor.key",
                "--topic",
                "plant/3/temp",
                "--trust",
                "trust.toml",
            ],
            b"secret reading",
        )
        .ok();
    assert!(!envelope.windows(14).any(|w| w == b"secret reading"));
    let inspected = dir.run(&["inspect"], &envelope).ok();
    assert!(
        String::from_utf8_lossy(&inspected).contains("plant-2026")
            || String::from_utf8_lossy(&inspected).contains(&hex_of("plant-2026"))
    );
    let opened = dir
        .run(
            &["open", "--trust", "trust.toml", "--topic", "plant/3/temp"],
            &envelope,
        )
        .ok();
    assert_eq!(opened, b"secret reading");
    dir.write(
        "nogroup.toml",
        "[[sender]]\npublic_key = \"sensor.pub\"\ntopics = [\"plant/#\"]\n",
    );
    let refused = dir.run(
        &["open", "--trust", "nogroup.toml", "--topic", "plant/3/temp"],
        &envelope,
    );
    assert_eq!(refused.code, 1, "{}", refused.stderr);

    // A secret others may read, or one written inline: located errors, exit 3.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let open_mode = std::fs::Permissions::from_mode(0o644);
        std::fs::set_permissions(dir.path("plant.group"), open_mode).unwrap();
        dir.run(
            &["open", "--trust", "trust.toml", "--topic", "plant/3/temp"],
            &envelope,
        )
        .fails(3, "trust.toml:12:10: plant: ");
    }
    dir.write(
        "inline.toml",
        "[[group]]\nkid = \"g\"\nsecret = \"00112233445566778899aabbccddeeff\"\n",
    );
    dir.run(
        &[
            "seal",
            "--key",
            "sensor.key",
            "--topic",
            "a",
            "--trust",
            "inline.toml",
        ],
        b"x",
    )
    .fails(
        3,
        "inline.toml:3:10: group #1: secret: give the path of a secret file",
    );
}

fn hex_of(text: &str) -> String {
    text.bytes().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn trust_check_lists_rules_and_warns_about_risky_ones() {
    let dir = Scratch::new("pki-lint");
    dir.keygen("ed25519", "a");
    dir.keygen("ed25519", "b");
    dir.keygen("x25519", "dash");
    dir.write(
        "good.toml",
        "[[sender]]\nname = \"a\"\npublic_key = \"a.pub\"\ntopics = [\"plant/1/#\"]\n\n\
         [[sender]]\nname = \"b\"\npublic_key = \"b.pub\"\ntopics = [\"plant/2/#\"]\n\n\
         [decrypt]\nkeys = [\"dash.key\"]\nrequire_encryption = [\"plant/#\"]\n\n\
         [[encrypt]]\ntopics = \"plant/#\"\nrecipients = [\"dash.pub\"]\n",
    );
    let good = dir.run(&["trust", "check", "good.toml"], b"");
    assert_eq!(good.code, 0, "{} {}", good.stdout_text(), good.stderr);
    let listing = good.stdout_text();
    assert!(
        listing.contains("sender a (line 4) may publish on: plant/1/#"),
        "{listing}"
    );
    assert!(
        listing.contains("senders encrypt on plant/# to 1 recipient(s)"),
        "{listing}"
    );
    assert!(!listing.contains("warning"), "{listing}");

    // A CA that expires in 10 days, a sender on every topic overlapping another, encryption
    // required with no recipients and no decryption key.
    dir.run(&["ca", "init", "--out", "short-ca", "--days", "10"], b"")
        .ok();
    dir.write(
        "risky.toml",
        "[[sender]]\nname = \"a\"\npublic_key = \"a.pub\"\ntopics = [\"#\"]\n\n\
         [[sender]]\nname = \"b\"\npublic_key = \"b.pub\"\ntopics = [\"plant/+/temp\"]\n\n\
         [decrypt]\nrequire_encryption = [\"plant/+/secret\"]\n\n\
         [[ca]]\nname = \"short\"\nroots = [\"short-ca.pem\"]\n",
    );
    let risky = dir.run(&["trust", "check", "risky.toml"], b"");
    assert_eq!(risky.code, 10, "{} {}", risky.stdout_text(), risky.stderr);
    let text = risky.stdout_text();
    let warnings: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("warning: "))
        .collect();
    assert_eq!(warnings.len(), 5, "{text}");
    assert!(
        text.contains("warning: line 4: sender a may publish on every topic (#)"),
        "{text}"
    );
    assert!(text.contains("warning: lines 4 and 9: sender a (#) and sender b (plant/+/temp) may both publish on some topics, e.g. plant/x/temp"), "{text}");
    assert!(
        text.contains(
            "warning: require_encryption plant/+/secret: no [[encrypt]] or [[group]] entry"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "warning: require_encryption plant/+/secret: this file has no decryption key"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "warning: line 16: short: CN=payseal development CA in 'short-ca.pem' expires soon"
        ),
        "{text}"
    );
    // A shorter horizon: no expiry warning.
    let later = dir.run(&["trust", "check", "--expiry-days", "5", "risky.toml"], b"");
    assert_eq!(later.code, 10);
    assert!(!later.stdout_text().contains("expires soon"));
    // A broken file is not a lint result.
    dir.write("broken.toml", "[[sender]]\n");
    dir.run(&["trust", "check", "broken.toml"], b"")
        .fails(3, "broken.toml:1:1");
}

/// A CRL from the CA (made here with rcgen, as an operator's CA would publish one) listing the
/// sensor's serial: `[[ca]] crls` refuses it, as the deny list does.
#[test]
fn a_crl_in_the_trust_file_revokes_a_certificate() {
    use rcgen::{CertificateRevocationListParams, Issuer, KeyIdMethod, KeyPair, RevokedCertParams};
    use x509_cert::der::DecodePem;

    let dir = Scratch::new("pki-crl");
    pki(&dir, "");
    let envelope = dir
        .run(
            &[
                "seal",
                "--key",
                "sensor.key",
                "--cert",
                "sensor.pem",
                "--topic",
                "plant/7/temp",
            ],
            b"21.5",
        )
        .ok();
    let open = |trust: &str| {
        dir.run(
            &["open", "--trust", trust, "--topic", "plant/7/temp"],
            &envelope,
        )
    };
    assert_eq!(open("trust.toml").ok(), b"21.5");

    let sensor = std::fs::read_to_string(dir.path("sensor.pem")).unwrap();
    let serial = x509_cert::Certificate::from_pem(sensor.as_bytes())
        .unwrap()
        .tbs_certificate()
        .serial_number()
        .as_bytes()
        .to_vec();
    let ca_key =
        KeyPair::from_pem(&std::fs::read_to_string(dir.path("dev-ca.key")).unwrap()).unwrap();
    let issuer = Issuer::from_ca_cert_pem(
        &std::fs::read_to_string(dir.path("dev-ca.pem")).unwrap(),
        ca_key,
    )
    .unwrap();
    let now = time::OffsetDateTime::now_utc();
    let crl = CertificateRevocationListParams {
        this_update: now - time::Duration::hours(1),
        next_update: now + time::Duration::days(7),
        crl_number: rcgen::SerialNumber::from(1u64),
        issuing_distribution_point: None,
        revoked_certs: vec![RevokedCertParams {
            serial_number: rcgen::SerialNumber::from_slice(&serial),
            revocation_time: now - time::Duration::minutes(1),
            reason_code: None,
            invalidity_date: None,
        }],
        key_identifier_method: KeyIdMethod::Sha256,
    }
    .signed_by(&issuer)
    .unwrap();
    dir.write("dev-ca.crl", &crl.pem().unwrap());
    dir.write(
        "crl.toml",
        "[[ca]]\nroots = [\"dev-ca.pem\"]\ncrls = [\"dev-ca.crl\"]\n",
    );
    open("crl.toml").fails(1, "certificate_revoked");
}
