//! `keys.toml`: what `payseal group` and `payseal keyserver` share (docs/keys-config.md): the
//! controller's signing key, its state directory, the broker, and the rotation timing.

use std::path::{Path, PathBuf};

use payseal_keys::ControllerConfig;
use serde::Deserialize;

use crate::Failure;
use crate::cli::Broker;

/// The controller's state file, inside the state directory.
const STATE_FILE: &str = "controller.state";

/// A checked `keys.toml`, its paths resolved against the file's directory.
#[derive(Debug)]
pub(crate) struct KeysConfig {
    /// The controller's private signing key (members trust its public key).
    pub(crate) signing_key: PathBuf,
    /// The state directory (the one source of truth: groups, members, epoch secrets).
    pub(crate) state_dir: PathBuf,
    /// The broker, as `pub`/`sub` flags would give it.
    pub(crate) broker: Broker,
    /// Rotation timing.
    pub(crate) controller: ControllerConfig,
}

impl KeysConfig {
    /// The controller's state file.
    pub(crate) fn state_file(&self) -> PathBuf {
        self.state_dir.join(STATE_FILE)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawKeys {
    signing_key: PathBuf,
    state: PathBuf,
    #[serde(default)]
    broker: RawBroker,
    #[serde(default)]
    rotation: RawRotation,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBroker {
    host: Option<String>,
    port: Option<u16>,
    id: Option<String>,
    username: Option<String>,
    password: Option<String>,
    cafile: Option<PathBuf>,
    tls_cert: Option<PathBuf>,
    tls_key: Option<PathBuf>,
    protocol_version: Option<String>,
    keepalive: Option<u16>,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRotation {
    grace_secs: Option<u64>,
    handover_secs: Option<u64>,
    rotate_every_secs: Option<u64>,
}

/// Reads and checks `keys.toml`.
///
/// # Errors
/// [`Failure::Io`] if it cannot be read, [`Failure::BadInput`] if a field is wrong.
pub(crate) fn read(path: &Path) -> Result<KeysConfig, Failure> {
    let text = zeroize::Zeroizing::new(
        std::fs::read_to_string(path).map_err(|e| Failure::io("read", path, &e))?,
    );
    let base = path.parent().unwrap_or(Path::new("."));
    parse(&text, path, base)
}

fn parse(text: &str, file: &Path, base: &Path) -> Result<KeysConfig, Failure> {
    let bad = |message: String| Failure::BadInput(format!("'{}': {message}", file.display()));
    let raw: RawKeys = toml::from_str(text).map_err(|e| bad(e.message().trim_end().into()))?;
    let resolve = |p: PathBuf| if p.is_absolute() { p } else { base.join(p) };
    let protocol = raw.broker.protocol_version.unwrap_or_else(|| "311".into());
    if !["311", "5", "mqttv311", "mqttv5"].contains(&protocol.as_str()) {
        return Err(bad(format!(
            "broker.protocol_version must be \"311\" or \"5\", not {protocol:?}"
        )));
    }
    if raw.broker.password.is_some() && raw.broker.username.is_none() {
        return Err(bad("broker.password needs broker.username".into()));
    }
    if raw.broker.tls_cert.is_some() != raw.broker.tls_key.is_some()
        || (raw.broker.tls_cert.is_some() && raw.broker.cafile.is_none())
    {
        return Err(bad(
            "broker.tls_cert and broker.tls_key go together, and need broker.cafile".into(),
        ));
    }
    let defaults = ControllerConfig::default();
    let rotation = raw.rotation;
    if rotation.rotate_every_secs == Some(0) {
        return Err(bad("rotation.rotate_every_secs must be at least 1".into()));
    }
    let controller = ControllerConfig {
        grace_secs: rotation.grace_secs.unwrap_or(defaults.grace_secs),
        handover_secs: rotation.handover_secs.unwrap_or(defaults.handover_secs),
        rotate_every_secs: rotation.rotate_every_secs,
        rotate_after_messages: None,
    };
    let broker = Broker {
        help: None,
        host: raw.broker.host.unwrap_or_else(|| "localhost".into()),
        port: raw.broker.port,
        id: raw.broker.id,
        qos: 1,
        username: raw.broker.username,
        pw: raw.broker.password,
        cafile: raw.broker.cafile.map(resolve),
        tls_cert: raw.broker.tls_cert.map(resolve),
        tls_key: raw.broker.tls_key.map(resolve),
        protocol,
        keepalive: raw.broker.keepalive.unwrap_or(60),
    };
    Ok(KeysConfig {
        signing_key: resolve(raw.signing_key),
        state_dir: resolve(raw.state),
        broker,
        controller,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn fields_map_to_the_controller_and_broker() {
        let text = "signing_key = \"ctl.key\"\nstate = \"/var/lib/keys\"\n\
                    [broker]\nport = 1884\nprotocol_version = \"5\"\n\
                    [rotation]\ngrace_secs = 60\nhandover_secs = 2\nrotate_every_secs = 3600\n";
        let c = parse(text, Path::new("keys.toml"), Path::new("/etc/payseal")).unwrap();
        assert_eq!(c.signing_key, Path::new("/etc/payseal/ctl.key"));
        assert_eq!(c.state_file(), Path::new("/var/lib/keys/controller.state"));
        assert_eq!(
            (c.broker.host.as_str(), c.broker.port),
            ("localhost", Some(1884))
        );
        assert_eq!(c.broker.protocol, "5");
        assert_eq!(c.controller.grace_secs, 60);
        assert_eq!(c.controller.handover_secs, 2);
        assert_eq!(c.controller.rotate_every_secs, Some(3600));
    }

    #[test]
    fn wrong_fields_are_bad_input() {
        for text in [
            "state = \"s\"\n",
            "signing_key = \"k\"\nstate = \"s\"\nsurprise = 1\n",
            "signing_key = \"k\"\nstate = \"s\"\n[broker]\nprotocol_version = \"4\"\n",
            "signing_key = \"k\"\nstate = \"s\"\n[broker]\npassword = \"x\"\n",
            "signing_key = \"k\"\nstate = \"s\"\n[rotation]\nrotate_every_secs = 0\n",
        ] {
            let e = parse(text, Path::new("keys.toml"), Path::new(".")).unwrap_err();
            assert_eq!(e.exit_code(), 3, "{text}: {e}");
        }
    }
}
