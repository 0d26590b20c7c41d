//! Sequence sources: the per-sender counter that makes every envelope unique.

use crate::error::SequenceError;

/// Hands out strictly increasing sequence numbers, never the same one twice.
///
/// Receivers reject a number they have seen, so a sender must not reuse a number after a
/// restart: persist the counter (a durable store comes with payseal's store crate) or start
/// from the clock with [`Counter::from_unix_micros`].
pub trait SequenceSource {
    /// The next unused sequence number.
    ///
    /// # Errors
    /// [`SequenceError`] when no number can be handed out; the envelope is then not sealed.
    fn next_seq(&mut self) -> Result<u64, SequenceError>;
}

/// An in-memory counter.
#[derive(Clone, Debug)]
pub struct Counter {
    next: Option<u64>,
}

impl Counter {
    /// A counter whose first number is `first`.
    ///
    /// ```
    /// use payseal::{Counter, SequenceSource};
    /// let mut seq = Counter::starting_at(41);
    /// assert_eq!(seq.next_seq(), Ok(41));
    /// assert_eq!(seq.next_seq(), Ok(42));
    /// ```
    pub const fn starting_at(first: u64) -> Self {
        Counter { next: Some(first) }
    }

    /// A counter starting at the current time in microseconds since the Unix epoch.
    ///
    /// Without any stored state, a restarted sender then continues above every number it used
    /// before, provided its clock did not go back and it sent fewer than a million envelopes
    /// per second on average. Costs about 7 bytes per envelope instead of 1 to 3.
    #[cfg(feature = "std")]
    pub fn from_unix_micros() -> Self {
        let micros = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
            .unwrap_or(0);
        Counter::starting_at(micros)
    }
}

impl SequenceSource for Counter {
    fn next_seq(&mut self) -> Result<u64, SequenceError> {
        let seq = self.next.ok_or(SequenceError::Exhausted)?;
        self.next = seq.checked_add(1);
        Ok(seq)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counter_is_exhausted_after_u64_max_and_never_wraps() {
        let mut seq = Counter::starting_at(u64::MAX);
        assert_eq!(seq.next_seq(), Ok(u64::MAX));
        assert_eq!(seq.next_seq(), Err(SequenceError::Exhausted));
        assert_eq!(seq.next_seq(), Err(SequenceError::Exhausted));
    }
}
