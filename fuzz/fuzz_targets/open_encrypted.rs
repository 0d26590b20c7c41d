//! The opener with a keyring on arbitrary bytes: the encrypted layer's decoding and the
//! recipient search must never panic, whatever a validly signed envelope carries. Seeds: the
//! encrypted layers of test-vectors/encrypt.json (see seed.py).
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use payseal::{
    Algorithm, ContentAlg, GroupKey, KemKind, Keyring, Kid, ManualClock, Opener, Policy,
    RecipientKey, SigningKey, TrustStore,
};

struct Fixture {
    sender_secret: [u8; 32],
    trust: TrustStore,
    keyring: Keyring,
}

/// Built once: deriving keys per input would dominate the run time.
fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let sender_secret = [1; 32];
        let sender = SigningKey::from_secret_bytes(Algorithm::Ed25519, &sender_secret).expect("valid");
        let mut trust = TrustStore::new();
        trust.add_sender(sender.verifying_key(), ["#"]).expect("valid");
        let mut keyring = Keyring::new();
        for kem in [KemKind::X25519, KemKind::P256] {
            keyring
                .add_recipient_key(RecipientKey::from_secret_bytes(kem, &[2; 32]).expect("valid"))
                .expect("distinct");
        }
        let group = GroupKey::new(Kid::new(b"g".to_vec()).expect("short"), ContentAlg::A128Gcm, &[3; 16]);
        keyring.add_group_key(group.expect("valid")).expect("distinct");
        Fixture { sender_secret, trust, keyring }
    })
}

fuzz_target!(|data: &[u8]| {
    let clock = ManualClock::new(1_700_000_000);
    let f = fixture();
    let sender = SigningKey::from_secret_bytes(Algorithm::Ed25519, &f.sender_secret).expect("valid");
    let mut opener =
        Opener::new(f.trust.clone(), Policy::default(), &clock).with_keyring(f.keyring.clone());
    // Arbitrary bytes as an envelope...
    let _ = opener.open("a/b", data);
    // ...and as the encrypted layer of a validly signed envelope that announces it, so the
    // fuzzer reaches the encrypted-layer decoder and the recipient search. The first byte picks
    // COSE_Encrypt0 (16) or COSE_Encrypt (96).
    let Some((&pick, layer)) = data.split_first() else { return };
    let content_type = if pick & 1 == 0 { 16 } else { 96 };
    let envelope = signed_envelope(&sender, content_type, layer);
    let _ = opener.open("a/b", &envelope);
});

fn bstr(out: &mut Vec<u8>, bytes: &[u8]) {
    let len = bytes.len();
    match len {
        0..=23 => out.push(0x40 | len as u8),
        24..=255 => out.extend_from_slice(&[0x58, len as u8]),
        _ => {
            out.push(0x59);
            out.extend_from_slice(&(len as u16).to_be_bytes());
        }
    }
    out.extend_from_slice(bytes);
}

/// A signed payseal envelope (spec/envelope.md §3.1) with content type `ct`, written out by
/// hand: the public API never signs an unencrypted payload under an encryption content type.
fn signed_envelope(key: &SigningKey, ct: u8, payload: &[u8]) -> Vec<u8> {
    let mut protected = vec![0xa6, 0x01, 0x32, 0x03];
    if ct < 24 {
        protected.push(ct);
    } else {
        protected.extend_from_slice(&[0x18, ct]);
    }
    protected.push(0x04);
    bstr(&mut protected, key.kid().as_bytes());
    protected.extend_from_slice(&[0x06, 0x41, 0x01, 0x0f, 0xa1, 0x06, 0x1a]);
    protected.extend_from_slice(&1_700_000_000u32.to_be_bytes());
    protected.extend_from_slice(&[0x10, 0x69]);
    protected.extend_from_slice(b"payseal/1");
    let mut tbs = vec![0x84, 0x6a];
    tbs.extend_from_slice(b"Signature1");
    bstr(&mut tbs, &protected);
    bstr(&mut tbs, &payseal::external_aad("a/b"));
    bstr(&mut tbs, payload);
    let mut envelope = vec![0xd2, 0x84];
    bstr(&mut envelope, &protected);
    envelope.push(0xa0);
    bstr(&mut envelope, payload);
    bstr(&mut envelope, &key.sign(&tbs).to_bytes());
    envelope
}
