//! The ratio targets, measured interleaved: each round times a block of the bare
//! primitive and a block of the payseal operation back to back (alternating which goes first),
//! and the ratio is the median of the per-round ratios. On a machine shared with other builds,
//! whose load comes and goes over seconds, this is steadier than dividing two criterion numbers
//! taken a minute apart. Prints one JSON object per line; `scripts/bench` reads them.
//! `cargo bench -p payseal --bench paired` (`PAYSEAL_PAIRED_ROUNDS`, default 101).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation,
    clippy::print_stdout
)]
#![allow(missing_docs)]

use std::cell::RefCell;
use std::hint::black_box;
use std::time::{Duration, Instant};

use payseal::{Algorithm, Counter, ManualClock, Opener, Policy, Sealer, SigningKey, TrustStore};

mod support;
use support::signed_bytes;

const NOW: u64 = 1_700_000_000;
const TOPIC: &str = "plant/3/temp";

/// Runs `rounds` rounds of `a` then `b` (or `b` then `a` on odd rounds), each timing `n`
/// operations, and prints the medians: per-operation times and the per-round ratio b / a.
fn paired(
    name: &str,
    rounds: usize,
    n: usize,
    mut a: impl FnMut(usize) -> Duration,
    mut b: impl FnMut(usize) -> Duration,
) {
    let (mut ta, mut tb, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    a(n);
    b(n); // warm-up
    for round in 0..rounds {
        let (da, db) = if round % 2 == 0 {
            let da = a(n);
            (da, b(n))
        } else {
            let db = b(n);
            (a(n), db)
        };
        let (ua, ub) = (
            da.as_secs_f64() * 1e6 / n as f64,
            db.as_secs_f64() * 1e6 / n as f64,
        );
        ta.push(ua);
        tb.push(ub);
        ratios.push(ub / ua);
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    println!(
        "{{\"name\": \"{name}\", \"a_us\": {:.3}, \"b_us\": {:.3}, \"ratio\": {:.4}, \"rounds\": {rounds}, \"n\": {n}}}",
        median(&mut ta),
        median(&mut tb),
        median(&mut ratios)
    );
}

fn time(f: impl FnOnce()) -> Duration {
    let start = Instant::now();
    f();
    start.elapsed()
}

fn main() {
    // `cargo test --benches` runs this without `--bench`: one short round as a smoke test.
    let full = std::env::args().any(|a| a == "--bench");
    let rounds = if full {
        std::env::var("PAYSEAL_PAIRED_ROUNDS")
            .ok()
            .and_then(|r| r.parse().ok())
            .unwrap_or(101)
    } else {
        1
    };
    let scale = if full { 1 } else { 0 };
    let payload = [0x42u8; 256];
    let clock = ManualClock::new(NOW);

    for alg in Algorithm::ALL {
        let key = SigningKey::from_secret_bytes(alg, &[7; 32]).unwrap();
        let public = key.verifying_key();
        let mut trust = TrustStore::new();
        trust.add_sender(public.clone(), ["#"]).unwrap();
        let mut sealer = Sealer::new(
            SigningKey::from_secret_bytes(alg, &[7; 32]).unwrap(),
            Counter::starting_at(1),
            &clock,
        );
        let sample = sealer.seal(TOPIC, &payload).unwrap();
        let (tbs, _) = signed_bytes(&sample, TOPIC);
        let n = 1 + 49 * scale;
        paired(
            &format!("seal_vs_sign/{}", alg.name()),
            rounds,
            n,
            |n| {
                time(|| {
                    for _ in 0..n {
                        black_box(key.sign(black_box(&tbs)));
                    }
                })
            },
            |n| {
                time(|| {
                    for _ in 0..n {
                        black_box(sealer.seal(TOPIC, black_box(&payload)).unwrap());
                    }
                })
            },
        );
        let mut opener = Opener::new(trust, Policy::default(), &clock);
        // Both sides get fresh envelopes (distinct signatures: verification is variable-time,
        // so one signature verified over and over is no fair baseline).
        let make = RefCell::new(|n: usize| -> Vec<Vec<u8>> {
            (0..n)
                .map(|_| sealer.seal(TOPIC, &payload).unwrap())
                .collect()
        });
        paired(
            &format!("open_vs_verify/{}", alg.name()),
            rounds,
            n,
            |n| {
                let signed: Vec<_> = make.borrow_mut()(n)
                    .iter()
                    .map(|e| signed_bytes(e, TOPIC))
                    .collect();
                time(|| {
                    for (tbs, signature) in &signed {
                        public.verify(black_box(tbs), signature).unwrap();
                    }
                })
            },
            |n| {
                let envelopes = make.borrow_mut()(n);
                time(|| {
                    for e in &envelopes {
                        black_box(opener.open(TOPIC, e).unwrap());
                    }
                })
            },
        );
    }

    encrypted(rounds, scale, &payload, &clock);

    // open_batch against open one by one, four Ed25519 senders interleaved.
    let keys: Vec<SigningKey> = (1..=4u8)
        .map(|i| SigningKey::from_secret_bytes(Algorithm::Ed25519, &[i; 32]).unwrap())
        .collect();
    let mut trust = TrustStore::new();
    for key in &keys {
        trust.add_sender(key.verifying_key(), ["#"]).unwrap();
    }
    // Each opener gets its envelopes from its own sealers (same keys), so both see fresh,
    // increasing sequence numbers.
    let sealers = || -> Vec<_> {
        keys.iter()
            .map(|k| {
                let k = SigningKey::from_secret_bytes(
                    Algorithm::Ed25519,
                    k.expose_secret_bytes().as_ref(),
                )
                .unwrap();
                Sealer::new(k, Counter::starting_at(1), &clock)
            })
            .collect()
    };
    let (mut sealers_a, mut sealers_b) = (sealers(), sealers());
    let mut single = Opener::new(trust.clone(), Policy::default(), &clock);
    let mut batched = Opener::new(trust, Policy::default(), &clock);
    for size in [1usize, 16, 64] {
        let per_block = size * (1 + 3 * scale);
        let open_single = |n: usize| {
            let envelopes: Vec<Vec<u8>> = (0..n)
                .map(|i| sealers_a[i % 4].seal(TOPIC, &payload).unwrap())
                .collect();
            time(|| {
                for e in &envelopes {
                    black_box(single.open(TOPIC, e).unwrap());
                }
            })
        };
        let open_batched = |n: usize| {
            let envelopes: Vec<Vec<u8>> = (0..n)
                .map(|i| sealers_b[i % 4].seal(TOPIC, &payload).unwrap())
                .collect();
            time(|| {
                for chunk in envelopes.chunks(size) {
                    let items: Vec<(&str, &[u8])> =
                        chunk.iter().map(|e| (TOPIC, e.as_slice())).collect();
                    for r in batched.open_batch(&items) {
                        black_box(r.unwrap());
                    }
                }
            })
        };
        paired(
            &format!("batch_vs_single/{size}"),
            rounds,
            per_block,
            open_single,
            open_batched,
        );
    }
}

/// Encrypted seal and open (Ed25519 + HPKE X25519 / AES-128-GCM to 1 and 10 recipients)
/// against the bare operations they contain: the Ed25519 sign (verify) of a 300-byte message
/// and bare HPKE through the `hpke` crate, one seal of the payload for one recipient, or one
/// seal of a 16-byte content key per recipient (one open for the receiver).
fn encrypted(rounds: usize, scale: usize, payload: &[u8], clock: &ManualClock) {
    use hpke::aead::AesGcm128;
    use hpke::kdf::HkdfSha256;
    use hpke::kem::X25519HkdfSha256;
    use hpke::{Kem, OpModeR, OpModeS};
    use payseal::{Audience, KemKind, Keyring, Recipient, RecipientKey};
    use rand_core::SeedableRng;

    let sender = || SigningKey::from_secret_bytes(Algorithm::Ed25519, &[7; 32]).unwrap();
    let bare_key = sender();
    let message = [0x42u8; 300];
    let public = bare_key.verifying_key();
    let mut rng = rand_chacha::ChaCha20Rng::from_seed([5; 32]);
    let (sk, pk) = X25519HkdfSha256::gen_keypair_with_rng(&mut rng);
    let mut trust = TrustStore::new();
    trust.add_sender(public.clone(), ["#"]).unwrap();
    for recipients in [1usize, 10] {
        let hpke_len = if recipients == 1 { payload.len() } else { 16 };
        let plaintext = vec![0x42u8; hpke_len];
        let (enc, ct) = hpke::single_shot_seal_with_rng::<AesGcm128, HkdfSha256, X25519HkdfSha256>(
            &OpModeS::Base,
            &pk,
            b"info",
            &plaintext,
            b"aad",
            &mut rng,
        )
        .unwrap();
        let keys: Vec<RecipientKey> = (0..recipients)
            .map(|i| RecipientKey::from_secret_bytes(KemKind::X25519, &[i as u8 + 1; 32]).unwrap())
            .collect();
        let audience =
            Audience::recipients(keys.iter().map(|k| Recipient::new(k.public_key()))).unwrap();
        let mut sealer = Sealer::new(sender(), Counter::starting_at(1), clock)
            .with_audience("#", audience)
            .unwrap();
        let mut keyring = Keyring::new();
        keyring
            .add_recipient_key(keys[recipients - 1].clone())
            .unwrap();
        let mut opener = Opener::new(trust.clone(), Policy::default(), clock).with_keyring(keyring);
        let n = 1 + 19 * scale;
        let mut bare_rng = rand_chacha::ChaCha20Rng::from_seed([6; 32]);
        paired(
            &format!("encrypted_seal_vs_bare/{recipients}"),
            rounds,
            n,
            |n| {
                time(|| {
                    for _ in 0..n {
                        black_box(bare_key.sign(black_box(&message)));
                        for _ in 0..recipients {
                            black_box(
                                hpke::single_shot_seal_with_rng::<
                                    AesGcm128,
                                    HkdfSha256,
                                    X25519HkdfSha256,
                                >(
                                    &OpModeS::Base,
                                    &pk,
                                    b"info",
                                    black_box(&plaintext),
                                    b"aad",
                                    &mut bare_rng,
                                )
                                .unwrap(),
                            );
                        }
                    }
                })
            },
            |n| {
                time(|| {
                    for _ in 0..n {
                        black_box(sealer.seal(TOPIC, black_box(payload)).unwrap());
                    }
                })
            },
        );
        // As for open_vs_verify: the bare side verifies the fresh signatures of envelopes
        // sealed like the opener's.
        let make = RefCell::new(|n: usize| -> Vec<Vec<u8>> {
            (0..n)
                .map(|_| sealer.seal(TOPIC, payload).unwrap())
                .collect()
        });
        paired(
            &format!("encrypted_open_vs_bare/{recipients}"),
            rounds,
            n,
            |n| {
                let signed: Vec<_> = make.borrow_mut()(n)
                    .iter()
                    .map(|e| signed_bytes(e, TOPIC))
                    .collect();
                time(|| {
                    for (tbs, signature) in &signed {
                        public.verify(black_box(tbs), signature).unwrap();
                        black_box(
                            hpke::single_shot_open::<AesGcm128, HkdfSha256, X25519HkdfSha256>(
                                &OpModeR::Base,
                                &sk,
                                &enc,
                                b"info",
                                black_box(&ct),
                                b"aad",
                            )
                            .unwrap(),
                        );
                    }
                })
            },
            |n| {
                let envelopes = make.borrow_mut()(n);
                time(|| {
                    for e in &envelopes {
                        black_box(opener.open(TOPIC, e).unwrap());
                    }
                })
            },
        );
    }
}
