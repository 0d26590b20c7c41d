//! A replay window with a persisted byte form (spec/replay-stores.md §3.1).
//!
//! Same decisions as the core's [`payseal::ReplayWindow`] (spec/envelope.md §5.3; a property
//! test below checks it against the core), but laid out as a ring so that its bytes can be
//! stored and updated in place, by this crate and by the Redis script alike: `top` as 8
//! bytes big-endian, then `W / 8` bytes in which bit `s mod W` (byte `(s mod W) / 8`, bit
//! `(s mod W) % 8`, least significant first) is set when `s` in `top - W + 1 ..= top` was
//! accepted. A window only exists once its sender's first number was accepted.

use payseal::Rejection;

/// The narrowest window, as in the core.
pub(crate) const MIN_WIDTH: u64 = 64;
/// The widest window, as in the core (and exact in the Redis script's arithmetic).
pub(crate) const MAX_WIDTH: u64 = 65_536;

/// `width` rounded up to whole 64-bit words, as [`payseal::ReplayWindow::new`] does, and
/// checked against the limits.
pub(crate) fn round_width(width: usize) -> Option<u64> {
    let words = u64::try_from(width.div_ceil(64).max(1)).ok()?;
    let width = words * 64;
    (MIN_WIDTH..=MAX_WIDTH).contains(&width).then_some(width)
}

/// Bytes of one window in its persisted form.
pub(crate) fn encoded_len(width: u64) -> usize {
    8 + usize::try_from(width / 8).unwrap_or(usize::MAX)
}

/// One sender's window.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Window {
    top: u64,
    /// The ring: bit `s % width` of the words, least significant bit first.
    bits: Vec<u64>,
}

impl Window {
    /// The window right after accepting `seq` as the sender's first number.
    pub(crate) fn first(width: u64, seq: u64) -> Self {
        let words = usize::try_from(width / 64).unwrap_or(1).max(1);
        let mut window = Window {
            top: seq,
            bits: vec![0; words],
        };
        window.set(seq);
        window
    }

    /// The highest number accepted.
    pub(crate) fn top(&self) -> u64 {
        self.top
    }

    fn width(&self) -> u64 {
        self.bits.len() as u64 * 64
    }

    /// Judges `seq` without recording it.
    pub(crate) fn check(&self, seq: u64) -> Result<(), Rejection> {
        if seq > self.top {
            return Ok(());
        }
        let back = self.top - seq;
        if back >= self.width() {
            return Err(Rejection::BelowWindow {
                seq,
                lowest: self.top - (self.width() - 1),
            });
        }
        if self.get(seq) {
            return Err(Rejection::Replayed { seq });
        }
        Ok(())
    }

    /// Judges `seq` and records it if it is new.
    pub(crate) fn accept(&mut self, seq: u64) -> Result<(), Rejection> {
        self.check(seq)?;
        if seq > self.top {
            let jump = seq - self.top;
            if jump >= self.width() {
                self.bits.fill(0);
            } else {
                // The positions of `top + 1 ..= seq` held numbers that now fall out.
                let mut s = self.top;
                for _ in 0..jump {
                    s += 1;
                    self.clear(s);
                }
            }
            self.top = seq;
        }
        self.set(seq);
        Ok(())
    }

    fn index(&self, seq: u64) -> (usize, u32) {
        let i = seq % self.width();
        (
            usize::try_from(i / 64).unwrap_or(usize::MAX),
            (i % 64) as u32,
        )
    }

    fn get(&self, seq: u64) -> bool {
        let (word, bit) = self.index(seq);
        self.bits.get(word).is_some_and(|w| w & (1 << bit) != 0)
    }

    fn set(&mut self, seq: u64) {
        let (word, bit) = self.index(seq);
        if let Some(w) = self.bits.get_mut(word) {
            *w |= 1 << bit;
        }
    }

    fn clear(&mut self, seq: u64) {
        let (word, bit) = self.index(seq);
        if let Some(w) = self.bits.get_mut(word) {
            *w &= !(1 << bit);
        }
    }

    /// Appends the persisted form (`encoded_len(width)` bytes).
    pub(crate) fn encode_into(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.top.to_be_bytes());
        for word in &self.bits {
            out.extend_from_slice(&word.to_le_bytes());
        }
    }

    /// Reads the persisted form of a window of `width`.
    pub(crate) fn decode(width: u64, bytes: &[u8]) -> Option<Self> {
        if bytes.len() != encoded_len(width) {
            return None;
        }
        let (top, ring) = bytes.split_at_checked(8)?;
        let top = u64::from_be_bytes(top.try_into().ok()?);
        let bits = ring
            .chunks_exact(8)
            .map(|c| c.try_into().map(u64::from_le_bytes))
            .collect::<Result<Vec<u64>, _>>()
            .ok()?;
        Some(Window { top, bits })
    }
}

#[cfg(test)]
mod tests {
    use payseal::ReplayWindow;
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #[test]
        fn decides_exactly_as_the_core_window_and_survives_a_round_trip(
            width_words in 1u64..4,
            high in any::<bool>(),
            steps in proptest::collection::vec((0u64..400, any::<bool>(), any::<bool>()), 1..300),
        ) {
            let width = width_words * 64;
            let mut core = ReplayWindow::new(usize::try_from(width).unwrap());
            let mut ours: Option<Window> = None;
            // Small numbers, or near u64::MAX (300 steps of at most 400 never overflow).
            let mut base = if high { u64::MAX - 200_000 } else { 1_000 };
            for (delta, jump, reload) in steps {
                if jump { base += delta; }
                let seq = base.saturating_sub(delta / 2);
                let expected = core.accept(seq);
                let got = match ours.as_mut() {
                    None => { ours = Some(Window::first(width, seq)); Ok(()) }
                    Some(w) => w.accept(seq),
                };
                prop_assert_eq!(got, expected, "seq {}", seq);
                if reload && let Some(w) = ours.as_ref() {
                    let mut bytes = Vec::new();
                    w.encode_into(&mut bytes);
                    prop_assert_eq!(bytes.len(), encoded_len(width));
                    ours = Some(Window::decode(width, &bytes).unwrap());
                }
            }
        }
    }

    #[test]
    fn widths_round_like_the_core_and_stay_in_range() {
        assert_eq!(round_width(0), Some(64));
        assert_eq!(round_width(65), Some(128));
        assert_eq!(round_width(65_536), Some(65_536));
        assert_eq!(round_width(65_537), None);
        assert_eq!(encoded_len(128), 24);
    }

    #[test]
    fn a_jump_wider_than_the_window_forgets_everything_below() {
        let mut w = Window::first(64, 1000);
        w.accept(5000).unwrap();
        assert!(matches!(w.accept(1000), Err(Rejection::BelowWindow { .. })));
        assert_eq!(w.accept(4999), Ok(()));
        assert_eq!(w.accept(4999), Err(Rejection::Replayed { seq: 4999 }));
        assert_eq!(w.accept(u64::MAX), Ok(()));
        assert_eq!(
            w.accept(u64::MAX),
            Err(Rejection::Replayed { seq: u64::MAX })
        );
    }

    #[test]
    fn decode_refuses_a_wrong_length() {
        assert_eq!(Window::decode(64, &[0; 15]), None);
        assert!(Window::decode(64, &[0; 16]).is_some());
    }
}
