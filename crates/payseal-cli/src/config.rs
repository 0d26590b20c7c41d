//! The trust configuration file (TOML): whom a receiver trusts on which topics, its replay
//! and freshness policy, its decryption keys, and whom a sender encrypts to per topic.
//! The format is documented in `docs/trust-config.md`; every error names the file, line and
//! column it comes from.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

use payseal::{Audience, ContentAlg, KeyValidity, Keyring, Kid, Policy, Recipient, TrustStore};
use serde::Deserialize;
use toml::Spanned;
use toml::value::Datetime;

use crate::keyfile::AnyKey;

mod group;
mod pki;

pub use group::GroupEntry;
pub use pki::{CaAnchor, CertInfo, Eku, Located, read_certificates};

/// Largest configuration file read, in bytes: a trust file lists keys by path.
pub const MAX_CONFIG_BYTES: usize = 1024 * 1024;

/// A parsed, checked trust configuration.
#[derive(Debug)]
pub struct TrustConfig {
    /// The senders and their topics.
    pub trust: TrustStore,
    /// Human names of senders, by kid, for messages.
    pub names: BTreeMap<Kid, String>,
    /// Replay window, freshness and size limits.
    pub policy: Policy,
    /// Decryption keys and topics that must arrive encrypted.
    pub keyring: Keyring,
    /// Whom to encrypt to, per topic filter (for `seal` and `pub`): the `[[encrypt]]`
    /// entries, then the `[[group]]` entries with topics, in file order (the first match wins).
    pub audiences: Vec<(String, Audience)>,
    /// Certificate authorities for certificate senders (`[[ca]]`).
    pub cas: Vec<CaAnchor>,
    /// Group keys (`[[group]]`), also in `keyring` and, for their topics, in `audiences`.
    pub groups: Vec<GroupEntry>,
    /// Who may publish where, as the file says it (for `payseal trust check`).
    pub rules: Vec<SenderRule>,
    /// The `require_encryption` filters.
    pub require_encryption: Vec<String>,
    /// How many `[decrypt]` keys the file has.
    pub decrypt_keys: usize,
}

/// One sender entry of the file, as `payseal trust check` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SenderRule {
    /// Its name (or kid).
    pub who: String,
    /// `sender`, `mac_sender` or `ca subject`.
    pub kind: &'static str,
    /// Topic filters it may publish on.
    pub topics: Vec<String>,
    /// The entry's 1-based line.
    pub line: usize,
}

/// A configuration error with its location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigFileError {
    /// The file (as given on the command line).
    pub file: PathBuf,
    /// 1-based line and column, when the error has a place in the file.
    pub at: Option<(usize, usize)>,
    /// What is wrong.
    pub message: String,
    /// The file itself could not be read (an I/O problem, not a content problem).
    pub unreadable: bool,
}

impl fmt::Display for ConfigFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.at {
            Some((line, col)) => {
                write!(f, "{}:{line}:{col}: {}", self.file.display(), self.message)
            }
            None => write!(f, "{}: {}", self.file.display(), self.message),
        }
    }
}

impl std::error::Error for ConfigFileError {}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    policy: RawPolicy,
    #[serde(default, rename = "sender")]
    senders: Vec<RawSender>,
    #[serde(default, rename = "mac_sender")]
    mac_senders: Vec<RawMacSender>,
    #[serde(default)]
    decrypt: RawDecrypt,
    #[serde(default, rename = "encrypt")]
    audiences: Vec<RawAudience>,
    #[serde(default)]
    ca: Vec<pki::RawCa>,
    #[serde(default)]
    group: Vec<group::RawGroup>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    max_age_secs: Option<Spanned<u64>>,
    max_future_skew_secs: Option<u64>,
    window: Option<Spanned<usize>>,
    max_envelope_bytes: Option<usize>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSender {
    name: Option<String>,
    public_key: Spanned<String>,
    kid: Option<Spanned<String>>,
    topics: Spanned<Vec<Spanned<String>>>,
    /// spec/key-management.md §3: a rollover's new key from, its old key until.
    not_before: Option<Spanned<Datetime>>,
    not_after: Option<Spanned<Datetime>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMacSender {
    name: Option<String>,
    secret: Spanned<String>,
    kid: Spanned<String>,
    topics: Spanned<Vec<Spanned<String>>>,
    /// spec/key-management.md §3, as for a `[[sender]]`.
    not_before: Option<Spanned<Datetime>>,
    not_after: Option<Spanned<Datetime>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawDecrypt {
    #[serde(default)]
    keys: Vec<Spanned<String>>,
    #[serde(default)]
    require_encryption: Vec<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAudience {
    topics: Spanned<String>,
    recipients: Spanned<Vec<Spanned<String>>>,
    content: Option<Spanned<String>>,
}

impl TrustConfig {
    /// Reads and checks a configuration file. Key paths in it are relative to its directory.
    ///
    /// # Errors
    /// The file cannot be read, or any entry is wrong; the error carries its location.
    pub fn read(path: &Path) -> Result<Self, ConfigFileError> {
        let at_file = |message: String| ConfigFileError {
            file: path.to_owned(),
            at: None,
            message,
            unreadable: false,
        };
        let bytes = std::fs::read(path).map_err(|e| ConfigFileError {
            unreadable: true,
            ..at_file(format!("cannot read: {e}"))
        })?;
        if bytes.len() > MAX_CONFIG_BYTES {
            return Err(at_file(format!(
                "{} bytes is larger than {MAX_CONFIG_BYTES}",
                bytes.len()
            )));
        }
        // The file may hold inline private keys: wipe the text when done with it.
        let bytes = zeroize::Zeroizing::new(bytes);
        let text = zeroize::Zeroizing::new(
            std::str::from_utf8(&bytes)
                .map_err(|_| at_file("not UTF-8 text".into()))?
                .to_owned(),
        );
        let base = path.parent().unwrap_or(Path::new("."));
        Self::parse(&text, path, base)
    }

    /// Parses configuration text; `file` names it in errors and key paths resolve against
    /// `base`. Inline PEM (a value starting with `-----BEGIN`) works in place of a path.
    ///
    /// # Errors
    /// Any entry that is wrong, with its location.
    pub fn parse(text: &str, file: &Path, base: &Path) -> Result<Self, ConfigFileError> {
        let locate = Locator { text, file };
        let raw: RawConfig = toml::from_str(text)
            .map_err(|e| locate.error(e.span(), e.message().trim_end().replace('\n', "; ")))?;

        let mut policy = Policy::default();
        if let Some(age) = &raw.policy.max_age_secs {
            policy = policy
                .with_max_age(*age.get_ref())
                .map_err(|e| locate.error(Some(age.span()), e.to_string()))?;
        }
        if let Some(skew) = raw.policy.max_future_skew_secs {
            policy = policy.with_max_future_skew(skew);
        }
        if let Some(window) = &raw.policy.window {
            policy = policy
                .with_window(*window.get_ref())
                .map_err(|e| locate.error(Some(window.span()), e.to_string()))?;
        }
        if let Some(bytes) = raw.policy.max_envelope_bytes {
            let limits = policy.limits().with_max_envelope_bytes(bytes);
            policy = policy.with_limits(limits);
        }

        let mut trust = TrustStore::new();
        let mut names = BTreeMap::new();
        let mut rules = Vec::new();
        for (i, sender) in raw.senders.iter().enumerate() {
            let label = sender
                .name
                .clone()
                .unwrap_or_else(|| format!("sender #{}", i + 1));
            let key = match locate.key(&sender.public_key, base)? {
                AnyKey::Verifying(key) => key,
                AnyKey::Signing(key) => {
                    return Err(locate.error(
                        Some(sender.public_key.span()),
                        format!("{label}: this is a private key; a trust file holds public keys only ({})", key.kid()),
                    ));
                }
                other => {
                    return Err(locate.error(
                        Some(sender.public_key.span()),
                        format!(
                            "{label}: a sender needs a public signing key, found a {}",
                            other.describe()
                        ),
                    ));
                }
            };
            if let Some(kid) = &sender.kid {
                let expected = Kid::from_hex(kid.get_ref())
                    .map_err(|e| locate.error(Some(kid.span()), format!("{label}: kid: {e}")))?;
                if expected != key.kid() {
                    return Err(locate.error(
                        Some(kid.span()),
                        format!(
                            "{label}: kid {expected} does not match the key's kid {}",
                            key.kid()
                        ),
                    ));
                }
            }
            locate.topics(&label, &sender.topics)?;
            let kid = key.kid();
            rules.push(locate.rule(&label, "sender", &sender.topics));
            trust
                .add_sender(
                    key,
                    sender.topics.get_ref().iter().map(|t| t.get_ref().as_str()),
                )
                .map_err(|e| {
                    locate.error(Some(sender.public_key.span()), format!("{label}: {e}"))
                })?;
            let window = (sender.not_before.as_ref(), sender.not_after.as_ref());
            locate.set_validity(&mut trust, &kid, &label, window, sender.public_key.span())?;
            names.insert(kid, label);
        }
        for (i, sender) in raw.mac_senders.iter().enumerate() {
            let label = sender
                .name
                .clone()
                .unwrap_or_else(|| format!("mac_sender #{}", i + 1));
            let kid = crate::macfile::kid_from_text(sender.kid.get_ref())
                .map_err(|e| locate.error(Some(sender.kid.span()), format!("{label}: {e}")))?;
            let (secret, alg) = locate.mac_secret(&label, &sender.secret, base)?;
            locate.topics(&label, &sender.topics)?;
            rules.push(locate.rule(&label, "mac_sender", &sender.topics));
            trust
                .add_mac_sender(
                    secret.sender_key(kid.clone(), alg),
                    sender.topics.get_ref().iter().map(|t| t.get_ref().as_str()),
                )
                .map_err(|e| locate.error(Some(sender.kid.span()), format!("{label}: {e}")))?;
            let window = (sender.not_before.as_ref(), sender.not_after.as_ref());
            locate.set_validity(&mut trust, &kid, &label, window, sender.kid.span())?;
            names.insert(kid, label);
        }

        let mut keyring = Keyring::new();
        for key in &raw.decrypt.keys {
            let key_value = locate.recipient_key(key, base)?;
            keyring
                .add_recipient_key(key_value)
                .map_err(|e| locate.error(Some(key.span()), e.to_string()))?;
        }
        for filter in &raw.decrypt.require_encryption {
            keyring
                .require_encryption(filter.get_ref())
                .map_err(|e| locate.error(Some(filter.span()), e.to_string()))?;
        }

        let mut audiences = Vec::new();
        for entry in &raw.audiences {
            payseal::TopicFilter::new(entry.topics.get_ref())
                .map_err(|e| locate.error(Some(entry.topics.span()), e.to_string()))?;
            let mut recipients = Vec::new();
            for key in entry.recipients.get_ref() {
                recipients.push(Recipient::new(locate.recipient_public_key(key, base)?));
            }
            let mut audience = Audience::recipients(recipients)
                .map_err(|e| locate.error(Some(entry.recipients.span()), e.to_string()))?;
            if let Some(content) = &entry.content {
                let alg = parse_content_alg(content.get_ref())
                    .map_err(|e| locate.error(Some(content.span()), e))?;
                audience = audience.with_content_alg(alg);
            }
            audiences.push((entry.topics.get_ref().clone(), audience));
        }

        let mut cas = Vec::new();
        for (i, raw_ca) in raw.ca.iter().enumerate() {
            let ca = locate.ca(i, raw_ca, base)?;
            rules.extend(ca.subjects.iter().map(|(cn, topics)| SenderRule {
                who: format!("{}: CN={cn}", ca.name),
                kind: "ca subject",
                topics: topics.clone(),
                line: ca.line,
            }));
            cas.push(ca);
        }
        let mut groups = Vec::new();
        for (i, raw_group) in raw.group.iter().enumerate() {
            let entry = locate.group(i, raw_group, base)?;
            keyring.add_group_key(entry.key.clone()).map_err(|e| {
                locate.error(Some(raw_group.kid_span()), format!("{}: {e}", entry.name))
            })?;
            for filter in &entry.topics {
                audiences.push((filter.clone(), Audience::group(entry.key.clone())));
            }
            groups.push(entry);
        }

        Ok(TrustConfig {
            trust,
            names,
            policy,
            keyring,
            audiences,
            cas,
            groups,
            rules,
            require_encryption: raw
                .decrypt
                .require_encryption
                .iter()
                .map(|f| f.get_ref().clone())
                .collect(),
            decrypt_keys: raw.decrypt.keys.len(),
        })
    }

    /// Who sent a verified envelope: its certificate subject, else the name the file gives
    /// the sender, else its kid.
    pub fn sender_label(&self, verified: &payseal::Verified) -> String {
        verified
            .identity()
            .map_or_else(|| self.name_of(verified.sender()), str::to_owned)
    }

    /// The name the file gives a sender, or its kid.
    pub fn name_of(&self, kid: &Kid) -> String {
        self.names
            .get(kid)
            .cloned()
            .unwrap_or_else(|| kid.to_string())
    }
}

/// A content encryption algorithm by its CLI name: `a128gcm`, `a256gcm` or `chacha20poly1305`.
///
/// # Errors
/// An unknown name.
pub fn parse_content_alg(name: &str) -> Result<ContentAlg, String> {
    match name.to_ascii_lowercase().as_str() {
        "a128gcm" => Ok(ContentAlg::A128Gcm),
        "a256gcm" => Ok(ContentAlg::A256Gcm),
        "chacha20poly1305" | "chacha20-poly1305" => Ok(ContentAlg::ChaCha20Poly1305),
        other => Err(format!(
            "unknown content algorithm {other:?} (a128gcm, a256gcm or chacha20poly1305)"
        )),
    }
}

struct Locator<'a> {
    text: &'a str,
    file: &'a Path,
}

impl Locator<'_> {
    /// A sender entry for [`TrustConfig::rules`] (its topics already checked).
    fn rule(
        &self,
        who: &str,
        kind: &'static str,
        topics: &Spanned<Vec<Spanned<String>>>,
    ) -> SenderRule {
        SenderRule {
            who: who.to_owned(),
            kind,
            topics: topics
                .get_ref()
                .iter()
                .map(|t| t.get_ref().clone())
                .collect(),
            line: self.at(topics.span().start).0,
        }
    }

    fn at(&self, offset: usize) -> (usize, usize) {
        line_col(self.text, offset)
    }

    fn error(&self, span: Option<Range<usize>>, message: String) -> ConfigFileError {
        ConfigFileError {
            file: self.file.to_owned(),
            at: span.map(|s| line_col(self.text, s.start)),
            message,
            unreadable: false,
        }
    }

    /// The PEM text a key entry refers to: inline, or a file relative to `base`.
    /// The PEM is returned in memory that is wiped when dropped: it may be a private key.
    fn pem(
        &self,
        entry: &Spanned<String>,
        base: &Path,
    ) -> Result<zeroize::Zeroizing<String>, ConfigFileError> {
        let value = entry.get_ref();
        if value.trim_start().starts_with("-----BEGIN") {
            return Ok(zeroize::Zeroizing::new(value.clone()));
        }
        self.read_key_file(entry, base)
    }

    /// The text of the key file an entry names (relative to `base`), wiped when dropped.
    fn read_key_file(
        &self,
        entry: &Spanned<String>,
        base: &Path,
    ) -> Result<zeroize::Zeroizing<String>, ConfigFileError> {
        let path = base.join(entry.get_ref());
        // A key file that cannot be read is an I/O failure (exit 4) wherever it is named,
        // on the command line or in a trust file.
        let bytes = zeroize::Zeroizing::new(std::fs::read(&path).map_err(|e| ConfigFileError {
            unreadable: true,
            ..self.error(
                Some(entry.span()),
                format!("cannot read key file '{}': {e}", path.display()),
            )
        })?);
        if bytes.len() > 64 * 1024 {
            return Err(self.error(
                Some(entry.span()),
                format!("'{}' is too large for a key file", path.display()),
            ));
        }
        std::str::from_utf8(&bytes)
            .map(|text| zeroize::Zeroizing::new(text.to_owned()))
            .map_err(|_| {
                self.error(
                    Some(entry.span()),
                    format!("'{}' is not a PEM key file", path.display()),
                )
            })
    }

    /// Bounds when the sender `kid` (signature or MAC) is accepted, if its entry has a
    /// `not_before` or `not_after`; `span` locates the entry's key for errors.
    fn set_validity(
        &self,
        trust: &mut TrustStore,
        kid: &Kid,
        label: &str,
        (not_before, not_after): (Option<&Spanned<Datetime>>, Option<&Spanned<Datetime>>),
        span: Range<usize>,
    ) -> Result<(), ConfigFileError> {
        let mut validity = KeyValidity::always();
        let secs = |value: &Spanned<Datetime>| {
            validity::unix_secs(value.get_ref())
                .map_err(|e| self.error(Some(value.span()), format!("{label}: {e}")))
        };
        if let Some(value) = not_before {
            validity = validity.from(secs(value)?);
        }
        if let Some(value) = not_after {
            validity = validity.until(secs(value)?);
        }
        if !validity.is_always() {
            trust
                .set_validity(kid, validity)
                .map_err(|e| self.error(Some(span), format!("{label}: {e}")))?;
        }
        Ok(())
    }

    /// A sender's topic filters: at least one, each valid.
    fn topics(
        &self,
        label: &str,
        topics: &Spanned<Vec<Spanned<String>>>,
    ) -> Result<(), ConfigFileError> {
        if topics.get_ref().is_empty() {
            return Err(self.error(
                Some(topics.span()),
                format!("{label}: no topics: a sender must be allowed at least one topic filter"),
            ));
        }
        for topic in topics.get_ref() {
            payseal::TopicFilter::new(topic.get_ref())
                .map_err(|e| self.error(Some(topic.span()), format!("{label}: {e}")))?;
        }
        Ok(())
    }

    /// A `[[mac_sender]]`'s secret, read from its file (see [`Self::secret_file`]).
    fn mac_secret(
        &self,
        label: &str,
        entry: &Spanned<String>,
        base: &Path,
    ) -> Result<(payseal::MacSecret, payseal::MacAlgorithm), ConfigFileError> {
        let kind = SecretKind {
            what: "a MAC secret",
            hint: "payseal keygen --alg hmac",
            inline: crate::macfile::MacFile::looks_like,
        };
        let text = self.secret_file(label, entry, base, &kind)?;
        match crate::macfile::MacFile::parse(&text) {
            Ok(crate::macfile::MacFile::Secret(secret, alg)) => Ok((secret, alg)),
            Ok(other) => Err(self.error(
                Some(entry.span()),
                format!(
                    "{label}: secret: found a {}; a receiver derives sender keys from the secret",
                    other.describe()
                ),
            )),
            Err(e) => Err(self.error(Some(entry.span()), format!("{label}: secret: {e}"))),
        }
    }

    /// A secret (`[[mac_sender]]`, `[[group]]`): always a file (never inline, so that a trust
    /// file can be shown or copied without leaking it; `inline` tells a secret written in
    /// place), readable by its owner only. Its text is wiped when dropped.
    fn secret_file(
        &self,
        label: &str,
        entry: &Spanned<String>,
        base: &Path,
        kind: &SecretKind,
    ) -> Result<zeroize::Zeroizing<String>, ConfigFileError> {
        let value = entry.get_ref();
        if value.contains('\n') || (kind.inline)(value) {
            return Err(self.error(
                Some(entry.span()),
                format!(
                    "{label}: secret: give the path of a secret file ({}), never the secret itself",
                    kind.hint
                ),
            ));
        }
        let text = self.read_key_file(entry, base)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let path = base.join(value);
            let mode = std::fs::metadata(&path).map_or(0, |m| m.permissions().mode());
            if mode & 0o077 != 0 {
                return Err(self.error(
                    Some(entry.span()),
                    format!(
                        "{label}: '{}' has mode {:o}: {} must be readable by its owner only (chmod 600)",
                        path.display(),
                        mode & 0o777,
                        kind.what
                    ),
                ));
            }
        }
        Ok(text)
    }

    fn key(&self, entry: &Spanned<String>, base: &Path) -> Result<AnyKey, ConfigFileError> {
        let pem = self.pem(entry, base)?;
        AnyKey::from_pem(&pem).map_err(|e| self.error(Some(entry.span()), e))
    }

    fn recipient_key(
        &self,
        entry: &Spanned<String>,
        base: &Path,
    ) -> Result<payseal::RecipientKey, ConfigFileError> {
        let pem = self.pem(entry, base)?;
        payseal::RecipientKey::from_pkcs8_pem(&pem).map_err(|_| {
            let found =
                AnyKey::from_pem(&pem).map_or_else(|e| e, |k| format!("found a {}", k.describe()));
            self.error(
                Some(entry.span()),
                format!("a decryption key must be a private encryption key (x25519): {found}"),
            )
        })
    }

    fn recipient_public_key(
        &self,
        entry: &Spanned<String>,
        base: &Path,
    ) -> Result<payseal::RecipientPublicKey, ConfigFileError> {
        let pem = self.pem(entry, base)?;
        payseal::RecipientPublicKey::from_public_key_pem(&pem).map_err(|_| {
            let found =
                AnyKey::from_pem(&pem).map_or_else(|e| e, |k| format!("found a {}", k.describe()));
            self.error(
                Some(entry.span()),
                format!("a recipient must be a public encryption key (x25519 .pub): {found}"),
            )
        })
    }
}

/// What a secret file holds, for [`Locator::secret_file`]'s checks and messages.
struct SecretKind {
    /// `"a MAC secret"`.
    what: &'static str,
    /// How to make one.
    hint: &'static str,
    /// Whether an entry's value is the secret itself rather than a file name.
    inline: fn(&str) -> bool,
}

/// 1-based line and column (in characters) of byte `offset`.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset.min(text.len())).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

#[cfg(test)]
mod pki_tests;
#[cfg(test)]
mod tests;
mod validity;
