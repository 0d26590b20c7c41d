use super::*;
use crate::keys::Kid;

fn kid(name: &str) -> Kid {
    Kid::new(name.as_bytes().to_vec()).unwrap()
}

#[test]
fn sender_keys_are_separated_by_kid_and_algorithm() {
    let secret = MacSecret::from_bytes(&[7; 32]).unwrap();
    let a64 = secret.sender_key(kid("a"), MacAlgorithm::Hmac256_64);
    let b64 = secret.sender_key(kid("b"), MacAlgorithm::Hmac256_64);
    let a256 = secret.sender_key(kid("a"), MacAlgorithm::Hmac256_256);
    assert_ne!(*a64.to_bytes(), *b64.to_bytes());
    assert_ne!(*a64.to_bytes(), *a256.to_bytes());
    // Deterministic: the receiver derives the key the sender was given.
    assert_eq!(
        *a64.to_bytes(),
        *secret
            .sender_key(kid("a"), MacAlgorithm::Hmac256_64)
            .to_bytes()
    );
}

#[test]
fn truncated_tag_is_the_left_eight_bytes_of_the_full_hmac() {
    let bytes = [3; 32];
    let short = MacKey::from_bytes(kid("a"), MacAlgorithm::Hmac256_64, bytes);
    let full = MacKey::from_bytes(kid("a"), MacAlgorithm::Hmac256_256, bytes);
    let (t8, t32) = (short.tag(b"m"), full.tag(b"m"));
    assert_eq!(t8.len(), 8);
    assert_eq!(t32.len(), 32);
    assert_eq!(t8.as_slice(), &t32[..8]);
    assert!(short.verify(b"m", &t8));
    // The full tag is not accepted for the truncated algorithm, nor the truncated for the full.
    assert!(!short.verify(b"m", &t32));
    assert!(!full.verify(b"m", &t8));
    assert!(!short.verify(b"m", &[]));
}

#[test]
fn hmac_matches_rfc_4231_test_case_2() {
    // RFC 4231 §4.3: key "Jefe" (zero-padded to a block: the same key), data below.
    let mut key = [0u8; 32];
    key[..4].copy_from_slice(b"Jefe");
    let mac = MacKey::from_bytes(kid("a"), MacAlgorithm::Hmac256_256, key);
    let expected = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
    let tag = mac.tag(b"what do ya want for nothing?");
    let hex: alloc::string::String = tag.iter().map(|b| alloc::format!("{b:02x}")).collect();
    assert_eq!(hex, expected);
}

#[test]
fn secrets_must_be_16_to_64_bytes() {
    assert!(MacSecret::from_bytes(&[1; 15]).is_err());
    assert!(MacSecret::from_bytes(&[1; 16]).is_ok());
    assert!(MacSecret::from_bytes(&[1; 64]).is_ok());
    assert!(MacSecret::from_bytes(&[1; 65]).is_err());
}

#[test]
fn keys_are_never_printed() {
    let secret = MacSecret::from_bytes(&[0xab; 32]).unwrap();
    let key = secret.sender_key(kid("a"), MacAlgorithm::Hmac256_64);
    for printed in [alloc::format!("{secret:?}"), alloc::format!("{key:?}")] {
        assert!(
            !printed.contains("ab, ab") && !printed.contains("abab"),
            "{printed}"
        );
    }
    let bytes = key.to_bytes();
    let hex: alloc::string::String = bytes.iter().map(|b| alloc::format!("{b:02x}")).collect();
    assert!(!alloc::format!("{key:?}").contains(&hex));
}

#[test]
fn mac_structure_matches_coset() {
    let header = coset::HeaderBuilder::new()
        .key_id(alloc::vec![1, 2])
        .build();
    let protected = coset::ProtectedHeader {
        original_data: None,
        header,
    };
    let Ok(ciborium::Value::Bytes(protected_bytes)) = protected.clone().cbor_bstr() else {
        panic!("encodes")
    };
    let ours = mac_structure(&protected_bytes, b"aad", b"payload");
    let theirs =
        coset::mac_structure_data(coset::MacContext::CoseMac0, protected, b"aad", b"payload");
    assert_eq!(ours, theirs);
}
