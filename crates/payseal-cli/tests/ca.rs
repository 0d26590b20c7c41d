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
