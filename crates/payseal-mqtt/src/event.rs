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
        /// The topic it arrived on; a topic that is not valid UTF-8 (refused as
        /// `invalid_topic`, never repaired) is shown with [`escape_bytes`](crate::escape_bytes).
        topic: String,
        /// Why it was refused.
        reason: Rejection,
    },
    /// A message already delivered, arriving again as MQTT allows: a redelivery (DUP flag), a
    /// publisher's QoS 1 retransmission forwarded as a new message, or a retained message seen
    /// before. Its signature, topic and freshness were checked again; it is not delivered
    /// twice, and not an alarm (the MQTT flags are not authenticated, so they cannot tell a
    /// broker's replay from MQTT's own repeats, and a repeat gives the broker nothing).
    Duplicate {
        /// The topic.
        topic: String,
        /// The sender's sequence number that was already accepted.
        seq: u64,
    },
    /// The broker refused a subscription (SUBACK with a reason code of 0x80 or more; MQTT
    /// 3.1.1 has only 0x80). Nothing will arrive for `filter`; the adapter forgets it, so it is
    /// not restored after a reconnect either.
    SubscribeRefused {
        /// The topic filter that was refused.
        filter: String,
        /// The broker's reason code (see [`reason_code_name`](crate::reason_code_name)).
        code: u8,
    },
    /// Connected (or reconnected) to the broker.
    Connected {
        /// Whether the broker resumed a persistent session.
        session_present: bool,
    },
    /// The connection failed or dropped; the adapter reconnects by itself (after a short
    /// pause), until the application disconnects or drops the event stream.
    Disconnected {
        /// What went wrong: [`ConnectionError::kind`](crate::ConnectionError::kind) to decide
        /// on, the client library's error behind it.
        error: crate::ConnectionError,
    },
}

/// A verified message and its MQTT delivery details.
#[derive(Debug)]
pub struct Message {
    /// What payseal verified (and decrypted): sender, topic, sequence number, payload.
    pub verified: Verified,
    /// The QoS it was delivered with.
    pub qos: crate::QoS,
    /// Whether the broker delivered it as a retained message.
    pub retain: bool,
}

/// Turns one incoming publish into an event; the policies are in [`crate::Security`].
pub(crate) fn classify(
    security: &mut crate::Security,
    topic: &str,
    payload: &[u8],
    retain: bool,
    qos: crate::QoS,
) -> Event {
    let rules = &security.rules;
    let Some(opener) = security.opener.as_mut() else {
        return Event::Rejected {
            topic: topic.to_string(),
            reason: Rejection::UnknownSender,
        };
    };
    let mut bounds =
        |kind, sender: &payseal::Kid, live| rules.bounds(topic, retain, kind, sender, live);
    let opened = opener.open_by_kind(topic, payload, &mut bounds);
    to_event(opened, topic, retain, qos)
}

/// The event for the result of opening one PUBLISH.
pub(crate) fn to_event(
    opened: Result<Verified, Rejection>,
    topic: &str,
    retain: bool,
    qos: crate::QoS,
) -> Event {
    match opened {
        Ok(verified) => Event::Message(Message {
            verified,
            qos,
            retain,
        }),
        // `replayed` comes only after the signature, topic and freshness checks passed (spec
        // §5 step 11): an authentic, fresh envelope the application already has. MQTT
        // delivers those again by design: a DUP redelivery, a retained message on a new
        // subscription, and also a QoS 1 retransmission by the publisher, which the broker
        // forwards as a new message with DUP=0. The DUP flag is set by the broker and not
        // authenticated, so it cannot tell an attack from MQTT: every `replayed` is a
        // duplicate, never delivered twice.
        Err(Rejection::Replayed { seq }) => Event::Duplicate {
            topic: topic.to_string(),
            seq,
        },
        Err(reason) => Event::Rejected {
            topic: topic.to_string(),
            reason,
        },
    }
}

#[cfg(test)]
mod tests;
