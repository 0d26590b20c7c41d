//! Prints bytes on the wire per mode against the payload size, next to the naive scheme of the
//! seed tutorial (`<unix seconds>|<payload>|<hex ECDSA P-256 signature>`), and the memory one
//! replay window takes per sender. `scripts/bench` puts both tables in BENCHMARKS.md.
//! Run: `cargo run --release --example wire_sizes`

use payseal::{
    Algorithm, Audience, ContentAlg, Counter, GroupKey, KemKind, Kid, ManualClock, Policy,
    Recipient, RecipientKey, ReplayWindow, Sealer, SigningKey,
};

const NOW: u64 = 1_700_000_000;
const TOPIC: &str = "plant/3/temp";
const PAYLOADS: [usize; 4] = [0, 16, 256, 1024];

fn key(alg: Algorithm) -> Result<SigningKey, payseal::KeyError> {
    SigningKey::from_secret_bytes(alg, &[7; 32])
}

fn row(mode: &str, sizes: &[usize]) {
    let cells: Vec<String> = PAYLOADS
        .iter()
        .zip(sizes)
        .map(|(p, s)| format!("{s} (+{})", s - p))
        .collect();
    println!("| {mode} | {} |", cells.join(" | "));
}

fn sealed(
    mode: &str,
    mut make: impl FnMut()
        -> Result<Sealer<SigningKey, Counter, ManualClock>, Box<dyn std::error::Error>>,
) -> Result<(), Box<dyn std::error::Error>> {
    let mut sizes = Vec::new();
    for p in PAYLOADS {
        sizes.push(make()?.seal(TOPIC, &vec![0x42; p])?.len());
    }
    row(mode, &sizes);
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let clock = || ManualClock::new(NOW);
    // Sequence numbers as a restarted sender would use them: Unix time in microseconds.
    let seq = NOW * 1_000_000;
    let header: Vec<String> = PAYLOADS.iter().map(|p| format!("{p} B payload")).collect();
    println!("| mode | {} |", header.join(" | "));
    println!("|---|{}", "---|".repeat(PAYLOADS.len()));
    for (alg, name) in [
        (Algorithm::Ed25519, "signed, Ed25519"),
        (Algorithm::EcdsaP256, "signed, ESP256"),
        (Algorithm::EcdsaSecp256k1, "signed, ES256K"),
    ] {
        sealed(name, || {
            Ok(Sealer::new(key(alg)?, Counter::starting_at(seq), clock()))
        })?;
    }
    let recipients: Vec<RecipientKey> = (1..=10u8)
        .map(|i| RecipientKey::from_secret_bytes(KemKind::X25519, &[i; 32]))
        .collect::<Result<_, _>>()?;
    for n in [1usize, 10] {
        let audience = || {
            Audience::recipients(
                recipients
                    .iter()
                    .take(n)
                    .map(|k| Recipient::new(k.public_key())),
            )
        };
        sealed(
            &format!("encrypted, Ed25519 + HPKE X25519, {n} recipient(s)"),
            || {
                Ok(
                    Sealer::new(key(Algorithm::Ed25519)?, Counter::starting_at(seq), clock())
                        .with_audience("#", audience()?)?,
                )
            },
        )?;
    }
    sealed("encrypted, Ed25519 + group key (AES-128-GCM)", || {
        let group = GroupKey::new(
            Kid::new(b"plant-3".to_vec())?,
            ContentAlg::A128Gcm,
            &[9; 16],
        )?;
        Ok(
            Sealer::new(key(Algorithm::Ed25519)?, Counter::starting_at(seq), clock())
                .with_audience("#", Audience::group(group))?,
        )
    })?;
    // The seed tutorial's scheme: text timestamp, the payload, a hex ECDSA P-256 signature
    // (no key id, no sequence number, no topic binding).
    let p256 = key(Algorithm::EcdsaP256)?;
    let naive: Vec<usize> = PAYLOADS
        .iter()
        .map(|&p| {
            let mut message = format!("{NOW}|").into_bytes();
            message.extend(vec![0x42; p]);
            message.push(b'|');
            let signature = p256.sign(&message);
            message.len() + 2 * signature.as_ref().len()
        })
        .collect();
    row(
        "naive: `1700000000\\|payload\\|<128 hex>` (ECDSA P-256)",
        &naive,
    );

    println!();
    println!("| replay window width | bitmap bytes | bytes per sender (window + 8-byte kid) |");
    println!("|---|---|---|");
    for width in [Policy::DEFAULT_WINDOW, 1024] {
        let window = ReplayWindow::new(width);
        let bitmap = usize::try_from(window.width() / 8)?;
        // The window struct (top + Vec header) and its bitmap; the kid it is filed under (Vec
        // header + 8 bytes). The map's own node overhead comes on top.
        let per_sender =
            std::mem::size_of::<ReplayWindow>() + bitmap + std::mem::size_of::<Kid>() + 8;
        println!("| {width} | {bitmap} | {per_sender} |");
    }
    Ok(())
}
