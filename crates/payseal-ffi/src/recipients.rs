//! Encryption keys: a receiver's private key (to decrypt) and a recipient's public key (to
//! encrypt to), X25519 or P-256 (COSE-HPKE, spec/encryption.md).

use payseal::{RecipientKey, RecipientPublicKey};

use crate::boundary::{self, Opaque, guard};
use crate::status::payseal_status;

/// A receiver's private decryption key. Its secret is wiped when it is freed.
#[allow(non_camel_case_types)]
pub struct payseal_recipient_key {
    _private: [u8; 0],
}

impl Opaque for payseal_recipient_key {
    type Inner = RecipientKey;
    const TAG: u64 = 0x7073_7263_706b_6579; // "psrcpkey"
}

/// A recipient's public encryption key.
#[allow(non_camel_case_types)]
pub struct payseal_recipient_public_key {
    _private: [u8; 0],
}

impl Opaque for payseal_recipient_public_key {
    type Inner = RecipientPublicKey;
    const TAG: u64 = 0x7073_7270_7562_6b79; // "psrpubky"
}

fn pem_text(pem: &[u8]) -> Result<&str, payseal_status> {
    core::str::from_utf8(pem).map_err(|_| payseal_status::UnsupportedKey)
}

/// A decryption key from PKCS#8 PEM (`payseal keygen --alg x25519` writes one).
///
/// # Safety
/// `pem` must be NULL or valid for reading `pem_len` bytes; `out` NULL or writable.
///
/// ```
/// use payseal_ffi::*;
/// let mut key = core::ptr::null_mut();
/// let status = unsafe { payseal_recipient_key_from_pem(b"x".as_ptr(), 1, &mut key) };
/// assert_eq!(status, payseal_status::UnsupportedKey);
/// ```
#[unsafe(no_mangle)]
pub unsafe extern "C" fn payseal_recipient_key_from_pem(
    pem: *const u8,
    pem_len: usize,
    out: *mut *mut payseal_recipient_key,
) -> payseal_status {
    guard(|| {
        // SAFETY: the caller's contract on `out` and `pem`.
        let (out, pem) = unsafe { (boundary::out_handle(out)?, boundary::bytes(pem, pem_len)?) };
        let key =
            RecipientKey::from_pkcs8_pem(pem_text(pem)?).map_err(|e| payseal_status::from(&e))?;
        boundary::publish(key, out);
        Ok(())
    })
}

/// The public half of a decryption key, to encrypt to.
///
/// # Safety
/// `key` must be NULL or a live handle; `out` NULL or writable.
///
/// ```
/// use payseal_ffi::*;
/// let mut public = core::ptr::null_mut();
/// let status = unsafe { payseal_recipient_key_public(core::ptr::null(), &mut public) };
/// assert_eq!(status, payseal_status::NullArgument);
/// ```
#[unsafe(no_mangle)]
pub unsafe extern "C" fn payseal_recipient_key_public(
    key: *const payseal_recipient_key,
    out: *mut *mut payseal_recipient_public_key,
) -> payseal_status {
    guard(|| {
        // SAFETY: the caller's contract on `out` and `key`.
        let (out, key) = unsafe { (boundary::out_handle(out)?, boundary::borrow(key)?) };
        boundary::publish(key.public_key(), out);
        Ok(())
    })
}

/// Frees a decryption key and wipes its secret. NULL, or a handle of another type, is ignored.
///
/// # Safety
/// `key` must be NULL or a live handle, not used afterwards.
///
/// ```
/// unsafe { payseal_ffi::payseal_recipient_key_free(core::ptr::null_mut()) };
/// ```
#[unsafe(no_mangle)]
pub unsafe extern "C" fn payseal_recipient_key_free(key: *mut payseal_recipient_key) {
    guard(|| {
        // SAFETY: the caller's contract.
        unsafe { boundary::release(key) };
        Ok(())
    });
}

/// A recipient's public key from SPKI PEM (`NAME.pub` of `payseal keygen --alg x25519`).
///
/// # Safety
/// `pem` must be NULL or valid for reading `pem_len` bytes; `out` NULL or writable.
///
/// ```
/// use payseal_ffi::*;
/// let mut key = core::ptr::null_mut();
/// let status = unsafe { payseal_recipient_public_key_from_pem(b"x".as_ptr(), 1, &mut key) };
/// assert_eq!(status, payseal_status::UnsupportedKey);
/// ```
#[unsafe(no_mangle)]
pub unsafe extern "C" fn payseal_recipient_public_key_from_pem(
    pem: *const u8,
    pem_len: usize,
    out: *mut *mut payseal_recipient_public_key,
) -> payseal_status {
    guard(|| {
        // SAFETY: the caller's contract on `out` and `pem`.
        let (out, pem) = unsafe { (boundary::out_handle(out)?, boundary::bytes(pem, pem_len)?) };
        let key = RecipientPublicKey::from_public_key_pem(pem_text(pem)?)
            .map_err(|e| payseal_status::from(&e))?;
        boundary::publish(key, out);
        Ok(())
    })
}

/// Frees a recipient's public key. NULL, or a handle of another type, is ignored.
///
/// # Safety
/// `key` must be NULL or a live handle, not used afterwards.
///
/// ```
/// unsafe { payseal_ffi::payseal_recipient_public_key_free(core::ptr::null_mut()) };
/// ```
#[unsafe(no_mangle)]
pub unsafe extern "C" fn payseal_recipient_public_key_free(key: *mut payseal_recipient_public_key) {
    guard(|| {
        // SAFETY: the caller's contract.
        unsafe { boundary::release(key) };
        Ok(())
    });
}
