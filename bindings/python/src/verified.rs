//! `Verified`: what `Opener.open` returns, only when every check passed.

use payseal::EncryptionMode;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

/// A verified (and, if it was encrypted, decrypted) message.
#[pyclass(module = "payseal", frozen)]
pub(crate) struct Verified {
    payload: Vec<u8>,
    sender: Vec<u8>,
    identity: Option<String>,
    algorithm: &'static str,
    topic: String,
    seq: u64,
    timestamp: u64,
    kind: &'static str,
    encryption: Option<&'static str>,
    decrypted_with: Option<Vec<u8>>,
}

impl From<payseal::Verified> for Verified {
    fn from(v: payseal::Verified) -> Self {
        let (encryption, decrypted_with) = match v.encryption() {
            Some(e) => (Some(mode_name(e.mode())), Some(e.key().as_bytes().to_vec())),
            None => (None, None),
        };
        Verified {
            sender: v.sender().as_bytes().to_vec(),
            identity: v.identity().map(str::to_owned),
            // Exactly one of the two is set: the envelope was signed or MAC-stamped.
            algorithm: v
                .algorithm()
                .map(payseal::Algorithm::name)
                .or(v.mac_algorithm().map(payseal::MacAlgorithm::name))
                .unwrap_or_default(),
            topic: v.topic().to_owned(),
            seq: v.seq(),
            timestamp: v.timestamp(),
            kind: v.kind().name(),
            encryption,
            decrypted_with,
            payload: v.into_payload(),
        }
    }
}

fn mode_name(mode: EncryptionMode) -> &'static str {
    match mode {
        EncryptionMode::Hpke(_) => "hpke",
        EncryptionMode::HpkeKeyEncryption { .. } => "hpke-key-encryption",
        EncryptionMode::Group(_) => "group",
        _ => "other",
    }
}

#[pymethods]
impl Verified {
    /// The sender's payload (decrypted if it was encrypted).
    #[getter]
    fn payload<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.payload)
    }

    /// The sender's key id.
    #[getter]
    fn sender<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.sender)
    }

    /// The sender's identity from its certificate (X.509 receivers), else None.
    #[getter]
    fn identity(&self) -> Option<&str> {
        self.identity.as_deref()
    }

    /// The stamp's algorithm: "ed25519", "p256" or "k256" (signed), "hmac256-64" or "hmac256"
    /// (MAC, spec/mac.md).
    #[getter]
    fn algorithm(&self) -> &'static str {
        self.algorithm
    }

    /// The topic it was sealed for (and arrived on).
    #[getter]
    fn topic(&self) -> &str {
        &self.topic
    }

    /// The sender's sequence number.
    #[getter]
    fn seq(&self) -> u64 {
        self.seq
    }

    /// When it was sealed (Unix seconds).
    #[getter]
    fn timestamp(&self) -> u64 {
        self.timestamp
    }

    /// What the sender signed it as: "live", "retained" or "will".
    #[getter]
    fn kind(&self) -> &'static str {
        self.kind
    }

    /// How it was encrypted ("hpke", "hpke-key-encryption", "group"), None if only signed.
    #[getter]
    fn encryption(&self) -> Option<&'static str> {
        self.encryption
    }

    /// The key id of this receiver's key that decrypted it, None if only signed.
    #[getter]
    fn decrypted_with<'py>(&self, py: Python<'py>) -> Option<Bound<'py, PyBytes>> {
        self.decrypted_with.as_deref().map(|k| PyBytes::new(py, k))
    }

    fn __repr__(&self) -> String {
        format!(
            "<Verified topic={:?} seq={} kind={} {} bytes>",
            self.topic,
            self.seq,
            self.kind,
            self.payload.len()
        )
    }
}
