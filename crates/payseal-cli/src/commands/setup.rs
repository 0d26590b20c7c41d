//! Sealers and openers from command-line flags and the trust configuration.

use std::path::{Path, PathBuf};

use payseal::{
    Audience, ConfigError, Counter, Kid, MacKey, MemoryReplayStore, MessageKind, Opener, Recipient,
    Rejection, ReplayStore, SealError, Sealer, SystemClock,
};
use payseal_rumqttc::EnvelopeSealer;
use payseal_store::FileReplayStore;

use crate::Failure;
use crate::commands::x509::{self, Attached, CliResolver};
use crate::config::{ConfigFileError, TrustConfig, parse_content_alg};
use crate::keyfile;
use crate::macfile::{self, MacFile};
use crate::pkcs11::{self, CliSigningKey};

/// The CLI's sealer: a key file (signing, or a MAC sender's), time-based or given sequence
/// numbers, the system clock.
pub(crate) enum CliSealer {
    /// Signed envelopes (COSE_Sign1).
    Signed(Sealer<CliSigningKey, Counter, SystemClock>),
    /// MAC envelopes (COSE_Mac0, spec/mac.md).
    Mac(Sealer<MacKey, Counter, SystemClock>),
}

impl CliSealer {
    fn with_audience(self, filter: &str, audience: Audience) -> Result<Self, ConfigError> {
        Ok(match self {
            CliSealer::Signed(s) => CliSealer::Signed(s.with_audience(filter, audience)?),
            CliSealer::Mac(s) => CliSealer::Mac(s.with_audience(filter, audience)?),
        })
    }
}

impl EnvelopeSealer for CliSealer {
    fn seal(&mut self, topic: &str, payload: &[u8]) -> Result<Vec<u8>, SealError> {
        match self {
            CliSealer::Signed(s) => s.seal(topic, payload),
            CliSealer::Mac(s) => s.seal(topic, payload),
        }
    }

    fn seal_kind(
        &mut self,
        topic: &str,
        payload: &[u8],
        kind: MessageKind,
    ) -> Result<Vec<u8>, SealError> {
        match self {
            CliSealer::Signed(s) => s.seal_kind(topic, payload, kind),
            CliSealer::Mac(s) => s.seal_kind(topic, payload, kind),
        }
    }
}

/// The CLI's opener, with replay windows in memory or in a directory, and static keys or
/// certificate senders.
pub(crate) type CliOpener = Opener<Replay, SystemClock, CliResolver>;

/// How the sealer encrypts: recipients given as flags (for `topic`), else the trust file's.
pub(crate) struct SealerSpec<'a> {
    pub(crate) key: &'a Path,
    /// With a MAC secret as `key`: the kid to derive the sender key for.
    pub(crate) kid: Option<&'a str>,
    pub(crate) topic: &'a str,
    pub(crate) to: &'a [PathBuf],
    pub(crate) trust: Option<&'a Path>,
    pub(crate) content: &'a str,
    pub(crate) seq: Option<u64>,
    /// A device certificate chain to attach (`x5chain`), or with `x5t` its thumbprint.
    pub(crate) cert: Option<&'a Path>,
    pub(crate) x5t: bool,
}

pub(crate) fn sealer(spec: &SealerSpec<'_>) -> Result<CliSealer, Failure> {
    check_topic(spec.topic)?;
    let seq = match spec.seq {
        Some(first) => Counter::starting_at(first),
        None => Counter::from_unix_micros(),
    };
    let mut sealer = match sealing_key(spec.key, spec.kid)? {
        SealingKeyFile::Signing(key) => {
            let attached = spec
                .cert
                .map(|path| x509::device_chain(path, &key.verifying_key(), spec.x5t))
                .transpose()?;
            let sealer = Sealer::new(key, seq, SystemClock);
            CliSealer::Signed(match attached {
                Some(Attached::Chain(chain)) => sealer.with_x5chain(chain),
                Some(Attached::Thumbprint(hash)) => sealer.with_x5t(hash),
                None => sealer,
            })
        }
        SealingKeyFile::Mac(_) if spec.cert.is_some() => {
            return Err(Failure::Usage(
                "--cert needs a signing key: a MAC envelope carries no certificate".into(),
            ));
        }
        SealingKeyFile::Mac(key) => CliSealer::Mac(Sealer::new(key, seq, SystemClock)),
    };
    if !spec.to.is_empty() {
        let content = parse_content_alg(spec.content).map_err(Failure::Usage)?;
        let mut recipients = Vec::new();
        for path in spec.to {
            recipients.push(Recipient::new(keyfile::read_recipient_public_key(path)?));
        }
        let audience = Audience::recipients(recipients)
            .map_err(|e| Failure::BadInput(format!("recipients: {e}")))?
            .with_content_alg(content);
        sealer = sealer
            .with_audience(spec.topic, audience)
            .map_err(|e| Failure::Usage(format!("topic: {e}")))?;
    } else if let Some(path) = spec.trust {
        let config = read_config(path)?;
        refuse_plaintext(&config, spec.topic, path)?;
        for (filter, audience) in config.audiences {
            sealer = sealer
                .with_audience(&filter, audience)
                .map_err(|e| Failure::BadInput(e.to_string()))?;
        }
    }
    Ok(sealer)
}

enum SealingKeyFile {
    Signing(CliSigningKey),
    Mac(MacKey),
}

/// The key `seal`/`pub --key` names: a private signing key, a MAC sender key, or a MAC
/// secret with `kid` (the sender key is derived from it, as receivers derive it).
fn sealing_key(path: &Path, kid: Option<&str>) -> Result<SealingKeyFile, Failure> {
    if pkcs11::is_uri(path) {
        return pkcs11::signing_key(path).map(SealingKeyFile::Signing);
    }
    let text = keyfile::read_text(path)?;
    if !MacFile::looks_like(&text) {
        if kid.is_some() {
            return Err(Failure::Usage(
                "--kid is for MAC secrets: a signing key's kid is its thumbprint".into(),
            ));
        }
        return keyfile::read_signing_key(path)
            .map(|key| SealingKeyFile::Signing(CliSigningKey::File(key)));
    }
    let file = MacFile::parse(&text)
        .map_err(|e| Failure::BadInput(format!("'{}': {e}", path.display())))?;
    match (file, kid) {
        (MacFile::SenderKey(key), None) => Ok(SealingKeyFile::Mac(key)),
        (MacFile::SenderKey(key), Some(_)) => Err(Failure::Usage(format!(
            "'{}' is a MAC sender key with its own kid ({}): drop --kid",
            path.display(),
            key.kid()
        ))),
        (MacFile::Secret(secret, alg), Some(kid)) => {
            let kid = macfile::kid_from_text(kid).map_err(Failure::Usage)?;
            Ok(SealingKeyFile::Mac(secret.sender_key(kid, alg)))
        }
        (MacFile::Secret(..), None) => Err(Failure::Usage(format!(
            "'{}' is a MAC secret: give the sender's --kid to derive its key",
            path.display()
        ))),
    }
}

/// Refuses to seal in clear on a topic the trust file requires encryption for
/// (`require_encryption`) when none of its `[[encrypt]]` entries matches the topic: a typo in
/// an entry's filter must not send the payload in clear.
fn refuse_plaintext(config: &TrustConfig, topic: &str, file: &Path) -> Result<(), Failure> {
    let encrypted = config.audiences.iter().any(|(filter, _)| {
        payseal::TopicFilter::new(filter).is_ok_and(|filter| filter.matches(topic))
    });
    if !encrypted && config.keyring.requires_encryption(topic) {
        return Err(Failure::EncryptionRequired {
            topic: topic.to_owned(),
            file: file.to_owned(),
        });
    }
    Ok(())
}

/// An opener from the trust file, extra decryption keys and an optional state directory;
/// with the names the file gives senders.
pub(crate) fn opener(
    trust: &Path,
    keys: &[PathBuf],
    state: Option<&Path>,
) -> Result<(CliOpener, TrustConfig), Failure> {
    let mut config = read_config(trust)?;
    let mut keyring = std::mem::take(&mut config.keyring);
    for path in keys {
        if pkcs11::is_uri(path) {
            pkcs11::add_recipient(&mut keyring, path)?;
            continue;
        }
        keyring
            .add_recipient_key(keyfile::read_recipient_key(path)?)
            .map_err(|e| Failure::BadInput(format!("'{}': {e}", path.display())))?;
    }
    let replay = match state {
        None => Replay::Memory(MemoryReplayStore::new(config.policy.window())),
        Some(dir) => Replay::File(
            FileReplayStore::open(dir, config.policy.window())
                .map_err(|e| Failure::Io(format!("replay state '{}': {e}", dir.display())))?,
        ),
    };
    let senders = CliResolver::new(std::mem::take(&mut config.trust), &config.cas, trust)?;
    let opener = Opener::with_replay_store(senders, replay, config.policy, SystemClock)
        .with_keyring(keyring);
    Ok((opener, config))
}

/// A topic name to publish on or open for: no wildcards, not empty.
pub(crate) fn check_topic(topic: &str) -> Result<(), Failure> {
    if payseal::is_valid_topic_name(topic) {
        Ok(())
    } else {
        Err(Failure::Usage(format!(
            "{topic:?} is not a topic name (not empty, no + or #, at most {} bytes)",
            payseal::MAX_TOPIC_LEN
        )))
    }
}

pub(crate) fn read_config(path: &Path) -> Result<TrustConfig, Failure> {
    TrustConfig::read(path).map_err(|e: ConfigFileError| {
        if e.unreadable {
            Failure::Io(e.to_string())
        } else {
            Failure::BadInput(e.to_string())
        }
    })
}

/// Replay windows in memory (one run) or in a directory (across runs).
#[derive(Debug)]
pub(crate) enum Replay {
    Memory(MemoryReplayStore),
    File(FileReplayStore),
}

impl ReplayStore for Replay {
    fn check_and_record(&mut self, sender: &Kid, seq: u64) -> Result<(), Rejection> {
        match self {
            Replay::Memory(store) => store.check_and_record(sender, seq),
            Replay::File(store) => store.check_and_record(sender, seq),
        }
    }
}
