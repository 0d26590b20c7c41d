use alloc::format;
use alloc::string::ToString;

use super::*;
use crate::Algorithm;

fn keys() -> [SigningKey; 3] {
    Algorithm::ALL.map(|alg| SigningKey::from_secret_bytes(alg, &[7; 32]).unwrap())
}

#[test]
fn debug_never_shows_the_secret() {
    for key in keys() {
        let secret: alloc::string::String = key
            .expose_secret_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let debug = format!("{key:?}");
        assert!(!debug.contains(&secret), "{debug}");
        assert!(!debug.contains("070707"), "{debug}");
        assert!(debug.contains("kid"));
    }
}

#[test]
fn pem_der_and_cose_key_round_trip() {
    for key in keys() {
        let public = key.verifying_key();
        let pem = key.to_pkcs8_pem().unwrap();
        assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----"));
        let again = SigningKey::from_pkcs8_pem(&pem).unwrap();
        assert_eq!(again.verifying_key(), public);
        assert_eq!(again.algorithm(), key.algorithm());

        let spki = public.to_public_key_pem().unwrap();
        assert_eq!(VerifyingKey::from_public_key_pem(&spki).unwrap(), public);
        let der = public.to_public_key_der().unwrap();
        assert_eq!(VerifyingKey::from_public_key_der(&der).unwrap(), public);

        let cose = key.to_cose_key().unwrap();
        assert_eq!(
            SigningKey::from_cose_key(&cose).unwrap().verifying_key(),
            public
        );
        assert_eq!(VerifyingKey::from_cose_key(&cose).unwrap(), public);
        let cose_public = public.to_cose_key().unwrap();
        assert_eq!(VerifyingKey::from_cose_key(&cose_public).unwrap(), public);
        assert!(
            SigningKey::from_cose_key(&cose_public).is_err(),
            "no d, no private key"
        );
    }
}

#[test]
fn signatures_verify_only_with_the_right_key_and_message() {
    let [a, b, c] = keys();
    for (signer, other) in [(&a, &b), (&b, &c), (&c, &a)] {
        let sig = signer.sign(b"message");
        assert!(signer.verifying_key().verify(b"message", &sig).is_ok());
        assert!(signer.verifying_key().verify(b"messagf", &sig).is_err());
        assert!(other.verifying_key().verify(b"message", &sig).is_err());
    }
}

#[test]
fn garbage_key_files_are_refused() {
    assert!(SigningKey::from_pkcs8_pem("not a key").is_err());
    assert!(
        VerifyingKey::from_public_key_pem(
            "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"
        )
        .is_err()
    );
    assert!(SigningKey::from_cose_key(&[0xa0]).is_err());
    assert!(VerifyingKey::from_cose_key(&[0xff, 0x00]).is_err());
    // A private PEM is not a public key and the other way round.
    let [a, ..] = keys();
    let private = a.to_pkcs8_pem().unwrap();
    assert!(VerifyingKey::from_public_key_pem(&private).is_err());
    let public = a.verifying_key().to_public_key_pem().unwrap();
    assert!(SigningKey::from_pkcs8_pem(&public).is_err());
}

#[test]
fn zero_and_out_of_range_ecdsa_scalars_are_refused() {
    for alg in [Algorithm::EcdsaP256, Algorithm::EcdsaSecp256k1] {
        assert_eq!(
            SigningKey::from_secret_bytes(alg, &[0; 32]).err(),
            Some(crate::KeyError::Invalid)
        );
        assert!(SigningKey::from_secret_bytes(alg, &[0xff; 32]).is_err());
    }
    assert!(SigningKey::from_secret_bytes(Algorithm::Ed25519, &[1; 31]).is_err());
}

/// RFC 9679 §6: the thumbprint of the P-256 key from RFC 9052 Appendix C.7.1.
#[test]
fn thumbprint_matches_rfc_9679_example() {
    let x = "65eda5a12577c2bae829437fe338701a10aaa375e1bb5b5de108de439c08551d";
    let y = "1e52ed75701163f7f9e40ddf9f341b3dc9ba860af7e0ca7ca7e9eecd0084d19c";
    let mut sec1 = alloc::vec![4u8];
    for h in [x, y] {
        sec1.extend(
            (0..h.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&h[i..i + 2], 16).unwrap()),
        );
    }
    let key = VerifyingKey::P256(p256::ecdsa::VerifyingKey::from_sec1_bytes(&sec1).unwrap());
    let thumbprint: alloc::string::String = key
        .thumbprint()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(
        thumbprint,
        "496bd8afadf307e5b08c64b0421bf9dc01528a344a43bda88fadd1669da253ec"
    );
    assert_eq!(key.kid().to_string(), "496bd8afadf307e5");
}

#[cfg(feature = "std")]
#[test]
fn generated_keys_differ() {
    for alg in Algorithm::ALL {
        let a = SigningKey::generate(alg).unwrap();
        let b = SigningKey::generate(alg).unwrap();
        assert_ne!(a.verifying_key(), b.verifying_key());
    }
}

#[test]
fn cose_keys_with_wrong_alg_or_sizes_are_refused() {
    use ciborium::Value;
    let key = SigningKey::from_secret_bytes(Algorithm::EcdsaP256, &[7; 32]).unwrap();
    let good = key.verifying_key().to_cose_key().unwrap();
    let Value::Map(entries) = ciborium::from_reader::<Value, _>(good.as_slice()).unwrap() else {
        panic!("a COSE_Key is a map")
    };
    let with = |label: i64, value: Value| {
        let mut e = entries.clone();
        e.retain(|(k, _)| *k != Value::from(label));
        e.push((Value::from(label), value));
        let mut out = alloc::vec::Vec::new();
        ciborium::into_writer(&Value::Map(e), &mut out).unwrap();
        out
    };
    assert!(
        VerifyingKey::from_cose_key(&with(3, Value::from(-7))).is_ok(),
        "ES256 is P-256 too"
    );
    assert!(
        VerifyingKey::from_cose_key(&with(3, Value::from(-35))).is_err(),
        "ES384"
    );
    assert!(
        VerifyingKey::from_cose_key(&with(3, Value::from(-19))).is_err(),
        "Ed25519"
    );
    assert!(VerifyingKey::from_cose_key(&with(-2, Value::Bytes(alloc::vec![1; 31]))).is_err());
}

#[test]
fn small_order_ed25519_keys_are_refused() {
    // The identity point (y = 1) has order 1.
    let mut identity = [0u8; 32];
    identity[0] = 1;
    let mut der = alloc::vec![
        0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00
    ];
    der.extend_from_slice(&identity);
    assert_eq!(
        VerifyingKey::from_public_key_der(&der),
        Err(crate::KeyError::WeakKey)
    );
}

/// Issue 16 item 17: a small-order Ed25519 key was refused as "invalid key material" here,
/// and the CLI then reported "not a supported X25519 or P-256 SPKI public key". Every path
/// (DER, PEM, COSE_Key; the canonical small-order points and a non-canonical encoding) says
/// it is a weak key.
#[test]
fn a_small_order_ed25519_key_is_refused_as_a_weak_key() {
    let spki = |point: &[u8; 32]| {
        let mut der = alloc::vec![
            0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00
        ];
        der.extend_from_slice(point);
        der
    };
    let mut points: alloc::vec::Vec<[u8; 32]> = alloc::vec::Vec::new();
    // The identity (y = 1), the point of order 2 (y = -1 = p - 1), and y = 0 (order 4).
    let mut identity = [0u8; 32];
    identity[0] = 1;
    points.push(identity);
    let mut minus_one = [0xffu8; 32];
    minus_one[0] = 0xec;
    minus_one[31] = 0x7f;
    points.push(minus_one);
    points.push([0u8; 32]);
    // The identity again, non-canonically: y = p + 1.
    let mut p_plus_one = [0xffu8; 32];
    p_plus_one[0] = 0xee;
    p_plus_one[31] = 0x7f;
    points.push(p_plus_one);
    for point in &points {
        let der = spki(point);
        assert_eq!(
            VerifyingKey::from_public_key_der(&der),
            Err(crate::KeyError::WeakKey),
            "{point:02x?}"
        );
        let pem =
            p256::pkcs8::der::pem::encode_string("PUBLIC KEY", p256::pkcs8::LineEnding::LF, &der)
                .unwrap();
        assert_eq!(
            VerifyingKey::from_public_key_pem(&pem),
            Err(crate::KeyError::WeakKey)
        );
        let cose = cose_key_bytes(point);
        assert_eq!(
            VerifyingKey::from_cose_key(&cose),
            Err(crate::KeyError::WeakKey)
        );
    }
    assert!(alloc::string::ToString::to_string(&crate::KeyError::WeakKey).starts_with("weak key"));
}

/// A public Ed25519 COSE_Key `{1: 1, -1: 6, -2: x}`.
fn cose_key_bytes(x: &[u8; 32]) -> alloc::vec::Vec<u8> {
    let mut out = alloc::vec![0xa3, 0x01, 0x01, 0x20, 0x06, 0x21, 0x58, 0x20];
    out.extend_from_slice(x);
    out
}

/// Spec §3.4: senders write low `s` (`s <= n/2`) for both ECDSA curves, so that regenerating a
/// vector reproduces its bytes whatever library normalizes; receivers accept both (below).
#[test]
fn ecdsa_signatures_are_low_s_and_high_s_still_verifies() {
    for alg in [Algorithm::EcdsaP256, Algorithm::EcdsaSecp256k1] {
        let key = SigningKey::from_secret_bytes(alg, &[7; 32]).unwrap();
        for i in 0u8..64 {
            let message = [i; 3];
            let sig = key.sign(&message);
            let (low, high) = match alg {
                Algorithm::EcdsaP256 => {
                    let s = p256::ecdsa::Signature::from_slice(sig.as_ref()).unwrap();
                    let high = p256::ecdsa::Signature::from_scalars(s.r(), -*s.s()).unwrap();
                    (
                        s == s.normalize_s(),
                        Signature::from_slice(&high.to_bytes()),
                    )
                }
                _ => {
                    let s = k256::ecdsa::Signature::from_slice(sig.as_ref()).unwrap();
                    let high = k256::ecdsa::Signature::from_scalars(s.r(), -*s.s()).unwrap();
                    (
                        s == s.normalize_s(),
                        Signature::from_slice(&high.to_bytes()),
                    )
                }
            };
            assert!(low, "{alg:?} message {i}: high s written");
            let high = high.unwrap();
            assert_ne!(high, sig);
            key.verifying_key().verify(&message, &high).unwrap();
        }
    }
}
