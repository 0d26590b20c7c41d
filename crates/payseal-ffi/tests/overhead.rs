//! `PAYSEAL_SIGNED_OVERHEAD_MAX` bounds every signed envelope without certificates: checked at
//! the worst case of every field (largest COSE alg id, 32-byte kid, u64::MAX sequence number
//! and time, a kind marker) and at each CBOR length-head boundary of the payload.

use payseal::{Algorithm, Counter, Kid, ManualClock, MessageKind, Sealer, SigningKey};
use payseal_ffi::PAYSEAL_SIGNED_OVERHEAD_MAX;

#[test]
fn signed_overhead_never_exceeds_the_published_maximum() {
    let mut worst = 0;
    for alg in Algorithm::ALL {
        let key = SigningKey::from_secret_bytes(alg, &[7u8; 32]).expect("valid secret");
        let mut sealer = Sealer::new(
            key,
            Counter::starting_at(u64::MAX),
            ManualClock::new(u64::MAX),
        )
        .with_kid(Kid::new(vec![0xAB; Kid::MAX_LEN]).expect("32-byte kid"));
        for len in [0usize, 23, 24, 255, 256, 65_535, 65_536] {
            let payload = vec![0u8; len];
            let envelope = sealer
                .seal_kind("plant/3/temp", &payload, MessageKind::Will)
                .expect("sealed");
            worst = worst.max(envelope.len() - len);
            // The counter is exhausted after u64::MAX: start again for the next size.
            sealer = Sealer::new(
                SigningKey::from_secret_bytes(alg, &[7u8; 32]).expect("valid secret"),
                Counter::starting_at(u64::MAX),
                ManualClock::new(u64::MAX),
            )
            .with_kid(Kid::new(vec![0xAB; Kid::MAX_LEN]).expect("32-byte kid"));
        }
    }
    assert!(
        worst <= PAYSEAL_SIGNED_OVERHEAD_MAX,
        "worst overhead {worst} > {PAYSEAL_SIGNED_OVERHEAD_MAX}"
    );
    eprintln!("worst signed overhead: {worst} bytes");
    // The constant is a bound, not a guess far above it.
    assert!(
        worst + 16 >= PAYSEAL_SIGNED_OVERHEAD_MAX,
        "worst overhead {worst}"
    );
}
