//! Every vector: what it is, how it is made and what a verifier must answer.

use payseal::{Counter, ManualClock, Sealer};

use crate::craft::{
    self, Cbor, big_int, bstr, header_entries, int, map, raw, seq_bytes, tstr, uint,
};
use crate::keys::key;
use crate::model::Vector;

/// The clock every vector is sealed at, unless it says otherwise.
pub(crate) const T0: u64 = 1_700_000_000;
/// The verifier's clock: ten seconds later.
const NOW: u64 = T0 + 10;
const TOPIC: &str = "sensors/1/temp";
const PAYLOAD: &[u8] = b"{\"celsius\":21.5}";

/// A vector under construction; starts as a valid Ed25519 message.
struct Case {
    v: Vector,
    payload: Vec<u8>,
}

fn case(id: &'static str, description: &'static str, expected: &'static str) -> Case {
    Case {
        v: Vector {
            id,
            description,
            signer: "ed25519-a",
            topic: TOPIC.to_string(),
            payload: String::new(),
            seq: 42,
            timestamp: T0,
            envelope: String::new(),
            now: NOW,
            accepted_before: Vec::new(),
            expected,
        },
        payload: PAYLOAD.to_vec(),
    }
}

impl Case {
    fn signer(mut self, name: &'static str) -> Self {
        self.v.signer = name;
        self
    }
    fn payload(mut self, payload: &[u8]) -> Self {
        self.payload = payload.to_vec();
        self
    }
    fn seq(mut self, seq: u64) -> Self {
        self.v.seq = seq;
        self
    }
    fn timestamp(mut self, ts: u64) -> Self {
        self.v.timestamp = ts;
        self
    }
    fn now(mut self, now: u64) -> Self {
        self.v.now = now;
        self
    }
    fn after(mut self, accepted: &[(&'static str, u64)]) -> Self {
        self.v.accepted_before = accepted.to_vec();
        self
    }
    /// The topic the verifier receives the message on.
    fn received_on(mut self, topic: &str) -> Self {
        self.v.topic = topic.to_string();
        self
    }

    /// Seals with payseal's own [`Sealer`].
    fn sealed(self) -> Vector {
        let topic = self.v.topic.clone();
        self.sealed_for(&topic)
    }

    /// Seals for `sealed_topic` (the message may arrive on another one).
    fn sealed_for(self, sealed_topic: &str) -> Vector {
        let envelope = self.seal_bytes(sealed_topic);
        self.finish(envelope)
    }

    fn seal_bytes(&self, topic: &str) -> Vec<u8> {
        let clock = ManualClock::new(self.v.timestamp);
        let mut sealer = Sealer::new(key(self.v.signer), Counter::starting_at(self.v.seq), &clock);
        sealer
            .seal(topic, &self.payload)
            .expect("valid inputs seal")
    }

    /// Seals, then changes the envelope with `alter`.
    fn altered(self, alter: impl FnOnce(&mut Vec<u8>)) -> Vector {
        let mut envelope = self.seal_bytes(&self.v.topic);
        alter(&mut envelope);
        self.finish(envelope)
    }

    /// The standard header entries of this case, for crafting.
    fn entries(&self, alg: i64) -> Vec<(Cbor, Cbor)> {
        let k = key(self.v.signer);
        header_entries(
            alg,
            k.kid().as_bytes(),
            &seq_bytes(self.v.seq),
            self.v.timestamp,
        )
    }

    fn std_alg(&self) -> i64 {
        key(self.v.signer).algorithm().cose_id()
    }

    /// Signs a hand-made protected header with an empty unprotected header.
    fn crafted(self, protected: Cbor) -> Vector {
        self.crafted_with(protected, map(&[]))
    }

    fn crafted_with(self, protected: Cbor, unprotected: Cbor) -> Vector {
        let envelope = craft::envelope(
            &key(self.v.signer),
            &protected.0,
            unprotected,
            &self.v.topic,
            &self.payload,
        );
        self.finish(envelope)
    }

    /// Crafts a protected header of `prefix` followed by the standard map.
    fn prefixed(self, prefix: &[u8]) -> Vector {
        let entries = self.entries(self.std_alg());
        self.crafted(raw(&[prefix, &map(&entries).0].concat()))
    }

    /// Crafts from the standard entries after `edit` changes them.
    fn edited(self, edit: impl FnOnce(&mut Vec<(Cbor, Cbor)>)) -> Vector {
        let mut entries = self.entries(self.std_alg());
        edit(&mut entries);
        self.crafted(map(&entries))
    }

    fn finish(mut self, envelope: Vec<u8>) -> Vector {
        self.v.payload = hex::encode(&self.payload);
        self.v.envelope = hex::encode(envelope);
        self.v
    }
}

/// Flips the lowest bit of the byte at `index` within the only occurrence of `needle`.
fn flip_in(envelope: &mut [u8], needle: &[u8], index: usize) {
    let found: Vec<usize> = (0..=envelope.len() - needle.len())
        .filter(|&i| envelope[i..i + needle.len()] == *needle)
        .collect();
    assert_eq!(
        found.len(),
        1,
        "needle {} must occur once",
        hex::encode(needle)
    );
    envelope[found[0] + index] ^= 1;
}

fn flip_last(envelope: &mut [u8]) {
    let last = envelope.len() - 1;
    envelope[last] ^= 1;
}

pub(crate) fn all() -> Vec<Vector> {
    let kid_a = key("ed25519-a").kid().as_bytes().to_vec();
    vec![
        // ---- valid ----
        case(
            "valid-ed25519",
            "Ed25519 (alg -19), sealed by payseal",
            "valid",
        )
        .sealed(),
        case(
            "valid-esp256",
            "ECDSA P-256 (alg ESP256 -9), sealed by payseal",
            "valid",
        )
        .signer("p256-a")
        .sealed(),
        case(
            "valid-es256k",
            "ECDSA secp256k1 (alg ES256K -47), sealed by payseal",
            "valid",
        )
        .signer("k256-a")
        .sealed(),
        // §3.4: senders write low s, receivers accept both; the high-s twin of each.
        case(
            "valid-esp256-high-s",
            "valid-esp256 with its signature's s replaced by n - s (high s): receivers accept both forms, senders write low s",
            "valid",
        )
        .signer("p256-a")
        .altered(craft::high_s(payseal::Algorithm::EcdsaP256)),
        case(
            "valid-es256k-high-s",
            "valid-es256k with its signature's s replaced by n - s (high s): receivers accept both forms, senders write low s",
            "valid",
        )
        .signer("k256-a")
        .altered(craft::high_s(payseal::Algorithm::EcdsaSecp256k1)),
        case(
            "valid-eddsa-legacy-alg",
            "Ed25519 key, alg EdDSA (-8): accepted on verify",
            "valid",
        )
        .edited(|e| e[0].1 = int(-8)),
        case(
            "valid-es256-legacy-alg",
            "P-256 key, alg ES256 (-7): accepted on verify",
            "valid",
        )
        .signer("p256-a")
        .edited(|e| e[0].1 = int(-7)),
        case("valid-empty-payload", "a zero-length payload", "valid")
            .payload(b"")
            .sealed(),
        case(
            "valid-seq-zero",
            "sequence number 0 (Partial IV h'00')",
            "valid",
        )
        .seq(0)
        .sealed(),
        case(
            "valid-seq-max",
            "sequence number 2^64-1 (8-byte Partial IV)",
            "valid",
        )
        .seq(u64::MAX)
        .sealed(),
        case(
            "valid-wildcard-topic",
            "topic under the sender's filter plant/#",
            "valid",
        )
        .received_on("plant/hall-2/line/4/pressure")
        .sealed(),
        case(
            "valid-late-in-window",
            "seq 41 after 42 was accepted: late, still new",
            "valid",
        )
        .seq(41)
        .after(&[("ed25519-a", 42)])
        .sealed(),
        case(
            "valid-oldest-in-window",
            "seq 37 after 100: exactly the oldest of a 64-wide window",
            "valid",
        )
        .seq(37)
        .after(&[("ed25519-a", 100)])
        .sealed(),
        case(
            "valid-max-age-edge",
            "timestamp exactly max_age (300 s) old",
            "valid",
        )
        .now(T0 + 300)
        .sealed(),
        case(
            "valid-future-skew-edge",
            "timestamp exactly max_future_skew (30 s) ahead",
            "valid",
        )
        .timestamp(NOW + 30)
        .sealed(),
        // envelope.md §4.1: map key order is not checked; the signature covers the bytes sent.
        case(
            "valid-unsorted-protected-header",
            "the five protected parameters in reverse order {16, 15, 6, 4, 1}: map key order is not checked, and the signature covers the protected bstr as sent",
            "valid",
        )
        .edited(|e| e.reverse()),
        case(
            "valid-unknown-header-ignored",
            "an extra non-critical header (-70000: \"x\") is ignored",
            "valid",
        )
        .edited(|e| e.push((int(-70000), tstr("x")))),
        case(
            "valid-crit-understood",
            "crit [15] lists an understood label",
            "valid",
        )
        .edited(|e| e.insert(1, (uint(2), craft::array(&[uint(15)])))),
        case(
            "valid-cwt-claims-not-critical",
            "CWT Claims hold exp (4), long past, beside iat; CWT Claims are not critical, so claims other than iat are ignored",
            "valid",
        )
        .edited(|e| e[3].1 = map(&[(uint(4), uint(T0 - 3600)), (uint(6), uint(T0))])),
        // ---- topic, sender, algorithm ----
        case(
            "invalid-wrong-topic",
            "sealed for sensors/1/temp, delivered on sensors/2/temp (sender allowed on both)",
            "bad_signature",
        )
        .received_on("sensors/2/temp")
        .sealed_for(TOPIC),
        case(
            "invalid-topic-not-authorized",
            "ed25519-b may publish on actuators/# only",
            "topic_not_authorized",
        )
        .signer("ed25519-b")
        .sealed(),
        case(
            "invalid-unknown-sender",
            "signed by a key the verifier does not trust",
            "unknown_sender",
        )
        .signer("untrusted")
        .sealed(),
        case(
            "invalid-alg-mismatch",
            "Ed25519 sender key, header says ESP256 (-9), signed with the Ed25519 key",
            "algorithm_mismatch",
        )
        .edited(|e| e[0].1 = int(-9)),
        case(
            "invalid-alg-mismatch-es256-on-k256",
            "secp256k1 sender key, header says ES256 (-7)",
            "algorithm_mismatch",
        )
        .signer("k256-a")
        .edited(|e| e[0].1 = int(-7)),
        case(
            "invalid-unsupported-alg",
            "alg ES384 (-35)",
            "unsupported_algorithm",
        )
        .edited(|e| e[0].1 = int(-35)),
        // Integers are the full CBOR range (envelope.md §4.1): an alg outside i64 is an
        // algorithm like any other that the profile does not support.
        case(
            "invalid-alg-2-63",
            "alg 2^63 (1b 80 00 00 00 00 00 00 00), just above i64",
            "unsupported_algorithm",
        )
        .edited(|e| e[0].1 = big_int(1 << 63)),
        case(
            "invalid-alg-minus-2-63-minus-1",
            "alg -2^63-1 (3b 80 00 00 00 00 00 00 00), just below i64",
            "unsupported_algorithm",
        )
        .edited(|e| e[0].1 = big_int(-(1 << 63) - 1)),
        case(
            "invalid-alg-minus-2-64",
            "alg -2^64 (3b ff ff ff ff ff ff ff ff), the smallest CBOR integer",
            "unsupported_algorithm",
        )
        .edited(|e| e[0].1 = big_int(-(1 << 64))),
        case(
            "invalid-alg-2-64-minus-1",
            "alg 2^64-1 (1b ff ff ff ff ff ff ff ff), the largest CBOR integer",
            "unsupported_algorithm",
        )
        .edited(|e| e[0].1 = big_int((1 << 64) - 1)),
        case(
            "invalid-alg-2-64-minus-1-kid-too-long",
            "alg 2^64-1 and a 33-byte kid: the kid's size is checked before the alg",
            "too_large",
        )
        .edited(|e| {
            e[0].1 = big_int((1 << 64) - 1);
            e[1].1 = bstr(&[7; 33]);
        }),
        case(
            "invalid-topic-name",
            "delivered on a topic name with a wildcard",
            "invalid_topic",
        )
        .received_on("sensors/+/temp")
        .sealed_for(TOPIC),
        // ---- tampering: one flipped bit in each field ----
        case(
            "invalid-flip-payload",
            "one bit of the payload flipped",
            "bad_signature",
        )
        .altered(|env| flip_in(env, PAYLOAD, 3)),
        case(
            "invalid-flip-signature",
            "one bit of the signature flipped",
            "bad_signature",
        )
        .altered(|env| flip_last(env)),
        case(
            "invalid-flip-kid",
            "one bit of the kid flipped",
            "unknown_sender",
        )
        .altered(|env| flip_in(env, &kid_a, 7)),
        case(
            "invalid-flip-seq",
            "one bit of the Partial IV flipped (42 -> 43)",
            "bad_signature",
        )
        .altered(|env| flip_in(env, &[0x06, 0x41, 42], 2)),
        case(
            "invalid-flip-timestamp",
            "one bit of iat flipped",
            "bad_signature",
        )
        .altered(|env| flip_in(env, &uint(T0).0, 4)),
        case(
            "invalid-flip-alg",
            "one bit of alg flipped (-19 -> -20)",
            "unsupported_algorithm",
        )
        .altered(|env| flip_in(env, &[0x01, 0x32], 1)),
        case(
            "invalid-flip-typ",
            "one bit of typ flipped (payseal/1 -> payseal/0)",
            "invalid_header",
        )
        .altered(|env| flip_in(env, b"payseal/1", 8)),
        case(
            "invalid-flip-tag",
            "one bit of the tag flipped (18 -> 19)",
            "wrong_tag",
        )
        .altered(|env| env[0] ^= 1),
        // ---- replay and freshness ----
        case(
            "invalid-replayed",
            "seq 42 was already accepted",
            "replayed",
        )
        .after(&[("ed25519-a", 42)])
        .sealed(),
        case(
            "invalid-below-window",
            "seq 36 after 100 with a 64-wide window",
            "below_window",
        )
        .seq(36)
        .after(&[("ed25519-a", 100)])
        .sealed(),
        case(
            "invalid-stale",
            "timestamp 301 s old (max_age 300)",
            "stale",
        )
        .now(T0 + 301)
        .sealed(),
        case(
            "invalid-from-the-future",
            "timestamp 31 s ahead (max_future_skew 30)",
            "from_the_future",
        )
        .timestamp(NOW + 31)
        .sealed(),
        // ---- strict decoding ----
        case(
            "invalid-trailing-bytes",
            "a 0x00 byte after the envelope",
            "trailing_bytes",
        )
        .altered(|env| env.push(0)),
        case("invalid-truncated", "the last byte removed", "invalid_cbor").altered(|env| {
            env.pop();
        }),
        case(
            "invalid-garbage",
            "not CBOR: a stray break byte (ff) then text; the first byte is not a tag head",
            "not_an_envelope",
        )
        .altered(|env| *env = b"\xffgarbage".to_vec()),
        case(
            "invalid-stray-break",
            "tag 18, then a stray break byte (ff) and text",
            "invalid_cbor",
        )
        .altered(|env| *env = b"\xd2\xffgarbage".to_vec()),
        // envelope.md §4.1: bytes whose first byte is not a CBOR tag head are not an envelope.
        case(
            "invalid-not-an-envelope-number",
            "plaintext 21.5 (reads as CBOR -19 then 3 more bytes)",
            "not_an_envelope",
        )
        .altered(|env| *env = b"21.5".to_vec()),
        case(
            "invalid-not-an-envelope-text",
            "plaintext hello world (reads as a CBOR text head)",
            "not_an_envelope",
        )
        .altered(|env| *env = b"hello world".to_vec()),
        case(
            "invalid-not-an-envelope-on",
            "plaintext on (reads as a truncated CBOR text string)",
            "not_an_envelope",
        )
        .altered(|env| *env = b"on".to_vec()),
        case(
            "invalid-not-an-envelope-json",
            "a JSON object, {\"lock\":\"open\"}",
            "not_an_envelope",
        )
        .altered(|env| *env = b"{\"lock\":\"open\"}".to_vec()),
        case(
            "invalid-not-an-envelope-empty",
            "an empty payload (as MQTT uses to clear a retained message)",
            "not_an_envelope",
        )
        .altered(Vec::clear),
        case(
            "invalid-duplicate-label",
            "the protected header has kid twice (validly signed)",
            "duplicate_label",
        )
        .edited(|e| {
            let kid = e[1].clone();
            e.insert(2, kid);
        }),
        case(
            "invalid-indefinite-protected-map",
            "the protected header is an indefinite-length map (validly signed)",
            "indefinite_length",
        )
        .signer("ed25519-a")
        .edited_indefinite(),
        case(
            "invalid-indefinite-outer-array",
            "the COSE_Sign1 array has indefinite length",
            "indefinite_length",
        )
        .altered(|env| {
            env[1] = 0x9f;
            env.push(0xff);
        }),
        case(
            "invalid-non-preferred-int",
            "alg -19 written in two bytes (38 12), validly signed",
            "non_preferred_encoding",
        )
        .edited(|e| e[0].1 = raw(&[0x38, 0x12])),
        // envelope.md §4.1: a tag in the protected header, even at its root, is
        // `disallowed_item` at its own head, before anything after it is looked at.
        case(
            "invalid-protected-root-tag-then-map",
            "protected header content c1 01 followed by the standard map: tag 1 at offset 0, before the trailing map",
            "disallowed_item",
        )
        .prefixed(&[0xc1, 0x01]),
        case(
            "invalid-protected-root-tag-indefinite",
            "protected header content d2 5f a0: tag 18 at offset 0, before the indefinite-length bstr",
            "disallowed_item",
        )
        .crafted(raw(&[0xd2, 0x5f, 0xa0])),
        case(
            "invalid-protected-bare-tag",
            "protected header content d0: a tag head with no item after it",
            "disallowed_item",
        )
        .crafted(raw(&[0xd0])),
        case(
            "invalid-float-timestamp",
            "iat as a float (fb ...), validly signed",
            "disallowed_item",
        )
        .edited(|e| {
            let float = [vec![0xfb], (T0 as f64).to_be_bytes().to_vec()].concat();
            e[3].1 = map(&[(uint(6), raw(&float))]);
        }),
        case(
            "invalid-unknown-critical",
            "crit lists -70000, which this profile does not understand",
            "unknown_critical_header",
        )
        .edited(|e| {
            e.insert(1, (uint(2), craft::array(&[int(-70000)])));
            e.push((int(-70000), tstr("must understand")));
        }),
        // envelope.md §4.2 step 7: crit is checked before the presence of iat.
        case(
            "invalid-unknown-critical-no-iat",
            "CWT Claims {} without iat, and crit lists -70000, which this profile does not understand: crit is checked before presence",
            "unknown_critical_header",
        )
        .edited(|e| {
            e[3].1 = map(&[]);
            e.insert(1, (uint(2), craft::array(&[int(-70000)])));
            e.push((int(-70000), tstr("must understand")));
        }),
        case(
            "invalid-critical-cwt-exp-no-iat",
            "crit [15] with CWT Claims holding only exp (4): the unknown critical claim comes before the missing iat",
            "unknown_critical_header",
        )
        .edited(|e| {
            e[3].1 = map(&[(uint(4), uint(NOW + 3600))]);
            e.insert(1, (uint(2), craft::array(&[uint(15)])));
        }),
        case(
            "invalid-cwt-claims-no-iat",
            "CWT Claims holding only exp (4), not critical: iat is missing",
            "invalid_header",
        )
        .edited(|e| e[3].1 = map(&[(uint(4), uint(NOW + 3600))])),
        case(
            "invalid-critical-cwt-exp",
            "crit [15] with CWT Claims holding exp (4, an hour ahead) beside iat: a critical CWT Claims parameter makes its claims critical, and this profile understands only iat",
            "unknown_critical_header",
        )
        .edited(|e| {
            e[3].1 = map(&[(uint(4), uint(NOW + 3600)), (uint(6), uint(T0))]);
            e.insert(1, (uint(2), craft::array(&[uint(15)])));
        }),
        case(
            "invalid-critical-cwt-nbf",
            "crit [15] with CWT Claims holding nbf (5, an hour ahead) beside iat: not understood, so refused rather than ignored",
            "unknown_critical_header",
        )
        .edited(|e| {
            e[3].1 = map(&[(uint(5), uint(NOW + 3600)), (uint(6), uint(T0))]);
            e.insert(1, (uint(2), craft::array(&[uint(15)])));
        }),
        case(
            "invalid-untagged",
            "a COSE_Sign1 without tag 18: an array head (84) where a tag head must be",
            "not_an_envelope",
        )
        .altered(|env| {
            env.remove(0);
        }),
        case(
            "invalid-detached-payload",
            "payload nil (detached), signed over the real payload",
            "invalid_structure",
        )
        .detached(),
        case(
            "invalid-unprotected-kid",
            "a kid in the unprotected header",
            "invalid_header",
        )
        .unprotected_kid(),
        case(
            "invalid-missing-timestamp",
            "no CWT Claims header",
            "invalid_header",
        )
        .edited(|e| {
            e.remove(3);
        }),
        case("invalid-missing-typ", "no typ header", "invalid_header").edited(|e| {
            e.remove(4);
        }),
        case(
            "invalid-seq-leading-zero",
            "Partial IV h'002a' has a leading zero",
            "invalid_header",
        )
        .edited(|e| e[2].1 = bstr(&[0, 42])),
        case("invalid-kid-too-long", "a 33-byte kid", "too_large")
            .edited(|e| e[1].1 = bstr(&[7; 33])),
        case(
            "invalid-short-signature",
            "a 63-byte signature",
            "invalid_structure",
        )
        .altered(|env| {
            // 58 40 <64 bytes> -> 58 3f <63 bytes>
            let at = env.len() - 65;
            env[at] = 0x3f;
            env.pop();
        }),
        case(
            "invalid-oversize",
            "a 1,100-byte payload; the verifier's limit is 1,024 bytes",
            "too_large",
        )
        .payload(&[0x55; 1100])
        .sealed(),
        case(
            "invalid-protected-too-large",
            "a protected header of more than 256 bytes",
            "too_large",
        )
        .edited(|e| e.push((int(-70001), bstr(&[0; 300])))),
        case(
            "invalid-too-deep",
            "an extra header holding [[[[1]]]]: 4 arrays inside the header map, depth 5",
            "too_complex",
        )
        .edited(|e| {
            let deep = craft::array(&[craft::array(&[craft::array(&[craft::array(&[uint(1)])])])]);
            e.push((int(-70002), deep));
        }),
        // ---- message kind marker (§3.7; MQTT rules in kind.json) ----
        case(
            "valid-kind-retained",
            "the message kind marker (label -65540) = 1, retained state: a plain verifier applies its one policy",
            "valid",
        )
        .edited(|e| e.push((int(payseal::MessageKind::LABEL), uint(1)))),
        case(
            "valid-kind-critical",
            "crit lists the message kind label -65540 (understood), marker = 2 (will)",
            "valid",
        )
        .edited(|e| {
            e.insert(1, (uint(2), craft::array(&[int(payseal::MessageKind::LABEL)])));
            e.push((int(payseal::MessageKind::LABEL), uint(2)));
        }),
        // §3.6, §4.2 steps 7-8: a static trust store ignores an x5chain's content, but its
        // structural limits still apply.
        case(
            "valid-x5chain-ignored-by-static-store",
            "x5chain (33) holds one bstr that is not even a certificate: a static trust store resolves the sender by kid and never parses it",
            "valid",
        )
        .edited(|e| e.push((uint(33), bstr(b"not a certificate: ignored by a static store")))),
        case(
            "invalid-x5chain-not-bstr-static-store",
            "x5chain (33) is the integer 1: the type of x5chain is checked at the structural step whatever the receiver",
            "invalid_header",
        )
        .edited(|e| e.push((uint(33), uint(1)))),
        case(
            "invalid-x5chain-too-many-certs-static-store",
            "x5chain holds 5 certificates of 8 bytes each: over the limit of 4 (too_complex), for a static trust store too",
            "too_complex",
        )
        .edited(|e| e.push((uint(33), craft::array(&[bstr(&[7; 8]), bstr(&[7; 8]), bstr(&[7; 8]), bstr(&[7; 8]), bstr(&[7; 8])])))),
        case(
            "invalid-x5chain-rest-too-large-static-store",
            "x5chain holds one 8-byte certificate, and an unknown parameter 99 holds 240 bytes: the header less its certificate bytes is over 256 (too_large), for a static trust store too",
            "too_large",
        )
        .edited(|e| {
            e.push((uint(33), bstr(&[7; 8])));
            e.push((uint(99), bstr(&[0; 240])));
        }),
        case(
            "invalid-unknown-kind",
            "message kind marker = 3: not assigned",
            "unknown_kind",
        )
        .edited(|e| e.push((int(payseal::MessageKind::LABEL), uint(3)))),
        case(
            "invalid-kind-not-uint",
            "message kind marker = -1: not an unsigned integer",
            "invalid_header",
        )
        .edited(|e| e.push((int(payseal::MessageKind::LABEL), int(-1)))),
    ]
}

impl Case {
    fn edited_indefinite(self) -> Vector {
        let entries = self.entries(self.std_alg());
        self.crafted(craft::indefinite_map(&entries))
    }

    fn detached(self) -> Vector {
        let k = key(self.v.signer);
        let protected = map(&self.entries(self.std_alg())).0;
        let sig = k
            .sign(&craft::tbs(&protected, &self.v.topic, &self.payload))
            .to_bytes();
        let body = craft::array(&[bstr(&protected), map(&[]), raw(&[0xf6]), bstr(&sig)]);
        self.finish([vec![0xd2], body.0].concat())
    }

    fn unprotected_kid(self) -> Vector {
        let protected = map(&self.entries(self.std_alg()));
        let kid = key(self.v.signer).kid().as_bytes().to_vec();
        self.crafted_with(protected, map(&[(uint(4), bstr(&kid))]))
    }
}
