//! `TrustStore`: whom a receiver trusts, and on which topics.

use pyo3::prelude::*;

use crate::buf::Bytes;
use crate::errors;
use crate::keys::{VerifyingKey, kid_arg};

/// The senders a receiver trusts, each with the topic filters it may publish on.
#[pyclass(module = "payseal")]
#[derive(Clone, Default)]
pub(crate) struct TrustStore(pub(crate) payseal::TrustStore);

#[pymethods]
impl TrustStore {
    #[new]
    fn new() -> Self {
        Self::default()
    }

    /// Trusts `key` on `topics` (MQTT topic filters, `+` and `#` allowed). `kid` overrides
    /// the key's default id (for a second id of the same key, e.g. a will kid).
    #[pyo3(signature = (key, topics, *, kid = None))]
    fn add_sender(
        &mut self,
        key: &VerifyingKey,
        topics: Vec<String>,
        kid: Option<Bytes<'_>>,
    ) -> PyResult<()> {
        let outcome = match kid {
            Some(kid) => {
                self.0
                    .add_sender_with_kid(kid_arg(kid.as_slice())?, key.0.clone(), &topics)
            }
            None => self.0.add_sender(key.0.clone(), &topics),
        };
        outcome.map(|_| ()).map_err(errors::config)
    }

    /// Trusts the MAC sender `kid` on `topics`: its key is derived from the shared `secret`
    /// (16 to 64 bytes) for `algorithm` ("hmac256-64" or "hmac256"), as spec/mac.md §2 says.
    /// Whoever holds `secret` can stamp as any of its senders.
    #[pyo3(signature = (secret, kid, algorithm, topics))]
    fn add_mac_sender(
        &mut self,
        secret: Bytes<'_>,
        kid: Bytes<'_>,
        algorithm: &str,
        topics: Vec<String>,
    ) -> PyResult<()> {
        let alg = payseal::MacAlgorithm::from_name(algorithm).ok_or_else(|| {
            pyo3::exceptions::PyValueError::new_err(format!(
                "unknown MAC algorithm {algorithm:?} (hmac256-64 or hmac256)"
            ))
        })?;
        let secret =
            payseal::MacSecret::from_bytes(secret.as_slice()).map_err(|e| errors::key(&e))?;
        let key = secret.sender_key(kid_arg(kid.as_slice())?, alg);
        self.0
            .add_mac_sender(key, &topics)
            .map(|_| ())
            .map_err(errors::config)
    }

    /// Limits when the sender `kid`, signature or MAC, is accepted (spec/key-management.md
    /// §3): Unix seconds on the opener's clock, both ends inclusive, `None` open. Before
    /// `not_before` its envelopes are refused as `key_not_yet_valid`, after `not_after` as
    /// `key_expired`; a rollover trusts the old and the new key with overlapping windows.
    /// Replaces any window set before; raises `ConfigError` for an unknown kid or
    /// `not_before` after `not_after`.
    #[pyo3(signature = (kid, *, not_before = None, not_after = None))]
    fn set_validity(
        &mut self,
        kid: Bytes<'_>,
        not_before: Option<u64>,
        not_after: Option<u64>,
    ) -> PyResult<()> {
        let mut validity = payseal::KeyValidity::always();
        if let Some(not_before) = not_before {
            validity = validity.from(not_before);
        }
        if let Some(not_after) = not_after {
            validity = validity.until(not_after);
        }
        self.0
            .set_validity(&kid_arg(kid.as_slice())?, validity)
            .map(|_| ())
            .map_err(errors::config)
    }

    fn __len__(&self) -> usize {
        self.0.len()
    }
}
