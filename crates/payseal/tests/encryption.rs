//! Encrypted envelopes end to end: every mode, and everything that must fail.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use ciborium::Value;
use payseal::{
    Algorithm, Audience, ContentAlg, Counter, EncryptionMode, GroupKey, HpkeSuite, KemKind,
    Keyring, Kid, Limits, ManualClock, MemoryReplayStore, Opener, Policy, Recipient, RecipientKey,
    Rejection, Sealer, SigningKey, TrustStore, UnverifiedEnvelope,
};
use payseal_testkit::envelope::resign;

const NOW: u64 = 1_700_000_000;
const TOPIC: &str = "plant/3/secret";

fn signer(n: u8) -> SigningKey {
    SigningKey::from_secret_bytes(Algorithm::Ed25519, &[n; 32]).unwrap()
}

fn recipient_key(kem: KemKind, n: u8) -> RecipientKey {
    RecipientKey::from_secret_bytes(kem, &[n; 32]).unwrap()
}

fn sealer(key: SigningKey, audience: Audience) -> Sealer<SigningKey, Counter, ManualClock> {
    Sealer::new(key, Counter::starting_at(1), ManualClock::new(NOW))
        .with_audience("plant/#", audience)
        .unwrap()
}

/// A receiver trusting signers 1 and 2 on plant/#, holding `keys`.
fn opener(keys: Keyring) -> Opener<MemoryReplayStore, ManualClock> {
    let mut trust = TrustStore::new();
    trust
        .add_sender(signer(1).verifying_key(), ["plant/#"])
        .unwrap();
    trust
        .add_sender(signer(2).verifying_key(), ["plant/#"])
        .unwrap();
    Opener::new(trust, Policy::default(), ManualClock::new(NOW)).with_keyring(keys)
}

fn keyring_with(key: RecipientKey) -> Keyring {
    let mut keyring = Keyring::new();
    keyring.add_recipient_key(key).unwrap();
    keyring
}

#[test]
fn one_recipient_every_suite() {
    for suite in HpkeSuite::ALL {
        let mine = recipient_key(suite.kem(), 9);
        let audience =
            Audience::recipients([Recipient::new(mine.public_key()).with_suite(suite).unwrap()])
                .unwrap();
        let envelope = sealer(signer(1), audience)
            .seal(TOPIC, b"secret reading")
            .unwrap();
        assert!(!envelope.windows(14).any(|w| w == b"secret reading"));
        let verified = opener(keyring_with(mine.clone()))
            .open(TOPIC, &envelope)
            .unwrap();
        assert_eq!(verified.payload(), b"secret reading");
        let encryption = verified.encryption().unwrap();
        assert_eq!(encryption.mode(), EncryptionMode::Hpke(suite));
        assert_eq!(encryption.key(), &mine.kid());
    }
}

#[test]
fn three_recipients_and_a_bystander() {
    let keys = [
        recipient_key(KemKind::X25519, 3),
        recipient_key(KemKind::P256, 4),
        recipient_key(KemKind::X25519, 5),
    ];
    for content in [
        ContentAlg::A128Gcm,
        ContentAlg::A256Gcm,
        ContentAlg::ChaCha20Poly1305,
    ] {
        let audience = Audience::recipients(keys.iter().map(|k| Recipient::new(k.public_key())))
            .unwrap()
            .with_content_alg(content);
        let mut sender = sealer(signer(1), audience);
        let envelope = sender.seal(TOPIC, b"for three").unwrap();
        for key in &keys {
            let verified = opener(keyring_with(key.clone()))
                .open(TOPIC, &envelope)
                .unwrap();
            assert_eq!(verified.payload(), b"for three");
            assert!(matches!(
                verified.encryption().unwrap().mode(),
                EncryptionMode::HpkeKeyEncryption { content: c, .. } if c == content
            ));
        }
        // A subscriber that is not a recipient: authentic, but not for it. Not an alarm, and
        // nothing is recorded for it (the replay window comes after decryption).
        let mut bystander = opener(keyring_with(recipient_key(KemKind::X25519, 6)));
        let outcome = bystander.open(TOPIC, &envelope);
        assert_eq!(outcome, Err(Rejection::NotForMe));
        assert!(!outcome.unwrap_err().is_alarm());
        assert_eq!(bystander.open(TOPIC, &envelope), Err(Rejection::NotForMe));
    }
}

#[test]
fn group_key_round_trip_and_outsiders() {
    let group = GroupKey::new(
        Kid::new(b"plant-group".to_vec()).unwrap(),
        ContentAlg::A128Gcm,
        &[7; 16],
    )
    .unwrap();
    let mut keyring = Keyring::new();
    keyring.add_group_key(group.clone()).unwrap();
    let mut receiver = opener(keyring);
    // Two senders share the key; their messages decrypt, and each is attributed by signature.
    for n in [1, 2] {
        let envelope = sealer(signer(n), Audience::group(group.clone()))
            .seal(TOPIC, b"g")
            .unwrap();
        let verified = receiver.open(TOPIC, &envelope).unwrap();
        assert_eq!(verified.payload(), b"g");
        assert_eq!(verified.sender(), &signer(n).kid());
        assert_eq!(
            verified.encryption().unwrap().mode(),
            EncryptionMode::Group(ContentAlg::A128Gcm)
        );
    }
    let envelope = sealer(signer(1), Audience::group(group))
        .seal(TOPIC, b"g")
        .unwrap();
    assert_eq!(
        opener(Keyring::new()).open(TOPIC, &envelope),
        Err(Rejection::NotForMe)
    );
    // Same kid, different secret: decryption fails.
    let impostor = GroupKey::new(
        Kid::new(b"plant-group".to_vec()).unwrap(),
        ContentAlg::A128Gcm,
        &[8; 16],
    )
    .unwrap();
    let mut wrong = Keyring::new();
    wrong.add_group_key(impostor).unwrap();
    assert_eq!(
        opener(wrong).open(TOPIC, &envelope),
        Err(Rejection::DecryptFailed)
    );
}

#[test]
fn captured_ciphertext_cannot_be_resigned_or_moved() {
    let mine = recipient_key(KemKind::X25519, 9);
    let audience = Audience::recipients([Recipient::new(mine.public_key())]).unwrap();
    let envelope = sealer(signer(1), audience).seal(TOPIC, b"unlock").unwrap();
    // Sanity: the resigning helper reproduces a valid envelope when nothing changes.
    let same = resign(&envelope, &signer(1), TOPIC, None);
    assert!(
        opener(keyring_with(mine.clone()))
            .open(TOPIC, &same)
            .is_ok()
    );

    // Another authorized sender re-signs the captured ciphertext as its own.
    let swapped = resign(&envelope, &signer(2), TOPIC, None);
    assert_eq!(
        opener(keyring_with(mine.clone())).open(TOPIC, &swapped),
        Err(Rejection::DecryptFailed)
    );
    // The broker moves it to another topic: the signature breaks.
    assert_eq!(
        opener(keyring_with(mine.clone())).open("plant/4/secret", &envelope),
        Err(Rejection::BadSignature)
    );
    // Even re-signed by the sender for the other topic, the encrypted layer is bound to the first.
    let moved = resign(&envelope, &signer(1), "plant/4/secret", None);
    assert_eq!(
        opener(keyring_with(mine)).open("plant/4/secret", &moved),
        Err(Rejection::DecryptFailed)
    );
}

#[test]
fn flipped_ciphertext_tag_or_encapsulated_key_fails() {
    let mine = recipient_key(KemKind::X25519, 9);
    let audience = Audience::recipients([Recipient::new(mine.public_key())]).unwrap();
    let envelope = sealer(signer(1), audience)
        .seal(TOPIC, b"valve: open")
        .unwrap();
    let inner = UnverifiedEnvelope::decode(&envelope, &Limits::DEFAULT)
        .unwrap()
        .unverified_payload()
        .to_vec();
    // The last byte is in the tag, the first ciphertext byte sits 16 + 11 bytes before the end,
    // and the encapsulated key ends 2 bytes before the ciphertext's head.
    let ek_end = inner.len() - (11 + 16) - 2;
    for at in [inner.len() - 1, inner.len() - 27, ek_end - 1] {
        let mut bad = inner.clone();
        bad[at] ^= 0x01;
        let tampered_unsigned = {
            let mut e = envelope.clone();
            let start = e.len() - 66 - inner.len();
            e[start + at] ^= 0x01;
            e
        };
        assert_eq!(
            opener(keyring_with(mine.clone())).open(TOPIC, &tampered_unsigned),
            Err(Rejection::BadSignature),
            "byte {at}"
        );
        let resigned = resign(&envelope, &signer(1), TOPIC, Some(&bad));
        assert_eq!(
            opener(keyring_with(mine.clone())).open(TOPIC, &resigned),
            Err(Rejection::DecryptFailed),
            "byte {at}"
        );
    }
}

#[test]
fn downgrade_is_refused_where_encryption_is_required() {
    let mut keyring = keyring_with(recipient_key(KemKind::X25519, 9));
    keyring.require_encryption("plant/+/secret").unwrap();
    let mut receiver = opener(keyring);
    let mut plain = Sealer::new(signer(1), Counter::starting_at(1), ManualClock::new(NOW));
    let envelope = plain.seal(TOPIC, b"in the clear").unwrap();
    assert_eq!(
        receiver.open(TOPIC, &envelope),
        Err(Rejection::EncryptionRequired)
    );
    // Other topics still take signed-only payloads.
    let other = plain.seal("plant/3/temp", b"21.5").unwrap();
    assert!(
        receiver
            .open("plant/3/temp", &other)
            .unwrap()
            .encryption()
            .is_none()
    );
}

#[test]
fn too_many_recipients_are_refused_before_any_hpke_work() {
    let keys: Vec<RecipientKey> = (10..14)
        .map(|n| recipient_key(KemKind::X25519, n))
        .collect();
    let audience =
        Audience::recipients(keys.iter().map(|k| Recipient::new(k.public_key()))).unwrap();
    let envelope = sealer(signer(1), audience).seal(TOPIC, b"x").unwrap();
    let mut limits = Limits::DEFAULT;
    limits.max_recipients = 3;
    let mut trust = TrustStore::new();
    trust
        .add_sender(signer(1).verifying_key(), ["plant/#"])
        .unwrap();
    let mut receiver = Opener::new(
        trust,
        Policy::default().with_limits(limits),
        ManualClock::new(NOW),
    )
    .with_keyring(keyring_with(keys[0].clone()));
    assert_eq!(
        receiver.open(TOPIC, &envelope),
        Err(Rejection::TooManyRecipients {
            limit: 3,
            actual: 4
        })
    );
}

#[test]
fn recipient_keys_round_trip_through_files() {
    for kem in [KemKind::X25519, KemKind::P256] {
        let key = RecipientKey::generate(kem).unwrap();
        let pem = key.to_pkcs8_pem().unwrap();
        assert_eq!(
            RecipientKey::from_pkcs8_pem(&pem).unwrap().public_key(),
            key.public_key()
        );
        let public_pem = key.public_key().to_public_key_pem().unwrap();
        assert_eq!(
            payseal::RecipientPublicKey::from_public_key_pem(&public_pem).unwrap(),
            key.public_key()
        );
        let cose = key.to_cose_key();
        assert_eq!(
            RecipientKey::from_cose_key(&cose).unwrap().public_key(),
            key.public_key()
        );
        assert_eq!(
            payseal::RecipientPublicKey::from_cose_key(&key.public_key().to_cose_key()).unwrap(),
            key.public_key()
        );
        let debug = format!("{key:?}");
        let secret = hex::encode(key.expose_secret_bytes().as_ref());
        assert!(!debug.contains(&secret[..16]), "{debug}");
        // A signing key file is not a recipient key file, and the other way round.
        assert!(SigningKey::from_pkcs8_pem(&pem).is_err() || kem == KemKind::P256);
    }
}

/// The ciphertext (without its 16-byte tag) of an encrypted envelope's COSE_Encrypt0 layer.
fn layer_ciphertext(envelope: &[u8]) -> Vec<u8> {
    let env = UnverifiedEnvelope::decode(envelope, &Limits::DEFAULT).unwrap();
    let Value::Tag(16, body) = ciborium::from_reader::<Value, _>(env.unverified_payload()).unwrap()
    else {
        panic!("a COSE_Encrypt0 layer")
    };
    let Value::Array(items) = *body else {
        panic!("an array")
    };
    let Value::Bytes(ciphertext) = &items[2] else {
        panic!("a ciphertext")
    };
    ciphertext[..ciphertext.len() - 16].to_vec()
}

/// Issue 16, item 5: a device whose clock stepped back (or whose seq file was restored)
/// restarts `Counter::from_unix_micros` at a number it already used. Under one group key the
/// two messages must still not share a (key, nonce) pair, or the broker XORs the ciphertexts
/// and reads one plaintext through the other.
#[test]
fn group_nonce_cannot_repeat_when_the_sequence_number_does() {
    let group = GroupKey::new(
        Kid::new(b"plant-group".to_vec()).unwrap(),
        ContentAlg::A128Gcm,
        &[7; 16],
    )
    .unwrap();
    let first: &[u8] = b"valve=OPEN pin=1234";
    let second: &[u8] = b"valve=SHUT pin=9876";
    // Two runs of the same device: same start of the micros counter, so the same seq.
    let seal = |payload: &[u8]| {
        Sealer::new(
            signer(1),
            Counter::starting_at(1_700_000_000_000_000),
            ManualClock::new(NOW),
        )
        .with_audience("plant/#", Audience::group(group.clone()))
        .unwrap()
        .seal(TOPIC, payload)
        .unwrap()
    };
    let (a, b) = (seal(first), seal(second));
    let seq = |e: &[u8]| {
        UnverifiedEnvelope::decode(e, &Limits::DEFAULT)
            .unwrap()
            .seq()
    };
    assert_eq!(seq(&a), seq(&b), "the sequence number repeats");
    let xor = |x: &[u8], y: &[u8]| x.iter().zip(y).map(|(p, q)| p ^ q).collect::<Vec<u8>>();
    let ciphertexts = xor(&layer_ciphertext(&a), &layer_ciphertext(&b));
    assert_ne!(
        ciphertexts,
        xor(first, second),
        "same keystream: the XOR of the ciphertexts is the XOR of the plaintexts"
    );
    // Both still decrypt (each for a receiver that has not seen the other).
    for (envelope, payload) in [(&a, first), (&b, second)] {
        let mut keyring = Keyring::new();
        keyring.add_group_key(group.clone()).unwrap();
        assert_eq!(
            opener(keyring).open(TOPIC, envelope).unwrap().payload(),
            payload
        );
    }
}

/// Issue 16 item 14: a first try without the key must not spend the sequence number, or the
/// retry with the right key is `replayed`. Nothing is recorded for a message that fails any
/// check, decryption included (spec/envelope.md §5, spec/encryption.md §6).
#[test]
fn not_for_me_then_retry_with_the_key_is_not_replayed() {
    let key = recipient_key(KemKind::X25519, 5);
    let audience = Audience::recipients(vec![Recipient::new(key.public_key())]).unwrap();
    let envelope = sealer(signer(1), audience)
        .seal(TOPIC, b"pin 1234")
        .unwrap();
    let mut trust = TrustStore::new();
    trust
        .add_sender(signer(1).verifying_key(), ["plant/#"])
        .unwrap();
    let mut store = MemoryReplayStore::new(Policy::DEFAULT_WINDOW);
    let clock = ManualClock::new(NOW);

    let mut without_key =
        Opener::with_replay_store(trust.clone(), &mut store, Policy::default(), &clock);
    assert_eq!(without_key.open(TOPIC, &envelope), Err(Rejection::NotForMe));
    // Undecryptable for a wrong key of the right kid would be decrypt_failed: no trace either.
    drop(without_key);
    assert!(store.window(&signer(1).kid()).is_none(), "nothing recorded");

    let mut with_key = Opener::with_replay_store(trust, &mut store, Policy::default(), &clock)
        .with_keyring(keyring_with(key));
    assert_eq!(
        with_key.open(TOPIC, &envelope).unwrap().payload(),
        b"pin 1234"
    );
    assert_eq!(
        with_key.open(TOPIC, &envelope),
        Err(Rejection::Replayed { seq: 1 })
    );
}

/// A group message that fails decryption (same kid, another secret) leaves no trace either.
#[test]
fn decrypt_failed_leaves_no_trace_in_the_replay_window() {
    let kid = Kid::new(b"plant-group".to_vec()).unwrap();
    let real = GroupKey::new(kid.clone(), ContentAlg::A128Gcm, &[7; 16]).unwrap();
    let impostor = GroupKey::new(kid, ContentAlg::A128Gcm, &[8; 16]).unwrap();
    let envelope = sealer(signer(1), Audience::group(real.clone()))
        .seal(TOPIC, b"g")
        .unwrap();
    let mut trust = TrustStore::new();
    trust
        .add_sender(signer(1).verifying_key(), ["plant/#"])
        .unwrap();
    let mut store = MemoryReplayStore::new(Policy::DEFAULT_WINDOW);
    let clock = ManualClock::new(NOW);
    let mut wrong = Keyring::new();
    wrong.add_group_key(impostor).unwrap();
    let mut opener =
        Opener::with_replay_store(trust.clone(), &mut store, Policy::default(), &clock)
            .with_keyring(wrong);
    assert_eq!(opener.open(TOPIC, &envelope), Err(Rejection::DecryptFailed));
    drop(opener);
    assert!(store.window(&signer(1).kid()).is_none(), "nothing recorded");
    let mut right = Keyring::new();
    right.add_group_key(real).unwrap();
    let mut opener =
        Opener::with_replay_store(trust, &mut store, Policy::default(), &clock).with_keyring(right);
    assert_eq!(opener.open(TOPIC, &envelope).unwrap().payload(), b"g");
}
