//! A dashboard: subscribes through its own malicious proxy, prints what it accepts and
//! rejects, and keeps count.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use payseal_rumqttc::Event;
use tokio::sync::mpsc;

use payseal_rumqttc::escape_text;

/// What one dashboard saw.
#[derive(Debug, Default)]
pub(super) struct Tally {
    /// Readings (encrypted) accepted, by payload.
    pub(super) readings: Vec<Vec<u8>>,
    /// Status messages (signed only) accepted.
    pub(super) status: Vec<Vec<u8>>,
    /// Rejections by reason code (duplicates counted as `duplicate`).
    pub(super) rejected: BTreeMap<&'static str, u64>,
    /// Accepted messages the sensor never sent: must stay empty.
    pub(super) forged_accepted: Vec<String>,
}

impl Tally {
    /// Messages seen: accepted, rejected or duplicate.
    pub(super) fn seen(&self) -> u64 {
        (self.readings.len() + self.status.len() + self.forged_accepted.len()) as u64
            + self.rejected.values().sum::<u64>()
    }

    /// Rejections other than `not_for_me` (which is not an attack: the reading is for someone
    /// else).
    pub(super) fn attacks_rejected(&self, not_for_me_expected: u64) -> u64 {
        self.rejected.values().sum::<u64>()
            - not_for_me_expected.min(self.rejected.get("not_for_me").copied().unwrap_or(0))
    }
}

/// Prints and counts `events` until the stream ends. `sent` is what the sensor published.
pub(super) async fn watch(
    label: &'static str,
    mut events: mpsc::Receiver<Event>,
    sent: Arc<Mutex<Vec<Vec<u8>>>>,
    tally: Arc<Mutex<Tally>>,
) {
    while let Some(event) = events.recv().await {
        let Ok(mut tally) = tally.lock() else { return };
        match event {
            Event::Message(message) => {
                let v = message.verified;
                let text = String::from_utf8_lossy(v.payload()).into_owned();
                let genuine = sent
                    .lock()
                    .is_ok_and(|sent| sent.iter().any(|p| p == v.payload()));
                let repeated = tally
                    .readings
                    .iter()
                    .chain(&tally.status)
                    .any(|p| p == v.payload());
                if !genuine || repeated {
                    println!(
                        "[{label:<7}] ACCEPTED A FORGERY on {}: {text:?}",
                        escape_text(v.topic())
                    );
                    tally.forged_accepted.push(text);
                    continue;
                }
                let how = if v.encryption().is_some() {
                    "decrypted"
                } else {
                    "verified"
                };
                println!(
                    "[{label:<7}] accepted  {} #{} ({how}): {}",
                    escape_text(v.topic()),
                    v.seq(),
                    escape_text(&text)
                );
                if v.topic().ends_with("/temp") {
                    tally.readings.push(v.into_payload());
                } else {
                    tally.status.push(v.into_payload());
                }
            }
            Event::Rejected { topic, reason } => {
                let verdict = if reason.is_alarm() {
                    "REJECTED "
                } else {
                    "can't read"
                };
                println!(
                    "[{label:<7}] {verdict} {}: {} ({})",
                    escape_text(&topic),
                    reason.code(),
                    escape_text(&reason.to_string())
                );
                *tally.rejected.entry(reason.code()).or_default() += 1;
            }
            Event::Duplicate { topic, seq } => {
                let topic = escape_text(&topic);
                println!(
                    "[{label:<7}] REJECTED  {topic}: duplicate (seq {seq} was already delivered)"
                );
                *tally.rejected.entry("duplicate").or_default() += 1;
            }
            Event::Disconnected { error } => {
                println!(
                    "[{label:<7}] disconnected: {}",
                    escape_text(&error.to_string())
                );
            }
            _ => {}
        }
    }
}
