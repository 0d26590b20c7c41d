//! Running the `payseal` binary as a process, in a scratch directory per test.

#![allow(
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

pub mod certs;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The result of one run.
pub struct Run {
    pub code: i32,
    pub stdout: Vec<u8>,
    pub stderr: String,
}

impl Run {
    pub fn stdout_text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    /// Asserts success and returns stdout.
    pub fn ok(self) -> Vec<u8> {
        assert_eq!(self.code, 0, "expected success, stderr: {}", self.stderr);
        self.stdout
    }

    /// Asserts the exit code, and that the error is one line mentioning `needle`.
    pub fn fails(&self, code: i32, needle: &str) {
        assert_eq!(self.code, code, "stderr: {}", self.stderr);
        assert!(
            self.stderr.contains(needle),
            "{:?} lacks {needle:?}",
            self.stderr
        );
        assert_eq!(
            self.stderr.trim_end().lines().count(),
            1,
            "not one line: {:?}",
            self.stderr
        );
        assert!(self.stderr.starts_with("payseal: "), "{:?}", self.stderr);
    }
}

/// A scratch directory, removed when dropped.
pub struct Scratch(pub PathBuf);

impl Scratch {
    pub fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("payseal-cli-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    pub fn path(&self, file: &str) -> PathBuf {
        self.0.join(file)
    }

    /// Runs `payseal args...` in this directory with `stdin`.
    pub fn run(&self, args: &[&str], stdin: &[u8]) -> Run {
        run_in(&self.0, args, stdin)
    }

    /// `payseal keygen --alg alg --out name.key`, returning the kid.
    pub fn keygen(&self, alg: &str, name: &str) -> String {
        let out = self
            .run(
                &["keygen", "--alg", alg, "--out", &format!("{name}.key")],
                b"",
            )
            .ok();
        String::from_utf8(out).unwrap().trim().to_owned()
    }

    pub fn write(&self, file: &str, text: &str) -> PathBuf {
        let path = self.path(file);
        std::fs::write(&path, text).unwrap();
        path
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub fn run_in(dir: &Path, args: &[&str], stdin: &[u8]) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_payseal"))
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the payseal binary runs");
    let mut input = child.stdin.take().unwrap();
    // A command that fails before reading its input closes the pipe: not an error here.
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

/// A trust file trusting `senders` (`name.pub`, topics) and decrypting with `keys`.
pub fn trust_toml(senders: &[(&str, &[&str])], keys: &[&str]) -> String {
    let mut text = String::from("[policy]\nmax_age_secs = 300\n");
    for (name, topics) in senders {
        let topics: Vec<String> = topics.iter().map(|t| format!("{t:?}")).collect();
        text.push_str(&format!(
            "\n[[sender]]\nname = {name:?}\npublic_key = \"{name}.pub\"\ntopics = [{}]\n",
            topics.join(", ")
        ));
    }
    if !keys.is_empty() {
        let keys: Vec<String> = keys.iter().map(|k| format!("\"{k}.key\"")).collect();
        text.push_str(&format!("\n[decrypt]\nkeys = [{}]\n", keys.join(", ")));
    }
    text
}

/// A trust file trusting MAC senders (`kid`, secret file, topics), named by their kids.
pub fn mac_trust_toml(senders: &[(&str, &str, &[&str])]) -> String {
    let mut text = String::from("[policy]\nmax_age_secs = 300\n");
    for (kid, secret, topics) in senders {
        let topics: Vec<String> = topics.iter().map(|t| format!("{t:?}")).collect();
        text.push_str(&format!(
            "\n[[mac_sender]]\nname = {kid:?}\nsecret = {secret:?}\nkid = {kid:?}\ntopics = [{}]\n",
            topics.join(", ")
        ));
    }
    text
}

/// Starts `payseal sub ARGS` in `dir`, and gives it time to subscribe.
pub fn spawn_sub(dir: &Scratch, args: &[&str]) -> Child {
    let child = Command::new(env!("CARGO_BIN_EXE_payseal"))
        .arg("sub")
        .args(args)
        .current_dir(&dir.0)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("payseal sub starts");
    std::thread::sleep(Duration::from_millis(1500));
    child
}

/// Waits (at most a minute) for a subscriber to exit by itself (it has -C and -W); its exit
/// code, stdout and stderr.
pub fn finish(mut child: Child) -> (i32, String, String) {
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "payseal sub did not exit");
        std::thread::sleep(Duration::from_millis(50));
    };
    let (mut out, mut err) = (String::new(), String::new());
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    (status.code().unwrap_or(-1), out, err)
}
