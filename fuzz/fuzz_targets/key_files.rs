//! Every key-file parser on arbitrary input: PEM (as text) and COSE_Key (as bytes).
#![no_main]

use libfuzzer_sys::fuzz_target;
use payseal::{RecipientKey, RecipientPublicKey, SigningKey, VerifyingKey};

fuzz_target!(|data: &[u8]| {
    let _ = SigningKey::from_cose_key(data);
    let _ = VerifyingKey::from_cose_key(data);
    let _ = RecipientKey::from_cose_key(data);
    let _ = RecipientPublicKey::from_cose_key(data);
    let _ = SigningKey::from_pkcs8_der(data);
    let _ = VerifyingKey::from_public_key_der(data);
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = SigningKey::from_pkcs8_pem(text);
        let _ = VerifyingKey::from_public_key_pem(text);
        let _ = RecipientKey::from_pkcs8_pem(text);
        let _ = RecipientPublicKey::from_public_key_pem(text);
    }
});
