//! The exceptions the package raises, and the one place Rust errors become them
//! (as pyca/cryptography maps its errors in `src/rust/src/error.rs`).

use pyo3::exceptions::PyException;
use pyo3::prelude::*;

pyo3::create_exception!(
    payseal,
    PaysealError,
    PyException,
    "Base class of every error payseal raises."
);
pyo3::create_exception!(
    payseal,
    Rejected,
    PaysealError,
    "An envelope was refused. `.code` is the spec's stable reason code (spec/envelope.md §6), \
     `.is_alarm` whether it points at tampering, forgery, replay or misconfiguration, \
     `.is_retryable` whether it may be accepted if delivered again (the replay store was down)."
);
pyo3::create_exception!(
    payseal,
    SealError,
    PaysealError,
    "An envelope could not be sealed (invalid topic, too large, sequence store failing)."
);
pyo3::create_exception!(
    payseal,
    InvalidKey,
    PaysealError,
    "A key could not be parsed, generated or used (wrong type, corrupt PEM, weak key)."
);
pyo3::create_exception!(
    payseal,
    ConfigError,
    PaysealError,
    "A configuration that cannot be used: a topic filter, policy value or trust file."
);
pyo3::create_exception!(
    payseal,
    StoreError,
    PaysealError,
    "A durable store (sequence file, replay state directory) could not be opened or written."
);

/// `Rejected`, with its reason code and flags set as attributes.
pub(crate) fn rejected(rejection: &payseal::Rejection) -> PyErr {
    Python::attach(|py| {
        let err = Rejected::new_err(format!("{rejection} ({})", rejection.code()));
        let value = err.value(py);
        let outcome = value
            .setattr("code", rejection.code())
            .and_then(|()| value.setattr("is_alarm", rejection.is_alarm()))
            .and_then(|()| value.setattr("is_retryable", rejection.is_retryable()));
        match outcome {
            Ok(()) => err,
            Err(e) => e,
        }
    })
}

pub(crate) fn seal(e: &payseal::SealError) -> PyErr {
    SealError::new_err(e.to_string())
}

pub(crate) fn key(e: &payseal::KeyError) -> PyErr {
    InvalidKey::new_err(e.to_string())
}

pub(crate) fn config(e: impl std::fmt::Display) -> PyErr {
    ConfigError::new_err(e.to_string())
}

pub(crate) fn store(e: &payseal_store::StoreError) -> PyErr {
    StoreError::new_err(e.to_string())
}

/// Registers the exception classes on the module.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("PaysealError", py.get_type::<PaysealError>())?;
    m.add("Rejected", py.get_type::<Rejected>())?;
    m.add("SealError", py.get_type::<SealError>())?;
    m.add("InvalidKey", py.get_type::<InvalidKey>())?;
    m.add("ConfigError", py.get_type::<ConfigError>())?;
    m.add("StoreError", py.get_type::<StoreError>())?;
    Ok(())
}
