//! What a subscriber sees: verified messages, typed rejections, and connection changes.

use payseal::{Rejection, Verified};

/// One event from the adapter's event stream.
#[derive(Debug)]
#[non_exhaustive]
pub enum Event {
    /// A payload that passed every check. The only way payloads reach the application.
    Message(Message),
    /// A message that was refused, and why. Most reasons point at tampering, forgery, replay
    /// or misconfiguration; [`Rejection::is_alarm`] tells.
    Rejected {
        /// The topic it arrived on.
        topic: String,
        /// Why it was refused.
        reason: Rejection,
    },
    /// A message already delivered, arriving again as MQTT allows: a QoS 1/2 retransmission
    /// (DUP flag) or a retained message seen before. Not delivered twice, not an alarm.
    Duplicate {
        /// The topic.
        topic: String,
        /// The sender's sequence number that was already accepted.
        seq: u64,
    },
    /// Connected (or reconnected) to the broker.
    Connected {
        /// Whether the broker resumed a persistent session.
        session_present: bool,
    },
    /// The connection failed or dropped; the adapter reconnects by itself.
    Disconnected {
        /// What went wrong.
        error: String,
    },
}

/// A verified message and its MQTT delivery details.
#[derive(Debug)]
pub struct Message {
    /// What payseal verified (and decrypted): sender, topic, sequence number, payload.
    pub verified: Verified,
    /// The QoS it was delivered with.
    pub qos: rumqttc::QoS,
    /// Whether the broker delivered it as a retained message.
    pub retain: bool,
}

/// Turns one incoming publish into an event; the policies are in [`crate::Security`].
pub(crate) fn classify(
    security: &mut crate::Security,
    topic: &str,
    payload: &[u8],
    dup: bool,
    retain: bool,
    qos: rumqttc::QoS,
) -> Event {
    let freshness = security.freshness_for(topic, retain);
    let Some(opener) = security.opener.as_mut() else {
        return Event::Rejected {
            topic: topic.to_string(),
            reason: Rejection::UnknownSender,
        };
    };
    match opener.open(topic, payload, freshness) {
        Ok(verified) => Event::Message(Message {
            verified,
            qos,
            retain,
        }),
        // MQTT may deliver the same message again; that is not an attack. A replay without
        // the DUP or retain flag is.
        Err(Rejection::Replayed { seq }) if dup || retain => Event::Duplicate {
            topic: topic.to_string(),
            seq,
        },
        Err(reason) => Event::Rejected {
            topic: topic.to_string(),
            reason,
        },
    }
}
