//! The validated-chain cache under a broker that cycles through chains (issue 16 item 17):
//! what it costs, and that eviction keeps the recently used senders instead of dropping all.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use payseal::{Counter, ManualClock, Opener, Policy, Rejection, Sealer, SigningKey};
use payseal_x509::X509Resolver;
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose,
    SanType, date_time_ymd,
};

const NOW: u64 = 1_700_000_000;

fn ca() -> CertifiedIssuer<'static, KeyPair> {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.distinguished_name.push(DnType::CommonName, "CA");
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign];
    params.not_before = date_time_ymd(2020, 1, 1);
    params.not_after = date_time_ymd(2040, 1, 1);
    let key = KeyPair::generate_for(&rcgen::PKCS_ED25519).unwrap();
    CertifiedIssuer::self_signed(params, key).unwrap()
}

/// A device: its signing key and a genuine certificate for it.
fn device(ca: &CertifiedIssuer<'static, KeyPair>, n: usize) -> (KeyPair, Vec<u8>) {
    let pair = KeyPair::generate_for(&rcgen::PKCS_ED25519).unwrap();
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params
        .distinguished_name
        .push(DnType::CommonName, format!("sensor-{n}"));
    params.subject_alt_names = vec![SanType::URI("mqtt-topic:plant/#".try_into().unwrap())];
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.not_before = date_time_ymd(2023, 1, 1);
    params.not_after = date_time_ymd(2030, 1, 1);
    let cert = params.signed_by(&pair, ca).unwrap().der().to_vec();
    (pair, cert)
}

fn signing(pair: &KeyPair) -> SigningKey {
    SigningKey::from_pkcs8_der(pair.serialized_der()).unwrap()
}

#[test]
fn a_full_cache_evicts_the_least_recently_used_chain_not_all() {
    let ca = ca();
    let clock = ManualClock::new(NOW);
    let resolver = X509Resolver::new([ca.der().as_ref()])
        .unwrap()
        .with_cache_capacity(4);
    let mut opener = Opener::with_resolver(resolver, Policy::default(), &clock);
    let (pair, cert) = device(&ca, 0);
    let mut busy =
        Sealer::new(signing(&pair), Counter::starting_at(1), &clock).with_x5chain(vec![cert]);
    assert!(
        opener
            .open("plant/1", &busy.seal("plant/1", b"a").unwrap())
            .is_ok()
    );
    assert_eq!(opener.trust().validations(), 1);

    // A broker cycling through 20 genuine certificates (it relays them all) against a cache
    // of 4, while one sender keeps talking: each new leaf costs one validation, and the busy
    // sender is never pushed out.
    for n in 1..=20 {
        let (genuine, cert) = device(&ca, n);
        let thief = SigningKey::generate(payseal::Algorithm::Ed25519).unwrap();
        let mut forged = Sealer::new(thief, Counter::starting_at(1), &clock)
            .with_kid(signing(&genuine).kid())
            .with_x5chain(vec![cert]);
        assert_eq!(
            opener.open("plant/1", &forged.seal("plant/1", b"x").unwrap()),
            Err(Rejection::BadSignature)
        );
        assert!(
            opener
                .open("plant/1", &busy.seal("plant/1", b"a").unwrap())
                .is_ok()
        );
        assert!(opener.trust().cached() <= 4);
    }
    assert_eq!(
        opener.trust().validations(),
        21,
        "one validation per new leaf, none for the busy sender"
    );
    assert_eq!(opener.trust().cached(), 4);
}

#[test]
fn padded_variants_of_a_cached_chain_are_hits_and_take_no_slot() {
    let ca = ca();
    let other = self::ca();
    let clock = ManualClock::new(NOW);
    let resolver = X509Resolver::new([ca.der().as_ref()]).unwrap();
    let mut opener = Opener::with_resolver(resolver, Policy::default(), &clock);
    let (pair, cert) = device(&ca, 0);
    let mut sealer = Sealer::new(signing(&pair), Counter::starting_at(1), &clock)
        .with_x5chain(vec![cert.clone()]);
    assert!(
        opener
            .open("plant/1", &sealer.seal("plant/1", b"a").unwrap())
            .is_ok()
    );
    // The same leaf with junk and an unrelated CA certificate appended: a hit, no validation.
    let mut padded = Sealer::new(signing(&pair), Counter::starting_at(100), &clock)
        .with_x5chain(vec![cert, other.der().to_vec(), b"junk".to_vec()]);
    assert!(
        opener
            .open("plant/1", &padded.seal("plant/1", b"b").unwrap())
            .is_ok()
    );
    assert_eq!(opener.trust().validations(), 1);
    assert_eq!(opener.trust().cached(), 1);
    assert!(
        opener
            .open("plant/1", &sealer.seal("plant/1", b"c").unwrap())
            .is_ok()
    );
    assert_eq!(opener.trust().validations(), 1);
}
