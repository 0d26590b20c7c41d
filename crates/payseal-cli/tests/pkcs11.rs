//! `pkcs11:` URIs on the command line, as processes against a SoftHSM2 token made by the
//! test: keygen in the token, seal/open and pub/sub with token keys, and the failures.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;

use std::io::Write;
use std::process::{Command, Stdio};

use common::{Run, Scratch, trust_toml};
use payseal_testkit::Mosquitto;
use payseal_testkit::softhsm::{PIN, SoftHsm};

/// Runs `payseal` in `dir` with the token's `SOFTHSM2_CONF` and `env`; no PIN or module from
/// the caller's environment.
fn run(dir: &Scratch, hsm: &SoftHsm, env: &[(&str, &str)], args: &[&str], stdin: &[u8]) -> Run {
    let mut child = command(dir, hsm, env)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the payseal binary runs");
    let mut input = child.stdin.take().unwrap();
    if let Err(e) = input.write_all(stdin) {
        assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "{e}");
    }
    drop(input);
    let output = child.wait_with_output().unwrap();
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: output.stdout,
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

fn command(dir: &Scratch, hsm: &SoftHsm, env: &[(&str, &str)]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_payseal"));
    command
        .current_dir(&dir.0)
        .env_remove("PAYSEAL_PKCS11_PIN")
        .env_remove("PAYSEAL_PKCS11_MODULE")
        .env("SOFTHSM2_CONF", hsm.config())
        .envs(env.iter().copied());
    command
}

fn keygen(dir: &Scratch, hsm: &SoftHsm, alg: &[&str], object: &str) -> String {
    let uri = hsm.uri(object);
    let out = run(
        dir,
        hsm,
        &[],
        &[
            &[
                "keygen",
                "--pkcs11",
                &uri,
                "--out",
                &format!("{object}.pub"),
            ],
            alg,
        ]
        .concat(),
        b"",
    )
    .ok();
    String::from_utf8(out).unwrap().trim().to_owned()
}

#[test]
fn seal_and_open_with_keys_in_a_token() {
    let hsm = SoftHsm::new().expect("SoftHSM2 must be installed (.ci/run installs softhsm2)");
    let dir = Scratch::new("pkcs11-seal-open");
    let kid = keygen(&dir, &hsm, &["--alg", "ed25519"], "sensor");
    assert_eq!(kid.len(), 16, "{kid}");
    keygen(&dir, &hsm, &["--alg", "p256", "--recipient"], "dash");
    // Only public keys were written; the private halves stayed in the token.
    let shown = dir.run(&["key", "show", "sensor.pub"], b"").ok();
    assert!(String::from_utf8(shown).unwrap().contains(&kid));
    assert!(!dir.path("sensor.key").exists());
    dir.write("trust.toml", &trust_toml(&[("sensor", &["plant/#"])], &[]));

    let sensor = hsm.uri("sensor");
    let dash = hsm.uri("dash");
    let envelope = run(
        &dir,
        &hsm,
        &[],
        &[
            "seal",
            "--key",
            &sensor,
            "-t",
            "plant/3/temp",
            "--to",
            "dash.pub",
        ],
        b"21.5 C",
    )
    .ok();
    let open = |env: &[(&str, &str)], key: &str| {
        run(
            &dir,
            &hsm,
            env,
            &[
                "open",
                "--trust",
                "trust.toml",
                "-t",
                "plant/3/temp",
                "--key",
                key,
            ],
            &envelope,
        )
    };
    assert_eq!(open(&[], &dash).ok(), b"21.5 C");

    // The PIN from the environment when the URI has no pin-source.
    let no_pin_source = dash.split("&pin-source").next().unwrap().to_owned();
    assert_eq!(
        open(&[("PAYSEAL_PKCS11_PIN", PIN)], &no_pin_source).ok(),
        b"21.5 C"
    );
    open(&[], &no_pin_source).fails(3, "pkcs11_no_pin");

    // A wrong PIN, a missing key, a PIN in the URI: one line, exit 3, the reason code.
    let wrong = dir.write("wrong-pin", "000000\n");
    let wrong_pin = format!("{no_pin_source}&pin-source=file:{}", wrong.display());
    open(&[], &wrong_pin).fails(3, "pkcs11_wrong_pin");
    open(&[], &hsm.uri("absent")).fails(3, "pkcs11_object_not_found");
    open(&[], &format!("{no_pin_source}&pin-value={PIN}")).fails(3, "pin-value is refused");
    // The signing key cannot decrypt, and the decryption key cannot sign.
    open(&[], &sensor).fails(3, "pkcs11_unsupported_key");
}

#[test]
fn pub_and_sub_with_keys_in_a_token() {
    let hsm = SoftHsm::new().expect("SoftHSM2 must be installed (.ci/run installs softhsm2)");
    let broker = Mosquitto::start().expect("mosquitto must be installed (.ci/run installs it)");
    let port = broker.port().to_string();
    let dir = Scratch::new("pkcs11-pubsub");
    keygen(&dir, &hsm, &["--alg", "p256"], "sensor");
    keygen(&dir, &hsm, &["--alg", "p256", "--recipient"], "dash");
    dir.write("trust.toml", &trust_toml(&[("sensor", &["plant/#"])], &[]));
    let conn = ["-h", "127.0.0.1", "-p", port.as_str()];
    let dash = hsm.uri("dash");
    let sub = command(&dir, &hsm, &[])
        .arg("sub")
        .args(conn)
        .args(["-t", "plant/#", "--trust", "trust.toml", "--key", &dash])
        .args(["-C", "1", "-W", "30"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("payseal sub starts");
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let sensor = hsm.uri("sensor");
    run(
        &dir,
        &hsm,
        &[],
        &[
            &["pub"],
            &conn[..],
            &[
                "-t",
                "plant/3/temp",
                "-m",
                "secret",
                "--key",
                &sensor,
                "--to",
                "dash.pub",
            ],
        ]
        .concat(),
        b"",
    )
    .ok();
    let (code, out, err) = common::finish(sub);
    assert_eq!(code, 0, "stderr: {err}");
    assert_eq!(out.trim_end(), "secret", "{err}");
}
