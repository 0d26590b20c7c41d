//! Crossing the C boundary: handles, pointer arguments and the panic guard. Every raw pointer
//! the API receives is turned into a Rust reference here and nowhere else.

use core::ffi::{CStr, c_char};
use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::status::payseal_status;

/// Runs one API call: its `Err` becomes the returned status, and a panic becomes
/// `PAYSEAL_STATUS_INTERNAL_ERROR` instead of unwinding into C.
pub(crate) fn guard(call: impl FnOnce() -> Result<(), payseal_status>) -> payseal_status {
    match catch_unwind(AssertUnwindSafe(call)) {
        Ok(Ok(())) => payseal_status::Ok,
        Ok(Err(status)) => status,
        Err(_) => payseal_status::InternalError,
    }
}

/// A C-visible opaque handle type and what it holds. Each kind has its own tag, written at the
/// start of every allocation, so a handle of one kind passed where another is expected is
/// refused (`PAYSEAL_STATUS_INVALID_HANDLE`) instead of being misread.
pub(crate) trait Opaque {
    /// What the handle holds.
    type Inner;
    /// This kind's tag.
    const TAG: u64;
}

/// The allocation behind every handle: the tag first (so it can be read whatever the kind),
/// then the value.
#[repr(C)]
struct Handle<T> {
    tag: u64,
    inner: T,
}

/// Moves `inner` to the heap and writes the handle to `out`.
pub(crate) fn publish<O: Opaque>(inner: O::Inner, out: &mut *mut O) {
    let handle = Box::new(Handle { tag: O::TAG, inner });
    *out = Box::into_raw(handle).cast::<O>();
}

/// Reads a handle's tag, refusing NULL, misaligned pointers and other kinds.
///
/// # Safety
/// A non-NULL `ptr` must point to a live handle made by [`publish`] (of any kind).
unsafe fn check<O: Opaque>(ptr: *const O) -> Result<*const Handle<O::Inner>, payseal_status> {
    if ptr.is_null() {
        return Err(payseal_status::NullArgument);
    }
    if !(ptr as usize).is_multiple_of(align_of::<u64>()) {
        return Err(payseal_status::InvalidHandle);
    }
    // SAFETY: every handle begins with its u64 tag (`Handle` is repr(C), tag first) and the
    // pointer is aligned and, per this function's contract, points to a live handle.
    let tag = unsafe { ptr.cast::<u64>().read() };
    if tag != O::TAG {
        return Err(payseal_status::InvalidHandle);
    }
    Ok(ptr.cast::<Handle<O::Inner>>())
}

/// The value behind a handle.
///
/// # Safety
/// As [`check`]; the handle must not be used mutably elsewhere for `'a`.
pub(crate) unsafe fn borrow<'a, O: Opaque>(ptr: *const O) -> Result<&'a O::Inner, payseal_status> {
    // SAFETY: forwarded contract.
    let handle = unsafe { check(ptr)? };
    // SAFETY: `check` confirmed the tag of this kind, so the allocation is a
    // `Handle<O::Inner>` made by `publish` and still live.
    Ok(unsafe { &(*handle).inner })
}

/// The value behind a handle, mutably.
///
/// # Safety
/// As [`check`]; no other reference to the handle may be used for `'a` (the C API documents
/// that a handle is not used from two threads at once).
pub(crate) unsafe fn borrow_mut<'a, O: Opaque>(
    ptr: *mut O,
) -> Result<&'a mut O::Inner, payseal_status> {
    // SAFETY: forwarded contract.
    let handle = unsafe { check(ptr)? }.cast_mut();
    // SAFETY: as in `borrow`; exclusivity is the caller's promise.
    Ok(unsafe { &mut (*handle).inner })
}

/// Frees a handle; NULL and handles of another kind are ignored (a leak is better than
/// freeing memory as the wrong type). The tag is cleared first so that a second free of the
/// same pointer is more likely to be refused than misread (it is still a caller bug).
///
/// # Safety
/// As [`check`].
pub(crate) unsafe fn release<O: Opaque>(ptr: *mut O) {
    // SAFETY: forwarded contract.
    let Ok(handle) = (unsafe { check(ptr) }) else {
        return;
    };
    let handle = handle.cast_mut();
    // SAFETY: `check` proved this is a live `Handle<O::Inner>` from `Box::into_raw` in
    // `publish`; ownership returns to the Box, which drops (and zeroizes) the value.
    unsafe {
        (*handle).tag = 0;
        drop(Box::from_raw(handle));
    }
}

/// A writable out-pointer for a new handle, cleared to NULL so that C sees NULL on failure.
///
/// # Safety
/// A non-NULL `out` must be valid for writing one pointer.
pub(crate) unsafe fn out_handle<'a, O>(out: *mut *mut O) -> Result<&'a mut *mut O, payseal_status> {
    // SAFETY: non-NULL `out` is writable per the contract; NULL gives None.
    let out = unsafe { out.as_mut() }.ok_or(payseal_status::NullArgument)?;
    *out = core::ptr::null_mut();
    Ok(out)
}

/// A writable out-pointer for a plain value.
///
/// # Safety
/// A non-NULL `out` must be valid for writing a `T` and not aliased.
pub(crate) unsafe fn out_value<'a, T>(out: *mut T) -> Result<&'a mut T, payseal_status> {
    // SAFETY: the contract above.
    unsafe { out.as_mut() }.ok_or(payseal_status::NullArgument)
}

/// An input byte buffer; NULL is allowed when `len` is 0.
///
/// # Safety
/// A non-NULL `ptr` must be valid for reading `len` bytes, unchanged for `'a`.
pub(crate) unsafe fn bytes<'a>(ptr: *const u8, len: usize) -> Result<&'a [u8], payseal_status> {
    if ptr.is_null() {
        return if len == 0 {
            Ok(&[])
        } else {
            Err(payseal_status::NullArgument)
        };
    }
    if isize::try_from(len).is_err() {
        return Err(payseal_status::InvalidArgument);
    }
    // SAFETY: non-NULL, at most isize::MAX bytes, readable per the contract.
    Ok(unsafe { core::slice::from_raw_parts(ptr, len) })
}

/// An output byte buffer; NULL is allowed when `cap` is 0 (to ask for the size).
///
/// # Safety
/// A non-NULL `ptr` must be valid for writing `cap` bytes and not aliased for `'a`.
pub(crate) unsafe fn bytes_mut<'a>(
    ptr: *mut u8,
    cap: usize,
) -> Result<&'a mut [u8], payseal_status> {
    if ptr.is_null() {
        return if cap == 0 {
            Ok(&mut [])
        } else {
            Err(payseal_status::NullArgument)
        };
    }
    if isize::try_from(cap).is_err() {
        return Err(payseal_status::InvalidArgument);
    }
    // SAFETY: non-NULL, at most isize::MAX bytes, writable and unaliased per the contract.
    Ok(unsafe { core::slice::from_raw_parts_mut(ptr, cap) })
}

/// A NUL-terminated C string argument.
///
/// # Safety
/// A non-NULL `ptr` must point to a NUL-terminated string, unchanged for `'a`.
pub(crate) unsafe fn c_str<'a>(ptr: *const c_char) -> Result<&'a CStr, payseal_status> {
    if ptr.is_null() {
        return Err(payseal_status::NullArgument);
    }
    // SAFETY: non-NULL and NUL-terminated per the contract.
    Ok(unsafe { CStr::from_ptr(ptr) })
}

/// Copies `data` into `out`, or reports the size needed: writes `data.len()` to `out_len`
/// either way.
pub(crate) fn copy_out(
    data: &[u8],
    out: &mut [u8],
    out_len: &mut usize,
) -> Result<(), payseal_status> {
    *out_len = data.len();
    let dest = out
        .get_mut(..data.len())
        .ok_or(payseal_status::BufferTooSmall)?;
    dest.copy_from_slice(data);
    Ok(())
}

/// An array of pointers from C; NULL allowed when `len` is 0.
///
/// # Safety
/// A non-NULL `ptr` must be valid for reading `len` pointers.
pub(crate) unsafe fn pointers<'a, T>(
    ptr: *const *const T,
    len: usize,
) -> Result<&'a [*const T], payseal_status> {
    if ptr.is_null() {
        return if len == 0 {
            Ok(&[])
        } else {
            Err(payseal_status::NullArgument)
        };
    }
    if len
        .checked_mul(size_of::<*const T>())
        .is_none_or(|n| isize::try_from(n).is_err())
    {
        return Err(payseal_status::InvalidArgument);
    }
    // SAFETY: non-NULL, size checked, readable per the contract.
    Ok(unsafe { core::slice::from_raw_parts(ptr, len) })
}
