//! Prints bytes on the wire and indicative seal/open times for encrypted envelopes with 1, 10
//! and 100 X25519 recipients (256-byte payload). Criterion benchmarks give the careful
//! numbers; this is the quick look. Run: `cargo run --release --example encryption_sizes`
//!
//! Every recipient opens its own copy, so "open" is one recipient's cost.

use std::time::Instant;

use payseal::{
    Algorithm, Audience, Counter, KemKind, Keyring, ManualClock, Opener, Policy, Recipient,
    RecipientKey, Sealer, SigningKey, TrustStore,
};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let clock = ManualClock::new(1_700_000_000);
    let payload = vec![0x42u8; 256];
    let sender = SigningKey::generate(Algorithm::Ed25519)?;
    let mut trust = TrustStore::new();
    trust.add_sender(sender.verifying_key(), ["#"])?;
    let mut signed_only = Sealer::new(
        SigningKey::from_pkcs8_pem(&sender.to_pkcs8_pem()?)?,
        Counter::starting_at(1),
        &clock,
    );
    println!(
        "signed only: {} bytes for a 256-byte payload",
        signed_only.seal("plant/3/temp", &payload)?.len()
    );
    println!(
        "| recipients | envelope bytes | per recipient | seal µs | seal µs / recipient | open µs (last recipient) |"
    );
    println!("|---|---|---|---|---|---|");
    let mut previous = None;
    for n in [1usize, 10, 100] {
        let keys: Vec<RecipientKey> = (0..n)
            .map(|_| RecipientKey::generate(KemKind::X25519))
            .collect::<Result<_, _>>()?;
        let audience = Audience::recipients(keys.iter().map(|k| Recipient::new(k.public_key())))?;
        let mut sealer = Sealer::new(
            SigningKey::from_pkcs8_pem(&sender.to_pkcs8_pem()?)?,
            Counter::starting_at(1),
            &clock,
        )
        .with_audience("#", audience)?;
        let mut keyring = Keyring::new();
        keyring.add_recipient_key(keys.last().ok_or("no key")?.clone())?;
        let mut opener =
            Opener::new(trust.clone(), Policy::default(), &clock).with_keyring(keyring);

        let rounds = if n == 100 { 20 } else { 200 };
        let mut envelopes = Vec::with_capacity(rounds);
        let start = Instant::now();
        for _ in 0..rounds {
            envelopes.push(sealer.seal("plant/3/temp", &payload)?);
        }
        let seal_us = start.elapsed().as_secs_f64() * 1e6 / rounds as f64;
        let start = Instant::now();
        for envelope in &envelopes {
            opener.open("plant/3/temp", envelope)?;
        }
        let open_us = start.elapsed().as_secs_f64() * 1e6 / rounds as f64;
        let size = envelopes.first().map_or(0, Vec::len);
        let per = match previous {
            Some((m, s)) if n > m => format!("{:.0}", (size - s) as f64 / (n - m) as f64),
            _ => "-".to_string(),
        };
        previous = Some((n, size));
        println!(
            "| {n} | {size} | {per} | {seal_us:.0} | {:.1} | {open_us:.0} |",
            seal_us / n as f64
        );
    }
    Ok(())
}
