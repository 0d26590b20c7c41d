//! Strict decoding of arbitrary bytes, without keys: never panics, and whatever decodes obeys
//! the profile's limits.
#![no_main]

use libfuzzer_sys::fuzz_target;
use payseal::{Limits, UnverifiedEnvelope};

fuzz_target!(|data: &[u8]| {
    if let Ok(env) = UnverifiedEnvelope::decode(data, &Limits::DEFAULT) {
        assert!(env.kid().len() <= payseal::Kid::MAX_LEN);
        assert!(env.protected_bytes().len() <= Limits::DEFAULT.max_protected_bytes);
        assert!(payseal::Algorithm::from_cose_id(env.alg()).is_some());
    }
});
