//! `test-vectors/mac.json`: MAC envelopes (spec/mac.md): valid ones per algorithm, made by
//! the reference sealer, and one for every rejection a MAC envelope can meet, hand-built
//! where a correct sealer would never produce them.

use payseal::{Counter, Kid, MacAlgorithm, MacKey, MacSecret, ManualClock, Sealer};
use payseal_vector_model::mac::{MacFile, MacSender, MacVector};

use crate::craft::{Cbor, array, bstr, header_entries, int, map, raw, seq_bytes, tstr};
use crate::model::PolicyEntry;

const T0: u64 = 1_700_000_000;
const SEQ: u64 = 7;
const PAYLOAD: &[u8] = b"21.5";
const WINDOW: usize = 64;

/// The receiver's secret: 32 fixed bytes.
fn secret() -> MacSecret {
    let bytes: Vec<u8> = (0u8..32).collect();
    MacSecret::from_bytes(&bytes).expect("32 bytes")
}

/// (name, kid, algorithm, topics): `mac-x` is derived from the same secret but not trusted;
/// `mac-r` is a rollover's key, trusted within [`ROLLOVER`] only.
const SENDERS: [(&str, &[u8], MacAlgorithm, &[&str]); 4] = [
    (
        "mac-a",
        b"sensor-a",
        MacAlgorithm::Hmac256_64,
        &["sensors/+/temp", "plant/#"],
    ),
    (
        "mac-b",
        b"sensor-b",
        MacAlgorithm::Hmac256_256,
        &["actuators/#"],
    ),
    ("mac-x", b"sensor-x", MacAlgorithm::Hmac256_256, &[]),
    (
        "mac-r",
        b"sensor-r",
        MacAlgorithm::Hmac256_64,
        &["sensors/+/temp"],
    ),
];

/// `mac-r`'s validity window on the receiver's clock (spec/key-management.md §3), both ends
/// inclusive: (not_before, not_after).
const ROLLOVER: (&str, u64, u64) = ("mac-r", T0 + 10, T0 + 100);

fn sender(name: &str) -> MacKey {
    let (_, kid, alg, _) = SENDERS
        .iter()
        .find(|s| s.0 == name)
        .expect("a known sender");
    secret().sender_key(Kid::new(kid.to_vec()).expect("a kid"), *alg)
}

/// One vector in the making.
struct V {
    id: &'static str,
    description: &'static str,
    stamper: &'static str,
    topic: &'static str,
    now: u64,
    accepted_before: Vec<(&'static str, u64)>,
    envelope: Vec<u8>,
    expected: &'static str,
}

fn v(
    id: &'static str,
    description: &'static str,
    stamper: &'static str,
    envelope: Vec<u8>,
    expected: &'static str,
) -> V {
    V {
        id,
        description,
        stamper,
        topic: "sensors/1/temp",
        now: T0 + 10,
        accepted_before: Vec::new(),
        envelope,
        expected,
    }
}

impl V {
    fn on(mut self, topic: &'static str) -> Self {
        self.topic = topic;
        self
    }
    fn at(mut self, now: u64) -> Self {
        self.now = now;
        self
    }
    fn after(mut self, name: &'static str, seq: u64) -> Self {
        self.accepted_before.push((name, seq));
        self
    }
}

/// The reference sealer's envelope.
fn sealed(name: &str, topic: &str) -> Vec<u8> {
    Sealer::new(
        sender(name),
        Counter::starting_at(SEQ),
        ManualClock::new(T0),
    )
    .seal(topic, PAYLOAD)
    .expect("seals")
}

/// The protected header a sealer writes, with `alg` as given.
fn protected(alg: i64, kid: &[u8]) -> Vec<u8> {
    map(&header_entries(alg, kid, &seq_bytes(SEQ), T0)).0
}

fn mac_structure(protected: &[u8], topic: &str, payload: &[u8]) -> Vec<u8> {
    array(&[
        tstr("MAC0"),
        bstr(protected),
        bstr(&payseal::external_aad(topic)),
        bstr(payload),
    ])
    .0
}

/// `17([protected, unprotected, payload, tag])` with the tag `stamp` makes over the
/// MAC_structure.
fn mac0(
    protected: &[u8],
    unprotected: Cbor,
    topic: &str,
    stamp: impl FnOnce(&[u8]) -> Cbor,
) -> Vec<u8> {
    let tag = stamp(&mac_structure(protected, topic, PAYLOAD));
    let body = array(&[bstr(protected), unprotected, bstr(PAYLOAD), tag]);
    [vec![0xd1], body.0].concat()
}

/// An envelope `key` stamps honestly, but under `kid` and `alg` as given.
fn stamped(key: &MacKey, alg: i64, kid: &[u8], topic: &str) -> Vec<u8> {
    mac0(&protected(alg, kid), map(&[]), topic, |m| bstr(&key.tag(m)))
}

fn cases() -> Vec<V> {
    let a = sender("mac-a");
    let b = sender("mac-b");
    let t = "sensors/1/temp";
    let a_kid = b"sensor-a".as_slice();
    let full_hmac = |m: &[u8]| {
        let full = MacKey::from_bytes(a.kid().clone(), MacAlgorithm::Hmac256_256, *a.to_bytes());
        bstr(&full.tag(m))
    };
    let mut flipped = sealed("mac-a", t);
    let last = flipped.len() - 1;
    flipped[last] ^= 0x01;
    let b_as_a = MacKey::from_bytes(a.kid().clone(), MacAlgorithm::Hmac256_64, *b.to_bytes());
    vec![
        v(
            "mac-valid-hmac256-64",
            "HMAC 256/64: an 8-byte tag",
            "mac-a",
            sealed("mac-a", t),
            "valid",
        ),
        v(
            "mac-valid-hmac256-256",
            "HMAC 256/256: a 32-byte tag",
            "mac-b",
            sealed("mac-b", "actuators/valve"),
            "valid",
        )
        .on("actuators/valve"),
        v(
            "mac-bad-tag",
            "the last bit of the tag flipped",
            "mac-a",
            flipped,
            "bad_signature",
        ),
        v(
            "mac-full-tag-for-hmac256-64",
            "an untruncated 32-byte HMAC where alg 4 needs the left 8 bytes",
            "mac-a",
            mac0(&protected(4, a_kid), map(&[]), t, full_hmac),
            "bad_signature",
        ),
        v(
            "mac-truncated-tag-for-hmac256-256",
            "the left 8 bytes of a valid HMAC 256/256 tag",
            "mac-b",
            {
                let p = protected(5, b"sensor-b");
                mac0(&p, map(&[]), "actuators/valve", |m| bstr(&b.tag(m)[..8]))
            },
            "bad_signature",
        )
        .on("actuators/valve"),
        v(
            "mac-moved-topic",
            "sealed for sensors/1/temp, received on sensors/2/temp",
            "mac-a",
            sealed("mac-a", t),
            "bad_signature",
        )
        .on("sensors/2/temp"),
        v(
            "mac-other-sender-key",
            "mac-b's own derived key stamping under mac-a's kid: a sender key cannot stamp as another sender",
            "mac-b",
            stamped(&b_as_a, 4, a_kid, t),
            "bad_signature",
        ),
        v(
            "mac-unknown-sender",
            "a kid the receiver does not trust (derived from the same secret)",
            "mac-x",
            sealed("mac-x", t),
            "unknown_sender",
        ),
        v(
            "mac-algorithm-mismatch",
            "mac-a's kid, pinned to HMAC 256/64, with alg 5 and a valid 32-byte tag under its key",
            "mac-a",
            mac0(&protected(5, a_kid), map(&[]), t, full_hmac),
            "algorithm_mismatch",
        ),
        v(
            "mac-topic-not-authorized",
            "mac-b may publish on actuators/# only",
            "mac-b",
            sealed("mac-b", t),
            "topic_not_authorized",
        ),
        v(
            "mac-stale",
            "received 301 s after sealing (max_age 300)",
            "mac-a",
            sealed("mac-a", t),
            "stale",
        )
        .at(T0 + 301),
        v(
            "mac-from-the-future",
            "received 31 s before its timestamp (max_future_skew 30)",
            "mac-a",
            sealed("mac-a", t),
            "from_the_future",
        )
        .at(T0 - 31),
        v(
            "mac-replayed",
            "sequence 7 already accepted from mac-a",
            "mac-a",
            sealed("mac-a", t),
            "replayed",
        )
        .after("mac-a", SEQ),
        v(
            "mac-below-window",
            "sequence 7 when 71 was accepted (window 64)",
            "mac-a",
            sealed("mac-a", t),
            "below_window",
        )
        .after("mac-a", SEQ + WINDOW as u64),
        v(
            "mac-unsupported-alg-hmac384",
            "alg 6 (HMAC 384/384) is not one of this profile's",
            "mac-a",
            stamped(&a, 6, a_kid, t),
            "unsupported_algorithm",
        ),
        v(
            "mac-signature-alg-in-mac0",
            "a COSE_Mac0 naming Ed25519 (-19): a signature algorithm is unsupported in a MAC envelope",
            "mac-a",
            stamped(&a, -19, a_kid, t),
            "unsupported_algorithm",
        ),
        v(
            "mac-tag-not-bstr",
            "the tag is a text string",
            "mac-a",
            mac0(&protected(4, a_kid), map(&[]), t, |_| tstr("tag")),
            "invalid_structure",
        ),
        v(
            "mac-unprotected-not-empty",
            "the unprotected header holds a kid",
            "mac-a",
            mac0(
                &protected(4, a_kid),
                map(&[(int(4), bstr(a_kid))]),
                t,
                |m| bstr(&a.tag(m)),
            ),
            "invalid_header",
        ),
        v(
            "mac-detached-payload",
            "payload nil (detached)",
            "mac-a",
            {
                let p = protected(4, a_kid);
                let body = array(&[
                    bstr(&p),
                    map(&[]),
                    raw(&[0xf6]),
                    bstr(&a.tag(&mac_structure(&p, t, b""))),
                ]);
                [vec![0xd1], body.0].concat()
            },
            "invalid_structure",
        ),
        v(
            "mac-duplicate-label",
            "the protected header has the kid twice",
            "mac-a",
            {
                let mut entries = header_entries(4, a_kid, &seq_bytes(SEQ), T0);
                entries.push((int(4), bstr(a_kid)));
                mac0(&map(&entries).0, map(&[]), t, |m| bstr(&a.tag(m)))
            },
            "duplicate_label",
        ),
        v(
            "mac-key-not-yet-valid",
            "mac-r's key one second before its not_before (receiver's clock), the tag valid",
            "mac-r",
            sealed("mac-r", t),
            "key_not_yet_valid",
        )
        .at(ROLLOVER.1 - 1),
        v(
            "mac-key-within-window-at-not-before",
            "mac-r's key at its not_before (inclusive)",
            "mac-r",
            sealed("mac-r", t),
            "valid",
        )
        .at(ROLLOVER.1),
        v(
            "mac-key-within-window-at-not-after",
            "mac-r's key at its not_after (inclusive)",
            "mac-r",
            sealed("mac-r", t),
            "valid",
        )
        .at(ROLLOVER.2),
        v(
            "mac-key-expired",
            "mac-r's key one second after its not_after, the envelope still fresh",
            "mac-r",
            sealed("mac-r", t),
            "key_expired",
        )
        .at(ROLLOVER.2 + 1),
        v(
            "mac-key-expired-before-the-tag",
            "mac-r's key after its not_after with a flipped tag: the window is checked at step 5, before the tag",
            "mac-r",
            {
                let mut e = sealed("mac-r", t);
                let last = e.len() - 1;
                e[last] ^= 0x01;
                e
            },
            "key_expired",
        )
        .at(ROLLOVER.2 + 1),
        v(
            "mac-wrong-root-tag-97",
            "a COSE_Mac (tag 97, with recipients) is not a payseal envelope",
            "mac-a",
            {
                let mut e = sealed("mac-a", t);
                e[0] = 0xd8;
                e.insert(1, 97);
                e
            },
            "wrong_tag",
        ),
    ]
}

pub(crate) fn build() -> MacFile<&'static str> {
    let secret = secret();
    MacFile {
        profile: payseal::PROFILE,
        source: "generated by `cargo run -p payseal-vectors` (deterministic); see spec/mac.md §7",
        secret: hex::encode(secret.expose_bytes()),
        senders: SENDERS
            .iter()
            .map(|(name, kid, alg, topics)| MacSender {
                name: *name,
                kid: hex::encode(kid),
                alg: match alg {
                    MacAlgorithm::Hmac256_64 => "HMAC 256/64",
                    _ => "HMAC 256/256",
                },
                alg_id: alg.cose_id(),
                key: hex::encode(*sender(name).to_bytes()),
                topics: topics.to_vec(),
                not_before: (*name == ROLLOVER.0).then_some(ROLLOVER.1),
                not_after: (*name == ROLLOVER.0).then_some(ROLLOVER.2),
            })
            .collect(),
        policy: PolicyEntry {
            max_age: 300,
            max_future_skew: 30,
            window: WINDOW,
            max_envelope_bytes: 1024,
        },
        vectors: cases()
            .into_iter()
            .map(|c| MacVector {
                id: c.id,
                description: c.description,
                stamper: c.stamper,
                topic: c.topic.to_string(),
                payload: hex::encode(PAYLOAD),
                seq: SEQ,
                timestamp: T0,
                envelope: hex::encode(&c.envelope),
                now: c.now,
                accepted_before: c.accepted_before,
                expected: c.expected,
            })
            .collect(),
    }
}
