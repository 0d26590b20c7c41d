//! `Sealer`: the sender. `seal(topic, payload)` signs (and, on topics with an audience,
//! encrypts) a payload into an envelope to publish.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;

use payseal::{Audience, Counter, Recipient, SequenceError, SequenceSource};
use payseal_store::FileSeqStore;
use pyo3::exceptions::{PyRuntimeError, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::buf::Bytes;
use crate::clock::{AnyClock, ManualClock};
use crate::epochs::GroupEpochs;
use crate::errors;
use crate::keys::{GroupKey, RecipientPublicKey, SigningKey, kid_arg};
use crate::opener::kind_arg;

/// Where sequence numbers come from: a counter in memory, or a file that survives restarts.
pub(crate) enum Sequence {
    Memory(Counter),
    File(FileSeqStore),
}

impl SequenceSource for Sequence {
    fn next_seq(&mut self) -> Result<u64, SequenceError> {
        match self {
            Sequence::Memory(c) => c.next_seq(),
            Sequence::File(f) => f.next_seq(),
        }
    }
}

pub(crate) type CoreSealer = payseal::Sealer<payseal::SigningKey, Sequence, AnyClock>;

/// A sender: a signing key, its sequence numbers, a clock and whom it encrypts to.
#[pyclass(module = "payseal", frozen)]
pub(crate) struct Sealer {
    inner: Mutex<CoreSealer>,
    kid: Vec<u8>,
}

/// One `encrypt_to` value: a recipient public key, a list of them, a group key, or a group's
/// epochs (sealed under the current epoch, spec/key-management.md §2.3).
fn audience(value: &Bound<'_, PyAny>) -> PyResult<Audience> {
    if let Ok(group) = value.cast::<GroupKey>() {
        return Ok(Audience::group(group.get().0.clone()));
    }
    if let Ok(epochs) = value.cast::<GroupEpochs>() {
        let key = epochs
            .try_borrow()?
            .0
            .current_key()
            .cloned()
            .ok_or_else(|| errors::config("the group's current epoch key is not held"))?;
        return Ok(Audience::group(key));
    }
    if let Ok(key) = value.cast::<RecipientPublicKey>() {
        return Audience::recipients([Recipient::new(key.get().0.clone())]).map_err(errors::config);
    }
    let keys: Vec<Bound<'_, RecipientPublicKey>> = value.extract().map_err(|_| {
        PyTypeError::new_err(
            "encrypt_to values must be a RecipientPublicKey, a list of them, a GroupKey or GroupEpochs",
        )
    })?;
    Audience::recipients(keys.iter().map(|k| Recipient::new(k.get().0.clone())))
        .map_err(errors::config)
}

#[pymethods]
impl Sealer {
    /// A sender sealing with `key`.
    ///
    /// - `encrypt_to`: `{topic_filter: RecipientPublicKey | [RecipientPublicKey] | GroupKey |
    ///   GroupEpochs}`; payloads on matching topics are encrypted (topics without a match are
    ///   only signed); a GroupEpochs seals under its current epoch.
    /// - `state`: a sequence file (payseal-store's `FileSeqStore`) so numbers are never
    ///   reused across restarts; `reserve`: how many it reserves per fsync.
    /// - `seq_start`: the first number of an in-memory counter (default: Unix microseconds,
    ///   so a restarted sender starts above its previous numbers).
    /// - `kid`: a key id other than the key's own (e.g. a will kid).
    /// - `clock`: a ManualClock (default: the system clock).
    #[new]
    #[pyo3(signature = (key, *, encrypt_to = None, state = None, reserve = 1000, seq_start = None,
                        kid = None, clock = None))]
    fn new(
        key: &SigningKey,
        encrypt_to: Option<HashMap<String, Bound<'_, PyAny>>>,
        state: Option<PathBuf>,
        reserve: u64,
        seq_start: Option<u64>,
        kid: Option<Bytes<'_>>,
        clock: Option<&ManualClock>,
    ) -> PyResult<Self> {
        let seq = match (state, seq_start) {
            (Some(_), Some(_)) => {
                return Err(PyTypeError::new_err("give state or seq_start, not both"));
            }
            (Some(path), None) => {
                Sequence::File(FileSeqStore::open(path, reserve).map_err(|e| errors::store(&e))?)
            }
            (None, Some(first)) => Sequence::Memory(Counter::starting_at(first)),
            (None, None) => Sequence::Memory(Counter::from_unix_micros()),
        };
        let mut sealer = payseal::Sealer::new(key.duplicate()?, seq, AnyClock::from_arg(clock));
        if let Some(kid) = kid {
            sealer = sealer.with_kid(kid_arg(kid.as_slice())?);
        }
        for (filter, value) in encrypt_to.unwrap_or_default() {
            sealer = sealer
                .with_audience(&filter, audience(&value)?)
                .map_err(errors::config)?;
        }
        let kid = sealer.kid().as_bytes().to_vec();
        Ok(Sealer {
            inner: Mutex::new(sealer),
            kid,
        })
    }

    /// Seals `payload` for `topic` and returns the envelope to publish. `kind`: "live"
    /// (default), "retained" (published with the MQTT retain flag) or "will". The GIL is
    /// released while signing and encrypting.
    #[pyo3(signature = (topic, payload, *, kind = "live"))]
    fn seal<'py>(
        &self,
        py: Python<'py>,
        topic: &str,
        payload: Bytes<'_>,
        kind: &str,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let kind = kind_arg(kind)?;
        let payload = payload.as_slice();
        let outcome = py.detach(|| {
            let mut sealer = self.inner.lock().map_err(|_| None)?;
            sealer.seal_kind(topic, payload, kind).map_err(Some)
        });
        match outcome {
            Ok(envelope) => Ok(PyBytes::new(py, &envelope)),
            Err(Some(e)) => Err(errors::seal(&e)),
            Err(None) => Err(PyRuntimeError::new_err("sealer lock poisoned")),
        }
    }

    /// Replaces the audience of `topic_filter` (added if new), as `encrypt_to` values: after
    /// a group switches epoch (`GroupEpochs.switch_to`), hand the group over again and
    /// payloads are sealed under the new current epoch.
    fn set_encrypt_to(&self, topic_filter: &str, value: &Bound<'_, PyAny>) -> PyResult<()> {
        let audience = audience(value)?;
        let mut sealer = self
            .inner
            .lock()
            .map_err(|_| PyRuntimeError::new_err("sealer lock poisoned"))?;
        sealer
            .set_audience(topic_filter, audience)
            .map_err(errors::config)
    }

    /// The key id envelopes are sealed under.
    #[getter]
    fn kid<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.kid)
    }
}
