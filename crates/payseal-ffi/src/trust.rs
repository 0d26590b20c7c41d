//! What a receiver accepts: trusted senders with their topic filters, and the keys it decrypts
//! with. Openers copy it when they are made.

use core::ffi::c_char;

use payseal::{Keyring, TrustStore};

use crate::boundary::{self, Opaque, guard};
use crate::keys::payseal_verifying_key;
use crate::recipients::payseal_recipient_key;
use crate::status::payseal_status;

/// Trusted senders, and the decryption keys and encryption requirements of a receiver.
#[allow(non_camel_case_types)]
pub struct payseal_trust_store {
    _private: [u8; 0],
}

/// What a trust store handle holds.
#[derive(Clone, Default)]
pub(crate) struct Trust {
    pub(crate) senders: TrustStore,
    pub(crate) keyring: Keyring,
}

impl Opaque for payseal_trust_store {
    type Inner = Trust;
    const TAG: u64 = 0x7073_7472_7573_7473; // "pstrusts"
}

/// A topic argument as UTF-8, or the status `invalid`.
///
/// # Safety
/// As [`boundary::c_str`].
pub(crate) unsafe fn topic_arg<'a>(
    ptr: *const c_char,
    invalid: payseal_status,
) -> Result<&'a str, payseal_status> {
    // SAFETY: forwarded contract.
    let text = unsafe { boundary::c_str(ptr)? };
    text.to_str().map_err(|_| invalid)
}

/// An empty trust store.
///
/// # Safety
/// `out` must be NULL or valid for writing a pointer.
///
/// ```
/// use payseal_ffi::*;
/// let mut trust = core::ptr::null_mut();
/// unsafe {
///     assert_eq!(payseal_trust_store_new(&mut trust), payseal_status::Ok);
///     payseal_trust_store_free(trust);
/// }
/// ```
#[unsafe(no_mangle)]
pub unsafe extern "C" fn payseal_trust_store_new(
    out: *mut *mut payseal_trust_store,
) -> payseal_status {
    guard(|| {
        // SAFETY: the caller's contract on `out`.
        let out = unsafe { boundary::out_handle(out)? };
        boundary::publish(Trust::default(), out);
        Ok(())
    })
}

/// Trusts `key` (under its derived key id) to publish on the `filters_len` MQTT topic
/// filters in `filters` (`+` and `#` allowed). Nothing is added if any filter is invalid.
///
/// # Safety
/// `trust` and `key` NULL or live handles; `filters` NULL or valid for reading `filters_len`
/// pointers, each NULL or a NUL-terminated string.
///
/// ```
/// use payseal_ffi::*;
/// let (mut trust, mut key, mut public) = (core::ptr::null_mut(), core::ptr::null_mut(), core::ptr::null_mut());
/// let filters = [c"plant/+/temp".as_ptr()];
/// unsafe {
///     payseal_trust_store_new(&mut trust);
///     payseal_signing_key_generate(PAYSEAL_ALG_ED25519, &mut key);
///     payseal_signing_key_public(key, &mut public);
///     assert_eq!(payseal_trust_store_add_sender(trust, public, filters.as_ptr(), 1), payseal_status::Ok);
///     let bad = [c"plant/#/temp".as_ptr()];
///     assert_eq!(payseal_trust_store_add_sender(trust, public, bad.as_ptr(), 1), payseal_status::InvalidTopicFilter);
///     payseal_verifying_key_free(public);
///     payseal_signing_key_free(key);
///     payseal_trust_store_free(trust);
/// }
/// ```
#[unsafe(no_mangle)]
pub unsafe extern "C" fn payseal_trust_store_add_sender(
    trust: *mut payseal_trust_store,
    key: *const payseal_verifying_key,
    filters: *const *const c_char,
    filters_len: usize,
) -> payseal_status {
    guard(|| {
        // SAFETY: the caller's contract on `trust`, `key` and the `filters` array.
        let (trust, key, filter_ptrs) = unsafe {
            (
                boundary::borrow_mut(trust)?,
                boundary::borrow(key)?,
                boundary::pointers(filters, filters_len)?,
            )
        };
        let mut topics = Vec::with_capacity(filter_ptrs.len());
        for &ptr in filter_ptrs {
            // SAFETY: each entry is NULL or NUL-terminated (the caller's contract).
            topics.push(unsafe { topic_arg(ptr, payseal_status::InvalidTopicFilter)? });
        }
        trust
            .senders
            .add_sender(key.clone(), topics)
            .map_err(|e| payseal_status::from(&e))?;
        Ok(())
    })
}

/// Decrypts envelopes encrypted to `key` (a copy is kept; free yours when you like).
///
/// # Safety
/// `trust` and `key` NULL or live handles.
///
/// ```
/// use payseal_ffi::*;
/// let mut trust = core::ptr::null_mut();
/// unsafe {
///     payseal_trust_store_new(&mut trust);
///     assert_eq!(payseal_trust_store_add_decryption_key(trust, core::ptr::null()), payseal_status::NullArgument);
///     payseal_trust_store_free(trust);
/// }
/// ```
#[unsafe(no_mangle)]
pub unsafe extern "C" fn payseal_trust_store_add_decryption_key(
    trust: *mut payseal_trust_store,
    key: *const payseal_recipient_key,
) -> payseal_status {
    guard(|| {
        // SAFETY: the caller's contract on both handles.
        let (trust, key) = unsafe { (boundary::borrow_mut(trust)?, boundary::borrow(key)?) };
        trust
            .keyring
            .add_recipient_key(key.clone())
            .map_err(|e| payseal_status::from(&e))?;
        Ok(())
    })
}

/// Refuses signed-only envelopes on topics matching `filter`
/// (`PAYSEAL_STATUS_ENCRYPTION_REQUIRED`).
///
/// # Safety
/// `trust` NULL or a live handle; `filter` NULL or NUL-terminated.
///
/// ```
/// use payseal_ffi::*;
/// let mut trust = core::ptr::null_mut();
/// unsafe {
///     payseal_trust_store_new(&mut trust);
///     assert_eq!(payseal_trust_store_require_encryption(trust, c"plant/#".as_ptr()), payseal_status::Ok);
///     payseal_trust_store_free(trust);
/// }
/// ```
#[unsafe(no_mangle)]
pub unsafe extern "C" fn payseal_trust_store_require_encryption(
    trust: *mut payseal_trust_store,
    filter: *const c_char,
) -> payseal_status {
    guard(|| {
        // SAFETY: the caller's contract on `trust` and `filter`.
        let (trust, filter) = unsafe {
            (
                boundary::borrow_mut(trust)?,
                topic_arg(filter, payseal_status::InvalidTopicFilter)?,
            )
        };
        trust
            .keyring
            .require_encryption(filter)
            .map_err(|e| payseal_status::from(&e))?;
        Ok(())
    })
}

/// Frees a trust store (openers made from it keep their copy). NULL, or a handle of another
/// type, is ignored.
///
/// # Safety
/// `trust` must be NULL or a live handle, not used afterwards.
///
/// ```
/// unsafe { payseal_ffi::payseal_trust_store_free(core::ptr::null_mut()) };
/// ```
#[unsafe(no_mangle)]
pub unsafe extern "C" fn payseal_trust_store_free(trust: *mut payseal_trust_store) {
    guard(|| {
        // SAFETY: the caller's contract.
        unsafe { boundary::release(trust) };
        Ok(())
    });
}
