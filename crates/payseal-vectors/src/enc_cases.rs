//! Encryption vectors: every mode and suite, and every way an encrypted envelope must fail.

use std::collections::BTreeMap;

use ciborium::Value;
use payseal::{
    Audience, ContentAlg, Counter, GroupKey, HpkeSuite, KemKind, Kid, Limits, ManualClock,
    Recipient, RecipientKey, Sealer, UnverifiedEnvelope,
};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use sha2::{Digest, Sha256};

use crate::cases::T0;
use crate::craft::{self, bstr, int, map, seq_bytes, tstr, uint};
use crate::enc_model::{EncVector, GroupEntry, Receiver, RecipientEntry};
use crate::keys::key;

pub(crate) const TOPIC: &str = "secure/door-1/locked";
pub(crate) const PLAINTEXT: &[u8] = b"{\"lock\":\"open\"}";

/// Recipient keys: the receiver holds the `*-me` ones.
pub(crate) const RECIPIENT_KEYS: [(&str, KemKind); 4] = [
    ("x25519-me", KemKind::X25519),
    ("p256-me", KemKind::P256),
    ("x25519-other", KemKind::X25519),
    ("p256-other", KemKind::P256),
];

pub(crate) fn recipient_key(name: &str) -> RecipientKey {
    let (_, kem) = RECIPIENT_KEYS
        .iter()
        .find(|(n, _)| *n == name)
        .copied()
        .unwrap_or_else(|| panic!("no recipient key {name}"));
    let secret = Sha256::digest(format!("payseal test recipient key {name}").as_bytes());
    RecipientKey::from_secret_bytes(kem, &secret).expect("valid scalar")
}

pub(crate) fn recipient_entries() -> BTreeMap<&'static str, RecipientEntry> {
    RECIPIENT_KEYS
        .iter()
        .map(|(name, kem)| {
            let key = recipient_key(name);
            let public = key.public_key();
            let entry = RecipientEntry {
                kem: match kem {
                    KemKind::X25519 => "X25519",
                    _ => "P-256",
                },
                kid: key.kid().to_string(),
                private_pkcs8_pem: key.to_pkcs8_pem().expect("encodes").to_string(),
                public_spki_pem: public.to_public_key_pem().expect("encodes"),
                cose_key: hex::encode(key.to_cose_key().as_slice()),
                secret: hex::encode(key.expose_secret_bytes().as_ref()),
                public: hex::encode(public.to_bytes()),
            };
            (*name, entry)
        })
        .collect()
}

pub(crate) const GROUP_KEYS: [(&str, ContentAlg, usize); 3] = [
    ("group-a128", ContentAlg::A128Gcm, 16),
    ("group-a256", ContentAlg::A256Gcm, 32),
    ("group-other", ContentAlg::A128Gcm, 16),
];

pub(crate) fn group_key(name: &str) -> GroupKey {
    let (_, alg, len) = GROUP_KEYS
        .iter()
        .find(|(n, ..)| *n == name)
        .copied()
        .unwrap_or_else(|| panic!("no group key {name}"));
    let secret = Sha256::digest(format!("payseal test group key {name}").as_bytes());
    GroupKey::new(
        Kid::new(name.as_bytes().to_vec()).expect("short"),
        alg,
        &secret[..len],
    )
    .expect("valid group key")
}

pub(crate) fn group_entries() -> BTreeMap<&'static str, GroupEntry> {
    GROUP_KEYS
        .iter()
        .map(|(name, alg, _)| {
            let key = group_key(name);
            let entry = GroupEntry {
                kid: key.kid().to_string(),
                alg: if *alg == ContentAlg::A128Gcm {
                    "A128GCM"
                } else {
                    "A256GCM"
                },
                secret: hex::encode(key.expose_secret()),
            };
            (*name, entry)
        })
        .collect()
}

pub(crate) fn receiver() -> Receiver {
    Receiver {
        recipient_keys: vec!["x25519-me", "p256-me"],
        group_keys: vec!["group-a128", "group-a256"],
        require_encryption: vec!["secure/+/locked"],
        max_recipients: 4,
    }
}

fn to(name: &str, suite: HpkeSuite) -> Recipient {
    Recipient::new(recipient_key(name).public_key())
        .with_suite(suite)
        .expect("suite fits the key")
}

pub(crate) fn hpke(names: &[(&str, HpkeSuite)], content: ContentAlg) -> Audience {
    Audience::recipients(names.iter().map(|(n, s)| to(n, *s)))
        .expect("valid audience")
        .with_content_alg(content)
}

/// A vector under construction.
pub(crate) struct Case {
    v: EncVector,
    audience: Option<Audience>,
}

pub(crate) fn case(id: &'static str, description: &'static str, expected: &'static str) -> Case {
    Case {
        v: EncVector {
            id,
            description,
            signer: "ed25519-a",
            topic: TOPIC,
            mode: "none",
            plaintext: hex::encode(PLAINTEXT),
            seq: 7,
            timestamp: T0,
            envelope: String::new(),
            now: T0 + 10,
            accepted_before: Vec::new(),
            decrypted_with: None,
            recipient_keys: None,
            expected,
        },
        audience: None,
    }
}

impl Case {
    pub(crate) fn audience(mut self, mode: &'static str, audience: Audience) -> Self {
        self.v.mode = mode;
        self.audience = Some(audience);
        self
    }
    pub(crate) fn decrypted_with(mut self, name: &'static str) -> Self {
        self.v.decrypted_with = Some(name);
        self
    }
    /// The receiver of this vector holds only these recipient keys.
    pub(crate) fn recipient_keys(mut self, names: &[&'static str]) -> Self {
        self.v.recipient_keys = Some(names.to_vec());
        self
    }
    /// What the valid vector decrypts to, when not PLAINTEXT.
    pub(crate) fn plaintext_hex(mut self, hex: String) -> Self {
        self.v.plaintext = hex;
        self
    }
    fn topic(mut self, topic: &'static str) -> Self {
        self.v.topic = topic;
        self
    }
    /// Sequence numbers the receiver's replay windows hold before this envelope.
    fn after(mut self, accepted: &[(&'static str, u64)]) -> Self {
        self.v.accepted_before = accepted.to_vec();
        self
    }

    /// Seals with payseal's Sealer, with a generator seeded from the vector id.
    fn seal(&self) -> Vec<u8> {
        let clock = ManualClock::new(self.v.timestamp);
        let mut sealer = Sealer::new(key(self.v.signer), Counter::starting_at(self.v.seq), &clock);
        if let Some(audience) = &self.audience {
            sealer = sealer
                .with_audience("#", audience.clone())
                .expect("valid filter");
        }
        let seed: [u8; 32] = Sha256::digest(self.v.id.as_bytes()).into();
        let mut rng = ChaCha20Rng::from_seed(seed);
        sealer
            .seal_with_rng(self.v.topic, PLAINTEXT, &mut rng)
            .expect("seals")
    }

    fn sealed(mut self) -> EncVector {
        self.v.envelope = hex::encode(self.seal());
        self.v
    }

    /// Seals, then lets `edit` change the encrypted layer, and has `signer` sign the result
    /// for `topic` (the sender's own topic if `None`).
    pub(crate) fn resigned(
        mut self,
        signer: &str,
        topic: Option<&str>,
        edit: impl FnOnce(&mut Vec<u8>),
    ) -> EncVector {
        let original = self.seal();
        let env = UnverifiedEnvelope::decode(&original, &Limits::DEFAULT).expect("decodes");
        let mut inner = env.unverified_payload().to_vec();
        edit(&mut inner);
        let k = key(signer);
        self.v.signer = match signer {
            "ed25519-b" => "ed25519-b",
            _ => "ed25519-a",
        };
        let protected = map(&[
            (uint(1), int(k.algorithm().cose_id())),
            (uint(3), uint(env.content_type().expect("encrypted"))),
            (uint(4), bstr(k.kid().as_bytes())),
            (uint(6), bstr(&seq_bytes(env.seq()))),
            (uint(15), map(&[(uint(6), uint(env.timestamp()))])),
            (uint(16), tstr(payseal::PROFILE)),
        ]);
        let topic = topic.unwrap_or(self.v.topic);
        let envelope = craft::envelope(&k, &protected.0, map(&[]), topic, &inner);
        self.v.envelope = hex::encode(envelope);
        self.v
    }
}

/// The byte position of the first occurrence of `needle` in `haystack`.
fn find(haystack: &[u8], needle: &[u8]) -> usize {
    haystack
        .windows(needle.len())
        .position(|w| w == needle)
        .expect("present")
}

/// The first `ek` (label -4) byte string in an encrypted layer.
fn first_ek(inner: &[u8]) -> Vec<u8> {
    fn walk(v: &Value) -> Option<Vec<u8>> {
        match v {
            Value::Map(entries) => entries.iter().find_map(|(k, v)| match (k, v) {
                (k, Value::Bytes(b)) if *k == Value::from(-4) => Some(b.clone()),
                (_, v) => walk(v),
            }),
            Value::Array(items) => items.iter().find_map(walk),
            Value::Tag(_, inner) => walk(inner),
            _ => None,
        }
    }
    let value: Value = ciborium::from_reader(inner).expect("CBOR");
    walk(&value).expect("an ek")
}

fn flip_last(inner: &mut [u8]) {
    let last = inner.len() - 1;
    inner[last] ^= 1;
}

pub(crate) fn all() -> Vec<EncVector> {
    use HpkeSuite::*;
    vec![
        // ---- valid: every suite and mode ----
        case("enc-valid-hpke-3", "one X25519 recipient, HPKE-3 integrated (alg 41)", "valid")
            .audience("hpke", hpke(&[("x25519-me", X25519Aes128Gcm)], ContentAlg::A128Gcm))
            .decrypted_with("x25519-me")
            .sealed(),
        case("enc-valid-hpke-4", "one X25519 recipient, HPKE-4 integrated (alg 42, ChaCha20-Poly1305)", "valid")
            .audience("hpke", hpke(&[("x25519-me", X25519ChaCha20Poly1305)], ContentAlg::A128Gcm))
            .decrypted_with("x25519-me")
            .sealed(),
        case("enc-valid-hpke-0", "one P-256 recipient, HPKE-0 integrated (alg 35)", "valid")
            .audience("hpke", hpke(&[("p256-me", P256Aes128Gcm)], ContentAlg::A128Gcm))
            .decrypted_with("p256-me")
            .sealed(),
        case("enc-valid-hpke-7", "one P-256 recipient, HPKE-7 integrated (alg 45, AES-256-GCM)", "valid")
            .audience("hpke", hpke(&[("p256-me", P256Aes256Gcm)], ContentAlg::A128Gcm))
            .decrypted_with("p256-me")
            .sealed(),
        case("enc-valid-ke-3-recipients", "3 recipients (HPKE-3-KE, HPKE-0-KE, HPKE-4-KE), A128GCM content; the receiver is the second", "valid")
            .audience("hpke-key-encryption", hpke(
                &[("x25519-other", X25519Aes128Gcm), ("p256-me", P256Aes128Gcm), ("p256-other", P256Aes128Gcm)],
                ContentAlg::A128Gcm,
            ))
            .decrypted_with("p256-me")
            .sealed(),
        case("enc-valid-ke-chacha", "2 recipients, the receiver's entry HPKE-4-KE (alg 50), ChaCha20-Poly1305 content", "valid")
            .audience("hpke-key-encryption", hpke(
                &[("p256-other", P256Aes128Gcm), ("x25519-me", X25519ChaCha20Poly1305)],
                ContentAlg::ChaCha20Poly1305,
            ))
            .decrypted_with("x25519-me")
            .sealed(),
        case("enc-valid-ke-a256", "2 recipients, the receiver's entry HPKE-7-KE (alg 53), A256GCM content", "valid")
            .audience("hpke-key-encryption", hpke(
                &[("p256-me", P256Aes256Gcm), ("x25519-other", X25519Aes128Gcm)],
                ContentAlg::A256Gcm,
            ))
            .decrypted_with("p256-me")
            .sealed(),
        case("enc-valid-group-a128", "group key, A128GCM, sender key derived from the group secret", "valid")
            .audience("group", Audience::group(group_key("group-a128")))
            .decrypted_with("group-a128")
            .sealed(),
        case("enc-valid-group-a256", "group key, A256GCM, sent by the second sender", "valid")
            .audience("group", Audience::group(group_key("group-a256")))
            .decrypted_with("group-a256")
            .signer_b()
            .sealed(),
        case("enc-valid-signed-only", "a signed-only payload on a topic that does not require encryption", "valid")
            .topic("secure/door-1/status")
            .sealed(),
        // ---- not for this receiver ----
        case("enc-not-for-me-hpke", "one recipient, not this receiver", "not_for_me")
            .audience("hpke", hpke(&[("x25519-other", X25519Aes128Gcm)], ContentAlg::A128Gcm))
            .sealed(),
        case("enc-not-for-me-ke", "2 recipients, neither of them this receiver", "not_for_me")
            .audience("hpke-key-encryption", hpke(
                &[("x25519-other", X25519Aes128Gcm), ("p256-other", P256Aes128Gcm)],
                ContentAlg::A128Gcm,
            ))
            .sealed(),
        case("enc-not-for-me-group", "a group key this receiver does not hold", "not_for_me")
            .audience("group", Audience::group(group_key("group-other")))
            .sealed(),
        // ---- the replay window comes after decryption (envelope.md §5, encryption.md §6) ----
        case("enc-not-for-me-replayed", "not for this receiver, seq 7 already accepted: decryption is checked before the replay window", "not_for_me")
            .audience("hpke", hpke(&[("x25519-other", X25519Aes128Gcm)], ContentAlg::A128Gcm))
            .after(&[("ed25519-a", 7)])
            .sealed(),
        case("enc-replayed-for-me", "for this receiver, seq 7 already accepted", "replayed")
            .audience("hpke", hpke(&[("x25519-me", X25519Aes128Gcm)], ContentAlg::A128Gcm))
            .after(&[("ed25519-a", 7)])
            .sealed(),
        // ---- tampering and re-signing ----
        case("enc-moved-topic", "moved by the broker to another topic (not re-signed)", "bad_signature")
            .audience("hpke", hpke(&[("x25519-me", X25519Aes128Gcm)], ContentAlg::A128Gcm))
            .moved(),
        case("enc-flip-tag", "last byte (tag) of the ciphertext flipped, re-signed by the sender", "decrypt_failed")
            .audience("hpke", hpke(&[("x25519-me", X25519Aes128Gcm)], ContentAlg::A128Gcm))
            .resigned("ed25519-a", None, |inner| flip_last(inner)),
        case("enc-flip-ciphertext", "first ciphertext byte flipped, re-signed by the sender", "decrypt_failed")
            .audience("hpke", hpke(&[("x25519-me", X25519Aes128Gcm)], ContentAlg::A128Gcm))
            .resigned("ed25519-a", None, |inner| {
                let at = inner.len() - 16 - PLAINTEXT.len();
                inner[at] ^= 1;
            }),
        case("enc-flip-ek", "one bit of the encapsulated key flipped, re-signed by the sender", "decrypt_failed")
            .audience("hpke", hpke(&[("x25519-me", X25519Aes128Gcm)], ContentAlg::A128Gcm))
            .resigned("ed25519-a", None, |inner| {
                let at = find(inner, &first_ek(inner)) + 5;
                inner[at] ^= 1;
            }),
        case("enc-flip-ke-ciphertext", "multi-recipient: content ciphertext flipped, re-signed", "decrypt_failed")
            .audience("hpke-key-encryption", hpke(
                &[("x25519-me", X25519Aes128Gcm), ("p256-other", P256Aes128Gcm)],
                ContentAlg::A128Gcm,
            ))
            .resigned("ed25519-a", None, |inner| {
                let at = find(inner, &content_ciphertext(inner)) + 3;
                inner[at] ^= 1;
            }),
        case("enc-sender-swap", "ciphertext captured and re-signed by another authorized sender", "decrypt_failed")
            .audience("hpke", hpke(&[("x25519-me", X25519Aes128Gcm)], ContentAlg::A128Gcm))
            .resigned("ed25519-b", None, |_| {}),
        case("enc-sender-swap-group", "group ciphertext re-signed by another group member", "decrypt_failed")
            .audience("group", Audience::group(group_key("group-a128")))
            .resigned("ed25519-b", None, |_| {}),
        case("enc-resigned-other-topic", "re-signed by the sender for another topic it may use", "decrypt_failed")
            .audience("hpke", hpke(&[("x25519-me", X25519Aes128Gcm)], ContentAlg::A128Gcm))
            .topic("secure/door-2/locked")
            .resigned_from(TOPIC),
        case("enc-unsupported-content-alg", "multi-recipient content alg changed to A192GCM (2), re-signed", "unsupported_algorithm")
            .audience("hpke-key-encryption", hpke(
                &[("x25519-me", X25519Aes128Gcm), ("p256-other", P256Aes128Gcm)],
                ContentAlg::A128Gcm,
            ))
            .resigned("ed25519-a", None, |inner| edit_layer(inner, |items| {
                // Only the alg changes; the key commitment stays.
                let Value::Bytes(protected) = &items[0] else { panic!("protected") };
                let Value::Map(mut map) =
                    ciborium::from_reader::<Value, _>(protected.as_slice()).expect("CBOR")
                else {
                    panic!("a map")
                };
                map[0].1 = Value::from(2);
                let mut encoded = Vec::new();
                ciborium::into_writer(&Value::Map(map), &mut encoded).expect("encodes");
                items[0] = Value::Bytes(encoded);
            })),
        case("enc-unsupported-suite-mine", "the receiver's entry names HPKE-1-KE (47), re-signed", "unsupported_algorithm")
            .audience("hpke-key-encryption", hpke(
                &[("p256-other", P256Aes128Gcm), ("x25519-me", X25519Aes128Gcm)],
                ContentAlg::A128Gcm,
            ))
            .resigned("ed25519-a", None, |inner| edit_layer(inner, |items| set_entry_alg(items, 1, 47))),
        case("enc-valid-unknown-suite-other", "another recipient's entry names HPKE-1-KE (47): not interpreted; the receiver's own entry decrypts", "valid")
            .audience("hpke-key-encryption", hpke(
                &[("p256-other", P256Aes128Gcm), ("x25519-me", X25519Aes128Gcm)],
                ContentAlg::A128Gcm,
            ))
            .decrypted_with("x25519-me")
            .resigned("ed25519-a", None, |inner| edit_layer(inner, |items| set_entry_alg(items, 0, 47))),
        // Integers are the full CBOR range (envelope.md §4.1); an alg outside i64 is an
        // unsupported algorithm, and in another recipient's entry it is not interpreted.
        case("enc-unsupported-content-alg-2-64-minus-1", "multi-recipient content alg changed to 2^64-1, re-signed", "unsupported_algorithm")
            .audience("hpke-key-encryption", hpke(
                &[("x25519-me", X25519Aes128Gcm), ("p256-other", P256Aes128Gcm)],
                ContentAlg::A128Gcm,
            ))
            .resigned("ed25519-a", None, |inner| edit_layer(inner, |items| {
                let Value::Bytes(protected) = &items[0] else { panic!("protected") };
                let Value::Map(mut map) =
                    ciborium::from_reader::<Value, _>(protected.as_slice()).expect("CBOR")
                else {
                    panic!("a map")
                };
                map[0].1 = Value::from(u64::MAX);
                let mut encoded = Vec::new();
                ciborium::into_writer(&Value::Map(map), &mut encoded).expect("encodes");
                items[0] = Value::Bytes(encoded);
            })),
        case("enc-unsupported-suite-mine-2-64-minus-1", "the receiver's entry names suite 2^64-1, re-signed", "unsupported_algorithm")
            .audience("hpke-key-encryption", hpke(
                &[("p256-other", P256Aes128Gcm), ("x25519-me", X25519Aes128Gcm)],
                ContentAlg::A128Gcm,
            ))
            .resigned("ed25519-a", None, |inner| edit_layer(inner, |items| set_entry_alg(items, 1, u64::MAX))),
        case("enc-valid-suite-other-2-64-minus-1", "another recipient's entry names suite 2^64-1: not interpreted; the receiver's own entry decrypts", "valid")
            .audience("hpke-key-encryption", hpke(
                &[("p256-other", P256Aes128Gcm), ("x25519-me", X25519Aes128Gcm)],
                ContentAlg::A128Gcm,
            ))
            .decrypted_with("x25519-me")
            .resigned("ed25519-a", None, |inner| edit_layer(inner, |items| set_entry_alg(items, 0, u64::MAX))),
        case("enc-unsupported-inner-alg-minus-2-64", "single-recipient layer whose alg is -2^64 (3b ff ff ff ff ff ff ff ff), re-signed", "unsupported_algorithm")
            .audience("hpke", hpke(&[("x25519-me", X25519Aes128Gcm)], ContentAlg::A128Gcm))
            .resigned("ed25519-a", None, |inner| edit_layer(inner, |items| {
                let min = ciborium::value::Integer::try_from(-(1i128 << 64)).expect("in range");
                items[0] = Value::Bytes(header(&[(1, Value::Integer(min))]));
            })),
        // An empty protected header is `invalid_header` (encryption.md §6 step 5), at every
        // level, before any CBOR scan of its (absent) content.
        case("enc-empty-protected-encrypt0", "single-recipient layer whose protected header is h'' (empty bstr), re-signed", "invalid_header")
            .audience("hpke", hpke(&[("x25519-me", X25519Aes128Gcm)], ContentAlg::A128Gcm))
            .resigned("ed25519-a", None, |inner| edit_layer(inner, |items| items[0] = Value::Bytes(Vec::new()))),
        case("enc-empty-map-protected-encrypt0", "single-recipient layer whose protected header is h'a0' (an empty map: no alg), re-signed", "invalid_header")
            .audience("hpke", hpke(&[("x25519-me", X25519Aes128Gcm)], ContentAlg::A128Gcm))
            .resigned("ed25519-a", None, |inner| edit_layer(inner, |items| items[0] = Value::Bytes(vec![0xa0]))),
        case("enc-empty-protected-body", "multi-recipient body whose protected header is h'' (empty bstr), re-signed", "invalid_header")
            .audience("hpke-key-encryption", hpke(
                &[("x25519-me", X25519Aes128Gcm), ("p256-other", P256Aes128Gcm)],
                ContentAlg::A128Gcm,
            ))
            .resigned("ed25519-a", None, |inner| edit_layer(inner, |items| items[0] = Value::Bytes(Vec::new()))),
        case("enc-empty-protected-recipient", "multi-recipient layer whose other recipient's protected header is h'' (empty bstr): every entry's headers are checked, re-signed", "invalid_header")
            .audience("hpke-key-encryption", hpke(
                &[("x25519-me", X25519Aes128Gcm), ("p256-other", P256Aes128Gcm)],
                ContentAlg::A128Gcm,
            ))
            .resigned("ed25519-a", None, |inner| edit_layer(inner, |items| {
                if let Some(Value::Array(entries)) = items.get_mut(3)
                    && let Some(Value::Array(entry)) = entries.get_mut(1)
                {
                    entry[0] = Value::Bytes(Vec::new());
                }
            })),
        case("enc-protected-root-tag", "single-recipient layer whose protected header is h'cd011829' (tag 13 on 1, then 18 29): the tag at offset 0 is disallowed before the trailing bytes, re-signed", "disallowed_item")
            .audience("hpke", hpke(&[("x25519-me", X25519Aes128Gcm)], ContentAlg::A128Gcm))
            .resigned("ed25519-a", None, |inner| edit_layer(inner, |items| items[0] = Value::Bytes(vec![0xcd, 0x01, 0x18, 0x29]))),
        case("enc-iv-wrong-size", "multi-recipient IV of 13 bytes, re-signed", "invalid_header")
            .audience("hpke-key-encryption", hpke(
                &[("x25519-me", X25519Aes128Gcm), ("p256-other", P256Aes128Gcm)],
                ContentAlg::A128Gcm,
            ))
            .resigned("ed25519-a", None, |inner| edit_layer(inner, |items| {
                items[1] = Value::Map(vec![(Value::from(5), Value::Bytes(vec![0; 13]))]);
            })),
        case("enc-first-entry-wins", "two entries for the receiver's keys; the first one's sealed key is corrupt: the receiver uses the first and fails", "decrypt_failed")
            .audience("hpke-key-encryption", hpke(
                &[("x25519-me", X25519Aes128Gcm), ("p256-me", P256Aes128Gcm)],
                ContentAlg::A128Gcm,
            ))
            .resigned("ed25519-a", None, |inner| edit_layer(inner, |items| {
                if let Value::Array(entries) = &mut items[3]
                    && let Some(Value::Array(first)) = entries.first_mut()
                    && let Some(Value::Bytes(sealed)) = first.get_mut(2)
                {
                    sealed[0] ^= 1;
                }
            })),
        case("enc-downgrade", "signed only, on a topic that requires encryption", "encryption_required")
            .sealed(),
        case("enc-too-many-recipients", "5 recipients; the receiver allows 4", "too_many_recipients")
            .audience("hpke-key-encryption", five_recipients())
            .sealed(),
    ]
    .into_iter()
    .chain(crate::enc_commit_cases::all())
    .chain(crate::enc_spec_cases::all())
    .collect()
}

impl Case {
    fn signer_b(mut self) -> Self {
        self.v.signer = "ed25519-b";
        self
    }

    /// Sealed for TOPIC, delivered on another topic.
    fn moved(mut self) -> EncVector {
        let envelope = self.seal();
        self.v.topic = "secure/door-2/locked";
        self.v.envelope = hex::encode(envelope);
        self.v
    }

    /// Sealed for `original`, then re-signed by the same sender for the vector's topic.
    fn resigned_from(mut self, original: &'static str) -> EncVector {
        let target = self.v.topic;
        self.v.topic = original;
        let mut v = self.resigned("ed25519-a", Some(target), |_| {});
        v.topic = target;
        v
    }
}

/// x25519-me (HPKE-3-KE) and p256-other (HPKE-0-KE), A128GCM content.
pub(crate) fn two_recipients() -> Audience {
    use HpkeSuite::*;
    hpke(
        &[
            ("x25519-me", X25519Aes128Gcm),
            ("p256-other", P256Aes128Gcm),
        ],
        ContentAlg::A128Gcm,
    )
}

/// Five recipient entries: the fifth repeats a key under another kid (an audience refuses
/// duplicate kids), so the message really has five.
fn five_recipients() -> Audience {
    use HpkeSuite::*;
    let fifth = to("x25519-other", X25519ChaCha20Poly1305)
        .with_kid(Kid::new(b"fifth".to_vec()).expect("short"));
    Audience::recipients([
        to("x25519-me", X25519Aes128Gcm),
        to("p256-me", P256Aes128Gcm),
        to("x25519-other", X25519Aes128Gcm),
        to("p256-other", P256Aes128Gcm),
        fifth,
    ])
    .expect("distinct kids")
}

/// The content ciphertext of a COSE_Encrypt layer.
fn content_ciphertext(inner: &[u8]) -> Vec<u8> {
    match ciborium::from_reader::<Value, _>(inner).expect("CBOR") {
        Value::Tag(_, body) => match *body {
            Value::Array(items) => match items.get(2) {
                Some(Value::Bytes(b)) => b.clone(),
                _ => panic!("no ciphertext"),
            },
            _ => panic!("not an array"),
        },
        _ => panic!("not tagged"),
    }
}

/// An encoded header map.
pub(crate) fn header(entries: &[(i64, Value)]) -> Vec<u8> {
    let mut out = Vec::new();
    let value = Value::Map(
        entries
            .iter()
            .map(|(k, v)| (Value::from(*k), v.clone()))
            .collect(),
    );
    ciborium::into_writer(&value, &mut out).expect("encodes");
    out
}

/// Decodes a tagged encrypted layer, lets `edit` change its elements, and re-encodes it.
pub(crate) fn edit_layer(inner: &mut Vec<u8>, edit: impl FnOnce(&mut Vec<Value>)) {
    let Value::Tag(tag, body) = ciborium::from_reader::<Value, _>(inner.as_slice()).expect("CBOR")
    else {
        panic!("not tagged")
    };
    let Value::Array(mut items) = *body else {
        panic!("not an array")
    };
    edit(&mut items);
    inner.clear();
    ciborium::into_writer(&Value::Tag(tag, Box::new(Value::Array(items))), &mut *inner)
        .expect("encodes");
}

/// Sets the alg of recipient entry `index` (keeping its kid).
fn set_entry_alg(items: &mut [Value], index: usize, alg: impl Into<Value>) {
    let Some(Value::Array(entries)) = items.get_mut(3) else {
        panic!("no recipients")
    };
    let Some(Value::Array(entry)) = entries.get_mut(index) else {
        panic!("no entry")
    };
    let Some(Value::Bytes(protected)) = entry.first() else {
        panic!("no protected")
    };
    let Value::Map(map) = ciborium::from_reader::<Value, _>(protected.as_slice()).expect("CBOR")
    else {
        panic!("not a map")
    };
    let kid = map
        .iter()
        .find(|(k, _)| *k == Value::from(4))
        .map(|(_, v)| v.clone())
        .expect("kid");
    entry[0] = Value::Bytes(header(&[(1, alg.into()), (4, kid)]));
}
