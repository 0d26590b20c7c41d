//! Shared by the process-level tests: child processes read line by line, a raw MQTT
//! publisher of sealed envelopes (to send, and re-send, exact bytes), temp dirs.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use payseal::{Algorithm, Counter, Sealer, SigningKey, SystemClock};
use payseal_testkit::Mosquitto;

pub(crate) mod redis_server;

/// How long any single expected event may take before the test fails.
pub(crate) const WAIT: Duration = Duration::from_secs(20);
/// The probe sender's key seed (subscribers trust it; its messages prove a subscription is up).
pub(crate) const PROBE_SEED: u8 = 9;

pub(crate) fn key(seed: u8) -> SigningKey {
    SigningKey::from_secret_bytes(Algorithm::Ed25519, &[seed; 32]).unwrap()
}

/// The kid of a test key, as the subscriber prints it.
pub(crate) fn kid_hex(seed: u8) -> String {
    key(seed).kid().to_string()
}

/// A child process whose stdout lines arrive on a channel (and are all kept in `seen`).
pub(crate) struct Proc {
    name: String,
    child: Child,
    lines: mpsc::Receiver<String>,
    pub(crate) seen: Vec<String>,
}

impl Proc {
    pub(crate) fn spawn(name: &str, binary: &str, args: &[&str]) -> Proc {
        let mut child = Command::new(binary)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {binary}: {e}"));
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Proc {
            name: name.to_string(),
            child,
            lines: rx,
            seen: Vec::new(),
        }
    }

    /// The next line, waiting at most `timeout`; `None` on timeout or end of output.
    pub(crate) fn next_line(&mut self, timeout: Duration) -> Option<String> {
        let line = self.lines.recv_timeout(timeout).ok()?;
        self.seen.push(line.clone());
        Some(line)
    }

    /// Reads lines until one satisfies `done`; panics after `WAIT` without one.
    pub(crate) fn wait_for(&mut self, what: &str, mut done: impl FnMut(&str) -> bool) -> String {
        let deadline = Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.next_line(left) {
                Some(line) if done(&line) => return line,
                Some(_) => {}
                None => panic!(
                    "{}: no {what} within {WAIT:?}; last lines: {:?}",
                    self.name,
                    self.seen.iter().rev().take(5).collect::<Vec<_>>()
                ),
            }
        }
    }

    /// Kills the process with SIGKILL (no chance to clean up), then collects every line it
    /// printed before dying.
    pub(crate) fn kill(&mut self) {
        let _ = self.child.kill(); // SIGKILL on Unix
        let _ = self.child.wait();
        while let Ok(line) = self.lines.recv_timeout(WAIT) {
            self.seen.push(line);
        }
    }

    /// Waits for the process to exit by itself and checks it succeeded.
    pub(crate) fn wait_success(&mut self) {
        let status = self.child.wait().unwrap();
        assert!(status.success(), "{} exited with {status}", self.name);
        while let Ok(line) = self.lines.recv_timeout(WAIT) {
            self.seen.push(line);
        }
    }

    /// Every line seen so far starting with `prefix`.
    pub(crate) fn lines_starting(&self, prefix: &str) -> Vec<&str> {
        self.seen
            .iter()
            .filter(|l| l.starts_with(prefix))
            .map(String::as_str)
            .collect()
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A parsed `accepted <kid> <seq> <payload>` line.
pub(crate) struct Accepted<'a> {
    pub(crate) kid: &'a str,
    pub(crate) seq: u64,
    pub(crate) payload: &'a str,
}

pub(crate) fn parse_accepted(line: &str) -> Option<Accepted<'_>> {
    let mut parts = line.strip_prefix("accepted ")?.splitn(3, ' ');
    Some(Accepted {
        kid: parts.next()?,
        seq: parts.next()?.parse().ok()?,
        payload: parts.next().unwrap_or(""),
    })
}

pub(crate) fn parse_duplicate(line: &str) -> Option<u64> {
    line.strip_prefix("duplicate ")?.parse().ok()
}

pub(crate) fn parse_below_window(line: &str) -> Option<u64> {
    line.strip_prefix("rejected below_window ")?.parse().ok()
}

pub(crate) fn parse_unavailable(line: &str) -> Option<u64> {
    line.strip_prefix("unavailable ")?.parse().ok()
}

/// A plain MQTT client that publishes envelope bytes as they are: the honest publisher and
/// the replaying attacker alike (a replay is the same bytes sent again).
pub(crate) struct RawPublisher {
    client: rumqttc::Client,
    probe: Sealer<SigningKey, Counter, SystemClock>,
    probes: u64,
}

impl RawPublisher {
    pub(crate) fn connect(broker: &Mosquitto, id: &str) -> RawPublisher {
        let mut options = rumqttc::MqttOptions::new(id, broker.host(), broker.port());
        options.set_keep_alive(Duration::from_secs(5));
        options.set_max_packet_size(300 * 1024, 300 * 1024);
        let (client, mut connection) = rumqttc::Client::new(options, 1024);
        std::thread::spawn(move || {
            for event in connection.iter() {
                if let Err(rumqttc::ConnectionError::RequestsDone) = event {
                    break;
                }
            }
        });
        RawPublisher {
            client,
            probe: Sealer::new(key(PROBE_SEED), Counter::from_unix_micros(), SystemClock),
            probes: 0,
        }
    }

    pub(crate) fn publish(&self, topic: &str, envelope: &[u8]) {
        self.client
            .publish(topic, rumqttc::QoS::AtLeastOnce, false, envelope.to_vec())
            .unwrap();
    }

    /// Publishes sealed probes on `topic` until every one of `subscribers` has accepted one:
    /// then their subscriptions are known to be active (the adapter does not surface SUBACK).
    pub(crate) fn wait_ready(&mut self, topic: &str, subscribers: &mut [&mut Proc]) {
        let probe_kid = kid_hex(PROBE_SEED);
        let mut ready = vec![false; subscribers.len()];
        let deadline = Instant::now() + WAIT;
        while ready.iter().any(|r| !r) {
            assert!(
                Instant::now() < deadline,
                "subscribers not ready: {ready:?}"
            );
            self.probes += 1;
            let envelope = self
                .probe
                .seal(topic, format!("probe {}", self.probes).as_bytes())
                .unwrap();
            self.publish(topic, &envelope);
            // Poll each subscriber's output for a moment: this is the probe interval, not
            // an assertion; the deadline above is.
            for (sub, ready) in subscribers.iter_mut().zip(ready.iter_mut()) {
                while let Some(line) = sub.next_line(Duration::from_millis(100)) {
                    if parse_accepted(&line).is_some_and(|a| a.kid == probe_kid) {
                        *ready = true;
                    }
                }
            }
        }
    }
}

/// A temporary directory, removed on drop.
pub(crate) struct TempDir(PathBuf);

impl TempDir {
    pub(crate) fn new(tag: &str) -> TempDir {
        let dir =
            std::env::temp_dir().join(format!("payseal-store-it-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    pub(crate) fn path(&self) -> &Path {
        &self.0
    }

    pub(crate) fn join(&self, name: &str) -> String {
        self.0.join(name).to_str().unwrap().to_string()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
