//! Why a command failed, and the exit code that says so.

use std::path::Path;

/// A command failure: a one-line message and its exit code class.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    /// An envelope was refused (exit 1).
    #[error("rejected: {code}: {reason}")]
    Rejected {
        /// The stable reason code, e.g. `bad_signature`.
        code: &'static str,
        /// The human-readable reason.
        reason: String,
    },
    /// Command-line arguments that cannot work together (exit 2).
    #[error("{0}")]
    Usage(String),
    /// A key, configuration or envelope that cannot be used (exit 3).
    #[error("{0}")]
    BadInput(String),
    /// A file or stream that cannot be read or written (exit 4).
    #[error("{0}")]
    Io(String),
    /// The broker cannot be reached, or the connection failed (exit 5).
    #[error("{0}")]
    Network(String),
    /// The demo did not see what it promises (exit 6).
    #[error("demo failed: {0}")]
    Demo(String),
    /// `seal` or `pub` on a topic that the trust file says must be encrypted
    /// (`require_encryption`) while no `[[encrypt]]` entry matches it, so the payload would go
    /// out in clear (exit 3, like other unusable configuration).
    #[error(
        "refusing to seal in clear on {topic}: '{file}' requires encryption there (require_encryption) but no [[encrypt]] entry matches the topic; add one, or give --to"
    )]
    EncryptionRequired {
        /// The topic to seal for.
        topic: String,
        /// The trust file.
        file: std::path::PathBuf,
    },
    /// `sub -C N -W S`: the time ran out before `N` verified messages arrived (exit 27, the
    /// code mosquitto_sub exits with on a timeout).
    #[error("timed out after {secs} s with {received} of {wanted} verified messages")]
    Timeout {
        /// The `-W` timeout in seconds.
        secs: u64,
        /// Verified messages that arrived.
        received: u64,
        /// The `-C` count asked for.
        wanted: u64,
    },
    /// The broker refused a published message or a subscription, with an MQTT 5 reason code
    /// of 0x80 or more (MQTT 3.1.1: a SUBACK failure) (exit 8).
    #[error("{0}")]
    Refused(String),
    /// `trust check` found risky rules (exit 10); they were printed, one per line.
    #[error("{0} warning(s) about the trust file")]
    Warnings(usize),
    /// `payseal group`/`keyserver`: another one holds the controller state's lock; nothing
    /// was changed (exit 11; try again).
    #[error("{0}")]
    Busy(String),
    /// The broker did not confirm every QoS 1 or 2 message in time: they may or may not have
    /// arrived (exit 9).
    #[error("{0}")]
    Unconfirmed(String),
}

impl Failure {
    /// The process exit code for this failure (see the crate docs).
    pub fn exit_code(&self) -> u8 {
        match self {
            Failure::Rejected { .. } => 1,
            Failure::Usage(_) => 2,
            Failure::BadInput(_) => 3,
            Failure::Io(_) => 4,
            Failure::Network(_) => 5,
            Failure::Demo(_) => 6,
            Failure::EncryptionRequired { .. } => 3,
            Failure::Timeout { .. } => 27,
            Failure::Refused(_) => 8,
            Failure::Unconfirmed(_) => 9,
            Failure::Warnings(_) => 10,
            Failure::Busy(_) => 11,
        }
    }

    /// An I/O failure on `path`, while doing `what` ("read", "write", ...).
    pub fn io(what: &str, path: &Path, error: &std::io::Error) -> Self {
        Failure::Io(format!("cannot {what} '{}': {error}", path.display()))
    }

    /// A rejected envelope.
    pub fn rejected(rejection: &payseal::Rejection) -> Self {
        Failure::Rejected {
            code: rejection.code(),
            reason: rejection.to_string(),
        }
    }
}
