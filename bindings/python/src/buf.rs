//! Bytes-like arguments: `bytes`, `bytearray`, `memoryview` or anything with the buffer
//! (as pyca/cryptography's `src/rust/src/buf.rs` accepts). `str`, `int` and other objects
//! are refused with `TypeError`: payloads are bytes, and an implicit conversion would hide
//! bugs (`bytes(5)` is five zero bytes).

use std::borrow::Cow;

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyMemoryView};

/// Bytes borrowed from a `bytes` object, or copied from another buffer (a `bytearray` may
/// change while the GIL is released, so it is never borrowed).
pub(crate) struct Bytes<'py>(Cow<'py, [u8]>);

impl Bytes<'_> {
    pub(crate) fn as_slice(&self) -> &[u8] {
        &self.0
    }
}

impl<'a, 'py> FromPyObject<'a, 'py> for Bytes<'a> {
    type Error = PyErr;

    fn extract(obj: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        if let Ok(bytes) = <&'a [u8] as FromPyObject<'a, 'py>>::extract(obj) {
            return Ok(Bytes(Cow::Borrowed(bytes)));
        }
        if let Ok(array) = obj.cast::<PyByteArray>() {
            return Ok(Bytes(Cow::Owned(array.to_vec())));
        }
        if obj.cast::<PyMemoryView>().is_ok() {
            // bytes(memoryview) copies the viewed bytes (the buffer API is not in abi3-py39).
            let copy = obj.py().get_type::<PyBytes>().call1((obj,))?;
            let copy = copy.cast::<PyBytes>()?;
            return Ok(Bytes(Cow::Owned(copy.as_bytes().to_vec())));
        }
        Err(PyTypeError::new_err(format!(
            "expected a bytes-like object (bytes, bytearray, memoryview), got {}",
            obj.get_type()
                .name()
                .map(|n| n.to_string())
                .unwrap_or_default()
        )))
    }
}

/// Bytes-like items of a list argument (copied: lists are small, e.g. key ids).
pub(crate) struct OwnedBytes(pub(crate) Vec<u8>);

impl<'a, 'py> FromPyObject<'a, 'py> for OwnedBytes {
    type Error = PyErr;

    fn extract(obj: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        Ok(OwnedBytes(Bytes::extract(obj)?.as_slice().to_vec()))
    }
}
