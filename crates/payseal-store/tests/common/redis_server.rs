//! A `redis-server` owned by one test, on a free port, killed on drop.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::TempDir;

/// Where Debian installs it; `PAYSEAL_REDIS_SERVER` overrides.
const BINARY: &str = "/usr/bin/redis-server";

pub(crate) struct RedisServer {
    child: Option<Child>,
    port: u16,
    dir: TempDir,
    durable: bool,
}

impl RedisServer {
    /// Starts a server. `durable`: an append-only file fsynced on every write, so the windows
    /// survive the server being killed (what a fleet deployment needs); otherwise nothing is
    /// persisted.
    pub(crate) fn start(tag: &str, durable: bool) -> RedisServer {
        let port = payseal_testkit::free_port().unwrap();
        let mut server = RedisServer {
            child: None,
            port,
            dir: TempDir::new(&format!("redis-{tag}")),
            durable,
        };
        server.spawn();
        server
    }

    pub(crate) fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// Kills the server with SIGKILL, as a crash would.
    pub(crate) fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again on the same port and directory.
    pub(crate) fn restart(&mut self) {
        self.kill();
        self.spawn();
    }

    fn spawn(&mut self) {
        let binary = std::env::var("PAYSEAL_REDIS_SERVER").unwrap_or_else(|_| BINARY.into());
        let appendonly = if self.durable { "yes" } else { "no" };
        let child = Command::new(&binary)
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args([
                "--save",
                "",
                "--appendonly",
                appendonly,
                "--appendfsync",
                "always",
            ])
            .arg("--dir")
            .arg(self.dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {binary}: {e}"));
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while !self.pong() {
            assert!(Instant::now() < deadline, "redis-server not ready in 10 s");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn pong(&self) -> bool {
        let Ok(mut stream) = TcpStream::connect(("127.0.0.1", self.port)) else {
            return false;
        };
        let _ = stream.set_read_timeout(Some(Duration::from_secs(1)));
        let mut reply = [0u8; 5];
        stream.write_all(b"PING\r\n").is_ok()
            && stream.read_exact(&mut reply).is_ok()
            && &reply == b"+PONG"
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
}
