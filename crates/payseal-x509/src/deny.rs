//! The revocation deny list: a text file of certificate thumbprints and serial numbers that
//! the resolver reloads when it changes.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::SystemTime;

use crate::Error;

/// Certificates a receiver refuses whatever their validity: `sha256:<64 hex>` (SHA-256 of the
/// DER certificate) or `serial:<hex>` (the serial number's DER content bytes, as `openssl x509
/// -serial` prints them, any CA), one per line; blank lines and lines starting with `#` are
/// ignored. A serial matches a certificate from any of the configured CAs, so prefer
/// thumbprints when several CAs are trusted.
///
/// ```
/// let deny = payseal_x509::DenyList::parse("# lost devices\nserial:1f03\n")?;
/// assert!(deny.denies_serial(&[0x1f, 0x03]));
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
            } else if let Some(hex) = line.strip_prefix("serial:") {
                let hex = hex.trim().replace(':', "");
                let bytes = decode_hex(&hex).filter(|b| !b.is_empty()).ok_or_else(bad)?;
                list.serials.insert(bytes);
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

    /// Whether a certificate with this serial number (DER content bytes) is denied.
    pub fn denies_serial(&self, serial: &[u8]) -> bool {
        self.serials.contains(serial)
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

fn decode_hex(hex: &str) -> Option<Vec<u8>> {
    if !hex.len().is_multiple_of(2) {
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
    pub(crate) modified: Option<SystemTime>,
    pub(crate) len: u64,
    /// The receiver clock second of the last look at the file (at most one look per second).
    pub(crate) checked_at: Option<u64>,
}

impl DenyFile {
    /// Reads the file's list, and notes its modification time and size.
    pub(crate) fn load(path: PathBuf) -> Result<(Self, DenyList), Error> {
        let mut file = DenyFile {
            path,
            modified: None,
            len: 0,
            checked_at: None,
        };
        let list = file.read()?;
        Ok((file, list))
    }

    fn read(&mut self) -> Result<DenyList, Error> {
        let meta = std::fs::metadata(&self.path).map_err(Error::Io)?;
        let text = std::fs::read_to_string(&self.path).map_err(Error::Io)?;
        self.modified = meta.modified().ok();
        self.len = meta.len();
        DenyList::parse(&text)
    }

    /// The new list if the file changed since it was last read (by modification time or size),
    /// looking at most once per second of `now`.
    pub(crate) fn changed(&mut self, now: u64) -> Result<Option<DenyList>, Error> {
        if self.checked_at == Some(now) {
            return Ok(None);
        }
        self.checked_at = Some(now);
        let meta = std::fs::metadata(&self.path).map_err(Error::Io)?;
        if meta.modified().ok() == self.modified && meta.len() == self.len {
            return Ok(None);
        }
        self.read().map(Some)
    }
}
