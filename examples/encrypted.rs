//! Encrypted to several subscribers: a sensor seals each reading once, for two dashboards;
//! each decrypts with its own key, a third subscriber (trusted, but not a recipient) cannot,
//! and the broker only ever sees ciphertext. No broker needed: bytes are handed over directly.
//!
//! Run: `cargo run --example encrypted`

use std::error::Error;
use std::process::ExitCode;

use payseal::{
    Algorithm, Audience, Counter, KemKind, Keyring, ManualClock, Opener, Policy, Recipient,
    RecipientKey, Rejection, Sealer, SigningKey, TrustStore,
};

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("encrypted example failed: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), Box<dyn Error>> {
    let clock = ManualClock::new(1_700_000_000);
    let sensor_key = SigningKey::generate(Algorithm::Ed25519)?;
    let alice = RecipientKey::generate(KemKind::X25519)?;
    let bob = RecipientKey::generate(KemKind::X25519)?;
    let carol = RecipientKey::generate(KemKind::X25519)?;

    // The sensor encrypts plant/+/temp to Alice and Bob (their public keys only).
    let audience = Audience::recipients([
        Recipient::new(alice.public_key()),
        Recipient::new(bob.public_key()),
    ])?;
    let mut trust = TrustStore::new();
    trust.add_sender(sensor_key.verifying_key(), ["plant/+/temp"])?;
    let mut sensor = Sealer::new(sensor_key, Counter::starting_at(1), &clock)
        .with_audience("plant/+/temp", audience)?;

    // Every subscriber trusts the sensor and refuses anything unencrypted on the topic.
    let subscriber = |key: RecipientKey| -> Result<_, Box<dyn Error>> {
        let mut keyring = Keyring::new();
        keyring
            .add_recipient_key(key)?
            .require_encryption("plant/+/temp")?;
        Ok(Opener::new(trust.clone(), Policy::default(), &clock).with_keyring(keyring))
    };
    let mut subscribers = [
        ("alice", subscriber(alice)?),
        ("bob", subscriber(bob)?),
        ("carol", subscriber(carol)?),
    ];

    let reading = b"21.5 C";
    let envelope = sensor.seal("plant/3/temp", reading)?;
    let visible = envelope.windows(reading.len()).any(|w| w == reading);
    println!(
        "sealed once for 2 recipients: {} bytes; the reading is {} in them",
        envelope.len(),
        if visible { "VISIBLE" } else { "not visible" }
    );
    if visible {
        return Err("plaintext visible to the broker".into());
    }

    for (name, opener) in &mut subscribers {
        match opener.open("plant/3/temp", &envelope) {
            Ok(v) => println!(
                "{name:<6} decrypted seq {}: {}",
                v.seq(),
                String::from_utf8_lossy(v.payload())
            ),
            Err(Rejection::NotForMe) if *name == "carol" => {
                println!(
                    "{name:<6} cannot read it: not_for_me (not an alarm: it was not for carol)"
                );
            }
            Err(e) => return Err(format!("{name}: {e}").into()),
        }
    }
    Ok(())
}
