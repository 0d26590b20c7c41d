//! `GroupEpochs`: a group's keys across epochs (spec/key-management.md §2): the current
//! epoch senders seal under, past epochs still accepted for their grace period, and future
//! epochs handed out ahead of a switch.

use payseal::ContentAlg;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::buf::Bytes;
use crate::errors;
use crate::keys::GroupKey;

/// The keys of one group across epochs. A receiver passes it to `Opener(keys=[...])` (or
/// `Opener.set_group_epochs` after a key update); a sender to `Sealer(encrypt_to={...})`,
/// which seals under the current epoch. Each takes a copy: change this object, then hand it
/// over again.
#[pyclass(module = "payseal")]
#[derive(Clone)]
pub(crate) struct GroupEpochs(pub(crate) payseal::GroupEpochs);

#[pymethods]
impl GroupEpochs {
    /// Group `group` (1 to 28 bytes) at epoch `epoch`, with that epoch's `secret` for `alg`
    /// ("a128gcm": 16 bytes, "a256gcm": 32).
    #[new]
    #[pyo3(signature = (group, epoch, secret, alg = "a256gcm"))]
    fn new(group: Bytes<'_>, epoch: u32, secret: Bytes<'_>, alg: &str) -> PyResult<Self> {
        let alg: ContentAlg =
            payseal_cli::config::parse_content_alg(alg).map_err(PyValueError::new_err)?;
        payseal::GroupEpochs::new(group.as_slice(), epoch, alg, secret.as_slice())
            .map(GroupEpochs)
            .map_err(|e| errors::key(&e))
    }

    /// Hands out a future epoch's key ahead of the switch: accepted at once, sealed under
    /// only after `switch_to`. Raises `InvalidKey` unless `epoch` is after the current one.
    fn add_next(&mut self, epoch: u32, secret: Bytes<'_>) -> PyResult<()> {
        self.0
            .add_next(epoch, secret.as_slice())
            .map(|_| ())
            .map_err(|e| errors::key(&e))
    }

    /// Adds a past epoch's key, accepted until `accept_until` (Unix seconds, inclusive).
    /// Raises `InvalidKey` unless `epoch` is before the current one.
    fn add_previous(&mut self, epoch: u32, secret: Bytes<'_>, accept_until: u64) -> PyResult<()> {
        self.0
            .add_previous(epoch, secret.as_slice(), accept_until)
            .map(|_| ())
            .map_err(|e| errors::key(&e))
    }

    /// Makes `epoch` (already held: `add_next`) current at `now`: the old current epoch stays
    /// accepted for `grace_secs`, past epochs whose grace ended before `now` are dropped.
    fn switch_to(&mut self, epoch: u32, now: u64, grace_secs: u64) -> PyResult<()> {
        self.0
            .switch_to(epoch, now, grace_secs)
            .map(|_| ())
            .map_err(|e| errors::key(&e))
    }

    /// Forgets every epoch handed out ahead: a rotation abandoned.
    fn forget_ahead(&mut self) {
        self.0.forget_ahead();
    }

    /// The group id.
    #[getter]
    fn group<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, self.0.group())
    }

    /// The epoch senders seal under.
    #[getter]
    fn current_epoch(&self) -> u32 {
        self.0.current_epoch()
    }

    /// Every epoch held, ascending: `(epoch, kid, accept_until)`, `accept_until` `None` for
    /// the current and future epochs.
    #[getter]
    fn epochs<'py>(&self, py: Python<'py>) -> Vec<(u32, Bound<'py, PyBytes>, Option<u64>)> {
        self.0
            .epochs()
            .map(|(epoch, key, until)| (epoch, PyBytes::new(py, key.kid().as_bytes()), until))
            .collect()
    }

    /// The current epoch's key (what a sender seals under).
    fn current_key(&self) -> PyResult<GroupKey> {
        self.0
            .current_key()
            .cloned()
            .map(GroupKey)
            .ok_or_else(|| errors::config("the current epoch's key is not held"))
    }

    fn __repr__(&self) -> String {
        let held: Vec<String> = self.0.epochs().map(|(e, _, _)| e.to_string()).collect();
        let current = self
            .0
            .current_key()
            .map_or_else(String::new, |k| k.kid().to_string());
        format!(
            "<GroupEpochs current={} kid={current} held=[{}]>",
            self.0.current_epoch(),
            held.join(", ")
        )
    }
}
