//! Keys in a SoftHSM2 token: signing, decryption, generation, and the failures a deployment
//! meets (wrong PIN, missing key, removed token). Every test has its own token and process.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use std::sync::Arc;

use common::{SoftHsm, isolated};
use payseal::{
    Algorithm, Audience, Counter, EncryptionMode, KemKind, Keyring, ManualClock, Opener, Policy,
    Recipient, RecipientKey, Sealer, SealingKey, SigningKey, TrustStore, VerifyingKey,
};
use payseal_pkcs11::{
    Pkcs11Error, Pkcs11Uri, TokenKeyKind, TokenPublicKey, TokenRecipientKey, TokenSigningKey,
    generate,
};

const NOW: u64 = 1_700_000_000;
const TOPIC: &str = "plant/3/temp";

fn uri(hsm: &SoftHsm, object: &str) -> Pkcs11Uri {
    hsm.uri(object).parse().unwrap()
}

fn opener_trusting(
    key: VerifyingKey,
    keyring: Keyring,
) -> Opener<payseal::MemoryReplayStore, ManualClock> {
    let mut trust = TrustStore::new();
    trust.add_sender(key, ["plant/#"]).unwrap();
    Opener::new(trust, Policy::default(), ManualClock::new(NOW)).with_keyring(keyring)
}

/// Sign with the token, verify with the plain core: the receiver knows the key only from the
/// exported SPKI PEM, and the kid is the core's derivation of it.
#[test]
fn token_signs_and_the_plain_core_verifies() {
    isolated("token_signs_and_the_plain_core_verifies", &[], |hsm| {
        for (object, alg) in [("ed", Algorithm::Ed25519), ("p256", Algorithm::EcdsaP256)] {
            let public = generate(&uri(hsm, object), TokenKeyKind::Signing(alg)).unwrap();
            let pem = public.to_public_key_pem().unwrap();
            let trusted = VerifyingKey::from_public_key_pem(&pem).unwrap();

            let key = TokenSigningKey::open(&uri(hsm, object)).unwrap();
            assert_eq!(SealingKey::algorithm(&key), alg);
            assert_eq!(SealingKey::kid(&key), trusted.kid());
            assert_eq!(public.kid(), trusted.kid());

            let mut sealer = Sealer::new(key, Counter::starting_at(1), ManualClock::new(NOW));
            let mut opener = opener_trusting(trusted, Keyring::new());
            for n in 0..24u8 {
                let envelope = sealer.seal(TOPIC, &[n; 5]).unwrap();
                let verified = opener.open(TOPIC, &envelope).unwrap();
                assert_eq!(verified.payload(), &[n; 5], "{alg:?}");
            }
        }
    });
}

/// P-256 signatures leave the token with low `s` (spec §3.4), whatever `s` the token chose:
/// out of 64, about half would be high without normalization.
#[test]
fn p256_token_signatures_have_low_s() {
    isolated("p256_token_signatures_have_low_s", &[], |hsm| {
        generate(&uri(hsm, "k"), TokenKeyKind::Signing(Algorithm::EcdsaP256)).unwrap();
        let key = TokenSigningKey::open(&uri(hsm, "k")).unwrap();
        for n in 0..64u8 {
            let sig = key.sign_in_token(&[n]).unwrap();
            let parsed = p256::ecdsa::Signature::from_slice(&sig.to_bytes()).unwrap();
            assert!(parsed.normalize_s() == parsed, "high s in signature {n}");
            key.verifying_key().verify(&[n], &sig).unwrap();
        }
    });
}

/// An envelope encrypted by the ordinary sealer to a token-held P-256 key opens through the
/// token's ECDH, in both HPKE modes (one recipient; several recipients).
#[test]
fn envelope_encrypted_to_a_token_key_opens() {
    isolated("envelope_encrypted_to_a_token_key_opens", &[], |hsm| {
        let public = match generate(&uri(hsm, "dec"), TokenKeyKind::Recipient(KemKind::P256)) {
            Ok(TokenPublicKey::Recipient(key)) => key,
            other => panic!("{other:?}"),
        };
        let agent = Arc::new(TokenRecipientKey::open(&uri(hsm, "dec")).unwrap());
        let mut keyring = Keyring::new();
        keyring.add_key_agreement(agent).unwrap();

        let sender = SigningKey::generate(Algorithm::Ed25519).unwrap();
        let other = RecipientKey::generate(KemKind::X25519).unwrap();
        let audiences = [
            Audience::recipients([Recipient::new(public.clone())]).unwrap(),
            Audience::recipients([
                Recipient::new(other.public_key()),
                Recipient::new(public.clone()),
            ])
            .unwrap(),
        ];
        let mut opener = opener_trusting(sender.verifying_key(), keyring);
        for (n, audience) in audiences.into_iter().enumerate() {
            let key = SigningKey::from_secret_bytes(
                Algorithm::Ed25519,
                sender.expose_secret_bytes().as_ref(),
            )
            .unwrap();
            let mut sealer = Sealer::new(
                key,
                Counter::starting_at(10 * n as u64 + 1),
                ManualClock::new(NOW),
            )
            .with_audience("plant/#", audience)
            .unwrap();
            let envelope = sealer.seal(TOPIC, b"secret reading").unwrap();
            let verified = opener.open(TOPIC, &envelope).unwrap();
            assert_eq!(verified.payload(), b"secret reading");
            let encryption = verified.encryption().expect("encrypted");
            assert_eq!(encryption.key(), &public.kid());
            match (n, encryption.mode()) {
                (0, EncryptionMode::Hpke(_)) | (1, EncryptionMode::HpkeKeyEncryption { .. }) => {}
                (n, mode) => panic!("audience {n}: {mode:?}"),
            }
        }
    });
}

/// The private keys made by `generate` are sensitive and not extractable, and were never
/// anything else (the token's own record).
#[test]
fn generated_private_keys_cannot_leave_the_token() {
    isolated(
        "generated_private_keys_cannot_leave_the_token",
        &[],
        |hsm| {
            generate(&uri(hsm, "s"), TokenKeyKind::Signing(Algorithm::Ed25519)).unwrap();
            generate(&uri(hsm, "r"), TokenKeyKind::Recipient(KemKind::P256)).unwrap();
            for protection in [
                TokenSigningKey::open(&uri(hsm, "s"))
                    .unwrap()
                    .protection()
                    .unwrap(),
                TokenRecipientKey::open(&uri(hsm, "r"))
                    .unwrap()
                    .protection()
                    .unwrap(),
            ] {
                assert!(protection.sensitive, "{protection:?}");
                assert!(!protection.extractable, "{protection:?}");
                assert!(protection.always_sensitive, "{protection:?}");
                assert!(protection.never_extractable, "{protection:?}");
                assert!(!protection.value_readable, "{protection:?}");
            }
        },
    );
}

#[test]
fn a_wrong_pin_is_a_typed_error() {
    isolated("a_wrong_pin_is_a_typed_error", &[], |hsm| {
        generate(&uri(hsm, "k"), TokenKeyKind::Signing(Algorithm::Ed25519)).unwrap();
        let wrong = hsm.dir().join("wrong-pin");
        std::fs::write(&wrong, "000000\n").unwrap();
        let uri = uri(hsm, "k").with_pin_file(&wrong);
        let error = TokenSigningKey::open(&uri).unwrap_err();
        assert!(matches!(error, Pkcs11Error::WrongPin), "{error:?}");
        assert_eq!(error.reason(), "pkcs11_wrong_pin");
    });
}

#[test]
fn a_missing_object_is_a_typed_error() {
    isolated("a_missing_object_is_a_typed_error", &[], |hsm| {
        generate(&uri(hsm, "k"), TokenKeyKind::Signing(Algorithm::Ed25519)).unwrap();
        let error = TokenSigningKey::open(&uri(hsm, "absent")).unwrap_err();
        assert!(matches!(error, Pkcs11Error::ObjectNotFound(_)), "{error:?}");
        let error = TokenRecipientKey::open(&uri(hsm, "absent")).unwrap_err();
        assert_eq!(error.reason(), "pkcs11_object_not_found");
        // Generating over an existing label is refused: two keys would make the URI ambiguous.
        let error =
            generate(&uri(hsm, "k"), TokenKeyKind::Signing(Algorithm::Ed25519)).unwrap_err();
        assert!(matches!(error, Pkcs11Error::ObjectExists(_)), "{error:?}");
        // A signing key is no recipient key.
        let error = TokenRecipientKey::open(&uri(hsm, "k")).unwrap_err();
        assert!(matches!(error, Pkcs11Error::UnsupportedKey(_)), "{error:?}");
    });
}

/// A token deleted while a key is in use: signing fails with a typed error, the sealer with
/// `SealError::Signing`, and opening the key again finds no token.
#[test]
fn a_removed_token_is_a_typed_error() {
    isolated("a_removed_token_is_a_typed_error", &[], |hsm| {
        generate(&uri(hsm, "k"), TokenKeyKind::Signing(Algorithm::Ed25519)).unwrap();
        let key = TokenSigningKey::open(&uri(hsm, "k")).unwrap();
        key.sign_in_token(b"before").unwrap();
        hsm.delete_token().unwrap();
        let error = key.sign_in_token(b"after").unwrap_err();
        assert!(matches!(error, Pkcs11Error::TokenRemoved), "{error:?}");
        let mut sealer = Sealer::new(key, Counter::starting_at(1), ManualClock::new(NOW));
        assert!(matches!(
            sealer.seal(TOPIC, b"x"),
            Err(payseal::SealError::Signing)
        ));
        let error = TokenSigningKey::open(&uri(hsm, "k")).unwrap_err();
        assert!(matches!(error, Pkcs11Error::TokenNotFound(_)), "{error:?}");
    });
}

/// Without `pin-source`, the PIN comes from `PAYSEAL_PKCS11_PIN`; without either, a typed
/// error says where to put it.
#[test]
fn the_pin_comes_from_the_environment_without_a_pin_source() {
    isolated(
        "the_pin_comes_from_the_environment_without_a_pin_source",
        &[("PAYSEAL_PKCS11_PIN", payseal_testkit::softhsm::PIN)],
        |hsm| {
            let no_source: Pkcs11Uri = format!(
                "pkcs11:token={};object=k?module-path={}",
                payseal_testkit::softhsm::TOKEN,
                hsm.module().display()
            )
            .parse()
            .unwrap();
            generate(&no_source, TokenKeyKind::Signing(Algorithm::Ed25519)).unwrap();
            TokenSigningKey::open(&no_source).unwrap();
        },
    );
}

#[test]
fn no_pin_at_all_is_a_typed_error() {
    isolated("no_pin_at_all_is_a_typed_error", &[], |hsm| {
        let no_source: Pkcs11Uri = format!(
            "pkcs11:token={};object=k?module-path={}",
            payseal_testkit::softhsm::TOKEN,
            hsm.module().display()
        )
        .parse()
        .unwrap();
        let error = TokenSigningKey::open(&no_source).unwrap_err();
        assert!(matches!(error, Pkcs11Error::NoPin), "{error:?}");
    });
}

#[test]
fn an_unknown_token_or_module_is_a_typed_error() {
    isolated("an_unknown_token_or_module_is_a_typed_error", &[], |hsm| {
        let other: Pkcs11Uri = hsm
            .uri("k")
            .replace("token=payseal-test", "token=elsewhere")
            .parse()
            .unwrap();
        let error = TokenSigningKey::open(&other).unwrap_err();
        assert!(matches!(error, Pkcs11Error::TokenNotFound(_)), "{error:?}");
        let missing = Pkcs11Uri::new("t", "k", &hsm.dir().join("no-such-module.so"));
        let error = TokenSigningKey::open(&missing).unwrap_err();
        assert_eq!(error.reason(), "pkcs11_module");
    });
}
