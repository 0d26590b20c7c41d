//! # payseal-python: the `payseal` Python package's native module
//!
//! PyO3 classes over the Rust core (`payseal`), the durable stores (`payseal-store`), the
//! CLI's trust file parser (`payseal_cli::config`) and the MQTT receive rules
//! (`payseal-mqtt`). Nothing is re-implemented in Python: the package's `__init__.py`
//! re-exports this module, and `payseal.paho` only moves bytes between paho-mqtt and it.
//!
//! Errors become Python exceptions in one place (`errors`); bytes-like arguments are read
//! in one place (`buf`); the GIL is released around every signature, verification and
//! encryption. The Python API is documented in `python/payseal/__init__.pyi`.

mod buf;
mod clock;
mod epochs;
mod errors;
mod keys;
mod opener;
mod policy;
mod receiver;
mod replay;
mod resolver;
mod sealer;
mod trust;
mod verified;

use pyo3::prelude::*;

/// The native module, re-exported by the `payseal` package.
#[pymodule]
fn _payseal(m: &Bound<'_, PyModule>) -> PyResult<()> {
    errors::register(m)?;
    m.add_class::<clock::ManualClock>()?;
    m.add_class::<keys::SigningKey>()?;
    m.add_class::<keys::VerifyingKey>()?;
    m.add_class::<keys::RecipientKey>()?;
    m.add_class::<keys::RecipientPublicKey>()?;
    m.add_class::<keys::GroupKey>()?;
    m.add_class::<epochs::GroupEpochs>()?;
    m.add_class::<trust::TrustStore>()?;
    m.add_class::<policy::Policy>()?;
    m.add_class::<sealer::Sealer>()?;
    m.add_class::<opener::Opener>()?;
    m.add_class::<verified::Verified>()?;
    m.add_class::<receiver::Receiver>()?;
    m.add("REASON_CODES", payseal::Rejection::CODES.to_vec())?;
    m.add("PROFILE", payseal::PROFILE)?;
    Ok(())
}
