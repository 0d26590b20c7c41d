//! payseal in one screen: a sensor seals readings, a dashboard opens them, and everything a
//! malicious broker might try is refused. No broker needed: the "broker" here is a function
//! that hands bytes over, and sometimes misbehaves.
//!
//! Run: `cargo run --example quickstart`

use std::error::Error;
use std::process::ExitCode;

use payseal::{
    Algorithm, Counter, ManualClock, Opener, Policy, Rejection, Sealer, SigningKey, TrustStore,
};

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("quickstart failed: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), Box<dyn Error>> {
    // One clock for both sides, so the demo can let time pass.
    let clock = ManualClock::new(1_700_000_000);

    // The sensor owns a private key; the dashboard knows the public key and what the sensor
    // may publish on.
    let sensor_key = SigningKey::generate(Algorithm::Ed25519)?;
    let mut trust = TrustStore::new();
    trust.add_sender(sensor_key.verifying_key(), ["plant/+/temp"])?;
    println!(
        "sensor key {} ({}), trusted on plant/+/temp",
        sensor_key.kid(),
        sensor_key.algorithm()
    );

    let mut sensor = Sealer::new(sensor_key, Counter::starting_at(1), &clock);
    let mut dashboard = Opener::new(trust, Policy::default(), &clock);

    // 1. A reading goes through untouched.
    let reading = sensor.seal("plant/3/temp", b"21.5 C")?;
    println!(
        "sealed a 6-byte reading into a {}-byte envelope",
        reading.len()
    );
    let verified = dashboard.open("plant/3/temp", &reading)?;
    println!(
        "accepted  seq {} from {}: {}",
        verified.seq(),
        verified.sender(),
        String::from_utf8_lossy(verified.payload())
    );

    // 2. What a broker in the middle might try.
    let mut refused = 0;
    let mut expect = |what: &str, outcome: Result<payseal::Verified, Rejection>| match outcome {
        Err(reason) => {
            println!("refused   {what:<44} -> {} ({reason})", reason.code());
            refused += 1;
            Ok(())
        }
        Ok(v) => Err(format!("{what} was accepted: {v:?}")),
    };

    expect(
        "replay of the same envelope",
        dashboard.open("plant/3/temp", &reading),
    )?;

    let mut tampered = sensor.seal("plant/3/temp", b"21.6 C")?;
    let at = tampered.len() - 70; // inside the payload
    if let Some(byte) = tampered.get_mut(at) {
        *byte ^= 0x01;
    }
    expect(
        "one bit of the payload changed",
        dashboard.open("plant/3/temp", &tampered),
    )?;

    let moved = sensor.seal("plant/3/temp", b"21.7 C")?;
    expect(
        "moved to plant/4/temp",
        dashboard.open("plant/4/temp", &moved),
    )?;

    let mut intruder = Sealer::new(
        SigningKey::generate(Algorithm::Ed25519)?,
        Counter::starting_at(1),
        &clock,
    );
    let forged = intruder.seal("plant/3/temp", b"99.9 C")?;
    expect(
        "signed by an unknown key",
        dashboard.open("plant/3/temp", &forged),
    )?;

    let valve = sensor.seal("plant/3/valve", b"open")?;
    expect(
        "sensor publishing on a topic it may not use",
        dashboard.open("plant/3/valve", &valve),
    )?;

    let held_back = sensor.seal("plant/3/temp", b"21.8 C")?;
    clock.advance(600);
    expect(
        "held back for 10 minutes",
        dashboard.open("plant/3/temp", &held_back),
    )?;

    // 3. And fresh readings still flow.
    let next = sensor.seal("plant/3/temp", b"21.9 C")?;
    let verified = dashboard.open("plant/3/temp", &next)?;
    println!(
        "accepted  seq {}: {}",
        verified.seq(),
        String::from_utf8_lossy(verified.payload())
    );
    println!("{refused} attacks refused, 2 readings delivered");
    Ok(())
}
