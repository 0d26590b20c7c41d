//! Prints what each additional recipient adds to a multi-recipient envelope
//! (spec/encryption.md §7), for every HPKE suite and content algorithm, with 8-byte kids (the
//! default) and a 15-byte payload. Run: `cargo run --example recipient_sizes`
//!
//! For each configuration it seals envelopes for 2 to 128 recipients (the default limit; one
//! recipient is the integrated §3 layout, not comparable) and reports the smallest and largest
//! difference in length between n and n + 1 recipients. The lengths do not depend on the
//! random values, only on the suite, the content algorithm, the kid lengths and the payload.

use payseal::{
    Algorithm, Audience, ContentAlg, Counter, HpkeSuite, KemKind, ManualClock, Recipient,
    RecipientKey, Sealer, SigningKey,
};

/// The length of one envelope for `n` recipients of `suite` with `content`.
fn envelope_len(
    sender: &SigningKey,
    keys: &[RecipientKey],
    suite: HpkeSuite,
    content: ContentAlg,
) -> Result<usize, Box<dyn std::error::Error>> {
    let clock = ManualClock::new(1_700_000_000);
    let recipients = keys
        .iter()
        .map(|k| Recipient::new(k.public_key()).with_suite(suite))
        .collect::<Result<Vec<_>, _>>()?;
    let audience = Audience::recipients(recipients)?.with_content_alg(content);
    let mut sealer = Sealer::new(
        SigningKey::from_pkcs8_pem(&sender.to_pkcs8_pem()?)?,
        Counter::starting_at(1),
        &clock,
    )
    .with_audience("#", audience)?;
    Ok(sealer.seal("plant/3/temp", b"{\"temp\":21.5}xx")?.len())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let sender = SigningKey::generate(Algorithm::Ed25519)?;
    println!("| suite | content | 2 recipients | 128 recipients | per recipient (min-max) |");
    println!("|---|---|---|---|---|");
    for suite in HpkeSuite::ALL {
        let kem = match suite {
            HpkeSuite::P256Aes128Gcm | HpkeSuite::P256Aes256Gcm => KemKind::P256,
            _ => KemKind::X25519,
        };
        let keys: Vec<RecipientKey> = (0..128)
            .map(|_| RecipientKey::generate(kem))
            .collect::<Result<_, _>>()?;
        for content in [
            ContentAlg::A128Gcm,
            ContentAlg::A256Gcm,
            ContentAlg::ChaCha20Poly1305,
        ] {
            let lens = (2..=keys.len())
                .map(|n| envelope_len(&sender, keys.get(..n).unwrap_or_default(), suite, content))
                .collect::<Result<Vec<_>, _>>()?;
            let steps: Vec<usize> = lens
                .iter()
                .zip(lens.iter().skip(1))
                .map(|(a, b)| b - a)
                .collect();
            println!(
                "| {suite:?} | {content:?} | {} | {} | {}-{} |",
                lens.first().ok_or("no envelope")?,
                lens.last().ok_or("no envelope")?,
                steps.iter().min().ok_or("no step")?,
                steps.iter().max().ok_or("no step")?,
            );
        }
    }
    Ok(())
}
