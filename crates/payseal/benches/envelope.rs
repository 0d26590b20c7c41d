//! Seal and open against the bare signature primitive on the same bytes, per algorithm, for a
//! 256-byte payload: the ratios say what the envelope costs beyond the cryptography.
//! `scripts/bench` turns criterion's estimates into BENCHMARKS.md.
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
    Algorithm, Audience, Counter, KemKind, Keyring, ManualClock, Opener, Policy, Recipient,
    RecipientKey, Sealer, SigningKey, TrustStore, UnverifiedEnvelope,
};

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
        let env = UnverifiedEnvelope::decode(&sample, &payseal::Limits::DEFAULT).unwrap();
        let mut tbs = Vec::new();
        ciborium::into_writer(
            &ciborium::Value::Array(vec![
                ciborium::Value::Text("Signature1".into()),
                ciborium::Value::Bytes(env.protected_bytes().to_vec()),
                ciborium::Value::Bytes(payseal::external_aad(TOPIC)),
                ciborium::Value::Bytes(payload.to_vec()),
            ]),
            &mut tbs,
        )
        .unwrap();
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

criterion_group!(benches, signed, encrypted);
criterion_main!(benches);
