//! `payseal ca`: a development CA whose device certificates payseal-x509 accepts, with the
//! topic rights they carry.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::Scratch;
use payseal::{Counter, Opener, Policy, Rejection, Sealer, SigningKey, SystemClock};
use payseal_x509::X509Resolver;

fn der(dir: &Scratch, file: &str) -> Vec<u8> {
    let pem = std::fs::read(dir.path(file)).unwrap();
    let mut reader = pem.as_slice();
    let mut certs = rustls_pemfile::certs(&mut reader);
    let cert = certs.next().expect("one certificate").unwrap();
    cert.to_vec()
}

#[test]
fn issued_certificates_carry_identity_and_topic_rights_that_payseal_x509_accepts() {
    let dir = Scratch::new("ca");
    let ca_thumbprint =
        String::from_utf8(dir.run(&["ca", "init", "--out", "dev-ca"], b"").ok()).unwrap();
    assert!(ca_thumbprint.starts_with("sha256:"), "{ca_thumbprint}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path("dev-ca.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    for alg in ["ed25519", "p256"] {
        let name = format!("sensor-{alg}");
        dir.keygen(alg, &name);
        let out = format!("{name}.pem");
        let public = format!("{name}.pub");
        let args = [
            "ca",
            "issue",
            "--ca",
            "dev-ca",
            "--key",
            &public,
            "--cn",
            &name,
            "--topic",
            "plant/7/#",
            "--out",
            &out,
        ];
        dir.run(&args, b"").ok();

        let key = SigningKey::from_pkcs8_pem(
            &std::fs::read_to_string(dir.path(&format!("{name}.key"))).unwrap(),
        )
        .unwrap();
        let mut sealer = Sealer::new(key, Counter::starting_at(1), SystemClock)
            .with_x5chain(vec![der(&dir, &out)]);
        let resolver = X509Resolver::new([der(&dir, "dev-ca.pem").as_slice()]).unwrap();
        let mut opener = Opener::with_resolver(resolver, Policy::default(), SystemClock);
        let verified = opener
            .open(
                "plant/7/temp",
                &sealer.seal("plant/7/temp", b"21.5").unwrap(),
            )
            .unwrap();
        assert_eq!(verified.payload(), b"21.5");
        assert_eq!(verified.identity(), Some(format!("CN={name}").as_str()));
        let elsewhere = sealer.seal("plant/8/temp", b"21.5").unwrap();
        assert_eq!(
            opener.open("plant/8/temp", &elsewhere),
            Err(Rejection::TopicNotAuthorized)
        );
    }

    // Keys that cannot be certified, and files that must not be overwritten.
    dir.keygen("k256", "old");
    dir.keygen("x25519", "dash");
    let issue = |key: &str, out: &str| {
        dir.run(
            &[
                "ca", "issue", "--ca", "dev-ca", "--key", key, "--cn", "x", "--topic", "a",
                "--out", out,
            ],
            b"",
        )
    };
    issue("old.pub", "old.pem").fails(3, "secp256k1");
    issue("dash.pub", "dash.pem").fails(3, "needs a signing key");
    issue("sensor-p256.pub", "sensor-p256.pem").fails(4, "refusing to overwrite");
    dir.run(
        &[
            "ca",
            "issue",
            "--ca",
            "missing",
            "--key",
            "sensor-p256.pub",
            "--cn",
            "x",
            "--topic",
            "a",
            "--out",
            "n.pem",
        ],
        b"",
    )
    .fails(4, "missing.key");
    dir.run(&["ca", "init", "--out", "dev-ca"], b"")
        .fails(4, "refusing to overwrite");
}

/// The serial number (unsigned, without DER's sign byte) of a PEM certificate file.
fn serial(dir: &Scratch, file: &str) -> Vec<u8> {
    use x509_cert::der::Decode;
    let cert = x509_cert::Certificate::from_der(&der(dir, file)).unwrap();
    let bytes = cert.tbs_certificate().serial_number().as_bytes();
    let zeros = bytes.iter().take_while(|b| **b == 0).count();
    bytes[zeros..].to_vec()
}

/// Issue 16 item 16: rcgen derives the serial from the subject key unless told otherwise, so
/// every certificate for one key had the same serial (and `serial:` in a deny list revoked them
/// all). Serials are now random, positive and 128 bits.
#[test]
fn ca_issue_gives_each_certificate_of_one_key_its_own_random_serial() {
    let dir = Scratch::new("ca-serial");
    dir.run(&["ca", "init", "--out", "dev-ca"], b"").ok();
    dir.keygen("ed25519", "sensor");
    let mut serials = Vec::new();
    for out in ["first.pem", "second.pem", "third.pem"] {
        dir.run(
            &[
                "ca",
                "issue",
                "--ca",
                "dev-ca",
                "--key",
                "sensor.pub",
                "--cn",
                "sensor",
                "--topic",
                "plant/#",
                "--out",
                out,
            ],
            b"",
        )
        .ok();
        let serial = serial(&dir, out);
        // 128 random bits: 16 bytes unless the top byte happens to be zero (1 in 256).
        assert!((14..=16).contains(&serial.len()), "{serial:02x?}");
        serials.push(serial);
    }
    serials.push(serial(&dir, "dev-ca.pem"));
    for (i, a) in serials.iter().enumerate() {
        for b in &serials[i + 1..] {
            assert_ne!(a, b, "two certificates share a serial");
        }
    }
}
