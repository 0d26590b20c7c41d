//! Exact MQTT PUBLISH packet sizes, to refuse an oversized publish before the client takes it.
//!
//! Clients and brokers compare the whole packet (fixed header, variable header, payload) with
//! the maximum packet size (MQTT 3.1.1 §2.2.3, MQTT 5 §3.1.2.11.4); a packet one byte over
//! fails the connection. An estimate that is too high refuses packets that fit, one that is
//! too low lets the connection die, so the size is computed exactly. Each adapter checks these
//! numbers against its client library's own encoder or the bytes on the wire.

use crate::QoS;

/// Bytes of the MQTT variable byte integer encoding `n` (the remaining length, MQTT 5's
/// property length).
fn varint_len(n: usize) -> usize {
    match n {
        0..=127 => 1,
        128..=16_383 => 2,
        16_384..=2_097_151 => 3,
        _ => 4,
    }
}

/// The packet id is present for QoS 1 and 2 only.
fn packet_id_len(qos: QoS) -> usize {
    match qos {
        QoS::AtMostOnce => 0,
        QoS::AtLeastOnce | QoS::ExactlyOnce => 2,
    }
}

/// The size of an MQTT 3.1.1 PUBLISH packet.
pub fn publish_v4(topic: &str, qos: QoS, payload_len: usize) -> usize {
    let remaining = 2 + topic.len() + packet_id_len(qos) + payload_len;
    1 + varint_len(remaining) + remaining
}

/// The size of an MQTT 5 PUBLISH packet whose properties take `properties_len` bytes.
pub fn publish_v5(topic: &str, qos: QoS, properties_len: usize, payload_len: usize) -> usize {
    let remaining = 2
        + topic.len()
        + packet_id_len(qos)
        + varint_len(properties_len)
        + properties_len
        + payload_len;
    1 + varint_len(remaining) + remaining
}

/// The length of the properties the MQTT 5 client sends: payload format indicator (identifier
/// and one byte) and content type (identifier, two-byte length, the string).
pub fn envelope_properties_len(content_type: &str) -> usize {
    (1 + 1) + (1 + 2 + content_type.len())
}

/// The maximum packet size in force: the configured one, or the broker's (MQTT 5 CONNACK)
/// when it is smaller. `broker` is 0 when the broker announced none.
pub fn effective_limit(configured: usize, broker: usize) -> usize {
    if broker == 0 {
        configured
    } else {
        configured.min(broker)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remaining_length_boundaries() {
        // MQTT 3.1.1 §2.2.3: 1 byte up to 127, 2 up to 16,383, 3 up to 2,097,151.
        let topic = "t"; // 2 + 1 bytes of topic
        assert_eq!(publish_v4(topic, QoS::AtMostOnce, 124), 1 + 1 + 127);
        assert_eq!(publish_v4(topic, QoS::AtMostOnce, 125), 1 + 2 + 128);
        assert_eq!(publish_v4(topic, QoS::AtLeastOnce, 16_378), 1 + 2 + 16_383);
        assert_eq!(publish_v4(topic, QoS::AtLeastOnce, 16_379), 1 + 3 + 16_384);
        assert_eq!(
            publish_v4(topic, QoS::ExactlyOnce, 2_097_146),
            1 + 3 + 2_097_151
        );
        assert_eq!(
            publish_v4(topic, QoS::ExactlyOnce, 2_097_147),
            1 + 4 + 2_097_152
        );
    }

    #[test]
    fn v5_adds_the_property_length_and_properties() {
        let ct = "application/cose; cose-type=\"cose-sign1\"";
        let props = envelope_properties_len(ct);
        assert_eq!(props, 2 + 3 + ct.len());
        assert_eq!(
            publish_v5("a/b", QoS::AtLeastOnce, props, 100),
            publish_v4("a/b", QoS::AtLeastOnce, 100 + 1 + props)
        );
        assert_eq!(
            publish_v5("a/b", QoS::AtMostOnce, 0, 10),
            1 + 1 + 2 + 3 + 1 + 10
        );
    }

    #[test]
    fn the_smaller_limit_wins_and_zero_means_none_announced() {
        assert_eq!(effective_limit(10_000, 0), 10_000);
        assert_eq!(effective_limit(10_000, 2_000), 2_000);
        assert_eq!(effective_limit(1_000, 2_000), 1_000);
    }
}
