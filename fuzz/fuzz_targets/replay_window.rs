//! Differential: the sliding window against a remember-everything model.
#![no_main]

use std::collections::BTreeSet;

use libfuzzer_sys::fuzz_target;
use payseal::ReplayWindow;

fuzz_target!(|data: &[u8]| {
    let Some((&width_words, steps)) = data.split_first() else { return };
    let width = (usize::from(width_words % 4) + 1) * 64;
    let mut window = ReplayWindow::new(width);
    let mut seen = BTreeSet::new();
    let mut base: u64 = 1 << 40;
    for step in steps.chunks(3) {
        let [a, b, c] = [step.first(), step.get(1), step.get(2)].map(|x| u64::from(*x.unwrap_or(&0)));
        // Move forward sometimes, and look back up to ~300 numbers.
        base += a * (c & 1);
        let seq = base - (b + (c >> 1) * 2);
        let model = match seen.last() {
            Some(&top) if seq <= top && top - seq >= width as u64 => Err("below_window"),
            _ if seen.contains(&seq) => Err("replayed"),
            _ => Ok(()),
        };
        if model.is_ok() {
            seen.insert(seq);
        }
        assert_eq!(window.accept(seq).map_err(|r| r.code()), model, "seq {seq}");
    }
});
