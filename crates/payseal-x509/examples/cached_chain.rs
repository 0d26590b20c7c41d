//! Per-message open cost with a cached certificate chain against a static key, Ed25519 and
//! P-256, measured interleaved in one run (alternating blocks; median of the per-round ratios).
//!
//! `cargo run --release -p payseal-x509 --example cached_chain [-- ROUNDS]`
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cast_precision_loss,
    clippy::indexing_slicing
)]

use std::time::Instant;

use payseal::{Algorithm, Counter, ManualClock, Opener, Policy, Sealer, SigningKey, TrustStore};
use payseal_x509::X509Resolver;
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose,
    SanType, date_time_ymd,
};

const NOW: u64 = 1_700_000_000;
const TOPIC: &str = "plant/3/temp";
const BLOCK: usize = 200;

fn main() {
    let rounds: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(25);
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "bench CA");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign];
    ca_params.not_before = date_time_ymd(2020, 1, 1);
    ca_params.not_after = date_time_ymd(2040, 1, 1);
    let ca_key = KeyPair::generate_for(&rcgen::PKCS_ED25519).unwrap();
    let ca = CertifiedIssuer::self_signed(ca_params, ca_key).unwrap();

    for (alg, rcgen_alg) in [
        (Algorithm::Ed25519, &rcgen::PKCS_ED25519),
        (Algorithm::EcdsaP256, &rcgen::PKCS_ECDSA_P256_SHA256),
    ] {
        let pair = KeyPair::generate_for(rcgen_alg).unwrap();
        let key = || SigningKey::from_pkcs8_der(pair.serialized_der()).unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params
            .distinguished_name
            .push(DnType::CommonName, "sensor-3");
        params.subject_alt_names = vec![SanType::URI("mqtt-topic:plant/#".try_into().unwrap())];
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.not_before = date_time_ymd(2023, 1, 1);
        params.not_after = date_time_ymd(2030, 1, 1);
        let leaf = params.signed_by(&pair, &ca).unwrap().der().to_vec();
        let chain_bytes = leaf.len();

        let clock = ManualClock::new(NOW);
        let total = rounds * BLOCK;
        let mut plain = Sealer::new(key(), Counter::starting_at(1), &clock);
        let mut with_chain =
            Sealer::new(key(), Counter::starting_at(1), &clock).with_x5chain(vec![leaf]);
        let warm = with_chain.seal(TOPIC, &[0x42; 256]).unwrap();
        let plain_envs: Vec<_> = (0..total)
            .map(|_| plain.seal(TOPIC, &[0x42; 256]).unwrap())
            .collect();
        let chain_envs: Vec<_> = (0..total)
            .map(|_| with_chain.seal(TOPIC, &[0x42; 256]).unwrap())
            .collect();

        let mut trust = TrustStore::new();
        trust
            .add_sender(key().verifying_key(), ["plant/#"])
            .unwrap();
        let mut static_opener = Opener::new(trust, Policy::default(), &clock);
        let resolver = X509Resolver::new([ca.der().as_ref()]).unwrap();
        let mut x509_opener = Opener::with_resolver(resolver, Policy::default(), &clock);
        // The first chain envelope validates the chain; time the cached ones after it.
        let first = Instant::now();
        x509_opener.open(TOPIC, &warm).unwrap();
        let first_us = first.elapsed().as_secs_f64() * 1e6;

        let mut ratios = Vec::new();
        let (mut static_us, mut cached_us) = (Vec::new(), Vec::new());
        for round in 0..rounds {
            let range = round * BLOCK..(round + 1) * BLOCK;
            let start = Instant::now();
            for envelope in &plain_envs[range.clone()] {
                static_opener.open(TOPIC, envelope).unwrap();
            }
            let s = start.elapsed().as_secs_f64() * 1e6 / BLOCK as f64;
            let start = Instant::now();
            for envelope in &chain_envs[range] {
                x509_opener.open(TOPIC, envelope).unwrap();
            }
            let c = start.elapsed().as_secs_f64() * 1e6 / BLOCK as f64;
            static_us.push(s);
            cached_us.push(c);
            ratios.push(c / s);
        }
        println!(
            "{:8} static key {:7.1} us/open   cached {}-byte chain {:7.1} us/open   ratio {:.3}   (first open, validating the chain: {:.0} us)",
            alg.name(),
            median(&mut static_us),
            chain_bytes,
            median(&mut cached_us),
            median(&mut ratios),
            first_us,
        );
    }
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
}
