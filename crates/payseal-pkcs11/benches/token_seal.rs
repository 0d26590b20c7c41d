//! Sealing through SoftHSM2 against the same algorithm in-process (BENCHMARKS.md, "Keys in
//! hardware"). The token is made here, in a temporary folder; the bench re-runs itself with
//! `SOFTHSM2_CONF` pointing at it (the module reads it once per process).
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

use criterion::{Criterion, criterion_group};
use payseal::{Algorithm, Counter, ManualClock, Sealer, SigningKey};
use payseal_pkcs11::{Pkcs11Uri, TokenKeyKind, TokenSigningKey, generate};
use payseal_testkit::softhsm::SoftHsm;

const CHILD_DIR: &str = "PAYSEAL_BENCH_SOFTHSM_DIR";

fn seal(c: &mut Criterion) {
    let dir = std::env::var_os(CHILD_DIR).expect("run by main");
    let hsm = SoftHsm::attach(std::path::Path::new(&dir));
    let payload = [0x42u8; 64];
    for (object, alg, name) in [
        ("ed", Algorithm::Ed25519, "ed25519"),
        ("p256", Algorithm::EcdsaP256, "p256"),
    ] {
        let uri: Pkcs11Uri = hsm.uri(object).parse().unwrap();
        generate(&uri, TokenKeyKind::Signing(alg)).unwrap();
        let mut group = c.benchmark_group(format!("seal_64B_{name}"));
        let key = SigningKey::generate(alg).unwrap();
        let mut sealer = Sealer::new(
            key,
            Counter::starting_at(1),
            ManualClock::new(1_700_000_000),
        );
        group.bench_function("in_process", |b| {
            b.iter(|| sealer.seal("plant/3/temp", &payload).unwrap())
        });
        let key = TokenSigningKey::open(&uri).unwrap();
        let mut sealer = Sealer::new(
            key,
            Counter::starting_at(1),
            ManualClock::new(1_700_000_000),
        );
        group.bench_function("softhsm2", |b| {
            b.iter(|| sealer.seal("plant/3/temp", &payload).unwrap())
        });
        group.finish();
    }
}

criterion_group!(benches, seal);

fn main() {
    if std::env::var_os(CHILD_DIR).is_some() {
        benches();
        Criterion::default().configure_from_args().final_summary();
        return;
    }
    let hsm = SoftHsm::new().expect("SoftHSM2 must be installed (apt-get install softhsm2)");
    let status = Command::new(std::env::current_exe().unwrap())
        .args(std::env::args_os().skip(1))
        .env("SOFTHSM2_CONF", hsm.config())
        .env(CHILD_DIR, hsm.dir())
        .status()
        .unwrap();
    drop(hsm);
    std::process::exit(status.code().unwrap_or(1));
}
