//! Opening on a receiver: an envelope in, the verified payload out, into the caller's buffer.

use core::ffi::{c_char, c_void};

use payseal::{MemoryReplayStore, Opener, Policy, Rejection, UnverifiedEnvelope};

use crate::boundary::{self, Opaque, guard};
use crate::keys::PAYSEAL_KID_MAX_LEN;
use crate::sources::{ClockSource, payseal_clock_fn};
use crate::status::payseal_status;
use crate::trust::payseal_trust_store;

/// Verifies envelopes and remembers which sequence numbers it accepted. Not for use from two
/// threads at once.
#[allow(non_camel_case_types)]
pub struct payseal_opener {
    _private: [u8; 0],
}

impl Opaque for payseal_opener {
    type Inner = Opener<MemoryReplayStore, ClockSource>;
    const TAG: u64 = 0x7073_6f70_656e_6572; // "psopener"
}

/// What an opened envelope said about itself (all of it verified).
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct payseal_message_info {
    /// The sender's sequence number.
    pub seq: u64,
    /// When it was sealed, in seconds since the Unix epoch.
    pub timestamp: u64,
    /// The sender's key id (the first `kid_len` bytes).
    pub kid: [u8; PAYSEAL_KID_MAX_LEN],
    /// How many bytes of `kid` are used.
    pub kid_len: usize,
    /// 0 a live message, 1 retained state, 2 a Last Will (spec §3.7).
    pub kind: u32,
    /// Whether the payload was encrypted.
    pub encrypted: bool,
}

/// An opener that accepts what `trust` (copied) allows, with the default policy except a
/// maximum age of `max_age_secs` (0: the default, 300 s), and "now" from `clock` (NULL: the
/// system clock), called with `clock_ctx`.
///
/// # Safety
/// `trust` NULL or a live handle; `out` NULL or writable; a non-NULL `clock` must be safe to
/// call with `clock_ctx` until the opener is freed.
///
/// ```
/// use payseal_ffi::*;
/// let (mut trust, mut opener) = (core::ptr::null_mut(), core::ptr::null_mut());
/// unsafe {
///     payseal_trust_store_new(&mut trust);
///     assert_eq!(payseal_opener_new(trust, 0, None, core::ptr::null_mut(), &mut opener), payseal_status::Ok);
///     let (mut buf, mut len) = ([0u8; 16], 0);
///     let status = payseal_open(opener, c"a/b".as_ptr(), b"hello".as_ptr(), 5,
///                               buf.as_mut_ptr(), buf.len(), &mut len, core::ptr::null_mut());
///     assert_eq!(status, payseal_status::NotAnEnvelope);
///     payseal_opener_free(opener);
///     payseal_trust_store_free(trust);
/// }
/// ```
#[unsafe(no_mangle)]
pub unsafe extern "C" fn payseal_opener_new(
    trust: *const payseal_trust_store,
    max_age_secs: u64,
    clock: payseal_clock_fn,
    clock_ctx: *mut c_void,
    out: *mut *mut payseal_opener,
) -> payseal_status {
    guard(|| {
        // SAFETY: the caller's contract on `out` and `trust`.
        let (out, trust) = unsafe { (boundary::out_handle(out)?, boundary::borrow(trust)?) };
        let policy = match max_age_secs {
            0 => Policy::default(),
            secs => Policy::default()
                .with_max_age(secs)
                .map_err(|e| payseal_status::from(&e))?,
        };
        let opener = Opener::new(
            trust.senders.clone(),
            policy,
            ClockSource::new(clock, clock_ctx),
        )
        .with_keyring(trust.keyring.clone());
        boundary::publish::<payseal_opener>(opener, out);
        Ok(())
    })
}

/// Opens `envelope` as received on `topic` (the NUL-terminated topic name the broker
/// delivered it on): on `PAYSEAL_STATUS_OK` the verified payload is in `out` and its length
/// in `*out_len`, and `*info` (if not NULL) describes it. Any other status is the reason
/// (a spec reason code) or an API error; nothing is written to `out` then.
///
/// A payload is never longer than its envelope, so `out_cap >= envelope_len` always
/// suffices. With a smaller buffer too small for this envelope's payload, the call returns
/// `PAYSEAL_STATUS_BUFFER_TOO_SMALL` with the needed size in `*out_len` **before** any
/// check, so the same envelope can be opened again with a larger buffer.
///
/// # Safety
/// `opener` NULL or a live handle; `topic` NULL or NUL-terminated; `envelope` NULL (with
/// `envelope_len` 0) or readable for `envelope_len` bytes; `out` NULL (with `out_cap` 0) or
/// writable for `out_cap` bytes, not overlapping `envelope`; `out_len` NULL or writable;
/// `info` NULL or writable.
///
/// ```
/// use payseal_ffi::*;
/// let mut len = 0;
/// let status = unsafe {
///     payseal_open(core::ptr::null_mut(), c"a/b".as_ptr(), core::ptr::null(), 0,
///                  core::ptr::null_mut(), 0, &mut len, core::ptr::null_mut())
/// };
/// assert_eq!(status, payseal_status::NullArgument);
/// ```
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)] // the C signature: pointer and length pairs
pub unsafe extern "C" fn payseal_open(
    opener: *mut payseal_opener,
    topic: *const c_char,
    envelope: *const u8,
    envelope_len: usize,
    out: *mut u8,
    out_cap: usize,
    out_len: *mut usize,
    info: *mut payseal_message_info,
) -> payseal_status {
    guard(|| {
        // SAFETY: the caller's contract on every pointer.
        let (opener, topic, envelope, out, out_len) = unsafe {
            (
                boundary::borrow_mut(opener)?,
                boundary::c_str(topic)?,
                boundary::bytes(envelope, envelope_len)?,
                boundary::bytes_mut(out, out_cap)?,
                boundary::out_value(out_len)?,
            )
        };
        *out_len = 0;
        // A topic that is not UTF-8 is not a topic name: the spec's invalid_topic.
        let topic = topic
            .to_str()
            .map_err(|_| payseal_status::from(&Rejection::InvalidTopic))?;
        if out.len() < envelope.len() {
            // The payload field bounds the (decrypted) payload; asking before opening keeps
            // the replay window untouched. Undecodable envelopes go on to be refused by `open`.
            if let Ok(parsed) = UnverifiedEnvelope::decode(envelope, opener.policy().limits()) {
                let needed = parsed.unverified_payload().len();
                if needed > out.len() {
                    *out_len = needed;
                    return Err(payseal_status::BufferTooSmall);
                }
            }
        }
        let verified = opener
            .open(topic, envelope)
            .map_err(|e| payseal_status::from(&e))?;
        boundary::copy_out(verified.payload(), out, out_len)?;
        // SAFETY: the caller's contract on `info`.
        if let Some(info) = unsafe { info.as_mut() } {
            let mut kid = [0u8; PAYSEAL_KID_MAX_LEN];
            let sender = verified.sender().as_bytes();
            if let Some(dest) = kid.get_mut(..sender.len()) {
                dest.copy_from_slice(sender);
            }
            *info = payseal_message_info {
                seq: verified.seq(),
                timestamp: verified.timestamp(),
                kid,
                kid_len: sender.len(),
                kind: verified
                    .kind()
                    .value()
                    .and_then(|v| u32::try_from(v).ok())
                    .unwrap_or(0),
                encrypted: verified.encryption().is_some(),
            };
        }
        Ok(())
    })
}

/// Frees an opener (and its replay memory). NULL, or a handle of another type, is ignored.
///
/// # Safety
/// `opener` must be NULL or a live handle, not used afterwards.
///
/// ```
/// unsafe { payseal_ffi::payseal_opener_free(core::ptr::null_mut()) };
/// ```
#[unsafe(no_mangle)]
pub unsafe extern "C" fn payseal_opener_free(opener: *mut payseal_opener) {
    guard(|| {
        // SAFETY: the caller's contract.
        unsafe { boundary::release(opener) };
        Ok(())
    });
}
