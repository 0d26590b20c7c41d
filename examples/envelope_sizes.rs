//! Prints how many bytes a payseal envelope adds to a payload, per algorithm.
//!
//! Run: `cargo run --example envelope_sizes`

use payseal::{Algorithm, Counter, ManualClock, Sealer, SigningKey};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let clock = ManualClock::new(1_700_000_000);
    println!("| algorithm | sequence number | payload | envelope | overhead |");
    println!("|---|---|---|---|---|");
    for alg in Algorithm::ALL {
        // A small counter (1 byte on the wire) and a clock-started one (7 bytes).
        for (label, first) in [("1", 1), ("time-based (µs)", 1_700_000_000_000_000)] {
            for payload_len in [0usize, 256] {
                let key = SigningKey::generate(alg)?;
                let mut sealer = Sealer::new(key, Counter::starting_at(first), &clock);
                let envelope = sealer.seal("plant/3/temp", &vec![0x55; payload_len])?;
                println!(
                    "| {alg} | {label} | {payload_len} | {} | {} |",
                    envelope.len(),
                    envelope.len() - payload_len
                );
            }
        }
    }
    Ok(())
}
