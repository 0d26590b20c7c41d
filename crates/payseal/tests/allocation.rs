//! The allocation bound of spec/envelope.md §4.3: whatever the input, `open` allocates in
//! total (not just at its peak) at most 6 bytes per envelope byte, plus 64 KiB, plus 8 KiB
//! per recipient entry of a multi-recipient envelope (at most 128 by default). One test in
//! its own binary, because the counting allocator is process-wide.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::cast_possible_truncation
)]

use payseal::{
    Algorithm, Audience, Counter, KemKind, Keyring, Limits, ManualClock, Opener, Policy, Recipient,
    RecipientKey, Sealer, SigningKey, TrustStore,
};

#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

const NOW: u64 = 1_700_000_000;
const TOPIC: &str = "plant/3/temp";

/// The documented bound.
fn bound(envelope_len: usize, recipients: usize) -> u64 {
    6 * envelope_len as u64 + 64 * 1024 + 8 * 1024 * recipients as u64
}

fn signer() -> SigningKey {
    SigningKey::from_secret_bytes(Algorithm::Ed25519, &[1; 32]).unwrap()
}

#[test]
fn open_allocates_within_the_documented_bound() {
    let _profiler = dhat::Profiler::builder().testing().build();
    let clock = ManualClock::new(NOW);
    let mine = RecipientKey::from_secret_bytes(KemKind::X25519, &[7; 32]).unwrap();
    let mut trust = TrustStore::new();
    trust
        .add_sender(signer().verifying_key(), ["plant/#"])
        .unwrap();
    let mut keyring = Keyring::new();
    keyring.add_recipient_key(mine.clone()).unwrap();
    let mut opener = Opener::new(trust, Policy::default(), &clock).with_keyring(keyring);
    let max = Limits::DEFAULT.max_envelope_bytes;

    let mut cases: Vec<(String, usize, Vec<u8>)> = Vec::new();
    let mut plain = Sealer::new(signer(), Counter::starting_at(1), &clock);
    let big = plain.seal(TOPIC, &vec![0x55; max - 200]).unwrap();
    cases.push(("largest signed envelope".into(), 0, big.clone()));
    let mut flipped = big.clone();
    flipped[max / 2] ^= 1;
    cases.push(("largest signed envelope, tampered".into(), 0, flipped));
    let others: Vec<Recipient> = (0..127u8)
        .map(|i| {
            Recipient::new(
                RecipientKey::from_secret_bytes(KemKind::X25519, &[i + 20; 32])
                    .unwrap()
                    .public_key(),
            )
        })
        .chain([Recipient::new(mine.public_key())])
        .collect();
    let mut to_all = Sealer::new(signer(), Counter::starting_at(100), &clock)
        .with_audience("plant/#", Audience::recipients(others).unwrap())
        .unwrap();
    cases.push((
        "128 recipients, ours last".into(),
        128,
        to_all.seal(TOPIC, &vec![1; 64 * 1024]).unwrap(),
    ));
    cases.push((
        "128 recipients at the size limit".into(),
        128,
        to_all.seal(TOPIC, &vec![1; max - 16 * 1024]).unwrap(),
    ));
    for n in [1usize, 16, 64] {
        let few: Vec<Recipient> = (0..n as u8)
            .map(|i| {
                Recipient::new(
                    RecipientKey::from_secret_bytes(KemKind::X25519, &[i + 20; 32])
                        .unwrap()
                        .public_key(),
                )
            })
            .chain([Recipient::new(mine.public_key())])
            .collect();
        let mut s = Sealer::new(signer(), Counter::starting_at(1000 + n as u64), &clock)
            .with_audience("plant/#", Audience::recipients(few).unwrap())
            .unwrap();
        cases.push((
            format!("{n}+1 recipients, 16 B"),
            n + 1,
            s.seal(TOPIC, &[1; 16]).unwrap(),
        ));
    }
    cases.push(("one recipient, large payload".into(), 1, {
        let mut one = Sealer::new(signer(), Counter::starting_at(5000), &clock)
            .with_audience(
                "plant/#",
                Audience::recipients([Recipient::new(mine.public_key())]).unwrap(),
            )
            .unwrap();
        one.seal(TOPIC, &vec![2; max - 400]).unwrap()
    }));
    // Hostile shapes: huge declared lengths, deep nesting, many items, junk at the limit.
    cases.push((
        "bstr declaring 2^63 bytes".into(),
        0,
        vec![
            0xd2, 0x84, 0x5b, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        ],
    ));
    cases.push((
        "array declaring 2^32 items".into(),
        0,
        vec![0xd2, 0x9a, 0xff, 0xff, 0xff, 0xff],
    ));
    cases.push(("nesting 100 000 deep".into(), 0, vec![0x81; 100_000]));
    cases.push(("junk at the size limit".into(), 0, vec![0xa5; max]));
    cases.push(("one byte over the limit".into(), 0, vec![0; max + 1]));

    let mut over = Vec::new();
    for (name, recipients, envelope) in cases {
        let before = dhat::HeapStats::get();
        let outcome = opener.open(TOPIC, &envelope);
        let after = dhat::HeapStats::get();
        let allocated = after.total_bytes - before.total_bytes;
        let code = outcome.as_ref().map_or_else(|r| r.code(), |_| "accepted");
        println!(
            "{name:<36} {:>7} bytes in, {allocated:>8} allocated ({code})",
            envelope.len()
        );
        if allocated > bound(envelope.len(), recipients) {
            over.push(format!(
                "{name}: {allocated} bytes allocated for a {}-byte envelope, bound {}",
                envelope.len(),
                bound(envelope.len(), recipients)
            ));
        }
        drop(outcome);
    }
    assert!(over.is_empty(), "over the bound: {over:#?}");
}
