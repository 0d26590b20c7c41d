//! Replay protection: a sliding window of accepted sequence numbers per sender (spec §5.3).

use alloc::collections::BTreeMap;
use alloc::vec;
use alloc::vec::Vec;

use crate::error::Rejection;
use crate::keys::Kid;

/// Remembers which sequence numbers of one sender were accepted.
///
/// It tracks the highest number accepted (`top`) and a bitmap of the `width` numbers ending at
/// `top`. A number above `top` is new (the window slides up); one inside the window is new
/// unless its bit is set; one below the window cannot be judged and is rejected. State is
/// `width / 8 + 16` bytes per sender.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReplayWindow {
    top: Option<u64>,
    /// Bit `i` of the bitmap stands for `top - i`.
    bits: Vec<u64>,
}

impl ReplayWindow {
    /// An empty window tracking `width` numbers, rounded up to a multiple of 64 (at least 64).
    pub fn new(width: usize) -> Self {
        let words = width.div_ceil(64).max(1);
        ReplayWindow {
            top: None,
            bits: vec![0; words],
        }
    }

    /// How many sequence numbers the window tracks.
    pub fn width(&self) -> u64 {
        self.bits.len() as u64 * 64
    }

    /// The highest sequence number accepted so far.
    pub fn top(&self) -> Option<u64> {
        self.top
    }

    /// Checks `seq` without recording it.
    ///
    /// # Errors
    /// [`Rejection::Replayed`] or [`Rejection::BelowWindow`].
    pub fn check(&self, seq: u64) -> Result<(), Rejection> {
        let Some(top) = self.top else { return Ok(()) };
        if seq > top {
            return Ok(());
        }
        let back = top - seq;
        if back >= self.width() {
            return Err(Rejection::BelowWindow {
                seq,
                lowest: top - (self.width() - 1),
            });
        }
        if self.bit(back) {
            return Err(Rejection::Replayed { seq });
        }
        Ok(())
    }

    /// Checks `seq` and, if it is new, records it.
    ///
    /// # Errors
    /// [`Rejection::Replayed`] or [`Rejection::BelowWindow`]; the window is then unchanged.
    ///
    /// ```
    /// use payseal::{ReplayWindow, Rejection};
    /// let mut window = ReplayWindow::new(64);
    /// window.accept(100)?;
    /// window.accept(98)?; // late, but not seen before
    /// assert_eq!(window.accept(98), Err(Rejection::Replayed { seq: 98 }));
    /// assert!(matches!(window.accept(20), Err(Rejection::BelowWindow { .. })));
    /// # Ok::<(), Rejection>(())
    /// ```
    pub fn accept(&mut self, seq: u64) -> Result<(), Rejection> {
        self.check(seq)?;
        match self.top {
            Some(top) if seq <= top => self.set_bit(top - seq),
            Some(top) => {
                self.shift(seq - top);
                self.top = Some(seq);
                self.set_bit(0);
            }
            None => {
                self.top = Some(seq);
                self.set_bit(0);
            }
        }
        Ok(())
    }

    fn bit(&self, back: u64) -> bool {
        let (word, bit) = split(back);
        self.bits.get(word).is_some_and(|w| w & (1 << bit) != 0)
    }

    fn set_bit(&mut self, back: u64) {
        let (word, bit) = split(back);
        if let Some(w) = self.bits.get_mut(word) {
            *w |= 1 << bit;
        }
    }

    /// Moves every bit `by` places towards "older", dropping those that fall off the end.
    fn shift(&mut self, by: u64) {
        if by >= self.width() {
            self.bits.fill(0);
            return;
        }
        let (words, bits) = split(by);
        let len = self.bits.len();
        for i in (0..len).rev() {
            let from = i.checked_sub(words);
            let high = from.and_then(|f| self.bits.get(f)).copied().unwrap_or(0);
            let low = from
                .and_then(|f| f.checked_sub(1))
                .and_then(|f| self.bits.get(f))
                .copied()
                .unwrap_or(0);
            let shifted = if bits == 0 {
                high
            } else {
                (high << bits) | (low >> (64 - bits))
            };
            if let Some(w) = self.bits.get_mut(i) {
                *w = shifted;
            }
        }
    }
}

/// Word index and bit index of a distance below `top`.
fn split(back: u64) -> (usize, u32) {
    // `back` is below the window width, which is a `usize` multiple of 64.
    (
        usize::try_from(back / 64).unwrap_or(usize::MAX),
        (back % 64) as u32,
    )
}

/// Where an [`Opener`](crate::Opener) keeps its replay windows.
///
/// `check_and_record` must be atomic per sender: a number is accepted at most once even if
/// several openers share the store. The in-memory store ships here; durable and shared stores
/// implement the same trait.
pub trait ReplayStore {
    /// Accepts `seq` from `sender` if it is new, and records it.
    ///
    /// # Errors
    /// [`Rejection::Replayed`] or [`Rejection::BelowWindow`]; nothing is recorded then.
    fn check_and_record(&mut self, sender: &Kid, seq: u64) -> Result<(), Rejection>;

    /// Like [`check_and_record`](Self::check_and_record), saying how long the number must be
    /// remembered at least: until the envelope would be refused as stale anyway (its `iat`
    /// plus the freshness limit it was judged with, which is longer for retained state and
    /// wills). A store that forgets idle windows (a shared store with an expiry) must keep
    /// this window at least that long; stores that never forget ignore it (the default).
    ///
    /// # Errors
    /// As [`check_and_record`](Self::check_and_record).
    fn check_and_record_for(
        &mut self,
        sender: &Kid,
        seq: u64,
        remember_for: core::time::Duration,
    ) -> Result<(), Rejection> {
        let _ = remember_for;
        self.check_and_record(sender, seq)
    }

    /// Checks and records several numbers, `(window, seq, remember_for)`, in order: the
    /// results are what [`check_and_record_for`](Self::check_and_record_for) would give one
    /// by one, so a number that appears twice is `Replayed` the second time. A store that can
    /// write many records at once (a group commit, a pipeline) overrides this; the default
    /// asks one by one.
    ///
    /// A store that cannot record returns [`Rejection::StoreUnavailable`] for every number
    /// it would otherwise have accepted, and for every number it could only judge `Replayed`
    /// against one of those (so that the batch's results stay those of a store that was down
    /// for each call in turn); a number is never accepted unrecorded.
    ///
    /// ```
    /// use core::time::Duration;
    /// use payseal::{Kid, MemoryReplayStore, Rejection, ReplayStore};
    /// let mut store = MemoryReplayStore::new(64);
    /// let kid = Kid::new(b"sensor-1".to_vec())?;
    /// let day = Duration::from_secs(86_400);
    /// let results = store.check_and_record_batch_for(&[(&kid, 7, day), (&kid, 7, day)]);
    /// assert_eq!(results, [Ok(()), Err(Rejection::Replayed { seq: 7 })]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn check_and_record_batch_for(
        &mut self,
        items: &[(&Kid, u64, core::time::Duration)],
    ) -> Vec<Result<(), Rejection>> {
        items
            .iter()
            .map(|(sender, seq, remember_for)| {
                self.check_and_record_for(sender, *seq, *remember_for)
            })
            .collect()
    }
}

/// Replay windows kept in memory, one per sender that has passed signature verification (so an
/// attacker cannot make it grow: its size is bounded by the trust store).
#[derive(Clone, Debug)]
pub struct MemoryReplayStore {
    width: usize,
    windows: BTreeMap<Kid, ReplayWindow>,
}

impl MemoryReplayStore {
    /// A store whose windows track `width` numbers each (see [`ReplayWindow::new`]).
    pub fn new(width: usize) -> Self {
        MemoryReplayStore {
            width,
            windows: BTreeMap::new(),
        }
    }

    /// The window of one sender, if it has sent anything yet.
    pub fn window(&self, sender: &Kid) -> Option<&ReplayWindow> {
        self.windows.get(sender)
    }
}

impl Default for MemoryReplayStore {
    fn default() -> Self {
        MemoryReplayStore::new(crate::Policy::DEFAULT_WINDOW)
    }
}

impl ReplayStore for MemoryReplayStore {
    fn check_and_record(&mut self, sender: &Kid, seq: u64) -> Result<(), Rejection> {
        if let Some(window) = self.windows.get_mut(sender) {
            return window.accept(seq);
        }
        let mut window = ReplayWindow::new(self.width);
        window.accept(seq)?;
        self.windows.insert(sender.clone(), window);
        Ok(())
    }
}

impl<S: ReplayStore + ?Sized> ReplayStore for &mut S {
    fn check_and_record(&mut self, sender: &Kid, seq: u64) -> Result<(), Rejection> {
        (**self).check_and_record(sender, seq)
    }

    fn check_and_record_for(
        &mut self,
        sender: &Kid,
        seq: u64,
        remember_for: core::time::Duration,
    ) -> Result<(), Rejection> {
        (**self).check_and_record_for(sender, seq, remember_for)
    }

    fn check_and_record_batch_for(
        &mut self,
        items: &[(&Kid, u64, core::time::Duration)],
    ) -> Vec<Result<(), Rejection>> {
        (**self).check_and_record_batch_for(items)
    }
}

#[cfg(test)]
mod tests;
