//! Signing keys (a device's secret) and verifying keys (whom a receiver trusts): from PEM, DER
//! or raw bytes.

use payseal::{Algorithm, Kid, SigningKey, VerifyingKey};

use crate::boundary::{self, Opaque, guard};
use crate::status::payseal_status;

/// Ed25519 (RFC 8032); COSE `Ed25519` (-19). The value to pass as `alg`.
pub const PAYSEAL_ALG_ED25519: u32 = 1;
/// ECDSA P-256 with SHA-256; COSE `ESP256` (-9).
pub const PAYSEAL_ALG_ECDSA_P256: u32 = 2;
/// ECDSA secp256k1 with SHA-256; COSE `ES256K` (-47).
pub const PAYSEAL_ALG_ECDSA_SECP256K1: u32 = 3;

/// The longest key id, in bytes (derived key ids are 8).
pub const PAYSEAL_KID_MAX_LEN: usize = 32;
const _: () = assert!(PAYSEAL_KID_MAX_LEN == Kid::MAX_LEN);

/// A private signing key. Its secret is wiped when it is freed.
#[allow(non_camel_case_types)]
pub struct payseal_signing_key {
    _private: [u8; 0],
}

impl Opaque for payseal_signing_key {
    type Inner = SigningKey;
    const TAG: u64 = 0x7073_6b65_7973_6967; // "psksysig"
}

/// A public key a receiver trusts.
#[allow(non_camel_case_types)]
pub struct payseal_verifying_key {
    _private: [u8; 0],
}

impl Opaque for payseal_verifying_key {
    type Inner = VerifyingKey;
    const TAG: u64 = 0x7073_766b_6579_7665; // "psvkeyve"
}

fn algorithm(alg: u32) -> Result<Algorithm, payseal_status> {
    match alg {
        PAYSEAL_ALG_ED25519 => Ok(Algorithm::Ed25519),
        PAYSEAL_ALG_ECDSA_P256 => Ok(Algorithm::EcdsaP256),
        PAYSEAL_ALG_ECDSA_SECP256K1 => Ok(Algorithm::EcdsaSecp256k1),
        _ => Err(payseal_status::InvalidArgument),
    }
}

fn pem_text(pem: &[u8]) -> Result<&str, payseal_status> {
    core::str::from_utf8(pem).map_err(|_| payseal_status::UnsupportedKey)
}

/// Generates a signing key from the operating system's random number generator.
///
/// # Safety
/// `out` must be NULL or valid for writing a pointer.
///
/// ```
/// use payseal_ffi::*;
/// let mut key = core::ptr::null_mut();
/// let status = unsafe { payseal_signing_key_generate(PAYSEAL_ALG_ED25519, &mut key) };
/// assert_eq!(status, payseal_status::Ok);
/// unsafe { payseal_signing_key_free(key) };
/// ```
#[unsafe(no_mangle)]
pub unsafe extern "C" fn payseal_signing_key_generate(
    alg: u32,
    out: *mut *mut payseal_signing_key,
) -> payseal_status {
    guard(|| {
        // SAFETY: the caller's contract on `out`.
        let out = unsafe { boundary::out_handle(out)? };
        let key = SigningKey::generate(algorithm(alg)?).map_err(|e| payseal_status::from(&e))?;
        boundary::publish(key, out);
        Ok(())
    })
}

/// A signing key from its raw 32-byte secret: the Ed25519 seed or the ECDSA scalar
/// (big-endian).
///
/// # Safety
/// `secret` must be NULL or valid for reading `secret_len` bytes; `out` NULL or writable.
///
/// ```
/// use payseal_ffi::*;
/// let mut key = core::ptr::null_mut();
/// let status = unsafe { payseal_signing_key_from_raw(PAYSEAL_ALG_ED25519, [7u8; 32].as_ptr(), 32, &mut key) };
/// assert_eq!(status, payseal_status::Ok);
/// let short = unsafe { payseal_signing_key_from_raw(PAYSEAL_ALG_ED25519, [7u8; 31].as_ptr(), 31, &mut key) };
/// assert_eq!(short, payseal_status::InvalidKey);
/// assert!(key.is_null());
/// ```
#[unsafe(no_mangle)]
pub unsafe extern "C" fn payseal_signing_key_from_raw(
    alg: u32,
    secret: *const u8,
    secret_len: usize,
    out: *mut *mut payseal_signing_key,
) -> payseal_status {
    guard(|| {
        // SAFETY: the caller's contract on `out` and `secret`.
        let (out, secret) = unsafe {
            (
                boundary::out_handle(out)?,
                boundary::bytes(secret, secret_len)?,
            )
        };
        let key = SigningKey::from_secret_bytes(algorithm(alg)?, secret)
            .map_err(|e| payseal_status::from(&e))?;
        boundary::publish(key, out);
        Ok(())
    })
}

/// A signing key from PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`, as `payseal keygen`
/// writes), of any supported algorithm. `pem` need not be NUL-terminated.
///
/// # Safety
/// `pem` must be NULL or valid for reading `pem_len` bytes; `out` NULL or writable.
///
/// ```
/// use payseal_ffi::*;
/// let mut key = core::ptr::null_mut();
/// let junk = b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
/// let status = unsafe { payseal_signing_key_from_pem(junk.as_ptr(), junk.len(), &mut key) };
/// assert_eq!(status, payseal_status::UnsupportedKey);
/// ```
#[unsafe(no_mangle)]
pub unsafe extern "C" fn payseal_signing_key_from_pem(
    pem: *const u8,
    pem_len: usize,
    out: *mut *mut payseal_signing_key,
) -> payseal_status {
    guard(|| {
        // SAFETY: the caller's contract on `out` and `pem`.
        let (out, pem) = unsafe { (boundary::out_handle(out)?, boundary::bytes(pem, pem_len)?) };
        let key =
            SigningKey::from_pkcs8_pem(pem_text(pem)?).map_err(|e| payseal_status::from(&e))?;
        boundary::publish(key, out);
        Ok(())
    })
}

/// A signing key from PKCS#8 DER.
///
/// # Safety
/// `der` must be NULL or valid for reading `der_len` bytes; `out` NULL or writable.
///
/// ```
/// use payseal_ffi::*;
/// let mut key = core::ptr::null_mut();
/// let status = unsafe { payseal_signing_key_from_der([0x30, 0x00].as_ptr(), 2, &mut key) };
/// assert_eq!(status, payseal_status::UnsupportedKey);
/// ```
#[unsafe(no_mangle)]
pub unsafe extern "C" fn payseal_signing_key_from_der(
    der: *const u8,
    der_len: usize,
    out: *mut *mut payseal_signing_key,
) -> payseal_status {
    guard(|| {
        // SAFETY: the caller's contract on `out` and `der`.
        let (out, der) = unsafe { (boundary::out_handle(out)?, boundary::bytes(der, der_len)?) };
        let key = SigningKey::from_pkcs8_der(der).map_err(|e| payseal_status::from(&e))?;
        boundary::publish(key, out);
        Ok(())
    })
}

/// The public half of a signing key, as a new verifying key handle.
///
/// # Safety
/// `key` must be NULL or a live handle; `out` NULL or writable.
///
/// ```
/// use payseal_ffi::*;
/// let (mut key, mut public) = (core::ptr::null_mut(), core::ptr::null_mut());
/// unsafe {
///     assert_eq!(payseal_signing_key_generate(PAYSEAL_ALG_ED25519, &mut key), payseal_status::Ok);
///     assert_eq!(payseal_signing_key_public(key, &mut public), payseal_status::Ok);
///     payseal_verifying_key_free(public);
///     payseal_signing_key_free(key);
/// }
/// ```
#[unsafe(no_mangle)]
pub unsafe extern "C" fn payseal_signing_key_public(
    key: *const payseal_signing_key,
    out: *mut *mut payseal_verifying_key,
) -> payseal_status {
    guard(|| {
        // SAFETY: the caller's contract on `out` and `key`.
        let (out, key) = unsafe { (boundary::out_handle(out)?, boundary::borrow(key)?) };
        boundary::publish(key.verifying_key(), out);
        Ok(())
    })
}

/// Writes the key id envelopes sealed with this key carry (8 bytes, RFC 9679 thumbprint
/// prefix) to `out`; `*out_len` gets its length, also when `out_cap` is too small
/// (`PAYSEAL_STATUS_BUFFER_TOO_SMALL`).
///
/// # Safety
/// `key` NULL or a live handle; `out` NULL (with `out_cap` 0) or writable for `out_cap`
/// bytes; `out_len` NULL or writable.
///
/// ```
/// use payseal_ffi::*;
/// let mut key = core::ptr::null_mut();
/// let (mut kid, mut len) = ([0u8; PAYSEAL_KID_MAX_LEN], 0);
/// unsafe {
///     payseal_signing_key_generate(PAYSEAL_ALG_ED25519, &mut key);
///     assert_eq!(payseal_signing_key_kid(key, kid.as_mut_ptr(), kid.len(), &mut len), payseal_status::Ok);
///     payseal_signing_key_free(key);
/// }
/// assert_eq!(len, 8);
/// ```
#[unsafe(no_mangle)]
pub unsafe extern "C" fn payseal_signing_key_kid(
    key: *const payseal_signing_key,
    out: *mut u8,
    out_cap: usize,
    out_len: *mut usize,
) -> payseal_status {
    guard(|| {
        // SAFETY: the caller's contract on each pointer.
        let (key, out, out_len) = unsafe {
            (
                boundary::borrow(key)?,
                boundary::bytes_mut(out, out_cap)?,
                boundary::out_value(out_len)?,
            )
        };
        boundary::copy_out(key.kid().as_bytes(), out, out_len)
    })
}

/// Frees a signing key and wipes its secret. NULL, or a handle of another type, is ignored.
///
/// # Safety
/// `key` must be NULL or a live handle, not used afterwards.
///
/// ```
/// unsafe { payseal_ffi::payseal_signing_key_free(core::ptr::null_mut()) };
/// ```
#[unsafe(no_mangle)]
pub unsafe extern "C" fn payseal_signing_key_free(key: *mut payseal_signing_key) {
    guard(|| {
        // SAFETY: the caller's contract.
        unsafe { boundary::release(key) };
        Ok(())
    });
}

/// A verifying key from SPKI PEM (`-----BEGIN PUBLIC KEY-----`, as `payseal keygen` writes
/// to `NAME.pub`), of any supported algorithm.
///
/// # Safety
/// `pem` must be NULL or valid for reading `pem_len` bytes; `out` NULL or writable.
///
/// ```
/// use payseal_ffi::*;
/// let mut key = core::ptr::null_mut();
/// let status = unsafe { payseal_verifying_key_from_pem(b"hello".as_ptr(), 5, &mut key) };
/// assert_eq!(status, payseal_status::UnsupportedKey);
/// ```
#[unsafe(no_mangle)]
pub unsafe extern "C" fn payseal_verifying_key_from_pem(
    pem: *const u8,
    pem_len: usize,
    out: *mut *mut payseal_verifying_key,
) -> payseal_status {
    guard(|| {
        // SAFETY: the caller's contract on `out` and `pem`.
        let (out, pem) = unsafe { (boundary::out_handle(out)?, boundary::bytes(pem, pem_len)?) };
        let key = VerifyingKey::from_public_key_pem(pem_text(pem)?)
            .map_err(|e| payseal_status::from(&e))?;
        boundary::publish(key, out);
        Ok(())
    })
}

/// A verifying key from SPKI DER.
///
/// # Safety
/// `der` must be NULL or valid for reading `der_len` bytes; `out` NULL or writable.
///
/// ```
/// use payseal_ffi::*;
/// let mut key = core::ptr::null_mut();
/// let status = unsafe { payseal_verifying_key_from_der(core::ptr::null(), 0, &mut key) };
/// assert_eq!(status, payseal_status::UnsupportedKey);
/// ```
#[unsafe(no_mangle)]
pub unsafe extern "C" fn payseal_verifying_key_from_der(
    der: *const u8,
    der_len: usize,
    out: *mut *mut payseal_verifying_key,
) -> payseal_status {
    guard(|| {
        // SAFETY: the caller's contract on `out` and `der`.
        let (out, der) = unsafe { (boundary::out_handle(out)?, boundary::bytes(der, der_len)?) };
        let key = VerifyingKey::from_public_key_der(der).map_err(|e| payseal_status::from(&e))?;
        boundary::publish(key, out);
        Ok(())
    })
}

/// Writes the key's derived key id, as [`payseal_signing_key_kid`] does.
///
/// # Safety
/// As [`payseal_signing_key_kid`].
///
/// ```
/// use payseal_ffi::*;
/// let mut len = 0;
/// let status = unsafe { payseal_verifying_key_kid(core::ptr::null(), core::ptr::null_mut(), 0, &mut len) };
/// assert_eq!(status, payseal_status::NullArgument);
/// ```
#[unsafe(no_mangle)]
pub unsafe extern "C" fn payseal_verifying_key_kid(
    key: *const payseal_verifying_key,
    out: *mut u8,
    out_cap: usize,
    out_len: *mut usize,
) -> payseal_status {
    guard(|| {
        // SAFETY: the caller's contract on each pointer.
        let (key, out, out_len) = unsafe {
            (
                boundary::borrow(key)?,
                boundary::bytes_mut(out, out_cap)?,
                boundary::out_value(out_len)?,
            )
        };
        boundary::copy_out(key.kid().as_bytes(), out, out_len)
    })
}

/// Frees a verifying key. NULL, or a handle of another type, is ignored.
///
/// # Safety
/// `key` must be NULL or a live handle, not used afterwards.
///
/// ```
/// unsafe { payseal_ffi::payseal_verifying_key_free(core::ptr::null_mut()) };
/// ```
#[unsafe(no_mangle)]
pub unsafe extern "C" fn payseal_verifying_key_free(key: *mut payseal_verifying_key) {
    guard(|| {
        // SAFETY: the caller's contract.
        unsafe { boundary::release(key) };
        Ok(())
    });
}
