//! `Policy`: a receiver's freshness bounds, replay window width and size limits.

use payseal::Limits;
use pyo3::prelude::*;

use crate::errors;

/// Replay window, freshness and size limits; the defaults are the core's (max age 300 s,
/// future skew 30 s, window 128).
#[pyclass(module = "payseal", frozen)]
#[derive(Clone)]
pub(crate) struct Policy(pub(crate) payseal::Policy);

#[pymethods]
impl Policy {
    #[new]
    #[pyo3(signature = (*, max_age = None, max_future_skew = None, window = None,
                        max_envelope_bytes = None, max_recipients = None,
                        max_x5chain_bytes = None, max_x5chain_certs = None))]
    fn new(
        max_age: Option<u64>,
        max_future_skew: Option<u64>,
        window: Option<usize>,
        max_envelope_bytes: Option<usize>,
        max_recipients: Option<usize>,
        max_x5chain_bytes: Option<usize>,
        max_x5chain_certs: Option<usize>,
    ) -> PyResult<Self> {
        let mut policy = payseal::Policy::default();
        if let Some(secs) = max_age {
            policy = policy.with_max_age(secs).map_err(errors::config)?;
        }
        if let Some(secs) = max_future_skew {
            policy = policy.with_max_future_skew(secs);
        }
        if let Some(width) = window {
            policy = policy.with_window(width).map_err(errors::config)?;
        }
        let mut limits: Limits = *policy.limits();
        if let Some(bytes) = max_envelope_bytes {
            limits = limits.with_max_envelope_bytes(bytes);
        }
        if let Some(n) = max_recipients {
            limits.max_recipients = n;
        }
        // The certificate budget (spec §4.3): 0 refuses every envelope carrying a chain.
        if let Some(bytes) = max_x5chain_bytes {
            limits.max_x5chain_bytes = bytes;
        }
        if let Some(n) = max_x5chain_certs {
            limits.max_x5chain_certs = n;
        }
        Ok(Policy(policy.with_limits(limits)))
    }

    #[getter]
    fn max_age(&self) -> u64 {
        self.0.max_age_secs()
    }

    #[getter]
    fn max_future_skew(&self) -> u64 {
        self.0.max_future_skew_secs()
    }

    #[getter]
    fn window(&self) -> usize {
        self.0.window()
    }

    #[getter]
    fn max_envelope_bytes(&self) -> usize {
        self.0.limits().max_envelope_bytes
    }

    fn __repr__(&self) -> String {
        format!(
            "Policy(max_age={}, max_future_skew={}, window={}, max_envelope_bytes={})",
            self.max_age(),
            self.max_future_skew(),
            self.window(),
            self.max_envelope_bytes()
        )
    }
}
