//! When a key may be used: a `not_before` / `not_after` window on the receiver's clock
//! (spec/key-management.md §3), for sender keys in a trust store and for recipient keys.

use crate::error::Rejection;

/// A key's validity window, in seconds since the Unix epoch, both ends inclusive; an absent
/// end is open. A rollover gives the old key a `not_after` and the new one a `not_before`
/// a little earlier: during that overlap receivers accept both.
///
/// ```
/// use payseal::{KeyValidity, Rejection};
/// let old = KeyValidity::always().until(1_700_000_600);
/// assert_eq!(old.check(Some(1_700_000_600)), Ok(()));
/// assert_eq!(old.check(Some(1_700_000_601)), Err(Rejection::KeyExpired));
/// let new = KeyValidity::always().from(1_700_000_000);
/// assert_eq!(new.check(Some(1_699_999_999)), Err(Rejection::KeyNotYetValid));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KeyValidity {
    not_before: Option<u64>,
    not_after: Option<u64>,
}

impl KeyValidity {
    /// No bounds: valid at any time, even when the time is unknown.
    pub const fn always() -> Self {
        KeyValidity {
            not_before: None,
            not_after: None,
        }
    }

    /// The same window, starting at `not_before`.
    pub const fn from(mut self, not_before: u64) -> Self {
        self.not_before = Some(not_before);
        self
    }

    /// The same window, ending at `not_after` (still valid at that second).
    pub const fn until(mut self, not_after: u64) -> Self {
        self.not_after = Some(not_after);
        self
    }

    /// The first second the key is valid, if bounded.
    pub const fn not_before(&self) -> Option<u64> {
        self.not_before
    }

    /// The last second the key is valid, if bounded.
    pub const fn not_after(&self) -> Option<u64> {
        self.not_after
    }

    /// Whether the window is unbounded.
    pub const fn is_always(&self) -> bool {
        self.not_before.is_none() && self.not_after.is_none()
    }

    /// Whether the key may be used at `now`.
    ///
    /// # Errors
    /// [`Rejection::KeyNotYetValid`] before `not_before`, [`Rejection::KeyExpired`] after
    /// `not_after`, and [`Rejection::KeyExpired`] for a bounded key when the time is unknown
    /// (fail closed, as for certificates).
    pub fn check(&self, now: Option<u64>) -> Result<(), Rejection> {
        if self.is_always() {
            return Ok(());
        }
        let now = now.ok_or(Rejection::KeyExpired)?;
        if self.not_before.is_some_and(|nb| now < nb) {
            return Err(Rejection::KeyNotYetValid);
        }
        if self.not_after.is_some_and(|na| now > na) {
            return Err(Rejection::KeyExpired);
        }
        Ok(())
    }

    /// Whether the key may be used at `now` (a sender choosing a recipient key).
    pub fn contains(&self, now: Option<u64>) -> bool {
        self.check(now).is_ok()
    }
}
