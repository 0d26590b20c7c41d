//! The revocation deny list: a text file of certificate thumbprints and serial numbers that
//! the resolver reloads when it changes.

use std::collections::BTreeSet;
use std::path::PathBuf;

use sha2::{Digest, Sha256};

use crate::Error;

/// Certificates a receiver refuses whatever their validity, one per line; blank lines and
/// lines starting with `#` are ignored:
///
/// - `sha256:<64 hex>`: the SHA-256 of the DER certificate (its thumbprint);
/// - `serial:<hex>` (or `serial=<hex>`, as `openssl x509 -noout -serial` prints it): the
///   serial number, compared as an unsigned integer. Colons between bytes (as `openssl x509
///   -text` prints them), letter case and leading zero bytes do not matter, so the DER sign
///   byte a certificate carries before a serial whose high bit is set (`00 8f 03`) matches
///   `serial:8F03`, `serial:8f:03` and `serial:008f03` alike.
///
/// A serial matches a certificate from any of the configured CAs, so prefer thumbprints when
/// several CAs are trusted.
///
/// ```
/// let deny = payseal_x509::DenyList::parse("# lost devices\nserial:1f03\nserial=8F:03\n")?;
/// assert!(deny.denies_serial(&[0x1f, 0x03]));
/// // The DER content bytes of a positive serial with the high bit set: 00 8f 03.
/// assert!(deny.denies_serial(&[0x00, 0x8f, 0x03]));
/// assert!(!deny.denies_serial(&[0x8f]));
/// # Ok::<(), payseal_x509::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DenyList {
    thumbprints: BTreeSet<[u8; 32]>,
    serials: BTreeSet<Vec<u8>>,
}

impl DenyList {
    /// Parses the text of a deny-list file.
    ///
    /// # Errors
    /// [`Error::DenyList`] naming the first bad line.
    pub fn parse(text: &str) -> Result<Self, Error> {
        let mut list = DenyList::default();
        for (number, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let bad = || Error::DenyList { line: number + 1 };
            if let Some(hex) = line.strip_prefix("sha256:") {
                let bytes = decode_hex(hex.trim()).ok_or_else(bad)?;
                list.thumbprints
                    .insert(bytes.try_into().map_err(|_| bad())?);
            } else if let Some(hex) = line
                .strip_prefix("serial:")
                .or_else(|| line.strip_prefix("serial="))
            {
                let serial = parse_serial(hex.trim()).ok_or_else(bad)?;
                list.serials.insert(serial);
            } else {
                return Err(bad());
            }
        }
        Ok(list)
    }

    /// Whether a certificate with this SHA-256 thumbprint is denied.
    pub fn denies_thumbprint(&self, thumbprint: &[u8; 32]) -> bool {
        self.thumbprints.contains(thumbprint)
    }

    /// Whether a certificate with this serial number is denied: `serial` is the DER content
    /// bytes of the certificate's serialNumber INTEGER (a leading `00` sign byte included or
    /// not), read as an unsigned big-endian number.
    pub fn denies_serial(&self, serial: &[u8]) -> bool {
        self.serials.contains(unsigned(serial))
    }

    /// How many entries the list has.
    pub fn len(&self) -> usize {
        self.thumbprints.len() + self.serials.len()
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A big-endian number without its leading zero bytes (zero is the empty slice): the one form
/// both sides of a serial comparison are reduced to.
fn unsigned(bytes: &[u8]) -> &[u8] {
    let zeros = bytes.iter().take_while(|b| **b == 0).count();
    bytes.get(zeros..).unwrap_or_default()
}

/// A deny-list serial: hex digits, optionally with colons between bytes, any case, an odd
/// number of digits allowed (`f03` is `0f03`); at least one digit.
fn parse_serial(text: &str) -> Option<Vec<u8>> {
    let digits: String = text.chars().filter(|c| *c != ':').collect();
    if digits.is_empty() || text.starts_with(':') || text.ends_with(':') || text.contains("::") {
        return None;
    }
    let padded = if digits.len().is_multiple_of(2) {
        digits
    } else {
        format!("0{digits}")
    };
    decode_hex(&padded).map(|bytes| unsigned(&bytes).to_vec())
}

fn decode_hex(hex: &str) -> Option<Vec<u8>> {
    // from_str_radix alone would also take a `+` sign.
    if !hex.len().is_multiple_of(2) || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| {
            hex.get(i..i + 2)
                .and_then(|b| u8::from_str_radix(b, 16).ok())
        })
        .collect()
}

/// A deny-list file and what was last read from it.
#[derive(Debug)]
pub(crate) struct DenyFile {
    pub(crate) path: PathBuf,
    /// SHA-256 of the content last read (whether it parsed or not): a change of content is
    /// what counts, not of modification time or size, which an edit can keep.
    content: [u8; 32],
    /// The receiver clock second of the last look at the file (at most one look per second).
    pub(crate) checked_at: Option<u64>,
    /// The last reload failure reported, so that a lasting one is logged once, not per second.
    failing: Option<String>,
}

impl DenyFile {
    /// Reads the file's list, and notes a hash of its content.
    pub(crate) fn load(path: PathBuf) -> Result<(Self, DenyList), Error> {
        let text = std::fs::read_to_string(&path).map_err(Error::Io)?;
        let list = DenyList::parse(&text)?;
        let file = DenyFile {
            path,
            content: Sha256::digest(text.as_bytes()).into(),
            checked_at: None,
            failing: None,
        };
        Ok((file, list))
    }

    /// The new list if the file's content changed since it was last read (compared by
    /// SHA-256), looking at most once per second of `now`. A failed read or parse is logged
    /// (`tracing` warning, once until it changes) and returned; the caller keeps the list in
    /// force.
    pub(crate) fn changed(&mut self, now: u64) -> Result<Option<DenyList>, Error> {
        if self.checked_at == Some(now) {
            return Ok(None);
        }
        self.checked_at = Some(now);
        let outcome = self.reread();
        match &outcome {
            Err(error) => {
                let message = error.to_string();
                if self.failing.as_ref() != Some(&message) {
                    tracing::warn!(
                        path = %self.path.display(),
                        %error,
                        "deny list not reloaded; the list read before stays in force"
                    );
                    self.failing = Some(message);
                }
            }
            Ok(changed) => {
                self.failing = None;
                if let Some(list) = changed {
                    tracing::info!(
                        path = %self.path.display(),
                        entries = list.len(),
                        "deny list reloaded"
                    );
                }
            }
        }
        outcome
    }

    fn reread(&mut self) -> Result<Option<DenyList>, Error> {
        let text = std::fs::read_to_string(&self.path).map_err(Error::Io)?;
        let content: [u8; 32] = Sha256::digest(text.as_bytes()).into();
        if content == self.content {
            return Ok(None);
        }
        // Remember bad content too: it is reported once, and read again only when it changes.
        self.content = content;
        DenyList::parse(&text).map(Some)
    }
}
