//! Sealing on a device: a payload in, an envelope out, into the caller's buffer.

use core::ffi::{c_char, c_void};

use payseal::{Audience, Recipient, Sealer, SigningKey, TopicFilter};

use crate::boundary::{self, Opaque, guard};
use crate::keys::payseal_signing_key;
use crate::recipients::payseal_recipient_public_key;
use crate::sources::{ClockSource, SequenceSourceKind, payseal_clock_fn, payseal_sequence_fn};
use crate::status::payseal_status;
use crate::trust::topic_arg;

/// The most bytes a signed (not encrypted) envelope without certificates adds to its payload,
/// whatever the algorithm, sequence number, time and key id (up to 32 bytes): a buffer of
/// `payload_len + PAYSEAL_SIGNED_OVERHEAD_MAX` bytes always holds it. Typical envelopes add
/// 107 to 116 bytes.
pub const PAYSEAL_SIGNED_OVERHEAD_MAX: usize = 160;

/// Seals payloads for one sender. Not for use from two threads at once.
#[allow(non_camel_case_types)]
pub struct payseal_sealer {
    _private: [u8; 0],
}

type DeviceSealer = Sealer<SigningKey, SequenceSourceKind, ClockSource>;

impl Opaque for payseal_sealer {
    // `None` only while `payseal_sealer_encrypt_to` rebuilds it.
    type Inner = Option<DeviceSealer>;
    const TAG: u64 = 0x7073_7365_616c_6572; // "pssealer"
}

/// A copy of the key: the sealer owns its own, and the caller frees theirs when they like.
fn copy_key(key: &SigningKey) -> Result<SigningKey, payseal_status> {
    SigningKey::from_secret_bytes(key.algorithm(), key.expose_secret_bytes().as_ref())
        .map_err(|e| payseal_status::from(&e))
}

/// A sealer for `key` (copied), stamping envelopes with the system clock and numbering them
/// from the current time in microseconds (so a restarted device continues above its earlier
/// numbers without storing anything).
///
/// # Safety
/// `key` NULL or a live handle; `out` NULL or writable.
///
/// ```
/// use payseal_ffi::*;
/// let (mut key, mut sealer) = (core::ptr::null_mut(), core::ptr::null_mut());
/// unsafe {
///     payseal_signing_key_generate(PAYSEAL_ALG_ED25519, &mut key);
///     assert_eq!(payseal_sealer_new(key, &mut sealer), payseal_status::Ok);
///     payseal_signing_key_free(key); // the sealer has its own copy
///     let mut envelope = [0u8; 4 + PAYSEAL_SIGNED_OVERHEAD_MAX];
///     let mut len = 0;
///     let status = payseal_seal(sealer, c"plant/3/temp".as_ptr(), b"21.5".as_ptr(), 4,
///                               envelope.as_mut_ptr(), envelope.len(), &mut len);
///     assert_eq!(status, payseal_status::Ok);
///     assert!(len > 4);
///     payseal_sealer_free(sealer);
/// }
/// ```
#[unsafe(no_mangle)]
pub unsafe extern "C" fn payseal_sealer_new(
    key: *const payseal_signing_key,
    out: *mut *mut payseal_sealer,
) -> payseal_status {
    // SAFETY: forwarded contract; NULL callbacks select the defaults.
    unsafe {
        payseal_sealer_new_with_sources(
            key,
            None,
            core::ptr::null_mut(),
            None,
            core::ptr::null_mut(),
            out,
        )
    }
}

/// A sealer for `key` (copied) whose time comes from `clock` (NULL: the system clock) and
/// whose sequence numbers come from `sequence` (NULL: as [`payseal_sealer_new`]). Each
/// callback is called with its `ctx` during `payseal_seal`, on the caller's thread.
///
/// # Safety
/// `key` NULL or a live handle; `out` NULL or writable; each non-NULL callback must be safe
/// to call with its `ctx` until the sealer is freed.
///
/// ```
/// use core::ffi::c_void;
/// use payseal_ffi::*;
/// unsafe extern "C" fn no_clock(_: *mut c_void, _: *mut u64) -> bool { false }
/// let (mut key, mut sealer) = (core::ptr::null_mut(), core::ptr::null_mut());
/// unsafe {
///     payseal_signing_key_generate(PAYSEAL_ALG_ED25519, &mut key);
///     payseal_sealer_new_with_sources(key, Some(no_clock), core::ptr::null_mut(), None,
///                                     core::ptr::null_mut(), &mut sealer);
///     let (mut buf, mut len) = ([0u8; 256], 0);
///     let status = payseal_seal(sealer, c"a/b".as_ptr(), core::ptr::null(), 0,
///                               buf.as_mut_ptr(), buf.len(), &mut len);
///     assert_eq!(status, payseal_status::ClockUnavailable);
///     payseal_sealer_free(sealer);
///     payseal_signing_key_free(key);
/// }
/// ```
#[unsafe(no_mangle)]
pub unsafe extern "C" fn payseal_sealer_new_with_sources(
    key: *const payseal_signing_key,
    clock: payseal_clock_fn,
    clock_ctx: *mut c_void,
    sequence: payseal_sequence_fn,
    sequence_ctx: *mut c_void,
    out: *mut *mut payseal_sealer,
) -> payseal_status {
    guard(|| {
        // SAFETY: the caller's contract on `out` and `key`.
        let (out, key) = unsafe { (boundary::out_handle(out)?, boundary::borrow(key)?) };
        let sealer = Sealer::new(
            copy_key(key)?,
            SequenceSourceKind::new(sequence, sequence_ctx),
            ClockSource::new(clock, clock_ctx),
        );
        boundary::publish::<payseal_sealer>(Some(sealer), out);
        Ok(())
    })
}

/// Encrypts payloads on topics matching `filter` to the `recipients_len` public keys in
/// `recipients` (copied); the first matching filter wins, other topics are only signed. The
/// randomness comes from the operating system.
///
/// # Safety
/// `sealer` NULL or a live handle; `filter` NULL or NUL-terminated; `recipients` NULL or valid
/// for reading `recipients_len` pointers, each NULL or a live handle.
///
/// ```
/// use payseal_ffi::*;
/// let (mut key, mut sealer) = (core::ptr::null_mut(), core::ptr::null_mut());
/// unsafe {
///     payseal_signing_key_generate(PAYSEAL_ALG_ED25519, &mut key);
///     payseal_sealer_new(key, &mut sealer);
///     let none: [*const payseal_recipient_public_key; 0] = [];
///     let status = payseal_sealer_encrypt_to(sealer, c"plant/#".as_ptr(), none.as_ptr(), 0);
///     assert_eq!(status, payseal_status::InvalidArgument); // at least one recipient
///     payseal_sealer_free(sealer);
///     payseal_signing_key_free(key);
/// }
/// ```
#[unsafe(no_mangle)]
pub unsafe extern "C" fn payseal_sealer_encrypt_to(
    sealer: *mut payseal_sealer,
    filter: *const c_char,
    recipients: *const *const payseal_recipient_public_key,
    recipients_len: usize,
) -> payseal_status {
    guard(|| {
        // SAFETY: the caller's contract on `sealer`, `filter` and the array.
        let (slot, filter, keys) = unsafe {
            (
                boundary::borrow_mut(sealer)?,
                topic_arg(filter, payseal_status::InvalidTopicFilter)?,
                boundary::pointers(recipients, recipients_len)?,
            )
        };
        let mut list = Vec::with_capacity(keys.len());
        for &key in keys {
            // SAFETY: each entry is NULL or a live handle (the caller's contract).
            let key = unsafe { boundary::borrow(key)? };
            list.push(Recipient::new(key.clone()));
        }
        let audience = Audience::recipients(list).map_err(|e| payseal_status::from(&e))?;
        // Checked first: `with_audience` consumes the sealer and would lose it on error.
        TopicFilter::new(filter).map_err(|e| payseal_status::from(&e))?;
        let current = slot.take().ok_or(payseal_status::InternalError)?;
        match current.with_audience(filter, audience) {
            Ok(updated) => {
                *slot = Some(updated);
                Ok(())
            }
            Err(e) => Err(payseal_status::from(&e)),
        }
    })
}

/// Seals `payload` for publication on `topic` (a NUL-terminated MQTT topic name) into
/// `out` (`out_cap` bytes); `*out_len` gets the envelope's length. When `out_cap` is too
/// small, returns `PAYSEAL_STATUS_BUFFER_TOO_SMALL` with the needed length in `*out_len`
/// (a sequence number was used up, which receivers accept). A signed envelope never needs
/// more than `payload_len + PAYSEAL_SIGNED_OVERHEAD_MAX` bytes.
///
/// # Safety
/// `sealer` NULL or a live handle; `topic` NULL or NUL-terminated; `payload` NULL (with
/// `payload_len` 0) or readable for `payload_len` bytes; `out` NULL (with `out_cap` 0) or
/// writable for `out_cap` bytes, not overlapping `payload`; `out_len` NULL or writable.
///
/// ```
/// use payseal_ffi::*;
/// let (mut key, mut sealer) = (core::ptr::null_mut(), core::ptr::null_mut());
/// unsafe {
///     payseal_signing_key_generate(PAYSEAL_ALG_ED25519, &mut key);
///     payseal_sealer_new(key, &mut sealer);
///     let mut needed = 0;
///     let status = payseal_seal(sealer, c"plant/3/temp".as_ptr(), b"21.5".as_ptr(), 4,
///                               core::ptr::null_mut(), 0, &mut needed);
///     assert_eq!(status, payseal_status::BufferTooSmall);
///     assert!(needed <= 4 + PAYSEAL_SIGNED_OVERHEAD_MAX);
///     let wildcard = payseal_seal(sealer, c"plant/+/temp".as_ptr(), b"21.5".as_ptr(), 4,
///                                 core::ptr::null_mut(), 0, &mut needed);
///     assert_eq!(wildcard, payseal_status::InvalidTopic);
///     payseal_sealer_free(sealer);
///     payseal_signing_key_free(key);
/// }
/// ```
#[unsafe(no_mangle)]
pub unsafe extern "C" fn payseal_seal(
    sealer: *mut payseal_sealer,
    topic: *const c_char,
    payload: *const u8,
    payload_len: usize,
    out: *mut u8,
    out_cap: usize,
    out_len: *mut usize,
) -> payseal_status {
    guard(|| {
        // SAFETY: the caller's contract on every pointer.
        let (sealer, topic, payload, out, out_len) = unsafe {
            (
                boundary::borrow_mut(sealer)?,
                topic_arg(topic, payseal_status::InvalidTopic)?,
                boundary::bytes(payload, payload_len)?,
                boundary::bytes_mut(out, out_cap)?,
                boundary::out_value(out_len)?,
            )
        };
        *out_len = 0;
        let sealer = sealer.as_mut().ok_or(payseal_status::InternalError)?;
        let envelope = sealer
            .seal(topic, payload)
            .map_err(|e| payseal_status::from(&e))?;
        boundary::copy_out(&envelope, out, out_len)
    })
}

/// Frees a sealer and wipes its key. NULL, or a handle of another type, is ignored.
///
/// # Safety
/// `sealer` must be NULL or a live handle, not used afterwards.
///
/// ```
/// unsafe { payseal_ffi::payseal_sealer_free(core::ptr::null_mut()) };
/// ```
#[unsafe(no_mangle)]
pub unsafe extern "C" fn payseal_sealer_free(sealer: *mut payseal_sealer) {
    guard(|| {
        // SAFETY: the caller's contract.
        unsafe { boundary::release(sealer) };
        Ok(())
    });
}
