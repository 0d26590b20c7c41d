//! Keys: signing keys (senders), verifying keys (whom receivers trust), recipient keys
//! (HPKE, for encryption) and group keys. PEM in and out, as the CLI's key files.

use std::path::PathBuf;

use payseal::{Algorithm, ContentAlg, KemKind, Kid};
use payseal_cli::keyfile;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::buf::Bytes;
use crate::errors;

pub(crate) fn algorithm(name: &str) -> PyResult<Algorithm> {
    Algorithm::from_name(&name.to_ascii_lowercase())
        .or_else(|| Algorithm::ALL.into_iter().find(|a| a.to_string() == name))
        .ok_or_else(|| {
            PyValueError::new_err(format!(
                "unknown algorithm {name:?} (ed25519, p256 or k256)"
            ))
        })
}

fn kem(name: &str) -> PyResult<KemKind> {
    match name.to_ascii_lowercase().as_str() {
        "x25519" => Ok(KemKind::X25519),
        "p256" | "p-256" => Ok(KemKind::P256),
        _ => Err(PyValueError::new_err(format!(
            "unknown KEM {name:?} (x25519 or p256)"
        ))),
    }
}

pub(crate) fn kid_arg(kid: &[u8]) -> PyResult<Kid> {
    Kid::new(kid.to_vec()).map_err(errors::config)
}

fn pem_text(pem: &Bytes<'_>) -> PyResult<String> {
    // Checked in place, so a refused (secret) text is never copied into an unzeroized buffer.
    std::str::from_utf8(pem.as_slice())
        .map(str::to_owned)
        .map_err(|_| errors::InvalidKey::new_err("PEM text is not UTF-8"))
}

fn read_pem(path: PathBuf) -> PyResult<zeroize::Zeroizing<String>> {
    std::fs::read_to_string(&path)
        .map(zeroize::Zeroizing::new)
        .map_err(|e| pyo3::exceptions::PyOSError::new_err(format!("{}: {e}", path.display())))
}

fn io_err(e: payseal_cli::Failure) -> PyErr {
    pyo3::exceptions::PyOSError::new_err(e.to_string())
}

/// Writes a private key (0600, never overwriting) and its public key beside it
/// (`sensor.key` -> `sensor.pub`), as `payseal keygen` does.
fn save_pair(path: &std::path::Path, private_pem: &str, public_pem: &str) -> PyResult<()> {
    keyfile::write_private(path, private_pem).map_err(io_err)?;
    keyfile::write_public(&keyfile::public_path_for(path), public_pem).map_err(io_err)
}

/// A private signing key (Ed25519, ECDSA P-256 or secp256k1). Never printed.
#[pyclass(module = "payseal", frozen)]
pub(crate) struct SigningKey(pub(crate) payseal::SigningKey);

impl SigningKey {
    /// A copy of the key (the core's key is not `Clone`, so a copy is never made by accident).
    pub(crate) fn duplicate(&self) -> PyResult<payseal::SigningKey> {
        payseal::SigningKey::from_secret_bytes(self.0.algorithm(), &*self.0.expose_secret_bytes())
            .map_err(|e| errors::key(&e))
    }
}

#[pymethods]
impl SigningKey {
    /// A new key from the OS random number generator: "ed25519", "p256" or "k256".
    #[staticmethod]
    #[pyo3(signature = (algorithm = "ed25519"))]
    fn generate(algorithm: &str) -> PyResult<Self> {
        let alg = self::algorithm(algorithm)?;
        payseal::SigningKey::generate(alg)
            .map(SigningKey)
            .map_err(|e| errors::key(&e))
    }

    /// Parses a PKCS#8 PEM private key (`str` or bytes).
    #[staticmethod]
    fn from_pem(pem: &Bound<'_, PyAny>) -> PyResult<Self> {
        let text = match pem.extract::<String>() {
            Ok(s) => zeroize::Zeroizing::new(s),
            Err(_) => zeroize::Zeroizing::new(pem_text(&pem.extract::<Bytes<'_>>()?)?),
        };
        payseal::SigningKey::from_pkcs8_pem(&text)
            .map(SigningKey)
            .map_err(|e| errors::key(&e))
    }

    /// Reads a PKCS#8 PEM key file (as `payseal keygen` writes).
    #[staticmethod]
    fn load(path: PathBuf) -> PyResult<Self> {
        payseal::SigningKey::from_pkcs8_pem(&read_pem(path)?)
            .map(SigningKey)
            .map_err(|e| errors::key(&e))
    }

    /// The key as PKCS#8 PEM. Handle with care: this is the secret.
    fn to_pem(&self) -> PyResult<String> {
        self.0
            .to_pkcs8_pem()
            .map(|pem| pem.as_str().to_owned())
            .map_err(|e| errors::key(&e))
    }

    /// Writes the key to `path` (mode 0600, never overwriting) and its public key beside it
    /// (`sensor.key` -> `sensor.pub`), as `payseal keygen` does.
    fn save(&self, path: PathBuf) -> PyResult<()> {
        let pem = self.0.to_pkcs8_pem().map_err(|e| errors::key(&e))?;
        let public = self
            .0
            .verifying_key()
            .to_public_key_pem()
            .map_err(|e| errors::key(&e))?;
        save_pair(&path, &pem, &public)
    }

    /// The public key receivers trust.
    fn public_key(&self) -> VerifyingKey {
        VerifyingKey(self.0.verifying_key())
    }

    /// The key id (first 8 bytes of the RFC 9679 thumbprint).
    #[getter]
    fn kid<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, self.0.kid().as_bytes())
    }

    /// "ed25519", "p256" or "k256".
    #[getter]
    fn algorithm(&self) -> &'static str {
        self.0.algorithm().name()
    }

    fn __repr__(&self) -> String {
        format!("<SigningKey {} kid={}>", self.algorithm(), self.0.kid())
    }
}

/// A public signing key: a sender as receivers trust it.
#[pyclass(module = "payseal", frozen, eq)]
#[derive(PartialEq)]
pub(crate) struct VerifyingKey(pub(crate) payseal::VerifyingKey);

#[pymethods]
impl VerifyingKey {
    /// Parses an SPKI PEM public key.
    #[staticmethod]
    fn from_pem(pem: &str) -> PyResult<Self> {
        payseal::VerifyingKey::from_public_key_pem(pem)
            .map(VerifyingKey)
            .map_err(|e| errors::key(&e))
    }

    /// Reads an SPKI PEM public key file.
    #[staticmethod]
    fn load(path: PathBuf) -> PyResult<Self> {
        Self::from_pem(&read_pem(path)?)
    }

    /// The key as SPKI PEM.
    fn to_pem(&self) -> PyResult<String> {
        self.0.to_public_key_pem().map_err(|e| errors::key(&e))
    }

    #[getter]
    fn kid<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, self.0.kid().as_bytes())
    }

    #[getter]
    fn algorithm(&self) -> &'static str {
        self.0.algorithm().name()
    }

    fn __repr__(&self) -> String {
        format!("<VerifyingKey {} kid={}>", self.algorithm(), self.0.kid())
    }
}

/// A private HPKE key: a receiver decrypting what is encrypted to it.
#[pyclass(module = "payseal", frozen)]
pub(crate) struct RecipientKey(pub(crate) payseal::RecipientKey);

#[pymethods]
impl RecipientKey {
    /// A new key: "x25519" or "p256".
    #[staticmethod]
    #[pyo3(signature = (kem = "x25519"))]
    fn generate(kem: &str) -> PyResult<Self> {
        payseal::RecipientKey::generate(self::kem(kem)?)
            .map(RecipientKey)
            .map_err(|e| errors::key(&e))
    }

    /// Parses a PKCS#8 PEM private key.
    #[staticmethod]
    fn from_pem(pem: &str) -> PyResult<Self> {
        payseal::RecipientKey::from_pkcs8_pem(pem)
            .map(RecipientKey)
            .map_err(|e| errors::key(&e))
    }

    /// Reads a PKCS#8 PEM key file.
    #[staticmethod]
    fn load(path: PathBuf) -> PyResult<Self> {
        Self::from_pem(&read_pem(path)?)
    }

    /// The key as PKCS#8 PEM (the secret).
    fn to_pem(&self) -> PyResult<String> {
        self.0
            .to_pkcs8_pem()
            .map(|pem| pem.as_str().to_owned())
            .map_err(|e| errors::key(&e))
    }

    /// Writes the key (0600, never overwriting) and its public key beside it.
    fn save(&self, path: PathBuf) -> PyResult<()> {
        let pem = self.0.to_pkcs8_pem().map_err(|e| errors::key(&e))?;
        let public = self
            .0
            .public_key()
            .to_public_key_pem()
            .map_err(|e| errors::key(&e))?;
        save_pair(&path, &pem, &public)
    }

    /// The public key senders encrypt to.
    fn public_key(&self) -> RecipientPublicKey {
        RecipientPublicKey(self.0.public_key())
    }

    #[getter]
    fn kid<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, self.0.kid().as_bytes())
    }

    fn __repr__(&self) -> String {
        format!("<RecipientKey kid={}>", self.0.kid())
    }
}

/// A public HPKE key: a receiver as senders encrypt to it.
#[pyclass(module = "payseal", frozen, eq)]
#[derive(PartialEq)]
pub(crate) struct RecipientPublicKey(pub(crate) payseal::RecipientPublicKey);

#[pymethods]
impl RecipientPublicKey {
    /// Parses an SPKI PEM public key.
    #[staticmethod]
    fn from_pem(pem: &str) -> PyResult<Self> {
        payseal::RecipientPublicKey::from_public_key_pem(pem)
            .map(RecipientPublicKey)
            .map_err(|e| errors::key(&e))
    }

    /// Reads an SPKI PEM public key file.
    #[staticmethod]
    fn load(path: PathBuf) -> PyResult<Self> {
        Self::from_pem(&read_pem(path)?)
    }

    /// The key as SPKI PEM.
    fn to_pem(&self) -> PyResult<String> {
        self.0.to_public_key_pem().map_err(|e| errors::key(&e))
    }

    #[getter]
    fn kid<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, self.0.kid().as_bytes())
    }

    fn __repr__(&self) -> String {
        format!("<RecipientPublicKey kid={}>", self.0.kid())
    }
}

/// A symmetric key shared by a group (COSE_Encrypt0 with a content key every member holds).
#[pyclass(module = "payseal", frozen)]
pub(crate) struct GroupKey(pub(crate) payseal::GroupKey);

#[pymethods]
impl GroupKey {
    /// A group key with id `kid` and `secret` for `alg` ("a128gcm", "a256gcm",
    /// "chacha20poly1305").
    #[new]
    #[pyo3(signature = (kid, secret, alg = "a256gcm"))]
    fn new(kid: Bytes<'_>, secret: Bytes<'_>, alg: &str) -> PyResult<Self> {
        let alg: ContentAlg =
            payseal_cli::config::parse_content_alg(alg).map_err(PyValueError::new_err)?;
        payseal::GroupKey::new(kid_arg(kid.as_slice())?, alg, secret.as_slice())
            .map(GroupKey)
            .map_err(|e| errors::key(&e))
    }

    /// A new random A256GCM group key with id `kid`.
    #[staticmethod]
    fn generate(kid: Bytes<'_>) -> PyResult<Self> {
        payseal::GroupKey::generate(kid_arg(kid.as_slice())?)
            .map(GroupKey)
            .map_err(|e| errors::key(&e))
    }

    #[getter]
    fn kid<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, self.0.kid().as_bytes())
    }

    fn __repr__(&self) -> String {
        format!("<GroupKey kid={}>", self.0.kid())
    }
}
