use std::collections::BTreeSet;

use proptest::prelude::*;

use super::*;

/// The obvious model: remember everything, judge by the highest number seen.
struct Model {
    width: u64,
    seen: BTreeSet<u64>,
}

impl Model {
    fn accept(&mut self, seq: u64) -> Result<(), &'static str> {
        if let Some(&top) = self.seen.last()
            && seq <= top
            && top - seq >= self.width
        {
            return Err("below_window");
        }
        if !self.seen.insert(seq) {
            return Err("replayed");
        }
        Ok(())
    }
}

proptest! {
    #[test]
    fn window_agrees_with_a_remember_everything_model(
        width_words in 1usize..4,
        steps in proptest::collection::vec((0u64..400, any::<bool>()), 1..300),
    ) {
        let mut window = ReplayWindow::new(width_words * 64);
        let mut model = Model { width: (width_words * 64) as u64, seen: BTreeSet::new() };
        let mut base = 1_000u64;
        for (delta, jump) in steps {
            if jump { base += delta; }
            let seq = base.saturating_sub(delta / 2);
            let got = window.accept(seq).map_err(|r| r.code());
            prop_assert_eq!(got, model.accept(seq), "seq {}", seq);
        }
    }
}

#[test]
fn first_number_is_accepted_whatever_it_is() {
    for first in [0, 1, u64::MAX] {
        let mut window = ReplayWindow::new(64);
        assert_eq!(window.accept(first), Ok(()));
        assert_eq!(
            window.accept(first),
            Err(Rejection::Replayed { seq: first })
        );
    }
}

#[test]
fn edges_of_the_window() {
    let mut window = ReplayWindow::new(64);
    window.accept(1000).unwrap();
    assert_eq!(window.accept(937), Ok(())); // 1000 - 63: the oldest tracked
    assert_eq!(
        window.accept(936),
        Err(Rejection::BelowWindow {
            seq: 936,
            lowest: 937
        })
    );
    // A jump larger than the window forgets everything below it.
    window.accept(5000).unwrap();
    assert!(matches!(
        window.accept(1000),
        Err(Rejection::BelowWindow { .. })
    ));
    assert_eq!(window.accept(4999), Ok(()));
}

#[test]
fn width_rounds_up_to_whole_words() {
    assert_eq!(ReplayWindow::new(0).width(), 64);
    assert_eq!(ReplayWindow::new(65).width(), 128);
}

#[test]
fn store_keeps_one_window_per_sender() {
    let a = Kid::new(vec![1]).unwrap();
    let b = Kid::new(vec![2]).unwrap();
    let mut store = MemoryReplayStore::new(64);
    store.check_and_record(&a, 7).unwrap();
    store.check_and_record(&b, 7).unwrap();
    assert_eq!(
        store.check_and_record(&a, 7),
        Err(Rejection::Replayed { seq: 7 })
    );
    assert_eq!(store.window(&b).and_then(ReplayWindow::top), Some(7));
}
