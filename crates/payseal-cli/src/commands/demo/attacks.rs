//! What the malicious broker does: it forwards every message, and after each reading it
//! injects one attack, taking turns through [`ATTACKS`].

use std::sync::{Arc, Mutex};

use payseal::{Algorithm, Audience, Counter, Sealer, SigningKey, SystemClock};
use payseal_mitm::mitm::{Out, Tamper};
use payseal_mitm::mqtt::Publish;

/// The attacks, in the order they are tried.
pub(super) const ATTACKS: [Attack; 6] = [
    Attack::FlipBit,
    Attack::Replay,
    Attack::MoveTopic,
    Attack::Forge,
    Attack::Impersonate,
    Attack::Plaintext,
];

/// One thing a broker that has been taken over can do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Attack {
    /// Flip one bit of the envelope.
    FlipBit,
    /// Deliver the same envelope again.
    Replay,
    /// Deliver the envelope on another topic the sensor may publish on.
    MoveTopic,
    /// Publish a reading sealed with the attacker's own key.
    Forge,
    /// Publish a reading signed by the attacker under the sensor's key id.
    Impersonate,
    /// Publish a bare, unsealed reading.
    Plaintext,
}

impl Attack {
    pub(super) fn describe(self) -> &'static str {
        match self {
            Attack::FlipBit => "the reading with one bit flipped",
            Attack::Replay => "a replay of the reading",
            Attack::MoveTopic => "the reading moved to plant/2/temp",
            Attack::Forge => "a reading sealed with the attacker's own key",
            Attack::Impersonate => "a reading signed by the attacker under the sensor's kid",
            Attack::Plaintext => "a plaintext reading, no envelope",
        }
    }
}

/// The attacks injected so far, in order.
pub(super) type Injected = Arc<Mutex<Vec<Attack>>>;

/// The tampering logic of one malicious proxy. `label` names the dashboard it sits before.
///
/// # Errors
/// If the attacker's key cannot be generated.
/// The attacker knows public keys: its fakes are encrypted to the same `audience` as the
/// sensor's readings, so that only the signature can give them away.
pub(super) fn tamper(
    label: &'static str,
    sensor_kid: payseal::Kid,
    audience: &Audience,
    injected: Injected,
) -> Result<Tamper, String> {
    let key = || SigningKey::generate(Algorithm::Ed25519).map_err(|e| e.to_string());
    let mut forger = Sealer::new(key()?, Counter::starting_at(1), SystemClock)
        .with_audience("plant/+/temp", audience.clone())
        .map_err(|e| e.to_string())?;
    let mut impostor = Sealer::new(key()?, Counter::starting_at(1_000), SystemClock)
        .with_kid(sensor_kid)
        .with_audience("plant/+/temp", audience.clone())
        .map_err(|e| e.to_string())?;
    let mut readings = 0usize;
    Ok(Box::new(move |publish: Publish| {
        if !publish.topic.ends_with("/temp") {
            return vec![Out::Forward(publish)];
        }
        let attack = ATTACKS
            .get(readings % ATTACKS.len())
            .copied()
            .unwrap_or(Attack::Replay);
        readings += 1;
        let mut evil = publish.clone();
        evil.dup = false;
        match attack {
            Attack::FlipBit => {
                let middle = evil.payload.len() / 2;
                if let Some(byte) = evil.payload.get_mut(middle) {
                    *byte ^= 0x10;
                }
            }
            Attack::Replay => {}
            Attack::MoveTopic => evil.topic = "plant/2/temp".into(),
            Attack::Forge => match forger.seal(&publish.topic, b"99.9 C") {
                Ok(envelope) => evil.payload = envelope,
                Err(_) => return vec![Out::Forward(publish)],
            },
            Attack::Impersonate => match impostor.seal(&publish.topic, b"99.9 C") {
                Ok(envelope) => evil.payload = envelope,
                Err(_) => return vec![Out::Forward(publish)],
            },
            Attack::Plaintext => evil.payload = b"99.9 C".to_vec(),
        }
        println!(
            "[broker ] before {label}: forwards the reading, then injects {}",
            attack.describe()
        );
        if let Ok(mut log) = injected.lock() {
            log.push(attack);
        }
        vec![Out::Forward(publish), Out::Inject(evil)]
    }))
}
