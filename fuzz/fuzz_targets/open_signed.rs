//! The full opener on arbitrary bytes and topics, with a trust store. Seeds: the vectors in
//! test-vectors/sign1.json (see fuzz/README.md), so mutations start from real envelopes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

use payseal::{Algorithm, ManualClock, Opener, Policy, SigningKey, TrustStore};

/// Built once: deriving keys per input would dominate the run time.
fn trust() -> &'static TrustStore {
    static TRUST: OnceLock<TrustStore> = OnceLock::new();
    TRUST.get_or_init(|| {
        let mut trust = TrustStore::new();
        for (n, alg) in Algorithm::ALL.into_iter().enumerate() {
            let key = SigningKey::from_secret_bytes(alg, &[n as u8 + 1; 32]).expect("valid");
            trust.add_sender(key.verifying_key(), ["sensors/+/temp", "plant/#"]).expect("valid");
        }
        trust
    })
}

fuzz_target!(|data: &[u8]| {
    // The first byte picks a topic, the rest is the envelope.
    let Some((&pick, envelope)) = data.split_first() else { return };
    let topics = ["sensors/1/temp", "plant/a/b", "actuators/x", "sensors/+/temp", ""];
    let topic = topics[usize::from(pick) % topics.len()];
    let mut opener = Opener::new(trust().clone(), Policy::default(), ManualClock::new(1_700_000_010));
    if let Ok(verified) = opener.open(topic, envelope) {
        // Accepted once: never twice.
        assert!(opener.open(topic, envelope).is_err());
        assert_eq!(verified.topic(), topic);
    }
});
