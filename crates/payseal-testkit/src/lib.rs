//! Test harness for payseal's adapters and demos.
//!
//! [`mitm::Mitm`] is a malicious broker in the middle, for attack tests; [`envelope::resign`]
//! re-signs an envelope as a key thief would; [`relay::Relay`]
//! loses packets like a network; [`plain`] publishes without payseal. [`Mosquitto`] starts a real Mosquitto broker on a free loopback port, with its own
//! configuration in a temporary directory, and stops it when dropped. Tests never share the
//! system broker, so they never collide. [`softhsm::SoftHsm`] is a SoftHSM2 token in a temporary
//! folder, for the PKCS#11 tests.

#![forbid(unsafe_code)]

pub mod envelope;
pub mod plain;
pub mod relay;
pub mod softhsm;

// The malicious broker in the middle and its MQTT framing live in the published
// `payseal-mitm` crate (the `payseal demo` command uses them too).
pub use payseal_mitm::{free_port, mitm, mqtt};

use std::io;
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Where Debian installs the broker; `PAYSEAL_MOSQUITTO` overrides it.
const DEFAULT_BINARY: &str = "/usr/sbin/mosquitto";

/// Mosquitto queues at most 1,000 QoS 1/2 messages per subscriber by default and silently drops
/// the rest; a test that publishes faster than a subscriber verifies must not lose messages to
/// that, so the test broker queues more (deployments must size this too: see
/// spec/mqtt-adapters.md).
const QUEUE: &str = "max_queued_messages 200000";

/// A Mosquitto broker owned by one test. Stopped (killed) on drop.
#[derive(Debug)]
pub struct Mosquitto {
    child: Child,
    port: u16,
    dir: PathBuf,
}

impl Mosquitto {
    /// Starts a broker on a free port, allowing anonymous clients, without persistence.
    ///
    /// # Errors
    /// If the binary is missing or the broker does not accept connections within 10 seconds.
    /// Tests should `expect` this: a missing broker is a failure, never a skip.
    pub fn start() -> io::Result<Self> {
        Self::start_with("")
    }

    /// Starts a broker with extra configuration lines appended (e.g. `max_packet_size 1000`).
    ///
    /// # Errors
    /// As [`start`](Self::start).
    pub fn start_with(extra_config: &str) -> io::Result<Self> {
        let port = free_port()?;
        Self::start_on(port, extra_config)
    }

    /// Starts a broker on `port` (to restart one where clients expect it).
    ///
    /// # Errors
    /// As [`start`](Self::start).
    pub fn start_on(port: u16, extra_config: &str) -> io::Result<Self> {
        let dir =
            std::env::temp_dir().join(format!("payseal-mosquitto-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let config = dir.join("mosquitto.conf");
        std::fs::write(
            &config,
            format!(
                "listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n\
                 log_dest stderr\nlog_type error\n{QUEUE}\n{extra_config}\n"
            ),
        )?;
        let binary = std::env::var("PAYSEAL_MOSQUITTO").unwrap_or_else(|_| DEFAULT_BINARY.into());
        let child = Command::new(&binary)
            .arg("-c")
            .arg(&config)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| io::Error::new(e.kind(), format!("cannot start {binary}: {e}")))?;
        let mut broker = Mosquitto { child, port, dir };
        broker.wait_ready()?;
        Ok(broker)
    }

    /// The broker's port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The broker's process id (benchmarks read its CPU time from `/proc`).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The broker's host.
    pub fn host(&self) -> &'static str {
        "127.0.0.1"
    }

    /// Stops the broker now (as a crash would: SIGKILL), keeping the port for a restart.
    pub fn kill(mut self) -> u16 {
        self.stop();
        self.port
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    fn wait_ready(&mut self) -> io::Result<()> {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait()? {
                return Err(io::Error::other(format!(
                    "mosquitto exited at start: {status}"
                )));
            }
            if TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        self.stop();
        Err(io::Error::new(
            io::ErrorKind::TimedOut,
            "mosquitto did not accept connections within 10 s",
        ))
    }
}

impl Drop for Mosquitto {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
