use super::*;

const LIMITS: ScanLimits = ScanLimits {
    max_depth: 4,
    max_items: 32,
};

fn scan_hex(hex: &str) -> Result<Scanned, Malformed> {
    let bytes: Vec<u8> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect();
    scan(&bytes, LIMITS)
}

#[test]
fn accepts_strict_items() {
    assert_eq!(scan_hex("00").unwrap().top_tag, None);
    assert_eq!(scan_hex("1818").unwrap().top_tag, None);
    assert_eq!(scan_hex("d28100").unwrap().top_tag, Some(18));
    // {1: -19, "a": [h'01', true, null]}
    assert!(scan_hex("a201326161834101f5f6").is_ok());
}

#[test]
fn rejects_each_profile_violation() {
    assert_eq!(scan_hex("0000"), Err(Malformed::TrailingBytes { count: 1 }));
    assert_eq!(
        scan_hex("9f00ff"),
        Err(Malformed::IndefiniteLength { offset: 0 })
    );
    assert_eq!(
        scan_hex("5f4100ff"),
        Err(Malformed::IndefiniteLength { offset: 0 })
    );
    assert_eq!(
        scan_hex("1801"),
        Err(Malformed::NonPreferredEncoding { offset: 0 })
    );
    assert_eq!(
        scan_hex("8119000a"),
        Err(Malformed::NonPreferredEncoding { offset: 1 })
    );
    assert_eq!(
        scan_hex("a201000100"),
        Err(Malformed::DuplicateLabel { offset: 3 })
    );
    assert_eq!(
        scan_hex("f93c00"),
        Err(Malformed::DisallowedItem { offset: 0 })
    );
    assert_eq!(scan_hex("f7"), Err(Malformed::DisallowedItem { offset: 0 }));
    // Two-byte simple values below 32 are not well-formed; 32 and up are merely disallowed.
    assert_eq!(scan_hex("f814"), Err(Malformed::InvalidCbor { offset: 0 }));
    assert_eq!(
        scan_hex("f820"),
        Err(Malformed::DisallowedItem { offset: 0 })
    );
    // A tag below the top level.
    assert_eq!(
        scan_hex("81c100"),
        Err(Malformed::DisallowedItem { offset: 1 })
    );
    // Two tags at the top.
    assert_eq!(
        scan_hex("d2d200"),
        Err(Malformed::DisallowedItem { offset: 1 })
    );
    // A byte-string map key.
    assert_eq!(
        scan_hex("a14100f6"),
        Err(Malformed::DisallowedItem { offset: 1 })
    );
    // Invalid UTF-8 text.
    assert_eq!(scan_hex("61ff"), Err(Malformed::InvalidCbor { offset: 0 }));
    // Truncated: a 5-byte string with 1 byte.
    assert_eq!(scan_hex("4500"), Err(Malformed::InvalidCbor { offset: 0 }));
    // A stray break, and a reserved minor value.
    assert_eq!(scan_hex("ff"), Err(Malformed::InvalidCbor { offset: 0 }));
    assert_eq!(scan_hex("1c"), Err(Malformed::InvalidCbor { offset: 0 }));
    assert_eq!(scan_hex(""), Err(Malformed::InvalidCbor { offset: 0 }));
}

#[test]
fn enforces_depth_and_item_limits() {
    assert!(scan_hex("81818180").is_ok());
    assert_eq!(
        scan_hex("8181818180"),
        Err(Malformed::TooComplex("nesting too deep"))
    );
    let forty_items = alloc::format!("9828{}", "00".repeat(40));
    assert_eq!(
        scan_hex(&forty_items),
        Err(Malformed::TooComplex("too many CBOR items"))
    );
    // An array claiming 2^32 elements fails at its first missing element; nothing is allocated.
    assert_eq!(
        scan_hex("9b0000000100000000"),
        Err(Malformed::InvalidCbor { offset: 9 })
    );
}

#[test]
fn shortest_head_lengths() {
    assert_eq!(shortest_head_len(23), 1);
    assert_eq!(shortest_head_len(24), 2);
    assert_eq!(shortest_head_len(256), 3);
    assert_eq!(shortest_head_len(65536), 5);
    assert_eq!(shortest_head_len(u64::MAX), 9);
}

/// Issue 17: a root tag in a protected header was reported by whatever came after it
/// (`trailing_bytes`, `indefinite_length`, `invalid_cbor`); the single pass of spec §4.1 flags
/// it at its own head.
#[test]
fn root_tag_in_protected_header_is_disallowed_at_its_head() {
    for hex in ["c101a0", "d25fa0", "d0", "cd011829", "d2a0"] {
        let bytes: Vec<u8> = (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
            .collect();
        assert_eq!(
            scan_untagged(&bytes, LIMITS),
            Err(Malformed::DisallowedItem { offset: 0 }),
            "{hex}"
        );
    }
    assert_eq!(scan_untagged(&[0xa0], LIMITS), Ok(()));
}
