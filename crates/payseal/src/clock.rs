//! Clocks: where the sealer's timestamp and the opener's notion of "now" come from.

use core::sync::atomic::{AtomicU64, Ordering};

/// A source of the current time as whole seconds since the Unix epoch (UTC).
///
/// Inject your own for tests or for devices whose time comes from elsewhere (GPS, NTP client).
pub trait Clock {
    /// Seconds since 1970-01-01T00:00:00Z, or `None` if the time is not known.
    fn now(&self) -> Option<u64>;
}

/// The operating system's wall clock.
#[cfg(feature = "std")]
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

#[cfg(feature = "std")]
impl Clock for SystemClock {
    fn now(&self) -> Option<u64> {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .ok()
            .map(|d| d.as_secs())
    }
}

/// A clock that reads what it was last set to; for tests and simulations.
///
/// ```
/// use payseal::{Clock, ManualClock};
/// let clock = ManualClock::new(1_700_000_000);
/// clock.advance(60);
/// assert_eq!(clock.now(), Some(1_700_000_060));
/// ```
#[derive(Debug, Default)]
pub struct ManualClock(AtomicU64);

impl ManualClock {
    /// A clock reading `unix_secs`.
    pub const fn new(unix_secs: u64) -> Self {
        ManualClock(AtomicU64::new(unix_secs))
    }

    /// Sets the time.
    pub fn set(&self, unix_secs: u64) {
        self.0.store(unix_secs, Ordering::Relaxed);
    }

    /// Moves the time forward by `secs`.
    pub fn advance(&self, secs: u64) {
        self.0.fetch_add(secs, Ordering::Relaxed);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Option<u64> {
        Some(self.0.load(Ordering::Relaxed))
    }
}

impl<C: Clock + ?Sized> Clock for &C {
    fn now(&self) -> Option<u64> {
        (**self).now()
    }
}

impl<C: Clock + ?Sized> Clock for alloc::sync::Arc<C> {
    fn now(&self) -> Option<u64> {
        (**self).now()
    }
}
