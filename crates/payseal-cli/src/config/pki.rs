//! `[[ca]]` entries: certificate authorities whose device certificates a receiver accepts as
//! senders (validated by `payseal-x509` when the opener is built). Here the files are read
//! and parsed, so that every mistake is reported with its place in the trust file.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;
use x509_cert::Certificate;
use x509_cert::crl::CertificateList;
use x509_cert::der::{Decode, DecodePem, Encode};

use super::{ConfigFileError, Locator};

/// Largest certificate, chain or CRL file read.
const MAX_PKI_FILE_BYTES: u64 = 1024 * 1024;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCa {
    name: Option<String>,
    roots: Spanned<Vec<Spanned<String>>>,
    eku: Option<Spanned<String>>,
    #[serde(default)]
    subject: Vec<RawSubject>,
    deny_list: Option<Spanned<String>>,
    #[serde(default)]
    crls: Vec<Spanned<String>>,
    #[serde(default)]
    chains: Vec<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSubject {
    cn: Spanned<String>,
    topics: Spanned<Vec<Spanned<String>>>,
}

/// An extended key usage a `[[ca]]` entry requires of its device certificates (when they
/// carry the extension at all, as webpki checks it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Eku {
    /// id-kp-clientAuth (1.3.6.1.5.5.7.3.2), the default: what `payseal ca issue` writes.
    ClientAuth,
    /// id-kp-serverAuth (1.3.6.1.5.5.7.3.1).
    ServerAuth,
    /// id-kp-codeSigning (1.3.6.1.5.5.7.3.3).
    CodeSigning,
    /// id-kp-emailProtection (1.3.6.1.5.5.7.3.4).
    EmailProtection,
}

impl Eku {
    const NAMES: &'static str = "client_auth, server_auth, code_signing or email_protection";

    fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "client_auth" | "1.3.6.1.5.5.7.3.2" => Eku::ClientAuth,
            "server_auth" | "1.3.6.1.5.5.7.3.1" => Eku::ServerAuth,
            "code_signing" | "1.3.6.1.5.5.7.3.3" => Eku::CodeSigning,
            "email_protection" | "1.3.6.1.5.5.7.3.4" => Eku::EmailProtection,
            _ => return None,
        })
    }

    /// The OID's DER content bytes (what webpki compares).
    pub fn oid(self) -> &'static [u8] {
        match self {
            Eku::ClientAuth => &[0x2b, 6, 1, 5, 5, 7, 3, 2],
            Eku::ServerAuth => &[0x2b, 6, 1, 5, 5, 7, 3, 1],
            Eku::CodeSigning => &[0x2b, 6, 1, 5, 5, 7, 3, 3],
            Eku::EmailProtection => &[0x2b, 6, 1, 5, 5, 7, 3, 4],
        }
    }
}

/// One certificate from a file: its DER, subject and end of validity.
#[derive(Clone, Debug)]
pub struct CertInfo {
    /// The DER encoding.
    pub der: Vec<u8>,
    /// The subject, as RFC 4514 text (`CN=sensor-7`).
    pub subject: String,
    /// notAfter, seconds since the Unix epoch.
    pub not_after: u64,
    /// The file it came from (as the trust file names it) and the entry's 1-based line.
    pub origin: (String, usize),
}

/// A place in the trust file, for errors found only when the value is used (the deny list is
/// read by `payseal-x509`, which also reloads it when it changes).
#[derive(Clone, Debug)]
pub struct Located<T> {
    /// The value.
    pub value: T,
    /// 1-based line and column of the entry.
    pub at: (usize, usize),
}

/// A `[[ca]]` entry, its files read and parsed.
#[derive(Clone, Debug)]
pub struct CaAnchor {
    /// Its `name`, or `ca #N`.
    pub name: String,
    /// Root (or intermediate) CA certificates chains must end at.
    pub roots: Vec<CertInfo>,
    /// The extended key usage device certificates must allow.
    pub eku: Eku,
    /// Extra topic filters by subject common name, on top of a certificate's `mqtt-topic:`.
    pub subjects: Vec<(String, Vec<String>)>,
    /// The deny-list file (`sha256:`/`serial:` lines), resolved against the trust file's
    /// directory.
    pub deny_list: Option<Located<PathBuf>>,
    /// CRLs (DER), checked for every chain.
    pub crls: Vec<Vec<u8>>,
    /// Chains (leaf first) registered so that senders may name them by `x5t`.
    pub chains: Vec<Vec<CertInfo>>,
    /// The entry's 1-based line (of its `roots`).
    pub line: usize,
}

impl Locator<'_> {
    /// Checks one `[[ca]]` entry and reads its files.
    pub(super) fn ca(
        &self,
        index: usize,
        raw: &RawCa,
        base: &Path,
    ) -> Result<CaAnchor, ConfigFileError> {
        let name = raw
            .name
            .clone()
            .unwrap_or_else(|| format!("ca #{}", index + 1));
        if raw.roots.get_ref().is_empty() {
            return Err(self.error(
                Some(raw.roots.span()),
                format!("{name}: roots: give at least one CA certificate file"),
            ));
        }
        let mut roots = Vec::new();
        for entry in raw.roots.get_ref() {
            let certs = self.certificates(&name, "roots", entry, base)?;
            for cert in &certs {
                if !is_ca(&cert.der) {
                    return Err(self.error(
                        Some(entry.span()),
                        format!(
                            "{name}: roots: {} is not a CA certificate (no basicConstraints cA)",
                            cert.subject
                        ),
                    ));
                }
            }
            roots.extend(certs);
        }
        let eku = match &raw.eku {
            None => Eku::ClientAuth,
            Some(eku) => Eku::from_name(eku.get_ref()).ok_or_else(|| {
                self.error(
                    Some(eku.span()),
                    format!(
                        "{name}: eku: unknown extended key usage {:?} ({})",
                        eku.get_ref(),
                        Eku::NAMES
                    ),
                )
            })?,
        };
        let mut subjects = Vec::new();
        for subject in &raw.subject {
            let cn = subject.cn.get_ref();
            if cn.is_empty() {
                return Err(self.error(
                    Some(subject.cn.span()),
                    format!("{name}: subject: cn is empty"),
                ));
            }
            let label = format!("{name}: subject {cn:?}");
            self.topics(&label, &subject.topics)?;
            let topics = subject.topics.get_ref().iter().map(|t| t.get_ref().clone());
            subjects.push((cn.clone(), topics.collect()));
        }
        let deny_list = match &raw.deny_list {
            None => None,
            Some(entry) => {
                let path = base.join(entry.get_ref());
                if !path.is_file() {
                    return Err(ConfigFileError {
                        unreadable: true,
                        ..self.error(
                            Some(entry.span()),
                            format!(
                                "{name}: deny_list: '{}' is not a readable file (create it empty if nothing is revoked yet)",
                                path.display()
                            ),
                        )
                    });
                }
                Some(Located {
                    value: path,
                    at: self.at(entry.span().start),
                })
            }
        };
        let mut crls = Vec::new();
        for entry in &raw.crls {
            let bytes = self.pki_file(&name, "crls", entry, base)?;
            let crl = if bytes.windows(11).any(|w| w == b"-----BEGIN ") {
                CertificateList::<x509_cert::certificate::Rfc5280>::from_pem(&bytes)
            } else {
                CertificateList::from_der(&bytes)
            };
            let der = crl.and_then(|c| c.to_der()).map_err(|e| {
                self.error(
                    Some(entry.span()),
                    format!("{name}: crls: not an X.509 CRL (PEM or DER): {e}"),
                )
            })?;
            crls.push(der);
        }
        let mut chains = Vec::new();
        for entry in &raw.chains {
            chains.push(self.certificates(&name, "chains", entry, base)?);
        }
        Ok(CaAnchor {
            name,
            roots,
            eku,
            subjects,
            deny_list,
            crls,
            chains,
            line: self.at(raw.roots.span().start).0,
        })
    }

    /// The certificates of a PEM file (one or more, in order) or of a DER file (one).
    fn certificates(
        &self,
        name: &str,
        field: &str,
        entry: &Spanned<String>,
        base: &Path,
    ) -> Result<Vec<CertInfo>, ConfigFileError> {
        let bytes = self.pki_file(name, field, entry, base)?;
        let line = self.at(entry.span().start).0;
        let bad = |e: String| {
            self.error(
                Some(entry.span()),
                format!("{name}: {field}: '{}': {e}", entry.get_ref()),
            )
        };
        let certs = read_certificates(&bytes).map_err(bad)?;
        certs
            .into_iter()
            .map(|(cert, der)| {
                let tbs = cert.tbs_certificate();
                Ok(CertInfo {
                    der,
                    subject: tbs.subject().to_string(),
                    not_after: tbs.validity().not_after.to_unix_duration().as_secs(),
                    origin: (entry.get_ref().clone(), line),
                })
            })
            .collect()
    }

    fn pki_file(
        &self,
        name: &str,
        field: &str,
        entry: &Spanned<String>,
        base: &Path,
    ) -> Result<Vec<u8>, ConfigFileError> {
        use std::io::Read;
        let path = base.join(entry.get_ref());
        let mut bytes = Vec::new();
        std::fs::File::open(&path)
            .and_then(|f| f.take(MAX_PKI_FILE_BYTES + 1).read_to_end(&mut bytes))
            .map_err(|e| ConfigFileError {
                unreadable: true,
                ..self.error(
                    Some(entry.span()),
                    format!("{name}: {field}: cannot read '{}': {e}", path.display()),
                )
            })?;
        if bytes.len() as u64 > MAX_PKI_FILE_BYTES {
            return Err(self.error(
                Some(entry.span()),
                format!("{name}: {field}: '{}' is too large", path.display()),
            ));
        }
        Ok(bytes)
    }
}

/// The certificates of PEM text (every `CERTIFICATE` block, in order) or of one DER
/// certificate, each with its DER encoding.
///
/// # Errors
/// A one-line description when the bytes hold no certificate or a malformed one.
pub fn read_certificates(bytes: &[u8]) -> Result<Vec<(Certificate, Vec<u8>)>, String> {
    let pem = bytes.windows(11).any(|w| w == b"-----BEGIN ");
    let certs = if pem {
        Certificate::load_pem_chain(bytes).map_err(|e| format!("not PEM certificates: {e}"))?
    } else {
        vec![Certificate::from_der(bytes).map_err(|e| format!("not a DER certificate: {e}"))?]
    };
    if certs.is_empty() {
        return Err("no certificate in it".into());
    }
    certs
        .into_iter()
        .map(|cert| {
            let der = cert.to_der().map_err(|e| format!("certificate: {e}"))?;
            Ok((cert, der))
        })
        .collect()
}

/// Whether a certificate says it is a CA (basicConstraints cA true).
fn is_ca(der: &[u8]) -> bool {
    use x509_cert::ext::pkix::BasicConstraints;
    Certificate::from_der(der)
        .ok()
        .and_then(|c| {
            c.tbs_certificate()
                .get_extension::<BasicConstraints>()
                .ok()
                .flatten()
        })
        .is_some_and(|(_, bc)| bc.ca)
}
