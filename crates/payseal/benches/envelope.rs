//! Seal and open against the bare signature primitive on the same bytes, per algorithm, for a
//! 256-byte payload: the ratios say what the envelope costs beyond the cryptography; the MAC
//! mode's seal and open on the same payload. Also: the
//! encrypted modes against bare HPKE, batch against one-by-one Ed25519 opening, the P-256
//! backends, the replay window against a hash map, and the AEADs on small messages.
//! `scripts/bench` turns criterion's estimates into BENCHMARKS.md (run it with `--features
//! ring` to see the ring backend in the P-256 rows).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation
)]
#![allow(missing_docs)]

use std::hint::black_box;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use payseal::{
    Algorithm, Audience, Counter, KemKind, Keyring, MacAlgorithm, MacSecret, ManualClock, Opener,
    Policy, Recipient, RecipientKey, Sealer, SigningKey, TrustStore,
};

mod support;

const NOW: u64 = 1_700_000_000;
const TOPIC: &str = "plant/3/temp";

fn signed(c: &mut Criterion) {
    let payload = [0x42u8; 256];
    for alg in Algorithm::ALL {
        let key = SigningKey::from_secret_bytes(alg, &[7; 32]).unwrap();
        let public = key.verifying_key();
        let mut trust = TrustStore::new();
        trust.add_sender(public.clone(), ["#"]).unwrap();
        let clock = ManualClock::new(NOW);
        let mut sealer = Sealer::new(
            SigningKey::from_secret_bytes(alg, &[7; 32]).unwrap(),
            Counter::starting_at(1),
            &clock,
        );
        // The exact bytes the envelope signs, for the bare primitive.
        let sample = sealer.seal(TOPIC, &payload).unwrap();
        let (tbs, _) = support::signed_bytes(&sample, TOPIC);
        let signature = key.sign(&tbs);

        let mut group = c.benchmark_group(format!("signed/{}", alg.name()));
        group.bench_function("bare_sign", |b| b.iter(|| key.sign(black_box(&tbs))));
        group.bench_function("seal", |b| {
            b.iter(|| sealer.seal(TOPIC, black_box(&payload)).unwrap())
        });
        group.bench_function("bare_verify", |b| {
            b.iter(|| public.verify(black_box(&tbs), &signature).unwrap())
        });
        let mut opener = Opener::new(trust, Policy::default(), &clock);
        group.bench_function("open", |b| {
            b.iter_batched(
                || sealer.seal(TOPIC, &payload).unwrap(),
                |envelope| opener.open(TOPIC, &envelope).unwrap(),
                BatchSize::SmallInput,
            )
        });
        group.finish();
    }
}

/// MAC mode (spec/mac.md) against the signed mode's `signed/*` rows, same 256-byte payload.
fn mac(c: &mut Criterion) {
    let payload = [0x42u8; 256];
    let secret = MacSecret::from_bytes(&[7; 32]).unwrap();
    for alg in MacAlgorithm::ALL {
        let kid = payseal::Kid::new(b"sensor-7".to_vec()).unwrap();
        let mut trust = TrustStore::new();
        trust
            .add_mac_sender(secret.sender_key(kid.clone(), alg), ["#"])
            .unwrap();
        let clock = ManualClock::new(NOW);
        let mut sealer = Sealer::new(secret.sender_key(kid, alg), Counter::starting_at(1), &clock);
        let mut opener = Opener::new(trust, Policy::default(), &clock);
        let mut group = c.benchmark_group(format!("mac/{}", alg.name()));
        group.bench_function("seal", |b| {
            b.iter(|| sealer.seal(TOPIC, black_box(&payload)).unwrap())
        });
        group.bench_function("open", |b| {
            b.iter_batched(
                || sealer.seal(TOPIC, &payload).unwrap(),
                |envelope| opener.open(TOPIC, &envelope).unwrap(),
                BatchSize::SmallInput,
            )
        });
        group.finish();
    }
}

fn encrypted(c: &mut Criterion) {
    let payload = [0x42u8; 256];
    let clock = ManualClock::new(NOW);
    let sender = || SigningKey::from_secret_bytes(Algorithm::Ed25519, &[7; 32]).unwrap();
    let mut trust = TrustStore::new();
    trust.add_sender(sender().verifying_key(), ["#"]).unwrap();
    for n in [1usize, 10, 100] {
        let keys: Vec<RecipientKey> = (0..n)
            .map(|i| RecipientKey::from_secret_bytes(KemKind::X25519, &[i as u8 + 1; 32]).unwrap())
            .collect();
        let audience =
            Audience::recipients(keys.iter().map(|k| Recipient::new(k.public_key()))).unwrap();
        let mut sealer = Sealer::new(sender(), Counter::starting_at(1), &clock)
            .with_audience("#", audience)
            .unwrap();
        let mut keyring = Keyring::new();
        keyring.add_recipient_key(keys[n - 1].clone()).unwrap();
        let mut opener =
            Opener::new(trust.clone(), Policy::default(), &clock).with_keyring(keyring);
        let mut group = c.benchmark_group(format!("encrypted/x25519/{n}"));
        group.sample_size(if n == 100 { 10 } else { 30 });
        group.bench_function("seal", |b| {
            b.iter(|| sealer.seal(TOPIC, black_box(&payload)).unwrap())
        });
        group.bench_function("open_last_recipient", |b| {
            b.iter_batched(
                || sealer.seal(TOPIC, &payload).unwrap(),
                |envelope| opener.open(TOPIC, &envelope).unwrap(),
                BatchSize::SmallInput,
            )
        });
        group.finish();
    }
}

/// Bare HPKE (RFC 9180 base mode, X25519 / HKDF-SHA256 / AES-128-GCM, the default suite for
/// X25519 recipients) through the `hpke` crate: the baseline for the encrypted rows. One
/// recipient seals the 256-byte payload itself; with more, each seals a 16-byte content key.
fn bare_hpke(c: &mut Criterion) {
    use hpke::aead::AesGcm128;
    use hpke::kdf::HkdfSha256;
    use hpke::kem::X25519HkdfSha256;
    use hpke::{Kem, OpModeR, OpModeS};
    // `Kem` brings `gen_keypair_with_rng` into scope.
    use rand_core::SeedableRng;

    let mut rng = rand_chacha::ChaCha20Rng::from_seed([3; 32]);
    let (sk, pk) = X25519HkdfSha256::gen_keypair_with_rng(&mut rng);
    let mut group = c.benchmark_group("hpke/x25519_aes128gcm");
    for (name, len) in [("256", 256usize), ("16", 16)] {
        let plaintext = vec![0x42u8; len];
        group.bench_function(format!("seal_{name}"), |b| {
            b.iter(|| {
                hpke::single_shot_seal_with_rng::<AesGcm128, HkdfSha256, X25519HkdfSha256>(
                    &OpModeS::Base,
                    &pk,
                    b"info",
                    black_box(&plaintext),
                    b"aad",
                    &mut rng,
                )
                .unwrap()
            })
        });
        let (enc, ct) = hpke::single_shot_seal_with_rng::<AesGcm128, HkdfSha256, X25519HkdfSha256>(
            &OpModeS::Base,
            &pk,
            b"info",
            &plaintext,
            b"aad",
            &mut rng,
        )
        .unwrap();
        group.bench_function(format!("open_{name}"), |b| {
            b.iter(|| {
                hpke::single_shot_open::<AesGcm128, HkdfSha256, X25519HkdfSha256>(
                    &OpModeR::Base,
                    &sk,
                    &enc,
                    b"info",
                    black_box(&ct),
                    b"aad",
                )
                .unwrap()
            })
        });
    }
    group.finish();
}

/// `Opener::open_batch` against `Opener::open` on each envelope in turn, Ed25519, 256 bytes.
fn batch(c: &mut Criterion) {
    let payload = [0x42u8; 256];
    let clock = ManualClock::new(NOW);
    let keys: Vec<SigningKey> = (1..=4u8)
        .map(|i| SigningKey::from_secret_bytes(Algorithm::Ed25519, &[i; 32]).unwrap())
        .collect();
    let mut trust = TrustStore::new();
    for key in &keys {
        trust.add_sender(key.verifying_key(), ["#"]).unwrap();
    }
    // Four senders interleaved, as a subscriber to a fleet sees them.
    let mut sealers: Vec<_> = keys
        .iter()
        .map(|k| {
            let k =
                SigningKey::from_secret_bytes(Algorithm::Ed25519, k.expose_secret_bytes().as_ref())
                    .unwrap();
            Sealer::new(k, Counter::starting_at(1), &clock)
        })
        .collect();
    let mut opener = Opener::new(trust, Policy::default(), &clock);
    for n in [1usize, 16, 64] {
        let mut group = c.benchmark_group(format!("batch/ed25519/{n}"));
        group.sample_size(if n == 64 { 10 } else { 30 });
        let mut make = || -> Vec<Vec<u8>> {
            (0..n)
                .map(|i| sealers[i % 4].seal(TOPIC, &payload).unwrap())
                .collect()
        };
        group.bench_function("one_by_one", |b| {
            b.iter_batched(
                &mut make,
                |envelopes| {
                    for e in &envelopes {
                        opener.open(TOPIC, e).unwrap();
                    }
                },
                BatchSize::SmallInput,
            )
        });
        group.bench_function("open_batch", |b| {
            b.iter_batched(
                &mut make,
                |envelopes| {
                    let items: Vec<(&str, &[u8])> =
                        envelopes.iter().map(|e| (TOPIC, e.as_slice())).collect();
                    for r in opener.open_batch(&items) {
                        r.unwrap();
                    }
                },
                BatchSize::SmallInput,
            )
        });
        group.finish();
    }
}

/// ECDSA P-256 verification by backend, on the same message and signature: pure-Rust `p256`
/// always, `ring` when the feature is on. `openssl speed` is run next to it by `scripts/bench`.
fn p256_backends(c: &mut Criterion) {
    use p256::ecdsa::signature::Verifier;
    let key = SigningKey::from_secret_bytes(Algorithm::EcdsaP256, &[7; 32]).unwrap();
    let message = [0x42u8; 300];
    let signature = key.sign(&message);
    let SigningKey::P256(inner) = &key else {
        unreachable!()
    };
    let public = *inner.verifying_key();
    let sig = p256::ecdsa::Signature::from_slice(signature.as_ref()).unwrap();
    let mut group = c.benchmark_group("p256_backends");
    group.bench_function("pure_rust_verify", |b| {
        b.iter(|| public.verify(black_box(&message), &sig).unwrap())
    });
    // payseal's own entry point (ring with the feature, pure Rust without).
    let payseal_key = key.verifying_key();
    group.bench_function("payseal_verify", |b| {
        b.iter(|| payseal_key.verify(black_box(&message), &signature).unwrap())
    });
    #[cfg(feature = "ring")]
    {
        use ring::signature::{ECDSA_P256_SHA256_FIXED, UnparsedPublicKey};
        let point = public.to_sec1_point(false);
        let ring_key = UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, point.as_bytes().to_vec());
        group.bench_function("ring_verify", |b| {
            b.iter(|| {
                ring_key
                    .verify(black_box(&message), signature.as_ref())
                    .unwrap()
            })
        });
    }
    group.finish();
}

/// The replay check per message: payseal's windows (a bitmap per sender in a BTreeMap) against
/// the least a receiver could do, a `HashMap<kid, highest seq>` lookup and update.
fn replay(c: &mut Criterion) {
    use payseal::{Kid, MemoryReplayStore, ReplayStore, ReplayWindow};
    use std::collections::HashMap;
    let kids: Vec<Kid> = (0..100u8).map(|i| Kid::new(vec![i; 8]).unwrap()).collect();
    let mut group = c.benchmark_group("replay/100_senders");
    let mut store = MemoryReplayStore::new(Policy::DEFAULT_WINDOW);
    let mut seq = 0u64;
    group.bench_function("window_store", |b| {
        b.iter(|| {
            seq += 1;
            let kid = &kids[(seq % 100) as usize];
            store.check_and_record(black_box(kid), seq).unwrap()
        })
    });
    let mut map: HashMap<Kid, u64> = HashMap::new();
    let mut seq = 0u64;
    group.bench_function("hashmap_highest_seq", |b| {
        b.iter(|| {
            seq += 1;
            let kid = &kids[(seq % 100) as usize];
            let last = map.entry(black_box(kid).clone()).or_insert(0);
            assert!(seq > *last);
            *last = seq;
        })
    });
    let mut window = ReplayWindow::new(Policy::DEFAULT_WINDOW);
    let mut seq = 0u64;
    group.bench_function("one_window", |b| {
        b.iter(|| {
            seq += 1;
            window.accept(black_box(seq)).unwrap()
        })
    });
    group.finish();
}

/// The content AEADs on a 256-byte message, key setup included (a fresh content key per
/// message, as the key-encryption mode uses them).
fn aead(c: &mut Criterion) {
    use aes_gcm::aead::{Aead, KeyInit};
    fn run<C: KeyInit + Aead>(c: &mut Criterion, name: &str, key_len: usize) {
        let key = vec![9u8; key_len];
        let nonce = aes_gcm::aead::Nonce::<C>::try_from(&[1u8; 12][..]).unwrap();
        let msg = [0x42u8; 256];
        let ct = C::new_from_slice(&key)
            .unwrap()
            .encrypt(&nonce, &msg[..])
            .unwrap();
        let mut group = c.benchmark_group(format!("aead_256/{name}"));
        group.bench_function("encrypt", |b| {
            b.iter(|| {
                C::new_from_slice(black_box(&key))
                    .unwrap()
                    .encrypt(&nonce, black_box(&msg[..]))
                    .unwrap()
            })
        });
        group.bench_function("decrypt", |b| {
            b.iter(|| {
                C::new_from_slice(black_box(&key))
                    .unwrap()
                    .decrypt(&nonce, black_box(&ct[..]))
                    .unwrap()
            })
        });
        group.finish();
    }
    run::<aes_gcm::Aes128Gcm>(c, "aes128gcm", 16);
    run::<aes_gcm::Aes256Gcm>(c, "aes256gcm", 32);
    run::<chacha20poly1305::ChaCha20Poly1305>(c, "chacha20poly1305", 32);
}

criterion_group!(
    benches,
    signed,
    mac,
    encrypted,
    bare_hpke,
    batch,
    p256_backends,
    replay,
    aead
);
criterion_main!(benches);
