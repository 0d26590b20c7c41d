//! Cross-language over a real broker: a Python peer (test-vectors/interop/mqtt_peer.py,
//! python paho-mqtt, the independent spec-only verifier and cwt) verifies and decrypts what
//! the adapter publishes through Mosquitto, and the adapter verifies what Python seals
//! following spec/envelope.md. Needs the repository's `.venv`; without it the scenario fails
//! with the command that creates it.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use payseal::{
    Algorithm, Audience, Counter, KemKind, Opener, Policy, Recipient, RecipientKey, Rejection,
    Sealer, SigningKey, SystemClock, TrustStore,
};
use payseal_mqtt::{Event, QoS, Security};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{Child, ChildStdout, Command};

use crate::support::{WAIT, broker, connected, message, next, sensor_key, subscribe};
use crate::{Adapter, Endpoint};

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The venv's Python; panics with the way to create it when missing.
fn python() -> PathBuf {
    let python = repo_root().join(".venv/bin/python");
    assert!(
        python.exists(),
        "{} is missing: the cross-language test needs the interop venv. Create it from the \
         repository root with: python3 -m venv .venv && .venv/bin/pip install -r \
         test-vectors/interop/requirements.txt",
        python.display()
    );
    python
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn python_signing_key() -> SigningKey {
    SigningKey::from_secret_bytes(Algorithm::Ed25519, &[55; 32]).unwrap()
}

fn python_recipient_key() -> RecipientKey {
    RecipientKey::from_secret_bytes(KemKind::X25519, &[77; 32]).unwrap()
}

/// The peer's configuration, in the key schema of the vector files.
fn config(publish: Value) -> Value {
    let signing = |key: &SigningKey| {
        json!({
            "alg": "Ed25519",
            "kid": hex(key.kid().as_bytes()),
            "public_spki_pem": key.verifying_key().to_public_key_pem().unwrap(),
            "private_pkcs8_pem": key.to_pkcs8_pem().unwrap().as_str(),
        })
    };
    let rk = python_recipient_key();
    json!({
        "profile": "payseal/1",
        "keys": { "sensor": signing(&sensor_key()), "python": signing(&python_signing_key()) },
        "recipient_keys": { "python": {
            "kem": "X25519",
            "kid": hex(rk.kid().as_bytes()),
            "private_pkcs8_pem": rk.to_pkcs8_pem().unwrap().as_str(),
            "public": hex(&rk.public_key().to_bytes()),
            "cose_key": hex(&rk.to_cose_key()),
        }},
        "group_keys": {},
        "trust": [ { "key": "sensor", "topics": ["plant/#"] } ],
        "policy": { "max_age": 300, "max_future_skew": 30, "window": 128,
                    "max_envelope_bytes": 262_144 },
        "receiver": { "recipient_keys": ["python"], "group_keys": [],
                      "require_encryption": [], "max_recipients": 16 },
        "publish": publish,
    })
}

struct Peer {
    child: Child,
    lines: Lines<BufReader<ChildStdout>>,
    _config: TempFile,
}

/// A config file removed on drop.
struct TempFile(PathBuf);

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

impl Peer {
    fn start<A: Adapter>(config: &Value, port: u16, args: &[&str]) -> Peer {
        let path = std::env::temp_dir().join(format!(
            "payseal-mqtt-peer-{}-{port}.json",
            std::process::id()
        ));
        std::fs::write(&path, config.to_string()).unwrap();
        let mut child = Command::new(python())
            .arg(repo_root().join("test-vectors/interop/mqtt_peer.py"))
            .args(args)
            .arg("--config")
            .arg(&path)
            .arg("--port")
            .arg(port.to_string())
            .arg("--mqtt")
            .arg(if A::MQTT5 { "5" } else { "3" })
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("the Python peer starts");
        let stdout = child.stdout.take().unwrap();
        Peer {
            child,
            lines: BufReader::new(stdout).lines(),
            _config: TempFile(path),
        }
    }

    /// The next line the peer prints (30 s: Python starts slowly on a busy machine).
    async fn line(&mut self) -> String {
        match tokio::time::timeout(Duration::from_secs(30), self.lines.next_line()).await {
            Ok(Ok(Some(line))) => line,
            other => panic!("the Python peer printed nothing more: {other:?}"),
        }
    }

    async fn json(&mut self) -> Value {
        let line = self.line().await;
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"))
    }

    async fn succeeded(mut self) {
        let status = tokio::time::timeout(Duration::from_secs(30), self.child.wait()).await;
        assert!(
            matches!(status, Ok(Ok(s)) if s.success()),
            "the Python peer failed: {status:?}"
        );
    }
}

/// Both directions: Python verifies (and decrypts) the adapter's envelopes, and the adapter
/// verifies Python's, refusing the tampered and replayed ones.
pub async fn python_verifies_ours_and_we_verify_pythons<A: Adapter>() {
    let broker = broker("");
    python_receives::<A>(broker.port()).await;
    python_sends::<A>(broker.port()).await;
}

async fn python_receives<A: Adapter>(port: u16) {
    let mut peer = Peer::start::<A>(
        &config(json!([])),
        port,
        &["subscribe", "--filter", "plant/#", "--count", "3"],
    );
    assert_eq!(peer.line().await, "ready");
    let to_python = Audience::recipients([Recipient::new(python_recipient_key().public_key())]);
    let other = RecipientKey::from_secret_bytes(KemKind::X25519, &[78; 32]).unwrap();
    let to_other = Audience::recipients([Recipient::new(other.public_key())]);
    let sealer = Sealer::new(sensor_key(), Counter::from_unix_micros(), SystemClock)
        .with_audience("plant/1/secret", to_python.unwrap())
        .unwrap()
        .with_audience("plant/2/secret", to_other.unwrap())
        .unwrap();
    let (publ, mut events) = A::connect(
        &Endpoint::new("rust-pub", port),
        Security::new().sealer(sealer),
    );
    connected(&mut events).await;
    for (topic, payload) in [
        ("plant/1/temp", "21.5"),
        ("plant/1/secret", "door 4711"),
        ("plant/2/secret", "not for python"),
    ] {
        A::publish(&publ, topic, QoS::AtLeastOnce, false, payload.as_bytes())
            .await
            .unwrap();
    }
    let signed = peer.json().await;
    assert_eq!(signed["ok"], json!(true), "{signed}");
    assert_eq!(signed["payload"], json!(hex(b"21.5")));
    assert_eq!(signed["mode"], json!("none"));
    assert_eq!(signed["kid"], json!(hex(sensor_key().kid().as_bytes())));
    let secret = peer.json().await;
    assert_eq!(secret["ok"], json!(true), "{secret}");
    assert_eq!(secret["payload"], json!(hex(b"door 4711")));
    assert_ne!(secret["mode"], json!("none"), "decrypted: {secret}");
    let foreign = peer.json().await;
    assert_eq!(foreign["reason"], json!("not_for_me"), "{foreign}");
    peer.succeeded().await;
}

async fn python_sends<A: Adapter>(port: u16) {
    let mut trust = TrustStore::new();
    trust
        .add_sender(python_signing_key().verifying_key(), ["plant/#"])
        .unwrap();
    let opener = Opener::new(trust, Policy::default(), SystemClock);
    let (sub, mut events) = A::connect(
        &Endpoint::new("rust-sub", port),
        Security::new().opener(opener),
    );
    subscribe::<A>(&sub, &mut events, "#", QoS::AtLeastOnce).await;
    let entry = |topic: &str, sealed_for: &str, payload: &[u8], seq: u64| json!({ "topic": topic, "sealed_for": sealed_for, "payload": hex(payload), "seq": seq });
    let publish = json!([
        entry("plant/7/temp", "plant/7/temp", b"hello from python", 1),
        entry("plant/7/temp", "plant/7/temp", b"second", 2),
        entry("plant/7/temp", "plant/7/other", b"moved by the broker", 3),
        entry("plant/7/temp", "plant/7/temp", b"hello from python", 1),
        entry("office/door", "office/door", b"open", 4),
    ]);
    let mut peer = Peer::start::<A>(&config(publish), port, &["publish", "--key", "python"]);
    for _ in 0..5 {
        let _ = peer.json().await;
    }
    peer.succeeded().await;
    let python_kid = python_signing_key().kid();
    let first = message(tokio::time::timeout(WAIT, next(&mut events)).await.unwrap());
    assert_eq!(first.verified.payload(), b"hello from python");
    assert_eq!(
        (first.verified.seq(), first.verified.sender()),
        (1, &python_kid)
    );
    let second = message(next(&mut events).await);
    assert_eq!(
        (second.verified.payload(), second.verified.seq()),
        (&b"second"[..], 2)
    );
    let expect = |event: Event, what: &str, ok: fn(&Event) -> bool| {
        assert!(ok(&event), "{what}: got {event:?}");
    };
    expect(next(&mut events).await, "sealed for another topic", |e| {
        matches!(
            e,
            Event::Rejected {
                reason: Rejection::BadSignature,
                ..
            }
        )
    });
    expect(next(&mut events).await, "a replay of seq 1", |e| {
        matches!(e, Event::Duplicate { seq: 1, .. })
    });
    expect(next(&mut events).await, "off its topics", |e| {
        matches!(
            e,
            Event::Rejected {
                reason: Rejection::TopicNotAuthorized,
                ..
            }
        )
    });
}
