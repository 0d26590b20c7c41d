//! `[[group]]` entries: shared group keys (spec/encryption.md §5). A receiver decrypts with
//! them; a sender (`seal`/`pub --trust`) encrypts to them on the entry's topics. The secret
//! is always a separate file, readable by its owner only, never inline.

use std::path::Path;

use payseal::{ContentAlg, GroupKey, Kid};
use serde::Deserialize;
use toml::Spanned;
use zeroize::Zeroizing;

use super::{ConfigFileError, Locator, parse_content_alg};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawGroup {
    name: Option<String>,
    kid: Spanned<String>,
    alg: Option<Spanned<String>>,
    secret: Spanned<String>,
    #[serde(default)]
    topics: Option<Spanned<Vec<Spanned<String>>>>,
}

/// A `[[group]]` entry, checked: its key and the topics senders encrypt to it on.
#[derive(Clone, Debug)]
pub struct GroupEntry {
    /// Its `name`, or `group #N`.
    pub name: String,
    /// The key (its kid, algorithm and secret).
    pub key: GroupKey,
    /// Topic filters a sender encrypts to this group on (may be empty: receive only).
    pub topics: Vec<String>,
}

/// What a group secret file holds: the secret as hex (32 hex digits for a128gcm, 64 for
/// a256gcm), optionally followed by a newline. `openssl rand -hex 16` writes one.
fn parse_secret(text: &str) -> Result<Zeroizing<Vec<u8>>, String> {
    hex::decode(text.trim())
        .map(Zeroizing::new)
        .map_err(|_| "a group secret file holds the secret as hex digits".to_owned())
}

impl RawGroup {
    /// Where its kid is written.
    pub(super) fn kid_span(&self) -> std::ops::Range<usize> {
        self.kid.span()
    }
}

impl Locator<'_> {
    pub(super) fn group(
        &self,
        index: usize,
        raw: &RawGroup,
        base: &Path,
    ) -> Result<GroupEntry, ConfigFileError> {
        let name = raw
            .name
            .clone()
            .unwrap_or_else(|| format!("group #{}", index + 1));
        let kid = Kid::new(raw.kid.get_ref().as_bytes().to_vec()).map_err(|e| {
            self.error(
                Some(raw.kid.span()),
                format!("{name}: kid {:?}: {e}", raw.kid.get_ref()),
            )
        })?;
        let alg = match &raw.alg {
            None => ContentAlg::A128Gcm,
            Some(alg) => match parse_content_alg(alg.get_ref()) {
                Ok(ContentAlg::ChaCha20Poly1305) | Err(_) => {
                    return Err(self.error(
                        Some(alg.span()),
                        format!(
                            "{name}: alg: {:?}: a group key is a128gcm or a256gcm",
                            alg.get_ref()
                        ),
                    ));
                }
                Ok(alg) => alg,
            },
        };
        let kind = super::SecretKind {
            what: "a group secret",
            hint: "(umask 077; openssl rand -hex 16 > FILE)",
            inline: looks_inline,
        };
        let text = self.secret_file(&name, &raw.secret, base, &kind)?;
        let secret = parse_secret(&text)
            .map_err(|e| self.error(Some(raw.secret.span()), format!("{name}: secret: {e}")))?;
        let key = GroupKey::new(kid, alg, &secret).map_err(|_| {
            self.error(
                Some(raw.secret.span()),
                format!(
                    "{name}: secret: {} bytes, but {} needs {}",
                    secret.len(),
                    alg_name(alg),
                    alg.key_len()
                ),
            )
        })?;
        let mut topics = Vec::new();
        if let Some(filters) = &raw.topics {
            for topic in filters.get_ref() {
                payseal::TopicFilter::new(topic.get_ref())
                    .map_err(|e| self.error(Some(topic.span()), format!("{name}: {e}")))?;
                topics.push(topic.get_ref().clone());
            }
        }
        Ok(GroupEntry { name, key, topics })
    }
}

/// A long run of hex digits is the secret itself, not a file name.
fn looks_inline(value: &str) -> bool {
    let value = value.trim();
    value.len() >= 32 && value.bytes().all(|b| b.is_ascii_hexdigit())
}

fn alg_name(alg: ContentAlg) -> &'static str {
    match alg {
        ContentAlg::A256Gcm => "a256gcm",
        _ => "a128gcm",
    }
}
