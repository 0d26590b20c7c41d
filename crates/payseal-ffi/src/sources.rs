//! Where a sealer's time and sequence numbers, and an opener's time, come from: the operating
//! system by default, or C callbacks on devices without an OS clock or with a persisted
//! counter.

use core::ffi::c_void;

use payseal::{Clock, Counter, SequenceError, SequenceSource, SystemClock};

/// Writes the current time, in whole seconds since the Unix epoch (UTC), to `*out_unix_secs`
/// and returns true; returns false when the time is not known (sealing then fails with
/// `PAYSEAL_STATUS_CLOCK_UNAVAILABLE`; opening refuses by the spec's freshness rules).
/// `ctx` is the pointer given along with the callback.
#[allow(non_camel_case_types)]
pub type payseal_clock_fn =
    Option<unsafe extern "C" fn(ctx: *mut c_void, out_unix_secs: *mut u64) -> bool>;

/// Writes the next unused sequence number to `*out_seq` and returns true, or returns false
/// when none can be handed out (`PAYSEAL_STATUS_SEQUENCE_UNAVAILABLE`). Numbers must strictly
/// increase and never repeat, across restarts too: persist them (e.g. reserve blocks in flash).
#[allow(non_camel_case_types)]
pub type payseal_sequence_fn =
    Option<unsafe extern "C" fn(ctx: *mut c_void, out_seq: *mut u64) -> bool>;

/// A clock: the OS's, or a C callback.
pub(crate) enum ClockSource {
    System,
    Callback {
        call: unsafe extern "C" fn(*mut c_void, *mut u64) -> bool,
        ctx: *mut c_void,
    },
}

impl ClockSource {
    pub(crate) fn new(call: payseal_clock_fn, ctx: *mut c_void) -> Self {
        match call {
            Some(call) => ClockSource::Callback { call, ctx },
            None => ClockSource::System,
        }
    }
}

impl Clock for ClockSource {
    fn now(&self) -> Option<u64> {
        match self {
            ClockSource::System => SystemClock.now(),
            ClockSource::Callback { call, ctx } => {
                let mut secs = 0u64;
                // SAFETY: the caller of `payseal_sealer_new_with_sources`/`payseal_opener_new`
                // promised that `call` may be called with `ctx` for the handle's lifetime;
                // `secs` is a valid, writable u64.
                let known = unsafe { call(*ctx, &mut secs) };
                known.then_some(secs)
            }
        }
    }
}

/// A sequence source: an in-memory counter, or a C callback.
pub(crate) enum SequenceSourceKind {
    Counter(Counter),
    Callback {
        call: unsafe extern "C" fn(*mut c_void, *mut u64) -> bool,
        ctx: *mut c_void,
    },
}

impl SequenceSourceKind {
    /// The callback, or a counter starting at the current time in microseconds (so a
    /// restarted device continues above the numbers it used before).
    pub(crate) fn new(call: payseal_sequence_fn, ctx: *mut c_void) -> Self {
        match call {
            Some(call) => SequenceSourceKind::Callback { call, ctx },
            None => SequenceSourceKind::Counter(Counter::from_unix_micros()),
        }
    }
}

impl SequenceSource for SequenceSourceKind {
    fn next_seq(&mut self) -> Result<u64, SequenceError> {
        match self {
            SequenceSourceKind::Counter(counter) => counter.next_seq(),
            SequenceSourceKind::Callback { call, ctx } => {
                let mut seq = 0u64;
                // SAFETY: as for the clock callback: valid with `ctx` for the sealer's
                // lifetime, and `seq` is a valid, writable u64.
                let ok = unsafe { call(*ctx, &mut seq) };
                if ok {
                    Ok(seq)
                } else {
                    Err(SequenceError::StoreUnavailable)
                }
            }
        }
    }
}
