//! `test-vectors/x5chain.json`: envelopes whose sender carries an X.509 chain (spec §3.6),
//! checked by a PKI receiver (payseal-x509) against one trust anchor.
//!
//! Deterministic: fixed Ed25519 CA keys (Ed25519 signatures are deterministic), fixed serial
//! numbers and validity dates, device keys from keys.rs, RFC 6979 ECDSA envelope signatures.

use payseal::CertHash;
use payseal::{Algorithm, Counter, ManualClock, Sealer, SigningKey};
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose, PublicKeyData, SanType, SerialNumber, SignatureAlgorithm,
    date_time_ymd,
};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::keys;

/// 2023-11-14T22:13:20Z, inside every certificate's validity unless a vector says otherwise.
const NOW: u64 = 1_700_000_000;

#[derive(Serialize)]
pub(crate) struct X5File {
    profile: &'static str,
    source: &'static str,
    /// The receiver's trust anchor (DER, hex).
    trust_anchor: String,
    /// The receiver's deny list, in the payseal-x509 file format.
    deny_list: Vec<String>,
    /// How topic rights are read from a certificate.
    topic_rights: &'static str,
    policy: crate::model::PolicyEntry,
    vectors: Vec<X5Vector>,
}

#[derive(Serialize)]
struct X5Vector {
    id: &'static str,
    description: &'static str,
    /// The x5chain as carried (DER, hex, leaf first).
    chain: Vec<String>,
    topic: &'static str,
    payload: String,
    seq: u64,
    timestamp: u64,
    envelope: String,
    now: u64,
    /// The receiver's x5chain budget for this vector, when not the default (spec §4.3).
    #[serde(skip_serializing_if = "Option::is_none")]
    limits: Option<Budget>,
    expected: &'static str,
}

/// An x5chain budget other than the default 4 certificates / 4096 bytes.
#[derive(Serialize, Clone, Copy)]
struct Budget {
    max_x5chain_certs: usize,
    max_x5chain_bytes: usize,
}

/// A public key for rcgen to certify, from a payseal test key.
struct Public {
    raw: Vec<u8>,
    alg: &'static SignatureAlgorithm,
}

impl PublicKeyData for Public {
    fn der_bytes(&self) -> &[u8] {
        &self.raw
    }

    fn algorithm(&self) -> &'static SignatureAlgorithm {
        self.alg
    }
}

fn public(key: &SigningKey) -> Public {
    let raw = keys::raw_public(&key.verifying_key());
    let alg = match key.algorithm() {
        Algorithm::Ed25519 => &rcgen::PKCS_ED25519,
        _ => &rcgen::PKCS_ECDSA_P256_SHA256,
    };
    Public { raw, alg }
}

/// An Ed25519 CA key from a fixed secret, as rcgen wants it.
fn ca_key(name: &str) -> KeyPair {
    let secret = Sha256::digest(format!("payseal test CA {name}").as_bytes());
    let key = SigningKey::from_secret_bytes(Algorithm::Ed25519, &secret).expect("valid");
    KeyPair::from_pem(&key.to_pkcs8_pem().expect("encodes")).expect("rcgen reads PKCS#8")
}

fn ca(
    name: &str,
    serial: u8,
    parent: Option<&CertifiedIssuer<'static, KeyPair>>,
) -> CertifiedIssuer<'static, KeyPair> {
    issuer(
        Issuer {
            name,
            key: name,
            serial,
            ca: true,
            not_after: (2040, 1, 1),
        },
        parent,
    )
}

/// How an issuing certificate differs from a well-formed CA.
struct Issuer<'a> {
    /// Subject common name.
    name: &'a str,
    /// Which fixed key signs (another than `name`'s makes an impostor of that name).
    key: &'a str,
    serial: u8,
    /// basicConstraints cA.
    ca: bool,
    not_after: (i32, u8, u8),
}

fn issuer(
    spec: Issuer<'_>,
    parent: Option<&CertifiedIssuer<'static, KeyPair>>,
) -> CertifiedIssuer<'static, KeyPair> {
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("no SANs");
    params
        .distinguished_name
        .push(DnType::CommonName, spec.name);
    if spec.ca {
        params.is_ca = IsCa::Ca(BasicConstraints::Constrained(1));
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    } else {
        params.is_ca = IsCa::ExplicitNoCa;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    }
    params.not_before = date_time_ymd(2020, 1, 1);
    let (y, m, d) = spec.not_after;
    params.not_after = date_time_ymd(y, m, d);
    params.serial_number = Some(SerialNumber::from_slice(&[spec.serial]));
    match parent {
        None => CertifiedIssuer::self_signed(params, ca_key(spec.key)).expect("issues"),
        Some(parent) => {
            CertifiedIssuer::signed_by(params, ca_key(spec.key), parent).expect("issues")
        }
    }
}

struct Leaf {
    cn: &'static str,
    topics: &'static [&'static str],
    /// The serial number's unsigned big-endian bytes (rcgen adds the DER sign byte).
    serial: &'static [u8],
    not_before: (i32, u8, u8),
    not_after: (i32, u8, u8),
    usage: KeyUsagePurpose,
    /// extendedKeyUsage, if any.
    eku: Option<ExtendedKeyUsagePurpose>,
    /// basicConstraints cA on a leaf (which must not be a CA).
    ca: bool,
}

const GOOD: Leaf = Leaf {
    cn: "sensor-1",
    topics: &["sensors/1/+"],
    serial: &[0x10],
    not_before: (2023, 1, 1),
    not_after: (2030, 1, 1),
    usage: KeyUsagePurpose::DigitalSignature,
    eku: None,
    ca: false,
};

fn leaf(issuer: &CertifiedIssuer<'static, KeyPair>, key: &SigningKey, leaf: &Leaf) -> Vec<u8> {
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("no SANs");
    params.distinguished_name.push(DnType::CommonName, leaf.cn);
    params.subject_alt_names = leaf
        .topics
        .iter()
        .map(|t| SanType::URI(format!("mqtt-topic:{t}").try_into().expect("ASCII")))
        .collect();
    params.key_usages = vec![leaf.usage];
    params.extended_key_usages = leaf.eku.iter().cloned().collect();
    if leaf.ca {
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    }
    params.serial_number = Some(SerialNumber::from_slice(leaf.serial));
    let (y, m, d) = leaf.not_before;
    params.not_before = date_time_ymd(y, m, d);
    let (y, m, d) = leaf.not_after;
    params.not_after = date_time_ymd(y, m, d);
    params
        .signed_by(&public(key), issuer)
        .expect("issues")
        .der()
        .to_vec()
}

#[allow(clippy::too_many_arguments)]
fn vector(
    id: &'static str,
    description: &'static str,
    signer: &SigningKey,
    kid: Option<payseal::Kid>,
    chain: Vec<Vec<u8>>,
    topic: &'static str,
    expected: &'static str,
) -> X5Vector {
    let payload = b"{\"celsius\":21.5}";
    let seq = 7;
    let clock = ManualClock::new(NOW);
    let key =
        SigningKey::from_secret_bytes(signer.algorithm(), signer.expose_secret_bytes().as_ref())
            .expect("same key");
    let mut sealer = Sealer::new(key, Counter::starting_at(seq), &clock);
    if !chain.is_empty() {
        sealer = sealer.with_x5chain(chain.clone());
    }
    if let Some(kid) = kid {
        sealer = sealer.with_kid(kid);
    }
    let envelope = sealer.seal(topic, payload).expect("seals");
    X5Vector {
        id,
        description,
        chain: chain.iter().map(hex::encode).collect(),
        topic,
        payload: hex::encode(payload),
        seq,
        timestamp: NOW,
        envelope: hex::encode(envelope),
        now: NOW,
        limits: None,
        expected,
    }
}

impl X5Vector {
    /// Re-seals the same message with an `x5t` too (or only, when `chain` was empty).
    fn with_x5t(mut self, signer: &SigningKey, chain: &[Vec<u8>], hash: CertHash) -> Self {
        let clock = ManualClock::new(NOW);
        let key = SigningKey::from_secret_bytes(
            signer.algorithm(),
            signer.expose_secret_bytes().as_ref(),
        )
        .expect("same key");
        let mut sealer = Sealer::new(key, Counter::starting_at(self.seq), &clock).with_x5t(hash);
        if !chain.is_empty() {
            sealer = sealer.with_x5chain(chain.to_vec());
        }
        let envelope = sealer
            .seal(self.topic, b"{\"celsius\":21.5}")
            .expect("seals");
        self.envelope = hex::encode(envelope);
        self
    }

    fn with_budget(mut self, certs: usize, bytes: usize) -> Self {
        self.limits = Some(Budget {
            max_x5chain_certs: certs,
            max_x5chain_bytes: bytes,
        });
        self
    }
}

pub(crate) fn build() -> X5File {
    let root = ca("payseal test root", 1, None);
    let intermediate = ca("payseal test intermediate", 2, Some(&root));
    let other = ca("someone else's root", 3, None);
    let not_ca = issuer(
        Issuer {
            name: "payseal test not a CA",
            key: "not a CA",
            serial: 4,
            ca: false,
            not_after: (2040, 1, 1),
        },
        Some(&root),
    );
    let expired_intermediate = issuer(
        Issuer {
            name: "payseal test expired intermediate",
            key: "expired intermediate",
            serial: 5,
            ca: true,
            not_after: (2023, 6, 1),
        },
        Some(&root),
    );
    let denied_intermediate = ca("payseal test denied intermediate", 6, Some(&root));
    let impostor = issuer(
        Issuer {
            name: "payseal test root",
            key: "impostor",
            serial: 7,
            ca: true,
            not_after: (2040, 1, 1),
        },
        None,
    );
    let ed = keys::key("ed25519-a");
    let p256 = keys::key("p256-a");
    let good_ed = leaf(&root, &ed, &GOOD);
    let revoked = leaf(
        &root,
        &ed,
        &Leaf {
            serial: &[0x66],
            ..GOOD
        },
    );
    // Serial 0x8f03: DER INTEGER content `00 8f 03`, denied as `serial:8F03` (issue 16).
    let revoked_high_serial = leaf(
        &root,
        &ed,
        &Leaf {
            serial: &[0x8f, 0x03],
            ..GOOD
        },
    );
    let vectors = vec![
        vector(
            "valid-ed25519",
            "an Ed25519 leaf issued by the root",
            &ed,
            None,
            vec![good_ed.clone()],
            "sensors/1/temp",
            "valid",
        ),
        vector(
            "valid-p256",
            "a P-256 leaf issued by the root",
            &p256,
            None,
            vec![leaf(&root, &p256, &GOOD)],
            "sensors/1/temp",
            "valid",
        ),
        vector(
            "valid-intermediate",
            "an Ed25519 leaf issued by an intermediate, chain [leaf, intermediate]",
            &ed,
            None,
            vec![leaf(&intermediate, &ed, &GOOD), intermediate.der().to_vec()],
            "sensors/1/temp",
            "valid",
        ),
        vector(
            "invalid-expired",
            "the leaf expired on 2023-06-01",
            &ed,
            None,
            vec![leaf(
                &root,
                &ed,
                &Leaf {
                    not_after: (2023, 6, 1),
                    ..GOOD
                },
            )],
            "sensors/1/temp",
            "certificate_expired",
        ),
        vector(
            "invalid-not-yet-valid",
            "the leaf is valid from 2024-01-01",
            &ed,
            None,
            vec![leaf(
                &root,
                &ed,
                &Leaf {
                    not_before: (2024, 1, 1),
                    ..GOOD
                },
            )],
            "sensors/1/temp",
            "certificate_not_yet_valid",
        ),
        vector(
            "invalid-unknown-ca",
            "the leaf is issued by another root",
            &ed,
            None,
            vec![leaf(&other, &ed, &GOOD)],
            "sensors/1/temp",
            "unknown_ca",
        ),
        vector(
            "invalid-key-usage",
            "the leaf's keyUsage is keyAgreement only, not digitalSignature",
            &ed,
            None,
            vec![leaf(
                &root,
                &ed,
                &Leaf {
                    usage: KeyUsagePurpose::KeyAgreement,
                    ..GOOD
                },
            )],
            "sensors/1/temp",
            "key_usage",
        ),
        vector(
            "invalid-revoked",
            "the leaf's thumbprint is on the deny list",
            &ed,
            None,
            vec![revoked.clone()],
            "sensors/1/temp",
            "certificate_revoked",
        ),
        vector(
            "invalid-revoked-serial-high-bit",
            "the leaf's serial 0x8f03 has its high bit set (DER INTEGER content 00 8f 03); the deny list names it as `openssl x509 -serial` prints it, `serial:8F03`: serials compare as unsigned integers",
            &ed,
            None,
            vec![revoked_high_serial],
            "sensors/1/temp",
            "certificate_revoked",
        ),
        vector(
            "invalid-topic",
            "the leaf grants sensors/1/+ only",
            &ed,
            None,
            vec![good_ed.clone()],
            "sensors/2/temp",
            "topic_not_authorized",
        ),
        vector(
            "invalid-algorithm-mismatch",
            "the leaf certifies a P-256 key; the envelope says Ed25519 (signed by another key under the P-256 key's kid)",
            &ed,
            Some(p256.kid()),
            vec![leaf(&root, &p256, &GOOD)],
            "sensors/1/temp",
            "algorithm_mismatch",
        ),
        vector(
            "invalid-kid",
            "a valid chain for the P-256 key, in an envelope signed by and naming an Ed25519 key",
            &ed,
            None,
            vec![leaf(&root, &p256, &GOOD)],
            "sensors/1/temp",
            "certificate_invalid",
        ),
        // spec/x509.md: one vector per rule, and pairs of violations that pin the order.
        vector(
            "invalid-no-chain",
            "an envelope with neither x5chain nor x5t, for a PKI receiver (x509.md step 2)",
            &ed,
            None,
            Vec::new(),
            "sensors/1/temp",
            "unknown_sender",
        ),
        vector(
            "invalid-x5t-unknown",
            "x5t only, naming a certificate the receiver has not registered (x509.md step 2)",
            &ed,
            None,
            Vec::new(),
            "sensors/1/temp",
            "certificate_invalid",
        )
        .with_x5t(&ed, &[], CertHash::sha256(Sha256::digest(&good_ed).into())),
        vector(
            "invalid-x5t-not-the-leaf",
            "a valid chain, and an x5t that is the SHA-256 of another certificate (x509.md step 2)",
            &ed,
            None,
            vec![good_ed.clone()],
            "sensors/1/temp",
            "certificate_invalid",
        )
        .with_x5t(&ed, std::slice::from_ref(&good_ed), CertHash::sha256(Sha256::digest(root.der()).into())),
        vector(
            "valid-x5t-matches-leaf",
            "a valid chain and an x5t that is the SHA-256 (-16) of its leaf (x509.md step 2)",
            &ed,
            None,
            vec![good_ed.clone()],
            "sensors/1/temp",
            "valid",
        )
        .with_x5t(&ed, std::slice::from_ref(&good_ed), CertHash::sha256(Sha256::digest(&good_ed).into())),
        vector(
            "invalid-budget-zero",
            "a valid chain, for a receiver whose certificate budget is 0 (chains refused): the protected header may then hold 256 bytes in all (envelope.md §4.2 step 6), which the chain exceeds",
            &ed,
            None,
            vec![good_ed.clone()],
            "sensors/1/temp",
            "too_large",
        )
        .with_budget(0, 0),
        vector(
            "invalid-leaf-is-ca",
            "the leaf has basicConstraints cA=true (x509.md step 4)",
            &ed,
            None,
            vec![leaf(&root, &ed, &Leaf { ca: true, ..GOOD })],
            "sensors/1/temp",
            "certificate_invalid",
        ),
        vector(
            "invalid-eku-server-auth",
            "the leaf's extendedKeyUsage lists id-kp-serverAuth only, not id-kp-clientAuth (x509.md step 4)",
            &ed,
            None,
            vec![leaf(&root, &ed, &Leaf { eku: Some(ExtendedKeyUsagePurpose::ServerAuth), ..GOOD })],
            "sensors/1/temp",
            "key_usage",
        ),
        vector(
            "valid-eku-client-auth",
            "the leaf's extendedKeyUsage lists id-kp-clientAuth (x509.md step 4)",
            &ed,
            None,
            vec![leaf(&root, &ed, &Leaf { eku: Some(ExtendedKeyUsagePurpose::ClientAuth), ..GOOD })],
            "sensors/1/temp",
            "valid",
        ),
        vector(
            "invalid-intermediate-not-ca",
            "chain [leaf, issuer]: the issuer is signed by the root but is not a CA (basicConstraints cA=false) (x509.md step 5)",
            &ed,
            None,
            vec![leaf(&not_ca, &ed, &GOOD), not_ca.der().to_vec()],
            "sensors/1/temp",
            "certificate_invalid",
        ),
        vector(
            "invalid-intermediate-expired",
            "chain [leaf, intermediate]: the intermediate expired on 2023-06-01 (x509.md step 5)",
            &ed,
            None,
            vec![leaf(&expired_intermediate, &ed, &GOOD), expired_intermediate.der().to_vec()],
            "sensors/1/temp",
            "certificate_expired",
        ),
        vector(
            "invalid-intermediate-revoked",
            "chain [leaf, intermediate]: the intermediate's thumbprint is on the deny list (x509.md step 6: every certificate of the path but the anchor)",
            &ed,
            None,
            vec![leaf(&denied_intermediate, &ed, &GOOD), denied_intermediate.der().to_vec()],
            "sensors/1/temp",
            "certificate_revoked",
        ),
        vector(
            "invalid-bad-chain-signature",
            "the leaf names the root as its issuer but is signed by another key (an impostor CA of the same name) (x509.md step 5)",
            &ed,
            None,
            vec![leaf(&impostor, &ed, &GOOD)],
            "sensors/1/temp",
            "certificate_invalid",
        ),
        vector(
            "invalid-expired-and-revoked",
            "the leaf expired on 2023-06-01 and its serial 8f03 is on the deny list: validity (step 4) comes before the deny list (step 6)",
            &ed,
            None,
            vec![leaf(&root, &ed, &Leaf { serial: &[0x8f, 0x03], not_after: (2023, 6, 1), ..GOOD })],
            "sensors/1/temp",
            "certificate_expired",
        ),
        vector(
            "invalid-revoked-and-key-usage",
            "the leaf's serial 8f03 is on the deny list and its keyUsage lacks digitalSignature: the deny list (step 6) comes before keyUsage (step 7)",
            &ed,
            None,
            vec![leaf(&root, &ed, &Leaf { serial: &[0x8f, 0x03], usage: KeyUsagePurpose::KeyAgreement, ..GOOD })],
            "sensors/1/temp",
            "certificate_revoked",
        ),
    ];
    X5File {
        profile: payseal::PROFILE,
        source: "generated by `cargo run -p payseal-vectors` (deterministic); see spec/envelope.md §3.6 and payseal-x509",
        trust_anchor: hex::encode(root.der()),
        deny_list: vec![
            format!("sha256:{}", hex::encode(Sha256::digest(&revoked))),
            format!(
                "sha256:{}",
                hex::encode(Sha256::digest(denied_intermediate.der()))
            ),
            "serial:8F03".to_owned(),
        ],
        topic_rights: "the topic filters in the leaf's subjectAltName URIs `mqtt-topic:<filter>`",
        policy: crate::model::PolicyEntry {
            max_age: 300,
            max_future_skew: 30,
            window: 64,
            max_envelope_bytes: 4096,
        },
        vectors,
    }
}
