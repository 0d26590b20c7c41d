//! What became of published messages and subscriptions, as the broker answered them: the
//! MQTT 5 reason codes of PUBACK, PUBREC, PUBCOMP and SUBACK, and the broker's reason string,
//! escaped so that nothing a broker sends can drive the operator's terminal.

use std::fmt;

use crate::escape_text;

/// The name MQTT 5 (§2.4, table 2-6) gives a reason code of PUBACK, PUBREC, PUBCOMP or
/// SUBACK; `"unknown reason code"` for any other value. Codes below 0x80 are successes, codes
/// from 0x80 on are refusals (MQTT 3.1.1 has a single SUBACK failure, 0x80).
///
/// ```
/// assert_eq!(payseal_mqtt::reason_code_name(0x87), "not authorized");
/// ```
pub fn reason_code_name(code: u8) -> &'static str {
    match code {
        0x00 => "success",
        0x01 => "granted QoS 1",
        0x02 => "granted QoS 2",
        0x10 => "no matching subscribers",
        0x80 => "unspecified error",
        0x83 => "implementation specific error",
        0x87 => "not authorized",
        0x8F => "topic filter invalid",
        0x90 => "topic name invalid",
        0x91 => "packet identifier in use",
        0x92 => "packet identifier not found",
        0x97 => "quota exceeded",
        0x99 => "payload format invalid",
        0x9E => "shared subscriptions not supported",
        0xA1 => "subscription identifiers not supported",
        0xA2 => "wildcard subscriptions not supported",
        _ => "unknown reason code",
    }
}

/// Whether `code` refuses (MQTT 5 §2.4: 0x80 and above).
pub fn is_refusal(code: u8) -> bool {
    code >= 0x80
}

/// A QoS 1 or 2 message the broker refused (PUBACK or PUBREC with a reason code of 0x80 or
/// more, or a PUBCOMP 0x92): it was not delivered, and sending the same message again will
/// most likely be refused again.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// Which publish of this client it was: 1 for the first `publish` call, 2 for the second,
    /// and so on (QoS 0 publishes count too).
    pub index: u64,
    /// The topic it was published on.
    pub topic: String,
    /// The broker's reason code.
    pub code: u8,
    /// The broker's reason string (MQTT 5 property), escaped with [`escape_text`](crate::escape_text).
    pub reason: Option<String>,
}

impl Refusal {
    /// A refusal, escaping the broker's reason string.
    pub fn new(index: u64, topic: &str, code: u8, reason: Option<&str>) -> Self {
        Refusal {
            index,
            topic: topic.to_string(),
            code,
            reason: reason.map(escape_text),
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "message {} on {} refused by the broker: 0x{:02x} {}",
            self.index,
            escape_text(&self.topic),
            self.code,
            reason_code_name(self.code)
        )?;
        if let Some(reason) = &self.reason {
            write!(f, " ({reason})")?;
        }
        Ok(())
    }
}

/// A QoS 1 or 2 message the broker has not confirmed (yet): it may or may not have arrived.
/// The adapter sends it again, with the same envelope, after a reconnect, so a receiver sees at
/// most a duplicate of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unconfirmed {
    /// Which publish of this client it was (see [`Refusal::index`]).
    pub index: u64,
    /// The topic it was published on.
    pub topic: String,
}

/// Messages that were not delivered, as far as the broker told: the error of an adapter's
/// `flush`. Every other QoS 1 and 2 message published before was confirmed.
#[derive(Clone, Debug, Default, PartialEq, Eq, thiserror::Error)]
pub struct Undelivered {
    /// Refused by the broker (reported once: a later `flush` does not list them again).
    pub refused: Vec<Refusal>,
    /// Not confirmed within the time `flush` waited.
    pub unconfirmed: Vec<Unconfirmed>,
}

impl fmt::Display for Undelivered {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for refusal in &self.refused {
            if !first {
                f.write_str("; ")?;
            }
            first = false;
            write!(f, "{refusal}")?;
        }
        if !self.unconfirmed.is_empty() {
            if !first {
                f.write_str("; ")?;
            }
            let indexes: Vec<String> = self
                .unconfirmed
                .iter()
                .map(|u| u.index.to_string())
                .collect();
            write!(
                f,
                "{} message(s) not confirmed by the broker (they may or may not have arrived): {}",
                self.unconfirmed.len(),
                indexes.join(", ")
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broker_text_is_escaped_in_refusals() {
        let r = Refusal::new(2, "plant/\n1", 0x87, Some("no\u{1b}[2J\r\nfake line"));
        let shown = r.to_string();
        assert!(!shown.chars().any(char::is_control), "{shown:?}");
        assert!(shown.contains("0x87 not authorized"), "{shown}");
        assert!(shown.contains("message 2"), "{shown}");
    }

    #[test]
    fn refusals_start_at_0x80() {
        assert!(!is_refusal(0x10));
        assert!(is_refusal(0x80));
        assert_eq!(reason_code_name(0x97), "quota exceeded");
        assert_eq!(reason_code_name(0x42), "unknown reason code");
    }
}
