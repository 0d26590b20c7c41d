//! Certificate chains issued with rcgen, opened through an `X509Resolver`: each rejection with
//! its own reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use payseal::{
    Algorithm, CertHash, Counter, ManualClock, Opener, Policy, Rejection, Sealer, SigningKey,
};
use payseal_x509::{DenyList, X509Resolver, sha256};
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose,
    SanType, date_time_ymd,
};

/// 2023-11-14: inside every certificate's validity below unless stated.
const NOW: u64 = 1_700_000_000;

struct Ca {
    issuer: CertifiedIssuer<'static, KeyPair>,
}

impl Ca {
    fn new(name: &str) -> Ca {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.distinguished_name.push(DnType::CommonName, name);
        params.is_ca = IsCa::Ca(BasicConstraints::Constrained(1));
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        params.not_before = date_time_ymd(2020, 1, 1);
        params.not_after = date_time_ymd(2040, 1, 1);
        let key = KeyPair::generate_for(&rcgen::PKCS_ED25519).unwrap();
        Ca {
            issuer: CertifiedIssuer::self_signed(params, key).unwrap(),
        }
    }

    fn der(&self) -> Vec<u8> {
        self.issuer.der().to_vec()
    }
}

/// How a device certificate differs from the good one.
#[derive(Clone, Copy, PartialEq)]
enum Twist {
    None,
    Expired,
    NotYetValid,
    NoDigitalSignature,
    ServerAuthOnly,
    /// Serial 0x8f03: its high bit is set, so the DER INTEGER is `00 8f 03`.
    HighBitSerial,
}

/// A device key pair: rcgen's (for its certificate) and the same key as payseal's.
struct Device {
    pair: KeyPair,
}

impl Device {
    fn new(alg: Algorithm) -> Device {
        let rcgen_alg = match alg {
            Algorithm::Ed25519 => &rcgen::PKCS_ED25519,
            _ => &rcgen::PKCS_ECDSA_P256_SHA256,
        };
        Device {
            pair: KeyPair::generate_for(rcgen_alg).unwrap(),
        }
    }

    fn key(&self) -> SigningKey {
        SigningKey::from_pkcs8_der(self.pair.serialized_der()).unwrap()
    }
}

fn device_cert(ca: &Ca, key: &Device, cn: &str, topics: &[&str], twist: Twist) -> Vec<u8> {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.distinguished_name.push(DnType::CommonName, cn);
    params.subject_alt_names = topics
        .iter()
        .map(|t| SanType::URI(format!("mqtt-topic:{t}").try_into().unwrap()))
        .collect();
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.not_before = date_time_ymd(2023, 1, 1);
    params.not_after = date_time_ymd(2025, 1, 1);
    params.serial_number = Some(rcgen::SerialNumber::from_slice(&[0x1f, 0x03]));
    match twist {
        Twist::None => {}
        Twist::Expired => params.not_after = date_time_ymd(2023, 6, 1),
        Twist::NotYetValid => params.not_before = date_time_ymd(2024, 1, 1),
        Twist::NoDigitalSignature => params.key_usages = vec![KeyUsagePurpose::KeyAgreement],
        Twist::HighBitSerial => {
            params.serial_number = Some(rcgen::SerialNumber::from_slice(&[0x8f, 0x03]));
        }
        Twist::ServerAuthOnly => {
            params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
        }
    }
    params
        .signed_by(&key.pair, &ca.issuer)
        .unwrap()
        .der()
        .to_vec()
}

fn opener(
    resolver: X509Resolver,
    clock: &ManualClock,
) -> Opener<payseal::MemoryReplayStore, &ManualClock, X509Resolver> {
    Opener::with_resolver(resolver, Policy::default(), clock)
}

/// Seals one message on `topic` with `key` carrying `chain`, and opens it.
fn roundtrip(
    resolver: X509Resolver,
    key: SigningKey,
    chain: Vec<Vec<u8>>,
    topic: &str,
) -> Result<payseal::Verified, Rejection> {
    let clock = ManualClock::new(NOW);
    let mut sealer = Sealer::new(key, Counter::starting_at(1), &clock).with_x5chain(chain);
    let envelope = sealer.seal(topic, b"21.5").unwrap();
    opener(resolver, &clock).open(topic, &envelope)
}

fn twisted(twist: Twist, topic: &str) -> Result<payseal::Verified, Rejection> {
    let ca = Ca::new("payseal dev CA");
    let device = Device::new(Algorithm::Ed25519);
    let key = device.key();
    let cert = device_cert(&ca, &device, "sensor-3", &["plant/3/+"], twist);
    roundtrip(
        X509Resolver::new([ca.der().as_slice()]).unwrap(),
        key,
        vec![cert],
        topic,
    )
}

#[test]
fn a_valid_chain_is_accepted_with_the_certificate_identity() {
    for alg in [Algorithm::Ed25519, Algorithm::EcdsaP256] {
        let ca = Ca::new("payseal dev CA");
        let device = Device::new(alg);
        let key = device.key();
        let kid = key.kid();
        let cert = device_cert(&ca, &device, "sensor-3", &["plant/3/+"], Twist::None);
        let resolver = X509Resolver::new([ca.der().as_slice()]).unwrap();
        let verified = roundtrip(resolver, key, vec![cert], "plant/3/temp").unwrap();
        assert_eq!(verified.payload(), b"21.5");
        assert_eq!(verified.sender(), &kid);
        assert_eq!(verified.algorithm(), Some(alg));
        assert_eq!(verified.identity(), Some("CN=sensor-3"));
    }
}

#[test]
fn a_chain_with_an_intermediate_is_accepted() {
    let root = Ca::new("root");
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params
        .distinguished_name
        .push(DnType::CommonName, "intermediate");
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign];
    params.not_before = date_time_ymd(2020, 1, 1);
    params.not_after = date_time_ymd(2040, 1, 1);
    let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let intermediate = Ca {
        issuer: CertifiedIssuer::signed_by(params, key, &root.issuer).unwrap(),
    };
    let device = Device::new(Algorithm::Ed25519);
    let leaf = device_cert(
        &intermediate,
        &device,
        "sensor-9",
        &["plant/#"],
        Twist::None,
    );
    let resolver = X509Resolver::new([root.der().as_slice()]).unwrap();
    let chain = vec![leaf, intermediate.der()];
    assert!(roundtrip(resolver, device.key(), chain, "plant/9/temp").is_ok());
}

#[test]
fn expired_and_not_yet_valid_certificates_are_rejected() {
    assert_eq!(
        twisted(Twist::Expired, "plant/3/temp").unwrap_err(),
        Rejection::CertificateExpired
    );
    assert_eq!(
        twisted(Twist::NotYetValid, "plant/3/temp").unwrap_err(),
        Rejection::CertificateNotYetValid
    );
}

#[test]
fn a_certificate_from_another_ca_is_rejected() {
    let ca = Ca::new("payseal dev CA");
    let other = Ca::new("someone else's CA");
    let device = Device::new(Algorithm::Ed25519);
    let key = device.key();
    let cert = device_cert(&other, &device, "sensor-3", &["plant/3/+"], Twist::None);
    let resolver = X509Resolver::new([ca.der().as_slice()]).unwrap();
    let rejected = roundtrip(resolver, key, vec![cert], "plant/3/temp").unwrap_err();
    assert_eq!(rejected, Rejection::UnknownCa);
    assert_eq!(rejected.code(), "unknown_ca");
}

#[test]
fn wrong_key_usage_is_rejected() {
    assert_eq!(
        twisted(Twist::NoDigitalSignature, "plant/3/temp").unwrap_err(),
        Rejection::KeyUsage
    );
    assert_eq!(
        twisted(Twist::ServerAuthOnly, "plant/3/temp").unwrap_err(),
        Rejection::KeyUsage
    );
}

#[test]
fn a_topic_the_certificate_does_not_grant_is_rejected() {
    assert_eq!(
        twisted(Twist::None, "plant/4/temp").unwrap_err(),
        Rejection::TopicNotAuthorized
    );
}

#[test]
fn an_operator_policy_by_subject_grants_more_topics() {
    let ca = Ca::new("payseal dev CA");
    let device = Device::new(Algorithm::Ed25519);
    let key = device.key();
    let cert = device_cert(&ca, &device, "sensor-3", &[], Twist::None);
    let resolver = X509Resolver::new([ca.der().as_slice()])
        .unwrap()
        .allow_subject("sensor-3", ["alarms/#"])
        .unwrap();
    assert!(roundtrip(resolver, key, vec![cert], "alarms/fire").is_ok());
}

#[test]
fn a_mismatched_algorithm_is_rejected() {
    // The certificate certifies a P-256 key; the envelope claims Ed25519 (signed by an Ed25519
    // key that announces the P-256 key's kid).
    let ca = Ca::new("payseal dev CA");
    let p256 = Device::new(Algorithm::EcdsaP256);
    let cert = device_cert(&ca, &p256, "sensor-3", &["plant/#"], Twist::None);
    let ed = SigningKey::generate(Algorithm::Ed25519).unwrap();
    let clock = ManualClock::new(NOW);
    let mut sealer = Sealer::new(ed, Counter::starting_at(1), &clock)
        .with_kid(p256.key().kid())
        .with_x5chain(vec![cert]);
    let envelope = sealer.seal("plant/1", b"x").unwrap();
    let resolver = X509Resolver::new([ca.der().as_slice()]).unwrap();
    let rejected = opener(resolver, &clock)
        .open("plant/1", &envelope)
        .unwrap_err();
    assert!(
        matches!(
            rejected,
            Rejection::AlgorithmMismatch {
                expected: Algorithm::EcdsaP256,
                found: -19
            }
        ),
        "{rejected:?}"
    );
}

#[test]
fn a_chain_for_another_key_is_rejected() {
    let ca = Ca::new("payseal dev CA");
    let certified = Device::new(Algorithm::Ed25519);
    let cert = device_cert(&ca, &certified, "sensor-3", &["plant/#"], Twist::None);
    let thief = SigningKey::generate(Algorithm::Ed25519).unwrap();
    let resolver = X509Resolver::new([ca.der().as_slice()]).unwrap();
    // The thief's own kid: not the certificate's key.
    let rejected = roundtrip(resolver, thief, vec![cert.clone()], "plant/1").unwrap_err();
    assert_eq!(rejected, Rejection::CertificateInvalid);
    // The certified key's kid, signed by the thief: the signature check catches it.
    let clock = ManualClock::new(NOW);
    let thief = SigningKey::generate(Algorithm::Ed25519).unwrap();
    let mut sealer = Sealer::new(thief, Counter::starting_at(1), &clock)
        .with_kid(certified.key().kid())
        .with_x5chain(vec![cert]);
    let envelope = sealer.seal("plant/1", b"x").unwrap();
    let resolver = X509Resolver::new([ca.der().as_slice()]).unwrap();
    assert_eq!(
        opener(resolver, &clock).open("plant/1", &envelope),
        Err(Rejection::BadSignature)
    );
}

#[test]
fn revoked_certificates_are_rejected_by_thumbprint_serial_and_reloaded_file() {
    let ca = Ca::new("payseal dev CA");
    let device = Device::new(Algorithm::Ed25519);
    let key = device.key();
    let cert = device_cert(&ca, &device, "sensor-3", &["plant/#"], Twist::None);
    let by_thumbprint = DenyList::parse(&format!("sha256:{}\n", hex(&sha256(&cert)))).unwrap();
    let by_serial = DenyList::parse("# lost\nserial:1f:03\n").unwrap();
    for deny in [by_thumbprint, by_serial] {
        let resolver = X509Resolver::new([ca.der().as_slice()])
            .unwrap()
            .with_deny_list(deny);
        let rejected =
            roundtrip(resolver, device.key(), vec![cert.clone()], "plant/1").unwrap_err();
        assert_eq!(rejected, Rejection::CertificateRevoked);
        assert_eq!(rejected.code(), "certificate_revoked");
    }

    // A deny-list file: accepted (and cached), then revoked once the file changes.
    let path = std::env::temp_dir().join(format!("payseal-deny-{}.txt", std::process::id()));
    std::fs::write(&path, "# nothing revoked yet\n").unwrap();
    let resolver = X509Resolver::new([ca.der().as_slice()])
        .unwrap()
        .with_deny_file(&path)
        .unwrap();
    let clock = ManualClock::new(NOW);
    let mut sealer =
        Sealer::new(key, Counter::starting_at(1), &clock).with_x5chain(vec![cert.clone()]);
    let mut opener = opener(resolver, &clock);
    assert!(
        opener
            .open("plant/1", &sealer.seal("plant/1", b"a").unwrap())
            .is_ok()
    );
    assert_eq!(opener.trust().cached(), 1);
    std::fs::write(&path, format!("sha256:{}\n", hex(&sha256(&cert)))).unwrap();
    clock.advance(1);
    assert_eq!(
        opener.open("plant/1", &sealer.seal("plant/1", b"b").unwrap()),
        Err(Rejection::CertificateRevoked)
    );
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn a_crl_revokes_a_certificate() {
    let ca = Ca::new("payseal dev CA");
    let device = Device::new(Algorithm::Ed25519);
    let key = device.key();
    let cert = device_cert(&ca, &device, "sensor-3", &["plant/#"], Twist::None);
    let crl = rcgen::CertificateRevocationListParams {
        this_update: date_time_ymd(2023, 1, 1),
        next_update: date_time_ymd(2030, 1, 1),
        crl_number: rcgen::SerialNumber::from(1u64),
        issuing_distribution_point: None,
        revoked_certs: vec![rcgen::RevokedCertParams {
            serial_number: rcgen::SerialNumber::from_slice(&[0x1f, 0x03]),
            revocation_time: date_time_ymd(2023, 6, 1),
            reason_code: None,
            invalidity_date: None,
        }],
        key_identifier_method: rcgen::KeyIdMethod::Sha256,
    }
    .signed_by(&ca.issuer)
    .unwrap();
    let mut resolver = X509Resolver::new([ca.der().as_slice()]).unwrap();
    resolver.add_crl(crl.der()).unwrap();
    assert_eq!(
        roundtrip(resolver, key, vec![cert], "plant/1").unwrap_err(),
        Rejection::CertificateRevoked
    );
}

#[test]
fn x5t_names_a_registered_chain() {
    let ca = Ca::new("payseal dev CA");
    let device = Device::new(Algorithm::EcdsaP256);
    let key = device.key();
    let cert = device_cert(&ca, &device, "sensor-3", &["plant/#"], Twist::None);
    let mut resolver = X509Resolver::new([ca.der().as_slice()]).unwrap();
    let clock = ManualClock::new(NOW);
    let mut sealer =
        Sealer::new(key, Counter::starting_at(1), &clock).with_x5t(CertHash::sha256(sha256(&cert)));
    let envelope = sealer.seal("plant/1", b"x").unwrap();
    // Not registered: nothing to validate.
    let mut unregistered = opener(X509Resolver::new([ca.der().as_slice()]).unwrap(), &clock);
    assert_eq!(
        unregistered.open("plant/1", &envelope),
        Err(Rejection::CertificateInvalid)
    );
    resolver.register_chain(vec![cert]);
    assert!(opener(resolver, &clock).open("plant/1", &envelope).is_ok());
}

#[test]
fn the_cache_honours_not_after() {
    let ca = Ca::new("payseal dev CA");
    let device = Device::new(Algorithm::Ed25519);
    let key = device.key();
    let cert = device_cert(&ca, &device, "sensor-3", &["plant/#"], Twist::None);
    let clock = ManualClock::new(NOW);
    let mut sealer = Sealer::new(key, Counter::starting_at(1), &clock).with_x5chain(vec![cert]);
    let resolver = X509Resolver::new([ca.der().as_slice()]).unwrap();
    let mut opener = Opener::with_resolver(
        resolver,
        Policy::default().with_max_age(u64::MAX / 4).unwrap(),
        &clock,
    );
    let early = sealer.seal("plant/1", b"a").unwrap();
    assert!(opener.open("plant/1", &early).is_ok());
    assert_eq!(opener.trust().cached(), 1);
    // 2026: the cached chain has expired since; it is validated again and refused.
    clock.set(1_780_000_000);
    let late = sealer.seal("plant/1", b"b").unwrap();
    assert_eq!(
        opener.open("plant/1", &late),
        Err(Rejection::CertificateExpired)
    );
}

#[test]
fn a_static_trust_store_ignores_certificates() {
    let ca = Ca::new("payseal dev CA");
    let device = Device::new(Algorithm::Ed25519);
    let key = device.key();
    let cert = device_cert(&ca, &device, "sensor-3", &[], Twist::Expired);
    let mut trust = payseal::TrustStore::new();
    trust.add_sender(key.verifying_key(), ["plant/#"]).unwrap();
    let clock = ManualClock::new(NOW);
    let mut sealer = Sealer::new(key, Counter::starting_at(1), &clock).with_x5chain(vec![cert]);
    let envelope = sealer.seal("plant/1", b"x").unwrap();
    let verified = Opener::new(trust, Policy::default(), &clock)
        .open("plant/1", &envelope)
        .unwrap();
    assert_eq!(verified.identity(), None);
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A receiver that does not know the time.
struct NoClock;

impl payseal::Clock for NoClock {
    fn now(&self) -> Option<u64> {
        None
    }
}

#[test]
fn an_unknown_clock_fails_closed_and_valid_chains_are_validated_once() {
    let ca = Ca::new("payseal dev CA");
    let device = Device::new(Algorithm::Ed25519);
    let cert = device_cert(&ca, &device, "sensor-3", &["plant/#"], Twist::None);
    let clock = ManualClock::new(NOW);
    let mut sealer =
        Sealer::new(device.key(), Counter::starting_at(1), &clock).with_x5chain(vec![cert]);
    let first = sealer.seal("plant/1", b"a").unwrap();
    let second = sealer.seal("plant/1", b"b").unwrap();

    let resolver = X509Resolver::new([ca.der().as_slice()]).unwrap();
    let mut blind = Opener::with_resolver(resolver, Policy::default(), NoClock);
    assert_eq!(
        blind.open("plant/1", &first),
        Err(Rejection::CertificateExpired)
    );
    assert_eq!(blind.trust().cached(), 0);

    let resolver = X509Resolver::new([ca.der().as_slice()]).unwrap();
    let mut opener = opener(resolver, &clock);
    assert!(opener.open("plant/1", &first).is_ok());
    assert!(opener.open("plant/1", &second).is_ok());
    assert_eq!(opener.trust().cached(), 1);
}

/// Issue 16 item 2: `openssl x509 -serial` prints `8F03` for the DER serial `00 8f 03`; the
/// deny list must revoke it in every spelling an operator may paste.
#[test]
fn deny_by_serial_matches_serials_with_the_high_bit_set() {
    let ca = Ca::new("payseal dev CA");
    let device = Device::new(Algorithm::Ed25519);
    let cert = device_cert(&ca, &device, "sensor-3", &["plant/#"], Twist::HighBitSerial);
    let parsed = <x509_cert::Certificate as x509_cert::der::Decode>::from_der(&cert).unwrap();
    assert_eq!(
        parsed.tbs_certificate().serial_number().as_bytes(),
        [0x00, 0x8f, 0x03],
        "the DER serial carries its sign byte"
    );
    for line in [
        "serial:8F03",
        "serial=8F03",
        "serial:8f:03",
        "serial:8F:03",
        "serial:008f03",
        "serial:00:8F:03",
    ] {
        let resolver = X509Resolver::new([ca.der().as_slice()])
            .unwrap()
            .with_deny_list(DenyList::parse(line).unwrap());
        assert_eq!(
            roundtrip(resolver, device.key(), vec![cert.clone()], "plant/1").unwrap_err(),
            Rejection::CertificateRevoked,
            "{line}"
        );
    }
    // Another serial still passes.
    let resolver = X509Resolver::new([ca.der().as_slice()])
        .unwrap()
        .with_deny_list(DenyList::parse("serial:8F04\nserial:8F\n").unwrap());
    assert!(roundtrip(resolver, device.key(), vec![cert], "plant/1").is_ok());
    for bad in [
        "serial:",
        "serial:+f",
        "serial:8g",
        "serial::8f",
        "serial:8f:",
    ] {
        assert!(DenyList::parse(bad).is_err(), "{bad}");
    }
}

/// Issue 16 item 13: an edit that keeps the size and the modification time (same-length
/// serial, mtime restored) must still be picked up: the content is compared, not metadata.
#[test]
fn deny_file_edits_are_detected_by_content_not_mtime_and_size() {
    let ca = Ca::new("payseal dev CA");
    let device = Device::new(Algorithm::Ed25519);
    let cert = device_cert(&ca, &device, "sensor-3", &["plant/#"], Twist::None);
    let path =
        std::env::temp_dir().join(format!("payseal-deny-same-size-{}.txt", std::process::id()));
    std::fs::write(&path, "serial:1f04\n").unwrap();
    let mtime = std::fs::metadata(&path).unwrap().modified().unwrap();
    let resolver = X509Resolver::new([ca.der().as_slice()])
        .unwrap()
        .with_deny_file(&path)
        .unwrap();
    let clock = ManualClock::new(NOW);
    let mut sealer =
        Sealer::new(device.key(), Counter::starting_at(1), &clock).with_x5chain(vec![cert]);
    let mut opener = opener(resolver, &clock);
    assert!(
        opener
            .open("plant/1", &sealer.seal("plant/1", b"a").unwrap())
            .is_ok()
    );
    // Same size, same mtime, now revoking this certificate's serial 1f03.
    std::fs::write(&path, "serial:1f03\n").unwrap();
    std::fs::File::options()
        .write(true)
        .open(&path)
        .unwrap()
        .set_modified(mtime)
        .unwrap();
    assert_eq!(std::fs::metadata(&path).unwrap().modified().unwrap(), mtime);
    clock.advance(1);
    let revoked = opener.open("plant/1", &sealer.seal("plant/1", b"b").unwrap());
    // A broken file keeps the list in force (and is logged, not fatal).
    std::fs::write(&path, "not a deny list\n").unwrap();
    clock.advance(1);
    let still_revoked = opener.open("plant/1", &sealer.seal("plant/1", b"c").unwrap());
    std::fs::remove_file(&path).unwrap();
    assert_eq!(revoked, Err(Rejection::CertificateRevoked));
    assert_eq!(still_revoked, Err(Rejection::CertificateRevoked));
}

/// Issue 16 item 17: the cache was keyed on the whole chain and emptied when 4096 entries
/// were reached. A broker holding one genuine certificate could append a different junk
/// "certificate" to it each time (path building never looks at an unused intermediate, so
/// every variant validates and was cached), and so flush every sender's cached chain every
/// 4096 messages. Variants of one leaf now share its entry: they take no slot, and once the
/// leaf is cached they cost no validation either.
#[test]
fn a_broker_cycling_chain_variants_cannot_flush_the_cache() {
    let ca = Ca::new("payseal dev CA");
    let device = Device::new(Algorithm::Ed25519);
    let cert = device_cert(&ca, &device, "sensor-3", &["plant/#"], Twist::None);
    let clock = ManualClock::new(NOW);
    let resolver = X509Resolver::new([ca.der().as_slice()]).unwrap();
    let mut opener = opener(resolver, &clock);
    let mut sealer =
        Sealer::new(device.key(), Counter::starting_at(1), &clock).with_x5chain(vec![cert.clone()]);
    let genuine = sealer.seal("plant/1", b"a").unwrap();
    let started = std::time::Instant::now();
    assert!(opener.open("plant/1", &genuine).is_ok());
    let first = started.elapsed();
    assert_eq!(opener.trust().cached(), 1);

    // The broker: the genuine leaf plus junk, 4095 distinct variants (signed by anyone: the
    // chain is looked at before the signature).
    let started = std::time::Instant::now();
    let variants = 4095u32;
    for i in 0..variants {
        let thief = SigningKey::generate(Algorithm::Ed25519).unwrap();
        let mut forged = Sealer::new(thief, Counter::starting_at(1), &clock)
            .with_kid(device.key().kid())
            .with_x5chain(vec![cert.clone(), i.to_be_bytes().to_vec()]);
        let envelope = forged.seal("plant/1", b"x").unwrap();
        assert_eq!(
            opener.open("plant/1", &envelope),
            Err(Rejection::BadSignature)
        );
    }
    let cycling = started.elapsed();
    eprintln!(
        "first (validating) open {first:?}; {variants} junk variants {cycling:?} ({:?} each)",
        cycling / variants
    );
    assert_eq!(
        opener.trust().cached(),
        1,
        "junk variants of one leaf took cache slots"
    );
    // Nor did they cost a validation each: the leaf and its (empty) path were cached.
    assert_eq!(opener.trust().validations(), 1);
    let again = sealer.seal("plant/1", b"b").unwrap();
    assert!(opener.open("plant/1", &again).is_ok());
}
